"""The adapter contract, the shared training sampler and the adapter registry.

An adapter turns one domain's data into tensors and back, and supplies the networks and output
activations that fit that data. The engine (`tabgan.engine`) only ever sees tensors; the
estimator (:class:`~tabgan.GANSynthesizer`) only ever calls the public methods and hooks of
:class:`BaseAdapter` below, never probing an adapter with ``getattr``.

Writing an adapter (see CONTRIBUTING.md): subclass :class:`BaseAdapter`, set ``name``, write the
abstract hooks (``_fit``, ``_encode``, ``_decode``, ``build_generator``,
``build_discriminator``, ``_get_state``, ``_set_state``), override the optional ones you need,
register it with :func:`register` or the entry-point group ``tabgan.adapters``, and prove it
with :func:`tabgan.testing.check_adapter`.
"""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from sklearn.base import BaseEstimator
from torch import nn

from ..engine.data import DataSampler, Encoded, TrainingSampler

if TYPE_CHECKING:
    from ..engine.privacy import PreprocessingBudget
    from .training_data import DataStream

__all__ = [
    "BaseAdapter",
    "DataSampler",
    "Encoded",
    "TrainingSampler",
    "available_adapters",
    "get_adapter",
    "register",
    "resolve_adapter",
]

ENTRY_POINT_GROUP = "tabgan.adapters"
#: The files :meth:`BaseAdapter.save` writes; an adapter's own files go beside them.
STATE_FILE = "adapter.json"
TENSOR_FILE = "adapter.safetensors"
#: Label values an adapter may keep (they are saved in JSON).
LabelValue = str | int | float | bool


# -- the adapter base -------------------------------------------------------------------------
Self = TypeVar("Self", bound="BaseAdapter")


