"""Synthesize labelled tones with WaveGAN (the ``audio`` adapter) and write them as WAV files.

Makes a tiny labelled set of sine tones (three pitches, random phase, a little noise), fits a
small conditional WaveGAN, samples clips per label, checks their dominant frequency, writes
16-bit WAVs, and saves/reloads the model.

    python examples/audio_tones.py                 # about a minute on one CPU thread
    python examples/audio_tones.py --quick out/    # a few seconds (also: TABGAN_QUICK=1)
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np
import torch

from tabgan import GANSynthesizer
from tabgan.plugins.audio import AudioAdapter, to_wav

RATE, LENGTH = 8000, 1024
PITCHES = {"low": 500.0, "mid": 1200.0, "high": 2500.0}


def make_tones(n_per_label: int, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    t = np.arange(LENGTH) / RATE
    clips, labels = [], []
    for label, freq in PITCHES.items():
        phase = rng.uniform(0, 2 * np.pi, (n_per_label, 1))
        noise = 0.02 * rng.standard_normal((n_per_label, LENGTH))
        clips.append(0.5 * np.sin(2 * np.pi * freq * t + phase) + noise)
        labels += [label] * n_per_label
    return np.concatenate(clips).astype(np.float32), labels


def dominant_hz(clips: np.ndarray) -> np.ndarray:
    spec = np.abs(np.fft.rfft(clips * np.hanning(clips.shape[1]), axis=1))
    return np.fft.rfftfreq(clips.shape[1], 1 / RATE)[spec.argmax(1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", help="folder for the WAVs and the model (default: temp)")
    parser.add_argument("--quick", action="store_true", help="a few seconds of training")
    args = parser.parse_args()
    quick = args.quick or os.environ.get("TABGAN_QUICK") == "1"
    torch.set_num_threads(1)

    clips, labels = make_tones(32)
    model = GANSynthesizer(
        AudioAdapter(sample_rate=RATE, slice_len=LENGTH, width=8),
        epochs=3 if quick else 150,
        batch_size=32,
        generator_lr=1e-3,  # higher than the paper's 1e-4: a toy set and a short run
        discriminator_lr=1e-3,
        random_state=0,
        verbose=False,
    )
    model.fit(clips, labels, sample_rate=RATE)
    names = model.adapter_.label_names_
    print(f"trained {model.n_steps_} steps on {len(clips)} clips, labels {names}")

    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="tabgan_audio_"))
    for label, freq in PITCHES.items():
        fake = model.sample(8, conditions={"label": label}, random_state=0)
        hz = np.median(dominant_hz(fake))
        print(f"{label:>5}: trained on {freq:6.0f} Hz, generated median dominant {hz:6.0f} Hz")
        to_wav(fake, out / "wav", sample_rate=RATE, prefix=label)
    model.save(out / "model")
    again = GANSynthesizer.load(out / "model")
    same = np.array_equal(again.sample(4, random_state=1), model.sample(4, random_state=1))
    print(f"wrote WAVs and the model to {out}; reloaded model samples identically: {same}")
    if not same:
        raise SystemExit("save/load changed the samples")


if __name__ == "__main__":
    main()
