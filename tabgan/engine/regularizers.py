"""Regularizers of the adversarial game, as free functions.

All operate on discriminator inputs that are already packed (see :func:`pack`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

__all__ = [
    "gradient_penalty",
    "instance_noise_std",
    "mmd_rbf",
    "pack",
    "r1_penalty",
]

Tensor = torch.Tensor
Critic = Callable[[Tensor, Tensor | None], Tensor]


def pack(x: Tensor, pac: int) -> Tensor:
    """PacGAN packing (Lin et al. 2018): ``pac`` consecutive samples become one.

    ``(B, F, ...)`` becomes ``(B // pac, pac * F, ...)``: the samples are concatenated along the
    first feature axis, so a flat row of width F becomes a row of width ``pac * F`` and a
    one-channel waveform becomes a ``pac``-channel one.
    """
    if pac == 1:
        return x
    if x.shape[0] % pac:
        raise ValueError(f"Batch of {x.shape[0]} cannot be packed in groups of {pac}.")
    return x.reshape(x.shape[0] // pac, pac * x.shape[1], *x.shape[2:])


def _grad_norm_sq(scores: Tensor, inputs: Sequence[Tensor]) -> Tensor:
    grads = torch.autograd.grad(scores.sum(), list(inputs), create_graph=True)
    return sum(g.flatten(1).pow(2).sum(1) for g in grads)  # type: ignore[return-value]


def gradient_penalty(
    critic: Critic, real: Tensor, fake: Tensor, cond_real: Tensor | None, cond_fake: Tensor | None
) -> Tensor:
    """WGAN-GP (Gulrajani et al. 2017): (||grad D(x_hat)|| - 1)^2 on random interpolates.

    Inputs are packed; a conditional vector, when present, is interpolated with the data.
    """
    shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    alpha = torch.rand(shape, device=real.device, dtype=real.dtype)
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    inputs = [x_hat]
    c_hat = None
    if cond_real is not None and cond_fake is not None:
        a = alpha.reshape(-1, *([1] * (cond_real.dim() - 1)))
        c_hat = (a * cond_real + (1 - a) * cond_fake).requires_grad_(True)
        inputs.append(c_hat)
    norm = (_grad_norm_sq(critic(x_hat, c_hat), inputs) + 1e-12).sqrt()
    return (norm - 1.0).pow(2).mean()


def r1_penalty(critic: Critic, real: Tensor, cond: Tensor | None) -> Tensor:
    """R1 (Mescheder et al. 2018): 0.5 * ||grad D(x)||^2 on real data."""
    x = real.detach().requires_grad_(True)
    return 0.5 * _grad_norm_sq(critic(x, cond), [x]).mean()


def mmd_rbf(
    real: Tensor, fake: Tensor, scales: Sequence[float] = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0)
) -> Tensor:
    """Squared maximum mean discrepancy with a sum of Gaussian kernels.

    Bandwidths are ``scales`` times the median pairwise distance of the real batch (detached),
    so the term needs no tuning across data scales. Biased (V-statistic) estimate, >= 0.
    """
    x = real.flatten(1)
    y = fake.flatten(1)
    xy = torch.cat([x, y])
    d2 = torch.cdist(xy, xy).pow(2)
    with torch.no_grad():
        n = len(x)
        off = d2[:n, :n][~torch.eye(n, dtype=torch.bool, device=x.device)]
        median = off.median().clamp_min(1e-8)
    kernel = torch.stack([torch.exp(-d2 / (2 * s * s * median)) for s in scales]).sum(0)
    n = len(x)
    k_xx, k_yy, k_xy = kernel[:n, :n], kernel[n:, n:], kernel[:n, n:]
    return k_xx.mean() + k_yy.mean() - 2 * k_xy.mean()


def instance_noise_std(initial: float, step: int, total_steps: int) -> float:
    """Instance noise (Sønderby et al. 2017) annealed linearly from ``initial`` to 0."""
    if initial <= 0 or total_steps <= 0:
        return 0.0
    return initial * max(0.0, 1.0 - step / total_steps)
