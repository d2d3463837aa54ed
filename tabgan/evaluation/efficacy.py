"""Machine-learning efficacy: train on synthetic, test on real holdout (vs train on real)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.metrics import accuracy_score, f1_score, r2_score, roc_auc_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

__all__ = ["make_model", "ml_efficacy", "task_of"]


def task_of(metadata: dict[str, Any], target: Any) -> str:
    """``"regression"`` for a numerical (or datetime) target, else ``"classification"``."""
    sdtype = metadata["columns"][target]["sdtype"]
    if sdtype == "id":
        raise ValueError(f"The target {target!r} is an id column; pick a predictable column.")
    return "regression" if sdtype in ("numerical", "datetime") else "classification"


def make_model(features: pd.DataFrame, metadata: dict[str, Any], task: str) -> Pipeline:
    """Imputation + scaling / one-hot encoding + a random forest, for mixed-type features."""
    numeric, categorical = [], []
    for col in features.columns:
        sdtype = metadata["columns"][col]["sdtype"]
        if sdtype == "numerical":
            numeric.append(col)
        elif sdtype in ("categorical", "boolean"):
            categorical.append(col)
    pre = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="<NA>"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                categorical,
            ),
        ],
        remainder="drop",
    )
    forest = (RandomForestRegressor if task == "regression" else RandomForestClassifier)(
        n_estimators=100, n_jobs=1, random_state=0
    )
    return Pipeline([("pre", pre), ("model", forest)])


def _features(frame: pd.DataFrame, target: Any, metadata: dict[str, Any]) -> pd.DataFrame:
    out = frame.drop(columns=[target]).copy()
    for col in out.columns:
        sdtype = metadata["columns"][col]["sdtype"]
        if sdtype in ("categorical", "boolean"):
            s = out[col]
            out[col] = (
                s.astype(object).where(s.notna(), np.nan).map(lambda v: v if v != v else str(v))
            )
    return out


def _numbers(s: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s.astype("int64").astype(np.float64)
    return s.astype(np.float64)


def _scores(task: str, model: Pipeline, x: pd.DataFrame, y: pd.Series) -> dict[str, float]:
    pred = model.predict(x)
    if task == "regression":
        return {"r2": float(r2_score(y, pred))}
    out = {
        "accuracy": float(accuracy_score(y, pred)),
        "f1_macro": float(f1_score(y, pred, average="macro", zero_division=0)),
    }
    classes = np.unique(y)
    if len(classes) < 2:
        out["roc_auc"] = float("nan")
        return out
    proba = model.predict_proba(x)
    known = list(model.classes_)
    full = np.zeros((len(x), len(classes)))  # columns for classes the model never saw stay 0
    for j, c in enumerate(classes):
        if c in known:
            full[:, j] = proba[:, known.index(c)]
    if len(classes) == 2:
        out["roc_auc"] = float(roc_auc_score(y, full[:, 1]))
    else:
        full = full / np.clip(full.sum(axis=1, keepdims=True), 1e-12, None)
        out["roc_auc"] = float(roc_auc_score(y, full, multi_class="ovr", labels=classes))
    return out


def ml_efficacy(
    train: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame,
    target: Any,
    metadata: dict[str, Any],
) -> tuple[str, pd.DataFrame]:
    """Scores on ``holdout`` of a model trained on ``train`` vs one trained on ``synthetic``.

    Returns the task and a DataFrame indexed by metric with columns ``real`` (train on real),
    ``synthetic`` (train on synthetic) and ``ratio`` (synthetic / real).
    """
    task = task_of(metadata, target)
    columns = {}
    for name, frame in (("real", train), ("synthetic", synthetic)):
        frame = frame[frame[target].notna()]
        if frame.empty:
            raise ValueError(f"The target {target!r} is missing in every `{name}` row.")
        y = frame[target]
        y_hold = holdout[target][holdout[target].notna()]
        x_hold = _features(holdout.loc[y_hold.index], target, metadata)
        if task == "classification":
            y, y_hold = y.astype(str), y_hold.astype(str)
        else:
            y, y_hold = _numbers(y), _numbers(y_hold)
        model = make_model(frame.drop(columns=[target]), metadata, task)
        model.fit(_features(frame, target, metadata), y)
        columns[name] = _scores(task, model, x_hold, y_hold)
    table = pd.DataFrame(columns)
    table["ratio"] = table["synthetic"] / table["real"].where(table["real"] != 0)
    table.index.name = "metric"
    return task, table
