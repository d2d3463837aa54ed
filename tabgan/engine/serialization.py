"""Saving and loading: safetensors for tensors, JSON for everything else. Never pickle.

A saved folder holds ``model.safetensors`` and ``model.json``. The JSON records the library
version, the estimator parameters, the adapter's name and state, and the SHA-256 of the
tensor file, so a tampered or truncated file is refused with a clear error.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from .._version import __version__

__all__ = ["flatten_state", "read_folder", "unflatten_state", "write_folder"]

FORMAT = "tabgan-model"
FORMAT_VERSION = 2
TENSORS = "model.safetensors"
CONFIG = "model.json"
#: A DP run's counters in a checkpoint (:meth:`~tabgan.engine.dp_sgd.PrivateCritic.state_dict`).
PRIVACY_KEYS = ("privacy_steps", "privacy_noise_multiplier", "privacy_sample_rate")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_folder(
    path: str | Path,
    config: dict[str, Any],
    tensors: dict[str, torch.Tensor],
    files: list[str] | None = None,
) -> Path:
    """Write ``tensors`` and ``config`` into the folder ``path`` (created if needed).

    ``files`` names extra files already written into the folder (relative paths, e.g. an
    adapter's tokenizer); their SHA-256 is recorded so :func:`read_folder` can check them.
    """
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    extra = {name: _sha256(folder / name) for name in sorted(files or [])}
    tensor_file = folder / TENSORS
    save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(tensor_file))
    doc = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tabgan_version": __version__,
        "torch_version": torch.__version__,
        "sha256": _sha256(tensor_file),
        **({"files": extra} if extra else {}),
        **config,
    }
    (folder / CONFIG).write_text(json.dumps(doc, indent=2, default=_json_default))
    return folder


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    raise TypeError(f"{type(obj).__name__} cannot be saved as JSON")


def _version_tuple(v: str) -> tuple[int, ...]:
    out = []
    for part in v.split(".")[:3]:
        digits = "".join(ch for ch in part if ch.isdigit())
        out.append(int(digits) if digits else 0)
    return tuple(out)


def read_folder(path: str | Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Read a folder written by :func:`write_folder`, checking format, version and checksum."""
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"No saved model folder at {str(folder)!r}.")
    config_file, tensor_file = folder / CONFIG, folder / TENSORS
    for f in (config_file, tensor_file):
        if not f.is_file():
            raise FileNotFoundError(f"The saved model at {str(folder)!r} lacks {f.name}.")
    try:
        doc = json.loads(config_file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{config_file} is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"{config_file} is not a tabgan model file (no 'format': {FORMAT!r}).")
    for key in ("format_version", "tabgan_version", "sha256"):
        if key not in doc:
            raise ValueError(f"{config_file} lacks the field {key!r}.")
    if doc["format_version"] > FORMAT_VERSION or _version_tuple(
        str(doc["tabgan_version"])
    ) > _version_tuple(__version__):
        raise ValueError(
            f"{config_file} was written by tabgan {doc['tabgan_version']} (file format "
            f"{doc['format_version']}), newer than this tabgan {__version__}; "
            "upgrade tabgan-engine."
        )
    if doc["tabgan_version"] != __version__:
        warnings.warn(
            f"{config_file} was written by tabgan {doc['tabgan_version']}; this is "
            f"{__version__}. It may load differently.",
            UserWarning,
            stacklevel=3,
        )
    if _sha256(tensor_file) != doc["sha256"]:
        raise ValueError(
            f"{tensor_file} does not match the checksum recorded in {config_file.name}: "
            "the file was modified or is corrupt."
        )
    extra = doc.get("files", {})
    if not isinstance(extra, dict):
        raise ValueError(f"{config_file}: the field 'files' is not a mapping.")
    for name, digest in extra.items():
        f = folder / name
        if not f.is_file():
            raise FileNotFoundError(f"The saved model at {str(folder)!r} lacks {name}.")
        if _sha256(f) != digest:
            raise ValueError(
                f"{f} does not match the checksum recorded in {config_file.name}: "
                "the file was modified or is corrupt."
            )
    try:
        tensors = load_file(str(tensor_file))
    except Exception as exc:
        raise ValueError(f"{tensor_file} could not be read: {exc}") from None
    return doc, tensors


def prefixed(prefix: str, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {f"{prefix}.{k}": v for k, v in tensors.items()}


def unprefixed(prefix: str, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    start = len(prefix) + 1
    return {k[start:]: v for k, v in tensors.items() if k.startswith(prefix + ".")}


def flatten_state(
    state: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """A trainer's :meth:`~tabgan.engine.training.GANTrainer.state_dict` as (JSON, tensors).

    Module state dicts become prefixed tensors (``generator.<name>``); optimizer state dicts
    are split into their JSON structure and their tensors (``opt_g.<param>.<key>``); plain
    values stay in the JSON part.
    """
    doc: dict[str, Any] = {}
    tensors: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if key in ("opt_g", "opt_d"):
            scalars: dict[str, dict[str, Any]] = {}
            for idx, entry in value["state"].items():
                for name, item in entry.items():
                    if isinstance(item, torch.Tensor):
                        tensors[f"{key}.{idx}.{name}"] = item
                    else:
                        scalars.setdefault(str(idx), {})[name] = item
            doc[key] = {"param_groups": value["param_groups"], "scalars": scalars}
        elif isinstance(value, dict):
            tensors.update(prefixed(key, value))
        else:
            doc[key] = value
    return doc, tensors


def unflatten_state(
    doc: dict[str, Any], tensors: dict[str, torch.Tensor], device: torch.device
) -> dict[str, Any]:
    """The inverse of :func:`flatten_state`, tensors moved to ``device``."""
    state: dict[str, Any] = {}
    for key in ("generator", "discriminator", "ema"):
        part = unprefixed(key, tensors)
        if part:
            state[key] = part
    for key in ("opt_g", "opt_d"):
        entries: dict[int, dict[str, Any]] = {}
        for name, value in unprefixed(key, tensors).items():
            idx, item = name.split(".", 1)
            entries.setdefault(int(idx), {})[item] = value.to(device)
        for idx, values in doc[key].get("scalars", {}).items():
            entries.setdefault(int(idx), {}).update(values)
        state[key] = {"state": entries, "param_groups": doc[key]["param_groups"]}
    for key in ("step", "seconds", "ema_updates", *PRIVACY_KEYS):
        if key in doc:
            state[key] = doc[key]
    return state
