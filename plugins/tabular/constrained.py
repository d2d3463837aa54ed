"""Fitted constraints: how each one changes the modelled table, and how it is undone.

The tabular adapter models a table in which every constraint holds by construction
(:mod:`.constraints` describes the kinds): :meth:`ConstraintPlan.model_frame` turns the
training frame into the modelled one and :meth:`ConstraintPlan.decode` turns decoded rows back,
before the derived columns (:mod:`.derived`) are computed.

* :class:`GapStep` (``Inequality(low, high)``): ``high``'s position holds ``gap = high - low``,
  a numerical column kept in its training range (which starts at 0, or above 0 when strict);
  decoded, ``high = low + gap``. Rows where ``low`` is missing and ``high`` is not hold
  ``gap = high - shift`` (``shift`` = their smallest ``high`` less the smallest gap of the
  other rows, so their gaps also lie in that range) and decode to ``shift + gap``. When the gap
  equals a modelled column on every training row (a discount, a duration), that column is the
  gap (``gap_source``) and ``high`` is not modelled at all. ``high`` keeps to its training
  range as a modelled column would (``enforce_min_max``; always for integers, datetimes and
  bounded columns): the gap is folded into what is left of its range, row by row
  (:meth:`GapStep._fold`), a ``gap_source`` column too (on OJ, leaving ``high`` unfolded cost
  0.03 in quality, mostly pair trends).
* :class:`JointStep` (``FixedCombinations``): the first column's position holds the index of
  the row's combination (one categorical column); the other columns are not modelled.
* :class:`FormulaStep`: the column is not modelled (or, when it was missing on rows whose
  inputs were not, only whether it is missing); decoded, it is computed.
* ``Range`` / ``Positive`` / ``Negative``: the column is modelled as usual and kept within its
  training range (which lies within the bounds): nothing to undo.

Every column a constraint reads stays out of derived-column detection as a target (and a
column computed by a Python function entirely), so the two machineries never compete.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .columns import Column, ConstantColumn, ContinuousColumn, DiscreteColumn
from .constraints import (
    Combinations,
    Constraint,
    FixedCombinations,
    Formula,
    Inequality,
    _Bounded,
    _fill,
    as_constraint,
    column,
    from_state,
    violation_message,
)
from .derived import DerivedColumn, _cast, _decimals, _round
from .values import dtype_info, from_json, pandas_dtype, restore, to_json

__all__ = ["ON_VIOLATION", "ConstraintPlan"]

ON_VIOLATION = ("raise", "drop")
_UNIT_ORDER = ("s", "ms", "us", "ns")
#: Largest magnitude of an integer column an inequality works with exactly.
_INT_LIMIT = 2**62


def _finer(a: str, b: str) -> str:
    return a if _UNIT_ORDER.index(a) >= _UNIT_ORDER.index(b) else b


def _ints(s: pd.Series, unit: str) -> tuple[np.ndarray, np.ndarray]:
    """Datetimes as int64 counts of ``unit`` since the epoch (UTC), and the missing mask."""
    idx = pd.DatetimeIndex(s).as_unit(unit)
    return idx.asi8.copy(), np.asarray(idx.isna())


def _numbers(s: pd.Series) -> np.ndarray:
    return s.to_numpy(dtype=np.float64, na_value=np.nan)


def _integral(s: pd.Series) -> bool:
    return bool(pd.api.types.is_integer_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype))


# -- inequality -------------------------------------------------------------------------------
class GapStep:
    """``Inequality(low, high)``: ``high`` modelled as ``gap = high - low``."""

    def __init__(self, constraint: Inequality) -> None:
        self.constraint = constraint
        self.low, self.high = constraint.low, constraint.high
        self.kind = "number"  # or "datetime"
        self.unit: str | None = None  # datetimes: the unit of the gap (the finer of the two)
        self.integral = False  # both integer columns: an exact integer gap
        self.decimals: int | None = None  # the gap's and high's rounding (floats)
        self.high_decimals: int | None = None
        self.shift: Any = None  # rows with low missing: gap = high - shift
        self.high_dtype: dict[str, Any] = {}
        self.gap_source: Any = None
        #: keep ``high`` within its training range (folding the gap, row by row)
        self.clip = False
        self.high_range: tuple[Any, Any] = (None, None)
        self.gap_range: tuple[Any, Any] = (None, None)  # the gap column's training range

    @property
    def outputs(self) -> list[Any]:
        return [self.high]

    @property
    def inputs(self) -> list[Any]:
        return [self.low] + ([self.gap_source] if self.gap_source is not None else [])

    def fit(self, df: pd.DataFrame, clip: bool = True) -> None:
        """Learn the gap's form from the training rows; ``clip``: keep ``high`` within its
        training range (as ``enforce_min_max`` does for modelled columns; always for
        integers, datetimes and columns with declared bounds)."""
        lo, hi = column(df, self.low), column(df, self.high)
        self.high_dtype = dtype_info(hi)
        if pd.api.types.is_datetime64_any_dtype(lo.dtype):
            self.kind = "datetime"
            self.unit = _finer(pd.DatetimeIndex(lo).unit, pd.DatetimeIndex(hi).unit)
            self.integral = True
        else:
            self.integral = _integral(lo) and _integral(hi)
            for s in (lo, hi):
                v = _numbers(s)
                v = v[~np.isnan(v)]
                if len(v) and np.abs(v).max() >= _INT_LIMIT and self.integral:
                    raise ValueError(
                        f"{self.constraint!r}: column {s.name!r} holds values beyond 2**62; an "
                        "inequality between integers that large is not supported."
                    )
            if not self.integral:
                hv, lv = _numbers(hi), _numbers(lo)
                dh = 0 if _integral(hi) else _decimals(hv[~np.isnan(hv)])
                dl = 0 if _integral(lo) else _decimals(lv[~np.isnan(lv)])
                self.high_decimals = dh
                self.decimals = None if dh is None or dl is None else max(dh, dl)
        raw, low_missing, high_missing = self._raw_gap(lo, hi)
        both = ~low_missing & ~high_missing
        g_min = raw[both].min() if both.any() else 0
        lone = low_missing & ~high_missing
        if lone.any():
            h = self._values(hi)[lone]
            self.shift = h.min() - g_min
            if not self.integral:
                self.shift = float(_round(np.array([self.shift]), self.decimals)[0])
            else:
                self.shift = int(self.shift)
        present = self._values(hi)[~high_missing]
        self.clip = bool(clip or self.integral)
        cast = int if self.integral else float
        self.high_range = (cast(present.min()), cast(present.max()))
        gaps = self.model_series(df).dropna()
        self.gap_range = (cast(gaps.min()), cast(gaps.max()))

    def _values(self, s: pd.Series) -> np.ndarray:
        """Numbers (float64), exact integers (int64) or datetimes (int64 of ``unit``)."""
        if self.kind == "datetime":
            assert self.unit is not None
            return _ints(s, self.unit)[0]
        if self.integral:
            return s.to_numpy(dtype=np.int64, na_value=0)
        return _numbers(s)

    def _raw_gap(self, lo: pd.Series, hi: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        low_missing, high_missing = np.asarray(lo.isna()), np.asarray(hi.isna())
        gap = self._values(hi) - self._values(lo)
        if not self.integral:
            gap = _round(gap, self.decimals)
        return gap, low_missing, high_missing

    def model_series(self, df: pd.DataFrame) -> pd.Series:
        """The gap column (in ``high``'s position), for fitting and encoding."""
        lo, hi = column(df, self.low), column(df, self.high)
        gap, low_missing, high_missing = self._raw_gap(lo, hi)
        if self.shift is not None:
            lone = low_missing & ~high_missing
            gap = np.where(lone, self._values(hi) - self.shift, gap)
            low_missing = low_missing & ~lone
        missing = low_missing | high_missing
        if self.integral:
            if missing.any():
                arr = pd.array(np.where(missing, 0, gap).astype(np.int64), dtype="Int64")
                arr[missing] = pd.NA
                return pd.Series(arr, name=self.high)
            return pd.Series(gap.astype(np.int64), name=self.high)
        return pd.Series(np.where(missing, np.nan, gap), name=self.high)

    def gap_bounds(self, gap: Column | DerivedColumn) -> tuple[float, float]:
        """The smallest and largest gap the model can give (the gap column's training range)."""
        if isinstance(gap, ContinuousColumn):
            lo, hi = gap.clip_bounds()
            base = float(gap.int_min_) if gap.exact_ else 0.0
            return lo + base, hi + base
        if isinstance(gap, ConstantColumn):
            v = float(gap.value_)
            return v, v
        raise TypeError("the gap of an inequality is modelled by a continuous column")

    def apply(self, get: Callable[[Any], pd.Series], n: int) -> tuple[pd.Series, pd.Series | None]:
        """``high`` (in its dtype) from ``low`` and the gap; and, when the gap had to be folded
        to keep ``high`` in its training range and the gap is a column of its own, that column
        (else None)."""
        lo = get(self.low)
        gap = get(self.gap_source if self.gap_source is not None else self.high)
        low_missing = np.asarray(lo.isna())
        missing = np.asarray(gap.isna()) | (low_missing & (self.shift is None))
        shift = self.shift if self.shift is not None else 0
        if self.kind == "datetime" or self.integral:
            if self.kind == "datetime":
                lv = _ints(lo, str(self.unit))[0]
            else:
                lv = lo.to_numpy(dtype=np.int64, na_value=0)
            base = np.where(low_missing, shift, lv).astype(np.int64)
            g = gap.to_numpy(dtype=np.int64, na_value=0)
        else:
            base = np.where(low_missing, shift, _numbers(lo))
            g = _numbers(gap)
        g, folded = self._fold(g, base, missing)
        moved = None
        if folded and self.gap_source is not None:
            moved = self._gap_values(g, gap, missing)
        if self.kind == "datetime":
            return self._datetimes(base + g, missing), moved
        if self.integral:
            exact = base + g
            return self._numbers_out(exact.astype(np.float64), exact, missing), moved
        x = _round(base + g, self.high_decimals)
        out = self._numbers_out(x, None, missing)
        bad = ~_fill(out > lo if self.constraint.strict else out >= lo, missing | low_missing)
        if bad.any():  # rounding or casting took high below low: the closest value that holds
            x = np.where(bad, self._above(_numbers(lo)), x)
            out = self._numbers_out(x, None, missing)
        return out, moved

    def _fold(
        self, g: np.ndarray, base: np.ndarray, missing: np.ndarray
    ) -> tuple[np.ndarray, bool]:
        """Gaps folded (reflected) into ``[high_min - base, high_max - base]`` (within the gap's
        own training range) where they would take ``high`` out of its training range. For a
        ``base`` within ``low``'s training range the two ranges always meet: every training
        row has ``high_min <= low + gap <= high_max`` and ``gap_min <= gap <= gap_max``."""
        if not self.clip:
            return g, False
        top_lo, top_hi = self.high_range
        g0, g1 = self.gap_range
        lo_g, hi_g = np.maximum(top_lo - base, g0), np.minimum(top_hi - base, g1)
        # empty only for a low outside its training range (enforce_min_max=False): keep the
        # gap, so the inequality still holds
        empty = lo_g > hi_g
        lo_g, hi_g = np.where(empty, g0, lo_g), np.where(empty, g1, hi_g)
        out = ((g < lo_g) | (g > hi_g)) & ~missing
        if not out.any():
            return g, False
        width = hi_g - lo_g
        safe = np.where(width > 0, width, 1)
        t = (g - lo_g) % (2 * safe)
        inside = lo_g + t - 2 * np.clip(t - safe, 0, None)
        inside = np.where(width > 0, inside, lo_g)
        if not self.integral:
            inside = np.clip(_round(inside, self.decimals), lo_g, hi_g)
        return np.where(out, inside, g), True

    def _gap_values(self, g: np.ndarray, like: pd.Series, missing: np.ndarray) -> pd.Series:
        """Folded gaps as values of the gap's own column (its dtype)."""
        values = np.empty(len(g), dtype=object)
        values[:] = [None if m else v for v, m in zip(g.tolist(), missing.tolist(), strict=True)]
        return restore(values, dtype_info(like), None)

    def _above(self, low: np.ndarray) -> np.ndarray:
        """The smallest value of ``high``'s precision that is >= ``low`` (> when strict)."""
        strict = self.constraint.strict
        with np.errstate(invalid="ignore"):
            if pd.api.types.is_integer_dtype(pandas_dtype(self.high_dtype)):
                return np.floor(low) + 1 if strict else np.ceil(low)
            if self.high_decimals is not None:
                scale = 10.0**self.high_decimals
                k = np.floor(low * scale + 1e-9) + 1 if strict else np.ceil(low * scale - 1e-9)
                up = _round(k / scale, self.high_decimals)
                return np.where(up < low, _round((k + 1) / scale, self.high_decimals), up)
            return np.nextafter(low, np.inf) if strict else low

    def _numbers_out(
        self, x: np.ndarray, exact: np.ndarray | None, missing: np.ndarray
    ) -> pd.Series:
        """``high`` in its training dtype from float64 values ``x`` (or exact integers)."""
        target = pandas_dtype(self.high_dtype)
        integer = pd.api.types.is_integer_dtype(target)
        if integer and exact is None:
            exact = np.round(np.nan_to_num(x)).astype(np.int64)
        if isinstance(target, np.dtype) and target.kind in "iu":
            if missing.any():
                raise ValueError(
                    f"{self.constraint!r}: missing values decoded for {self.high!r} ({target})."
                )
            assert exact is not None
            return pd.Series(exact.astype(target))
        if isinstance(target, np.dtype) and target.kind == "f":
            return pd.Series(np.where(missing, np.nan, x).astype(target))
        values = np.empty(len(x), dtype=object)
        src = exact.tolist() if exact is not None else x.tolist()
        values[:] = [None if m else v for v, m in zip(src, missing.tolist(), strict=True)]
        return restore(values, self.high_dtype, None)

    def _datetimes(self, x: np.ndarray, missing: np.ndarray) -> pd.Series:
        assert self.unit is not None
        target = pandas_dtype(self.high_dtype)
        stamps = np.where(missing, np.iinfo(np.int64).min, x).astype(np.int64)
        idx = pd.DatetimeIndex(stamps.view(f"datetime64[{self.unit}]"))
        unit = getattr(target, "unit", "ns")
        if _UNIT_ORDER.index(unit) < _UNIT_ORDER.index(self.unit):
            idx = idx.ceil(unit)  # a coarser column: round up, so high stays >= low
        tz = getattr(target, "tz", None)
        if tz is not None:
            idx = idx.tz_localize("UTC").tz_convert(tz)
        return pd.Series(idx.as_unit(unit), name=None).astype(target)

    def to_state(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "unit": self.unit,
            "integral": self.integral,
            "decimals": self.decimals,
            "high_decimals": self.high_decimals,
            "shift": to_json(self.shift),
            "high_dtype": self.high_dtype,
            "gap_source": None if self.gap_source is None else to_json(self.gap_source),
            "clip": self.clip,
            "high_range": [to_json(v) for v in self.high_range],
            "gap_range": [to_json(v) for v in self.gap_range],
        }

    def set_state(self, state: Mapping[str, Any]) -> None:
        self.kind, self.unit = state["kind"], state["unit"]
        self.integral = bool(state["integral"])
        self.decimals, self.high_decimals = state["decimals"], state["high_decimals"]
        self.shift = from_json(state["shift"])
        self.high_dtype = state["high_dtype"]
        src = state.get("gap_source")
        self.gap_source = None if src is None else from_json(src)
        self.clip = bool(state["clip"])
        low, high = (from_json(v) for v in state["high_range"])
        self.high_range = (low, high)
        g0, g1 = (from_json(v) for v in state["gap_range"])
        self.gap_range = (g0, g1)


# -- fixed combinations -----------------------------------------------------------------------
class JointStep:
    """``FixedCombinations(columns)``: one categorical column of the seen combinations."""

    def __init__(self, constraint: FixedCombinations) -> None:
        self.constraint = constraint
        self.columns = list(constraint.columns)
        self.table: Combinations | None = None

    @property
    def outputs(self) -> list[Any]:
        return self.columns

    @property
    def inputs(self) -> list[Any]:
        return []

    @property
    def joint(self) -> Any:
        """The column whose position holds the combination index."""
        return self.columns[0]

    def fit(self, df: pd.DataFrame) -> None:
        self.table = Combinations.fit(self.constraint, df)

    def codes(self, df: pd.DataFrame) -> np.ndarray:
        assert self.table is not None
        return self.table.codes(df)

    def model_series(self, df: pd.DataFrame) -> pd.Series:
        codes = self.codes(df)
        if (codes < 0).any():
            i = int(np.argmax(codes < 0))
            seen = {c: column(df, c).iloc[i] for c in self.columns}
            raise ValueError(
                f"{self.constraint!r}: row {df.index[i]!r} holds the combination {seen}, never "
                "seen in training."
            )
        return pd.Series(codes, name=self.joint)

    def apply(self, get: Callable[[Any], pd.Series], n: int) -> dict[Any, pd.Series]:
        assert self.table is not None
        codes = get(self.joint).to_numpy(dtype=np.int64)
        return {c: self.table.take(j, codes, None) for j, c in enumerate(self.columns)}

    def to_state(self) -> dict[str, Any]:
        assert self.table is not None
        return {"table": self.table.to_state()}

    def set_state(self, state: Mapping[str, Any]) -> None:
        self.table = Combinations.from_state(self.columns, state["table"])


# -- formulas ---------------------------------------------------------------------------------
class FormulaStep:
    """``Formula(column, expression)``: the column computed after decoding."""

    def __init__(self, constraint: Formula) -> None:
        self.constraint = constraint
        self.column = constraint.column
        self.decimals: int | None = None
        self.dtype: dict[str, Any] = {}
        self.numeric = True
        self.flag = False  # whether the missingness of the column is modelled

    @property
    def outputs(self) -> list[Any]:
        return [self.column]

    @property
    def inputs(self) -> list[Any]:
        return self.constraint.inputs()

    def fit(self, df: pd.DataFrame) -> None:
        s = column(df, self.column)
        self.dtype = dtype_info(s)
        self.numeric = bool(
            pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)
        )
        if self.numeric:
            v = _numbers(s)
            self.decimals = 0 if _integral(s) else _decimals(v[~np.isnan(v)])
        missing = np.asarray(s.isna())
        inputs_missing = np.zeros(len(s), bool)
        for c in self.inputs:
            inputs_missing |= np.asarray(column(df, c).isna())
        if self.constraint.is_function:
            self.flag = bool(missing.any())
        else:
            self.flag = bool((missing & ~inputs_missing).any())
            target = pandas_dtype(self.dtype)
            lost = ~missing & inputs_missing
            if lost.any() and isinstance(target, np.dtype) and target.kind in "iub":
                i = int(np.argmax(lost))
                raise ValueError(
                    f"{self.constraint!r}: on row {df.index[i]!r} an input is missing but "
                    f"{self.column!r} is not, and {self.column!r} ({target}) cannot hold a "
                    "missing value where the formula gives one; fill the inputs, or cast the "
                    "column to a nullable dtype (e.g. 'Int64')."
                )

    def model_series(self, df: pd.DataFrame) -> pd.Series:
        s = column(df, self.column)
        return pd.Series(np.asarray(s.isna()), name=self.column) if self.flag else s

    def apply(
        self, get: Callable[[Any], pd.Series], frame: Callable[[], pd.DataFrame], n: int
    ) -> pd.Series:
        parsed = self.constraint.parsed
        if parsed is None:
            got = np.asarray(self.constraint.values(frame()))
        else:
            got = parsed.evaluate(lambda c: _numbers(get(c)), n)
        missing = np.zeros(n, bool)
        if self.flag:
            missing = get(self.column).to_numpy(dtype=bool)
        if self.numeric:
            x = np.asarray(got, dtype=np.float64)
            x = np.where(missing | ~np.isfinite(x), np.nan, _round(x, self.decimals))
            target = pandas_dtype(self.dtype)
            if isinstance(target, np.dtype) and target.kind in "iu" and np.isnan(x).any():
                raise ValueError(
                    f"{self.constraint!r}: the formula gave missing or infinite values for "
                    f"{self.column!r} ({target}), which cannot hold them."
                )
            return _cast(x, self.dtype, None)
        values = np.empty(n, dtype=object)
        values[:] = [None if m else v for v, m in zip(list(got), missing.tolist(), strict=True)]
        return restore(values, self.dtype, None)

    def to_state(self) -> dict[str, Any]:
        return {
            "decimals": self.decimals,
            "dtype": self.dtype,
            "numeric": self.numeric,
            "flag": self.flag,
        }

    def set_state(self, state: Mapping[str, Any]) -> None:
        self.decimals, self.dtype = state["decimals"], state["dtype"]
        self.numeric, self.flag = bool(state["numeric"]), bool(state["flag"])


