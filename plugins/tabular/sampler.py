"""Conditional vectors and training-by-sampling (CTGAN paper, section 4.3), on the device.

A discrete column is picked uniformly, one of its values with probability proportional to
``log(1 + frequency)``; the conditional vector is that value's one-hot over the slots of all
discrete columns. Real rows holding that value come from per-value index tensors.

Multi-column conditions: with probability ``multi_rate`` a conditional vector also holds the
values of other discrete columns, read from one real row that holds the drawn value (each
other column kept with a probability drawn uniformly per row, so every subset size is
trained). The generator thus learns ``P(row | several values)`` and ``sample(conditions=...)``
on several columns is coherent, not one column conditioned and the others overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from tabgan.estimator.adapters import TrainingSampler

from .spans import SpanLayout

__all__ = ["CondLayout", "ConditionalSampler", "draw_conditions", "flat_cdf"]


@dataclass(frozen=True)
class CondLayout:
    """Where the discrete (conditionable) columns' slots lie.

    ``data_pos[g]`` is the encoded (model order) position of cond slot ``g``; ``soft_pos[g]`` its
    position in the layout's softmax block; ``col_of[g]`` the index (among discrete columns)
    of its column.
    """

    data_pos: torch.Tensor
    soft_pos: torch.Tensor
    col_of: torch.Tensor
    widths: tuple[int, ...]
    seg_of: torch.Tensor  # the layout segment (softmax span) of each slot

    @property
    def dim(self) -> int:
        return len(self.data_pos)

    @classmethod
    def build(cls, starts: list[int], widths: list[int], layout: SpanLayout) -> CondLayout:
        natural = [s + k for s, w in zip(starts, widths, strict=True) for k in range(w)]
        data_pos = layout.model_pos[np.asarray(natural, dtype=np.int64)]
        return cls(
            data_pos=torch.as_tensor(data_pos, dtype=torch.long),
            soft_pos=torch.as_tensor(data_pos - layout.n_tanh, dtype=torch.long),
            col_of=torch.tensor([j for j, w in enumerate(widths) for _ in range(w)]),
            widths=tuple(widths),
            seg_of=layout.seg_id[torch.as_tensor(data_pos - layout.n_tanh, dtype=torch.long)],
        )


def flat_cdf(weights: list[np.ndarray], device: torch.device) -> torch.Tensor:
    """Column j's cumulative probabilities shifted into (j, j + 1], all in one sorted tensor."""
    parts = [j + np.cumsum(w / w.sum()) for j, w in enumerate(weights)]
    dtype = torch.float32 if device.type == "mps" else torch.float64
    return torch.from_numpy(np.concatenate(parts)).to(device=device, dtype=dtype)


def draw_conditions(
    cdf: torch.Tensor, bounds: torch.Tensor, n: int, device: torch.device
) -> torch.Tensor:
    """Global slot ids: a column uniformly, then a slot by the column's cdf section."""
    n_cols = len(bounds) - 1
    col = torch.randint(n_cols, (n,), device=device)
    u = col.to(cdf.dtype) + torch.rand(n, device=device, dtype=cdf.dtype)
    g = torch.searchsorted(cdf, u)
    return torch.minimum(torch.maximum(g, bounds[col]), bounds[col + 1] - 1)


