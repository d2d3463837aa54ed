"""Per-column transformers: a column to encoded blocks (spans) and back.

- :class:`ContinuousColumn` -- mode-specific normalization (CTGAN paper, section 4.2): a
  Dirichlet-process variational Gaussian mixture; a value becomes a scalar
  ``alpha = (x - mu_k) / (4 sigma_k)`` and a one-hot mode ``k`` drawn from the posterior.
  Missing values get a 2-wide missing-indicator span. Numbers and datetimes (as int64 ns).
- :class:`DiscreteColumn` -- one-hot over the categories (missing is a category of its own);
  beyond ``max_categories`` the rarest values share one "other" slot, decoded by frequency.
- :class:`IdColumn` -- fresh identifiers, nothing learned.
- :class:`ConstantColumn` -- the single value, nothing learned.

Each transformer has ``spans`` (list of ``(width, kind)``), ``fit``, ``encode``, ``decode``,
``get_state`` and ``from_state``.
"""

from __future__ import annotations

import os
import warnings
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import BayesianGaussianMixture

from . import exact
from .spikes import DEFAULT_MAX_SPIKES, DEFAULT_SPIKE_SHARE, find_spikes, fold
from .values import dtype_info, from_json, is_missing, restore, take_values, to_json

__all__ = ["ConstantColumn", "ContinuousColumn", "DiscreteColumn", "IdColumn", "column_from_state"]

TANH, SOFTMAX = "tanh", "softmax"


# -- continuous -------------------------------------------------------------------------------
#: Values beyond 2**52 in magnitude are whole numbers: no decimal rounding (it would overflow).
_WHOLE = 2.0**52
#: Floats outside 2**-EXTREME .. 2**EXTREME in magnitude are modelled in a power-of-two unit.
_EXTREME = 500


def _decimals(v: np.ndarray, most: int = 6, relative: float = 1e-6) -> int | None:
    """The fewest decimals (1 to ``most``) that every value has, else None.

    A value counts as having ``d`` decimals when it is within a thousandth of the ``10**-d``
    grid and within ``relative`` of itself, so storage noise (39.1 in float32 as
    39.099998...) does not hide the precision, and small values (1e-6) are not taken for zeros
    with 1 decimal. Values beyond 2**52 are whole numbers and not looked at.
    """
    v = v[np.abs(v) < _WHOLE]
    for d in range(1, most + 1):
        tolerance = np.minimum(10.0 ** -(d + 3), relative * np.abs(v))
        if np.all(np.abs(v - np.round(v, d)) <= tolerance):
            return d
    return None


def _round_decimals(x: np.ndarray, decimals: int) -> None:
    """``np.round(x, decimals)`` in place, skipping values beyond 2**52 (already whole)."""
    small = np.abs(x) < _WHOLE
    x[small] = np.round(x[small], decimals)


def _unit(v: np.ndarray) -> float:
    """A power of two that brings the largest magnitude of ``v`` into ``[1, 2)`` when it is
    extreme (beyond 2**500 or below 2**-500), else 1: dividing by it is exact, and the
    mixture's sums and squares cannot overflow."""
    top = float(np.max(np.abs(v))) if len(v) else 0.0
    if top == 0.0:
        return 1.0
    _, exponent = np.frexp(top)
    return float(np.ldexp(1.0, int(exponent) - 1)) if abs(int(exponent)) > _EXTREME else 1.0


