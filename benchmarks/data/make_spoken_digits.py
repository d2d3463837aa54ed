"""Render a spoken-digit set like SC09 offline: 1-second 16 kHz mono clips of "zero".."nine".

Needs Debian's espeak-ng, flite and sox (``apt-get install -y espeak-ng flite sox``). Each clip
picks, from a seeded NumPy generator, a synthesizer (espeak-ng with an accent, a variant voice,
pitch 20..80 and speed 120..220 words/min; or a flite voice), then sox converts it to 16 kHz mono
16-bit, trims leading silence, normalizes to -3 dB, pads a random lead and cuts to exactly 1 s
(``-R`` keeps sox deterministic). The same seed gives the same files.

    python benchmarks/data/make_spoken_digits.py OUT_DIR --per-digit 100 --seed 0

Writes ``OUT_DIR/<digit word>/<index>.wav`` (one sub-folder per label, the layout the ``audio``
adapter reads as labels) and ``OUT_DIR/manifest.csv``.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
ACCENTS = ["en", "en-us", "en-gb-x-rp", "en-029", "en-gb-scotland", "en-gb-x-gbclan"]
VARIANTS = ["m1", "m2", "m3", "m4", "m7", "f1", "f2", "f3", "f4", "klatt", "croak", "whisper"]
FLITE_VOICES = ["kal", "awb", "rms", "slt"]


def render(word: str, path: Path, rng: np.random.Generator, tmp: Path) -> str:
    """Write one 1-s clip of ``word`` to ``path``; return a description of the voice."""
    raw = tmp / "raw.wav"
    if rng.random() < 0.75:
        voice = f"{rng.choice(ACCENTS)}+{rng.choice(VARIANTS)}"
        pitch, speed = int(rng.integers(20, 81)), int(rng.integers(120, 221))
        cmd = ["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(speed), "-w", str(raw), word]
        desc = f"espeak-ng {voice} p{pitch} s{speed}"
    else:
        voice = str(rng.choice(FLITE_VOICES))
        cmd = ["flite", "-voice", voice, "-t", word, "-o", str(raw)]
        desc = f"flite {voice}"
    subprocess.run(cmd, check=True, capture_output=True)
    lead = f"{rng.uniform(0.0, 0.25):.3f}"
    sox = ["sox", "-R", str(raw), "-c", "1", "-b", "16", str(path), "rate", "16k"]
    sox += ["silence", "1", "0.01", "0.5%", "norm", "-3", "pad", lead, "1", "trim", "0", "1"]
    subprocess.run(sox, check=True, capture_output=True)
    return desc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--per-digit", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    missing = [tool for tool in ("espeak-ng", "flite", "sox") if shutil.which(tool) is None]
    if missing:
        raise SystemExit(f"Missing {', '.join(missing)}: apt-get install -y espeak-ng flite sox")
    rng = np.random.default_rng(args.seed)
    start = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.per_digit):
            for word in DIGITS:
                folder = args.out / word
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / f"{i:04d}.wav"
                rows.append(
                    (str(path.relative_to(args.out)), word, render(word, path, rng, Path(tmp)))
                )
    with open(args.out / "manifest.csv", "w", newline="") as f:
        csv.writer(f).writerows([("path", "label", "voice"), *rows])
    print(f"wrote {len(rows)} clips to {args.out} in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
