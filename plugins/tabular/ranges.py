"""Conditions on continuous columns: decode their values from a batch in torch, and turn the
user's bounds and values into each column's shifted space."""

from __future__ import annotations

import decimal
import math
import numbers
from typing import Any

import numpy as np
import pandas as pd
import torch

from .columns import ContinuousColumn
from .spans import SpanLayout
from .spikes import fold

__all__ = ["MISSING", "RangeChecker", "shifted_bound", "shifted_targets"]

#: The target that asks for a missing value (a target is otherwise a finite shifted value).
MISSING = float("inf")

_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}


class RangeChecker:
    """Decoded values of every continuous column of compact samples, vectorized.

    Works on the compact rows of :meth:`TabularAdapter.generate` (alphas, then each span's
    slot index) and mirrors :meth:`ContinuousColumn.decode_parts`: ``alpha * 4 * sigma_k +
    mu_k`` for the mode ``k``, times the column's unit, clipped and rounded like the decoder,
    the value in the alpha slot where the mode is ``-1`` (a fixed value), NaN where the missing
    indicator is on. Values are in each column's shifted space (``value - min`` for integers and
    datetimes, the value for floats), in float64 on the CPU.
    """

    def __init__(self, transformers: list[Any], starts: list[int], layout: SpanLayout) -> None:
        cols = [
            (i, t, s)
            for i, (t, s) in enumerate(zip(transformers, starts, strict=True))
            if isinstance(t, ContinuousColumn)
        ]
        self.columns = [i for i, _, _ in cols]
        self.n = len(cols)
        t0 = layout.n_tanh
        means: list[np.ndarray] = []
        stds: list[np.ndarray] = []
        offsets: list[int] = []
        alpha_pos: list[int] = []
        mode_col: list[int] = []
        nan_col: list[int] = []
        lo: list[float] = []
        hi: list[float] = []
        unit: list[float] = []
        integral: list[bool] = []
        scale: list[float] = []
        spread: list[float] = []
        folds: list[bool] = []
        for _, t, s in cols:
            k = len(t.means_)
            offsets.append(sum(len(m) for m in means))
            means.append(t.means_)
            stds.append(4 * t.stds_)
            alpha_pos.append(int(layout.model_pos[s]))
            mode_col.append(t0 + layout.segment_of[s + 1])
            nan_col.append(t0 + layout.segment_of[s + 1 + k] if t.has_nan_ else -1)
            clip = t.clip_bounds()
            lo.append(clip[0])
            hi.append(clip[1])
            unit.append(t.unit_)
            integral.append(t.integral_)
            scale.append(10.0**t.decimals_ if t.decimals_ is not None else 0.0)
            spread.append(_spread(t))
            folds.append(t.folds_)
        self.means = torch.from_numpy(np.concatenate(means) if means else np.zeros(0))
        self.stds4 = torch.from_numpy(np.concatenate(stds) if stds else np.zeros(0))
        self.offsets = torch.tensor(offsets, dtype=torch.long)
        self.alpha_pos = torch.tensor(alpha_pos, dtype=torch.long)
        self.mode_col = torch.tensor(mode_col, dtype=torch.long)
        self.nan_col = torch.tensor(nan_col, dtype=torch.long)
        self.clip_lo = torch.tensor(lo, dtype=torch.float64)
        self.clip_hi = torch.tensor(hi, dtype=torch.float64)
        self.unit = torch.tensor(unit, dtype=torch.float64)
        self.integral = torch.tensor(integral, dtype=torch.bool)
        self.scale = torch.tensor(scale, dtype=torch.float64)
        self.spread = torch.tensor(spread, dtype=torch.float64)
        self.fold = torch.tensor(folds, dtype=torch.bool)

    def values(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, n)`` decoded values (float64, shifted space, NaN for missing)."""
        x = x.detach().to("cpu", torch.float64)
        code = x[:, self.mode_col].round().long()
        fixed = code < 0
        mode = code.clamp(min=0) + self.offsets
        given = x[:, self.alpha_pos]
        v = given.clamp(-1.0, 1.0) * self.stds4[mode] + self.means[mode]
        v = v * self.unit
        outside = (v < self.clip_lo) | (v > self.clip_hi)
        if bool((self.fold & outside).any()):  # as the decoder: fold back in, then clip
            v = torch.where(self.fold & outside, fold(v, self.clip_lo, self.clip_hi), v)
        v = torch.minimum(torch.maximum(v, self.clip_lo), self.clip_hi)
        v = torch.where(self.integral, v.round(), v)
        if bool((self.scale > 0).any()):  # np.round(v, decimals): v * 10**d, rint, / 10**d
            small = (self.scale > 0) & (v.abs() < 2.0**52)
            safe = torch.where(small, self.scale, torch.ones_like(self.scale))
            v = torch.where(small, (v * safe).round() / safe, v)
        v = torch.where(fixed, given, v)
        has_nan = self.nan_col >= 0
        if has_nan.any():
            missing = x[:, self.nan_col.clamp(min=0)].round() == 1
            v = torch.where(missing & has_nan, torch.nan, v)
        return v

    def satisfied(self, x: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor) -> torch.Tensor:
        """Rows of compact samples ``x`` whose constrained columns lie in ``[lo, hi]``
        (``(B, n)`` float64 bounds, shifted space)."""
        v = self.values(x)
        constrained = torch.isfinite(lo) | torch.isfinite(hi)
        ok = ((v >= lo) & (v <= hi)) | ~constrained
        return ok.all(1)

    def distance(self, x: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``(B,)`` how far the rows of ``x`` are from ``target`` on the ``mask`` columns:
        the sum of ``|value - target|`` over each column's training spread (``inf`` where a
        value is missing)."""
        v = self.values(x)
        gap = ((v / self.unit - target / self.unit).abs() / self.spread).nan_to_num(nan=np.inf)
        return torch.where(mask, gap, torch.zeros_like(gap)).sum(1)