class ContinuousColumn:
    """Mode-specific normalization of a numerical or datetime column.

    Integer and datetime columns are modelled as the exact difference from their training
    minimum (:mod:`.exact`) and decoded to integers within the training range; floats of
    extreme magnitude in a power-of-two unit (``unit_``), so the mixture stays finite.

    Parameters
    ----------
    max_modes : int
        Mixture components before pruning (modes with weight < ``min_weight`` are dropped).
    max_fit_rows : int
        The mixture is fit on at most this many rows, drawn at random (encoding uses all rows).
    enforce_min_max : bool
        Keep decoded values in the training range (integers always are, and are rounded).
        Decoded floats are always clipped to the finite range of the column's dtype.
    spike_share : float or None
        An exact value holding at least this share of the non-missing training values (and at
        least :data:`~.spikes.MIN_SPIKE_ROWS` rows) is a *spike*: a mode of its own, encoded
        as that mode with alpha 0 and decoded to exactly the value; the mixture is fit on the
        other values. None: no spikes (as before).
    max_spikes : int
        At most this many spikes per column, the largest shares.
    fold_range : bool
        Decoded values outside the training range are reflected back into it
        (:func:`~.spikes.fold`) instead of clipped, so they do not pile up exactly at the
        training minimum and maximum (:class:`~.ranges.RangeChecker` folds the same way, so
        range conditions see the decoded values). Models saved without this field clip, as
        they did.

    Notes
    -----
    The *shifted* space is the one :class:`~.ranges.RangeChecker` and conditions work in:
    ``value - min`` for exact (integer, datetime) columns, the value itself for floats. The
    mixture (``means_``, ``stds_``) is in shifted units divided by ``unit_``.

    The last ``n_spikes_`` modes are the spikes: ``stds_`` 0, ``means_`` the value,
    ``weights_`` its share; the mixture's weights are scaled by the share of the other values.
    """

    kind: ClassVar[str] = "continuous"
    means_: np.ndarray
    stds_: np.ndarray
    weights_: np.ndarray

    def __init__(
        self,
        max_modes: int = 10,
        max_fit_rows: int = 5_000,
        min_weight: float = 0.005,
        max_iter: int = 50,
        enforce_min_max: bool = True,
        spike_share: float | None = DEFAULT_SPIKE_SHARE,
        max_spikes: int = DEFAULT_MAX_SPIKES,
        fold_range: bool = True,
    ) -> None:
        self.max_modes = max_modes
        self.max_fit_rows = max_fit_rows
        self.min_weight = min_weight
        self.max_iter = max_iter
        self.enforce_min_max = enforce_min_max
        self.spike_share = spike_share
        self.max_spikes = max_spikes
        self.fold_range = fold_range
        self.n_spikes_ = 0
        self.fold_ = False

    # values <-> float64 ----------------------------------------------------------------------
    def _to_float(self, s: pd.Series) -> np.ndarray:
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            idx = pd.DatetimeIndex(s).as_unit("ns")
            out = idx.asi8.astype(np.float64)
            out[idx.isna()] = np.nan
            return out
        return pd.to_numeric(s.astype(object) if s.dtype == object else s).to_numpy(
            dtype=np.float64, na_value=np.nan
        )

    @property
    def signed_(self) -> bool:
        return self.is_datetime_ or exact.is_signed(self.dtype_["dtype"])

    @property
    def base_key_(self) -> int:
        """The key of the training minimum (exact columns)."""
        return exact.key_of(self.int_min_, self.signed_)

    def _shifted(self, s: pd.Series) -> np.ndarray:
        """Values in the shifted space (float64, NaN for missing)."""
        if not self.exact_:
            return self._to_float(s)
        if exact.is_exact_dtype(s.dtype):
            keys, nan = exact.to_keys(s, self.time_unit_)
            return exact.shifted(keys, nan, self.base_key_)
        return self._to_float(s) - float(self.int_min_)  # e.g. a float copy of an int column

    def fit(self, s: pd.Series, rng: np.random.Generator) -> ContinuousColumn:
        self.dtype_ = dtype_info(s)
        self.is_datetime_ = bool(pd.api.types.is_datetime64_any_dtype(s.dtype))
        self.exact_ = exact.is_exact_dtype(s.dtype)
        self.time_unit_ = pd.DatetimeIndex(s).unit if self.is_datetime_ else None
        self.int_min_, self.span_ = 0, 0
        if self.exact_:
            keys, nan = exact.to_keys(s, self.time_unit_)
            lo, hi = int(keys[~nan].min()), int(keys[~nan].max())
            self.int_min_ = lo - 2**63 if self.signed_ else lo
            self.span_ = hi - lo
        x = self._shifted(s)
        nan = np.isnan(x)
        self.has_nan_ = bool(nan.any())
        v = x[~nan]
        if self.exact_:
            self.min_ = float(self.int_min_)
            self.max_ = float(self.int_min_ + self.span_)
        else:
            self.min_, self.max_ = float(v.min()), float(v.max())
        self.integral_ = bool(self.exact_ or self.is_datetime_ or np.all(v == np.round(v)))
        self.decimals_ = None if self.integral_ else _decimals(v)
        self.unit_ = _unit(v)
        self.fold_ = bool(self.fold_range)
        v = v / self.unit_
        spikes, shares = find_spikes(v, self.spike_share, self.max_spikes)
        rest = v[~np.isin(v, spikes)] if len(spikes) else v
        self._fit_mixture(rest if len(rest) else v, rng, s.name)
        if len(spikes):  # the spikes' modes last: std 0, weight their share
            rest_share = len(rest) / len(v)
            self.means_ = np.concatenate([self.means_, spikes])
            self.stds_ = np.concatenate([self.stds_, np.zeros(len(spikes))])
            self.weights_ = np.concatenate([self.weights_ * rest_share, shares])
        self.n_spikes_ = len(spikes)
        return self

    def _fit_mixture(self, v: np.ndarray, rng: np.random.Generator, name: Any) -> None:
        center, scale = float(v.mean()), float(v.std())
        scale = scale if scale > 0 else 1.0
        sub = v if len(v) <= self.max_fit_rows else rng.choice(v, self.max_fit_rows, replace=False)
        z = ((sub - center) / scale).reshape(-1, 1)
        n_comp = int(min(self.max_modes, len(np.unique(z))))
        if n_comp <= 1:
            means, stds, weights = np.array([0.0]), np.array([1.0]), np.array([1.0])
        else:
            bgm = BayesianGaussianMixture(
                n_components=n_comp,
                weight_concentration_prior_type="dirichlet_process",
                weight_concentration_prior=1e-3,
                n_init=1,
                max_iter=self.max_iter,
                init_params="k-means++",
                random_state=int(rng.integers(2**31 - 1)),
            )
            with warnings.catch_warnings():  # a short EM often stops early: harmless here
                warnings.simplefilter("ignore", ConvergenceWarning)
                bgm.fit(z)
            keep = bgm.weights_ > self.min_weight
            if not keep.any():
                keep = bgm.weights_ == bgm.weights_.max()
            means = bgm.means_[keep, 0]
            stds = np.sqrt(bgm.covariances_[keep].reshape(-1))
            weights = bgm.weights_[keep]
        self.means_ = means * scale + center
        self.stds_ = np.maximum(stds * scale, 1e-6 * scale)
        self.weights_ = weights / weights.sum()
        arrays = (self.means_, self.stds_, self.weights_)
        if not all(np.isfinite(a).all() for a in arrays):  # a guard: the unit should prevent it
            raise ValueError(f"Column {name!r}: its values could not be modelled (non-finite).")

    @property
    def spans(self) -> list[tuple[int, str]]:
        out = [(1, TANH), (len(self.means_), SOFTMAX)]
        return out + [(2, SOFTMAX)] if self.has_nan_ else out

    @property
    def width(self) -> int:
        return sum(w for w, _ in self.spans)

    @property
    def folds_(self) -> bool:
        """Whether decoded values outside :meth:`clip_bounds` are folded back into them (the
        training range, when it is finite and not a single point) rather than clipped."""
        if not self.fold_ or not (self.exact_ or self.enforce_min_max or self.integral_):
            return False
        lo, hi = self.clip_bounds()
        return bool(np.isfinite(2 * (hi - lo)) and hi > lo)

    def clip_bounds(self) -> tuple[float, float]:
        """Where decoded values are clipped, in the shifted space: the training range (always
        for integers and datetimes), else the finite range of the column's dtype."""
        if self.exact_:
            return 0.0, float(self.span_)
        if self.enforce_min_max or self.integral_:
            return self.min_, self.max_
        target = pd.api.types.pandas_dtype(self.dtype_["dtype"])
        np_dtype = getattr(target, "numpy_dtype", target)
        kind = getattr(np_dtype, "kind", "")
        top = float(np.finfo(np_dtype).max) if kind == "f" else float(np.finfo(np.float64).max)
        return -top, top

    def encode(self, s: pd.Series, rng: np.random.Generator) -> np.ndarray:
        x = self._shifted(s) / self.unit_
        nan = np.isnan(x)
        if nan.any() and not self.has_nan_:
            raise ValueError(f"Column {s.name!r} has missing values, unseen in training.")
        k = len(self.means_)
        c = k - self.n_spikes_  # the mixture's modes; the spikes follow
        xv = np.where(nan, self.means_[0], x)[:, None]
        with np.errstate(divide="ignore"):  # weights 0: every value was a spike
            log_w = np.log(self.weights_)
        log_wc = log_w[:c] if self.weights_[:c].sum() > 0 else np.zeros(c)
        means, stds = self.means_[:c], self.stds_[:c]
        logp = log_wc - np.log(stds) - 0.5 * ((xv - means) / stds) ** 2
        if self.n_spikes_:  # the spikes' posterior is 0 unless the value is one (below)
            logp = np.concatenate([logp, np.full((len(x), k - c), -np.inf)], axis=1)
        logp[nan] = log_w  # missing: a mode drawn by weight, alpha 0
        p = np.exp(logp - logp.max(1, keepdims=True))
        cdf = np.cumsum(p / p.sum(1, keepdims=True), axis=1)
        mode = np.minimum((cdf < rng.random((len(x), 1))).sum(1), k - 1)
        if self.n_spikes_:
            hit = (xv == self.means_[c:]) & ~nan[:, None]
            spike = hit.any(1)
            mode = np.where(spike, c + hit.argmax(1), mode)
            std = self.stds_[mode]
            std4 = 4 * np.where(std > 0, std, 1.0)  # spikes (missing rows may draw one too)
            alpha = np.where(spike, 0.0, (xv[:, 0] - self.means_[mode]) / std4)
        else:
            alpha = (xv[:, 0] - self.means_[mode]) / (4 * self.stds_[mode])
        alpha = np.where(nan, 0.0, np.clip(alpha, -0.99, 0.99))
        out = np.zeros((len(x), self.width), np.float32)
        out[:, 0] = alpha
        out[np.arange(len(x)), 1 + mode] = 1.0
        if self.has_nan_:
            out[np.arange(len(x)), 1 + k + nan.astype(int)] = 1.0
        return out

    def decode(self, block: np.ndarray, rng: np.random.Generator, name: Any) -> pd.Series:
        k = len(self.means_)
        mode = block[:, 1 : 1 + k].argmax(1)
        nan = block[:, 1 + k :].argmax(1) == 1 if self.has_nan_ else None
        return self.decode_parts(block[:, 0], mode, nan, name)

    def decode_parts(
        self, alpha: np.ndarray, mode: np.ndarray, nan: np.ndarray | None, name: Any
    ) -> pd.Series:
        """Values from the scalar ``alpha``, the mode index and the missing flag of each row.

        A mode of ``-1`` marks a value given exactly (a condition): ``alpha`` then holds the
        shifted value itself, taken as it is. A spike's mode (std 0) gives its value exactly.
        """
        given = np.asarray(alpha, dtype=np.float64)
        fixed = mode < 0
        m = np.where(fixed, 0, mode) if fixed.any() else mode
        x = np.clip(given, -1.0, 1.0) * (4 * self.stds_)[m]
        x += self.means_[m]
        if self.unit_ != 1.0:
            with np.errstate(over="ignore"):  # beyond the dtype's range: clipped just below
                x *= self.unit_
        lo, hi = self.clip_bounds()
        if self.folds_:
            out = (x < lo) | (x > hi)
            if out.any():
                x[out] = fold(x[out], lo, hi)
        np.clip(x, lo, hi, out=x)
        if self.integral_:
            np.round(x, out=x)
        elif self.decimals_ is not None:
            _round_decimals(x, self.decimals_)
        if fixed.any():
            x[fixed] = given[fixed]
        if nan is None:
            nan = np.zeros(len(x), bool)
        if self.exact_:
            return self._restore_exact(x, nan, name)
        return self._restore(x, nan, name)

    def _restore_exact(self, x: np.ndarray, nan: np.ndarray, name: Any) -> pd.Series:
        """Integers or datetimes from rounded shifted values, exactly in the training range."""
        keys = exact.from_shifted(np.where(nan, 0.0, x), self.span_, self.base_key_)
        ints = exact.values_of(keys, self.signed_)
        target = pd.api.types.pandas_dtype(self.dtype_["dtype"])
        if self.is_datetime_:
            stamps = np.where(nan, np.iinfo(np.int64).min, ints).astype(np.int64)
            idx = pd.DatetimeIndex(stamps.view(f"datetime64[{self.time_unit_}]"))
            tz = getattr(target, "tz", None)
            if tz is not None:
                idx = idx.tz_localize("UTC").tz_convert(tz)
            return pd.Series(idx, name=name).astype(target)
        if isinstance(target, np.dtype):
            if nan.any():  # cannot happen for columns trained without missing values
                raise ValueError(f"Column {name!r}: missing values decoded for dtype {target}.")
            return pd.Series(ints.astype(target), name=name)
        arr = pd.array(ints, dtype=target)
        arr[nan] = pd.NA
        return pd.Series(arr, name=name)

    def _restore(self, x: np.ndarray, nan: np.ndarray, name: Any) -> pd.Series:
        dtype = self.dtype_["dtype"]
        if self.is_datetime_:  # models saved before exact datetimes: float nanoseconds
            target = pd.api.types.pandas_dtype(dtype)
            quantum = {"s": 10**9, "ms": 10**6, "us": 10**3}.get(getattr(target, "unit", "ns"), 1)
            dt = pd.to_datetime(
                np.round(x / quantum).astype(np.int64) * quantum, unit="ns", utc=True
            )
            tz = getattr(target, "tz", None)
            dt = dt.tz_convert(tz) if tz is not None else dt.tz_localize(None)
            out = pd.Series(dt, name=name)
            out[nan] = pd.NaT
            return out.astype(target)
        has_nan = bool(nan.any())
        if dtype == "object":
            vals = x.astype(np.int64).astype(object) if self.integral_ else x.astype(object)
            if has_nan:
                vals[nan] = np.nan if self.dtype_.get("missing") != "none" else None
            return pd.Series(vals, name=name, dtype=object)
        target = pd.api.types.pandas_dtype(dtype)
        if isinstance(target, np.dtype):
            if not has_nan:
                return pd.Series(x.astype(target, copy=False), name=name)
            x = np.where(nan, np.nan, x)
            return pd.Series(x, name=name).astype(target)
        arr = pd.array(x, dtype="Float64")
        arr[nan] = pd.NA
        return pd.Series(arr, name=name).astype(target)

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        cfg = {
            "kind": self.kind,
            "params": {
                "max_modes": self.max_modes,
                "max_fit_rows": self.max_fit_rows,
                "min_weight": self.min_weight,
                "max_iter": self.max_iter,
                "enforce_min_max": self.enforce_min_max,
            },
            # beside "params", which keeps the keys (and values) that earlier releases saved
            "spike_params": {
                "spike_share": self.spike_share,
                "max_spikes": self.max_spikes,
                "fold_range": self.fold_range,
            },
            "dtype": self.dtype_,
            "is_datetime": self.is_datetime_,
            "has_nan": self.has_nan_,
            "min": self.min_,
            "max": self.max_,
            "integral": self.integral_,
            "decimals": self.decimals_,
            "exact": self.exact_,
            "int_min": self.int_min_,
            "span": self.span_,
            "time_unit": self.time_unit_,
            "unit": self.unit_,
            "spikes": self.n_spikes_,
            "fold": self.fold_,
        }
        return cfg, {"means": self.means_, "stds": self.stds_, "weights": self.weights_}

    @classmethod
    def from_state(cls, cfg: dict[str, Any], arrays: dict[str, np.ndarray]) -> ContinuousColumn:
        col = cls(**cfg["params"], **cfg.get("spike_params", {}))
        col.dtype_ = cfg["dtype"]
        col.is_datetime_ = bool(cfg["is_datetime"])
        col.has_nan_ = bool(cfg["has_nan"])
        col.min_, col.max_ = float(cfg["min"]), float(cfg["max"])
        col.integral_ = bool(cfg["integral"])
        col.decimals_ = cfg.get("decimals")
        # models saved before exact integers and units: floats throughout, unit 1
        col.exact_ = bool(cfg.get("exact", False))
        col.int_min_, col.span_ = int(cfg.get("int_min", 0)), int(cfg.get("span", 0))
        col.time_unit_ = cfg.get("time_unit")
        col.unit_ = float(cfg.get("unit", 1.0))
        # models saved before spikes and folding: no spikes, out-of-range values clipped
        col.n_spikes_ = int(cfg.get("spikes", 0))
        col.fold_ = bool(cfg.get("fold", False))
        col.means_ = np.asarray(arrays["means"], np.float64)
        col.stds_ = np.asarray(arrays["stds"], np.float64)
        col.weights_ = np.asarray(arrays["weights"], np.float64)
        k = len(col.means_)
        if k < 1 or col.stds_.shape != (k,) or col.weights_.shape != (k,):
            raise ValueError("a continuous column's mixture arrays disagree in length")
        if not 0 <= col.n_spikes_ < k:
            raise ValueError("a continuous column's spikes leave no mixture mode")
        return col


