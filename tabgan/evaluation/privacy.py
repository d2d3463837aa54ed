"""Memorization checks: exact copies, distance to the closest training record (DCR).

Exact copies are found by row equality, not by distance: every row is reduced to one 64-bit hash
of its normalised values (:func:`row_hashes`) and each synthetic row is looked up among the
hashes of *all* training rows. A row that is merely very close in some scaled space is not a copy.
What counts as equal is defined once, in :mod:`tabgan.estimator.memorization`, for these counts
and for the memorization guard ``GANSynthesizer.sample(..., drop_copies=True)`` alike.

DCR works in one numeric space fitted on the training rows: numbers and datetimes are min-max
scaled to [0, 1] by the training range with a missing-value indicator, categorical and boolean
columns are one-hot (a mismatch adds 1 to the squared distance), id columns are dropped. Each query
row is searched against *all* training rows with scikit-learn's ``NearestNeighbors``; only the
query rows may be subsampled (a smaller reference would bias every distance upward).

:func:`sdmetrics_dcr` is sdmetrics' own DCR distance (the mean over columns of a range-scaled
absolute difference capped at 1, or a 0/1 category mismatch), computed in chunks with NumPy
instead of sdmetrics' pandas cross joins, which take minutes on tables of a few thousand rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

from tabgan.estimator.memorization import as_text, row_hashes

__all__ = [
    "MemorizationResult",
    "MixedEncoder",
    "distance_to_closest",
    "memorization",
    "row_hashes",
    "sdmetrics_dcr",
]

_ONE_HOT_MAX = 64  # wider category columns are compared code by code in sdmetrics_dcr


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
                finite = np.isfinite(v)
                lo = float(v[finite].min()) if finite.any() else 0.0
                hi = float(v[finite].max()) if finite.any() else 1.0
                self.numeric_[col] = (lo, hi - lo if hi > lo else 1.0)
            else:
                self.categories_[col] = sorted(set(as_text(data[col])))
        return self

    def transform(self, data: pd.DataFrame) -> np.ndarray:
        blocks = []
        for col, (lo, span) in self.numeric_.items():
            v = (_as_float(data[col]) - lo) / span
            missing = np.isnan(v)
            blocks.append(np.where(missing, 0.0, v)[:, None])
            blocks.append(missing[:, None].astype(np.float64))
        for col, cats in self.categories_.items():
            codes = pd.Categorical(as_text(data[col]), categories=cats).codes
            onehot = np.zeros((len(data), len(cats)))
            seen = codes >= 0
            onehot[np.flatnonzero(seen), codes[seen]] = np.sqrt(0.5)
            blocks.append(onehot)
        if not blocks:
            raise ValueError("No column to compare rows on: every column is an id.")
        return np.concatenate(blocks, axis=1)


def _as_float(s: pd.Series) -> np.ndarray:
    """Numbers as float64; datetimes as nanoseconds since the epoch (whatever their unit)."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        out = s.dt.as_unit("ns").astype("int64").to_numpy(np.float64)
        out[s.isna().to_numpy()] = np.nan
        return out
    return pd.to_numeric(s, errors="coerce").to_numpy(np.float64, na_value=np.nan)


def distance_to_closest(
    queries: np.ndarray,
    reference: np.ndarray,
    *,
    exclude_self: bool = False,
    positions: np.ndarray | None = None,
) -> np.ndarray:
    """Euclidean distance of each query row to its nearest reference row.

    With ``exclude_self`` the queries are reference rows and the nearest *other* row is used: the
    query ``i`` is row ``positions[i]`` of ``reference`` (default: row ``i``).
    """
    k = 2 if exclude_self else 1
    k = min(k, len(reference))
    nn = NearestNeighbors(n_neighbors=k).fit(reference)
    _, idx = nn.kneighbors(queries)
    nearest = idx[:, 0]
    if exclude_self and k == 2:
        own = np.arange(len(queries)) if positions is None else np.asarray(positions)
        nearest = np.where(idx[:, 0] == own, idx[:, 1], idx[:, 0])
    # Recompute the distance directly: brute-force search uses the |a|^2 - 2ab + |b|^2 form,
    # whose rounding turns an exact copy into ~1e-8.
    return np.linalg.norm(queries - reference[nearest], axis=1)