class BaseAdapter(BaseEstimator, ABC):
    """Base class of every adapter: public methods validate, hooks do the work.

    Required hooks (abstract): ``_fit``, ``_encode``, ``_decode``, ``build_generator``,
    ``build_discriminator``, ``_get_state``, ``_set_state``. Optional hooks, with defaults
    that do nothing special: ``activate``, ``prepare_real``, ``generate``,
    ``_sampling_conditions`` (label conditions by default), ``pretrain``,
    ``on_generator_step``, ``canonical_view``, ``_save_files`` / ``_load_files``, and the
    property ``sampling_batch_size``.

    Class attributes
    ----------------
    name : str
        The registry name (``GANSynthesizer(adapter=name)``).
    training_defaults : mapping
        Defaults for this domain, keyed by :class:`~tabgan.GANSynthesizer` parameter names
        (``{"epochs": 300, "loss": "wgan", ...}``); the estimator checks every key.
    supports_labels : bool
        Whether ``fit(data, y)`` takes labels. Adapters that do set ``label_names_`` in
        ``_fit`` (see :meth:`_fit_labels`) and return label codes from ``_encode``.
    supports_constraints : bool
        Whether ``fit(data, constraints=[...])`` takes declared constraints (rules every
        generated sample satisfies; ``tabular``); the others refuse the option by name.
    private_training_defaults : mapping
        Under differential privacy, defaults over ``training_defaults`` (same keys; DP-SGD's
        noisy critic gradients may want another loss or learning rate).

    Labels are the one conditioning channel the engine knows: ``label_names_`` (a list of
    JSON scalars), codes in :attr:`Encoded.labels`, one-hot conditional vectors of width
    ``cond_dim``. Adapters with richer conditions (the tabular conditional vector) override
    ``cond_dim``, ``make_sampler`` and ``_sampling_conditions``.
    """

    name: ClassVar[str] = ""
    training_defaults: ClassVar[Mapping[str, Any]] = {}
    private_training_defaults: ClassVar[Mapping[str, Any]] = {}
    supports_labels: ClassVar[bool] = False
    supports_constraints: ClassVar[bool] = False

    label_names_: list[Any]
    #: What a fit under differential privacy spent (the record :meth:`_fit_private` returned);
    #: ``None`` for a fit without it.
    privacy_: dict[str, Any] | None = None

    # -- public: what the estimator calls -----------------------------------------------------
    def fit(
        self: Self,
        data: Any,
        y: Any = None,
        *,
        rng: np.random.Generator,
        privacy: PreprocessingBudget | None = None,
        **fit_params: Any,
    ) -> Self:
        """Learn the encoding of ``data`` (and of the labels ``y``); returns ``self``.

        ``fit_params`` are the adapter's own fit options (e.g. ``metadata=`` for ``tabular``);
        :class:`~tabgan.GANSynthesizer` passes on those given to its ``fit``. With ``privacy``
        (differential privacy) the encoding is learned by :meth:`_fit_private` within that
        budget, and ``privacy_`` holds what it spent (else ``None``).
        """
        if y is not None and not self.supports_labels:
            raise ValueError(
                f"The {self.name!r} adapter takes no labels: `y` must be None "
                f"(got {type(y).__name__})."
            )
        if fit_params.get("constraints") is not None and not self.supports_constraints:
            raise ValueError(
                f"The {self.name!r} adapter takes no constraints (`constraints=` is for tables: "
                "the 'tabular' adapter)."
            )
        self.label_names_ = []
        self.is_fitted_ = False
        self.privacy_ = None
        if privacy is None:
            self._fit(data, y, rng, **fit_params)
        else:
            self.privacy_ = self._fit_private(data, y, rng, privacy, **fit_params)
        self.is_fitted_ = True
        return self

    def encode(self, data: Any, y: Any = None) -> Encoded:
        """``data`` (and its labels) as an :class:`Encoded` record."""
        self._check_fitted()
        if y is not None and not self.supports_labels:
            raise ValueError(f"The {self.name!r} adapter takes no labels: `y` must be None.")
        encoded = self._encode(data, y)
        if not isinstance(encoded, Encoded):
            raise TypeError(
                f"The {self.name!r} adapter's _encode() must return an Encoded record, "
                f"got {type(encoded).__name__}."
            )
        if encoded.labels is not None and not len(self.label_names_):
            raise ValueError(f"The {self.name!r} adapter encoded labels but has no label_names_.")
        return encoded

    def decode(self, x: torch.Tensor, *, rng: np.random.Generator) -> Any:
        """Generated tensors back in the domain's own form."""
        self._check_fitted()
        return self._decode(x, rng)

    def sampling_conditions(self, n: int, conditions: Any) -> torch.Tensor | None:
        """The generator's conditional input for ``n`` samples (``None`` for none)."""
        self._check_fitted()
        cond = self._sampling_conditions(n, conditions)
        if cond is not None and cond.shape[:1] != (n,):
            raise ValueError(
                f"The {self.name!r} adapter made conditions for {cond.shape[0]} samples, not {n}."
            )
        return cond

    def save(self, folder: str | Path) -> list[str]:
        """Write the fitted adapter into ``folder``; returns the files written (relative paths).

        ``adapter.json`` holds the name, the constructor parameters and ``_get_state``'s config;
        ``adapter.safetensors`` its tensors; ``_save_files`` may add files of its own.
        """
        self._check_fitted()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        config, tensors = self._get_state()
        params, tuples = _jsonable_params(self)
        doc = {
            "name": self.name,
            "params": params,
            "tuple_params": tuples,
            "label_names": list(self.label_names_),
            "state": config,
            **({} if self.privacy_ is None else {"privacy": self.privacy_}),
        }
        try:
            text = json.dumps(doc, indent=1, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"The {self.name!r} adapter's state is not JSON: {exc}. _get_state() must "
                "return JSON values and tensors."
            ) from None
        (folder / STATE_FILE).write_text(text)
        save_file(
            {k: v.detach().cpu().contiguous() for k, v in tensors.items()}, folder / TENSOR_FILE
        )
        return [STATE_FILE, TENSOR_FILE, *self._save_files(folder)]

    @classmethod
    def load(cls, folder: str | Path) -> BaseAdapter:
        """The adapter :meth:`save` wrote into ``folder`` (of this class or a registered one)."""
        folder = Path(folder)
        doc = json.loads((folder / STATE_FILE).read_text())
        adapter_cls = cls if doc["name"] == cls.name else get_adapter(doc["name"])
        params = {
            k: tuple(v) if k in doc.get("tuple_params", []) else v for k, v in doc["params"].items()
        }
        params = {k: adapter_cls._param_from_json(k, v) for k, v in params.items()}
        adapter = adapter_cls(**params)
        tensors = load_file(folder / TENSOR_FILE)
        adapter.restore(
            doc["state"],
            tensors,
            folder,
            label_names=doc.get("label_names", []),
            privacy=doc.get("privacy"),
        )
        return adapter

    def restore(
        self,
        config: dict[str, Any],
        tensors: dict[str, torch.Tensor],
        folder: Path,
        *,
        label_names: Sequence[Any] = (),
        privacy: dict[str, Any] | None = None,
    ) -> None:
        """Give this unfitted adapter a saved state (``privacy``: its ``privacy_`` record).

        Used by :meth:`load`, and by the migration of model folders of format 1 (tabgan 0.1),
        whose adapter state sits in ``model.json`` and whose files sit in the model folder: an
        adapter's ``_set_state`` therefore accepts the configs its 0.1 ``get_state`` wrote, and
        sets ``label_names_`` from them where they held the labels.
        """
        self.label_names_ = list(label_names)
        self.privacy_ = privacy
        self._load_files(folder)
        self._set_state(config, tensors)
        self.is_fitted_ = True

    # -- the label channel ----------------------------------------------------------------------
    @property
    def cond_dim(self) -> int:
        """Width of the generator's and critic's conditional input (0: unconditional)."""
        return len(getattr(self, "label_names_", ()))

    def _fit_labels(self, labels: Sequence[Any]) -> None:
        """Record the label set (sorted, JSON scalars) from the training labels."""
        values = [_label_value(v) for v in labels]
        self.label_names_ = sorted(set(values), key=lambda v: (type(v).__name__, v))

    def _label_codes(self, labels: Sequence[Any]) -> torch.Tensor:
        """Label values as int64 codes into ``label_names_`` (unknown values raise)."""
        lookup = {v: i for i, v in enumerate(self.label_names_)}
        codes = []
        for v in labels:
            key = _label_value(v)
            if key not in lookup:
                raise ValueError(f"Unknown label {v!r}; the model knows {self.label_names_}.")
            codes.append(lookup[key])
        return torch.tensor(codes, dtype=torch.long)

    # -- required hooks -----------------------------------------------------------------------
    @abstractmethod
    def _fit(
        self, data: Any, y: Any, rng: np.random.Generator, *args: Any, **fit_params: Any
    ) -> None:
        """Validate ``data`` (clear errors before any training) and learn the encoding.

        Unknown ``fit_params`` must raise ``TypeError`` naming them (a signature without
        ``**kwargs`` does that).
        """

    @abstractmethod
    def _encode(self, data: Any, y: Any) -> Encoded:
        """``data`` as an :class:`Encoded` record (labels from ``y`` or from the data)."""

    @abstractmethod
    def _decode(self, x: torch.Tensor, rng: np.random.Generator) -> Any:
        """What :meth:`generate` produced, back in the domain's form."""

    @abstractmethod
    def build_generator(self, latent_dim: int) -> nn.Module:
        """``generator(z, cond) -> raw``, ``cond`` of width ``cond_dim`` or ``None``."""

    @abstractmethod
    def build_discriminator(self, pac: int) -> nn.Module:
        """``critic(x_packed, cond_packed) -> scores``: ``pac`` samples concatenated per row
        (PacGAN; ``pac=1`` is the plain critic), conditions packed the same way."""

    @abstractmethod
    def _get_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        """Fitted state as (JSON config, named tensors); no pickled objects."""

    @abstractmethod
    def _set_state(self, config: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        """The inverse of :meth:`_get_state` (``_load_files`` has already run)."""

    # -- optional hooks -----------------------------------------------------------------------
    def _param_to_json(self, name: str, value: Any) -> Any:
        """Constructor parameter ``name`` as ``adapter.json`` stores it (by default as given;
        it must then be JSON); :meth:`_param_from_json` reads it back."""
        return value

    @classmethod
    def _param_from_json(cls, name: str, value: Any) -> Any:
        """The constructor parameter that :meth:`_param_to_json` stored as ``value``."""
        return value

    def _fit_private(
        self,
        data: Any,
        y: Any,
        rng: np.random.Generator,
        budget: PreprocessingBudget,
        *args: Any,
        **fit_params: Any,
    ) -> dict[str, Any]:
        """``_fit`` under differential privacy (``GANSynthesizer(differential_privacy=...)``).

        Learn the encoding from public information (fit options, dtypes) and from statistics
        released through ``budget`` only (:class:`~tabgan.engine.privacy.PreprocessingBudget`:
        Gaussian noise, thresholds), and return ``budget.record(...)``. :meth:`make_sampler`'s
        sampler must then give chosen rows (``real_rows``) and draw its fake conditions from
        nothing but those statistics. By default: refused.
        """
        raise ValueError(
            f"The {self.name!r} adapter does not support differential privacy (it has no "
            "_fit_private: what its encoding learns from the data would not be private)."
        )

    def activate(self, raw: torch.Tensor, *, hard: bool = False) -> torch.Tensor:
        """The generator's raw output as the critic sees it (``hard``: at sampling time)."""
        return raw

    def prepare_real(self, x: torch.Tensor) -> torch.Tensor:
        """A batch of ``Encoded.data`` as the critic sees it (e.g. token ids to one-hots)."""
        return x

    def make_sampler(self, encoded: Encoded) -> TrainingSampler:
        """The training sampler; by default the shared :class:`DataSampler`."""
        return DataSampler(encoded, self.cond_dim, self.prepare_real)

    def open_stream(self, data: Any) -> DataStream | None:
        """``data`` as a :class:`~tabgan.estimator.training_data.DataStream` when it is to be
        read from storage in pieces (for ``tabular``: a Parquet/CSV path, a folder of them or
        a ``pyarrow.dataset.Dataset``), else ``None``; by default ``None`` (in-memory data
        only)."""
        return None

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

    def _sampling_conditions(self, n: int, conditions: Any) -> torch.Tensor | None:
        """Label conditions as one-hot rows (the default for adapters with labels).

        ``conditions`` may be a label value, a sequence of ``n`` label values, or
        ``{"label": value or values}``. Without conditions a labelled model draws labels
        uniformly from ``label_names_`` (override to draw them otherwise).
        """
        k = self.cond_dim
        if conditions is None:
            return None if not k else torch.eye(k)[torch.randint(k, (n,))]
        if not k:
            raise ValueError(
                f"This {self.name!r} model is not conditional (it was trained without labels); it "
                "takes no `conditions`."
            )
        if isinstance(conditions, Mapping):
            if set(conditions) != {"label"}:
                raise ValueError(
                    f'{self.name!r} conditions are {{"label": value}}; got keys '
                    f"{sorted(map(str, conditions))}."
                )
            conditions = conditions["label"]
        if isinstance(conditions, (str, bytes, int, float, bool, np.generic)):
            values: list[Any] = [conditions] * n
        elif isinstance(conditions, (Sequence, np.ndarray)):
            values = list(conditions)
            if len(values) != n:
                raise ValueError(f"Got {len(values)} labels for n={n} samples.")
        else:
            raise TypeError(f"Unsupported `conditions` of type {type(conditions).__name__}.")
        return torch.eye(k)[self._label_codes(values)]

    def pretrain(
        self, generator: nn.Module, encoded: Encoded, *, device: torch.device, verbose: bool
    ) -> None:
        """Runs once before adversarial training (e.g. MLE for text); by default nothing."""

    def on_generator_step(self, generator: nn.Module, step: int, total_steps: int) -> None:
        """Runs after each generator update (e.g. temperature annealing); by default nothing."""

    def canonical_view(self, data: Any) -> Any:
        """What the exact-copy check compares, row by row (e.g. without regenerated ids)."""
        return data

    @property
    def sampling_batch_size(self) -> int | None:
        """Samples per generator pass when the caller gives none (``None``: the engine's)."""
        return None

    def _save_files(self, folder: Path) -> list[str]:
        """Write fitted state that belongs in files of its own; return their relative paths."""
        return []

    def _load_files(self, folder: Path) -> None:
        """Read what :meth:`_save_files` wrote (before ``_set_state``)."""

    # -- helpers ------------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not getattr(self, "is_fitted_", False):
            raise RuntimeError(f"The {self.name!r} adapter is not fitted yet.")


def _label_value(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError(f"A label must be a finite value, got {v!r}.")
    if not isinstance(v, (str, int, float, bool)):
        raise TypeError(f"A label must be a string, number or bool, got {type(v).__name__} {v!r}.")
    return v


def _jsonable_params(adapter: BaseAdapter) -> tuple[dict[str, Any], list[str]]:
    """Constructor parameters as JSON, tuples recorded so that load gives them back."""
    params, tuples = {}, []
    for key, value in adapter.get_params(deep=False).items():
        value = adapter._param_to_json(key, value)
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, tuple):
            tuples.append(key)
            value = list(value)
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            raise TypeError(
                f"The {adapter.name!r} adapter's parameter {key}={value!r} is not JSON; a saved "
                "model stores constructor parameters as JSON (strings, numbers, lists, dicts)."
            ) from None
        params[key] = value
    return params, tuples


# -- the registry -----------------------------------------------------------------------------
_REGISTRY: dict[str, type[BaseAdapter]] = {}
A = TypeVar("A", bound=type)


def register(cls: A) -> A:
    """Class decorator: make an adapter available under its ``name``."""
    if not (isinstance(cls, type) and issubclass(cls, BaseAdapter)):
        raise TypeError(f"{getattr(cls, '__qualname__', cls)!r} must subclass tabgan.BaseAdapter.")
    name = cls.name
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


def _load_entry_point(ep: metadata.EntryPoint) -> type[BaseAdapter]:
    try:
        cls = ep.load()
    except Exception as exc:  # a broken plugin must fail loudly, naming itself
        raise ImportError(
            f"The adapter entry point {ep.name!r} = {ep.value!r} (group {ENTRY_POINT_GROUP!r}) "
            f"failed to load: {type(exc).__name__}: {exc}"
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, BaseAdapter)):
        raise TypeError(
            f"The adapter entry point {ep.name!r} = {ep.value!r} does not point to a "
            "subclass of tabgan.BaseAdapter."
        )
    if cls.name != ep.name:
        raise TypeError(
            f"The adapter entry point {ep.name!r} = {ep.value!r} loads a class named "
            f"{cls.name!r}; the entry point and the class `name` must agree."
        )
    _REGISTRY.setdefault(ep.name, cls)
    return _REGISTRY[ep.name]


def get_adapter(name: str) -> type[BaseAdapter]:
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


def resolve_adapter(adapter: Any) -> BaseAdapter:
    """An unfitted adapter instance from a name, a class or an instance."""
    from sklearn.base import clone

    if isinstance(adapter, str):
        return get_adapter(adapter)()
    if isinstance(adapter, type) and issubclass(adapter, BaseAdapter):
        return adapter()
    if isinstance(adapter, BaseAdapter):
        return clone(adapter)
    raise TypeError(
        "`adapter` must be an adapter name, a BaseAdapter subclass or an instance of one; got "
        f"{type(adapter).__name__}."
    )
