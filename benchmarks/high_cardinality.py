"""Memory of a high-cardinality categorical column: pooled rare values against one slot each.

A table of ``--rows`` rows with a ``--categories``-value categorical (Zipf-like frequencies),
two numeric columns and a small categorical. Prints the encoded width and the size of the
float32 training tensor with the default ``max_categories=100`` (rare values pooled into one
"other" slot) and with pooling off (``max_categories`` above the number of values).

    python benchmarks/high_cardinality.py --rows 200000 --categories 5000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from _common import md_header, md_row, peak_rss_mb, set_threads

from tabgan.plugins.tabular import TabularAdapter


def table(rows: int, categories: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, categories + 1)
    return pd.DataFrame(
        {
            "city": rng.choice([f"city_{i}" for i in range(categories)], rows, p=p / p.sum()),
            "age": rng.integers(18, 90, rows),
            "income": rng.lognormal(10, 1, rows),
            "segment": rng.choice(["a", "b", "c"], rows),
        }
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--categories", type=int, default=5_000)
    parser.add_argument("--encode-unpooled", action="store_true", help="allocate it too")
    args = parser.parse_args(argv)
    threads = set_threads(1)
    df = table(args.rows, args.categories)
    n_values = df["city"].nunique()
    print(f"torch threads: {threads}; {args.rows:,} rows; city has {n_values:,} values")
    columns = [
        "max_categories",
        "encoded width",
        "training tensor (MiB)",
        "encoder fit + encode (s)",
    ]
    print("\n".join(md_header(columns)))
    for max_categories in (100, n_values + 1):
        t = time.perf_counter()
        adapter = TabularAdapter(max_categories=max_categories)
        adapter.fit(df, rng=np.random.default_rng(0))
        pooled = max_categories <= n_values
        if pooled or args.encode_unpooled:
            x = adapter.encode(df)
            width, mib = x.shape[1], x.numel() * x.element_size() / 2**20
            note = ""
            del x
        else:  # width from a few rows; the full tensor would be rows x width float32
            width = adapter.encode(df.head(8)).shape[1]
            mib, note = args.rows * width * 4 / 2**20, " (computed, not allocated)"
        secs = time.perf_counter() - t
        print(md_row([f"{max_categories:,}", f"{width:,}", f"{mib:,.0f}{note}", f"{secs:.1f}"]))
    print(f"peak RSS of this process: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
