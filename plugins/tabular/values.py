"""Lossless JSON for cell values and dtypes, and dtype restoration on decode."""

from __future__ import annotations

import datetime
import decimal
import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "STORABLE",
    "dtype_info",
    "from_json",
    "is_missing",
    "restore",
    "take_values",
    "to_json",
]

#: The Python types of the values (categories, column names) that :func:`to_json` stores; a
#: tuple is stored when its items are.
STORABLE: tuple[type, ...] = (
    bool,
    int,
    float,
    str,
    bytes,
    decimal.Decimal,
    datetime.datetime,
    datetime.date,
    datetime.time,
    datetime.timedelta,
    pd.Period,
    pd.Interval,
    tuple,
    np.generic,
)


def is_missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v))


def _stamp(ts: pd.Timestamp) -> list[Any]:
    if ts.tzinfo is None and ts.unit == "ns":
        return ["t", ts.isoformat()]
    return ["T", [ts.isoformat(), None if ts.tzinfo is None else str(ts.tzinfo), ts.unit]]


def to_json(v: Any) -> Any:
    """A JSON-able tagged form of one value (column name or category): ``[tag, value]``."""
    if isinstance(v, np.generic) and not isinstance(v, (np.datetime64, np.timedelta64)):
        v = v.item()
    if v is None or v is pd.NA or v is pd.NaT:
        return ["n", None]
    if isinstance(v, bool):
        return ["b", v]
    if isinstance(v, int):
        return ["i", v]
    if isinstance(v, float):
        return ["f", v if math.isfinite(v) else repr(v)]  # NaN and inf as text: plain JSON
    if isinstance(v, str):
        return ["s", v]
    if isinstance(v, bytes):
        return ["y", v.hex()]
    if isinstance(v, decimal.Decimal):
        return ["D", str(v)]
    if isinstance(v, (pd.Timestamp, np.datetime64)):
        return _stamp(pd.Timestamp(v))
    if isinstance(v, datetime.datetime):
        return ["pdt", v.isoformat()]
    if isinstance(v, datetime.date):
        return ["date", v.isoformat()]
    if isinstance(v, datetime.time):
        return ["time", v.isoformat()]
    if isinstance(v, (pd.Timedelta, np.timedelta64)):
        return ["d", int(pd.Timedelta(v).value)]
    if isinstance(v, datetime.timedelta):
        return ["ptd", [v.days, v.seconds, v.microseconds]]
    if isinstance(v, pd.Period):
        return ["P", [str(v), v.freqstr]]
    if isinstance(v, pd.Interval):
        return ["I", [to_json(v.left), to_json(v.right), v.closed]]
    if isinstance(v, tuple):
        return ["u", [to_json(x) for x in v]]
    raise TypeError(f"Cannot store the value {v!r} of type {type(v).__name__}.")


def _timestamp(v: Any) -> pd.Timestamp:
    iso, tz, unit = v
    ts = pd.Timestamp(iso).as_unit(unit)
    if tz is not None:
        try:
            ts = ts.tz_convert(tz)  # the zone by name, not only its offset at that instant
        except Exception:  # a zone known only by its offset: keep that offset
            pass
    return ts


def from_json(item: Any) -> Any:
    if not isinstance(item, list) or len(item) != 2:
        raise ValueError(f"Malformed stored value {item!r}.")
    tag, v = item
    if tag == "n":
        return None
    if tag == "b":
        return bool(v)
    if tag == "i":
        return int(v)
    if tag == "f":
        return float(v)
    if tag == "s":
        return str(v)
    if tag == "y":
        return bytes.fromhex(v)
    if tag == "D":
        return decimal.Decimal(v)
    if tag == "t":  # naive, in nanoseconds
        return pd.Timestamp(v)
    if tag == "T":  # with its zone or unit
        return _timestamp(v)
    if tag == "pdt":
        return datetime.datetime.fromisoformat(v)
    if tag == "date":
        return datetime.date.fromisoformat(v)
    if tag == "time":
        return datetime.time.fromisoformat(v)
    if tag == "d":
        return pd.Timedelta(int(v))
    if tag == "ptd":
        return datetime.timedelta(days=v[0], seconds=v[1], microseconds=v[2])
    if tag == "P":
        return pd.Period(v[0], freq=v[1])
    if tag == "I":
        return pd.Interval(from_json(v[0]), from_json(v[1]), closed=v[2])
    if tag == "u":
        return tuple(from_json(x) for x in v)
    raise ValueError(f"Unknown stored value tag {tag!r}.")


