"""Memorization checks: distance to the closest training record (DCR) and exact copies.

Rows are encoded into one numeric space fitted on the training rows: numbers and datetimes are
min-max scaled to [0, 1] by the training range with a missing-value indicator, categorical and
boolean columns are one-hot (a mismatch adds 1 to the squared distance), id columns are dropped.
Nearest neighbours come from scikit-learn's ``NearestNeighbors`` (vectorized, tree or brute).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

__all__ = ["MixedEncoder", "MemorizationResult", "distance_to_closest", "memorization"]

#: Distances at or under this count as an exact copy of a training row.
COPY_TOLERANCE = 1e-8


class MixedEncoder:
    """Encode a mixed-type frame as floats, fitted on the training rows (see module doc)."""

    def __init__(self, metadata: dict[str, Any]) -> None:
        self.metadata = metadata

    def fit(self, data: pd.DataFrame) -> MixedEncoder:
        self.numeric_: dict[Any, tuple[float, float]] = {}
        self.categories_: dict[Any, list[str]] = {}
        for col in data.columns:
            sdtype = self.metadata["columns"][col]["sdtype"]
            if sdtype == "id":
                continue
            if sdtype in ("numerical", "datetime"):
                v = _as_float(data[col])
                lo = float(np.nanmin(v)) if np.isfinite(v).any() else 0.0
                hi = float(np.nanmax(v)) if np.isfinite(v).any() else 1.0
                self.numeric_[col] = (lo, hi - lo if hi > lo else 1.0)
            else:
                self.categories_[col] = sorted(set(_as_text(data[col])))
        return self

    def transform(self, data: pd.DataFrame) -> np.ndarray:
        blocks = []
        for col, (lo, span) in self.numeric_.items():
            v = (_as_float(data[col]) - lo) / span
            missing = np.isnan(v)
            blocks.append(np.where(missing, 0.0, v)[:, None])
            blocks.append(missing[:, None].astype(np.float64))
        for col, cats in self.categories_.items():
            codes = pd.Categorical(_as_text(data[col]), categories=cats).codes
            onehot = np.zeros((len(data), len(cats)))
            seen = codes >= 0
            onehot[np.flatnonzero(seen), codes[seen]] = np.sqrt(0.5)
            blocks.append(onehot)
        if not blocks:
            raise ValueError("No column to compare rows on: every column is an id.")
        return np.concatenate(blocks, axis=1)


def _as_float(s: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        out = s.astype("int64").to_numpy(np.float64)
        out[s.isna().to_numpy()] = np.nan
        return out
    return pd.to_numeric(s, errors="coerce").to_numpy(np.float64, na_value=np.nan)


def _as_text(s: pd.Series) -> np.ndarray:
    return s.astype(object).where(s.notna(), "<NA>").astype(str).to_numpy()


def distance_to_closest(
    queries: np.ndarray, reference: np.ndarray, *, exclude_self: bool = False
) -> np.ndarray:
    """Euclidean distance of each query row to its nearest reference row.

    With ``exclude_self`` (queries are the reference rows) the nearest *other* row is used.
    """
    k = 2 if exclude_self else 1
    nn = NearestNeighbors(n_neighbors=min(k, len(reference))).fit(reference)
    _, idx = nn.kneighbors(queries)
    # Recompute the distance directly: brute-force search uses the |a|^2 - 2ab + |b|^2 form,
    # whose rounding turns an exact copy into ~1e-8.
    return np.linalg.norm(queries - reference[idx[:, -1]], axis=1)


@dataclass
class MemorizationResult:
    """DCR figures of the synthetic rows, against a baseline of real rows."""

    dcr_synthetic: np.ndarray
    dcr_baseline: np.ndarray
    baseline: str
    exact_copy_share: float
    baseline_copy_share: float
    closer_to_training_share: float | None
    notes: list[str] = field(default_factory=list)

    @property
    def median_dcr_synthetic(self) -> float:
        return float(np.median(self.dcr_synthetic))

    @property
    def median_dcr_baseline(self) -> float:
        return float(np.median(self.dcr_baseline))

    @property
    def dcr_ratio(self) -> float:
        """Median synthetic DCR over median baseline DCR (near 0: copies; near 1: fine)."""
        base = self.median_dcr_baseline
        return float(self.median_dcr_synthetic / base) if base > 0 else float("nan")

    @property
    def flagged(self) -> bool:
        """True when the synthetic rows sit much closer to the training rows than real rows do."""
        more_copies = self.exact_copy_share > self.baseline_copy_share + 0.05
        ratio = self.dcr_ratio
        too_close = bool(np.isfinite(ratio) and ratio < 0.5)
        return bool(more_copies or too_close)


def _subsample(frame: pd.DataFrame, max_rows: int, rng: np.random.Generator) -> pd.DataFrame:
    if len(frame) <= max_rows:
        return frame
    return frame.iloc[np.sort(rng.choice(len(frame), max_rows, replace=False))]


def memorization(
    train: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame | None,
    metadata: dict[str, Any],
    *,
    max_rows: int = 10_000,
    rng: np.random.Generator,
) -> MemorizationResult:
    """DCR of synthetic rows to training rows vs a real baseline, and exact-copy shares.

    The baseline is the DCR of holdout rows to the training rows; without a holdout it is
    each training row's distance to its nearest *other* training row. Each frame is subsampled
    to ``max_rows`` rows (the training reference too) to bound time and memory.
    """
    notes = []
    if len(train) > max_rows or len(synthetic) > max_rows:
        notes.append(f"DCR computed on at most {max_rows} rows of each frame.")
    train_s = _subsample(train, max_rows, rng)
    enc = MixedEncoder(metadata).fit(train_s)
    x_train = enc.transform(train_s)
    x_syn = enc.transform(_subsample(synthetic, max_rows, rng))
    dcr_syn = distance_to_closest(x_syn, x_train)
    closer = None
    if holdout is not None:
        x_hold = enc.transform(_subsample(holdout, max_rows, rng))
        dcr_base = distance_to_closest(x_hold, x_train)
        baseline = "holdout rows to training rows"
        # Share of synthetic rows nearer to training than to holdout rows, with the training
        # reference cut to the holdout's size so 50% is the ideal.
        m = min(len(x_train), len(x_hold))
        ref_train = x_train[rng.choice(len(x_train), m, replace=False)]
        ref_hold = x_hold[rng.choice(len(x_hold), m, replace=False)]
        d_train = distance_to_closest(x_syn, ref_train)
        d_hold = distance_to_closest(x_syn, ref_hold)
        ties = d_train == d_hold
        closer = float(np.mean(np.where(ties, 0.5, d_train < d_hold)))
    else:
        dcr_base = distance_to_closest(x_train, x_train, exclude_self=True)
        baseline = "training rows to their nearest other training row"
        notes.append("No holdout given: the DCR baseline is within-training nearest neighbours.")
    return MemorizationResult(
        dcr_synthetic=dcr_syn,
        dcr_baseline=dcr_base,
        baseline=baseline,
        exact_copy_share=float(np.mean(dcr_syn <= COPY_TOLERANCE)),
        baseline_copy_share=float(np.mean(dcr_base <= COPY_TOLERANCE)),
        closer_to_training_share=closer,
        notes=notes,
    )
