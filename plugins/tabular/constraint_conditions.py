"""``sample(conditions=...)`` on constrained columns: conditions on what the model learns.

:func:`translate` rewrites the user's conditions (after those on derived columns were moved to
their sources) into conditions on the modelled table (:mod:`.constrained`):

* a column computed by a :class:`~.constraints.Formula` takes no conditions;
* a value or range outside a ``Range`` / ``Positive`` / ``Negative`` bound is refused;
* conditions on columns of a :class:`~.constraints.FixedCombinations` become a condition on
  the combination: the one that matches, or, when several do, one drawn per row by training
  frequency;
* a condition on the ``high`` column of an :class:`~.constraints.Inequality` becomes exact
  values of ``low`` and of the gap, per row, that add up to it: with ``low`` given, the gap is
  ``high - low``; otherwise ``low`` is drawn from its fitted mixture, restricted to the values
  that leave a gap within the gap's training range, weighting each candidate by how likely the
  gap's mixture makes the gap it leaves (the two are treated as independent there); a range on
  ``high`` then draws the gap from its mixture within the range that is left.

Per-row draws make the conditions a DataFrame (one row per sample), so in a dict they cannot be
combined with ranges on other columns (the tabular adapter takes ranges in a dict only).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy.special import ndtr, ndtri

from .columns import ConstantColumn, ContinuousColumn
from .constrained import ConstraintPlan, FormulaStep, GapStep, JointStep
from .values import pandas_dtype

__all__ = ["translate"]

#: Candidate values of ``low`` drawn per row for a condition on ``high``.
CANDIDATES = 8
_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}


class _Conditions:
    """Conditions by column: a value, a ``(low, high)`` range, or one value per row."""

    def __init__(self, conditions: Any, n: int) -> None:
        self.n = n
        self.frame = isinstance(conditions, pd.DataFrame)
        self.items: dict[Any, tuple[str, Any]] = {}
        if self.frame:
            for i, col in enumerate(conditions.columns):
                self.items[col] = ("rows", conditions.iloc[:, i].reset_index(drop=True))
        else:
            for col, v in conditions.items():
                kind = "range" if isinstance(v, (tuple, list)) else "value"
                self.items[col] = (kind, v)

    def __contains__(self, col: Any) -> bool:
        return col in self.items

    def rows(self, col: Any) -> pd.Series:
        """The condition on ``col`` as one value per row (a value or per-row values)."""
        kind, v = self.items[col]
        if kind == "rows":
            return v
        return pd.Series([v] * self.n, dtype=object)

    def result(self) -> Any:
        per_row = self.frame or any(k == "rows" for k, _ in self.items.values())
        if not per_row:
            return {c: v for c, (_, v) in self.items.items()}
        ranges = [c for c, (k, _) in self.items.items() if k == "range"]
        if ranges:
            raise ValueError(
                f"The conditions on constrained columns are drawn per row, which cannot be "
                f"combined with range conditions in one dict (on {ranges}); give exact values, "
                "or condition on fewer columns."
            )
        frame = pd.DataFrame({i: self.rows(c) for i, c in enumerate(self.items)})
        frame.columns = pd.Index(list(self.items), dtype=object, tupleize_cols=False)
        return frame


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _missing(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def translate(plan: ConstraintPlan, adapter: Any, n: int, conditions: Any) -> Any:
    """``conditions`` (a dict or a DataFrame) on the modelled table (see the module)."""
    if not isinstance(conditions, (Mapping, pd.DataFrame)):
        return conditions  # the adapter names the problem
    if isinstance(conditions, pd.DataFrame) and len(conditions) != n:
        return conditions  # the adapter names the problem
    cond = _Conditions(conditions, n)
    formulas = [s for s in [*plan.steps, *plan.functions] if isinstance(s, FormulaStep)]
    for s in formulas:
        if s.column in cond:
            raise ValueError(
                f"Column {s.column!r} is computed by {s.constraint!r} and takes no conditions; "
                f"condition on its inputs {s.inputs} instead."
            )
    for b in plan.bounded:
        if b.column in cond:
            _check_bound(b, cond)
    rng: np.random.Generator | None = None
    for step in plan.steps:
        if isinstance(step, GapStep) and step.high in cond:
            rng = rng or np.random.default_rng(int(torch.randint(0, 2**62, (1,)).item()))
            _gap_conditions(step, adapter, cond, rng)
    for step in plan.steps:
        if isinstance(step, JointStep) and any(c in cond for c in step.columns):
            rng = rng or np.random.default_rng(int(torch.randint(0, 2**62, (1,)).item()))
            _joint_conditions(step, cond, rng)
    return cond.result()


def _check_bound(b: Any, cond: _Conditions) -> None:
    kind, v = cond.items[b.column]
    if kind == "range":
        if len(v) != 2:
            return  # the adapter names the problem
        low, high = b.bounds()
        lo, hi = v
        try:
            empty = (high is not None and lo is not None and lo > high) or (
                low is not None and hi is not None and hi < low
            )
        except TypeError:
            return
        if empty:
            raise ValueError(
                f"Condition on {b.column!r}: the range {tuple(v)!r} lies outside {b!r} "
                f"({b.describe()})."
            )
        return
    values = cond.rows(b.column)
    for x in pd.unique(values.astype(object)):
        if not _missing(x) and not b.admits(x):
            raise ValueError(f"Condition {b.column!r} = {x!r} violates {b!r} ({b.describe()}).")


# -- fixed combinations -----------------------------------------------------------------------
def _joint_conditions(step: JointStep, cond: _Conditions, rng: np.random.Generator) -> None:
    """Conditions on columns of a fixed combination: a condition on the combination."""
    table = step.table
    assert table is not None
    given = [c for c in step.columns if c in cond]
    per_row = any(cond.items[c][0] == "rows" for c in given)
    if per_row:
        keys = pd.DataFrame({i: cond.rows(c).astype(object) for i, c in enumerate(given)})
        codes, uniques = _factorize_rows(keys)
    else:
        codes, uniques = np.zeros(cond.n, np.int64), [tuple(cond.items[c][1] for c in given)]
    masks = []
    for row in uniques:
        ok = np.ones(len(table), bool)
        for c, v in zip(given, row, strict=True):
            ok &= _in_range(table, c, v) if cond.items[c][0] == "range" else table.matching(c, v)
        if not ok.any():
            shown = dict(zip(given, row, strict=True))
            raise ValueError(
                f"Conditions {shown}: no combination of {step.constraint!r} seen in training "
                "holds them."
            )
        masks.append(ok)
    for c in given:
        del cond.items[c]
    if not per_row and masks[0].sum() == 1:
        cond.items[step.joint] = ("value", int(np.flatnonzero(masks[0])[0]))
        return
    out = np.empty(cond.n, np.int64)
    for u, ok in enumerate(masks):  # a matching combination by its training frequency
        rows = np.flatnonzero(codes == u)
        p = table.counts[ok] / table.counts[ok].sum()
        out[rows] = np.flatnonzero(ok)[rng.choice(int(ok.sum()), len(rows), p=p)]
    cond.items[step.joint] = ("rows", pd.Series(out, dtype=np.int64))


def _in_range(table: Any, col: Any, bounds: Any) -> np.ndarray:
    values = table.values[table.columns.index(col)]
    kind = values.dtype
    ordered = pd.api.types.is_numeric_dtype(kind) or pd.api.types.is_datetime64_any_dtype(kind)
    if not ordered or pd.api.types.is_bool_dtype(kind):
        raise ValueError(
            f"Condition on column {col!r}: give one value, got {bounds!r} (ranges are for "
            "numerical and datetime columns)."
        )
    if len(bounds) != 2:
        raise ValueError(f"Condition on column {col!r}: give (low, high), got {bounds!r}.")
    lo, hi = bounds
    ok = np.asarray(values.notna())
    try:
        if lo is not None:
            ok &= np.asarray((values >= lo).fillna(False), dtype=bool)
        if hi is not None:
            ok &= np.asarray((values <= hi).fillna(False), dtype=bool)
    except TypeError:
        raise ValueError(
            f"Condition on column {col!r}: the range {tuple(bounds)!r} does not compare with "
            "its values."
        ) from None
    return ok


def _factorize_rows(keys: pd.DataFrame) -> tuple[np.ndarray, list[tuple[Any, ...]]]:
    """A code per row of ``keys`` and the distinct rows (missing values as one value)."""
    seen: dict[tuple[Any, ...], int] = {}
    uniques: list[tuple[Any, ...]] = []
    codes = np.empty(len(keys), np.int64)
    for i, row in enumerate(keys.itertuples(index=False, name=None)):
        key = tuple("__tabgan_missing__" if _missing(v) else v for v in row)
        if key not in seen:
            seen[key] = len(uniques)
            uniques.append(tuple(row))
        codes[i] = seen[key]
    return codes, uniques


# -- inequalities -----------------------------------------------------------------------------
class _Space:
    """Numbers of an inequality as float64 offsets from a reference ``ref`` (an int), in the
    gap's unit: exact for the integers and timestamps of a table, whatever their magnitude."""

    def __init__(self, step: GapStep, low: Any) -> None:
        self.step = step
        self.datetime = step.kind == "datetime"
        self.factor = 1
        if self.datetime and isinstance(low, ContinuousColumn) and low.time_unit_:
            self.factor = _PER_SECOND[str(step.unit)] // _PER_SECOND[low.time_unit_]
        base = low.int_min_ if isinstance(low, ContinuousColumn) and low.exact_ else 0
        self.ref = int(base) * self.factor

    def offsets(self, values: pd.Series, col: Any, dtype: dict[str, Any] | None) -> np.ndarray:
        """User values (numbers or timestamps) as offsets; NaN where missing."""
        try:
            codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
        except TypeError:
            raise ValueError(f"Condition on column {col!r}: give one value per row.") from None
        table = np.array(
            [float(self._int_or_float(v, col, dtype) - self.ref) for v in uniques] + [np.nan]
        )
        return table[np.where(codes < 0, len(uniques), codes)]

    def _int_or_float(self, v: Any, col: Any, dtype: dict[str, Any] | None) -> int | float:
        if self.datetime:
            try:
                ts = pd.Timestamp(v)
            except (TypeError, ValueError):
                raise ValueError(
                    f"Condition on column {col!r}: {v!r} is not a timestamp."
                ) from None
            tz = getattr(pandas_dtype(dtype), "tz", None) if dtype else None
            if tz is not None and ts.tzinfo is None:
                ts = ts.tz_localize(tz)
            elif tz is None and ts.tzinfo is not None:
                raise ValueError(f"Column {col!r} has no time zone; give naive timestamps.")
            unit = str(self.step.unit)
            whole = ts.as_unit(unit)
            if whole != ts:
                raise ValueError(
                    f"Condition on column {col!r}: {v!r} is finer than the column's unit ({unit})."
                )
            return int(whole.asm8.view("i8"))
        if isinstance(v, (bool, np.bool_)) or not isinstance(
            v, (int, float, np.integer, np.floating)
        ):
            raise ValueError(f"Condition on column {col!r}: {v!r} is not a number.")
        if isinstance(v, (int, np.integer)):
            return int(v)
        if not np.isfinite(v):
            raise ValueError(f"Condition on column {col!r}: {v!r} is not a finite number.")
        return float(v)


