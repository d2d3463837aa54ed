"""What the training loop draws its batches from: the sampler protocol."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import torch

__all__ = ["TrainingSampler"]


@runtime_checkable
class TrainingSampler(Protocol):
    """Draws training batches on the training device.

    ``sample_real`` returns real encoded rows and their conditional vectors (or ``None``);
    ``sample_condition`` returns conditional vectors for the generator plus whatever
    ``condition_loss`` needs to score the generator's output against them.
    """

    def sample_real(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor | None]: ...

    def sample_condition(self, batch_size: int) -> tuple[torch.Tensor | None, Any]: ...

    def condition_loss(self, raw: torch.Tensor, info: Any) -> torch.Tensor | None: ...
