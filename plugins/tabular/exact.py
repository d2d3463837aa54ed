"""Integers and datetimes without float rounding: order-preserving uint64 keys.

A float64 holds integers exactly only up to 2**53, so an int64 near 2**62, a uint64 above
2**63 or a nanosecond timestamp loses its low digits on the way to a float. Continuous columns
of these types are therefore modelled *shifted*: as the exact difference from the training
minimum (``value - min``, computed on uint64 keys, where it cannot overflow), and decoded back
by clipping that difference to the training span in integer arithmetic before adding the
minimum again, so every decoded value is an integer within the training range.

A key is the value itself for unsigned integers and ``value + 2**63`` (the sign bit flipped) for
signed ones and datetimes (int64 counts of the column's unit since the epoch).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "SIGN",
    "from_shifted",
    "is_exact_dtype",
    "is_signed",
    "key_of",
    "shifted",
    "to_keys",
    "values_of",
]

SIGN = np.uint64(2**63)
#: The largest float64 below 2**64 (a larger float does not fit a uint64).
_TOP = float(np.nextafter(2.0**64, 0.0))


def is_exact_dtype(dtype: Any) -> bool:
    """Integer (numpy or nullable) and datetime dtypes: modelled through exact keys."""
    if pd.api.types.is_bool_dtype(dtype):
        return False
    return bool(pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype))


def is_signed(dtype: Any) -> bool:
    """Whether keys of ``dtype`` have their sign bit flipped (all but unsigned integers)."""
    return getattr(pd.api.types.pandas_dtype(dtype), "kind", "i") != "u"


def key_of(value: int, signed: bool) -> int:
    """The key (a Python int in ``[0, 2**64)``) of one integer value."""
    return value + 2**63 if signed else value


def to_keys(s: pd.Series, time_unit: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The uint64 keys of an integer or datetime column, and its missing-value mask.

    Datetimes count ``time_unit`` (the column's own unit when ``None``) since the epoch, UTC.
    """
    nan = np.asarray(s.isna(), dtype=bool)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        idx = pd.DatetimeIndex(s)
        if time_unit is not None and idx.unit != time_unit:
            idx = idx.as_unit(time_unit)
        return idx.asi8.view(np.uint64) ^ SIGN, nan
    if not is_signed(s.dtype):
        return s.to_numpy(dtype=np.uint64, na_value=0), nan
    return s.to_numpy(dtype=np.int64, na_value=0).view(np.uint64) ^ SIGN, nan


def shifted(keys: np.ndarray, nan: np.ndarray, base: int) -> np.ndarray:
    """``key - base`` as float64 (exact up to 2**53), negative below ``base``; NaN if missing."""
    b = np.uint64(base)
    up = keys >= b
    with np.errstate(over="ignore"):  # the branch np.where drops wraps around; harmless
        out = np.where(up, (keys - b).astype(np.float64), -(b - keys).astype(np.float64))
    out[nan] = np.nan
    return out


def from_shifted(x: np.ndarray, span: int, base: int) -> np.ndarray:
    """Keys from rounded shifted values ``x``, clipped to ``[base, base + span]`` exactly."""
    u = np.clip(np.nan_to_num(x, nan=0.0), 0.0, _TOP).astype(np.uint64)
    return np.minimum(u, np.uint64(span)) + np.uint64(base)


def values_of(keys: np.ndarray, signed: bool) -> np.ndarray:
    """The integers (int64 when ``signed``, else uint64) of ``keys``."""
    return (keys ^ SIGN).view(np.int64) if signed else keys
