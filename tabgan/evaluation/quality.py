"""sdmetrics reports (quality, diagnostic) and its DCR privacy metrics, warnings collected."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pandas as pd

__all__ = ["dcr_metrics", "diagnostic_report", "quality_report"]

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


def dcr_metrics(
    train: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame | None,
    metadata: dict,
    notes: list[str],
    *,
    max_rows: int = 5_000,
) -> dict[str, float]:
    """sdmetrics' ``DCRBaselineProtection`` and (with a holdout) ``DCROverfittingProtection``.

    Scores are in [0, 1], higher is more private. Metrics this sdmetrics lacks are skipped.
    """
    try:
        from sdmetrics.single_table import DCRBaselineProtection, DCROverfittingProtection
    except ImportError:  # older sdmetrics
        notes.append("This sdmetrics version has no DCR metrics; skipped them.")
        return {}
    sub = min(len(synthetic), max_rows) if len(synthetic) > max_rows else None
    out = {}
    base = _collect(
        lambda: DCRBaselineProtection.compute_breakdown(
            train, synthetic, metadata, None, num_rows_subsample=sub
        ),
        notes,
        "DCRBaselineProtection",
    )
    out["sdmetrics_dcr_baseline_protection"] = float(base["score"])
    if holdout is not None:
        over = _collect(
            lambda: DCROverfittingProtection.compute_breakdown(
                train, synthetic, holdout, metadata, None, num_rows_subsample=sub
            ),
            notes,
            "DCROverfittingProtection",
        )
        out["sdmetrics_dcr_overfitting_protection"] = float(over["score"])
    return out