# -- discrete ---------------------------------------------------------------------------------
_MISSING = "__tabgan_missing__"


def _lookup(values: list[Any]) -> pd.Index:
    """An Index of the values to look keys up in; of objects when pandas cannot infer a dtype
    (a Python int beyond any float, 10**400)."""
    try:
        return pd.Index(values)
    except OverflowError:
        return pd.Index(values, dtype=object)


class DiscreteColumn:
    """One-hot over the categories; missing values form a category of their own.

    With more than ``max_categories`` categories, the ``max_categories - 1`` most frequent keep a
    slot each and the rest share one "other" slot, decoded to one of them drawn by training
    frequency (so memory and the encoded width stay bounded; their correlations with other
    columns are not learned).
    """

    kind: ClassVar[str] = "discrete"
    #: Under differential privacy (:mod:`.private`): the categories are those released (noisy
    #: counts above a threshold), every other value encodes to the "other" slot, which holds
    #: about ``unseen_count_`` training rows and, with no pooled value, decodes to a released
    #: category by its noisy count.
    open_: bool = False
    unseen_count_: int = 0

    def __init__(self, max_categories: int = 100) -> None:
        self.max_categories = max_categories

    @staticmethod
    def _keys(s: pd.Series) -> pd.Series:
        obj = s.astype(object)
        return obj.where(~obj.isna(), _MISSING)

    def fit(self, s: pd.Series, rng: np.random.Generator) -> DiscreteColumn:
        self.dtype_ = dtype_info(s)
        codes, uniques = pd.factorize(np.asarray(self._keys(s), dtype=object))
        counts = np.bincount(codes, minlength=len(uniques))
        order = np.argsort(-counts, kind="stable")  # by frequency, ties by first appearance
        values = [None if isinstance(v, str) and v == _MISSING else v for v in uniques[order]]
        freq = counts[order].astype(np.int64)
        keep = len(values) if len(values) <= self.max_categories else self.max_categories - 1
        self.categories_ = values[:keep]
        self.counts_ = freq[:keep]
        self.other_values_ = values[keep:]
        self.other_counts_ = freq[keep:]
        self._index()
        return self

    def _index(self) -> None:
        self._lookup = _lookup([_MISSING if v is None else v for v in self.categories_])
        self._other_lookup = _lookup([_MISSING if v is None else v for v in self.other_values_])

    def refresh_index(self) -> None:
        """Rebuild the value lookups after ``categories_`` / ``other_values_`` were set (a
        streamed fit sets them from exact counts, :func:`.stream_stats.apply_counts`)."""
        self._index()
        self.__dict__.pop("_value_table", None)

    @property
    def has_other(self) -> bool:
        return len(self.other_values_) > 0 or self.open_

    @property
    def n_slots(self) -> int:
        return len(self.categories_) + int(self.has_other)

    @property
    def spans(self) -> list[tuple[int, str]]:
        return [(self.n_slots, SOFTMAX)]

    @property
    def width(self) -> int:
        return self.n_slots

    @property
    def slot_counts(self) -> np.ndarray:
        """Training rows per slot (the "other" slot last)."""
        if self.has_other:
            return np.append(self.counts_, self.other_counts_.sum() + self.unseen_count_)
        return self.counts_

    def codes(self, values: pd.Series, name: Any, *, unseen: str = "raise") -> np.ndarray:
        """Slot of each value; ValueError naming the first value unseen in training, or, with
        ``unseen="other"`` and an "other" slot, that slot for unseen values (a streamed table
        whose column had too many values to count them all)."""
        # an object Index: no dtype inference on the keys (deprecated for intervals; overflows
        # on a Python int beyond any float)
        keys = pd.Index(self._keys(values).to_numpy(), dtype=object)
        codes = self._lookup.get_indexer(keys)
        unknown = codes < 0
        if unknown.any():
            if self.has_other:
                in_other = self._other_lookup.get_indexer(keys[unknown]) >= 0
                if unseen == "other":
                    in_other[:] = True
                codes[np.flatnonzero(unknown)[in_other]] = len(self.categories_)
                unknown = codes < 0
            if unknown.any():
                bad = values[unknown].iloc[0]
                if self.open_:
                    raise ValueError(
                        f"Column {name!r}: value {bad!r} is not among the values released "
                        "under differential privacy (rare values are not revealed)."
                    )
                raise ValueError(f"Column {name!r}: value {bad!r} was never seen in training.")
        return codes

    def encode(self, s: pd.Series, rng: np.random.Generator) -> np.ndarray:
        codes = self.codes(s, s.name, unseen="other" if self.open_ else "raise")
        out = np.zeros((len(s), self.n_slots), np.float32)
        out[np.arange(len(s)), codes] = 1.0
        return out

    def decode(self, block: np.ndarray, rng: np.random.Generator, name: Any) -> pd.Series:
        return self.decode_codes(block.argmax(1), rng, name)

    def decode_codes(self, code: np.ndarray, rng: np.random.Generator, name: Any) -> pd.Series:
        """Values from each row's slot; the "other" slot draws a pooled value by frequency."""
        n_known = len(self.categories_)
        idx = np.asarray(code, dtype=np.intp)
        other = idx >= n_known
        if self.has_other and other.any() and len(self.other_values_):
            p = self.other_counts_ / self.other_counts_.sum()
            idx = idx.copy()
            idx[other] = n_known + rng.choice(len(self.other_values_), int(other.sum()), p=p)
        elif self.has_other and other.any():  # open, nothing pooled: a released category
            p = self.counts_ / self.counts_.sum()
            idx = idx.copy()
            idx[other] = rng.choice(n_known, int(other.sum()), p=p)
        return take_values(self._table(), idx, name)

    def _table(self) -> pd.Series:
        """Every value (kept, then pooled) once, in the training dtype (built on first use)."""
        table = getattr(self, "_value_table", None)
        if table is None:
            values = np.empty(len(self.categories_) + len(self.other_values_), dtype=object)
            values[:] = list(self.categories_) + list(self.other_values_)
            table = self._value_table = restore(values, self.dtype_, None)
        return table

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        cfg: dict[str, Any] = {
            "kind": self.kind,
            "params": {"max_categories": self.max_categories},
            "dtype": self.dtype_,
            "categories": [to_json(v) for v in self.categories_],
            "other_values": [to_json(v) for v in self.other_values_],
        }
        if self.open_:
            cfg.update(open=True, unseen_count=int(self.unseen_count_))
        return cfg, {"counts": self.counts_, "other_counts": self.other_counts_}

    @classmethod
    def from_state(cls, cfg: dict[str, Any], arrays: dict[str, np.ndarray]) -> DiscreteColumn:
        col = cls(**cfg["params"])
        col.dtype_ = cfg["dtype"]
        col.categories_ = [from_json(v) for v in cfg["categories"]]
        col.other_values_ = [from_json(v) for v in cfg["other_values"]]
        col.counts_ = np.asarray(arrays["counts"], np.int64)
        col.other_counts_ = np.asarray(arrays["other_counts"], np.int64)
        col.open_ = bool(cfg.get("open", False))
        col.unseen_count_ = int(cfg.get("unseen_count", 0))
        if len(col.counts_) != len(col.categories_) or len(col.other_counts_) != len(
            col.other_values_
        ):
            raise ValueError("a discrete column's categories and counts disagree in length")
        col._index()
        return col


