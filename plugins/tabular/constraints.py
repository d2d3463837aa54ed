"""Constraints a user declares on a table, met by construction in every generated row.

``GANSynthesizer().fit(df, constraints=[...])`` (or ``TabularAdapter(constraints=[...])``)
takes any of:

* :class:`Inequality` ``(low, high, strict=False)``: ``low <= high`` (``<`` when strict), two
  numerical or two datetime columns. ``high`` is modelled as the gap ``high - low``, a
  non-negative column kept in its training range, and recomputed as ``low + gap``.
* :class:`Range` ``(column, low=None, high=None, strict=False)``, :class:`Positive`
  ``(column)`` (``>= 0``; ``> 0`` when strict) and :class:`Negative` ``(column)`` (``<= 0``):
  bounds on a numerical (or, for :class:`Range`, datetime) column, met by keeping the column
  in its training range, which lies within the bounds.
* :class:`FixedCombinations` ``(columns)``: the columns take together only combinations seen
  in training; they are modelled as one categorical column of those combinations.
* :class:`Formula` ``(column, expression)``: ``column`` is computed from others, by a
  restricted arithmetic expression (:mod:`.formula`; saved with the model as text, never
  evaluated by Python) or a Python function of the DataFrame (not saved: give it again after
  loading, see :meth:`TabularAdapter.set_formula`). The column is not modelled.

A constraint is also a dict (``{"kind": "inequality", "low": "a", "high": "b"}``, see
:meth:`Constraint.to_dict`), which is what ``adapter.metadata_["constraints"]`` lists.

Missing values: a constraint holds vacuously on a row where a column it reads is missing, and
missing values are generated at their training rate (an :class:`Inequality` whose ``low`` is
missing leaves ``high`` free; a :class:`FixedCombinations` treats a missing value as one more
value of its column; a :class:`Formula` gives a missing value where an input is missing, and
where the column was missing while its inputs were not).

:func:`constraint_satisfaction` gives the share of rows of any table that satisfy each.
"""

from __future__ import annotations

import datetime
import numbers
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .formula import Expression, parse
from .values import dtype_info, from_json, restore, take_values, to_json

__all__ = [
    "Combinations",
    "Constraint",
    "FixedCombinations",
    "Formula",
    "Inequality",
    "MissingFunction",
    "Negative",
    "Positive",
    "Range",
    "as_constraint",
    "constraint_satisfaction",
    "from_state",
]

#: Rows named in a violation message at most.
SHOWN_ROWS = 10
_MISSING = "__tabgan_missing__"


# -- helpers ----------------------------------------------------------------------------------
def column(df: pd.DataFrame, name: Any) -> pd.Series:
    """The column ``name`` of ``df`` (by position: a bool name is no mask)."""
    return df.iloc[:, list(df.columns).index(name)]


def _numeric(s: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype))


def _datetime(s: pd.Series) -> bool:
    return bool(pd.api.types.is_datetime64_any_dtype(s.dtype))


def _tz(s: pd.Series) -> Any:
    return getattr(s.dtype, "tz", None)


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def _is_time(v: Any) -> bool:
    return isinstance(v, (pd.Timestamp, datetime.datetime, np.datetime64))


def _fill(result: Any, vacuous: np.ndarray) -> np.ndarray:
    """A pandas comparison as a bool array, True on the ``vacuous`` rows (and on NA)."""
    ok = np.asarray(pd.Series(result).fillna(True), dtype=bool)
    return ok | vacuous


