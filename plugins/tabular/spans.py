"""The encoded row as typed spans, and their activation with precomputed index tensors."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["Span", "SpanLayout"]

TANH, SOFTMAX = "tanh", "softmax"


@dataclass(frozen=True)
class Span:
    """``width`` encoded features from ``start``, of kind ``"tanh"`` or ``"softmax"``."""

    start: int
    width: int
    kind: str


class SpanLayout:
    """Index tensors over all spans of a row, so a batch is activated in a few tensor ops.

    The networks work in *model order*: every tanh position first, then the softmax spans one
    after the other, so activation needs slices, not gathers. ``order[m]`` is the natural
    (column-by-column) position of model position ``m`` and ``model_pos`` the inverse. A
    segmented (scatter) softmax normalizes each one-hot span, so memory is ``O(width)`` per row
    however wide the widest span is.
    """

    def __init__(self, spans: list[Span]) -> None:
        self.spans = spans
        self.width = sum(s.width for s in spans)
        tanh = [i for s in spans if s.kind == TANH for i in range(s.start, s.start + s.width)]
        soft = [s for s in spans if s.kind == SOFTMAX]
        self.n_tanh = len(tanh)
        self.n_segments = len(soft)
        natural = tanh + [i for s in soft for i in range(s.start, s.start + s.width)]
        self.order = np.asarray(natural, dtype=np.int64)
        self.model_pos = np.empty_like(self.order)
        self.model_pos[self.order] = np.arange(len(self.order))
        self.seg_id = torch.tensor(
            [j for j, s in enumerate(soft) for _ in range(s.width)], dtype=torch.long
        )

    def to(self, device: torch.device) -> SpanLayout:
        """Move the index tensors to ``device`` (in place; a no-op when already there)."""
        if self.seg_id.device != device:
            self.seg_id = self.seg_id.to(device)
        return self

    def segment_max(self, v: torch.Tensor) -> torch.Tensor:
        """Per-span maximum of ``v`` (B, P) as (B, n_segments)."""
        out = v.new_full((v.shape[0], self.n_segments), float("-inf"))
        seg = self.seg_id.expand_as(v)
        return out.scatter_reduce(1, seg, v, reduce="amax", include_self=True)

    def segment_sum(self, v: torch.Tensor) -> torch.Tensor:
        out = v.new_zeros((v.shape[0], self.n_segments))
        return out.scatter_add(1, self.seg_id.expand_as(v), v)

    def log_softmax(self, logits: torch.Tensor) -> torch.Tensor:
        """Segmented log-softmax of the softmax block ``(B, P)``."""
        self.to(logits.device)
        shifted = logits - self.segment_max(logits).detach()[:, self.seg_id]
        lse = self.segment_sum(shifted.exp()).log()
        return shifted - lse[:, self.seg_id]

    def hard_one_hot(self, v: torch.Tensor) -> torch.Tensor:
        """One-hot of the maximum of each span of ``v`` (B, P); ``v`` holds Gumbel noise, so
        ties have probability zero."""
        return (v >= self.segment_max(v)[:, self.seg_id]).to(v.dtype)

    def activate(self, raw: torch.Tensor, tau: float = 0.2, hard: bool = False) -> torch.Tensor:
        """tanh on alphas; Gumbel-softmax (temperature ``tau``) on every one-hot span.

        ``raw`` and the result are in model order.
        """
        self.to(raw.device)
        t = self.n_tanh
        alphas = torch.tanh(raw[:, :t])
        if not self.n_segments:
            return alphas
        logits = raw[:, t:]
        u = torch.rand_like(logits).clamp_(1e-10, 1.0 - 1e-7)
        y = (logits - torch.log(-torch.log(u))) / tau
        one_hot = self.hard_one_hot(y) if hard else self.log_softmax(y).exp()
        return torch.cat([alphas, one_hot], 1)