def _grid(t: Any, factor: int = 1) -> float:
    """The spacing of a column's values in the gap's unit (0: any value)."""
    if isinstance(t, ContinuousColumn):
        if t.integral_:
            return float(factor)
        if t.decimals_ is not None:
            return 10.0**-t.decimals_
    return 0.0


def _snap(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, grid: float) -> np.ndarray:
    """``x`` moved onto the grid, within ``[lo, hi]`` (NaN where no grid value lies there)."""
    if grid <= 0:
        return np.clip(x, lo, hi)
    lo_g = np.ceil(lo / grid - 1e-9) * grid
    hi_g = np.floor(hi / grid + 1e-9) * grid
    out = np.clip(np.round(x / grid) * grid, lo_g, hi_g)
    if grid < 1:
        digits = int(round(-np.log10(grid)))
        out = np.round(out, digits)
    return np.where(lo_g > hi_g + grid * 1e-6, np.nan, out)


def _mixture(t: Any, space: _Space) -> tuple[Any, ...]:
    """A column's mixture in ``space``: means, stds, weights, then ``scale`` and ``shift``
    such that a value (offset) = mixture value * scale + shift."""
    if isinstance(t, ConstantColumn):
        v = float(space.offsets(pd.Series([t.value_], dtype=object), None, None)[0])
        return np.array([0.0]), np.array([0.0]), np.array([1.0]), 1.0, v
    assert isinstance(t, ContinuousColumn)
    f = space.factor
    base = int(t.int_min_) * f - space.ref if t.exact_ else -space.ref
    return t.means_, t.stds_, t.weights_, float(t.unit_) * f, float(base)