# -- the classes ------------------------------------------------------------------------------
class Constraint(ABC):
    """A rule every generated row must satisfy (see the module for the kinds)."""

    kind: ClassVar[str]

    @abstractmethod
    def used_columns(self) -> list[Any]:
        """Every column the constraint reads."""

    @abstractmethod
    def describe(self) -> str:
        """The rule in words, e.g. ``"start <= end"``."""

    @abstractmethod
    def holds(self, df: pd.DataFrame, *, reference: pd.DataFrame | None = None) -> np.ndarray:
        """Whether each row of ``df`` satisfies the constraint (missing values: vacuously).
        ``reference``: the training rows (needed by :class:`FixedCombinations` only)."""

    @abstractmethod
    def check_table(self, df: pd.DataFrame, sdtypes: Mapping[Any, str]) -> None:
        """Refuse a constraint that does not fit the table, naming the column and why."""

    @abstractmethod
    def _fields(self) -> dict[str, Any]:
        """The constructor arguments, by name."""

    def to_dict(self) -> dict[str, Any]:
        """``{"kind": ..., <arguments>}``; :func:`as_constraint` reads it back."""
        return {"kind": self.kind, **self._fields()}

    def to_state(self) -> dict[str, Any]:
        """:meth:`to_dict` as JSON (names and values tagged by :func:`.values.to_json`)."""
        return {"kind": self.kind, **{k: _tag(v) for k, v in self._fields().items()}}

    def _name(self) -> str:
        return repr(self)

    def _need(self, df: pd.DataFrame, *names: Any) -> None:
        for c in names:
            if c not in list(df.columns):
                raise ValueError(f"{self._name()}: the table has no column {c!r}.")


@dataclass(frozen=True)
class Inequality(Constraint):
    """``low <= high`` (``low < high`` when ``strict``) between two numerical or two datetime
    columns, in every generated row.

    ``high`` is modelled as the gap ``high - low`` (a column kept within its training range,
    which starts at 0 or above) and computed back as ``low + gap``. A condition on ``low`` is
    met as usual; one on ``high`` (a value, or a ``(low, high)`` range in a dict) draws
    ``low`` and the gap from their training distributions so that they add up to it.
    """

    low: Any
    high: Any
    strict: bool = False
    kind: ClassVar[str] = "inequality"

    def __post_init__(self) -> None:
        _check_name(self.low, "low")
        _check_name(self.high, "high")
        if _same_name(self.low, self.high):
            raise ValueError(f"{self!r}: low and high are the same column {self.low!r}.")
        if not isinstance(self.strict, (bool, np.bool_)):
            raise TypeError(f"{self!r}: strict must be True or False, got {self.strict!r}.")

    def used_columns(self) -> list[Any]:
        return [self.low, self.high]

    def describe(self) -> str:
        return f"{self.low} {'<' if self.strict else '<='} {self.high}"

    def _fields(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "strict": bool(self.strict)}

    def check_table(self, df: pd.DataFrame, sdtypes: Mapping[Any, str]) -> None:
        self._need(df, self.low, self.high)
        lo, hi = column(df, self.low), column(df, self.high)
        for name, s in ((self.low, lo), (self.high, hi)):
            if not (_numeric(s) or _datetime(s)):
                raise ValueError(
                    f"{self!r}: column {name!r} has dtype {s.dtype} ({sdtypes.get(name)}); an "
                    "inequality compares numerical or datetime columns."
                )
        if _datetime(lo) != _datetime(hi):
            raise ValueError(
                f"{self!r}: {self.low!r} is {lo.dtype} and {self.high!r} is {hi.dtype}; compare "
                "two numerical or two datetime columns."
            )
        if _datetime(lo) and (_tz(lo) is None) != (_tz(hi) is None):
            raise ValueError(
                f"{self!r}: one column has a time zone and the other has none ({lo.dtype}, "
                f"{hi.dtype})."
            )

    def holds(self, df: pd.DataFrame, *, reference: pd.DataFrame | None = None) -> np.ndarray:
        lo, hi = column(df, self.low), column(df, self.high)
        vacuous = np.asarray(lo.isna() | hi.isna())
        return _fill(hi > lo if self.strict else hi >= lo, vacuous)