Step = GapStep | JointStep | FormulaStep


# -- the plan ---------------------------------------------------------------------------------
class ConstraintPlan:
    """The fitted constraints of a table, in the order their columns are computed.

    ``steps`` reparameterize (inequalities, fixed combinations, expression formulas);
    ``functions`` are the formulas given as Python functions, computed last (after the
    derived columns); ``bounded`` the range-like constraints (met by the columns' ranges).
    """

    def __init__(
        self,
        constraints: list[Constraint],
        steps: list[Step],
        functions: list[FormulaStep],
        on_violation: str = "raise",
    ) -> None:
        self.constraints = constraints
        self.steps = steps
        self.functions = functions
        self.on_violation = on_violation
        self.bounded = [c for c in constraints if isinstance(c, _Bounded)]

    @property
    def active(self) -> bool:
        return bool(self.constraints)

    # fitting ----------------------------------------------------------------------------------
    @classmethod
    def fit(
        cls,
        given: Sequence[Any] | None,
        df: pd.DataFrame,
        sdtypes: Mapping[Any, str],
        on_violation: str,
        enforce_min_max: bool = True,
    ) -> tuple[ConstraintPlan, pd.DataFrame]:
        """Check ``given`` against ``df`` and its training rows; the plan and the rows kept
        (all of them, or with ``on_violation="drop"`` those that satisfy every constraint).
        ``enforce_min_max``: the adapter's; computed ``high`` columns keep to their training
        range as modelled ones do."""
        if on_violation not in ON_VIOLATION:
            raise ValueError(f"`on_violation` must be 'raise' or 'drop', got {on_violation!r}.")
        if given is None:
            return cls([], [], [], on_violation), df
        if isinstance(given, (Constraint, Mapping, str)) or not isinstance(given, Sequence):
            raise TypeError(
                "`constraints` is a list of constraints (Inequality, Range, Positive, Negative, "
                f"FixedCombinations, Formula), got {type(given).__name__}."
            )
        constraints = [as_constraint(c) for c in given]
        for c in constraints:
            c.check_table(df, sdtypes)
            for col in c.used_columns():
                if sdtypes.get(col) == "id" and not isinstance(c, Formula):
                    raise ValueError(
                        f"{c!r}: column {col!r} is an identifier, generated fresh; constraints "
                        "cannot hold on it."
                    )
        owners = _owners(constraints)
        _check_bounds(constraints, owners)
        df = _check_rows(constraints, df, on_violation)
        steps: list[Step] = []
        functions: list[FormulaStep] = []
        bounded = {b.column for b in constraints if isinstance(b, _Bounded)}
        for c in constraints:
            step: Step
            if isinstance(c, Inequality):
                step = GapStep(c)
                step.fit(df, clip=enforce_min_max or c.high in bounded)
            elif isinstance(c, FixedCombinations):
                step = JointStep(c)
                step.fit(df)
            elif isinstance(c, Formula):
                step = FormulaStep(c)
                step.fit(df)
            else:
                continue
            if isinstance(step, FormulaStep) and step.constraint.is_function:
                functions.append(step)
            else:
                steps.append(step)
        return cls(constraints, _ordered(steps), functions, on_violation), df

    @property
    def keep(self) -> set[Any]:
        """Columns derived-column detection must leave modelled as they are."""
        out: set[Any] = set()
        for c in self.constraints:
            out.update(c.used_columns())
        return out - self.hide

    @property
    def hide(self) -> set[Any]:
        """Columns derived-column detection must not look at (computed by Python functions)."""
        return {s.column for s in self.functions}

    def check_rules(self, rules: Sequence[Mapping[str, Any]]) -> None:
        """Refuse given derived rules that compute a column a constraint reads."""
        used = self.keep | self.hide
        for r in rules:
            if isinstance(r, Mapping) and r.get("column") in used:
                raise ValueError(
                    f"The derived rule for column {r['column']!r} computes a column that a "
                    "constraint reads; drop the rule (the constraint keeps that column "
                    "consistent) or the constraint."
                )

    def complete(self, df: pd.DataFrame, modelled: set[Any]) -> None:
        """Use a modelled column as an inequality's gap where it equals the gap on every
        training row (``modelled``: the columns that are neither derived nor constrained)."""
        owned = {c for s in self.steps for c in s.outputs} | self.hide
        for step in self.steps:
            if not isinstance(step, GapStep) or step.shift is not None:
                continue
            gap = step.model_series(df)
            for name in df.columns:
                if name in owned or name not in modelled or name in (step.low, step.high):
                    continue
                if _equal(column(df, name), gap):
                    step.gap_source = name
                    break
        self.steps = _ordered(self.steps)

    # the modelled table -------------------------------------------------------------------------
    def owned_roles(self) -> dict[Any, str]:
        """``{column: role}``: ``"gap"`` and ``"joint"`` positions hold a modelled stand-in,
        ``"flag"`` a missing indicator, ``"placeholder"`` nothing; ``"bounded"`` columns are
        modelled within their training range."""
        roles: dict[Any, str] = {}
        for c in self.bounded:
            roles[c.column] = "bounded"
        for s in self.steps:
            if isinstance(s, GapStep):
                roles[s.high] = "placeholder" if s.gap_source is not None else "gap"
                if s.gap_source is not None:
                    roles[s.gap_source] = "bounded"
            elif isinstance(s, JointStep):
                for c in s.columns:
                    roles[c] = "placeholder"
                roles[s.joint] = "joint"
        for s in [*self.steps, *self.functions]:
            if isinstance(s, FormulaStep):
                roles[s.column] = "flag" if s.flag else "placeholder"
        return roles

    def model_frame(self, df: pd.DataFrame) -> pd.DataFrame:
        """``df`` with each constrained column replaced by what the model learns."""
        if not self.steps and not self.functions:
            return df
        out = df.copy()
        names = list(df.columns)
        for s in [*self.steps, *self.functions]:
            if isinstance(s, GapStep) and s.gap_source is not None:
                continue
            series = s.model_series(df)
            target = (
                s.high
                if isinstance(s, GapStep)
                else (s.joint if isinstance(s, JointStep) else s.column)
            )
            out.isetitem(names.index(target), series.set_axis(df.index))
        return out

    def encode_frame(self, df: pd.DataFrame) -> pd.DataFrame:
        """The modelled frame of rows to encode: rows violating a constraint are refused (or
        dropped, with ``on_violation="drop"``, as :meth:`fit` dropped them)."""
        if not self.active:
            return df
        df = _check_rows(self.constraints, df, self.on_violation, plan=self, warn=False)
        return self.model_frame(df)

    def column_for(
        self, col: Any, s: pd.Series, sdtype: str, settings: Any
    ) -> Column | DerivedColumn | None:
        """The unfitted transformer of a constrained column (None: the adapter's usual one).
        ``settings``: the adapter (``max_modes``, ``max_fit_rows``, ``max_categories``)."""
        role = self.owned_roles().get(col)
        if role is None or (role == "bounded" and sdtype not in ("numerical", "datetime")):
            return None
        if role == "placeholder":
            return DerivedColumn()
        if s.nunique(dropna=False) == 1:
            return ConstantColumn()
        if role in ("joint", "flag"):
            return DiscreteColumn(max_categories=settings.max_categories)
        return ContinuousColumn(
            max_modes=settings.max_modes,
            max_fit_rows=settings.max_fit_rows,
            enforce_min_max=True,  # the range is what keeps the constraint
        )

    # decoding -------------------------------------------------------------------------------
    def decode(self, columns: list[Any], series: dict[int, pd.Series], n: int) -> None:
        """Compute the constrained columns in ``series`` (by position), before derived ones."""
        get = lambda c: series[columns.index(c)]  # noqa: E731
        for s in self.steps:
            if isinstance(s, GapStep):
                high, moved = s.apply(get, n)
                series[columns.index(s.high)] = high
                if moved is not None:
                    series[columns.index(s.gap_source)] = moved
            elif isinstance(s, JointStep):
                for c, values in s.apply(get, n).items():
                    series[columns.index(c)] = values
            else:
                series[columns.index(s.column)] = s.apply(get, lambda: pd.DataFrame(), n)

    def finish(self, columns: list[Any], series: dict[int, pd.Series], n: int) -> None:
        """Compute the formulas given as Python functions (after the derived columns)."""
        if not self.functions:
            return
        get = lambda c: series[columns.index(c)]  # noqa: E731

        def frame() -> pd.DataFrame:
            out = pd.DataFrame({i: series[i].reset_index(drop=True) for i in range(len(columns))})
            out.columns = pd.Index(columns, dtype=object, tupleize_cols=False)
            return out

        for s in self.functions:
            series[columns.index(s.column)] = s.apply(get, frame, n)

    def set_function(self, col: Any, function: Callable[[pd.DataFrame], Any]) -> None:
        """Give a formula read from a saved model its Python function back."""
        if not callable(function):
            raise TypeError(f"`function` must be callable, got {type(function).__name__}.")
        for s in self.functions:
            if s.column == col:
                s.constraint = Formula(col, function)
                self.constraints = [
                    s.constraint if isinstance(c, Formula) and c.column == col else c
                    for c in self.constraints
                ]
                return
        known = [s.column for s in self.functions]
        raise ValueError(
            f"No formula of this model computes {col!r} with a Python function (those that do: "
            f"{known})."
        )

    # reading ---------------------------------------------------------------------------------
    def describe(self) -> list[dict[str, Any]]:
        """``metadata_["constraints"]``: each constraint's dict and its rule in words."""
        return [{**c.to_dict(), "description": c.describe()} for c in self.constraints]

    def to_state(self) -> dict[str, Any]:
        by_constraint = {id(s.constraint): s for s in [*self.steps, *self.functions]}
        items = []
        for c in self.constraints:
            step = by_constraint.get(id(c))
            items.append(
                {"constraint": c.to_state(), "fitted": None if step is None else step.to_state()}
            )
        return {"on_violation": self.on_violation, "constraints": items}

    @classmethod
    def from_state(cls, state: Mapping[str, Any] | None) -> ConstraintPlan:
        if not state:
            return cls([], [], [])
        constraints, steps, functions = [], [], []
        for item in state["constraints"]:
            c = from_state(item["constraint"])
            constraints.append(c)
            fitted = item.get("fitted")
            step: Step
            if isinstance(c, Inequality):
                step = GapStep(c)
            elif isinstance(c, FixedCombinations):
                step = JointStep(c)
            elif isinstance(c, Formula):
                step = FormulaStep(c)
            else:
                continue
            if fitted is None:
                raise ValueError(f"the saved state of {c!r} lacks its fitted part")
            step.set_state(fitted)
            if isinstance(step, FormulaStep) and step.constraint.is_function:
                functions.append(step)
            else:
                steps.append(step)
        return cls(constraints, _ordered(steps), functions, state.get("on_violation", "raise"))


