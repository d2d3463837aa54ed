"""Input checks and container round trips shared by the sampler and the meta-estimator.

The GAN always sees a :class:`pandas.DataFrame`. A numpy array (or a list of rows) becomes a frame
with the columns ``"0"``, ``"1"``, ... and goes back to an array of its own dtype; a frame keeps its
columns, order and dtypes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.utils import column_or_1d
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_array, check_consistent_length

__all__ = [
    "Table",
    "check_class_sizes",
    "check_target",
    "free_column_name",
    "to_table",
]

#: The name of the extra discrete column that carries the class label into the GAN.
TARGET_COLUMN = "__tabgan_target__"


@dataclass
class Table:
    """A checked feature table and how to give it back in the caller's container.

    ``frame`` is what the GAN trains on (dense, string column names); ``original`` is the
    caller's data, untouched; ``kind`` is ``"frame"`` or ``"array"``.
    """

    frame: pd.DataFrame
    original: Any
    kind: str
    dtype: np.dtype | None = None

    def combine(self, synthetic: pd.DataFrame) -> Any:
        """Return the original rows followed by ``synthetic`` in the caller's container."""
        if self.kind == "frame":
            original: pd.DataFrame = self.original
            dense = _densify(original)
            synthetic = synthetic.set_axis(dense.columns, axis=1)
            # Give synthetic columns the input's dtypes before concatenating, so a column never
            # widens to ``object`` through the concat (the GAN already restores dtypes; this
            # also covers a duck-typed synthesizer that does not).
            synthetic = synthetic.astype(dense.dtypes.to_dict())
            out = pd.concat([dense, synthetic], axis=0, ignore_index=True)
            return out
        synthetic_arr = synthetic.to_numpy()
        if self.dtype is not None and self.dtype != object:
            synthetic_arr = synthetic_arr.astype(self.dtype)
        return np.concatenate([np.asarray(self.original), synthetic_arr], axis=0)


def _densify(frame: pd.DataFrame) -> pd.DataFrame:
    sparse_cols = [c for c in frame.columns if isinstance(frame[c].dtype, pd.SparseDtype)]
    if not sparse_cols:
        return frame
    out = frame.copy()
    for c in sparse_cols:
        out[c] = out[c].sparse.to_dense()
    return out


def to_table(X: Any, *, owner: str) -> Table:
    """Check ``X`` and wrap it as a :class:`Table`.

    Raises
    ------
    TypeError
        For sparse matrices.
    ValueError
        For empty data, data that is not 2-D, duplicate column names or infinite values.
    """
    if sparse.issparse(X):
        raise TypeError(
            f"{owner} does not accept a sparse matrix: the GAN needs dense rows. "
            "Convert it with X.toarray() first."
        )
    if isinstance(X, pd.DataFrame):
        if X.columns.has_duplicates:
            dup = X.columns[X.columns.duplicated()].tolist()
            raise ValueError(f"X has duplicate column names {dup}; {owner} needs unique names.")
        dense = _densify(X)
        _check_no_inf(dense)
        if X.shape[0] < 1 or X.shape[1] < 1:
            raise ValueError(
                f"Found array with {X.shape[0]} sample(s) and {X.shape[1]} feature(s) "
                f"(shape={X.shape}) while a minimum of 1 is required by {owner}."
            )
        frame = dense.reset_index(drop=True)
        frame.columns = [str(c) for c in frame.columns]
        if frame.columns.has_duplicates:
            raise ValueError(
                f"X has column names that are equal as strings ({list(X.columns)}); "
                f"{owner} needs unique names."
            )
        return Table(frame=frame, original=X, kind="frame")
    arr = check_array(X, dtype=None, ensure_all_finite="allow-nan", ensure_min_samples=1)
    if arr.dtype.kind in "fc" and np.isinf(arr).any():
        rows, cols = np.nonzero(np.isinf(arr))
        raise ValueError(
            f"Input X contains infinity ({int(np.isinf(arr).sum())} values, first at row "
            f"{rows[0]}, column {cols[0]}); {owner} cannot learn from infinite values."
        )
    frame = pd.DataFrame(arr, columns=[str(i) for i in range(arr.shape[1])])
    if arr.dtype == object:
        frame = frame.infer_objects()
    return Table(frame=frame, original=arr, kind="array", dtype=arr.dtype)