def _range_of(t: Any, space: _Space) -> tuple[float, float]:
    """The values a condition may ask of a column (its training range), in ``space``."""
    mu, _, _, scale, shift = _mixture(t, space)
    if isinstance(t, ConstantColumn):
        return shift, shift
    # the training range (exact values outside it are refused, whatever enforce_min_max says)
    lo, hi = (0.0, float(t.span_)) if t.exact_ else (t.min_, t.max_)
    return lo * space.factor + shift, hi * space.factor + shift


def _mass(mix: tuple[np.ndarray, ...], lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The mixture's probability in ``[lo, hi]`` (offset space), per element."""
    mu, sd, w, scale, shift = mix
    a = ((lo - shift) / scale)[..., None]
    b = ((hi - shift) / scale)[..., None]
    spike = sd == 0
    sdp = np.where(spike, 1.0, sd)
    with np.errstate(invalid="ignore"):
        normal = w * (ndtr((b - mu) / sdp) - ndtr((a - mu) / sdp))
        point = w * ((a <= mu) & (mu <= b))
    out = np.where(spike, point, normal).sum(-1)
    return np.where(lo <= hi, out, 0.0)


def _draw(
    mix: tuple[np.ndarray, ...], lo: np.ndarray, hi: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """One draw of the mixture restricted to ``[lo, hi]`` per element (offset space; uniform
    where the mixture puts no mass there)."""
    mu, sd, w, scale, shift = mix
    a, b = (lo - shift) / scale, (hi - shift) / scale
    spike = sd == 0
    sdp = np.where(spike, 1.0, sd)
    za, zb = (a[..., None] - mu) / sdp, (b[..., None] - mu) / sdp
    with np.errstate(invalid="ignore"):
        mass = np.where(
            spike, w * ((a[..., None] <= mu) & (mu <= b[..., None])), w * (ndtr(zb) - ndtr(za))
        )
    total = mass.sum(-1)
    u = rng.random(a.shape) * total
    comp = np.minimum((np.cumsum(mass, -1) < u[..., None]).sum(-1), len(mu) - 1)
    za_c = np.take_along_axis(za, comp[..., None], -1)[..., 0]
    zb_c = np.take_along_axis(zb, comp[..., None], -1)[..., 0]
    flip = za_c > 0  # the right tail, by symmetry: the cdf keeps its precision
    p_lo = np.where(flip, ndtr(-zb_c), ndtr(za_c))
    p_hi = np.where(flip, ndtr(-za_c), ndtr(zb_c))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = ndtri(p_lo + rng.random(a.shape) * (p_hi - p_lo))
    x = mu[comp] + sdp[comp] * np.where(flip, -z, z)
    x = np.where(spike[comp], mu[comp], x)
    x = np.where((total > 0) & np.isfinite(x), x, a + rng.random(a.shape) * (b - a))
    return np.clip(x, a, b) * scale + shift


def _gap_conditions(
    step: GapStep, adapter: Any, cond: _Conditions, rng: np.random.Generator
) -> None:
    """A condition on ``high``: exact values of ``low`` and the gap, per row (see the module).

    ``low`` and ``high`` are worked with as offsets from ``low``'s training minimum (in the
    gap's unit), the gap as itself: their differences are gaps."""
    c, n = step.constraint, cond.n
    gap_key = step.gap_source if step.gap_source is not None else step.high
    if step.gap_source is not None and step.gap_source in cond:
        raise ValueError(
            f"Conditions on both {step.high!r} and {step.gap_source!r}: {c!r} computes "
            f"{step.high!r} as {step.low!r} + {step.gap_source!r}; condition on {step.low!r} and "
            f"{step.gap_source!r} instead."
        )
    kind, value = cond.items.pop(step.high)
    gap_t = adapter._transformer(gap_key)
    low_t = adapter._transformer(step.low)
    space, gap_space = _Space(step, low_t), _Space(step, None)
    if kind == "value" and _missing(value):  # a missing high: a missing gap, low free
        cond.items[gap_key] = ("value", np.nan)
        return
    if kind == "rows" and value.isna().any():
        if not value.isna().all():
            raise ValueError(
                f"Conditions on {step.high!r} (the high side of {c!r}): per-row conditions that "
                "mix missing cells and values are not supported there."
            )
        cond.items[gap_key] = ("rows", pd.Series([np.nan] * n))
        return
    if kind == "range":
        if len(value) != 2:
            raise ValueError(f"Condition on column {step.high!r}: give (low, high), got {value!r}.")
        top_lo, top_hi = (
            np.full(n, -np.inf if i == 0 else np.inf)
            if v is None
            else np.full(
                n, space.offsets(pd.Series([v], dtype=object), step.high, step.high_dtype)[0]
            )
            for i, v in enumerate(value)
        )
        if (top_lo > top_hi).any():
            raise ValueError(
                f"Condition on column {step.high!r}: low {value[0]!r} > high {value[1]!r}."
            )
    else:
        rows = value if kind == "rows" else pd.Series([value] * n, dtype=object)
        top_lo = top_hi = space.offsets(rows, step.high, step.high_dtype)
        if not space.datetime:
            _check_precision(step, top_lo + space.ref)
    if step.clip:  # high keeps to its training range (GapStep._fold): so must the condition
        h_lo, h_hi = (float(v - space.ref) for v in step.high_range)
        outside = (top_hi < h_lo) | (top_lo > h_hi)
        if kind != "range" and outside.any():
            i = int(np.argmax(outside))
            asked = _plain(value.iloc[i] if kind == "rows" else value)
            raise ValueError(
                f"Condition on column {step.high!r}: {asked!r} lies outside the training range "
                f"{_shown_range(step)}; the model only generates values within it."
            )
        if outside.any():
            raise ValueError(
                f"Condition on column {step.high!r}: the range {tuple(value)!r} lies outside the "
                f"training range {_shown_range(step)}."
            )
        top_lo, top_hi = np.maximum(top_lo, h_lo), np.minimum(top_hi, h_hi)
    g0, g1 = _range_of(gap_t, gap_space)
    gap_mix, g_grid = _mixture(gap_t, gap_space), _grid(gap_t)
    if step.low in cond and cond.items[step.low][0] != "range":  # low given: the gap follows
        low_off = _low_given(step, cond, space)
        if kind == "range":
            g_lo, g_hi = np.maximum(g0, top_lo - low_off), np.minimum(g1, top_hi - low_off)
            gap = _snap(_draw(gap_mix, g_lo, g_hi, rng), g_lo, g_hi, g_grid)
        else:
            gap = top_lo - low_off
        _check_gaps(step, gap, g0, g1, cond, value if kind == "rows" else pd.Series([value] * n))
        cond.items[gap_key] = ("rows", _gap_series(gap, gap_t))
        return
    if not isinstance(low_t, (ContinuousColumn, ConstantColumn)):
        raise ValueError(
            f"A condition on {step.high!r} (the high side of {c!r}) draws {step.low!r} to fit "
            f"it, which needs {step.low!r} to be a modelled numerical or datetime column; "
            f"condition on {step.low!r} too."
        )
    l_lo, l_hi = _range_of(low_t, space)
    if step.low in cond:  # a range on low as well
        bounds = cond.items.pop(step.low)[1]
        if len(bounds) != 2:
            raise ValueError(f"Condition on column {step.low!r}: give (low, high), got {bounds!r}.")
        ends = space.offsets(pd.Series(list(bounds), dtype=object), step.low, None)
        l_lo = l_lo if bounds[0] is None else max(l_lo, float(ends[0]))
        l_hi = l_hi if bounds[1] is None else min(l_hi, float(ends[1]))
    lo, hi = np.maximum(top_lo - g1, l_lo), np.minimum(top_hi - g0, l_hi)
    l_grid = _grid(low_t, space.factor)
    empty = ~(lo <= hi) | np.isnan(_snap((lo + hi) / 2, lo, hi, l_grid))
    if empty.any():
        i = int(np.argmax(empty))
        asked = value.iloc[i] if kind == "rows" else value
        raise ValueError(
            f"Condition {step.high!r} = {asked!r}: no value of {step.low!r} within its training "
            f"range leaves a gap {step.high!r} - {step.low!r} within the gap's training range "
            f"for {c!r}; the model cannot generate such a row."
        )
    low_mix = _mixture(low_t, space)
    wide_lo, wide_hi = np.repeat(lo[:, None], CANDIDATES, 1), np.repeat(hi[:, None], CANDIDATES, 1)
    cand = _snap(_draw(low_mix, wide_lo, wide_hi, rng), wide_lo, wide_hi, l_grid)
    if kind == "range":  # how likely the gap lands in the range that is left
        weight = _mass(
            gap_mix,
            np.maximum(g0, top_lo[:, None] - cand),
            np.minimum(g1, top_hi[:, None] - cand),
        )
    else:  # how likely the gap that is left is
        half = (g_grid or 1e-6 * max(g1 - g0, 1.0)) / 2
        left = top_lo[:, None] - cand
        weight = _mass(gap_mix, left - half, left + half)
    low_off = cand[np.arange(n), _pick(np.where(np.isnan(cand), 0.0, weight), rng)]
    if kind == "range":
        g_lo, g_hi = np.maximum(g0, top_lo - low_off), np.minimum(g1, top_hi - low_off)
        gap = _snap(_draw(gap_mix, g_lo, g_hi, rng), g_lo, g_hi, g_grid)
    else:
        gap = _snap(top_lo - low_off, np.full(n, g0), np.full(n, g1), g_grid)
    if isinstance(low_t, ContinuousColumn):
        cond.items[step.low] = ("rows", _low_series(low_t, low_off, space))
    cond.items[gap_key] = ("rows", _gap_series(gap, gap_t))


def _shown_range(step: GapStep) -> str:
    lo, hi = step.high_range
    if step.kind == "datetime":
        lo, hi = (pd.Timestamp(int(v), unit=str(step.unit)) for v in (lo, hi))
    return f"[{lo}, {hi}]"


def _pick(weight: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One column per row, with probability proportional to ``weight`` (uniform when 0)."""
    total = weight.sum(1, keepdims=True)
    p = np.where(total > 0, weight / np.where(total > 0, total, 1.0), 1.0 / weight.shape[1])
    u = rng.random((len(weight), 1))
    return np.minimum((np.cumsum(p, 1) < u).sum(1), weight.shape[1] - 1)


def _low_given(step: GapStep, cond: _Conditions, space: _Space) -> np.ndarray:
    """The exact low values asked for, as offsets (the shift where low is asked missing)."""
    off = space.offsets(cond.rows(step.low), step.low, None)
    missing = np.isnan(off)
    if missing.any():
        if step.shift is None:
            raise ValueError(
                f"Conditions ask for a missing {step.low!r} with a value of {step.high!r}; in "
                f"training {step.high!r} was missing whenever {step.low!r} was."
            )
        off = np.where(missing, float(step.shift - space.ref), off)
    return off


def _check_gaps(
    step: GapStep, gap: np.ndarray, g0: float, g1: float, cond: _Conditions, high: pd.Series
) -> None:
    """Refuse given low and high values that violate the inequality or leave a gap the model
    never generates."""
    tol = 1e-9 * max(abs(g0), abs(g1), 1.0)
    bad = np.isnan(gap) | (gap < g0 - tol) | (gap > g1 + tol)
    if step.constraint.strict:
        bad |= gap <= 0
    if bad.any():
        i = int(np.argmax(bad))
        low, top = _plain(cond.rows(step.low).iloc[i]), _plain(high.iloc[i])
        broken = np.isnan(gap[i]) or gap[i] < 0 or (step.constraint.strict and gap[i] <= 0)
        why = (
            f"they violate {step.constraint!r} ({step.constraint.describe()})"
            if broken
            else f"their difference lies outside the gaps the model generates for "
            f"{step.constraint!r} ([{g0:g}, {g1:g}])"
        )
        raise ValueError(
            f"Conditions {step.low!r} = {low!r} and {step.high!r} = {top!r} (row {i}): {why}."
        )


def _check_precision(step: GapStep, values: np.ndarray) -> None:
    """Refuse a value of ``high`` its column cannot hold (a fraction where it holds whole
    numbers, more decimals than its training values have)."""
    target = pandas_dtype(step.high_dtype)
    if pd.api.types.is_integer_dtype(target):
        if not np.all(values == np.round(values)):
            raise ValueError(f"Condition on column {step.high!r}: give whole numbers.")
        return
    d = step.high_decimals
    if d is not None and not np.allclose(
        values, np.round(values, d), rtol=0, atol=10.0 ** -(d + 3)
    ):
        raise ValueError(
            f"Condition on column {step.high!r}: a value has more than the {d} decimals the "
            "column holds."
        )


def _low_series(t: ContinuousColumn, off: np.ndarray, space: _Space) -> pd.Series:
    """Drawn low values (offsets) as values of the low column."""
    if t.exact_:
        own = np.round(off / space.factor).astype(np.int64)
        ints = [int(t.int_min_) + int(v) for v in own.tolist()]  # ref = int_min_ * factor
        if t.is_datetime_:
            tz = getattr(pandas_dtype(t.dtype_), "tz", None)
            stamps = pd.to_datetime(
                np.array(ints, dtype=np.int64), unit=t.time_unit_ or "ns", utc=tz is not None
            )
            if tz is not None:
                stamps = stamps.tz_convert(tz)
            return pd.Series(stamps.as_unit(t.time_unit_ or "ns"))
        return pd.Series(ints, dtype=object)
    return pd.Series(off + space.ref)


def _gap_series(gap: np.ndarray, t: Any) -> pd.Series:
    """Gaps as values of the gap column (whole numbers where it holds them)."""
    if isinstance(t, ContinuousColumn) and (t.integral_ or t.exact_):
        return pd.Series([int(v) for v in np.round(gap).tolist()], dtype=object)
    if isinstance(t, ConstantColumn):
        return pd.Series([t.value_] * len(gap), dtype=object)
    return pd.Series(gap)
