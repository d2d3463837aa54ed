"""The tabular encoding learned under differential privacy.

What the encoders learn from a table (category sets and frequencies for training-by-sampling,
numeric bounds, mixture modes, decimals) is released here through the Gaussian mechanism,
from the preprocessing share of the budget (:class:`~tabgan.engine.privacy.PreprocessingBudget`),
or taken from public metadata at no cost. The record returned says which, per column; it is
saved with the model (``adapter.privacy_``, ``metadata_["privacy"]``).

**Public** (not protected): the column names and order, the dtypes (with a pandas
``category`` dtype's categories), the sdtypes (from the dtypes, or as declared in
``metadata``: under DP a column is an ``id`` only when declared) and what ``metadata``
declares per column: ``{"values": [...]}`` for a discrete column's domain, ``{"min": ...,
"max": ...}`` for a numerical or datetime column's range. The number of rows is public too
(as in Opacus).

**Released with noise**, in two rounds (a row adds at most 1 to each histogram, so each
round's L2 sensitivity is ``sqrt(k)`` for its ``k`` histograms; the noise std is the round's
noise multiplier times that):

1. each discrete column's value counts. With a public domain, counts over it (values outside
   it, and bools, go to an "other" slot). Without, *partition selection* (Korolova et al.
   2009; Gopi et al. 2020 in its Gaussian form): the observed values' noisy counts, and a value
   is kept only when its noisy count passes a threshold set so that a value held by a single
   row is released with probability at most ``threshold_delta`` over all columns. Rare values
   are thus never revealed; their rows encode to the column's "other" slot, which decodes to
   a released value by its noisy frequency. Each numeric column without public bounds: a
   histogram over octaves (0, +/-[2**k, 2**(k+1)), k in -32..64) whose bins far above the
   noise level give its range; each float column: a histogram of its values' decimals
   (integral, 1..6, more), giving the rounding.
2. each numeric column: a finer histogram within its range (8 bins per octave, or 32 even
   bins for a narrow range) giving the final range (bins far above the noise), the Gaussian
   mixture (fitted on draws from the noisy histogram: post-processing) and the share of exact
   zeros, the only spike allowed (0 is public; other spike values would be a row's value).

**Not learned** under DP: spikes other than 0, derived columns (``derived="auto"`` finds
none; rules cannot be given), identifiers' prefixes and number ranges (fresh ids start at 0),
constant columns (a one-valued column is modelled like the others), the missing-value marker
of object columns (NaN). Numeric columns of a float or nullable dtype always have a
missing-value span (its rate is learned by DP-SGD). Values outside a range are clipped into
it when encoded; rows whose values are rare stay in the data and are learned with DP-SGD.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from tabgan.engine.privacy import PreprocessingBudget

from . import exact
from .columns import _MISSING, ContinuousColumn, DiscreteColumn, IdColumn, _unit
from .metadata import declared_sdtypes, dtype_sdtype, merge_metadata
from .spikes import MIN_SPIKE_ROWS
from .values import dtype_info, from_json

__all__ = ["fit_columns", "private_metadata"]

#: Octaves of the range histogram: magnitudes 2**K_MIN .. 2**(K_MAX + 1) (beyond: the ends).
K_MIN, K_MAX = -32, 64
#: The range histogram's bins kept only above this many noise std (a false bin among the
#: ~200 empty ones would stretch the range far beyond the data): about 1% per column.
RANGE_FALSE_BIN = 0.01
#: The fine histogram: bins per octave, or even bins over a range of at most 3 octaves.
FINE_PER_OCTAVE, FINE_EVEN = 8, 32
#: A fine bin is inside the final range when its noisy count passes this many noise std.
FINE_RANGE_STD = 3.0
#: ... and counts towards the mixture when it passes this many.
FINE_MIXTURE_STD = 1.0
#: The decimals kept: the fewest that this share of the (noisy) values have, counting only
#: the precision bins above this many noise std.
DECIMALS_SHARE, DECIMALS_STD = 0.995, 2.0


# -- metadata ---------------------------------------------------------------------------------
def private_metadata(df: pd.DataFrame, metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    """The sdtypes: as declared in ``metadata`` (checked as without DP), else from the dtype."""
    merged = merge_metadata(df, metadata)
    declared = declared_sdtypes(metadata, df.columns) if metadata is not None else {}
    for i, col in enumerate(df.columns):
        if col not in declared:
            # from the dtype alone (no value is looked at); object columns are categorical
            merged["columns"][col] = {"sdtype": dtype_sdtype(df.dtypes.iloc[i]) or "categorical"}
    return merged


def _dtype_info(s: pd.Series) -> dict[str, Any]:
    """:func:`.values.dtype_info` without the one thing it reads from the values (whether an
    object column's missing values are all ``None``): missing values decode as NaN."""
    info = dtype_info(s)
    if info.get("missing") == "none":
        info["missing"] = "nan"
    return info


def _spec(metadata: Mapping[str, Any] | None, col: Any) -> Mapping[str, Any]:
    if metadata is None:
        return {}
    spec = metadata.get("columns", {}).get(col, {})
    return spec if isinstance(spec, Mapping) else {}


# -- the Gaussian mechanism -------------------------------------------------------------------
@dataclass
class _Round:
    """One release: the histograms a row adds 1 to, noised together."""

    counts: list[np.ndarray] = field(default_factory=list)

    def add(self, counts: np.ndarray) -> int:
        self.counts.append(np.asarray(counts, np.float64))
        return len(self.counts) - 1

    def release(self, sigma: float, rng: np.random.Generator) -> tuple[list[np.ndarray], float]:
        """The noisy histograms and the noise std (``sigma * sqrt(k)``)."""
        std = sigma * np.sqrt(len(self.counts))
        return [c + rng.normal(0.0, std, size=c.shape) for c in self.counts], float(std)


def _quantile(p: float) -> float:
    return NormalDist().inv_cdf(p)


# -- discrete columns -------------------------------------------------------------------------
@dataclass
class _Discrete:
    col: Any
    s: pd.Series
    column: DiscreteColumn
    domain: list[Any] | None  # public values (keys), or None: partition selection
    values: list[Any] = field(default_factory=list)  # the keys counted
    slot: int = -1

    def histogram(self) -> np.ndarray:
        keys = np.asarray(DiscreteColumn._keys(self.s), dtype=object)
        if self.domain is not None:
            lookup = pd.Index(self.domain, dtype=object)
            idx = lookup.get_indexer(pd.Index(keys, dtype=object))
            self.values = list(self.domain)
            return np.bincount(
                np.where(idx < 0, len(self.domain), idx), minlength=len(self.domain) + 1
            )
        codes, uniques = pd.factorize(keys)
        self.values = list(uniques)
        return np.bincount(codes, minlength=len(uniques))


def _public_domain(s: pd.Series, spec: Mapping[str, Any]) -> list[Any] | None:
    """The declared values (with missing when the dtype holds it), a bool dtype's or a
    category dtype's; ``None`` when the values must be selected privately."""
    dtype = s.dtype
    if "values" in spec:
        values = list(spec["values"])
    elif isinstance(dtype, pd.CategoricalDtype):
        values = list(dtype.categories)
    elif pd.api.types.is_bool_dtype(dtype):
        values = [False, True]
    else:
        return None
    keys = [_MISSING if v is None or (isinstance(v, float) and v != v) else v for v in values]
    can_miss = not (isinstance(dtype, np.dtype) and dtype.kind in "biu")
    if can_miss and _MISSING not in keys:
        keys.append(_MISSING)
    return list(dict.fromkeys(keys))


def _finish_discrete(d: _Discrete, noisy: np.ndarray, threshold: float, n_rows: int) -> str:
    """Set the column's categories from its noisy histogram; returns how they were learned."""
    col = d.column
    col.dtype_ = _dtype_info(d.s)
    if d.domain is not None:
        keep = np.arange(len(d.domain))
        counts = np.maximum(np.round(noisy[: len(d.domain)]), 0)
        if counts.sum() == 0:
            counts = np.ones_like(counts)
        unseen = max(float(np.round(noisy[len(d.domain)])), 0.0)
        how = "public values, noisy counts"
    else:
        keep = np.flatnonzero(noisy >= threshold)
        if len(keep) == 0:
            raise ValueError(
                f"Column {d.col!r}: no value is frequent enough to be released under "
                f"differential privacy (noisy counts under {threshold:.0f}); declare its "
                f'values in metadata ({{"columns": {{{d.col!r}: {{"values": [...]}}}}}}), '
                "give a larger epsilon or preprocessing_share, or drop the column."
            )
        counts = np.round(noisy[keep])
        unseen = max(float(n_rows - counts.sum()), 0.0)
        how = f"{len(keep)} values released (noisy counts above {threshold:.0f})"
    order = np.argsort(-counts, kind="stable")
    values = [None if _is_missing_key(d.values[j]) else d.values[j] for j in keep[order]]
    freq = counts[order].astype(np.int64)
    n_keep = len(values) if len(values) < col.max_categories else col.max_categories - 1
    col.categories_, col.counts_ = values[:n_keep], freq[:n_keep]
    col.other_values_, col.other_counts_ = values[n_keep:], freq[n_keep:]
    col.open_, col.unseen_count_ = True, int(unseen)
    col._index()
    return how


def _is_missing_key(v: Any) -> bool:
    return isinstance(v, str) and v == _MISSING


# -- numeric columns --------------------------------------------------------------------------
def _as_float(s: pd.Series) -> np.ndarray:
    """Values as float64 (datetimes: counts of their unit since the epoch), NaN for missing."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        idx = pd.DatetimeIndex(s)
        out = idx.asi8.astype(np.float64)
        out[idx.isna()] = np.nan
        return out
    return pd.to_numeric(s.astype(object) if s.dtype == object else s).to_numpy(
        dtype=np.float64, na_value=np.nan
    )


def _octave_edges() -> np.ndarray:
    """Left and right edges of the range histogram's bins, in value order: negative octaves,
    exact zero, positive octaves."""
    k = np.arange(K_MIN, K_MAX + 1, dtype=np.float64)
    pos = np.stack([2.0**k, 2.0 ** (k + 1)], 1)
    neg = -pos[::-1, ::-1]
    return np.concatenate([neg, [[0.0, 0.0]], pos])


def _octave_index(v: np.ndarray) -> np.ndarray:
    nk = K_MAX - K_MIN + 1
    with np.errstate(divide="ignore"):
        k = np.clip(np.floor(np.log2(np.abs(v))), K_MIN, K_MAX).astype(np.int64) - K_MIN
    return np.where(v > 0, nk + 1 + k, np.where(v < 0, nk - 1 - k, nk))


def _fine_edges(lo: float, hi: float) -> np.ndarray:
    """Bins over ``[lo, hi]`` (left and right edges, value order): even bins for a range of at
    most 3 octaves on one side of 0, else 8 per octave with exact zero its own bin."""
    if lo == hi:
        return np.array([[lo, hi]])
    if (lo > 0 and hi <= 8 * lo) or (hi < 0 and lo >= 8 * hi):
        e = np.linspace(lo, hi, FINE_EVEN + 1)
        return np.stack([e[:-1], e[1:]], 1)
    parts = []
    if lo < 0:
        parts.append(-_side(max(-hi, 0.0), -lo)[::-1, ::-1])
    if lo <= 0 <= hi:
        parts.append(np.array([[0.0, 0.0]]))
    if hi > 0:
        parts.append(_side(max(lo, 0.0), hi))
    return np.concatenate(parts)


def _side(a: float, b: float) -> np.ndarray:
    """Positive bins from ``a`` (>= 0) to ``b``: 8 per octave; below 2**-20 of ``b`` one bin."""
    top = int(np.ceil(np.log2(b)))
    low = max(int(np.floor(np.log2(a))) if a > 0 else top - 20, top - 40)
    e = [
        2.0**k * (1 + j / FINE_PER_OCTAVE) for k in range(low, top) for j in range(FINE_PER_OCTAVE)
    ]
    edges = np.unique(np.clip(np.array([*e, 2.0**top]), a, b))
    if a == 0 and edges[0] > 0:
        edges = np.concatenate([[0.0], edges])
    edges = edges[edges <= b]
    if edges[-1] < b:
        edges = np.append(edges, b)
    out = np.stack([edges[:-1], edges[1:]], 1)
    if a == 0:
        out[0, 0] = np.nextafter(0.0, 1.0)  # exact zeros have their own bin
    return out


def _fine_index(v: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The fine bin of each value (clipped into the range); exact zero to its own bin."""
    lefts = edges[:, 0]
    idx = np.searchsorted(lefts, v, side="right") - 1
    idx = np.clip(idx, 0, len(edges) - 1)
    zero = np.flatnonzero((edges[:, 0] == 0) & (edges[:, 1] == 0))
    if len(zero):
        idx = np.where(v == 0, zero[0], idx)
    return idx


def _decimals_of(v: np.ndarray, most: int = 6, relative: float = 1e-6) -> np.ndarray:
    """The fewest decimals (0 to ``most``) of each value, ``most + 1`` for more (the rule of
    :func:`.columns._decimals`, per value)."""
    out = np.full(len(v), most + 1)
    whole = (np.abs(v) >= 2.0**52) | (v == np.round(v))
    out[whole] = 0
    for d in range(most, 0, -1):
        tol = np.minimum(10.0 ** -(d + 3), relative * np.abs(v))
        ok = ~whole & (np.abs(v - np.round(v, d)) <= tol)
        out[ok] = d
    return out


@dataclass
class _Numeric:
    col: Any
    s: pd.Series
    column: ContinuousColumn
    x: np.ndarray  # values as floats, NaN for missing
    public: tuple[float, float] | None
    range_slot: int = -1
    decimals_slot: int = -1
    fine_slot: int = -1
    lo: float = 0.0
    hi: float = 0.0
    edges: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))

    @property
    def values(self) -> np.ndarray:
        return self.x[~np.isnan(self.x)]


