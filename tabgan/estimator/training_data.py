"""What a fit trains on: encoded samples in memory, or a stream read from storage in pieces.

In memory, the adapter encodes the data it was given into one tensor; under
``torch.distributed`` each rank keeps its own shard of the rows (every ``world_size``-th row).

A :class:`DataStream` is data too large for memory (the tabular adapter's
:class:`~tabgan.plugins.tabular.TableStream`: a Parquet/CSV file, a folder of them or a
``pyarrow.dataset.Dataset``). An adapter that can read one returns it from
:meth:`~tabgan.estimator.adapters.BaseAdapter.open_stream`; the stream then fits the adapter
in one pass of bounded memory and makes the training sampler, which reads this rank's part of
the data in a shuffled order through a bounded buffer.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..engine.data import Encoded, TrainingSampler
from ..engine.distributed import DistributedContext, shard_indices
from .adapters import BaseAdapter

__all__ = ["DataStream", "TrainingData", "adapter_digest", "training_data"]


class DataStream(ABC):
    """Training data that is read in pieces and never held whole.

    Peak memory is bounded by the stream's own settings, not by its number of rows.
    """

    @property
    @abstractmethod
    def n_rows(self) -> int:
        """Training samples in all (the stream knows it once :meth:`fit_adapter` has run, or
        from its files' metadata)."""

    @abstractmethod
    def fit_adapter(
        self, adapter: BaseAdapter, *, rng: np.random.Generator, **fit_params: Any
    ) -> None:
        """Fit ``adapter`` on the stream (one pass; ``fit_params`` as for ``adapter.fit``)."""

    @abstractmethod
    def make_sampler(
        self, adapter: BaseAdapter, *, device: torch.device, rank: int, world_size: int, seed: int
    ) -> TrainingSampler:
        """The training sampler over the part of the stream that rank ``rank`` of
        ``world_size`` reads (disjoint parts), its reading order drawn from ``seed``."""

    @abstractmethod
    def copy_guard_hashes(self, adapter: BaseAdapter) -> tuple[Any, np.ndarray]:
        """``(row key, distinct row hashes)`` of every row, for the memorization guard
        (:meth:`~tabgan.GANSynthesizer.set_copy_reference`): 8 bytes per distinct row."""


@dataclass
class TrainingData:
    """The rows a fit trains on: ``encoded`` (this rank's, on the device) or ``stream``."""

    n_rows: int
    encoded: Encoded | None = None
    stream: DataStream | None = None

    def sampler(
        self,
        adapter: BaseAdapter,
        device: torch.device,
        ctx: DistributedContext | None,
        seed: int,
    ) -> TrainingSampler:
        if self.stream is None:
            assert self.encoded is not None
            return adapter.make_sampler(self.encoded)
        rank, world = (0, 1) if ctx is None else (ctx.rank, ctx.world_size)
        return self.stream.make_sampler(
            adapter, device=device, rank=rank, world_size=world, seed=seed
        )


def training_data(
    adapter: BaseAdapter,
    X: Any,
    y: Any,
    stream: DataStream | None,
    device: torch.device,
    ctx: DistributedContext | None,
) -> TrainingData:
    """The fitted ``adapter``'s training rows: ``stream`` as it is, else ``X`` encoded (this
    rank's shard of it under torch.distributed) and moved to ``device``."""
    if stream is not None:
        if y is not None:
            raise ValueError("Labels (`y`) cannot be streamed; keep them as a column.")
        if stream.n_rows == 0:
            raise ValueError("No training samples: the data is empty.")
        return TrainingData(stream.n_rows, stream=stream)
    encoded = adapter.encode(X, y)
    n = len(encoded)
    if n == 0:
        raise ValueError("No training samples: the data is empty.")
    if ctx is not None:
        if n < ctx.world_size:
            raise ValueError(f"{n} training samples cannot be shared by {ctx.world_size} ranks.")
        rows = shard_indices(n, ctx.rank, ctx.world_size)
        labels = None if encoded.labels is None else encoded.labels[rows]
        encoded = Encoded(encoded.data[rows], labels)
    return TrainingData(n, encoded=encoded.to(device))


def adapter_digest(adapter: BaseAdapter) -> str:
    """A text that differs when two fitted adapters would encode differently (their state)."""
    config, tensors = adapter._get_state()
    h = hashlib.sha256(json.dumps(config, sort_keys=True, default=repr).encode())
    for key in sorted(tensors):
        h.update(key.encode())
        h.update(tensors[key].detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()