# -- sdmetrics' DCR distance, vectorized ----------------------------------------------------------
def sdmetrics_dcr(
    dataset: pd.DataFrame,
    reference: pd.DataFrame,
    metadata: dict[str, Any],
    *,
    chunk_elements: int = 1 << 21,
) -> np.ndarray:
    """Distance of each ``dataset`` row to its closest ``reference`` row, as sdmetrics defines it.

    The same numbers as ``sdmetrics.single_table.privacy.dcr_utils.calculate_dcr``: per column a
    numerical or datetime difference divided by the reference's range and capped at 1 (0/1 when
    that range is 0), a categorical or boolean mismatch 0/1, missing vs present 1 and missing vs
    missing 0; the mean over those columns, minimized over all reference rows. Id columns are
    ignored. Memory is bounded by ``chunk_elements`` query-reference pairs at a time; sums are
    float32 (distances agree with sdmetrics' to about 1e-6).
    """
    cols = [
        c
        for c in reference.columns
        if metadata["columns"][c]["sdtype"] in ("numerical", "datetime", "categorical", "boolean")
    ]
    if not cols:
        raise ValueError("There are no overlapping statistical columns to measure.")
    n_q, n_r = len(dataset), len(reference)
    scaled_q, scaled_r = [], []  # float32 numbers, the reference's scaled to [0, 1]
    unit_r = []  # whether every reference value of the column is in [0, 1] (none missing)
    nan_q, nan_r = [], []
    cat_q, cat_r = [], []  # integer codes per category-like column (-1: not in the reference)
    widths = []
    for col in cols:
        sdtype = metadata["columns"][col]["sdtype"]
        if sdtype in ("numerical", "datetime"):
            q, r = _as_float(dataset[col]), _as_float(reference[col])
            finite = r[np.isfinite(r)]
            span = float(finite.max() - finite.min()) if finite.size else 0.0
            if span > 0:
                lo = float(finite.min())
                with np.errstate(invalid="ignore"):  # inf - inf
                    scaled_q.append(((q - lo) / span).astype(np.float32))
                    scaled_r.append(((r - lo) / span).astype(np.float32))
                unit_r.append(bool(np.all((scaled_r[-1] >= 0) & (scaled_r[-1] <= 1))))
                nan_q.append(np.isnan(q))
                nan_r.append(np.isnan(r))
                continue
            # a constant (or all-missing) reference column: 0 when equal, else 1 - a category
            qt = np.where(np.isnan(q), "nan", q.astype(str))
            rt = np.where(np.isnan(r), "nan", r.astype(str))
        else:
            qt, rt = as_text(dataset[col]), as_text(reference[col])
        keys, r_codes = np.unique(rt, return_inverse=True)
        pos = np.searchsorted(keys, qt)
        pos_c = np.minimum(pos, len(keys) - 1)
        cat_q.append(np.where(keys[pos_c] == qt, pos_c, -1))
        cat_r.append(r_codes.reshape(-1))
        widths.append(len(keys))
    # category matches: one matrix product of one-hot codes for the narrow columns, a direct
    # comparison for wide ones; both-missing numbers are counted by a matrix product too
    narrow = [i for i, w in enumerate(widths) if w <= _ONE_HOT_MAX]
    wide = [i for i, w in enumerate(widths) if w > _ONE_HOT_MAX]
    oh_q = _one_hot([cat_q[i] for i in narrow], [widths[i] for i in narrow], n_q)
    oh_r = _one_hot([cat_r[i] for i in narrow], [widths[i] for i in narrow], n_r).T.copy()
    nn_q = np.stack(nan_q, axis=1).astype(np.float32) if nan_q else np.zeros((n_q, 0), np.float32)
    nn_r = np.stack(nan_r, axis=1).astype(np.float32) if nan_r else np.zeros((n_r, 0), np.float32)
    has_nan = bool(nn_q.any() and nn_r.any())
    step = max(1, chunk_elements // max(n_r, 1))
    out = np.empty(n_q)
    buf = np.empty((step, n_r), np.float32)
    for start in range(0, n_q, step):
        stop = min(start + step, n_q)
        total = np.full((stop - start, n_r), float(len(cat_q)), np.float32)
        if narrow:
            total -= oh_q[start:stop] @ oh_r
        for i in wide:
            total -= cat_q[i][start:stop, None] == cat_r[i][None, :]
        if has_nan:  # fmin below counts missing-vs-anything as 1; both missing is 0
            total -= nn_q[start:stop] @ nn_r.T
        b = buf[: stop - start]
        for q, r, unit in zip(scaled_q, scaled_r, unit_r):
            qc = q[start:stop]
            with np.errstate(invalid="ignore"):  # inf - inf
                np.subtract(qc[:, None], r[None, :], out=b)
            np.abs(b, out=b)
            if not (unit and np.all((qc >= 0) & (qc <= 1))):  # else |q - r| <= 1 already
                np.fmin(b, 1.0, out=b)  # NaN (a missing side) becomes 1
            total += b
        out[start:stop] = total.min(axis=1)
    return out / len(cols)


def _one_hot(codes: list[np.ndarray], widths: list[int], n: int) -> np.ndarray:
    """Concatenated one-hot blocks of integer codes in ``[0, width)`` (-1: an all-zero block)."""
    out = np.zeros((n, sum(widths)), np.float32)
    offset = 0
    for c, w in zip(codes, widths):
        seen = c >= 0
        out[np.flatnonzero(seen), offset + c[seen]] = 1.0
        offset += w
    return out


# -- memorization ----------------------------------------------------------------------------------
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
    n_exact_copies: int = 0

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


def _sample_positions(n: int, max_rows: int, rng: np.random.Generator) -> np.ndarray:
    """All positions, or ``max_rows`` of them at random (sorted)."""
    if n <= max_rows:
        return np.arange(n)
    return np.sort(rng.choice(n, max_rows, replace=False))


def memorization(
    train: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame | None,
    metadata: dict[str, Any],
    *,
    max_rows: int = 10_000,
    rng: np.random.Generator,
) -> MemorizationResult:
    """Exact-copy shares and the DCR of synthetic rows to training rows vs a real baseline.

    Exact copies are counted over *all* synthetic rows against *all* training rows by row
    equality (:func:`row_hashes`); the baseline share is that of the holdout rows, or without a
    holdout the share of training rows that have an identical other training row. The DCR
    baseline is the DCR of holdout rows to the training rows; without a holdout each training
    row's distance to its nearest *other* training row. At most ``max_rows`` query rows of each
    frame are drawn at random for the DCR, each searched against all training rows.
    """
    notes = []
    h_train, h_syn, *h_hold = row_hashes(
        [train, synthetic] + ([holdout] if holdout is not None else []), metadata
    )
    is_copy = np.isin(h_syn, h_train)
    enc = MixedEncoder(metadata).fit(train)
    x_train = enc.transform(train)
    syn_pos = _sample_positions(len(synthetic), max_rows, rng)
    x_syn = enc.transform(synthetic.iloc[syn_pos])
    dcr_syn = distance_to_closest(x_syn, x_train)
    closer = None
    if holdout is not None:
        base_copy = float(np.mean(np.isin(h_hold[0], h_train)))
        x_hold = enc.transform(holdout)
        hold_pos = _sample_positions(len(holdout), max_rows, rng)
        dcr_base = distance_to_closest(x_hold[hold_pos], x_train)
        baseline = "holdout rows to training rows"
        # Share of synthetic rows nearer to training than to holdout rows, with both references
        # cut to the same size so that 50% is the ideal.
        m = min(len(x_train), len(x_hold))
        ref_train = x_train[rng.choice(len(x_train), m, replace=False)]
        ref_hold = x_hold[rng.choice(len(x_hold), m, replace=False)]
        d_train = distance_to_closest(x_syn, ref_train)
        d_hold = distance_to_closest(x_syn, ref_hold)
        ties = d_train == d_hold
        closer = float(np.mean(np.where(ties, 0.5, d_train < d_hold)))
        n_base = len(hold_pos)
    else:
        base_copy = float(np.mean(pd.Series(h_train).duplicated(keep=False).to_numpy()))
        train_pos = _sample_positions(len(train), max_rows, rng)
        dcr_base = distance_to_closest(
            x_train[train_pos], x_train, exclude_self=True, positions=train_pos
        )
        baseline = "training rows to their nearest other training row"
        notes.append("No holdout given: the DCR baseline is within-training nearest neighbours.")
        n_base = len(train_pos)
    if len(syn_pos) < len(synthetic) or n_base < len(holdout if holdout is not None else train):
        notes.append(
            f"DCR: {len(syn_pos)} synthetic and {n_base} baseline query rows drawn at random "
            f"(max_rows={max_rows}), each searched against all {len(train)} training rows. "
            f"Exact copies are counted over all {len(synthetic)} synthetic rows."
        )
    return MemorizationResult(
        dcr_synthetic=dcr_syn,
        dcr_baseline=dcr_base,
        baseline=baseline,
        exact_copy_share=float(np.mean(is_copy)),
        baseline_copy_share=base_copy,
        closer_to_training_share=closer,
        notes=notes,
        n_exact_copies=int(is_copy.sum()),
    )