@dataclass(frozen=True)
class _Bounded(Constraint):
    """Bounds on one column (:class:`Range`, :class:`Positive`, :class:`Negative`)."""

    column: Any

    def bounds(self) -> tuple[Any, Any]:
        """``(low, high)``, ``None`` for an open end."""
        raise NotImplementedError

    @property
    def is_strict(self) -> bool:
        return bool(getattr(self, "strict", False))

    def used_columns(self) -> list[Any]:
        return [self.column]

    def describe(self) -> str:
        low, high = self.bounds()
        op = "<" if self.is_strict else "<="
        parts = ([f"{low} {op}"] if low is not None else []) + [str(self.column)]
        parts += [f"{op} {high}"] if high is not None else []
        return " ".join(parts)

    def check_table(self, df: pd.DataFrame, sdtypes: Mapping[Any, str]) -> None:
        self._need(df, self.column)
        s = column(df, self.column)
        low, high = self.bounds()
        given = [b for b in (low, high) if b is not None]
        if _datetime(s):
            if not all(_is_time(b) for b in given):
                raise ValueError(
                    f"{self!r}: column {self.column!r} holds datetimes; give the bounds as "
                    "timestamps."
                )
            tz = _tz(s)
            for b in given:
                if (pd.Timestamp(b).tzinfo is None) != (tz is None):
                    raise ValueError(
                        f"{self!r}: the bound {b!r} and column {self.column!r} ({s.dtype}) "
                        "disagree on a time zone."
                    )
        elif not _numeric(s):
            raise ValueError(
                f"{self!r}: column {self.column!r} has dtype {s.dtype} "
                f"({sdtypes.get(self.column)}); bounds apply to numerical or datetime columns."
            )
        elif not all(_is_number(b) for b in given):
            raise ValueError(f"{self!r}: column {self.column!r} holds numbers; give number bounds.")

    def holds(self, df: pd.DataFrame, *, reference: pd.DataFrame | None = None) -> np.ndarray:
        s = column(df, self.column)
        low, high = self.bounds()
        ok = np.ones(len(s), bool)
        vacuous = np.asarray(s.isna())
        if low is not None:
            ok &= _fill(s > low if self.is_strict else s >= low, vacuous)
        if high is not None:
            ok &= _fill(s < high if self.is_strict else s <= high, vacuous)
        return ok

    def admits(self, value: Any) -> bool:
        """Whether one value (a condition) satisfies the bounds."""
        low, high = self.bounds()
        try:
            if low is not None and not (value > low if self.is_strict else value >= low):
                return False
            return high is None or bool(value < high if self.is_strict else value <= high)
        except TypeError:
            return True  # not comparable: the column's own checks name the problem


@dataclass(frozen=True)
class Range(_Bounded):
    """``low <= column <= high`` (``<`` when ``strict``; ``None`` leaves an end open), for a
    numerical or datetime column (timestamps as bounds)."""

    low: Any = None
    high: Any = None
    strict: bool = False
    kind: ClassVar[str] = "range"

    def __post_init__(self) -> None:
        _check_name(self.column, "column")
        if self.low is None and self.high is None:
            raise ValueError(f"{self!r}: give low, high or both.")
        for b in (self.low, self.high):
            if b is not None and not (_is_number(b) or _is_time(b)):
                raise TypeError(f"{self!r}: a bound is a number or a timestamp, got {b!r}.")
            if _is_number(b) and not np.isfinite(float(b)):
                raise ValueError(f"{self!r}: a bound must be finite (None for an open end).")
        for name in ("low", "high"):
            v = getattr(self, name)
            if _is_time(v) and not isinstance(v, pd.Timestamp):
                object.__setattr__(self, name, pd.Timestamp(v))
        if self.low is not None and self.high is not None:
            try:
                empty = self.low >= self.high if self.strict else self.low > self.high
            except TypeError:
                raise TypeError(f"{self!r}: low and high are of different kinds.") from None
            if empty:
                raise ValueError(f"{self!r}: no value lies between low and high.")

    def bounds(self) -> tuple[Any, Any]:
        return self.low, self.high

    def _fields(self) -> dict[str, Any]:
        return {"column": self.column, "low": self.low, "high": self.high, "strict": self.strict}


@dataclass(frozen=True)
class Positive(_Bounded):
    """``column >= 0`` (``> 0`` when ``strict``), for a numerical column."""

    strict: bool = False
    kind: ClassVar[str] = "positive"

    def __post_init__(self) -> None:
        _check_name(self.column, "column")

    def bounds(self) -> tuple[Any, Any]:
        return 0, None

    def _fields(self) -> dict[str, Any]:
        return {"column": self.column, "strict": bool(self.strict)}