def dtype_info(s: pd.Series) -> dict[str, Any]:
    """What :func:`restore` needs to give a decoded column the dtype of ``s``."""
    info: dict[str, Any] = {"dtype": str(s.dtype)}
    if isinstance(s.dtype, pd.CategoricalDtype):
        info["categories"] = [to_json(c) for c in s.dtype.categories]
        info["categories_dtype"] = str(s.dtype.categories.dtype)
        info["ordered"] = bool(s.dtype.ordered)
    if isinstance(s.dtype, pd.StringDtype):  # "string" names both storages
        info["storage"] = s.dtype.storage
        info["na"] = "nan" if s.dtype.na_value is not pd.NA else "na"
    if s.dtype == object:
        missing = [v for v in s.tolist() if is_missing(v)]
        info["missing"] = "none" if missing and all(v is None for v in missing) else "nan"
    return info


def pandas_dtype(info: dict[str, Any]) -> Any:
    """The dtype that :func:`dtype_info` recorded."""
    if "storage" in info:
        na = np.nan if info.get("na") == "nan" else pd.NA
        return pd.StringDtype(info["storage"], na_value=na)
    return pd.api.types.pandas_dtype(info["dtype"])


def _categories(cats: list[Any], info: dict[str, Any]) -> pd.Index:
    """The categories as an Index of their recorded dtype (inferred for older states)."""
    if "categories_dtype" in info:
        try:
            return pd.Index(cats, dtype=pd.api.types.pandas_dtype(info["categories_dtype"]))
        except (TypeError, ValueError):
            pass
    return pd.Index(cats)


def restore(values: np.ndarray, info: dict[str, Any], name: Any) -> pd.Series:
    """``values`` (object array, ``None`` for missing) as a Series of the recorded dtype."""
    dtype = info["dtype"]
    missing = pd.isna(values) if len(values) else None
    if dtype == "category":
        cats = _categories([from_json(c) for c in info["categories"]], info)
        cat_dtype = pd.CategoricalDtype(cats, ordered=info["ordered"])
        return pd.Series(pd.Categorical(values, dtype=cat_dtype), name=name)
    if dtype == "object":
        out = values.astype(object)
        if missing is not None and missing.any():
            out[missing] = None if info.get("missing") == "none" else np.nan
        return pd.Series(out, name=name, dtype=object)
    target = pandas_dtype(info)
    if isinstance(target, np.dtype) and target.kind in "iub" and missing is not None:
        if missing.any():  # cannot happen for columns trained without missing values
            raise ValueError(f"Column {name!r}: missing values decoded for dtype {dtype}.")
    obj = pd.Series(values, dtype=object, name=name)
    if missing is not None and missing.any():
        obj[missing] = None
    return obj.astype(target)


def take_values(table: pd.Series, idx: np.ndarray, name: Any) -> pd.Series:
    """``table`` (distinct values, already restored) at positions ``idx``, as a new Series.

    Restoring each distinct value once and then indexing is the same as restoring every row's
    value, at the cost of one vectorized take.
    """
    if isinstance(table.dtype, np.dtype):  # numpy-backed (object, bool, int, float)
        values = table.to_numpy(copy=False).take(idx)
        return pd.Series(values, name=name, dtype=table.dtype, copy=False)
    return pd.Series(table.array.take(idx), name=name)
