"""Conditional vectors and training-by-sampling (CTGAN paper, section 4.3), on the device.

A discrete column is picked uniformly, one of its values with probability proportional to
``log(1 + frequency)``; the conditional vector is that value's one-hot over the slots of all
discrete columns. Real rows holding that value come from per-value index tensors.
"""

from __future__ import annotations

from dataclasses import dataclass

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

    def __init__(self, encoded: torch.Tensor, cond: CondLayout, layout: SpanLayout) -> None:
        device = encoded.device
        self.encoded = encoded
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

    def sample_real(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Rows holding the drawn values, drawn uniformly with replacement among them (so a
        batch larger than the table is fine)."""
        g, cond = self._draw(batch_size)
        counts = self.counts.index_select(0, g)
        offset = (torch.rand(batch_size, device=g.device) * counts).long()
        offset = torch.minimum(offset, counts - 1)
        rows = self.rows.index_select(0, self.row_start.index_select(0, g) + offset)
        return self.encoded.index_select(0, rows), cond

    def sample_fake_conditions(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Conditional vectors for the generator, and their hot slots (for
        :meth:`condition_loss`)."""
        g, cond = self._draw(batch_size)
        return cond, g

    def condition_loss(self, raw: torch.Tensor, info: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of the generator's logits on the conditioned span."""
        logits = raw[:, self.layout.n_tanh :]
        picked = logits.gather(1, self.soft_pos.index_select(0, info).unsqueeze(1))
        seg = self.seg_of.index_select(0, info).unsqueeze(1)
        lse = self.layout.logsumexp(logits).gather(1, seg)
        return (lse - picked).mean()