@dataclass(frozen=True)
class Negative(_Bounded):
    """``column <= 0`` (``< 0`` when ``strict``), for a numerical column."""

    strict: bool = False
    kind: ClassVar[str] = "negative"

    def __post_init__(self) -> None:
        _check_name(self.column, "column")

    def bounds(self) -> tuple[Any, Any]:
        return None, 0

    def _fields(self) -> dict[str, Any]:
        return {"column": self.column, "strict": bool(self.strict)}


@dataclass(frozen=True)
class FixedCombinations(Constraint):
    """The ``columns`` (two or more) take together only the combinations of values seen in
    the training rows (a missing value counts as a value). Modelled as one categorical column
    of those combinations; a condition on some of the columns draws a matching combination by
    its training frequency."""

    columns: tuple[Any, ...]
    kind: ClassVar[str] = "fixed_combinations"

    def __post_init__(self) -> None:
        cols = self.columns
        if isinstance(cols, (str, bytes)) or not isinstance(cols, Sequence):
            raise TypeError(
                f"FixedCombinations takes a list of column names, got {type(cols).__name__}."
            )
        object.__setattr__(self, "columns", tuple(cols))
        if len(self.columns) < 2:
            raise ValueError(f"{self!r}: give two or more columns.")
        seen: list[Any] = []
        for c in self.columns:
            _check_name(c, "column")
            if any(_same_name(c, x) for x in seen):
                raise ValueError(f"{self!r}: column {c!r} is named twice.")
            seen.append(c)

    def used_columns(self) -> list[Any]:
        return list(self.columns)

    def describe(self) -> str:
        return f"({', '.join(map(str, self.columns))}) in the training combinations"

    def _fields(self) -> dict[str, Any]:
        return {"columns": list(self.columns)}

    def check_table(self, df: pd.DataFrame, sdtypes: Mapping[Any, str]) -> None:
        self._need(df, *self.columns)
        for c in self.columns:
            if sdtypes.get(c) == "id":
                raise ValueError(
                    f"{self!r}: column {c!r} is an identifier (generated fresh); it cannot be "
                    "part of fixed combinations."
                )

    def holds(self, df: pd.DataFrame, *, reference: pd.DataFrame | None = None) -> np.ndarray:
        if reference is None:
            raise ValueError(
                f"{self!r}: which combinations exist comes from the training rows; pass them "
                "as `reference`."
            )
        self._need(reference, *self.columns)
        return Combinations.fit(self, reference).codes(df) >= 0