def _public_bounds(col: Any, s: pd.Series, spec: Mapping[str, Any]) -> tuple[float, float] | None:
    if "min" not in spec and "max" not in spec:
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            raise ValueError(
                f"Column {col!r} is a datetime: under differential privacy give its range "
                f'as public metadata ({{"columns": {{{col!r}: {{"sdtype": "datetime", "min": '
                '"2020-01-01", "max": "2024-12-31"}}}}).'
            )
        return None
    if "min" not in spec or "max" not in spec:
        raise ValueError(f"Column {col!r}: give both 'min' and 'max' in its metadata.")
    lo, hi = (from_json(spec[k]) if isinstance(spec[k], list) else spec[k] for k in ("min", "max"))
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        unit = pd.DatetimeIndex(s).unit
        tz = getattr(s.dtype, "tz", None)
        stamps = pd.DatetimeIndex(pd.to_datetime([lo, hi])).as_unit(unit)
        if tz is not None and stamps.tz is None:
            stamps = stamps.tz_localize(tz)
        lo_f, hi_f = (float(v) for v in stamps.asi8)
    else:
        lo_f, hi_f = float(lo), float(hi)
    if not (np.isfinite(lo_f) and np.isfinite(hi_f) and lo_f <= hi_f):
        raise ValueError(f"Column {col!r}: the metadata range [{lo!r}, {hi!r}] is not a range.")
    return lo_f, hi_f