def _check_no_inf(frame: pd.DataFrame) -> None:
    for name in frame.columns:
        col = frame[name]
        if pd.api.types.is_float_dtype(col.dtype):
            values = col.to_numpy(dtype=float, na_value=np.nan)
            n_inf = int(np.isinf(values).sum())
            if n_inf:
                raise ValueError(
                    f"Input X contains infinity in column {name!r} ({n_inf} values); "
                    "replace them (e.g. by NaN) first."
                )


def check_target(y: Any, n_samples: int, *, owner: str, warn_column: bool = False) -> np.ndarray:
    """Return ``y`` as a 1-D array of class labels, or raise a clear error.

    ``n_samples`` is the number of rows of X (a length mismatch is reported first).
    ``warn_column``: warn (``DataConversionWarning``) when a column vector is raveled, as
    scikit-learn's classifiers do.
    """
    if y is None:
        raise ValueError(f"{owner} requires y to be passed, but the target y is None.")
    y_arr = np.asarray(y.to_numpy() if isinstance(y, (pd.Series, pd.DataFrame)) else y)
    if y_arr.ndim == 2 and y_arr.shape[1] == 1:
        y_arr = column_or_1d(y_arr, warn=warn_column)
    check_consistent_length(np.empty((n_samples, 0)), y_arr)
    missing = pd.isna(y_arr) if y_arr.ndim == 1 else np.zeros(0, bool)
    if missing.any():
        first = int(np.flatnonzero(missing)[0])
        raise ValueError(
            f"Input y contains NaN: {int(missing.sum())} missing labels (first at position "
            f"{first}). {owner} never drops rows; drop or label these samples first."
        )
    if y_arr.dtype.kind == "f" and np.isinf(y_arr).any():
        raise ValueError(
            f"Input y contains infinity ({int(np.isinf(y_arr).sum())} labels); class labels "
            "must be finite."
        )
    kind = type_of_target(y_arr)
    if kind not in ("binary", "multiclass"):
        if kind.startswith("multilabel") or kind.startswith("multiclass-multioutput"):
            raise ValueError("Multilabel and multioutput targets are not supported.")
        raise ValueError(
            f"Unknown label type: {kind}. {owner} supports classification targets only "
            "(y is conditioned on as a discrete column); bin a regression target first, "
            "e.g. with pandas.qcut(y, 5, labels=False)."
        )
    return y_arr


def check_class_sizes(y: np.ndarray, classes: Any, min_class_samples: int, *, owner: str) -> None:
    """Raise when a class that will receive synthetic rows is too small to learn from."""
    counts = Counter(y.tolist())
    small = {c: counts.get(c, 0) for c in classes if counts.get(c, 0) < min_class_samples}
    if small:
        listing = ", ".join(f"{_plain(c)!r}: {n}" for c, n in small.items())
        raise ValueError(
            f"{owner} needs at least min_class_samples={min_class_samples} samples in each class "
            f"it generates, to learn that class from its own rows. Got fewer for class(es) "
            f"{{{listing}}}. Collect more samples, merge rare classes, leave them out of "
            "sampling_strategy, or lower min_class_samples (at your own risk)."
        )


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (for readable messages)."""
    return value.item() if isinstance(value, np.generic) else value


def free_column_name(columns: Any, base: str = TARGET_COLUMN) -> str:
    """``base``, with underscores appended until it is not among ``columns``."""
    name = base
    taken = {str(c) for c in columns}
    while name in taken:
        name += "_"
    return name
