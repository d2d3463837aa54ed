"""What the training loop draws its batches from: encoded samples and the sampler contract.

Domain-free: an :class:`Encoded` record is a tensor of samples and, optionally, an integer label
per sample; :class:`DataSampler` draws batches from it, labels becoming one-hot conditional
vectors. Adapters with richer conditions (the tabular conditional vector) write their own
:class:`TrainingSampler`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

__all__ = ["DataSampler", "Encoded", "TrainingSampler"]


# -- what encode returns ----------------------------------------------------------------------
@dataclass(frozen=True)
class Encoded:
    """Training samples as the engine sees them.

    Parameters
    ----------
    data : torch.Tensor
        ``(n, ...)``, in the dtype the adapter chose (float32 features, int64 token ids, ...);
        the engine moves it to the training device and never casts it.
    labels : torch.Tensor, optional
        ``(n,)`` int64 codes into the adapter's ``label_names_``: the label of each sample, which
        the shared :class:`DataSampler` turns into the conditional vector.
    """

    data: torch.Tensor
    labels: torch.Tensor | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.data, torch.Tensor):
            raise TypeError(f"Encoded.data must be a torch.Tensor, got {type(self.data).__name__}.")
        if self.data.ndim == 0:
            raise ValueError("Encoded.data must have a sample dimension, got a 0-d tensor.")
        if self.labels is not None:
            if not isinstance(self.labels, torch.Tensor) or self.labels.dtype != torch.int64:
                raise TypeError("Encoded.labels must be an int64 tensor of label codes.")
            if self.labels.shape != (len(self.data),):
                raise ValueError(
                    f"Encoded.labels has shape {tuple(self.labels.shape)}; expected "
                    f"({len(self.data)},), one code per sample."
                )

    def __len__(self) -> int:
        return len(self.data)

    def to(self, device: torch.device | str) -> Encoded:
        labels = None if self.labels is None else self.labels.to(device)
        return Encoded(self.data.to(device), labels)


# -- what the trainer draws batches from ------------------------------------------------------
class TrainingSampler(ABC):
    """Draws training batches on the training device.

    ``sample_real`` returns real samples (as the critic sees them) and their conditional vectors
    (or ``None``); ``sample_fake_conditions`` returns conditional vectors for the generator plus
    whatever ``condition_loss`` needs to score the generator's output against them.
    """

    @abstractmethod
    def sample_real(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor | None]: ...

    def sample_fake_conditions(self, batch_size: int) -> tuple[torch.Tensor | None, Any]:
        return None, None

    def condition_loss(self, raw: torch.Tensor, info: Any) -> torch.Tensor | None:
        return None

    def close(self) -> None:
        """Release what the sampler holds open (a reader thread, files) when training ends;
        by default nothing."""
        return None

    def real_rows(self, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The training samples at the indices ``rows`` and their conditional vectors, as
        :meth:`sample_real` returns them; each sample's conditional vector may depend on that
        sample (and fresh randomness) only.

        Differential privacy (:mod:`tabgan.engine.dp_sgd`) draws the rows itself, by Poisson
        sampling; a sampler that cannot give chosen rows cannot train privately. Under DP,
        :meth:`sample_fake_conditions` must also use no statistic of the data that was not
        computed with DP (or given as public).
        """
        raise NotImplementedError(
            f"{type(self).__name__} cannot draw given rows (real_rows), which differential "
            "privacy needs."
        )


class DataSampler(TrainingSampler):
    """The shared sampler: samples drawn uniformly with replacement, labels as conditions.

    With labels, a real sample's conditional vector is the one-hot of its label, and the
    generator's labels are those of uniformly drawn training samples (so by training
    frequency). ``prepare`` maps a batch of ``Encoded.data`` to what the critic sees (e.g.
    token ids to one-hots); by default the batch is used as it is.
    """

    def __init__(
        self,
        encoded: Encoded,
        n_labels: int = 0,
        prepare: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        if n_labels and encoded.labels is None:
            raise ValueError(f"n_labels={n_labels} but the encoded samples carry no labels.")
        self.data = encoded.data
        self.labels = encoded.labels if n_labels else None
        self.n_labels = n_labels
        self.prepare = prepare
        self._eye = torch.eye(n_labels, device=encoded.data.device) if n_labels else None

    def _rows(self, batch_size: int) -> torch.Tensor:
        return torch.randint(len(self.data), (batch_size,), device=self.data.device)

    def sample_real(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        idx = self._rows(batch_size)
        x = self.data[idx]
        if self.prepare is not None:
            x = self.prepare(x)
        if self.labels is None or self._eye is None:
            return x, None
        return x, self._eye[self.labels[idx]]

    def real_rows(self, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        x = self.data.index_select(0, rows)
        if self.prepare is not None:
            x = self.prepare(x)
        if self.labels is None or self._eye is None:
            return x, None
        return x, self._eye[self.labels.index_select(0, rows)]

    def sample_fake_conditions(self, batch_size: int) -> tuple[torch.Tensor | None, None]:
        if self.labels is None or self._eye is None:
            return None, None
        return self._eye[self.labels[self._rows(batch_size)]], None
