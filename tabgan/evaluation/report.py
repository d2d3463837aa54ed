"""`Report`: the scores of one evaluation, as attributes, a DataFrame, figures and HTML."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from . import figures
from .privacy import MemorizationResult

__all__ = ["Report"]


@dataclass
class Report:
    """What :func:`~tabgan.evaluation.evaluate` measured.

    Attributes
    ----------
    quality_score : float
        sdmetrics ``QualityReport`` overall score in [0, 1] (higher: closer to the real data).
    column_shapes, column_pair_trends : float
        Its two properties.
    diagnostic_score : float
        sdmetrics ``DiagnosticReport`` score (data validity and structure).
    column_quality : pandas.DataFrame
        Per-column shape scores (column, metric, score).
    task : str or None
        ``"classification"`` or ``"regression"`` when a ``target`` was given.
    ml_efficacy : pandas.DataFrame or None
        Metrics on the real holdout of a model trained on real vs on synthetic rows.
    memorization : MemorizationResult
        DCR arrays, exact-copy shares and the ``flagged`` verdict.
    privacy : dict
        sdmetrics' DCR metrics (``DCRBaselineProtection``, ``DCROverfittingProtection``).
    privacy_risk : dict or None
        With ``evaluate(..., privacy_risk=True)``: ``membership_auc`` (the distance-to-closest
        record attack's ROC AUC on training vs holdout rows) and, with anonymeter installed,
        ``singling_out_risk``, ``linkability_risk``, ``inference_risk`` (and the upper ends of
        their 95% intervals).
    differential_privacy : dict or None
        The synthesizer's differential-privacy record (``GANSynthesizer.privacy_``: the
        epsilon spent, the target, delta...) when it was passed and trained with DP.
    notes : list of str
        Warnings raised on the way and caveats (subsampling, missing holdout).
    """

    quality_score: float
    column_shapes: float
    column_pair_trends: float
    diagnostic_score: float
    column_quality: pd.DataFrame
    memorization: MemorizationResult
    privacy: dict[str, float]
    metadata: dict[str, Any]
    real: pd.DataFrame = field(repr=False)
    synthetic: pd.DataFrame = field(repr=False)
    task: str | None = None
    target: Any = None
    ml_efficacy: pd.DataFrame | None = None
    history: pd.DataFrame | None = field(default=None, repr=False)
    notes: list[str] = field(default_factory=list)
    privacy_risk: dict[str, float] | None = None
    differential_privacy: dict[str, Any] | None = None

    # -- scores -------------------------------------------------------------------------------
    @property
    def exact_copy_share(self) -> float:
        """Share of all synthetic rows equal to some training row (by value; ids ignored)."""
        return self.memorization.exact_copy_share

    @property
    def memorization_flagged(self) -> bool:
        """True when the synthetic rows look copied from the training rows."""
        return self.memorization.flagged

    def summary(self) -> dict[str, Any]:
        """The headline scores as a flat dict."""
        m = self.memorization
        out: dict[str, Any] = {
            "quality_score": self.quality_score,
            "column_shapes": self.column_shapes,
            "column_pair_trends": self.column_pair_trends,
            "diagnostic_score": self.diagnostic_score,
            "median_dcr_synthetic": m.median_dcr_synthetic,
            "median_dcr_baseline": m.median_dcr_baseline,
            "dcr_ratio": m.dcr_ratio,
            "exact_copy_share": m.exact_copy_share,
            "baseline_copy_share": m.baseline_copy_share,
            "closer_to_training_share": m.closer_to_training_share,
            "memorization_flagged": m.flagged,
            **self.privacy,
        }
        if self.ml_efficacy is not None:
            for metric, row in self.ml_efficacy.iterrows():
                out[f"ml_{metric}_real"] = row["real"]
                out[f"ml_{metric}_synthetic"] = row["synthetic"]
        out.update(self.privacy_risk or {})
        if self.differential_privacy is not None:
            dp = self.differential_privacy
            out["dp_epsilon"] = dp.get("epsilon")
            out["dp_target_epsilon"] = dp.get("target_epsilon")
            out["dp_delta"] = dp.get("delta")
        return out

    def to_frame(self) -> pd.DataFrame:
        """All headline scores as a DataFrame with columns ``section``, ``metric``, ``value``."""
        rows = []
        for key, value in self.summary().items():
            if key.startswith("ml_"):
                section = "ml_efficacy"
            elif key.startswith("dp_"):
                section = "differential_privacy"
            elif key in (self.privacy_risk or {}):
                section = "privacy_risk"
            elif key in ("quality_score", "column_shapes", "column_pair_trends"):
                section = "quality"
            elif key == "diagnostic_score":
                section = "diagnostic"
            else:
                section = "memorization"
            rows.append({"section": section, "metric": key, "value": value})
        return pd.DataFrame(rows)

    def __str__(self) -> str:
        lines = [f"tabgan evaluation ({len(self.real)} real rows, {len(self.synthetic)} synthetic)"]
        for key, value in self.summary().items():
            shown = f"{value:.4f}" if isinstance(value, float) else str(value)
            lines.append(f"  {key:<38} {shown}")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)

    # -- figures ------------------------------------------------------------------------------
    def plot(self) -> dict[str, Figure]:
        """The report's figures by name: ``distributions``, ``correlation_difference`` (with 2+
        numeric columns), ``dcr`` and ``loss_history`` (when a fitted synthesizer was passed).
        Each is a ``matplotlib.figure.Figure``; save one with ``fig.savefig(path)``.
        """
        out: dict[str, Figure | None] = {
            "distributions": figures.distributions(self.real, self.synthetic, self.metadata),
            "correlation_difference": figures.correlation_difference(
                self.real, self.synthetic, self.metadata
            ),
            "dcr": figures.dcr_histogram(self.memorization),
            "loss_history": (
                figures.loss_history(self.history) if self.history is not None else None
            ),
        }
        return {k: v for k, v in out.items() if v is not None}

    def to_html(self, path: str | Path) -> Path:
        """Write one self-contained HTML file (figures embedded as base64 PNG); returns its path."""
        from .html_report import render

        path = Path(path)
        if path.suffix.lower() not in (".html", ".htm"):
            raise ValueError(f"The report path must end in .html, got {str(path)!r}.")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(self), encoding="utf-8")
        return path


def _fmt(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return "n/a" if not np.isfinite(value) else f"{value:.4f}"
    return str(value)
