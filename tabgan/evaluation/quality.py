"""sdmetrics reports (quality, diagnostic), warnings collected, and its DCR privacy scores."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .privacy import sdmetrics_dcr

__all__ = ["dcr_metrics", "diagnostic_report", "quality_report", "random_rows"]

_TABLE = "table"


def _collect(fn: Callable[[], Any], notes: list[str], what: str) -> Any:
    """Run ``fn``, turning the warnings it raises into notes (sdmetrics warns freely)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn()
    for w in caught:
        note = f"{what}: {w.category.__name__}: {w.message}"
        if note not in notes:
            notes.append(note)
    return out


def _report(kind: str, real: pd.DataFrame, synthetic: pd.DataFrame, metadata: dict) -> Any:
    from sdmetrics.reports import DiagnosticReport, QualityReport

    report = {"quality": QualityReport, "diagnostic": DiagnosticReport}[kind]()
    report.generate(
        {_TABLE: real}, {_TABLE: synthetic}, {"tables": {_TABLE: metadata}}, verbose=False
    )
    return report


def quality_report(
    real: pd.DataFrame, synthetic: pd.DataFrame, metadata: dict, notes: list[str]
) -> Any:
    """sdmetrics ``QualityReport`` (column shapes, column-pair trends), generated."""
    return _collect(lambda: _report("quality", real, synthetic, metadata), notes, "QualityReport")


def diagnostic_report(
    real: pd.DataFrame, synthetic: pd.DataFrame, metadata: dict, notes: list[str]
) -> Any:
    """sdmetrics ``DiagnosticReport`` (data validity, data structure), generated."""
    return _collect(
        lambda: _report("diagnostic", real, synthetic, metadata), notes, "DiagnosticReport"
    )


def random_rows(real: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Uniformly random rows like sdmetrics' ``DCRBaselineProtection`` baseline, seeded.

    Integers uniform over the column's range, floats and datetimes likewise, other values drawn
    from the column's distinct values; each column missing at its rate in ``real``.
    """
    out = {}
    for col in real.columns:
        s = real[col]
        present = s.dropna()
        if present.empty:
            out[col] = pd.Series([s.iloc[0]] * n, dtype=s.dtype)
            continue
        if pd.api.types.is_integer_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            values = pd.Series(rng.integers(int(present.min()), int(present.max()) + 1, size=n))
        elif pd.api.types.is_float_dtype(s.dtype):
            values = pd.Series(rng.uniform(float(present.min()), float(present.max()), size=n))
        elif pd.api.types.is_datetime64_any_dtype(s.dtype):
            lo, hi = present.min(), present.max()
            seconds = rng.uniform(0.0, (hi - lo).total_seconds(), size=n)
            values = pd.Series(lo + pd.to_timedelta(seconds, unit="s"))
        else:
            uniques = present.unique()
            values = pd.Series(uniques[rng.integers(0, len(uniques), size=n)], dtype=object)
        missing = rng.random(n) < float(s.isna().mean())
        if missing.any():
            if values.dtype.kind in "iu":
                values = values.astype(np.float64)
            values[missing] = None
        out[col] = values
    return pd.DataFrame(out)


def dcr_metrics(
    train: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame | None,
    metadata: dict,
    notes: list[str],
    *,
    max_rows: int = 10_000,
    rng: np.random.Generator,
) -> dict[str, float]:
    """sdmetrics' ``DCRBaselineProtection`` and (with a holdout) ``DCROverfittingProtection``.

    Scores are in [0, 1], higher is more private. They follow sdmetrics' definitions and its DCR
    distance (:func:`~tabgan.evaluation.privacy.sdmetrics_dcr`), computed by tabgan: sdmetrics'
    own code cross-joins pandas frames and needs minutes for a few thousand rows, and subsamples
    the training reference. Here at most ``max_rows`` synthetic rows (drawn at random) are the
    queries; ``DCRBaselineProtection`` searches all training rows, ``DCROverfittingProtection``
    compares training and holdout references of the same size (sdmetrics' design: 0.5 of rows
    closer to training is the ideal), cut at random to the smaller of the two.
    """
    queries = synthetic.iloc[_positions(len(synthetic), max_rows, rng)]
    random = random_rows(train, len(queries), rng)
    d_syn = sdmetrics_dcr(queries, train, metadata)
    d_random = sdmetrics_dcr(random, train, metadata)
    random_median = float(np.median(d_random))
    out = {
        "sdmetrics_dcr_baseline_protection": (
            min(float(np.median(d_syn)) / random_median, 1.0) if random_median > 0 else np.nan
        )
    }
    if holdout is not None:
        m = min(len(train), len(holdout))
        ref_train = train.iloc[_positions(len(train), m, rng)]
        ref_hold = holdout.iloc[_positions(len(holdout), m, rng)]
        closer = np.mean(
            sdmetrics_dcr(queries, ref_train, metadata) < sdmetrics_dcr(queries, ref_hold, metadata)
        )
        out["sdmetrics_dcr_overfitting_protection"] = min((1.0 - float(closer)) * 2.0, 1.0)
    if len(queries) < len(synthetic):
        notes.append(
            f"sdmetrics DCR scores: {len(queries)} of {len(synthetic)} synthetic rows drawn at "
            f"random (max_rows={max_rows}), computed by tabgan with sdmetrics' distance."
        )
    return out


def _positions(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    return np.arange(n) if n <= k else np.sort(rng.choice(n, k, replace=False))
