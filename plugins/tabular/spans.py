"""The encoded row as typed spans, and their activation in a few dense tensor ops."""

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
    """Where every span of a row lies in *model order*, and the activations over them.

    The networks work in model order: every tanh position first, then the softmax spans one
    after the other (``group_by_width=True``: sorted by width, ties in column order), so a run
    of ``k`` adjacent spans of one width ``w`` is one block. The segmented softmax of a batch
    runs on the *transposed* softmax block: a group is then a contiguous ``(k, w, B)`` tensor
    whose reductions over ``w`` are vectorized along the batch, one dense op per group -- no
    scatter, no gather, no per-span loop.

    ``order[m]`` is the natural (column-by-column) position of model position ``m`` and
    ``model_pos`` the inverse; ``segment_of[s]`` is the model-order segment (softmax span)
    index of the natural span starting at ``s``. ``group_by_width=False`` keeps the softmax
    spans in column order (the layout of models saved before the grouping; same results,
    more ops).
    """

    def __init__(self, spans: list[Span], group_by_width: bool = True) -> None:
        self.spans = spans
        self.group_by_width = group_by_width
        self.width = sum(s.width for s in spans)
        tanh = [i for s in spans if s.kind == TANH for i in range(s.start, s.start + s.width)]
        soft = [s for s in spans if s.kind == SOFTMAX]
        if group_by_width:
            soft = sorted(soft, key=lambda s: s.width)  # stable: ties keep column order
        self.n_tanh = len(tanh)
        self.n_segments = len(soft)
        natural = tanh + [i for s in soft for i in range(s.start, s.start + s.width)]
        self.order = np.asarray(natural, dtype=np.int64)
        self.model_pos = np.empty_like(self.order)
        self.model_pos[self.order] = np.arange(len(self.order))
        self.segment_of = {s.start: j for j, s in enumerate(soft)}
        widths = [s.width for s in soft]
        self.seg_width = np.asarray(widths, dtype=np.int64)
        self.seg_offset = (np.cumsum(widths) - self.seg_width).astype(np.int64)
        # runs of adjacent equal-width segments: (first segment, count, width, softmax offset)
        self.groups: list[tuple[int, int, int, int]] = []
        j = 0
        while j < len(widths):
            k = j
            while k < len(widths) and widths[k] == widths[j]:
                k += 1
            self.groups.append((j, k - j, widths[j], int(self.seg_offset[j])))
            j = k
        self._sizes = [k * w for _, k, w, _ in self.groups]
        self.seg_id = torch.tensor(
            [j for j, w in enumerate(widths) for _ in range(w)], dtype=torch.long
        )
        self._offsets = torch.from_numpy(self.seg_offset)
        # column j: position within segment j; column n_segments + j: 1 on segment j
        reader = torch.zeros(self.width - self.n_tanh, 2 * self.n_segments)
        for j, (o, w) in enumerate(zip(self.seg_offset, widths, strict=True)):
            reader[o : o + w, j] = torch.arange(w, dtype=torch.float32)
            reader[o : o + w, self.n_segments + j] = 1.0
        self._reader = reader

    def to(self, device: torch.device) -> SpanLayout:
        """Move the index tensors to ``device`` (in place; a no-op when already there)."""
        if self.seg_id.device != device:
            self.seg_id = self.seg_id.to(device)
            self._offsets = self._offsets.to(device)
            self._reader = self._reader.to(device)
        return self

    # -- per-group blocks of the transposed softmax block --------------------------------------
    def _groups_t(self, v_t: torch.Tensor) -> list[torch.Tensor]:
        """The transposed softmax block ``v_t`` (P, B), contiguous, as one ``(k, w, B)`` block
        per group (``torch.split``: its gradient is one concatenation, not a zero-filled copy
        per slice)."""
        b = v_t.shape[1]
        parts = torch.split(v_t, self._sizes, 0)
        return [p.view(k, w, b) for (_, k, w, _), p in zip(self.groups, parts, strict=True)]

    @staticmethod
    def _joined_t(parts: list[torch.Tensor]) -> torch.Tensor:
        flat = [p.reshape(-1, p.shape[-1]) for p in parts]
        return flat[0] if len(flat) == 1 else torch.cat(flat, 0)

    def softmax_t(self, v_t: torch.Tensor) -> torch.Tensor:
        """Segmented softmax of the transposed softmax block (P, B), transposed."""
        return self._joined_t([g.softmax(1) for g in self._groups_t(v_t.contiguous())])

    def softmax(self, logits: torch.Tensor) -> torch.Tensor:
        """Segmented softmax of the softmax block ``(B, P)``."""
        return self.softmax_t(logits.t()).t()

    def log_softmax(self, logits: torch.Tensor) -> torch.Tensor:
        """Segmented log-softmax of the softmax block ``(B, P)``."""
        groups = self._groups_t(logits.t().contiguous())
        return self._joined_t([g.log_softmax(1) for g in groups]).t()

    def logsumexp(self, logits: torch.Tensor) -> torch.Tensor:
        """Per-segment log-sum-exp of the softmax block, ``(B, n_segments)``."""
        out = []
        for g in self._groups_t(logits.t().contiguous()):
            m = g.detach().amax(1, keepdim=True)
            out.append((g - m).exp().sum(1).log() + m[:, 0])
        return self._joined_t(out).t()

    def codes(self, v: torch.Tensor) -> torch.Tensor:
        """Index of the maximum within each segment of the softmax block ``v`` (B, P), as
        ``(B, n_segments)`` int64 (the first one on ties, like ``numpy.argmax``).

        Exact one-hot blocks (what sampling and encoding give) are read with one matrix
        product; anything else by a per-segment argmax.
        """
        b = v.shape[0]
        if v.dtype in (torch.float32, torch.float64) and b:
            self.to(v.device)
            n = self.n_segments
            read = v @ self._reader.to(v.dtype)
            # every segment sums to 1 with exactly one nonzero in all: exactly one-hot
            if bool((read[:, n:] == 1).all()) and int(torch.count_nonzero(v)) == b * n:
                return read[:, :n].long()
        parts = [v[:, o : o + k * w].reshape(b, k, w).argmax(-1) for _, k, w, o in self.groups]
        if not parts:
            return torch.zeros(b, 0, dtype=torch.long, device=v.device)
        return parts[0] if len(parts) == 1 else torch.cat(parts, 1)

    def one_hot(
        self,
        codes: torch.Tensor,
        dtype: torch.dtype = torch.float32,
        out: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The softmax block ``(B, P)`` holding a 1 at each segment's code (written into the
        zero-filled ``out`` when given)."""
        self.to(codes.device)
        if out is None:
            p = self.width - self.n_tanh
            out = torch.zeros(codes.shape[0], p, dtype=dtype, device=codes.device)
        return out.scatter_(1, codes + self._offsets, 1.0)

    # -- activation ---------------------------------------------------------------------------
    @staticmethod
    def gumbel_like(logits: torch.Tensor) -> torch.Tensor:
        """Standard Gumbel noise ``-log(-log(u))`` shaped like ``logits``."""
        u = torch.rand_like(logits).clamp_(1e-10, 1.0 - 1e-7)
        return u.log_().neg_().log_().neg_()

    def activate(self, raw: torch.Tensor, tau: float = 0.2, hard: bool = False) -> torch.Tensor:
        """tanh on alphas; Gumbel-softmax (temperature ``tau``) on every one-hot span.

        ``raw`` and the result are in model order. ``hard=True`` gives one-hot draws from each
        span's ``softmax(raw)`` instead (the distribution of the hard Gumbel-max; no gradient),
        see :meth:`sample_t`.
        """
        if hard:
            return self.sample_t(raw.t())
        t = self.n_tanh
        if not self.n_segments:
            return torch.tanh(raw)
        alphas, logits = torch.split(raw, [t, self.width - t], 1)
        y_t = logits.t().contiguous()  # (P, B): the segment reductions run along the batch
        y_t = y_t.add_(self.gumbel_like(y_t)).div_(tau)
        return torch.cat([torch.tanh(alphas), self.softmax_t(y_t).t()], 1)

    @property
    def compact_width(self) -> int:
        """Width of a compact row: the ``n_tanh`` alphas, then each segment's slot index."""
        return self.n_tanh + self.n_segments

    def expand(self, compact: torch.Tensor) -> torch.Tensor:
        """Compact rows ``[alphas | slot indices]`` as encoded (one-hot) rows ``(B, width)``."""
        t = self.n_tanh
        out = torch.zeros(compact.shape[0], self.width, dtype=compact.dtype, device=compact.device)
        out[:, :t] = compact[:, :t]
        if self.n_segments:
            self.one_hot(compact[:, t:].long(), out=out[:, t:])
        return out

    @torch.no_grad()
    def sample_t(self, raw_t: torch.Tensor) -> torch.Tensor:
        """Hard (one-hot) samples ``(B, width)`` from the transposed raw output (width, B)."""
        return self.expand(self.draw_t(raw_t))

    @torch.no_grad()
    def draw_t(self, raw_t: torch.Tensor) -> torch.Tensor:
        """Compact hard samples ``(B, compact_width)`` -- ``tanh`` alphas, then the slot drawn
        in each span as a float -- from the transposed raw output ``raw_t`` (width, B).

        Transposed, a group of spans is a contiguous ``(k, w, B)`` block and every reduction
        over ``w`` runs along the batch. A slot is drawn by inverting the span's cumulative
        ``softmax`` (the distribution of the hard Gumbel-max): one uniform number per span,
        not one Gumbel number per slot.
        """
        raw_t = raw_t.contiguous()
        t, b = self.n_tanh, raw_t.shape[1]
        out_t = torch.empty(self.compact_width, b, dtype=raw_t.dtype, device=raw_t.device)
        torch.tanh(raw_t[:t], out=out_t[:t])
        for j, k, w, o in self.groups:
            dest = out_t[t + j : t + j + k]
            if w == 1:
                dest.zero_()
                continue
            v = raw_t[t + o : t + o + k * w].view(k, w, b)
            cum = torch.sub(v, v.amax(1, keepdim=True)).exp_().cumsum_(1)
            u = torch.rand(k, 1, b, dtype=cum.dtype, device=cum.device).mul_(cum[:, -1:])
            torch.sum(cum < u, 1, out=dest)  # slots before the draw: 0 .. w - 1
        return out_t.t().contiguous()
