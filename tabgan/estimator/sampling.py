"""Sampling from a fitted generator: chunked passes, and the guard against exact copies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from ..engine.utils import derive_seed, local_torch_rng
from .adapters import BaseAdapter
from .memorization import RowKey, concat_samples, take_samples

__all__ = ["CopyGuard", "generate"]

#: Samples per generator pass when neither the caller nor the adapter says.
MIN_SAMPLING_BATCH = 1024


def generate(
    adapter: BaseAdapter,
    generator: nn.Module,
    n: int,
    conditions: Any,
    *,
    seed: int,
    latent_dim: int,
    device: torch.device,
    batch_size: int | None,
    default_batch: int,
    sample_params: dict[str, Any],
) -> Any:
    """``n`` samples in passes of ``batch_size`` (or the adapter's, or the training batch's),
    generated under ``eval()`` and ``inference_mode`` from a private random state."""
    chunk = int(batch_size or adapter.sampling_batch_size or max(default_batch, MIN_SAMPLING_BATCH))
    was_training = generator.training
    generator.eval()
    try:
        with local_torch_rng(seed, device), torch.inference_mode():
            cond = adapter.sampling_conditions(n, conditions)
            if cond is not None:
                cond = cond.to(device)
            parts = []
            for start in range(0, n, chunk):
                m = min(chunk, n - start)
                z = torch.randn(m, latent_dim, device=device)
                c = None if cond is None else cond[start : start + m]
                parts.append(adapter.generate(generator, z, c, **sample_params).cpu())
            x = torch.cat(parts)
    finally:
        generator.train(was_training)
    return adapter.decode(x, rng=np.random.default_rng(derive_seed(seed, 4)))


def _conditions_of(conditions: Any, n: int, positions: np.ndarray) -> Any:
    """The conditions of the samples at ``positions``: per-sample conditions (a table, array
    or sequence of ``n`` entries) are subset, shared ones (a dict, a single value) kept."""
    per_sample = isinstance(conditions, (pd.DataFrame, pd.Series, np.ndarray, list, tuple))
    if per_sample and len(conditions) == n:
        return take_samples(conditions, positions)
    return conditions


class CopyGuard:
    """The rows samples must not copy, kept as hashes (in memory only, never saved).

    What counts as a copy is :mod:`tabgan.estimator.memorization`'s definition, applied to the
    adapter's ``canonical_view`` of the rows.
    """

    def __init__(self, adapter: BaseAdapter, reference: Any) -> None:
        self.adapter = adapter
        view = adapter.canonical_view(reference)
        self.key = RowKey().fit([view])
        self.hashes = np.unique(self.key.hashes(view))

    @classmethod
    def from_hashes(cls, adapter: BaseAdapter, key: RowKey, hashes: np.ndarray) -> CopyGuard:
        """A guard over rows hashed elsewhere with ``key`` (e.g. batch by batch from storage)."""
        guard = cls.__new__(cls)
        guard.adapter, guard.key, guard.hashes = adapter, key, np.unique(hashes)
        return guard

    def copied(self, samples: Any) -> np.ndarray:
        """A boolean mask of the samples that are copies of a reference row."""
        return np.isin(self.key.hashes(self.adapter.canonical_view(samples)), self.hashes)

    def replace_copies(
        self,
        out: Any,
        conditions: Any,
        draw: Callable[[int, Any, int], Any],
        seed: int,
        max_rounds: int = 20,
    ) -> Any:
        """``out`` with every copy replaced by a fresh draw (``draw(n, conditions, seed)``),
        in the same order; ``RuntimeError`` when copies keep coming back."""
        n = len(out)
        positions = np.arange(n)
        parts, part_positions = [], []
        for attempt in range(max_rounds + 1):
            copied = self.copied(out)
            parts.append(take_samples(out, np.flatnonzero(~copied)))
            part_positions.append(positions[~copied])
            if not copied.any():
                merged = concat_samples(parts)
                return take_samples(merged, np.argsort(np.concatenate(part_positions)))
            positions = positions[copied]
            if attempt == max_rounds:
                break
            out = draw(
                len(positions),
                _conditions_of(conditions, n, positions),
                derive_seed(seed, 5, attempt),
            )
        raise RuntimeError(
            f"drop_copies: {len(positions)} of {n} generated rows were still copies of training "
            f"rows after {max_rounds} redraws; the data may have too few distinct rows for this "
            "guard (e.g. only a few categorical columns)."
        )