# -- no span ----------------------------------------------------------------------------------
class IdColumn:
    """Fresh identifiers: strings as common prefix + random hex, numbers counting up."""

    kind: ClassVar[str] = "id"
    spans: ClassVar[list[tuple[int, str]]] = []
    width: ClassVar[int] = 0

    def fit(self, s: pd.Series, rng: np.random.Generator) -> IdColumn:
        self.dtype_ = dtype_info(s)
        vals = s.dropna()
        self.numeric_ = bool(pd.api.types.is_numeric_dtype(s.dtype))
        if self.numeric_:
            top = vals.max()  # an exact int for integer dtypes (a float loses digits past 2**53)
            self.start_ = (
                int(top) if pd.api.types.is_integer_dtype(s.dtype) else int(float(top))
            ) + 1
            self.prefix_ = ""
        else:
            self.start_ = 0
            self.prefix_ = os.path.commonprefix([str(v) for v in vals.tolist()])
        return self

    def encode(self, s: pd.Series, rng: np.random.Generator) -> np.ndarray:
        return np.zeros((len(s), 0), np.float32)

    def decode(self, block: np.ndarray, rng: np.random.Generator, name: Any) -> pd.Series:
        n = len(block)
        if self.numeric_:
            values = np.arange(self.start_, self.start_ + n).astype(object)
        else:
            raw = rng.integers(0, 2**62, size=n, dtype=np.int64)
            while len(np.unique(raw)) < n:  # practically never
                raw = rng.integers(0, 2**62, size=n, dtype=np.int64)
            # f"{prefix}{v:016x}" for each v, vectorized: big-endian bytes as hex, 16 digits each
            digits = np.frombuffer(raw.astype(">u8").tobytes().hex().encode("ascii"), "S16")
            values = np.char.add(self.prefix_, digits.astype(str)).astype(object)
        return restore(values, self.dtype_, name)

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        cfg = {"kind": self.kind, "dtype": self.dtype_, "numeric": self.numeric_}
        return cfg | {"start": self.start_, "prefix": self.prefix_}, {}

    @classmethod
    def from_state(cls, cfg: dict[str, Any], arrays: dict[str, np.ndarray]) -> IdColumn:
        col = cls()
        col.dtype_, col.numeric_ = cfg["dtype"], bool(cfg["numeric"])
        col.start_, col.prefix_ = int(cfg["start"]), str(cfg["prefix"])
        return col