# -- checks -----------------------------------------------------------------------------------
def _owners(constraints: list[Constraint]) -> dict[Any, Constraint]:
    """Which constraint computes each column; two that compute one column are refused, and so
    is a column computed by a Python function that another constraint reads."""
    owners: dict[Any, Constraint] = {}
    for c in constraints:
        outs = (
            [c.high]
            if isinstance(c, Inequality)
            else list(c.columns)
            if isinstance(c, FixedCombinations)
            else [c.column]
            if isinstance(c, Formula)
            else []
        )
        for col in outs:
            if col in owners:
                raise ValueError(
                    f"Column {col!r} is constrained by both {owners[col]!r} and {c!r}, which "
                    "both determine it; keep one of them (for several lower bounds on one "
                    "column, chain the inequalities: a <= b, b <= c)."
                )
            owners[col] = c
    for c in constraints:
        for col in c.used_columns():
            owner = owners.get(col)
            if isinstance(owner, Formula) and owner.is_function and owner is not c:
                raise ValueError(
                    f"{c!r} reads {col!r}, which {owner!r} computes with a Python function; "
                    "give that formula as an expression so its inputs are known."
                )
    return owners


def _check_bounds(constraints: list[Constraint], owners: Mapping[Any, Constraint]) -> None:
    """Bounds on a computed column: met when the column keeps to its training range (a fixed
    combination's values, an inequality's ``high``: :meth:`GapStep._fold`); refused on a
    formula's column, which is computed freely."""
    for b in constraints:
        if not isinstance(b, _Bounded):
            continue
        owner = owners.get(b.column)
        if isinstance(owner, Formula):
            raise ValueError(
                f"{b!r} bounds {b.column!r}, which {owner!r} computes; bound its inputs instead."
            )