def _spread(t: ContinuousColumn) -> float:
    """The width of the column's training range in its unit (1 when that is 0)."""
    width = float(t.span_) if t.exact_ else t.max_ / t.unit_ - t.min_ / t.unit_
    return width if width > 0 else 1.0


# -- user values -> shifted space ---------------------------------------------------------------
def _timestamp(t: ContinuousColumn, value: Any, col: Any) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise ValueError(f"Condition on column {col!r}: {value!r} is not a timestamp.") from None
    tz = getattr(pd.api.types.pandas_dtype(t.dtype_["dtype"]), "tz", None)
    if tz is not None and ts.tzinfo is None:
        ts = ts.tz_localize(tz)
    elif tz is None and ts.tzinfo is not None:
        raise ValueError(f"Column {col!r} has no timezone; give naive timestamps.")
    return ts


def _in_unit(ts: pd.Timestamp, unit: str) -> tuple[int, float]:
    """``ts`` in whole ``unit``s since the epoch (UTC), and the fraction of a unit left."""
    raw = int(ts.asm8.view("i8"))
    have, want = _PER_SECOND[ts.unit], _PER_SECOND[unit]
    if have <= want:
        return raw * (want // have), 0.0
    whole, rest = divmod(raw, have // want)
    return whole, rest / (have // want)


def _number(value: Any, col: Any) -> int | float:
    """A condition's number: an int when it is an integer type, else a finite float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (numbers.Real, decimal.Decimal)
    ):
        raise ValueError(
            f"Condition on column {col!r}: {value!r} is not a number (the column is numerical)."
        )
    if isinstance(value, numbers.Integral):
        return int(value)
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"Condition on column {col!r}: {value!r} is not a finite number.")
    return out


def _parts(t: ContinuousColumn, value: Any, col: Any) -> tuple[int, float]:
    """A user's value in the column's shifted space as ``(whole, rest)``, their sum: for
    integers and datetimes a whole part (exact, it may exceed 2**53) and a fraction in
    ``[0, 1)``; for floats 0 and the value."""
    if t.is_datetime_:
        ts = _timestamp(t, value, col)
        if not t.exact_:  # models saved before exact datetimes: float nanoseconds
            return 0, float(ts.as_unit("ns").value)
        whole, frac = _in_unit(ts, t.time_unit_ or "ns")
        return whole - t.int_min_, frac
    num = _number(value, col)
    if not t.exact_:
        return 0, float(num)
    if isinstance(num, int):
        return num - t.int_min_, 0.0
    whole = math.floor(num)
    return whole - t.int_min_, num - whole


def shifted_bound(t: ContinuousColumn, value: Any, col: Any) -> float:
    """A user's range bound in the column's shifted space (NaN for ``None``, an open end)."""
    if value is None:
        return float("nan")
    if not t.is_datetime_ and isinstance(value, float) and np.isnan(value):
        raise ValueError(f"Column {col!r}: range bound is NaN; use None for an open end.")
    try:
        whole, frac = _parts(t, value, col)
    except ValueError as exc:
        if "is not a number" in str(exc):
            raise ValueError(f"Column {col!r}: range bound {value!r} is not a number.") from None
        raise
    return float(whole) + frac


def _describe_range(t: ContinuousColumn) -> str:
    if t.is_datetime_ and t.exact_:
        tz = getattr(pd.api.types.pandas_dtype(t.dtype_["dtype"]), "tz", None)
        ends = [
            pd.Timestamp(v, unit=t.time_unit_ or "ns", tz="UTC")
            for v in (t.int_min_, t.int_min_ + t.span_)
        ]
        lo, hi = (e.tz_convert(tz) if tz is not None else e.tz_localize(None) for e in ends)
        return f"[{lo}, {hi}]"
    if t.exact_:
        return f"[{t.int_min_}, {t.int_min_ + t.span_}]"
    return f"[{t.min_!r}, {t.max_!r}]"


def _target(t: ContinuousColumn, value: Any, col: Any) -> float:
    """One exact value asked for, checked: a whole number where the column holds them, within
    the training range."""
    whole, rest = _parts(t, value, col)
    shifted = float(whole) + rest
    if t.integral_ and (rest != 0.0 if t.exact_ else not shifted.is_integer()):
        holds = f"whole {t.time_unit_}" if t.is_datetime_ else "whole numbers"
        raise ValueError(
            f"Condition on column {col!r}: {value!r} is not a whole number; the column holds "
            f"{holds} only."
        )
    inside = 0 <= whole <= t.span_ if t.exact_ else t.min_ <= shifted <= t.max_
    if not inside:
        raise ValueError(
            f"Condition on column {col!r}: {value!r} lies outside the training range "
            f"{_describe_range(t)}; the model only generates values within it."
        )
    return shifted


def shifted_targets(t: ContinuousColumn, values: pd.Series, col: Any) -> np.ndarray:
    """Exact values asked for, one per row of ``values``, in the column's shifted space:
    :data:`MISSING` where a row asks for a missing value (NaN / None)."""
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:
        raise ValueError(
            f"Condition on column {col!r}: give one value per row, got {values.iloc[0]!r}."
        ) from None
    table = np.array([_target(t, v, col) for v in uniques], dtype=np.float64)
    if (codes < 0).any() and not t.has_nan_:
        raise ValueError(
            f"Condition on column {col!r}: a missing value was asked for, but the column had "
            "no missing values in training."
        )
    return np.where(codes < 0, MISSING, table[np.maximum(codes, 0)] if len(table) else MISSING)
