"""Adversarial filtering of synthetic rows (the tabgan / Diyago idea).

A gradient-boosting classifier learns to tell real rows from a pool of synthetic ones (the label
is one of its features, so it judges each row within its class). Out-of-fold, each synthetic
row gets a probability of being real; per class, the rows that look most real are kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_predict

__all__ = ["adversarial_filter", "numeric_view"]

_MAX_CATEGORIES = 255  # HistGradientBoosting's limit for native categorical features


def numeric_view(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Encode a mixed-type frame as floats for a tree model.

    Returns the float matrix (NaN kept) and a boolean mask of the columns to treat as
    categorical (ordinal codes of at most 255 values).
    """
    columns, categorical = [], []
    for name in frame.columns:
        col = frame[name]
        if pd.api.types.is_bool_dtype(col.dtype):
            values = col.astype("float64").to_numpy()
            is_cat = False
        elif pd.api.types.is_numeric_dtype(col.dtype):
            values = col.to_numpy(dtype="float64", na_value=np.nan)
            is_cat = False
        elif pd.api.types.is_datetime64_any_dtype(col.dtype):
            values = col.astype("int64").astype("float64").to_numpy()
            values[col.isna().to_numpy()] = np.nan
            is_cat = False
        else:
            codes, uniques = pd.factorize(col.astype("object"), use_na_sentinel=True)
            values = codes.astype("float64")
            values[codes < 0] = np.nan
            is_cat = len(uniques) <= _MAX_CATEGORIES
        columns.append(values)
        categorical.append(is_cat)
    return np.column_stack(columns), np.asarray(categorical, dtype=bool)


def adversarial_filter(
    real: pd.DataFrame,
    real_y: np.ndarray,
    synthetic: pd.DataFrame,
    synthetic_y: np.ndarray,
    keep: Mapping[Any, int],
    *,
    random_state: int | None = None,
    n_splits: int = 3,
) -> np.ndarray:
    """Positions of the synthetic rows to keep: per class ``c``, the ``keep[c]`` most real-looking.

    Parameters
    ----------
    real, synthetic : DataFrame with the same columns
    real_y, synthetic_y : class of each row
    keep : class -> number of synthetic rows to keep (at most the pool size of that class)
    random_state : seeds the classifier and the folds
    n_splits : folds of the out-of-fold scoring (each synthetic row is scored by a model that
        did not train on it)

    Returns
    -------
    numpy.ndarray of int, sorted
    """
    frame = pd.concat([real, synthetic], ignore_index=True)
    labels = pd.Series(np.concatenate([real_y, synthetic_y]).astype(str), name="label")
    frame = pd.concat([frame, labels], axis=1)
    X, categorical = numeric_view(frame)
    is_real = np.r_[np.ones(len(real), int), np.zeros(len(synthetic), int)]
    clf = HistGradientBoostingClassifier(
        max_iter=100,
        learning_rate=0.1,
        categorical_features=categorical if categorical.any() else None,
        random_state=random_state,
    )
    cv = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    p_real = cross_val_predict(clf, X, is_real, cv=cv, method="predict_proba")[:, 1]
    scores = p_real[len(real) :]
    chosen = []
    for c, n in keep.items():
        members = np.flatnonzero(synthetic_y == c)
        if n > len(members):
            raise ValueError(f"Cannot keep {n} rows of class {c!r} from a pool of {len(members)}.")
        order = np.argsort(-scores[members], kind="stable")
        chosen.append(members[order[:n]])
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=int)
