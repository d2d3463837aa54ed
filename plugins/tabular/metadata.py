"""Validate a table and infer its sdmetrics-style single-table metadata.

The metadata is a dict ``{"columns": {name: {"sdtype": ...}}}`` with sdtype one of
``numerical``, ``categorical``, ``boolean``, ``datetime`` or ``id`` (the format that
``sdmetrics`` reports take). Users may pass a partial dict: the columns it names override the
inferred sdtypes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "SDTYPES",
    "check_frame",
    "declared_sdtypes",
    "infer_metadata",
    "merge_metadata",
    "python_types",
]

SDTYPES = ("numerical", "categorical", "boolean", "datetime", "id")

#: An all-unique string column with at least this many rows is taken for an identifier.
ID_MIN_ROWS = 20


def check_frame(data: Any) -> pd.DataFrame:
    """Refuse what the tabular adapter cannot take, naming the column and the problem."""
    if not isinstance(data, pd.DataFrame):
        hint = ""
        if isinstance(data, pd.Series):
            hint = " Use `series.to_frame()`."
        elif isinstance(data, np.ndarray):
            hint = " Wrap an array with `pd.DataFrame(array, columns=[...])` to name its columns."
        raise TypeError(
            f"The tabular adapter needs a pandas DataFrame, got {type(data).__name__}.{hint}"
        )
    if data.shape[0] == 0 or data.shape[1] == 0:
        raise ValueError(f"The DataFrame is empty (shape {data.shape}).")
    dup = data.columns[data.columns.duplicated()].unique().tolist()
    if dup:
        raise ValueError(f"The DataFrame has duplicate column names: {dup}.")
    for col in data.columns:
        s = data[col]
        if s.isna().all():
            raise ValueError(f"Column {col!r} is all missing (NaN); drop it or fill it.")
        if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            vals = s.to_numpy(dtype=np.float64, na_value=np.nan)
            if np.isinf(vals).any():
                raise ValueError(
                    f"Column {col!r} holds +/-inf values; replace them (e.g. by NaN) first."
                )
        elif s.dtype == object:
            kinds = python_types(s)
            if len(kinds) > 1:
                raise TypeError(
                    f"Column {col!r} mixes value types ({', '.join(sorted(kinds))}); "
                    "convert it to one type (e.g. `df[col].astype(str)`)."
                )
            if kinds == {"number"}:
                vals = pd.to_numeric(s.dropna()).to_numpy(dtype=np.float64)
                if np.isinf(vals).any():
                    raise ValueError(f"Column {col!r} holds +/-inf values.")
        elif isinstance(s.dtype, pd.PeriodDtype) or pd.api.types.is_timedelta64_dtype(s.dtype):
            raise TypeError(
                f"Column {col!r} has dtype {s.dtype}, which the tabular adapter does not "
                "support; convert it to numbers or datetimes."
            )
    return data


def python_types(s: pd.Series) -> set[str]:
    """The families of the non-missing values of an object column."""
    kinds = set()
    for t in {type(v) for v in s.dropna().tolist()}:
        if issubclass(t, (bool, np.bool_)):
            kinds.add("bool")
        elif issubclass(t, (int, float, np.integer, np.floating)):
            kinds.add("number")
        elif issubclass(t, str):
            kinds.add("str")
        elif issubclass(t, pd.Timestamp):
            kinds.add("timestamp")
        else:
            kinds.add(t.__name__)
    return kinds


def infer_sdtype(s: pd.Series) -> str:
    """The sdtype of one column, from its dtype and values."""
    dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numerical"
    kinds = python_types(s)
    if kinds == {"bool"}:
        return "boolean"
    if kinds == {"number"}:
        return "categorical"  # numbers in an object column: keep them as seen
    nonnull = s.dropna()
    if (
        kinds == {"str"}
        and len(s) >= ID_MIN_ROWS
        and len(nonnull) == len(s)
        and nonnull.nunique() == len(s)
    ):
        return "id"
    return "categorical"


def infer_metadata(data: pd.DataFrame) -> dict[str, Any]:
    """Infer ``{"columns": {name: {"sdtype": ...}}}`` for a checked DataFrame."""
    return {"columns": {col: {"sdtype": infer_sdtype(data[col])} for col in data.columns}}


def declared_sdtypes(metadata: Any, columns: Any, where: str = "the DataFrame") -> dict[Any, str]:
    """``{column: sdtype}`` from a user's metadata, checked: its shape, columns and sdtypes."""
    if not isinstance(metadata, Mapping) or not isinstance(metadata.get("columns"), Mapping):
        raise TypeError(
            "`metadata` must be a dict {'columns': {name: {'sdtype': ...}}}, "
            f"got {type(metadata).__name__}."
        )
    out = {}
    for col, spec in metadata["columns"].items():
        if col not in columns:
            raise ValueError(f"`metadata` names column {col!r}, which {where} lacks.")
        sdtype = spec.get("sdtype") if isinstance(spec, Mapping) else None
        if sdtype not in SDTYPES:
            raise ValueError(
                f"`metadata` gives column {col!r} sdtype {sdtype!r}; use one of {SDTYPES}."
            )
        out[col] = sdtype
    return out


def merge_metadata(data: pd.DataFrame, metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    """Inferred metadata, overridden by the columns the user's ``metadata`` names."""
    inferred = infer_metadata(data)
    if metadata is None:
        return inferred
    for col, sdtype in declared_sdtypes(metadata, data.columns).items():
        s = data[col]
        if sdtype == "numerical" and not _numeric_like(s):
            raise ValueError(f"Column {col!r} is declared numerical but holds non-numbers.")
        if sdtype == "datetime" and not pd.api.types.is_datetime64_any_dtype(s.dtype):
            raise ValueError(
                f"Column {col!r} is declared datetime but has dtype {s.dtype}; convert it with "
                "`pd.to_datetime` first."
            )
        if sdtype == "boolean" and s.dropna().nunique() > 2:
            raise ValueError(f"Column {col!r} is declared boolean but has more than 2 values.")
        inferred["columns"][col] = {"sdtype": sdtype}
    return inferred


def _numeric_like(s: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(s.dtype):
        return False
    if pd.api.types.is_numeric_dtype(s.dtype):
        return True
    return s.dtype == object and python_types(s) == {"number"}
