"""CTGAN-style networks (Xu et al. 2019): a residual generator and a PacGAN critic."""

from __future__ import annotations

from dataclasses import dataclass

import torch
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
    """``forward(z, cond) -> raw`` (pre-activation) of width ``data_dim``."""

    def __init__(self, latent_dim: int, cfg: NetConfig) -> None:
        super().__init__()
        dim = latent_dim + cfg.cond_dim
        blocks: list[nn.Module] = []
        for h in cfg.generator_dims:
            blocks.append(Residual(dim, h))
            dim += h
        self.body = nn.Sequential(*blocks)
        self.head = nn.Linear(dim, cfg.data_dim)

    def forward(self, z: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        x = z if cond is None else torch.cat([z, cond], dim=1)
        return self.head(self.body(x))


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
