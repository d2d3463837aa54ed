"""Reading audio into fixed-length mono arrays, and writing clips back to WAV files.

``soundfile`` and ``torchaudio`` belong to the ``audio`` extra; they are imported on first use so
that ``import tabgan.plugins.audio`` works without them and fails with a clear message when used.
"""

from __future__ import annotations

import importlib
import os
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = ["AUDIO_SUFFIXES", "LoadedAudio", "load_audio", "resample", "to_wav"]

AUDIO_SUFFIXES = (".wav", ".flac")
_EXTRA = 'pip install "tabgan-engine[audio]"'


def _require(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"The audio adapter needs the package {module!r} ({exc}). Install it with: {_EXTRA}"
        ) from None


def resample(x: np.ndarray, orig_rate: int, new_rate: int) -> np.ndarray:
    """Resample the last axis of ``x`` with ``torchaudio.functional.resample``."""
    if int(orig_rate) == int(new_rate):
        return np.asarray(x, np.float32)
    ta_functional = _require("torchaudio.functional")
    out = ta_functional.resample(torch.as_tensor(np.asarray(x, np.float32)), orig_rate, new_rate)
    return out.numpy()


@dataclass
class LoadedAudio:
    """Clips as one float32 array (n, length) at one rate, with what was found on the way."""

    clips: np.ndarray
    labels: list[str] | None
    names: list[str]
    source_rates: list[int]
    n_channels: int
    skipped: list[str] = field(default_factory=list)


def _fit_length(x: np.ndarray, length: int) -> np.ndarray:
    if x.shape[-1] >= length:
        return x[..., :length]
    return np.pad(x, [(0, 0)] * (x.ndim - 1) + [(0, length - x.shape[-1])])


def _list_folder(folder: Path) -> tuple[list[Path], list[str] | None]:
    files = sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES
    )
    if not files:
        raise ValueError(f"No {'/'.join(AUDIO_SUFFIXES)} files in the folder {str(folder)!r}.")
    depth = {len(p.relative_to(folder).parts) for p in files}
    if depth == {1}:
        return files, None
    if 1 in depth:
        top = [p.name for p in files if len(p.relative_to(folder).parts) == 1][:5]
        raise ValueError(
            f"The folder {str(folder)!r} holds audio both at its top level ({', '.join(top)}) "
            "and in sub-folders; put every file in a sub-folder named after its label, or none."
        )
    return files, [p.relative_to(folder).parts[0] for p in files]


def _read_files(
    paths: Sequence[Path], rate: int, length: int, on_error: str
) -> tuple[list[np.ndarray], list[int], list[int], list[str], int]:
    """Mono clips at ``rate`` of ``length`` samples; the kept positions and the problems."""
    sf = _require("soundfile")
    read: list[tuple[int, np.ndarray, int]] = []
    problems: list[str] = []
    for i, path in enumerate(paths):
        try:
            data, sr = sf.read(str(path), dtype="float32", always_2d=True)
        except Exception as exc:  # soundfile raises its own error types per format
            problems.append(f"{path} (unreadable: {type(exc).__name__}: {exc})")
            continue
        if data.shape[0] == 0:
            problems.append(f"{path} (empty)")
            continue
        read.append((i, data, int(sr)))
    channels = Counter(d.shape[1] for _, d, _ in read)
    n_channels = channels.most_common(1)[0][0] if channels else 1
    clips, rates, kept = [], [], []
    for i, data, sr in read:
        if data.shape[1] != n_channels:
            problems.append(
                f"{paths[i]} ({data.shape[1]} channels; the other files have {n_channels})"
            )
            continue
        mono = data.mean(axis=1)
        clips.append(_fit_length(resample(mono, sr, rate), length))
        rates.append(sr)
        kept.append(i)
    if problems:
        if on_error == "raise":
            raise ValueError(
                f"{len(problems)} audio file(s) could not be used: "
                + "; ".join(problems)
                + '. Pass on_error="skip" to leave them out.'
            )
        warnings.warn(
            f"Skipped {len(problems)} audio file(s): " + "; ".join(problems),
            UserWarning,
            stacklevel=4,
        )
    if not clips:
        raise ValueError("None of the audio files could be used.")
    return clips, rates, kept, problems, n_channels


