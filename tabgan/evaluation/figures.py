"""The report's matplotlib figures, drawn with the object API (no pyplot state, headless-safe)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .privacy import MemorizationResult

__all__ = [
    "correlation_difference",
    "dcr_histogram",
    "distributions",
    "loss_history",
    "numeric_columns",
]

REAL, SYNTH = "#1f77b4", "#ff7f0e"


def numeric_columns(metadata: dict[str, Any], columns: list[Any]) -> list[Any]:
    return [c for c in columns if metadata["columns"][c]["sdtype"] in ("numerical", "datetime")]


def _numbers(s: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        v = s.dropna().astype("int64").to_numpy(np.float64)
    else:
        v = pd.to_numeric(s, errors="coerce").dropna().to_numpy(np.float64)
    return v


def distributions(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    metadata: dict[str, Any],
    *,
    max_columns: int = 24,
    max_categories: int = 12,
) -> Figure:
    """One panel per column: overlaid density histograms or side-by-side category shares."""
    cols = [c for c in real.columns if metadata["columns"][c]["sdtype"] != "id"][:max_columns]
    ncols = min(4, max(len(cols), 1))
    nrows = int(np.ceil(len(cols) / ncols)) or 1
    fig = Figure(figsize=(3.4 * ncols, 2.6 * nrows))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for ax, col in zip(axes, cols):
        if metadata["columns"][col]["sdtype"] in ("numerical", "datetime"):
            r, s = _numbers(real[col]), _numbers(synthetic[col])
            both = np.concatenate([r, s])
            if both.size and np.ptp(both) > 0:
                bins = np.histogram_bin_edges(both, bins=30)
                ax.hist(r, bins=bins, density=True, alpha=0.55, color=REAL, label="real")
                ax.hist(s, bins=bins, density=True, alpha=0.55, color=SYNTH, label="synthetic")
        else:
            rs = real[col].astype(object).where(real[col].notna(), "<NA>").astype(str)
            ss = synthetic[col].astype(object).where(synthetic[col].notna(), "<NA>").astype(str)
            rv, sv = rs.value_counts(normalize=True), ss.value_counts(normalize=True)
            cats = rv.index[:max_categories].tolist()
            x = np.arange(len(cats))
            ax.bar(x - 0.2, rv.reindex(cats).fillna(0), 0.4, color=REAL, label="real")
            ax.bar(x + 0.2, sv.reindex(cats).fillna(0), 0.4, color=SYNTH, label="synthetic")
            ax.set_xticks(x)
            ax.set_xticklabels([c[:10] for c in cats], rotation=45, ha="right", fontsize=7)
        ax.set_title(str(col)[:30], fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes[len(cols) :]:
        ax.set_visible(False)
    if cols:
        axes[0].legend(fontsize=7)
    fig.suptitle("Per-column distributions: real vs synthetic")
    fig.tight_layout()
    return fig


def _corr(frame: pd.DataFrame, cols: list[Any]) -> pd.DataFrame:
    data = pd.DataFrame({c: pd.Series(_numbers_keep(frame[c])) for c in cols})
    return data.corr()


def _numbers_keep(s: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        out = s.astype("int64").to_numpy(np.float64)
        out[s.isna().to_numpy()] = np.nan
        return out
    return pd.to_numeric(s, errors="coerce").to_numpy(np.float64, na_value=np.nan)


def correlation_difference(
    real: pd.DataFrame, synthetic: pd.DataFrame, metadata: dict[str, Any]
) -> Figure | None:
    """Heat map of |Pearson(real) - Pearson(synthetic)| over the numeric columns (None if < 2)."""
    cols = numeric_columns(metadata, list(real.columns))
    if len(cols) < 2:
        return None
    diff = (_corr(real, cols) - _corr(synthetic, cols)).abs().to_numpy()
    size = min(3 + 0.35 * len(cols), 12)
    fig = Figure(figsize=(size + 1.2, size))
    ax = fig.subplots()
    im = ax.imshow(diff, vmin=0, vmax=1, cmap="magma_r")
    labels = [str(c)[:18] for c in cols]
    ax.set_xticks(range(len(cols)))
    ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(len(cols)))
    ax.set_yticklabels(labels, fontsize=7)
    fig.colorbar(im, ax=ax, label="|corr real - corr synthetic|")
    ax.set_title(f"Correlation difference (mean {np.nanmean(diff):.3f})")
    fig.tight_layout()
    return fig


def dcr_histogram(result: MemorizationResult) -> Figure:
    """Overlaid histograms of synthetic DCR and the real baseline DCR."""
    fig = Figure(figsize=(7, 3.6))
    ax = fig.subplots()
    both = np.concatenate([result.dcr_synthetic, result.dcr_baseline])
    bins: Any = np.histogram_bin_edges(both, bins=40) if np.ptp(both) > 0 else 10
    ax.hist(
        result.dcr_baseline,
        bins=bins,
        alpha=0.55,
        density=True,
        color=REAL,
        label=f"baseline: {result.baseline}",
    )
    ax.hist(
        result.dcr_synthetic,
        bins=bins,
        alpha=0.55,
        density=True,
        color=SYNTH,
        label="synthetic rows to training rows",
    )
    ax.set_xlabel("distance to closest training record (scaled, one-hot)")
    ax.set_ylabel("density")
    ax.set_title(
        f"DCR: exact copies {result.exact_copy_share:.1%} (baseline "
        f"{result.baseline_copy_share:.1%}), median ratio {result.dcr_ratio:.2f}"
        + ("  [FLAGGED]" if result.flagged else "")
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def loss_history(history: pd.DataFrame) -> Figure | None:
    """The synthesizer's losses per epoch (None when the history is empty)."""
    if history is None or history.empty or "epoch" not in history:
        return None
    cols = [c for c in history.columns if c not in ("epoch", "step", "seconds")]
    if not cols:
        return None
    fig = Figure(figsize=(7, 1.9 * len(cols) + 0.6))
    axes = np.atleast_1d(fig.subplots(len(cols), 1, sharex=True, squeeze=False)).ravel()
    for ax, col in zip(axes, cols):
        ax.plot(history["epoch"], history[col], lw=1.2)
        ax.set_ylabel(col, fontsize=8)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("epoch")
    fig.suptitle("Training loss history")
    fig.tight_layout()
    return fig
