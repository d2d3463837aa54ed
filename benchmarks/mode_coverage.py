r"""Mode coverage of the core engine on the classic 2-D mode-collapse sets.

Ring of 8 Gaussians (radius 2) and 5x5 grid of 25 Gaussians (spacing 2), std 0.05, as in the
PacGAN / VEEGAN papers. A generated point is *high quality* when it lies within 3 std of its
nearest mode centre; a mode is *covered* when it receives at least 1% of the samples as
high-quality points (25 of 2,500 — a quarter of its fair share on the grid).

    python benchmarks/mode_coverage.py --jobs 16        # the README table (16 cores: ~8 min)
    python benchmarks/mode_coverage.py --steps 60000 --jobs 2 \
        --configs "default (minimax + R1 0.1, EMA)"     # 25/25 at >= 90% high quality
    python benchmarks/mode_coverage.py --quick          # a smoke run

Published anchors (PacGAN, Lin et al. 2018, grid-25): ~17 of 25 modes for a plain GAN, ~24.8
with packing.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from multiprocessing import Pool

import numpy as np
import torch

from tabgan import GANSynthesizer

STD = 0.05


def centres(kind: str) -> np.ndarray:
    if kind == "ring8":
        a = np.arange(8) * 2 * np.pi / 8
        return np.stack([np.cos(a), np.sin(a)], 1) * 2.0
    g = np.arange(-4, 5, 2.0)
    return np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)


def make(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    c = centres(kind)
    return (c[rng.integers(0, len(c), n)] + rng.normal(0, STD, (n, 2))).astype(np.float32)


@dataclass
class Score:
    modes: int
    total: int
    high_quality: float


def score(samples: np.ndarray, kind: str, min_share: float = 0.01) -> Score:
    c = centres(kind)
    d = np.linalg.norm(samples[:, None, :] - c[None], axis=-1)
    nearest, dist = d.argmin(1), d.min(1)
    hq = dist <= 3 * STD
    counts = np.bincount(nearest[hq], minlength=len(c))
    return Score(int((counts >= min_share * len(samples)).sum()), len(c), float(hq.mean()))


CONFIGS = {
    "default (minimax + R1 0.1, EMA)": {},
    "plain minimax (no R1)": {"r1": 0.0},
    "plain minimax + pac 4": {"r1": 0.0, "pac": 4},
    "default + pac 4": {"pac": 4},
    "default + MMD 1.0": {"mmd_weight": 1.0},
    "default + instance noise 0.1": {"instance_noise": 0.1},
    "default, no EMA": {"ema_decay": 0.0},
    "wgan-gp": {"loss": "wgan", "r1": 0.0},
    "wgan-gp + pac 4": {"loss": "wgan", "r1": 0.0, "pac": 4},
    "hinge + R1": {"loss": "hinge"},
    "lsgan + R1": {"loss": "lsgan"},
    "rsgan + R1": {"loss": "rsgan"},
}


def run(job: tuple) -> tuple:
    name, kind, params, steps, seed, n_train = job
    torch.set_num_threads(1)
    rng = np.random.default_rng(seed)
    X = make(kind, n_train, rng)
    batch = 256
    epochs = max(1, round(steps * batch / n_train))
    t = time.perf_counter()
    g = GANSynthesizer(
        "vector",
        epochs=epochs,
        batch_size=batch,
        random_state=seed,
        verbose=False,
        device="cpu",
        **params,
    ).fit(X)
    seconds = time.perf_counter() - t
    return name, kind, score(g.sample(2500), kind), seconds


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--steps", type=int, default=10_000, help="generator steps per run")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--jobs", type=int, default=1, help="runs in parallel, one thread each")
    p.add_argument("--quick", action="store_true", help="600 steps, one seed, three configs")
    p.add_argument("--configs", nargs="*", default=None, help="subset of config names")
    args = p.parse_args(argv)
    configs = dict(CONFIGS)
    if args.quick:
        args.steps, args.seeds = 600, [0]
        configs = {k: CONFIGS[k] for k in list(CONFIGS)[:3]}
    if args.configs:
        configs = {k: CONFIGS[k] for k in args.configs}
    print(
        f"torch threads per run: 1; parallel runs: {args.jobs}; generator steps per run: "
        f"{args.steps}; batch 256; 25,000 training points; seeds {args.seeds}; "
        "2,500 samples scored",
        flush=True,
    )
    jobs = [
        (name, kind, params, args.steps, seed, 25_000)
        for name, params in configs.items()
        for kind in ("ring8", "grid25")
        for seed in args.seeds
    ]
    results = []
    with Pool(args.jobs) as pool:
        for r in pool.imap_unordered(run, jobs):
            results.append(r)
            print(
                f"  done: {r[0]} / {r[1]}: {r[2].modes}/{r[2].total} modes, "
                f"{r[2].high_quality:.1%} high quality, {r[3]:.0f} s",
                file=sys.stderr,
                flush=True,
            )
    print(
        "| config | ring-8 modes | ring-8 high quality | grid-25 modes | grid-25 high quality "
        "| seconds/run |"
    )
    print("|---|---|---|---|---|---|")
    for name in configs:
        cells, secs = [], []
        for kind in ("ring8", "grid25"):
            res = [r for r in results if r[0] == name and r[1] == kind]
            modes = [r[2].modes for r in res]
            hq = [r[2].high_quality for r in res]
            cells += [
                f"{np.mean(modes):.1f}/{res[0][2].total} ({min(modes)}-{max(modes)})",
                f"{np.mean(hq):.1%}",
            ]
            secs += [r[3] for r in res]
        print(f"| {name} | {' | '.join(cells)} | {np.mean(secs):.0f} |", flush=True)


if __name__ == "__main__":
    main()
