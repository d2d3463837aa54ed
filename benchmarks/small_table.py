"""Small tables: the default (adaptive) batch against a fixed batch larger than the table.

With ``batch_size`` left to the default, data under ``4 * batch_size`` rows get a batch of about
``rows / 4`` so an epoch is at least 4 steps; a fixed batch of 500 on the 344-row penguins table
trains one step per epoch. Prints steps, fit time and the sdmetrics quality score per seed.

    python benchmarks/small_table.py --seeds 0 1
"""

from __future__ import annotations

import argparse
import time
import warnings

import torch
from palmerpenguins import load_penguins
from sdmetrics.reports.single_table import QualityReport

from tabgan import GANSynthesizer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--epochs", type=int, default=300)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    real = load_penguins()
    print(f"torch threads: {torch.get_num_threads()}; penguins {real.shape}; {args.epochs} epochs")
    print("| batch_size | seed | batch used | steps | fit (s) | sdmetrics quality |")
    print("|---|---|---|---|---|---|")
    for batch in (None, 500):
        for seed in args.seeds:
            t = time.perf_counter()
            gan = GANSynthesizer(
                epochs=args.epochs, batch_size=batch, random_state=seed, verbose=False
            ).fit(real)
            fit_s = time.perf_counter() - t
            report = QualityReport()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                report.generate(real, gan.sample(len(real)), gan.adapter_.metadata_, verbose=False)
            print(
                f"| {batch or 'default'} | {seed} | {gan.config_.batch_size} | {gan.n_steps_} | "
                f"{fit_s:.0f} | {report.get_score():.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