class MissingFunction:
    """Stands for the Python function of a :class:`Formula` read from a saved model (which
    holds no code): calling it raises, saying how to give the function back."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<Python function {self.name}, not saved>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MissingFunction) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __call__(self, frame: pd.DataFrame) -> Any:
        raise ValueError(
            f"A Formula's Python function ({self.name}) is not part of a saved model: a model "
            "file holds no code and loading never runs any. Give it back after loading, "
            "`synth.adapter_.set_formula(column, function)`, or fit with an expression string."
        )


@dataclass(frozen=True)
class Formula(Constraint):
    """``column`` computed from other columns in every generated row.

    ``expression`` is a string in the restricted language of :mod:`.formula` (``"a + b"``,
    ``"round(price * (1 - discount), 2)"``, backticks around other names), saved with the model
    as text and read back by the same parser, or a function ``f(frame) -> values`` of the
    generated DataFrame (every other column, final dtypes), which a saved model cannot hold
    (see :meth:`TabularAdapter.set_formula`). Numbers are rounded to the column's training
    precision and cast to its dtype.
    """

    column: Any
    expression: Any
    kind: ClassVar[str] = "formula"
    parsed: Expression | None = field(default=None, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        _check_name(self.column, "column")
        if isinstance(self.expression, str):
            object.__setattr__(self, "parsed", parse(self.expression))
            if any(_same_name(self.column, n) for n in self.inputs()):
                raise ValueError(f"{self!r}: the column {self.column!r} is its own input.")
        elif not callable(self.expression):
            raise TypeError(
                f"{self!r}: the expression is a string or a function of the DataFrame, got "
                f"{type(self.expression).__name__}."
            )

    @property
    def is_function(self) -> bool:
        return self.parsed is None

    def inputs(self) -> list[Any]:
        """The columns the expression reads (none known for a function)."""
        return list(self.parsed.names) if self.parsed is not None else []

    def used_columns(self) -> list[Any]:
        return [self.column, *self.inputs()]

    def function_name(self) -> str:
        fn = self.expression
        if isinstance(fn, MissingFunction):
            return fn.name
        return str(getattr(fn, "__qualname__", None) or type(fn).__name__)

    def describe(self) -> str:
        if self.parsed is not None:
            return f"{self.column} = {self.expression}"
        return f"{self.column} = {self.function_name()}(frame)"

    def _fields(self) -> dict[str, Any]:
        return {"column": self.column, "expression": self.expression}

    def to_state(self) -> dict[str, Any]:
        if self.parsed is not None:
            return {
                "kind": self.kind,
                "column": to_json(self.column),
                "expression": self.expression,
            }
        return {"kind": self.kind, "column": to_json(self.column), "function": self.function_name()}

    def check_table(self, df: pd.DataFrame, sdtypes: Mapping[Any, str]) -> None:
        self._need(df, self.column, *self.inputs())
        if self.parsed is None:
            return
        for c in [self.column, *self.inputs()]:
            s = column(df, c)
            if not _numeric(s):
                raise ValueError(
                    f"{self!r}: column {c!r} has dtype {s.dtype} ({sdtypes.get(c)}); a formula "
                    "expression computes with numbers (use a Python function for other values)."
                )

    def values(self, frame: pd.DataFrame) -> np.ndarray:
        """What the formula gives on ``frame``'s rows (float64 for an expression)."""
        n = len(frame)
        if self.parsed is not None:
            get = lambda c: column(frame, c).to_numpy(dtype=np.float64, na_value=np.nan)  # noqa: E731
            return self.parsed.evaluate(get, n)
        out = self.expression(frame)
        arr = np.asarray(out.to_numpy() if isinstance(out, (pd.Series, pd.Index)) else out)
        if arr.shape != (n,):
            raise ValueError(
                f"{self!r}: the function returned shape {arr.shape}; it must give one value "
                f"per row ({n})."
            )
        return arr

    def holds(
        self,
        df: pd.DataFrame,
        *,
        reference: pd.DataFrame | None = None,
        decimals: int | None | str = "infer",
    ) -> np.ndarray:
        target = column(df, self.column)
        got = self.values(df)
        vacuous = np.asarray(target.isna())
        for c in self.inputs():
            vacuous |= np.asarray(column(df, c).isna())
        if not _numeric(target) or got.dtype.kind not in "fiu":
            vals = target.astype(object).to_numpy()
            same = np.array([a == b for a, b in zip(vals, got.tolist(), strict=True)], dtype=bool)
            return same | vacuous | pd.isna(got)
        from .derived import _close, _decimals, _round

        want = target.to_numpy(dtype=np.float64, na_value=np.nan)
        if decimals == "infer":
            present = want[~np.isnan(want)]
            decimals = _decimals(present) if len(present) else None
        assert decimals is None or isinstance(decimals, int)
        got = got.astype(np.float64)
        if self.parsed is None:
            vacuous |= np.isnan(got)
        with np.errstate(all="ignore"):
            close = _close(want, _round(got, decimals), decimals, False)
        return (close & np.isfinite(got)) | vacuous


_CLASSES: dict[str, type[Constraint]] = {
    c.kind: c for c in (Inequality, Range, Positive, Negative, FixedCombinations, Formula)
}


# -- names and dicts --------------------------------------------------------------------------
def _check_name(name: Any, what: str) -> None:
    if isinstance(name, (list, dict, set)) or callable(name):
        raise TypeError(f"A constraint's {what} is a column name, got {name!r}.")


