"""The tabular training sampler under differential privacy: rows given by index, not by value.

Training-by-sampling (CTGAN, :class:`~.sampler.ConditionalSampler`) picks a discrete column
and a value first, then a real row holding that value: which rows a batch holds then depends on
the other rows' values, and the values' log-frequencies steer the generator. Neither fits
DP-SGD, whose accountant assumes every row is drawn independently with the same probability
(Poisson sampling, done by the engine: :mod:`tabgan.engine.dp_sgd`). Under DP:

* the real rows are those the engine drew, and each row's conditional vector is the one-hot of
  its own value in a discrete column picked uniformly at random (a function of that row
  only), so the conditions of real rows follow the values' frequencies;
* the generator's conditional vectors follow the same law, from the noisy counts of the
  private fit (:mod:`.private`): a column uniformly, then a value by its noisy frequency (not
  its log-frequency: the critic would otherwise tell real from generated rows by the
  condition alone). Rare values are therefore not oversampled under DP;
* one column's value per vector (the multi-column vectors of training-by-sampling come from
  the joint values of real rows, which are not released).
"""

from __future__ import annotations

import numpy as np
import torch

from tabgan.estimator.adapters import TrainingSampler

from .sampler import CondLayout, draw_conditions, flat_cdf
from .spans import SpanLayout

__all__ = ["PoissonConditionalSampler"]


class PoissonConditionalSampler(TrainingSampler):
    """Real rows by index (:meth:`real_rows`), conditions from released counts.

    Parameters
    ----------
    encoded : torch.Tensor
        The encoded training rows (model order, on the training device).
    cond : CondLayout
    layout : SpanLayout
    slot_counts : list of numpy arrays
        Each discrete column's noisy count per slot (its ``slot_counts``).
    """

    def __init__(
        self,
        encoded: torch.Tensor,
        cond: CondLayout,
        layout: SpanLayout,
        slot_counts: list[np.ndarray],
    ) -> None:
        device = encoded.device
        self.encoded = encoded
        self.layout = layout
        self.dim = cond.dim
        self.soft_pos = cond.soft_pos.to(device)
        self.seg_of = cond.seg_of.to(device)
        data_pos = cond.data_pos.to(device)
        slots, start = [], 0
        for w in cond.widths:  # each row's global slot in each discrete column
            slots.append(encoded[:, data_pos[start : start + w]].argmax(1) + start)
            start += w
        self.slots = torch.stack(slots, 1)
        self.bounds = torch.tensor(
            np.concatenate([[0], np.cumsum(cond.widths)]), dtype=torch.long, device=device
        )
        weights = [np.maximum(np.asarray(c, np.float64), 0) for c in slot_counts]
        self.cdf = flat_cdf([w if w.sum() > 0 else np.ones_like(w) for w in weights], device)

    def _one_hot(self, g: torch.Tensor) -> torch.Tensor:
        cond = torch.zeros(len(g), self.dim, device=self.encoded.device)
        return cond.scatter_(1, g.unsqueeze(1), 1.0)

    def real_rows(self, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The rows ``rows``, each conditioned on its value in a column drawn uniformly."""
        col = torch.randint(self.slots.shape[1], (len(rows),), device=rows.device)
        g = self.slots.index_select(0, rows).gather(1, col.unsqueeze(1)).squeeze(1)
        return self.encoded.index_select(0, rows), self._one_hot(g)

    def sample_real(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        raise RuntimeError(
            "Under differential privacy real rows are Poisson-sampled by the engine "
            "(real_rows), never drawn by value."
        )

    def sample_fake_conditions(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Conditional vectors for the generator (a column uniformly, a value by its noisy
        frequency) and their hot slots."""
        g = draw_conditions(self.cdf, self.bounds, batch_size, self.encoded.device)
        return self._one_hot(g), g

    def condition_loss(self, raw: torch.Tensor, info: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of the generator's logits on the conditioned span."""
        logits = raw[:, self.layout.n_tanh :]
        picked = logits.gather(1, self.soft_pos.index_select(0, info).unsqueeze(1))
        seg = self.seg_of.index_select(0, info).unsqueeze(1)
        lse = self.layout.logsumexp(logits).gather(1, seg)
        return (lse - picked).mean()