class ConstantColumn:
    """A column with a single value (missing counts as a value): passed through."""

    kind: ClassVar[str] = "constant"
    spans: ClassVar[list[tuple[int, str]]] = []
    width: ClassVar[int] = 0

    def fit(self, s: pd.Series, rng: np.random.Generator) -> ConstantColumn:
        self.dtype_ = dtype_info(s)
        self.value_ = s.iloc[0]
        return self

    def encode(self, s: pd.Series, rng: np.random.Generator) -> np.ndarray:
        return np.zeros((len(s), 0), np.float32)

    def decode(self, block: np.ndarray, rng: np.random.Generator, name: Any) -> pd.Series:
        values = np.empty(1, dtype=object)
        values[0] = None if is_missing(self.value_) else self.value_
        return take_values(restore(values, self.dtype_, None), np.zeros(len(block), np.intp), name)

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {"kind": self.kind, "dtype": self.dtype_, "value": to_json(self.value_)}, {}

    @classmethod
    def from_state(cls, cfg: dict[str, Any], arrays: dict[str, np.ndarray]) -> ConstantColumn:
        col = cls()
        col.dtype_, col.value_ = cfg["dtype"], from_json(cfg["value"])
        return col


Column = ContinuousColumn | DiscreteColumn | IdColumn | ConstantColumn
_KINDS: dict[str, Any] = {
    c.kind: c for c in (ContinuousColumn, DiscreteColumn, IdColumn, ConstantColumn)
}


def column_from_state(cfg: dict[str, Any], arrays: dict[str, np.ndarray]) -> Column:
    kind = cfg.get("kind")
    if kind not in _KINDS:
        raise ValueError(f"unknown column transformer kind {kind!r}")
    col: Column = _KINDS[kind].from_state(cfg, arrays)
    return col