def _check_rows(
    constraints: list[Constraint],
    df: pd.DataFrame,
    on_violation: str,
    *,
    plan: ConstraintPlan | None = None,
    warn: bool = True,
) -> pd.DataFrame:
    """``df`` after checking every constraint on its rows: raise naming the violating rows, or
    drop them (with a warning at fit time)."""
    keep = np.ones(len(df), bool)
    counts: list[tuple[Constraint, int]] = []
    decimals: dict[Any, int | None] = {}
    if plan is not None:
        steps = [*plan.steps, *plan.functions]
        decimals = {s.column: s.decimals for s in steps if isinstance(s, FormulaStep)}
    for c in constraints:
        if isinstance(c, FixedCombinations):
            continue  # the training rows define them
        if isinstance(c, Formula) and c.column in decimals:
            ok = c.holds(df, decimals=decimals[c.column])
        else:
            ok = c.holds(df)
        if ok.all():
            continue
        if on_violation == "raise":
            raise ValueError(violation_message(c, df, ok))
        counts.append((c, int((~ok).sum())))
        keep &= ok
    if not counts:
        return df
    if not keep.any():
        raise ValueError(
            f"Every row violates the constraints ({', '.join(repr(c) for c, _ in counts)}); "
            "nothing is left to learn from."
        )
    if warn:
        detail = "; ".join(f"{c.describe()}: {k}" for c, k in counts)
        warnings.warn(
            f"on_violation='drop': dropped {int((~keep).sum())} of {len(df)} training rows that "
            f"violate constraints ({detail}).",
            UserWarning,
            stacklevel=5,
        )
    return df.iloc[np.flatnonzero(keep)]


def _ordered(steps: list[Step]) -> list[Step]:
    """``steps`` with each one after the steps that compute its inputs (ValueError on a
    cycle)."""
    producer = {c: s for s in steps for c in s.outputs}
    out: list[Step] = []
    state: dict[int, int] = {}

    def visit(s: Step) -> None:
        if state.get(id(s)) == 2:
            return
        if state.get(id(s)) == 1:
            raise ValueError(f"The constraints form a cycle through {s.constraint!r}.")
        state[id(s)] = 1
        for c in s.inputs:
            if c in producer and producer[c] is not s:
                visit(producer[c])
        state[id(s)] = 2
        out.append(s)

    for s in steps:
        visit(s)
    return out


def _equal(a: pd.Series, b: pd.Series) -> bool:
    """Same missing cells and the same numbers elsewhere (float noise allowed)."""
    if not (pd.api.types.is_numeric_dtype(a.dtype) and not pd.api.types.is_bool_dtype(a.dtype)):
        return False
    am, bm = np.asarray(a.isna()), np.asarray(b.isna())
    if not (am == bm).all():
        return False
    x, y = _numbers(a)[~am], _numbers(b)[~bm]
    return bool(np.allclose(x, y, rtol=1e-12, atol=1e-9))