def load_audio(
    data: Any,
    *,
    rate: int,
    length: int,
    source_rate: int | None = None,
    labels: Sequence[Any] | None = None,
    on_error: str = "raise",
) -> LoadedAudio:
    """Read ``data`` into mono float32 clips of ``length`` samples at ``rate`` Hz.

    Parameters
    ----------
    data : folder path, audio file path, list of paths, or array/tensor of shape (n, samples)
        A folder is searched recursively for WAV/FLAC files; when every file sits in a
        sub-folder, the sub-folder names are the labels.
    rate, length : the model's sample rate and clip length; clips are cropped or zero-padded.
    source_rate : the rate of an array's samples (default: ``rate``, so no resampling).
    labels : one label per clip; overrides labels taken from sub-folder names.
    on_error : {"raise", "skip"}
        What to do with files that are unreadable, empty, or have another channel count than
        the rest: raise a ValueError naming them, or leave them out with a warning naming them.
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f'`on_error` must be "raise" or "skip", got {on_error!r}.')
    if isinstance(data, (str, os.PathLike)):
        path = Path(data)
        if path.is_dir():
            files, folder_labels = _list_folder(path)
        elif path.is_file():
            files, folder_labels = [path], None
        else:
            raise ValueError(f"No such file or folder: {str(path)!r}.")
        return _load_paths(files, folder_labels, rate, length, labels, on_error)
    if isinstance(data, (list, tuple)) and data and isinstance(data[0], (str, os.PathLike)):
        bad = [repr(p) for p in data if not isinstance(p, (str, os.PathLike))]
        if bad:
            raise TypeError(f"A list of audio paths holds non-paths: {', '.join(bad[:5])}.")
        return _load_paths([Path(p) for p in data], None, rate, length, labels, on_error)
    return _load_array(data, rate, length, source_rate, labels)


def _load_paths(
    files: list[Path],
    folder_labels: list[str] | None,
    rate: int,
    length: int,
    labels: Sequence[Any] | None,
    on_error: str,
) -> LoadedAudio:
    chosen = _check_labels(labels, len(files)) if labels is not None else folder_labels
    clips, rates, kept, notes, n_channels = _read_files(files, rate, length, on_error)
    return LoadedAudio(
        clips=np.stack(clips).astype(np.float32),
        labels=None if chosen is None else [chosen[i] for i in kept],
        names=[str(files[i]) for i in kept],
        source_rates=sorted(set(rates)),
        n_channels=n_channels,
        skipped=notes,
    )


def _check_labels(labels: Sequence[Any], n: int) -> list[str]:
    out = [str(v) for v in np.asarray(labels, dtype=object).ravel()]
    if len(out) != n:
        raise ValueError(f"Got {len(out)} labels for {n} clips; give one label per clip.")
    return out


def _load_array(
    data: Any, rate: int, length: int, source_rate: int | None, labels: Sequence[Any] | None
) -> LoadedAudio:
    if isinstance(data, torch.Tensor):
        data = data.detach().cpu().numpy()
    try:
        arr = np.asarray(data)
    except Exception as exc:
        raise TypeError(f"Audio data must be a path, a list of paths or an array: {exc}") from None
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(
            "Audio data must be a folder, a list of paths, or a numeric array (n, samples); "
            f"got {type(data).__name__} of dtype {arr.dtype}."
        )
    if arr.ndim == 3 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"An audio array must have shape (n, samples), got {arr.shape}.")
    arr = arr.astype(np.float32)
    if not np.isfinite(arr).all():
        row = int(np.nonzero(~np.isfinite(arr).all(1))[0][0])
        raise ValueError(f"The audio array holds NaN or infinite values (first in clip {row}).")
    src = rate if source_rate is None else source_rate
    if isinstance(src, bool) or not isinstance(src, (int, np.integer)) or src <= 0:
        raise ValueError(f"`sample_rate` must be a positive int (Hz), got {source_rate!r}.")
    clips = _fit_length(resample(arr, int(src), rate), length)
    return LoadedAudio(
        clips=np.ascontiguousarray(clips, np.float32),
        labels=None if labels is None else _check_labels(labels, len(arr)),
        names=[],
        source_rates=[int(src)],
        n_channels=1,
    )


def to_wav(
    samples: Any,
    folder: str | os.PathLike[str],
    sample_rate: int = 16000,
    *,
    out_rate: int | None = None,
    prefix: str = "sample",
) -> list[Path]:
    """Write clips as numbered 16-bit PCM WAV files ``<prefix>_000.wav``, ... in ``folder``.

    Parameters
    ----------
    samples : array (n, samples) or (samples,), floats in [-1, 1] (clipped beyond)
    folder : created if missing
    sample_rate : the rate of ``samples`` (the model rate for ``GANSynthesizer.sample``)
    out_rate : resample to this rate before writing (default: keep ``sample_rate``)
    prefix : file name prefix

    Returns
    -------
    list of Path, the files written
    """
    sf = _require("soundfile")
    arr = np.asarray(samples.detach().cpu() if isinstance(samples, torch.Tensor) else samples)
    if arr.ndim == 1:
        arr = arr[None]
    if arr.ndim != 2 or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"`samples` must be a numeric array (n, samples), got shape {arr.shape}.")
    for name, value in (("sample_rate", sample_rate), ("out_rate", out_rate)):
        if value is not None and (not isinstance(value, (int, np.integer)) or value <= 0):
            raise ValueError(f"`{name}` must be a positive int (Hz), got {value!r}.")
    rate = int(sample_rate)
    if out_rate is not None and int(out_rate) != rate:
        arr, rate = resample(arr, rate, int(out_rate)), int(out_rate)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    width = max(3, len(str(len(arr) - 1)))
    paths = []
    for i, clip in enumerate(np.clip(arr.astype(np.float32), -1.0, 1.0)):
        path = out / f"{prefix}_{i:0{width}d}.wav"
        sf.write(str(path), clip, rate, subtype="PCM_16")
        paths.append(path)
    return paths
