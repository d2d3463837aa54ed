"""Range conditions on continuous columns: decode their values from a batch in torch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch

from .columns import ContinuousColumn
from .spans import SpanLayout

__all__ = ["RangeChecker"]


class RangeChecker:
    """Decoded values of every continuous column of compact samples, vectorized.

    Works on the compact rows of :meth:`TabularAdapter.generate` (alphas, then each span's
    slot index) and mirrors :meth:`ContinuousColumn.decode_parts`: ``alpha * 4 * sigma_k +
    mu_k`` for the mode ``k``, clipped and rounded like the decoder, NaN where the missing
    indicator is on. Runs in float64 on the CPU (datetimes are int64 nanoseconds).
    """

    def __init__(self, transformers: list[Any], starts: list[int], layout: SpanLayout) -> None:
        cols = [
            (i, t, s)
            for i, (t, s) in enumerate(zip(transformers, starts, strict=True))
            if isinstance(t, ContinuousColumn)
        ]
        self.columns = [i for i, _, _ in cols]
        self.n = len(cols)
        t0 = layout.n_tanh
        means: list[np.ndarray] = []
        stds: list[np.ndarray] = []
        offsets: list[int] = []
        alpha_pos: list[int] = []
        mode_col: list[int] = []
        nan_col: list[int] = []
        lo: list[float] = []
        hi: list[float] = []
        integral: list[bool] = []
        for _, t, s in cols:
            k = len(t.means_)
            offsets.append(sum(len(m) for m in means))
            means.append(t.means_)
            stds.append(4 * t.stds_)
            alpha_pos.append(int(layout.model_pos[s]))
            mode_col.append(t0 + layout.segment_of[s + 1])
            nan_col.append(t0 + layout.segment_of[s + 1 + k] if t.has_nan_ else -1)
            clip = t.enforce_min_max or t.integral_
            lo.append(t.min_ if clip else -np.inf)
            hi.append(t.max_ if clip else np.inf)
            integral.append(t.integral_)
        self.means = torch.from_numpy(np.concatenate(means) if means else np.zeros(0))
        self.stds4 = torch.from_numpy(np.concatenate(stds) if stds else np.zeros(0))
        self.offsets = torch.tensor(offsets, dtype=torch.long)
        self.alpha_pos = torch.tensor(alpha_pos, dtype=torch.long)
        self.mode_col = torch.tensor(mode_col, dtype=torch.long)
        self.nan_col = torch.tensor(nan_col, dtype=torch.long)
        self.clip_lo = torch.tensor(lo, dtype=torch.float64)
        self.clip_hi = torch.tensor(hi, dtype=torch.float64)
        self.integral = torch.tensor(integral, dtype=torch.bool)

    def values(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, n)`` decoded values (float64, NaN for missing) of the continuous columns."""
        x = x.detach().to("cpu", torch.float64)
        mode = x[:, self.mode_col].round().long() + self.offsets
        v = x[:, self.alpha_pos].clamp(-1.0, 1.0) * self.stds4[mode] + self.means[mode]
        v = torch.minimum(torch.maximum(v, self.clip_lo), self.clip_hi)
        v = torch.where(self.integral, v.round(), v)
        has_nan = self.nan_col >= 0
        if has_nan.any():
            missing = x[:, self.nan_col.clamp(min=0)].round() == 1
            v = torch.where(missing & has_nan, torch.nan, v)
        return v

    def satisfied(self, x: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor) -> torch.Tensor:
        """Rows of compact samples ``x`` whose constrained columns lie in ``[lo, hi]``
        (``(B, n)`` float64 bounds)."""
        v = self.values(x)
        constrained = torch.isfinite(lo) | torch.isfinite(hi)
        ok = ((v >= lo) & (v <= hi)) | ~constrained
        return ok.all(1)

    @staticmethod
    def bound(t: ContinuousColumn, value: Any, col: Any) -> float:
        """A user's range bound as the column's float encoding (datetimes as UTC ns)."""
        if value is None:
            return float("nan")
        if t.is_datetime_:
            ts = pd.Timestamp(value)
            tz = getattr(pd.api.types.pandas_dtype(t.dtype_["dtype"]), "tz", None)
            if tz is not None and ts.tzinfo is None:
                ts = ts.tz_localize(tz)
            elif tz is None and ts.tzinfo is not None:
                raise ValueError(f"Column {col!r} has no timezone; give naive range bounds.")
            return float(ts.as_unit("ns").value)
        try:
            out = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"Column {col!r}: range bound {value!r} is not a number.") from None
        if np.isnan(out):
            raise ValueError(f"Column {col!r}: range bound is NaN; use None for an open end.")
        return out