def _same_name(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _tag(v: Any) -> Any:
    if isinstance(v, list):
        return [to_json(x) for x in v]
    if isinstance(v, bool):
        return v
    return to_json(v)


def as_constraint(spec: Any) -> Constraint:
    """A constraint object from one (returned as is) or from its :meth:`~Constraint.to_dict`
    form, ``{"kind": "inequality", "low": "a", "high": "b"}``."""
    if isinstance(spec, Constraint):
        return spec
    if not isinstance(spec, Mapping):
        raise TypeError(
            "A constraint is an Inequality, Range, Positive, Negative, FixedCombinations or "
            f"Formula (or its dict form), got {type(spec).__name__} {spec!r}."
        )
    kind = spec.get("kind")
    if kind not in _CLASSES:
        raise ValueError(
            f"Unknown constraint kind {kind!r} in {dict(spec)!r}; one of {sorted(_CLASSES)}."
        )
    args = {k: v for k, v in spec.items() if k not in ("kind", "description")}
    if kind == "formula" and "function" in args:
        args = {"column": args["column"], "expression": MissingFunction(str(args["function"]))}
    try:
        return _CLASSES[kind](**args)
    except TypeError as exc:
        raise ValueError(f"Constraint {dict(spec)!r}: {exc}") from None


def from_state(state: Mapping[str, Any]) -> Constraint:
    """The constraint :meth:`~Constraint.to_state` wrote (structured data; nothing is run)."""
    spec: dict[str, Any] = {}
    for k, v in state.items():
        if k in ("kind", "strict", "expression", "function"):
            spec[k] = v
        elif k == "columns":
            spec[k] = [from_json(x) for x in v]
        else:
            spec[k] = from_json(v)
    return as_constraint(spec)


# -- fixed combinations -----------------------------------------------------------------------
class Combinations:
    """The combinations of values of some columns seen in training, with their counts.

    ``values[j]`` holds column ``j``'s value in each combination (in that column's dtype),
    ``counts`` the training rows of each; :meth:`codes` finds the combination of each row.
    """

    def __init__(self, columns: list[Any], values: list[pd.Series], counts: np.ndarray) -> None:
        self.columns = columns
        self.values = values
        self.counts = counts
        self._lookups = [pd.Index(_keys(v).to_numpy(), dtype=object).unique() for v in values]
        table = np.stack([self._member_index(j, v) for j, v in enumerate(values)], 1)
        self._key = _RowKey([len(u) for u in self._lookups])
        keys = self._key(table)
        self._order = np.argsort(keys, kind="stable")
        self._sorted = keys[self._order]

    @classmethod
    def fit(cls, constraint: FixedCombinations, df: pd.DataFrame) -> Combinations:
        members = [column(df, c) for c in constraint.columns]
        codes = np.stack([_member_codes(s) for s in members], 1)
        _, first, counts = np.unique(codes, axis=0, return_index=True, return_counts=True)
        order = np.argsort(first, kind="stable")  # combinations in order of first appearance
        rows = first[order]
        values = [s.iloc[rows].reset_index(drop=True) for s in members]
        return cls(list(constraint.columns), values, counts[order].astype(np.int64))

    def _member_index(self, j: int, s: pd.Series) -> np.ndarray:
        return np.asarray(
            self._lookups[j].get_indexer(pd.Index(_keys(s).to_numpy(), dtype=object)), np.int64
        )

    def __len__(self) -> int:
        return len(self.counts)

    def codes(self, df: pd.DataFrame) -> np.ndarray:
        """The combination of each row of ``df`` (the columns by name), -1 where unseen."""
        idx = np.stack(
            [self._member_index(j, column(df, c)) for j, c in enumerate(self.columns)], 1
        )
        unknown = (idx < 0).any(1)
        keys = self._key(np.maximum(idx, 0))
        pos = np.minimum(np.searchsorted(self._sorted, keys), len(self._sorted) - 1)
        hit = (self._sorted[pos] == keys) & ~unknown
        return np.where(hit, self._order[pos], -1).astype(np.int64)

    def matching(self, col: Any, value: Any) -> np.ndarray:
        """Which combinations hold ``value`` (missing: a missing value) in column ``col``."""
        j = self.columns.index(col)
        probe = pd.Series([value], dtype=object)
        k = int(self._member_index(j, probe)[0]) if not isinstance(value, (list, dict)) else -1
        own = self._member_index(j, self.values[j])
        return own == k if k >= 0 else np.zeros(len(self), bool)

    def take(self, j: int, codes: np.ndarray, name: Any) -> pd.Series:
        """Column ``j``'s values of the combinations ``codes`` (its training dtype)."""
        return take_values(self.values[j], np.asarray(codes, np.intp), name)

    # saved state -----------------------------------------------------------------------
    def to_state(self) -> dict[str, Any]:
        return {
            "dtypes": [dtype_info(v) for v in self.values],
            "values": [[to_json(x) for x in _plain(v)] for v in self.values],
            "counts": [int(c) for c in self.counts],
        }

    @classmethod
    def from_state(cls, columns: list[Any], state: Mapping[str, Any]) -> Combinations:
        values = []
        for info, items in zip(state["dtypes"], state["values"], strict=True):
            arr = np.empty(len(items), dtype=object)
            arr[:] = [from_json(x) for x in items]
            values.append(restore(arr, info, None))
        counts = np.asarray(state["counts"], np.int64)
        if len(values) != len(columns) or any(len(v) != len(counts) for v in values):
            raise ValueError("a fixed combinations table's columns and counts disagree")
        return cls(columns, values, counts)


class _RowKey:
    """One int64 per row of small non-negative ints (mixed radix), or per distinct row when
    the radix product would overflow."""

    def __init__(self, radix: list[int]) -> None:
        self.radix = [max(r, 1) for r in radix]
        self.fits = float(np.prod([float(r) for r in self.radix])) < 2.0**62
        self._ids: dict[tuple[int, ...], int] = {}

    def __call__(self, table: np.ndarray) -> np.ndarray:
        if self.fits:
            return np.ravel_multi_index(table.T, self.radix).astype(np.int64)
        out = np.empty(len(table), np.int64)
        for i, row in enumerate(map(tuple, table.tolist())):
            out[i] = self._ids.setdefault(row, len(self._ids))
        return out


def _is_na(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _keys(s: pd.Series) -> pd.Series:
    obj = s.astype(object)
    return obj.where(~obj.isna(), _MISSING)


def _plain(s: pd.Series) -> list[Any]:
    return [None if _is_na(v) else v for v in s.astype(object).tolist()]


def _member_codes(s: pd.Series) -> np.ndarray:
    codes, _ = pd.factorize(np.asarray(_keys(s), dtype=object))
    return np.asarray(codes, np.int64)


# -- satisfaction -----------------------------------------------------------------------------
def constraint_satisfaction(
    df: pd.DataFrame,
    constraints: Sequence[Any],
    *,
    reference: pd.DataFrame | None = None,
) -> dict[str, float]:
    """The share of the rows of ``df`` that satisfy each constraint, keyed by its
    :meth:`~Constraint.describe` (rows with a missing value in a column a constraint reads
    count as satisfying it). ``reference`` (the training rows) says which combinations a
    :class:`FixedCombinations` allows; the other kinds do not need it."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"`df` must be a DataFrame, got {type(df).__name__}.")
    out: dict[str, float] = {}
    for spec in constraints:
        c = as_constraint(spec)
        c._need(df, *c.used_columns())
        ok = c.holds(df, reference=reference)
        key = c.describe()
        while key in out:
            key += " "
        out[key] = float(ok.mean()) if len(ok) else 1.0
    return out


def violation_message(c: Constraint, df: pd.DataFrame, ok: np.ndarray) -> str:
    """The error for training rows that violate ``c``: how many, which (index labels), the
    columns involved."""
    bad = np.flatnonzero(~ok)
    labels = [df.index[i] for i in bad[:SHOWN_ROWS]]
    more = f" (first {SHOWN_ROWS} shown)" if len(bad) > SHOWN_ROWS else ""
    cols = c.used_columns()
    sample = df.iloc[bad[:3], [list(df.columns).index(x) for x in cols]]
    shown = "; ".join(
        ", ".join(f"{k}={v!r}" for k, v in zip(cols, row, strict=True))
        for row in sample.itertuples(index=False)
    )
    return (
        f"{c!r} ({c.describe()}): {len(bad)} of {len(df)} training rows violate it, at index "
        f"{labels}{more}; columns {cols}, e.g. {shown}. Fix or drop those rows, or fit with "
        "on_violation='drop'."
    )
