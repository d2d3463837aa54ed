"""Devices and randomness."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

__all__ = ["local_torch_rng", "resolve_device", "seed_from_random_state"]


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"`` picks CUDA, then MPS, then CPU; other values are checked for availability."""
    if isinstance(device, torch.device):
        device = str(device)
    if not isinstance(device, str):
        raise TypeError(f"`device` must be a string such as 'auto' or 'cpu', got {device!r}.")
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except RuntimeError as exc:
        raise ValueError(f"Unknown device {device!r}: {exc}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was asked for, but CUDA is not available here.")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device={device!r} was asked for, but MPS is not available here.")
    return dev


def seed_from_random_state(random_state: Any) -> int:
    """A 63-bit seed from ``random_state`` (None, int, numpy Generator or RandomState).

    ``None`` draws fresh OS entropy; it never reads or advances numpy's global state.
    """
    if random_state is None:
        return int(np.random.default_rng().integers(2**63 - 1))
    if isinstance(random_state, (bool, np.bool_)):
        raise TypeError("`random_state` must be None, an int or a numpy random generator.")
    if isinstance(random_state, (int, np.integer)):
        if random_state < 0:
            raise ValueError(f"`random_state` must be non-negative, got {random_state}.")
        return int(np.random.SeedSequence(int(random_state)).generate_state(1, np.uint64)[0] >> 1)
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**63 - 1))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31 - 1))
    raise TypeError(
        "`random_state` must be None, an int or a numpy random generator, "
        f"got {type(random_state).__name__}."
    )


def derive_seed(seed: int, *keys: int) -> int:
    """A child seed of ``seed`` for a named purpose (e.g. the k-th call of ``sample``)."""
    return int(np.random.SeedSequence([seed, *keys]).generate_state(1, np.uint64)[0] >> 1)


@contextlib.contextmanager
def local_torch_rng(
    seed: int | None, device: torch.device, state: dict[str, torch.Tensor] | None = None
) -> Iterator[None]:
    """Run a block on a private copy of torch's random state.

    The caller's global torch state is saved on entry and restored on exit
    (``torch.random.fork_rng``), so layers that draw from torch's default generator (dropout,
    ``torch.rand``) are reproducible without touching the user's random state. ``state``
    (from :func:`get_torch_rng_state`) resumes an earlier run instead of seeding.
    """
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        if state is not None:
            set_torch_rng_state(state, device)
        elif seed is not None:
            torch.random.default_generator.manual_seed(seed)
            if device.type == "cuda":
                torch.cuda.default_generators[device.index or 0].manual_seed(seed)
            elif device.type == "mps":
                torch.mps.manual_seed(seed)
        yield


def get_torch_rng_state(device: torch.device) -> dict[str, torch.Tensor]:
    state = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def set_torch_rng_state(state: dict[str, torch.Tensor], device: torch.device) -> None:
    torch.set_rng_state(state["cpu"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)
