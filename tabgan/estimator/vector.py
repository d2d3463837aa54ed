"""The built-in ``vector`` adapter: plain float arrays of shape (n, d), MLP networks.

The smallest real domain. Columns are standardized for training and mapped back on decode.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from ..engine.data import Encoded
from ..engine.privacy import PreprocessingBudget
from .adapters import BaseAdapter, register

__all__ = ["MLPConfig", "VectorAdapter"]


@dataclass(frozen=True)
class MLPConfig:
    in_dim: int
    out_dim: int
    hidden: tuple[int, ...]
    leaky: float = 0.2


def mlp(cfg: MLPConfig) -> nn.Sequential:
    layers: list[nn.Module] = []
    dim = cfg.in_dim
    for h in cfg.hidden:
        layers += [nn.Linear(dim, h), nn.LeakyReLU(cfg.leaky)]
        dim = h
    layers.append(nn.Linear(dim, cfg.out_dim))
    return nn.Sequential(*layers)


class _Generator(nn.Module):
    def __init__(self, cfg: MLPConfig) -> None:
        super().__init__()
        self.net = mlp(cfg)

    def forward(self, z: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z)


class _Discriminator(nn.Module):
    def __init__(self, cfg: MLPConfig) -> None:
        super().__init__()
        self.net = mlp(cfg)

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x).squeeze(-1)


@register
class VectorAdapter(BaseAdapter):
    """Plain float vectors.

    Parameters
    ----------
    hidden : tuple of int, default=(128, 128, 128)
        Hidden layer widths of both networks (LeakyReLU 0.2).
    standardize : bool, default=True
        Train on standardized columns; samples come back on the original scale.
    """

    name: ClassVar[str] = "vector"
    training_defaults: ClassVar[dict[str, Any]] = {
        "loss": "minimax",
        "epochs": 200,
        "batch_size": 256,
        "latent_dim": 16,
        "generator_lr": 1e-3,
        "discriminator_lr": 1e-3,
        "betas": (0.5, 0.999),
        "ema_decay": 0.999,
        # R1 keeps the minimax game from collapsing: 25/25 modes on the grid-25 set in every
        # run of benchmarks/mode_coverage.py, against 4-12 without it (see the README table).
        "r1": 0.1,
    }

    def __init__(self, hidden: tuple[int, ...] = (128, 128, 128), standardize: bool = True) -> None:
        self.hidden = hidden
        self.standardize = standardize

    def _check(self, data: Any) -> np.ndarray:
        if isinstance(data, torch.Tensor):
            data = data.detach().cpu().numpy()
        try:
            arr = np.asarray(data)
        except Exception as exc:
            raise TypeError(f"The vector adapter needs a 2-D float array: {exc}") from None
        if arr.dtype == object or not (
            np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_
        ):
            raise TypeError(f"The vector adapter needs a numeric array, got dtype {arr.dtype}.")
        if arr.ndim != 2:
            raise ValueError(f"The vector adapter needs a 2-D array (n, d), got shape {arr.shape}.")
        if arr.shape[0] == 0 or arr.shape[1] == 0:
            raise ValueError(f"The array is empty (shape {arr.shape}).")
        arr = arr.astype(np.float32)
        bad = ~np.isfinite(arr)
        if bad.any():
            rows, cols = np.nonzero(bad)
            raise ValueError(
                f"The array holds {int(bad.sum())} NaN or infinite values "
                f"(first at row {rows[0]}, column {cols[0]})."
            )
        if hasattr(self, "n_features_") and arr.shape[1] != self.n_features_:
            raise ValueError(
                f"The array has {arr.shape[1]} columns; the adapter was fit on {self.n_features_}."
            )
        return arr

    def _fit(self, data: Any, y: Any, rng: np.random.Generator) -> None:
        arr = self._check(data)
        self.n_features_ = arr.shape[1]
        if self.standardize:
            self.mean_ = arr.mean(0)
            self.scale_ = np.where(arr.std(0) > 0, arr.std(0), 1.0).astype(np.float32)
        else:
            self.mean_ = np.zeros(arr.shape[1], np.float32)
            self.scale_ = np.ones(arr.shape[1], np.float32)

    def _fit_private(
        self, data: Any, y: Any, rng: np.random.Generator, budget: PreprocessingBudget
    ) -> dict[str, Any]:
        """Under differential privacy nothing is learned from the rows: ``standardize=True``
        (each column's mean and scale) is refused; scale the data with public constants."""
        if self.standardize:
            raise ValueError(
                "The vector adapter's standardize=True learns each column's mean and scale "
                "from the rows, outside the privacy budget; use VectorAdapter(standardize=False) "
                "with differential_privacy (scale the data with public constants first)."
            )
        self._fit(data, y, rng)
        return budget.record(0.0, 0, 0.0, learned="nothing (standardize=False)")

    def _encode(self, data: Any, y: Any) -> Encoded:
        arr = self._check(data)
        return Encoded(torch.from_numpy((arr - self.mean_) / self.scale_))

    def _decode(self, x: torch.Tensor, rng: np.random.Generator) -> np.ndarray:
        return x.detach().cpu().numpy() * self.scale_ + self.mean_

    def canonical_view(self, data: Any) -> np.ndarray:
        """The rows as float32, the precision samples come back in (so float64 training rows
        and their float32 copies compare alike)."""
        return self._check(data)

    def build_generator(self, latent_dim: int) -> nn.Module:
        return _Generator(MLPConfig(latent_dim, self.n_features_, tuple(self.hidden)))

    def build_discriminator(self, pac: int) -> nn.Module:
        return _Discriminator(MLPConfig(self.n_features_ * pac, 1, tuple(self.hidden)))

    def _get_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        return {"n_features": self.n_features_}, {
            "mean": torch.from_numpy(np.asarray(self.mean_, np.float32)),
            "scale": torch.from_numpy(np.asarray(self.scale_, np.float32)),
        }

    def _set_state(self, config: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        self.n_features_ = int(config["n_features"])
        self.mean_ = tensors["mean"].numpy()
        self.scale_ = tensors["scale"].numpy()
        if self.mean_.shape != (self.n_features_,) or self.scale_.shape != (self.n_features_,):
            raise ValueError("the vector adapter's mean/scale do not match n_features")
