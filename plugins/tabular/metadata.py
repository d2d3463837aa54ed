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

from .values import STORABLE, to_json

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


#: Cell values the adapter cannot model: containers (a value per row must be one scalar).
CONTAINERS: tuple[type, ...] = (
    list,
    dict,
    set,
    frozenset,
    np.ndarray,
    pd.Series,
    pd.DataFrame,
    pd.Index,
)


def check_frame(data: Any) -> pd.DataFrame:
    """Refuse what the tabular adapter cannot take, naming the column and the problem."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"The tabular adapter needs a pandas DataFrame, got {type(data).__name__}."
            f"{_frame_hint(data)}"
        )
    if data.shape[1] == 0:
        raise ValueError(f"The DataFrame is empty: it has no columns (shape {data.shape}).")
    if data.shape[0] == 0:
        raise ValueError(f"The DataFrame is empty: it has no rows (shape {data.shape}).")
    dup = data.columns[data.columns.duplicated()].unique().tolist()
    if dup:
        raise ValueError(f"The DataFrame has duplicate column names: {dup}.")
    for i, col in enumerate(data.columns):  # by position: a bool name is no mask
        _check_name(col)
        _check_column(col, data.iloc[:, i])
    return data


def _frame_hint(data: Any) -> str:
    if isinstance(data, pd.Series):
        return " Use `series.to_frame()`."
    if isinstance(data, np.ndarray):
        return " Wrap an array with `pd.DataFrame(array, columns=[...])` to name its columns."
    if isinstance(data, (list, dict)):
        return " Build one with `pd.DataFrame(data)`."
    return ""


def _check_name(col: Any) -> None:
    try:
        to_json(col)
    except TypeError:
        raise TypeError(
            f"Column name {col!r} ({type(col).__name__}) cannot be saved with the model; "
            "rename the column (e.g. to a str)."
        ) from None


def _check_column(col: Any, s: pd.Series) -> None:
    """Refuse one column that the adapter cannot model."""
    if s.isna().all():
        raise ValueError(f"Column {col!r} is all missing (NaN); drop it or fill it.")
    dtype = s.dtype
    if pd.api.types.is_complex_dtype(dtype):
        raise TypeError(_complex_message(col))
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        _check_finite(col, s.to_numpy(dtype=np.float64, na_value=np.nan))
    elif s.dtype == object:
        _check_objects(col, s)
    elif isinstance(dtype, pd.PeriodDtype) or pd.api.types.is_timedelta64_dtype(dtype):
        raise TypeError(
            f"Column {col!r} has dtype {dtype}, which the tabular adapter does not "
            "support; convert it to numbers or datetimes."
        )


def _check_finite(col: Any, values: np.ndarray) -> None:
    inf = np.isinf(values)
    if inf.any():
        raise ValueError(
            f"Column {col!r} holds +/-inf values (first at row {int(np.argmax(inf))}); "
            "replace them (e.g. by NaN) first."
        )


def _complex_message(col: Any) -> str:
    return (
        f"Column {col!r} holds complex numbers; tabgan models real values: split it into "
        "two columns, its real and imaginary parts (`df[col].real`, `df[col].imag`)."
    )


def _first_row(s: pd.Series, kind: type | tuple[type, ...]) -> int:
    """The position of the first value of ``s`` of type ``kind``."""
    return next(i for i, v in enumerate(s.tolist()) if isinstance(v, kind))


def _check_objects(col: Any, s: pd.Series) -> None:
    """Refuse an object column of containers, complex numbers, values that cannot be stored
    or several kinds of values."""
    types = {type(v) for v in s.dropna().tolist()}
    for t in sorted(types, key=lambda t: t.__name__):
        if issubclass(t, CONTAINERS) or (issubclass(t, tuple) and not _hashable(s, t)):
            what = f"{t.__name__} values" if not issubclass(t, tuple) else "unhashable tuples"
            raise TypeError(
                f"Column {col!r} holds {what} (first at row {_first_row(s, t)}); tabgan models "
                "one scalar value per cell: turn each into a string (e.g. "
                f"`df[{col!r}].map(json.dumps)`) or spread its items over columns of their own."
            )
        if issubclass(t, (complex, np.complexfloating)):
            raise TypeError(_complex_message(col))
        if not issubclass(t, STORABLE):
            raise TypeError(
                f"Column {col!r} holds {t.__name__} values (first at row {_first_row(s, t)}), "
                f"which the tabular adapter cannot save with the model; convert them (e.g. "
                f"`df[{col!r}].astype(str)`)."
            )
    kinds = python_types(s)
    if len(kinds) > 1:
        raise TypeError(
            f"Column {col!r} mixes value types ({', '.join(sorted(kinds))}); "
            f"convert it to one type (e.g. `df[{col!r}].astype(str)`)."
        )
    if kinds == {"number"}:
        floats = [float(v) if isinstance(v, (float, np.floating)) else 0.0 for v in s.tolist()]
        _check_finite(col, np.array(floats))  # ints are finite (and may exceed a float)


def _hashable(s: pd.Series, kind: type) -> bool:
    try:
        for v in s.tolist():
            if isinstance(v, kind):
                hash(v)
    except TypeError:
        return False
    return True


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


def dtype_sdtype(dtype: Any) -> str | None:
    """The sdtype a dtype alone decides (``None`` for an object or string column, whose values
    decide)."""
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numerical"
    return None


def infer_sdtype(s: pd.Series) -> str:
    """The sdtype of one column, from its dtype and values."""
    by_dtype = dtype_sdtype(s.dtype)
    if by_dtype is not None:
        return by_dtype
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
    columns = {col: {"sdtype": infer_sdtype(data.iloc[:, i])} for i, col in enumerate(data.columns)}
    return {"columns": columns}


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
        s = data.iloc[:, data.columns.get_loc(col)]
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
