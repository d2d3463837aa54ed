"""Adversarial losses as free functions of discriminator outputs.

Each loss is a pair ``(discriminator_loss, generator_loss)``; both take the discriminator's
outputs on real and on generated data (``d_real``, ``d_fake``: raw scores/logits). The generator
losses ignore ``d_real`` except the relativistic one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

__all__ = [
    "LOSSES",
    "Loss",
    "get_loss",
    "hinge_d",
    "hinge_g",
    "least_squares_d",
    "least_squares_g",
    "minimax_d",
    "minimax_g",
    "rsgan_d",
    "rsgan_g",
    "wgan_d",
    "wgan_g",
]

Tensor = torch.Tensor


def minimax_d(d_real: Tensor, d_fake: Tensor, smoothing: float = 0.0) -> Tensor:
    """-log D(x) - log(1 - D(G(z))), with one-sided label smoothing of the real target."""
    real = F.binary_cross_entropy_with_logits(d_real, torch.full_like(d_real, 1.0 - smoothing))
    fake = F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
    return real + fake


def minimax_g(d_real: Tensor | None, d_fake: Tensor) -> Tensor:
    """Non-saturating generator loss: -log D(G(z))."""
    return F.softplus(-d_fake).mean()


def wgan_d(d_real: Tensor, d_fake: Tensor, smoothing: float = 0.0) -> Tensor:
    """Wasserstein critic loss: E[D(G(z))] - E[D(x)]."""
    return d_fake.mean() - d_real.mean()


def wgan_g(d_real: Tensor | None, d_fake: Tensor) -> Tensor:
    return -d_fake.mean()


def hinge_d(d_real: Tensor, d_fake: Tensor, smoothing: float = 0.0) -> Tensor:
    return F.relu(1.0 - d_real).mean() + F.relu(1.0 + d_fake).mean()


def hinge_g(d_real: Tensor | None, d_fake: Tensor) -> Tensor:
    return -d_fake.mean()


def least_squares_d(d_real: Tensor, d_fake: Tensor, smoothing: float = 0.0) -> Tensor:
    """LSGAN (Mao et al. 2017) with targets 1 (real, smoothed) and 0 (fake)."""
    return 0.5 * ((d_real - (1.0 - smoothing)).pow(2).mean() + d_fake.pow(2).mean())


def least_squares_g(d_real: Tensor | None, d_fake: Tensor) -> Tensor:
    return 0.5 * (d_fake - 1.0).pow(2).mean()


def rsgan_d(d_real: Tensor, d_fake: Tensor, smoothing: float = 0.0) -> Tensor:
    """Relativistic standard GAN (Jolicoeur-Martineau 2019): real should look more real."""
    diff = d_real - d_fake
    return F.binary_cross_entropy_with_logits(diff, torch.full_like(diff, 1.0 - smoothing))


def rsgan_g(d_real: Tensor | None, d_fake: Tensor) -> Tensor:
    if d_real is None:
        raise ValueError("The relativistic generator loss needs the scores of real data.")
    return F.softplus(-(d_fake - d_real)).mean()


@dataclass(frozen=True)
class Loss:
    """A named adversarial loss and the optimizer settings that suit it."""

    name: str
    discriminator: Callable[..., Tensor]
    generator: Callable[[Tensor | None, Tensor], Tensor]
    generator_needs_real: bool = False
    supports_smoothing: bool = True
    needs_gradient_penalty: bool = False
    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss("minimax", minimax_d, minimax_g),
        Loss(
            "wgan",
            wgan_d,
            wgan_g,
            supports_smoothing=False,
            needs_gradient_penalty=True,
            lr=1e-4,
            betas=(0.5, 0.9),
        ),
        Loss("hinge", hinge_d, hinge_g, supports_smoothing=False),
        Loss("lsgan", least_squares_d, least_squares_g),
        Loss("rsgan", rsgan_d, rsgan_g, generator_needs_real=True),
    )
}


def get_loss(name: str) -> Loss:
    if not isinstance(name, str):
        raise TypeError(f"`loss` must be a string, got {type(name).__name__}.")
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(f"Unknown loss {name!r}; choose one of {', '.join(LOSSES)}.") from None
