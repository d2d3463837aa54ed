"""The saved-model schema: a folder of JSON and safetensors, never a pickle.

A model folder (format 2) holds ``model.json`` (settings, seed, history, the SHA-256 of every
file), ``model.safetensors`` (the sampling generator; a checkpoint adds the critic, the EMA
copy, both optimizers and the random state) and ``adapter/``, which the adapter writes itself
(:meth:`~tabgan.estimator.adapters.BaseAdapter.save`). Format 1 (tabgan 0.1) kept the
adapter's state in ``model.json`` and its tensors in ``model.safetensors`` under ``adapter.``;
:func:`read_adapter` still reads it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch

from ..engine import serialization as ser
from ..engine.config import TrainingConfig
from ..engine.privacy import DPConfig
from ..engine.training import GANTrainer
from ..engine.utils import get_torch_rng_state, resolve_device
from . import privacy as private
from .adapters import BaseAdapter, get_adapter

if TYPE_CHECKING:
    from .synthesizer import GANSynthesizer

__all__ = ["ADAPTER_DIR", "load_model", "read_adapter", "read_checkpoint", "write_model"]

#: The adapter's sub-folder of a model folder.
ADAPTER_DIR = "adapter"


def _jsonable(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _estimator_params(est: GANSynthesizer) -> dict[str, Any]:
    """The estimator's parameters as JSON: the adapter by name, callbacks never (code)."""
    params = {}
    for key, value in est.get_params(deep=False).items():
        if key == "adapter":
            value = est.adapter_.name
        elif key == "callbacks":
            value = None
        elif isinstance(value, DPConfig):
            value = value.to_dict()
        elif key == "random_state" and not isinstance(value, (int, np.integer, type(None))):
            value = None  # a Generator's state is not a setting
        params[key] = _jsonable(value)
    return params


def write_model(
    est: GANSynthesizer,
    path: str | Path,
    *,
    trainer: GANTrainer | None = None,
    history: list[dict[str, float]],
) -> Path:
    """Write ``est`` into the folder ``path``: a model, or with ``trainer`` a checkpoint."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    files = [f"{ADAPTER_DIR}/{name}" for name in est.adapter_.save(folder / ADAPTER_DIR)]
    doc: dict[str, Any] = {
        "kind": "model" if trainer is None else "checkpoint",
        "estimator": type(est).__name__,
        "params": _estimator_params(est),
        "adapter": {"name": est.adapter_.name},
        "training_config": _jsonable(est.config_.to_dict()),
        "seed": est.seed_,
        "sample_calls": est._sample_calls,
        "history": history,
    }
    privacy = est.__dict__.get("privacy_") if trainer is None else private.record(trainer)
    if privacy is not None:  # what a differentially private fit spent
        doc["privacy"] = privacy
    if trainer is None:
        doc["n_steps"] = est.n_steps_
        tensors = ser.prefixed("generator", est.generator_.state_dict())
    else:
        state_doc, tensors = ser.flatten_state(trainer.state_dict())
        doc.update(state_doc, n_steps=trainer.step)
        tensors.update(ser.prefixed("rng", get_torch_rng_state(trainer.device)))
    return ser.write_folder(folder, doc, tensors, files)


def read_adapter(
    folder: Path, doc: dict[str, Any], tensors: dict[str, torch.Tensor]
) -> BaseAdapter:
    """The fitted adapter of a model folder, of format 2 or (migrated) format 1."""
    try:
        if doc["format_version"] >= 2:
            adapter = BaseAdapter.load(folder / ADAPTER_DIR)
        else:
            adapter = get_adapter(doc["adapter"]["name"])(**doc["adapter"].get("params", {}))
            adapter.restore(doc["adapter"]["state"], ser.unprefixed("adapter", tensors), folder)
    except (KeyError, TypeError, ValueError, FileNotFoundError) as exc:
        raise ValueError(f"{folder / ser.CONFIG}: the adapter state does not load: {exc}") from None
    if adapter.name != doc["adapter"]["name"]:
        raise ValueError(
            f"{folder / ser.CONFIG} names the adapter {doc['adapter']['name']!r}, but its "
            f"adapter folder holds {adapter.name!r}."
        )
    return adapter


def read_checkpoint(path: str | Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """A checkpoint folder's document and tensors (a saved model is refused)."""
    doc, tensors = ser.read_folder(path)
    if doc.get("kind") != "checkpoint":
        raise ValueError(f"{path} is a saved model, not a training checkpoint.")
    return doc, tensors


def load_model(cls: type[GANSynthesizer], path: str | Path, device: str) -> GANSynthesizer:
    """A fitted estimator from a model (or checkpoint) folder, ready to sample."""
    folder = Path(path)
    doc, tensors = ser.read_folder(folder)
    for key in ("params", "adapter", "training_config", "seed"):
        if key not in doc:
            raise ValueError(f"{folder / ser.CONFIG} lacks the field {key!r}.")
    adapter = read_adapter(folder, doc, tensors)
    params = dict(doc["params"])
    if params.get("betas") is not None:
        params["betas"] = tuple(params["betas"])
    params["device"] = device
    try:
        est = cls(**params)
    except TypeError as exc:
        raise ValueError(f"{folder / ser.CONFIG}: unknown parameter: {exc}") from None
    saved = dict(doc["training_config"])
    saved["betas"] = tuple(saved["betas"])
    est.config_ = TrainingConfig(**saved)
    est.adapter_ = adapter
    est.seed_ = int(doc["seed"])
    est.device_ = resolve_device(device)
    est._sample_calls = int(doc.get("sample_calls", 0))
    generator = adapter.build_generator(est.config_.latent_dim)
    key = "ema" if doc.get("kind") == "checkpoint" and "ema_updates" in doc else "generator"
    try:
        generator.load_state_dict(ser.unprefixed(key, tensors))
    except RuntimeError as exc:
        raise ValueError(
            f"{folder / ser.TENSORS}: the generator weights do not fit: {exc}"
        ) from None
    est.generator_ = generator.to(est.device_).eval()
    est.discriminator_ = None
    est.history_ = pd.DataFrame(doc.get("history", []))
    est.n_steps_ = int(doc.get("n_steps", 0))
    est.privacy_ = doc.get("privacy")
    return est
