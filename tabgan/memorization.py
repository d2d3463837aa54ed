"""Row hashing for the memorization guard (``GANSynthesizer.sample(..., drop_copies=True)``).

The fitted model keeps only 64-bit hashes of its training rows, never the rows themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["concat_samples", "row_hashes", "take_samples"]


def row_hashes(data: Any) -> np.ndarray:
    """One uint64 hash per row of a DataFrame, a 2-D+ array, or a sequence of strings."""
    if isinstance(data, pd.DataFrame):
        frame = data
    elif isinstance(data, pd.Series):
        frame = data.to_frame()
    elif isinstance(data, np.ndarray):
        frame = pd.DataFrame(data.reshape(len(data), -1))
    elif isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        frame = pd.DataFrame({"value": pd.Series(list(data), dtype=object)})
    else:
        try:
            arr = np.asarray(data)
        except Exception:
            raise TypeError(f"Cannot hash rows of {type(data).__name__}.") from None
        frame = pd.DataFrame(arr.reshape(len(arr), -1))
    frame = frame.reset_index(drop=True)
    frame.columns = range(frame.shape[1])  # hash values, not labels
    return pd.util.hash_pandas_object(frame, index=False).to_numpy(np.uint64)


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
