"""What counts as an exact copy of a training row, and the row hashes that find copies.

One definition serves both copy checks: the memorization guard
(``GANSynthesizer.sample(..., drop_copies=True)``) and the exact-copy counts of
:func:`tabgan.evaluation.evaluate`. Two rows are copies when every compared column holds equal
values, where equal means:

- numbers: the same value to about 12 significant digits (rounded to :data:`FLOAT_BITS`
  mantissa bits, so arithmetic noise such as ``0.1 + 0.2`` vs ``0.3`` does not make a copy look
  new); integers exactly, whatever their dtype (``3``, ``3.0`` and ``3.0000000000001`` agree);
  a column stored as float32 in any frame the key is fitted on is compared at float32
  precision (24 bits), float16 at 11 bits;
- datetimes: the same nanosecond, whatever the unit (tz-aware ones by their UTC instant);
- every other column (categories, booleans, strings) by its text: ``1``, ``1.0`` and ``"1"``
  agree, and so do object, ``string`` and ``category`` dtypes;
- missing equals missing (NaN, None, ``pd.NA``, NaT) and nothing else.

Columns of sdtype ``id`` are ignored. Without metadata a column's dtype says how it compares:
numbers, datetimes, and anything else as text.

Each row is reduced to one unkeyed 64-bit hash of its canonical values, so that copies are found
by lookup. Such a hash identifies its row: anyone holding the hashes of a training set and a
candidate record can tell whether the record was a training row. ``GANSynthesizer`` therefore
keeps them in memory only, never in a saved model or a pickle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "FLOAT_BITS",
    "MISSING_TEXT",
    "RowKey",
    "as_text",
    "concat_samples",
    "row_hashes",
    "take_samples",
]

#: Mantissa bits numbers are rounded to before rows are compared (about 12 significant digits).
FLOAT_BITS = 40

#: The text of a missing value in a compared text column; no real value looks like it.
MISSING_TEXT = "\x00<NA>"

# the kind of a canonical cell (the first of its two hashed fields)
_MISSING, _INTEGER, _FLOAT, _POS_INF, _NEG_INF = (np.uint64(k) for k in range(5))


def _text_of(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return str(int(f)) if f.is_integer() else repr(f)
    return str(v)


def as_text(s: pd.Series) -> np.ndarray:
    """Values as text, missing ones as :data:`MISSING_TEXT`; ``1``, ``1.0`` and ``"1"`` agree."""
    missing = s.isna().to_numpy()
    kind = s.dtype.kind
    if kind == "b":
        text = s.astype(str).to_numpy(dtype=object)
    elif kind in "iu" and not missing.any():
        text = s.astype(np.int64).astype(str).to_numpy(dtype=object)
    elif pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
        text = s.astype(object).to_numpy(dtype=object)
    else:
        text = np.array([_text_of(v) for v in s.astype(object)], dtype=object)
    text[missing] = MISSING_TEXT
    return text.astype(str)


def _dtype_bits(dtype: Any) -> int:
    if dtype == np.float32:
        return 24
    if dtype == np.float16:
        return 11
    return FLOAT_BITS


def _round_bits(v: np.ndarray, bits: int) -> np.ndarray:
    """Round finite floats to ``bits`` significant bits."""
    m, e = np.frexp(v)
    return np.ldexp(np.rint(np.ldexp(m, bits)), e - bits)


def _number_cells(values: np.ndarray, missing: np.ndarray, bits: int) -> list[np.ndarray]:
    """Two uint64 fields (kind, payload) per value of a 2-D block of numbers.

    Integer arrays (compared at full precision) keep their values; floats are rounded to
    ``bits`` and those that are then whole numbers are stored as integers, so that a value
    compares alike whatever its dtype.
    """
    if values.dtype.kind in "iu" and bits >= FLOAT_BITS:
        big = values.dtype.kind == "u" and values.dtype.itemsize == 8
        if not big or not np.any(values >= np.uint64(2**63)):
            payload = np.where(missing, 0, values.astype(np.int64)).view(np.uint64)
            return [np.where(missing, _MISSING, _INTEGER), payload]
    v = np.where(missing, np.nan, values.astype(np.float64))
    finite = np.isfinite(v)
    x = np.where(finite, v, 0.0)
    rounded = _round_bits(x, bits)
    if bits >= FLOAT_BITS:  # large integers (ids, counts, epoch times) stay distinct
        exact = (x == np.rint(x)) & (np.abs(x) < 2.0**53)
        rounded = np.where(exact, x, rounded)
    rounded = rounded + 0.0  # -0.0 becomes 0.0
    whole = finite & (rounded == np.rint(rounded)) & (np.abs(rounded) < 2.0**63)
    as_int = np.where(whole, rounded, 0.0).astype(np.int64).view(np.uint64)
    kind = np.where(
        np.isnan(v),
        _MISSING,
        np.where(~finite, np.where(v > 0, _POS_INF, _NEG_INF), np.where(whole, _INTEGER, _FLOAT)),
    )
    zero = np.uint64(0)
    payload = np.where(whole, as_int, np.where(kind == _FLOAT, rounded.view(np.uint64), zero))
    return [kind, payload]


def _series_numbers(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A numeric column's values (integers kept as integers) and its missing mask."""
    missing = s.isna().to_numpy()
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.to_numpy(np.int64, na_value=0), missing
    if pd.api.types.is_integer_dtype(s.dtype):
        dtype = np.uint64 if s.dtype.kind == "u" and s.dtype.itemsize == 8 else np.int64
        return s.to_numpy(dtype, na_value=0), missing
    values = pd.to_numeric(s, errors="coerce").to_numpy(np.float64, na_value=np.nan)
    return values, missing | np.isnan(values)


