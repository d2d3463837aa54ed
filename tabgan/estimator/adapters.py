"""The adapter protocol and the adapter registry.

An adapter turns one domain's data into tensors and back, and supplies the networks and output
activations that fit that data. The engine (`tabgan.engine.training`) only ever sees tensors.

Adapters register themselves with :func:`register`. Third-party adapters are found through the
entry-point group ``tabgan.adapters`` the first time an unknown name is asked for. The core
never imports a domain adapter by name: ``tabgan.plugins`` adapters are entry points like any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import metadata
from typing import Any, ClassVar, Protocol, TypeVar, runtime_checkable

import numpy as np
import torch
from sklearn.base import BaseEstimator
from torch import nn

from ..engine.data import TrainingSampler

__all__ = [
    "Adapter",
    "BaseAdapter",
    "TrainingSampler",
    "UniformSampler",
    "available_adapters",
    "get_adapter",
    "register",
]

ENTRY_POINT_GROUP = "tabgan.adapters"


@runtime_checkable
class Adapter(Protocol):
    """What the engine needs from a domain adapter.

    Adapters are scikit-learn style objects: ``__init__`` stores options, ``fit`` learns the
    encoding, fitted state ends in ``_``. :class:`BaseAdapter` gives defaults for the optional
    parts.
    """

    name: ClassVar[str]
    #: Training defaults for this domain (``loss``, ``epochs``, ``batch_size``, ``pac``, ...),
    #: used where the user leaves a :class:`~tabgan.GANSynthesizer` parameter at ``None``.
    training_defaults: ClassVar[Mapping[str, Any]]

    def fit(self, data: Any, *, rng: np.random.Generator) -> Adapter: ...

    def encode(self, data: Any) -> torch.Tensor: ...

    def decode(self, x: torch.Tensor, *, rng: np.random.Generator) -> Any: ...

    @property
    def cond_dim(self) -> int: ...

    def build_generator(self, latent_dim: int) -> nn.Module: ...

    def build_discriminator(self, pac: int) -> nn.Module: ...

    def activate(self, raw: torch.Tensor, *, hard: bool = False) -> torch.Tensor: ...

    def make_sampler(self, encoded: torch.Tensor) -> TrainingSampler: ...

    def generate(
        self, generator: nn.Module, z: torch.Tensor, cond: torch.Tensor | None, **kwargs: Any
    ) -> torch.Tensor: ...

    def sampling_conditions(self, n: int, conditions: Any) -> torch.Tensor | None: ...

    def get_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]: ...

    def set_state(self, config: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None: ...


class UniformSampler:
    """Real rows drawn uniformly with replacement; no conditional vector."""

    def __init__(self, encoded: torch.Tensor) -> None:
        self.encoded = encoded

    def sample_real(self, batch_size: int) -> tuple[torch.Tensor, None]:
        idx = torch.randint(len(self.encoded), (batch_size,), device=self.encoded.device)
        return self.encoded[idx], None

    def sample_condition(self, batch_size: int) -> tuple[None, None]:
        return None, None

    def condition_loss(self, raw: torch.Tensor, info: Any) -> None:
        return None


class BaseAdapter(BaseEstimator):
    """Defaults for the optional parts of :class:`Adapter`.

    Subclasses set ``name`` and ``training_defaults`` and implement ``fit``, ``encode``, ``decode``,
    ``build_generator``, ``build_discriminator``, ``activate``, ``get_state`` and ``set_state``.

    Optional hooks the engine calls when present: ``pretrain(generator, encoded, *, device,
    verbose)`` before adversarial training (e.g. MLE for text) and ``on_train_step(generator,
    step, total_steps)`` after each generator step (e.g. temperature annealing);
    ``hashable_view(data)`` returns the part of the data compared by the memorization guard
    (e.g. without columns that are regenerated as fresh identifiers).
    ``save_files(folder) -> list[str]`` writes fitted state that belongs in files of its own
    (e.g. a tokenizer) into the model folder and returns their relative paths (their checksums
    are recorded); ``load_files(folder)`` reads them back before ``set_state`` is called.
    ``sampling_batch_size`` (an int attribute or property of the fitted adapter): samples per
    generator pass in ``sample`` when the caller gives none (default: the training batch
    size, at least 1024).
    """

    name: ClassVar[str] = ""
    training_defaults: ClassVar[Mapping[str, Any]] = {}

    @property
    def cond_dim(self) -> int:
        return 0

    def make_sampler(self, encoded: torch.Tensor) -> TrainingSampler:
        return UniformSampler(encoded)

    def generate(
        self, generator: nn.Module, z: torch.Tensor, cond: torch.Tensor | None, **kwargs: Any
    ) -> torch.Tensor:
        """Samples at inference time (the engine has set eval mode and ``inference_mode``).

        Override to accept sampling options (e.g. a temperature) or to enforce conditions.
        """
        if kwargs:
            raise TypeError(
                f"The {self.name!r} adapter takes no sampling options; got {', '.join(kwargs)}."
            )
        return self.activate(generator(z, cond), hard=True)

    def sampling_conditions(self, n: int, conditions: Any) -> torch.Tensor | None:
        if conditions is not None:
            raise ValueError(f"The {self.name!r} adapter does not support conditional sampling.")
        return None


_REGISTRY: dict[str, type] = {}
A = TypeVar("A", bound=type)


def register(cls: A) -> A:
    """Class decorator: make an adapter available under its ``name``."""
    name = getattr(cls, "name", "")
    if not isinstance(name, str) or not name:
        raise TypeError(f"{cls.__qualname__} needs a non-empty string class attribute `name`.")
    existing = _REGISTRY.get(name)
    if existing is not None and existing is not cls:
        raise ValueError(
            f"An adapter named {name!r} is already registered ({existing.__module__}."
            f"{existing.__qualname__})."
        )
    _REGISTRY[name] = cls
    return cls


def _entry_points() -> list[metadata.EntryPoint]:
    return list(metadata.entry_points(group=ENTRY_POINT_GROUP))


def _load_entry_point(ep: metadata.EntryPoint) -> type:
    try:
        cls = ep.load()
    except Exception as exc:  # a broken plugin must fail loudly, naming itself
        raise ImportError(
            f"The adapter entry point {ep.name!r} = {ep.value!r} (group {ENTRY_POINT_GROUP!r}) "
            f"failed to load: {type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(cls, type):
        raise TypeError(
            f"The adapter entry point {ep.name!r} = {ep.value!r} does not point to a class."
        )
    if getattr(cls, "name", None) != ep.name:
        raise TypeError(
            f"The adapter entry point {ep.name!r} = {ep.value!r} loads a class named "
            f"{getattr(cls, 'name', None)!r}; the entry point and the class `name` must agree."
        )
    _REGISTRY.setdefault(ep.name, cls)
    return _REGISTRY[ep.name]


def get_adapter(name: str) -> type:
    """The adapter class registered under ``name``, loading entry points on first miss."""
    if not isinstance(name, str):
        raise TypeError(f"An adapter name must be a string, got {type(name).__name__}.")
    if name in _REGISTRY:
        return _REGISTRY[name]
    for ep in _entry_points():
        if ep.name == name:
            return _load_entry_point(ep)
    raise ValueError(
        f"Unknown adapter {name!r}. Available adapters: {', '.join(available_adapters())}."
    )


def available_adapters() -> list[str]:
    """Names of the registered adapters and of those offered by entry points."""
    return sorted(set(_REGISTRY) | {ep.name for ep in _entry_points()})


def resolve_adapter(adapter: Any) -> Any:
    """An unfitted adapter instance from a name, a class or an instance."""
    from sklearn.base import clone

    if isinstance(adapter, str):
        return get_adapter(adapter)()
    if isinstance(adapter, type):
        return adapter()
    missing = [
        attr
        for attr in ("name", "fit", "encode", "decode", "build_generator", "build_discriminator")
        if not hasattr(adapter, attr)
    ]
    if missing:
        raise TypeError(
            f"`adapter` must be an adapter name, class or instance; {type(adapter).__name__} "
            f"lacks {', '.join(missing)}."
        )
    return clone(adapter)
