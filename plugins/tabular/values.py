"""Lossless JSON for cell values and dtypes, and dtype restoration on decode."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["dtype_info", "from_json", "is_missing", "restore", "take_values", "to_json"]


def is_missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v))


def to_json(v: Any) -> Any:
    """A JSON-able tagged form of one value (column name or category): ``[tag, value]``."""
    if isinstance(v, np.generic):
        v = v.item()
    if is_missing(v):
        return ["n", None]
    if isinstance(v, bool):
        return ["b", v]
    if isinstance(v, int):
        return ["i", v]
    if isinstance(v, float):
        return ["f", v]
    if isinstance(v, str):
        return ["s", v]
    if isinstance(v, pd.Timestamp):
        return ["t", v.isoformat()]
    if isinstance(v, pd.Timedelta):
        return ["d", int(v.value)]
    raise TypeError(f"Cannot store the value {v!r} of type {type(v).__name__}.")


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
    if tag == "t":
        return pd.Timestamp(v)
    if tag == "d":
        return pd.Timedelta(int(v))
    raise ValueError(f"Unknown stored value tag {tag!r}.")


def dtype_info(s: pd.Series) -> dict[str, Any]:
    """What :func:`restore` needs to give a decoded column the dtype of ``s``."""
    info: dict[str, Any] = {"dtype": str(s.dtype)}
    if isinstance(s.dtype, pd.CategoricalDtype):
        info["categories"] = [to_json(c) for c in s.dtype.categories]
        info["ordered"] = bool(s.dtype.ordered)
    if s.dtype == object:
        missing = [v for v in s.tolist() if is_missing(v)]
        info["missing"] = "none" if missing and all(v is None for v in missing) else "nan"
    return info


def restore(values: np.ndarray, info: dict[str, Any], name: Any) -> pd.Series:
    """``values`` (object array, ``None`` for missing) as a Series of the recorded dtype."""
    dtype = info["dtype"]
    missing = pd.isna(values) if len(values) else None
    if dtype == "category":
        cats = [from_json(c) for c in info["categories"]]
        cat_dtype = pd.CategoricalDtype(pd.Index(cats), ordered=info["ordered"])
        return pd.Series(pd.Categorical(values, dtype=cat_dtype), name=name)
    if dtype == "object":
        out = values.astype(object)
        if missing is not None and missing.any():
            out[missing] = None if info.get("missing") == "none" else np.nan
        return pd.Series(out, name=name, dtype=object)
    target = pd.api.types.pandas_dtype(dtype)
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
        return pd.Series(table.to_numpy(copy=False).take(idx), name=name, copy=False)
    return pd.Series(table.array.take(idx), name=name)
