"""Check and align the frames given to :func:`tabgan.evaluation.evaluate`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from tabgan.plugins.tabular.metadata import declared_sdtypes, infer_metadata

__all__ = ["align_frames", "check_frame", "resolve_metadata"]


def check_frame(data: Any, name: str) -> pd.DataFrame:
    """Refuse anything but a non-empty DataFrame with unique column names."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"`{name}` must be a pandas DataFrame, got {type(data).__name__}.")
    if data.shape[0] == 0 or data.shape[1] == 0:
        raise ValueError(f"`{name}` is empty (shape {data.shape}).")
    dup = data.columns[data.columns.duplicated()].unique().tolist()
    if dup:
        raise ValueError(f"`{name}` has duplicate column names: {dup}.")
    return data.reset_index(drop=True)


def _same_columns(real: pd.DataFrame, other: pd.DataFrame, name: str) -> pd.DataFrame:
    missing = [c for c in real.columns if c not in set(other.columns)]
    extra = [c for c in other.columns if c not in set(real.columns)]
    if missing or extra:
        raise ValueError(
            f"`{name}` has other columns than `real`: missing {missing}, unexpected {extra}."
        )
    return other[list(real.columns)]


def resolve_metadata(
    real: pd.DataFrame, metadata: Mapping[str, Any] | None, synthesizer: Any
) -> dict[str, Any]:
    """The user's metadata, else the fitted tabular adapter's, else inferred from ``real``."""
    if metadata is None and synthesizer is not None:
        metadata = getattr(getattr(synthesizer, "adapter_", None), "metadata_", None)
    inferred = infer_metadata(real)
    if metadata is None:
        return inferred
    columns = dict(inferred["columns"])
    for col, sdtype in declared_sdtypes(metadata, real.columns, "`real`").items():
        columns[col] = {"sdtype": sdtype}
    return {"columns": columns}


def _coerce(s: pd.Series, sdtype: str, col: Any, name: str) -> pd.Series:
    if sdtype == "numerical":
        try:
            return pd.to_numeric(s, errors="raise")
        except (ValueError, TypeError):
            bad = s[pd.to_numeric(s, errors="coerce").isna() & s.notna()].iloc[0]
            raise ValueError(
                f"Column {col!r} of `{name}` should be numerical but holds {bad!r}."
            ) from None
    if sdtype == "datetime":
        try:
            return pd.to_datetime(s, errors="raise")
        except (ValueError, TypeError):
            raise ValueError(f"Column {col!r} of `{name}` does not parse as datetimes.") from None
    return s


def align_frames(
    real: Any, synthetic: Any, holdout: Any, metadata: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """Same columns in the same order, the same value types per column (as metadata says)."""
    frames = {"real": real, "synthetic": synthetic, "holdout": holdout}
    out: dict[str, pd.DataFrame] = {}
    for name, frame in frames.items():
        if frame is None:
            continue
        frame = check_frame(frame, name)
        if name != "real":
            frame = _same_columns(out["real"], frame, name)
        out[name] = frame.copy()
    for col in out["real"].columns:
        sdtype = metadata["columns"][col]["sdtype"]
        for name in out:
            out[name][col] = _coerce(out[name][col], sdtype, col, name)
        if sdtype in ("categorical", "boolean", "id"):
            kinds = {out[n][col].dtype.kind for n in out}
            if len(kinds) > 1:  # e.g. 1 in one frame and "1" in another: compare as text
                for name in out:
                    s = out[name][col]
                    out[name][col] = s.astype(object).where(s.isna(), s.astype(str))
    for name, frame in out.items():
        if np.all(frame.isna().to_numpy()):
            raise ValueError(f"`{name}` holds only missing values.")
    return out["real"], out["synthetic"], out.get("holdout")
