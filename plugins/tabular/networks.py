"""CTGAN-style networks (Xu et al. 2019): a residual generator and a PacGAN critic."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["Discriminator", "Generator", "NetConfig"]


@dataclass(frozen=True)
class NetConfig:
    """Network sizes. ``data_dim`` and ``cond_dim`` come from the fitted adapter."""

    data_dim: int
    cond_dim: int
    generator_dims: tuple[int, ...] = (256, 256)
    discriminator_dims: tuple[int, ...] = (256, 256)
    dropout: float = 0.5
    leaky: float = 0.2


class Residual(nn.Module):
    """FC -> BatchNorm -> ReLU, then concatenated with the block's input."""

    def __init__(self, in_dim: int, out_dim: int) -> None:
        super().__init__()
        self.fc = nn.Linear(in_dim, out_dim)
        self.bn = nn.BatchNorm1d(out_dim)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.relu(self.bn(self.fc(x))), x], dim=1)


class Generator(nn.Module):
    """``forward(z, cond) -> raw`` (pre-activation) of width ``data_dim``.

    :meth:`infer` computes the same function in eval mode for sampling, faster: BatchNorm
    folded into the linear layers, the concatenations replaced by one matrix product per input
    block, and a one-hot conditional vector applied as a row lookup instead of a product.
    """

    def __init__(self, latent_dim: int, cfg: NetConfig) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.cond_dim = cfg.cond_dim
        self.dims = tuple(cfg.generator_dims)
        dim = latent_dim + cfg.cond_dim
        blocks: list[nn.Module] = []
        for h in cfg.generator_dims:
            blocks.append(Residual(dim, h))
            dim += h
        self.body = nn.Sequential(*blocks)
        self.head = nn.Linear(dim, cfg.data_dim)

    def forward(self, z: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        """``head(body([z | cond]))``, computed without materializing the concatenations.

        Every layer's input is ``[h_{i-1}, ..., h_0, x]`` with ``x = [z | cond]``. ``x``'s
        products for all layers are one matrix product, and the backward pass computes input
        gradients for the hidden blocks only (plus ``x`` when it requires them; the
        concatenated form computes them for ``x``'s columns of every layer, then drops them).
        """
        x = z if cond is None else torch.cat([z, cond], dim=1)
        d = x.shape[1]
        blocks = self._blocks()
        layers = [blk.fc for blk in blocks] + [self.head]
        base = F.linear(
            x,
            torch.cat([fc.weight[:, -d:] for fc in layers]),
            torch.cat([fc.bias for fc in layers]),
        ).split([fc.out_features for fc in layers], dim=1)
        hs: list[torch.Tensor] = []  # newest first, the order of the concatenations
        for blk, pre in zip(blocks, base, strict=False):
            if hs:
                h = hs[0] if len(hs) == 1 else torch.cat(hs, dim=1)
                pre = torch.addmm(pre, h, blk.fc.weight[:, :-d].t())
            hs.insert(0, blk.relu(blk.bn(pre)))
        if not hs:
            return base[-1]
        h = hs[0] if len(hs) == 1 else torch.cat(hs, dim=1)
        return torch.addmm(base[-1], h, self.head.weight[:, :-d].t())

    # -- fast inference -----------------------------------------------------------------------
    def _state_key(self) -> tuple[tuple[int, int, int], ...]:
        """Identity, storage and in-place version of every parameter and buffer."""
        owners = self.__dict__.get("_owners")
        if owners is None:  # (module, attribute) of each tensor, found once
            owners = self.__dict__["_owners"] = [
                (mod, name) for mod in self.modules() for name in (*mod._parameters, *mod._buffers)
            ]
        out = []
        for mod, name in owners:
            t = getattr(mod, name)
            out.append((0, 0, 0) if t is None else (id(t), t.data_ptr(), t._version))
        return tuple(out)

    @torch.no_grad()
    def _folded(self) -> list[_Layer]:
        """The layers with BatchNorm folded in, split by input block; cached until a parameter
        or buffer changes (``_version`` counts in-place updates)."""
        key = self._state_key()
        cache = getattr(self, "_fold_cache", None)
        if cache is not None and cache[0] == key:
            return cache[1]
        layers = []
        mods: list[tuple[nn.Linear, nn.BatchNorm1d | None]] = [
            (blk.fc, blk.bn) for blk in self._blocks()
        ]
        mods.append((self.head, None))
        for i, (fc, bn) in enumerate(mods):
            w, b = fc.weight.detach(), fc.bias.detach()
            if bn is not None:
                assert bn.running_var is not None and bn.running_mean is not None
                s = bn.weight / torch.sqrt(bn.running_var + bn.eps)
                w, b = w * s[:, None], (b - bn.running_mean) * s + bn.bias
            # input blocks in order: h_{i-1}, ..., h_0, z, cond
            sizes = [self.dims[j] for j in reversed(range(i))] + [self.latent_dim, self.cond_dim]
            blocks = list(torch.split(w, sizes, dim=1))
            w_c = blocks[-1].t().contiguous()
            layers.append(
                _Layer(
                    bias=b.contiguous(),
                    w_cond=w_c,
                    table=(w_c + b).contiguous(),
                    table_t=(w_c + b).t().contiguous(),
                    w_z=blocks[-2].t().contiguous(),
                    w_h=[blk.t().contiguous() for blk in reversed(blocks[:-2])],  # h_0 first
                )
            )
        self._fold_cache = (key, layers)
        return layers

    def can_infer(self) -> bool:
        """Whether :meth:`infer` applies: eval mode, BatchNorm on running statistics."""
        return not self.training and all(
            blk.bn.track_running_stats and blk.bn.running_var is not None for blk in self._blocks()
        )

    def _blocks(self) -> list[Residual]:
        return [blk for blk in self.body if isinstance(blk, Residual)]

    @torch.no_grad()
    def infer(
        self,
        z: torch.Tensor,
        slots: torch.Tensor | None = None,
        cond: torch.Tensor | None = None,
        transposed: bool = False,
    ) -> torch.Tensor:
        """``forward(z, one_hot(slots))``, or ``forward(z, cond)``, in eval mode, no gradient.

        ``slots`` (B,) int64: the hot position of each one-hot conditional vector (a row
        lookup); ``cond``: a dense conditional vector. Equal to :meth:`forward` up to float
        rounding (see :meth:`can_infer`). ``transposed=True`` returns the output transposed,
        ``(data_dim, B)`` contiguous (the head's product computed that way round).
        """
        hs: list[torch.Tensor] = []
        pre = z
        layers = self._folded()
        for i, layer in enumerate(layers):
            if transposed and i == len(layers) - 1:
                return self._head_t(layer, z, slots, cond, hs)
            if self.cond_dim and slots is not None:
                pre = layer.table.index_select(0, slots).addmm_(z, layer.w_z)
            elif self.cond_dim and cond is not None:
                pre = torch.addmm(layer.bias, cond, layer.w_cond).addmm_(z, layer.w_z)
            else:
                pre = torch.addmm(layer.bias, z, layer.w_z)
            for h, w in zip(hs, layer.w_h, strict=True):
                pre.addmm_(h, w)
            if i < len(self.dims):
                hs.append(pre.relu_())
        return pre

    def _head_t(
        self,
        layer: _Layer,
        z: torch.Tensor,
        slots: torch.Tensor | None,
        cond: torch.Tensor | None,
        hs: list[torch.Tensor],
    ) -> torch.Tensor:
        if self.cond_dim and slots is not None:
            out = layer.table_t.index_select(1, slots).addmm_(layer.w_z.t(), z.t())
        elif self.cond_dim and cond is not None:
            out = torch.addmm(layer.bias[:, None], layer.w_cond.t(), cond.t())
            out.addmm_(layer.w_z.t(), z.t())
        else:
            out = torch.addmm(layer.bias[:, None], layer.w_z.t(), z.t())
        for h, w in zip(hs, layer.w_h, strict=True):
            out.addmm_(w.t(), h.t())
        return out


@dataclass(frozen=True)
class _Layer:
    """One folded layer of :meth:`Generator.infer`; weights transposed to ``(in, out)``."""

    bias: torch.Tensor
    w_cond: torch.Tensor
    table: torch.Tensor  # w_cond + bias: the layer's cond-and-bias term, one row per slot
    table_t: torch.Tensor  # its transpose (out, cond_dim)
    w_z: torch.Tensor
    w_h: list[torch.Tensor]


class Discriminator(nn.Module):
    """``forward(x_packed, cond_packed) -> scores (B / pac,)``; input ``pac * (data + cond)``."""

    def __init__(self, pac: int, cfg: NetConfig) -> None:
        super().__init__()
        dim = pac * (cfg.data_dim + cfg.cond_dim)
        layers: list[nn.Module] = []
        for h in cfg.discriminator_dims:
            layers += [nn.Linear(dim, h), nn.LeakyReLU(cfg.leaky), nn.Dropout(cfg.dropout)]
            dim = h
        layers.append(nn.Linear(dim, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        if cond is not None:
            x = torch.cat([x, cond], dim=1)
        return self.net(x).squeeze(-1)