def _core_range(col: Any, noisy: np.ndarray, std: float) -> tuple[float, float]:
    """The range of the octave bins far above the noise, one octave wider on each side."""
    edges = _octave_edges()
    threshold = std * _quantile(1 - RANGE_FALSE_BIN / len(edges))
    occupied = np.flatnonzero(noisy >= threshold)
    if len(occupied) == 0:
        raise ValueError(
            f"Column {col!r}: too few rows to estimate its range under differential privacy "
            f'(no octave above {threshold:.0f} noisy rows); give it as public metadata ({{"min": '
            '..., "max": ...}), or a larger epsilon or preprocessing_share.'
        )
    lo_i, hi_i = max(occupied[0] - 1, 0), min(occupied[-1] + 1, len(edges) - 1)
    return float(edges[lo_i, 0]), float(edges[hi_i, 1])


def _finish_numeric(
    num: _Numeric,
    fine: np.ndarray,
    std: float,
    decimals: np.ndarray | None,
    decimals_std: float,
    rng: np.random.Generator,
) -> str:
    """Set the column's range, rounding, mixture and zero spike from its noisy histograms."""
    c, s = num.column, num.s
    edges = num.edges
    inside = np.flatnonzero(fine >= FINE_RANGE_STD * std)
    if num.public is not None:
        lo, hi = num.public
        how = "public range; noisy histogram"
    elif len(inside):
        lo, hi = float(edges[inside[0], 0]), float(edges[inside[-1], 1])
        how = "noisy range and histogram"
    else:
        lo, hi = num.lo, num.hi
        how = "noisy octave range and histogram"
    c.dtype_ = _dtype_info(s)
    c.is_datetime_ = bool(pd.api.types.is_datetime64_any_dtype(s.dtype))
    c.exact_ = exact.is_exact_dtype(s.dtype)
    c.time_unit_ = pd.DatetimeIndex(s).unit if c.is_datetime_ else None
    dtype = s.dtype
    c.has_nan_ = not (isinstance(dtype, np.dtype) and dtype.kind in "iu")
    c.int_min_, c.span_ = 0, 0
    if c.exact_:
        info = (
            np.iinfo(np.int64) if c.is_datetime_ else np.iinfo(getattr(dtype, "numpy_dtype", dtype))
        )
        lo_i = int(np.clip(np.floor(lo), info.min, info.max))
        hi_i = int(np.clip(np.ceil(hi), lo_i, info.max))
        c.int_min_, c.span_ = lo_i, hi_i - lo_i
        c.min_, c.max_ = float(lo_i), float(hi_i)
        c.integral_, c.decimals_ = True, None
        shift = float(lo_i)
    else:
        c.min_, c.max_ = lo, hi
        c.integral_, c.decimals_ = False, None
        if decimals is not None:
            # bins under DECIMALS_STD noise std are taken for empty (the noise floor of 7
            # empty bins would otherwise pass for a few percent of values with decimals)
            share = np.cumsum(np.where(decimals >= DECIMALS_STD * decimals_std, decimals, 0.0))
            d = int(np.searchsorted(share, DECIMALS_SHARE * share[-1])) if share[-1] > 0 else 7
            c.integral_ = d == 0
            c.decimals_ = d if 1 <= d <= 6 else None
        shift = 0.0
    c.unit_ = _unit(np.array([c.min_ - shift, c.max_ - shift]))
    c.fold_ = bool(c.fold_range)
    # the mixture: fitted on draws from the noisy histogram (post-processing)
    weight = np.where(fine >= FINE_MIXTURE_STD * std, np.maximum(fine, 0), 0.0)
    inside_range = (edges[:, 1] >= lo) & (edges[:, 0] <= hi)
    weight = np.where(inside_range, weight, 0.0)
    zero = np.flatnonzero((edges[:, 0] == 0) & (edges[:, 1] == 0))
    zero_share = float(weight[zero[0]] / weight.sum()) if len(zero) and weight.sum() > 0 else 0.0
    spike = (
        c.spike_share is not None
        and c.max_spikes > 0
        and len(zero) > 0
        and lo <= 0 <= hi
        and zero_share >= c.spike_share
        and fine[zero[0]] >= MIN_SPIKE_ROWS
    )
    if spike:
        weight[zero[0]] = 0.0
    m = int(c.max_fit_rows)
    if weight.sum() > 0:
        bins = rng.choice(len(edges), m, p=weight / weight.sum())
        a, b = np.clip(edges[bins, 0], lo, hi), np.clip(edges[bins, 1], lo, hi)
        draws = a + (b - a) * rng.random(m)
    else:
        draws = lo + (hi - lo) * rng.random(m)
    v = (draws - shift) / c.unit_
    c._fit_mixture(v, rng, num.col)
    c.n_spikes_ = 0
    if spike:
        c.means_ = np.append(c.means_, (0.0 - shift) / c.unit_)
        c.stds_ = np.append(c.stds_, 0.0)
        c.weights_ = np.append(c.weights_ * (1 - zero_share), zero_share)
        c.n_spikes_ = 1
        how += "; a spike at 0"
    return how