def _series_instants(s: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A datetime column as (whole seconds, nanoseconds within the second) since the epoch
    (UTC), both int64, and its missing mask.

    Split so that any instant a ``datetime64`` of any unit holds compares alike whatever the
    unit, year 3000 in seconds included (its nanosecond count overflows int64).
    """
    if not pd.api.types.is_datetime64_any_dtype(s.dtype):
        s = pd.to_datetime(s, errors="coerce")
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    missing = s.isna().to_numpy()
    values = s.to_numpy()
    unit = np.datetime_data(values.dtype)[0]
    per_second = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}[unit]
    ticks = np.where(missing, 0, values.view(np.int64))
    seconds, within = np.divmod(ticks, per_second)
    return seconds, within * (10**9 // per_second), missing


def _inferred_sdtype(s: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(s.dtype):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return "datetime"
    if pd.api.types.is_numeric_dtype(s.dtype):
        return "numerical"
    return "categorical"


def _as_table(data: Any) -> pd.DataFrame | np.ndarray:
    """A DataFrame, or a 2-D numeric array (n, d) compared column by column."""
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        return data.to_frame()
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        if all(v is None or isinstance(v, str) for v in data):
            return pd.DataFrame({0: pd.Series(list(data), dtype=object)})
    if isinstance(data, (str, bytes)):
        raise TypeError(f"Cannot hash rows of a single {type(data).__name__}.")
    try:
        arr = np.asarray(data)
    except Exception:
        raise TypeError(f"Cannot hash rows of {type(data).__name__}.") from None
    if arr.ndim == 0:
        raise TypeError(f"Cannot hash rows of {type(data).__name__}.")
    arr = arr.reshape(len(arr), -1)
    if arr.dtype.kind in "biuf":
        return arr
    return pd.DataFrame(arr)


def _mix(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finalizer, element-wise on uint64 (wrapping)."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _combine(fields: list[np.ndarray], n: int) -> np.ndarray:
    """One uint64 per row from 2-D uint64 fields (n, k), each cell salted by its position."""
    out = np.zeros(n, np.uint64)
    if n == 0:
        return out
    pos = 0
    for f in fields:
        f = f.reshape(n, -1).astype(np.uint64, copy=False)
        salt = _mix(np.arange(pos + 1, pos + f.shape[1] + 1, dtype=np.uint64))
        out += _mix(_mix(f) ^ salt).sum(axis=1, dtype=np.uint64)
        pos += f.shape[1]
    return _mix(out + np.uint64(pos))


class RowKey:
    """The definition of an exact copy (see the module doc), fitted on the frames compared.

    ``fit`` records how each column compares (its sdtype and its float precision, the coarsest
    among the frames given); ``hashes`` then gives one uint64 per row of any frame of the same
    columns, such that two rows hash alike when their values are equal. A frame hashed later is
    compared at the precision recorded in ``fit``.

    Parameters
    ----------
    metadata : dict, optional
        sdmetrics-style ``{"columns": {name: {"sdtype": ...}}}``; columns it does not name are
        compared by their dtype (numbers, datetimes, else text).

    Attributes
    ----------
    columns_ : list or None
        The compared columns of a table (``None`` for arrays, compared by position).
    kinds_ : list of str
        Per compared column: ``"number"``, ``"datetime"`` or ``"text"``.
    bits_ : list of int
        Per compared column: the mantissa bits numbers are rounded to.
    """

    def __init__(self, metadata: Mapping[str, Any] | None = None) -> None:
        self.metadata = metadata

    def fit(self, frames: Sequence[Any]) -> RowKey:
        """Record how to compare the columns of ``frames`` (tables, arrays or sequences)."""
        tables = [_as_table(f) for f in frames]
        if not tables:
            raise ValueError("RowKey.fit needs at least one frame.")
        first = tables[0]
        if isinstance(first, np.ndarray):
            self.columns_ = None
            self.kinds_ = ["number"]
            self.bits_ = [min(_dtype_bits(t.dtype) for t in tables)]
            self.width_ = first.shape[1]
            return self
        declared = (self.metadata or {}).get("columns", {})
        self.columns_, self.kinds_, self.bits_ = [], [], []
        for col in first.columns:
            spec = declared.get(col)
            sdtype = spec["sdtype"] if spec is not None else _inferred_sdtype(first[col])
            if sdtype == "id":
                continue
            column = [_frame_of(t, first.columns)[col] for t in tables]
            if sdtype == "datetime" or any(
                pd.api.types.is_datetime64_any_dtype(s.dtype) for s in column
            ):
                kind = "datetime"
            elif sdtype == "numerical":
                kind = "number"
            else:
                kind = "text"
            self.columns_.append(col)
            self.kinds_.append(kind)
            self.bits_.append(min(_dtype_bits(s.dtype) for s in column))
        if not self.columns_:
            raise ValueError("No column to compare rows on: every column is an id.")
        self.width_ = len(first.columns)
        return self

    def hashes(self, data: Any) -> np.ndarray:
        """One uint64 per row of ``data``; equal rows (as defined above) hash alike."""
        if not hasattr(self, "kinds_"):
            raise ValueError("This RowKey is not fitted; call fit(frames) first.")
        table = _as_table(data)
        if self.columns_ is None:
            arr = table.to_numpy() if isinstance(table, pd.DataFrame) else table
            if arr.shape[1] != self.width_:
                raise ValueError(
                    f"The rows have {arr.shape[1]} values; the key was fitted on {self.width_}."
                )
            missing = np.isnan(arr) if arr.dtype.kind == "f" else np.zeros(arr.shape, bool)
            return _combine(_number_cells(arr, missing, self.bits_[0]), len(arr))
        frame = _frame_of(table, self.columns_)
        absent = [c for c in self.columns_ if c not in frame.columns]
        if absent:
            raise ValueError(f"The rows lack the compared column(s) {absent}.")
        fields: list[np.ndarray] = []
        for col, kind, bits in zip(self.columns_, self.kinds_, self.bits_, strict=True):
            s = frame[col]
            if kind == "text":
                fields.append(pd.util.hash_array(as_text(s).astype(object)))
            elif kind == "datetime":
                seconds, nanos, missing = _series_instants(s)
                fields.append(np.where(missing, _MISSING, _INTEGER))
                fields.append(seconds.astype(np.int64).view(np.uint64))
                fields.append(nanos.astype(np.int64).view(np.uint64))
            else:
                values, missing = _series_numbers(s)
                fields.extend(_number_cells(values, missing, bits))
        return _combine(fields, len(frame))


def _frame_of(table: pd.DataFrame | np.ndarray, columns: Any) -> pd.DataFrame:
    """``table`` as a DataFrame; an array takes the given column names by position."""
    if isinstance(table, pd.DataFrame):
        return table
    if table.shape[1] != len(columns):
        raise ValueError(f"The rows have {table.shape[1]} values; expected {len(columns)}.")
    return pd.DataFrame(table, columns=list(columns))


def row_hashes(frames: Sequence[Any], metadata: Mapping[str, Any] | None = None) -> list[Any]:
    """One uint64 array per frame, by one :class:`RowKey` fitted on all of them.

    ``frames``: DataFrames with the same columns, 2-D arrays of the same width, or sequences of
    strings. Two rows hash alike when their values are equal as the module doc defines it; the
    frames are fitted together so that a column is compared at the same precision in all.
    """
    key = RowKey(metadata).fit(frames)
    return [key.hashes(f) for f in frames]


def take_samples(data: Any, index: np.ndarray) -> Any:
    """The rows of ``data`` at the integer positions ``index``, in the same container type."""
    if isinstance(data, (pd.DataFrame, pd.Series)):
        return data.iloc[index].reset_index(drop=True)
    if isinstance(data, np.ndarray):
        return data[index]
    return [data[i] for i in index]


def concat_samples(parts: list[Any]) -> Any:
    first = parts[0]
    if isinstance(first, (pd.DataFrame, pd.Series)):
        return pd.concat(parts, ignore_index=True)
    if isinstance(first, np.ndarray):
        return np.concatenate(parts)
    return [x for part in parts for x in part]
