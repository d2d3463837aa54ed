"""Small tables: the default (adaptive) batch against a fixed batch larger than the table.

With ``batch_size`` left to the default, data under ``4 * batch_size`` rows get a batch of about
``rows / 4`` so an epoch is at least 4 steps; a fixed batch of 500 on the 344-row penguins table
trains one step per epoch. Prints steps, fit time and the sdmetrics quality score per seed.

    python benchmarks/small_table.py --seeds 0 1
"""

from __future__ import annotations

import argparse
import time

from _common import md_header, md_row, quality_scores, set_threads
from palmerpenguins import load_penguins

from tabgan import GANSynthesizer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--epochs", type=int, default=300)
    args = parser.parse_args(argv)
    threads = set_threads(1)
    real = load_penguins()
    print(f"torch threads: {threads}; penguins {real.shape}; {args.epochs} epochs")
    columns = ["batch_size", "seed", "batch used", "steps", "fit (s)", "sdmetrics quality"]
    print("\n".join(md_header(columns)))
    for batch in (None, 500):
        for seed in args.seeds:
            t = time.perf_counter()
            gan = GANSynthesizer(
                epochs=args.epochs, batch_size=batch, random_state=seed, verbose=False
            ).fit(real)
            fit_s = time.perf_counter() - t
            scores = quality_scores(real, gan.sample(len(real)), gan.adapter_.metadata_)
            cells = [batch or "default", seed, gan.config_.batch_size, gan.n_steps_]
            print(md_row([*cells, f"{fit_s:.0f}", f"{scores['quality']:.3f}"]), flush=True)


if __name__ == "__main__":
    main()