# -- all columns ------------------------------------------------------------------------------
def fit_columns(
    df: pd.DataFrame,
    sdtypes: list[str],
    metadata: Mapping[str, Any] | None,
    budget: PreprocessingBudget,
    rng: np.random.Generator,
    make_continuous: Any,
    make_discrete: Any,
) -> tuple[list[Any], dict[str, Any]]:
    """One fitted transformer per column of ``df`` and the preprocessing record.

    ``make_continuous()`` / ``make_discrete()`` build the adapter's unfitted column transformers
    (its ``max_modes``, ``max_categories``...); their fitted state is set here from public
    metadata and noisy statistics, never from the rows directly.
    """
    first, second = _Round(), _Round()
    transformers: list[Any] = []
    discrete: list[_Discrete] = []
    numeric: list[_Numeric] = []
    how: dict[str, str] = {}
    for i, col in enumerate(df.columns):
        s, sdtype, spec = df.iloc[:, i], sdtypes[i], _spec(metadata, col)
        if sdtype == "id":
            t = IdColumn()
            t.dtype_, t.numeric_ = _dtype_info(s), bool(pd.api.types.is_numeric_dtype(s.dtype))
            t.start_, t.prefix_ = 0, ""
            transformers.append(t)
            how[str(col)] = "id: fresh values, nothing learned"
        elif sdtype in ("numerical", "datetime"):
            num = _Numeric(col, s, make_continuous(), _as_float(s), _public_bounds(col, s, spec))
            if num.public is None:
                num.range_slot = first.add(
                    np.bincount(_octave_index(num.values), minlength=len(_octave_edges()))
                )
            if not exact.is_exact_dtype(s.dtype):
                num.decimals_slot = first.add(np.bincount(_decimals_of(num.values), minlength=8))
            numeric.append(num)
            transformers.append(num.column)
        else:
            d = _Discrete(col, s, make_discrete(), _public_domain(s, spec))
            d.slot = first.add(d.histogram())
            discrete.append(d)
            transformers.append(d.column)
    n_selected = sum(d.domain is None for d in discrete)
    rounds = int(bool(first.counts)) + int(bool(numeric))
    sigma = budget.noise_multiplier(rounds) if rounds else 0.0
    threshold_delta = budget.threshold_delta if n_selected else 0.0
    noisy1: list[np.ndarray] = []
    std1 = 0.0
    for num in numeric:
        if num.public is not None:
            num.lo, num.hi = num.public
    if first.counts:
        noisy1, std1 = first.release(sigma, rng)
        # a value held by one row passes with probability threshold_delta / n_selected
        threshold = 1 + std1 * _quantile(1 - threshold_delta / n_selected) if n_selected else 0.0
        for d in discrete:
            how[str(d.col)] = _finish_discrete(d, noisy1[d.slot], threshold, len(df))
        for num in numeric:
            if num.public is None:
                num.lo, num.hi = _core_range(num.col, noisy1[num.range_slot], std1)
    for num in numeric:
        num.edges = _fine_edges(num.lo, num.hi)
        num.fine_slot = second.add(
            np.bincount(_fine_index(num.values, num.edges), minlength=len(num.edges))
        )
    if numeric:
        noisy2, std2 = second.release(sigma, rng)
        for num in numeric:
            dec = noisy1[num.decimals_slot] if num.decimals_slot >= 0 else None
            fine = noisy2[num.fine_slot]
            how[str(num.col)] = _finish_numeric(num, fine, std2, dec, std1, rng)
    record = budget.record(
        sigma,
        rounds,
        threshold_delta,
        columns=how,
        not_learned="spikes other than 0, derived columns, id prefixes and ranges",
    )
    return transformers, record
