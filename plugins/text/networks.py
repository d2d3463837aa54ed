"""The text networks: an LSTM generator of Gumbel-softmax relaxed one-hots and a RelGAN CNN critic.

Shapes: ``B`` batch, ``L`` sequence length (token positions, the EOS included), ``V`` vocabulary.
The generator's only sequential part is the loop over the ``L`` time steps; every step is
batched.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "DiscriminatorConfig",
    "GeneratorConfig",
    "TextDiscriminator",
    "TextGenerator",
    "gumbel_noise",
]

Tensor = torch.Tensor


@dataclass(frozen=True)
class GeneratorConfig:
    vocab_size: int
    max_length: int
    latent_dim: int
    cond_dim: int
    bos_id: int
    eos_id: int | None  # None: fixed-length sequences, no end-of-sequence masking
    pad_id: int
    embed_dim: int = 64
    hidden_dim: int = 128


@dataclass(frozen=True)
class DiscriminatorConfig:
    vocab_size: int
    max_length: int
    cond_dim: int
    pac: int = 1
    embed_dim: int = 32
    num_rep: int = 8
    kernel_sizes: tuple[int, ...] = (2, 3, 4, 5)
    num_filters: int = 64
    dropout: float = 0.25


def gumbel_noise(shape: torch.Size | tuple[int, ...], device: torch.device) -> Tensor:
    """Standard Gumbel noise ``-log(-log U)``, from the current torch random state."""
    u = torch.rand(shape, device=device)
    return -torch.log(-torch.log(u + 1e-10) + 1e-10)


class TextGenerator(nn.Module):
    """LSTM generator: ``z`` (and a condition) set the initial state; tokens are fed back.

    ``forward(z, cond)`` returns Gumbel-softmax relaxed one-hots ``softmax(beta * (o + g))``
    (RelGAN), shape (B, L, V), where ``beta`` is the buffer ``inv_temperature``; the token fed
    to the next step is the hard sample ``argmax(o + g)`` (as in RelGAN), so gradients reach the
    weights through each step's relaxed output. After the EOS token every output is the PAD
    one-hot, as in the real data.
    """

    inv_temperature: Tensor

    def __init__(self, cfg: GeneratorConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.embed_dim)
        self.init_state = nn.Linear(cfg.latent_dim + cfg.cond_dim, 2 * cfg.hidden_dim)
        self.lstm = nn.LSTM(cfg.embed_dim + cfg.cond_dim, cfg.hidden_dim, batch_first=True)
        self.out = nn.Linear(cfg.hidden_dim, cfg.vocab_size)
        self.register_buffer("inv_temperature", torch.tensor(1.0))

    # -- pieces ------------------------------------------------------------------------------
    def _state(self, z: Tensor, cond: Tensor | None) -> tuple[Tensor, Tensor]:
        zc = z if cond is None else torch.cat([z, cond], 1)
        h, c = torch.tanh(self.init_state(zc)).chunk(2, dim=1)
        return h.unsqueeze(0).contiguous(), c.unsqueeze(0).contiguous()

    def _inputs(self, tokens: Tensor, cond: Tensor | None) -> Tensor:
        emb = self.embed(tokens)  # (B, T, E)
        if cond is None:
            return emb
        return torch.cat([emb, cond.unsqueeze(1).expand(-1, emb.shape[1], -1)], 2)

    # -- training: relaxed samples -----------------------------------------------------------
    def forward(self, z: Tensor, cond: Tensor | None = None) -> Tensor:
        cfg = self.cfg
        b = z.shape[0]
        state = self._state(z, cond)
        token = torch.full((b,), cfg.bos_id, dtype=torch.long, device=z.device)
        done = torch.zeros(b, dtype=torch.bool, device=z.device)
        pad = F.one_hot(torch.tensor(cfg.pad_id, device=z.device), cfg.vocab_size).to(z.dtype)
        beta = self.inv_temperature
        outputs = []
        for _ in range(cfg.max_length):
            h, state = self.lstm(self._inputs(token.unsqueeze(1), cond), state)
            logits = self.out(h.squeeze(1))
            perturbed = logits + gumbel_noise(logits.shape, z.device)
            soft = torch.softmax(beta * perturbed, dim=-1)
            token = perturbed.detach().argmax(-1)
            if cfg.eos_id is not None:
                soft = torch.where(done.unsqueeze(1), pad, soft)
                token = token.masked_fill(done, cfg.pad_id)
                done = done | (token == cfg.eos_id)
            outputs.append(soft)
        return torch.stack(outputs, 1)

    # -- inference: hard samples -------------------------------------------------------------
    @torch.no_grad()
    def sample_ids(self, z: Tensor, cond: Tensor | None = None, temperature: float = 1.0) -> Tensor:
        """Token ids (B, L) drawn from ``softmax(logits / temperature)`` (Gumbel-max)."""
        cfg = self.cfg
        b = z.shape[0]
        state = self._state(z, cond)
        token = torch.full((b,), cfg.bos_id, dtype=torch.long, device=z.device)
        done = torch.zeros(b, dtype=torch.bool, device=z.device)
        ids = []
        for _ in range(cfg.max_length):
            h, state = self.lstm(self._inputs(token.unsqueeze(1), cond), state)
            logits = self.out(h.squeeze(1))
            token = (logits / temperature + gumbel_noise(logits.shape, z.device)).argmax(-1)
            if cfg.eos_id is not None:
                token = token.masked_fill(done, cfg.pad_id)
                done = done | (token == cfg.eos_id)
            ids.append(token)
        return torch.stack(ids, 1)

    # -- MLE: teacher forcing ----------------------------------------------------------------
    def teacher_logits(self, ids: Tensor, z: Tensor, cond: Tensor | None = None) -> Tensor:
        """Next-token logits (B, L, V) for the target ids (B, L), fed the true previous tokens."""
        bos = torch.full((ids.shape[0], 1), self.cfg.bos_id, dtype=torch.long, device=ids.device)
        inputs = torch.cat([bos, ids[:, :-1]], 1)
        h, _ = self.lstm(self._inputs(inputs, cond), self._state(z, cond))
        return self.out(h)

    def token_mask(self, ids: Tensor) -> Tensor:
        """Positions that count in the likelihood: up to and including the first EOS."""
        if self.cfg.eos_id is None:
            return torch.ones_like(ids, dtype=torch.bool)
        is_eos = ids == self.cfg.eos_id
        before = torch.cumsum(is_eos.long(), 1) - is_eos.long()  # EOS seen strictly before
        return before == 0

    def nll(
        self, ids: Tensor, z: Tensor, cond: Tensor | None = None, temperature: float = 1.0
    ) -> Tensor:
        """Negative log-likelihood of each sequence (B,), summed over its counted positions.

        ``temperature`` scores under ``softmax(logits / temperature)``, the distribution that
        ``sample_ids(..., temperature)`` draws from.
        """
        logits = self.teacher_logits(ids, z, cond) / temperature
        ce = F.cross_entropy(logits.transpose(1, 2), ids, reduction="none")  # (B, L)
        return (ce * self.token_mask(ids)).sum(1)


class TextDiscriminator(nn.Module):
    """RelGAN's CNN critic over (relaxed) one-hots with ``num_rep`` embedded representations.

    The one-hots (B, L, V) are embedded by one matrix (V, R*E) into R representations of width E;
    each goes through shared 1-D convolutions of several widths, max-pooling over time and a
    highway layer; a linear head scores each representation, and the score is their mean.
    PacGAN: packed input (B/pac, pac*L, V) is unpacked, and the ``pac`` feature vectors are
    concatenated before the head. A condition vector joins the features before the head.
    """

    def __init__(self, cfg: DiscriminatorConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Linear(cfg.vocab_size, cfg.num_rep * cfg.embed_dim, bias=False)
        self.convs = nn.ModuleList(
            nn.Conv1d(cfg.embed_dim, cfg.num_filters, k, padding=k // 2) for k in cfg.kernel_sizes
        )
        feat = cfg.num_filters * len(cfg.kernel_sizes)
        self.highway = nn.Linear(feat, 2 * feat)
        self.dropout = nn.Dropout(cfg.dropout)
        self.head = nn.Sequential(
            nn.Linear(cfg.pac * (feat + cfg.cond_dim), 100), nn.LeakyReLU(0.2), nn.Linear(100, 1)
        )

    def features(self, x: Tensor) -> Tensor:
        """Per-sample, per-representation features (B, R, F) of one-hots (B, L, V)."""
        cfg = self.cfg
        b, length, _ = x.shape
        e = self.embed(x).reshape(b, length, cfg.num_rep, cfg.embed_dim)
        e = e.permute(0, 2, 3, 1).reshape(b * cfg.num_rep, cfg.embed_dim, length)
        pooled = [F.relu(conv(e)).max(-1).values for conv in self.convs]
        f = torch.cat(pooled, 1)
        t, g = self.highway(f).chunk(2, 1)
        gate = torch.sigmoid(g)
        f = gate * F.relu(t) + (1 - gate) * f
        return self.dropout(f).reshape(b, cfg.num_rep, -1)

    def forward(self, x: Tensor, cond: Tensor | None = None) -> Tensor:
        cfg = self.cfg
        bp = x.shape[0]
        f = self.features(x.reshape(bp * cfg.pac, cfg.max_length, cfg.vocab_size))
        if cond is not None:
            c = cond.reshape(bp * cfg.pac, cfg.cond_dim).unsqueeze(1).expand(-1, cfg.num_rep, -1)
            f = torch.cat([f, c], 2)
        f = f.reshape(bp, cfg.pac, cfg.num_rep, -1).transpose(1, 2).reshape(bp, cfg.num_rep, -1)
        return self.head(f).squeeze(-1).mean(1)