class ConditionalSampler(TrainingSampler):
    """The training sampler for tables with at least one discrete column.

    ``encoded`` is the ``Encoded.data`` of the training rows (float32, model order, on the
    training device); conditional vectors are one-hot over the discrete columns' slots.
    """

    def __init__(
        self,
        encoded: torch.Tensor,
        cond: CondLayout,
        layout: SpanLayout,
        multi_rate: float = 0.0,
        partner_weight: float = 0.0,
    ) -> None:
        device = encoded.device
        self.encoded = encoded
        self.multi_rate = float(multi_rate) if len(cond.widths) > 1 else 0.0
        self.partner_weight = float(partner_weight)
        self.col_of = cond.col_of.to(device)
        self.n_cols = len(cond.widths)
        self.layout = layout
        self.dim = cond.dim
        self.data_pos = cond.data_pos.to(device)
        self.soft_pos = cond.soft_pos.to(device)
        self.seg_of = cond.seg_of.to(device)
        n = len(encoded)
        rows, counts, log_w = [], [], []
        start = 0
        for w in cond.widths:
            block = encoded[:, self.data_pos[start : start + w]]
            codes = block.argmax(1)
            rows.append(torch.argsort(codes, stable=True))
            c = torch.bincount(codes, minlength=w)
            counts.append(c)
            log_w.append(np.log1p(c.cpu().numpy().astype(np.float64)))
            start += w
        self.rows = torch.cat(rows)  # column j's rows grouped by value, at offset j * n
        self.counts = torch.cat(counts)
        col_base = (cond.col_of.to(device) * n).long()
        within = torch.cat([torch.cumsum(c, 0) - c for c in counts])
        self.row_start = col_base + within
        self.bounds = torch.tensor(
            np.concatenate([[0], np.cumsum(cond.widths)]), dtype=torch.long, device=device
        )
        self.cdf = flat_cdf(log_w, device)

    def _draw(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        g = draw_conditions(self.cdf, self.bounds, batch_size, self.encoded.device)
        cond = torch.zeros(batch_size, self.dim, device=self.encoded.device)
        return g, cond.scatter_(1, g.unsqueeze(1), 1.0)

    def _rows(self, g: torch.Tensor) -> torch.Tensor:
        """A real row holding each drawn slot ``g``, uniformly among those rows."""
        counts = self.counts.index_select(0, g)
        offset = (torch.rand(len(g), device=g.device) * counts).long()
        offset = torch.minimum(offset, counts - 1)
        return self.rows.index_select(0, self.row_start.index_select(0, g) + offset)

    def _widen(self, g: torch.Tensor, cond: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        """``cond`` with, on a ``multi_rate`` share of its rows, the values row ``rows`` holds
        in a random subset of the other discrete columns (the drawn column always kept)."""
        if self.multi_rate <= 0:
            return cond
        n, device = len(g), g.device
        multi = torch.rand(n, device=device) < self.multi_rate
        keep = torch.rand(n, self.n_cols, device=device) < torch.rand(n, 1, device=device)
        keep &= multi.unsqueeze(1)
        values = self.encoded.index_select(0, rows).index_select(1, self.data_pos)
        wide = values * keep.index_select(1, self.col_of).to(values.dtype)
        return torch.maximum(cond, (wide > 0.5).to(cond.dtype))

    def sample_real(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Rows holding the drawn values, drawn uniformly with replacement among them (so a
        batch larger than the table is fine)."""
        g, cond = self._draw(batch_size)
        rows = self._rows(g)
        return self.encoded.index_select(0, rows), self._widen(g, cond, rows)

    def sample_fake_conditions(self, batch_size: int) -> tuple[torch.Tensor, Any]:
        """Conditional vectors for the generator, and what :meth:`condition_loss` needs: the
        hot slots, or (multi-column conditions) the vectors themselves, or (partner loss)
        ``(vectors, softmax block of the partner rows)``."""
        g, cond = self._draw(batch_size)
        if self.multi_rate <= 0 and self.partner_weight <= 0:
            return cond, g
        rows = self._rows(g)
        cond = self._widen(g, cond, rows)
        if self.partner_weight <= 0:
            return cond, cond
        return cond, (cond, self.encoded.index_select(0, rows)[:, self.layout.n_tanh :])

    def condition_loss(self, raw: torch.Tensor, info: Any) -> torch.Tensor:
        """Cross-entropy of the generator's logits on the conditioned span (on each
        conditioned span, averaged per row, for multi-column vectors)."""
        logits = raw[:, self.layout.n_tanh :]
        if isinstance(info, tuple):
            cond, target = info
            lse = self.layout.logsumexp(logits)
            seg = self.layout.seg_id.to(logits.device)
            picked = torch.zeros_like(lse).index_add_(1, seg, logits * target)
            partner = (lse - picked).mean()
            return self.condition_loss(raw, cond) + self.partner_weight * partner
        if info.dim() == 2:  # multi-hot conditional vectors
            picked_all = logits.index_select(1, self.soft_pos)
            lse_all = self.layout.logsumexp(logits).index_select(1, self.seg_of)
            per_row = ((lse_all - picked_all) * info).sum(1) / info.sum(1).clamp_min(1.0)
            return per_row.mean()
        picked = logits.gather(1, self.soft_pos.index_select(0, info).unsqueeze(1))
        seg = self.seg_of.index_select(0, info).unsqueeze(1)
        lse = self.layout.logsumexp(logits).gather(1, seg)
        return (lse - picked).mean()
