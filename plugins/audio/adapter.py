"""The ``audio`` adapter: WaveGAN on raw waveforms, optionally conditioned on a label."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from tabgan.estimator.adapters import BaseAdapter, Encoded, TrainingSampler, register

from .io import LoadedAudio, load_audio
from .networks import WaveGANConfig, WaveGANDiscriminator, WaveGANGenerator, strides_for

__all__ = ["AudioAdapter"]


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"`{name}` must be a positive int, got {value!r}.")
    return int(value)


@register
class AudioAdapter(BaseAdapter):
    """Raw-waveform audio with WaveGAN (Donahue et al. 2019).

    Parameters
    ----------
    sample_rate : int, default=16000
        The model's rate in Hz; input is resampled to it (the source rates are recorded in
        ``source_rates_``).
    slice_len : int, default=16384
        Samples per clip: 16384, 32768 or 65536 as in the paper, or 1024/4096 for quick runs.
        Longer clips are cropped from the start, shorter ones zero-padded at the end.
    width : int, default=64
        The paper's model size ``d``; 16 or 32 train in minutes on a CPU.
    phase_shuffle : int, default=2
        Phase-shuffle radius in the discriminator (0 turns it off).
    normalize : bool, default=True
        Divide by the training data's peak absolute value (``scale_``) so it fills [-1, 1];
        samples are multiplied back.
    conditional : bool, default=True
        Condition on labels when the data has them (``y``, the fit parameter ``labels`` or
        sub-folder names); the label values are kept as strings in ``label_names_``.
    on_error : {"raise", "skip"}, default="raise"
        For unreadable, empty or odd-channel files: raise naming them, or skip them with a
        warning naming them.

    Fit parameters: ``sample_rate=`` (rate of an array's samples), ``labels=`` (the labels,
    as an alternative to ``y``).
    """

    name: ClassVar[str] = "audio"
    supports_labels: ClassVar[bool] = True
    _cache: tuple[Any, Any, LoadedAudio] | None
    #: WaveGAN's training recipe: WGAN-GP (lambda 10), 5 critic steps, Adam 1e-4 (0.5, 0.9),
    #: batch 64, a 100-d latent. No EMA, as in the paper.
    training_defaults: ClassVar[dict[str, Any]] = {
        "loss": "wgan",
        "gradient_penalty": 10.0,
        "n_critic": 5,
        "generator_lr": 1e-4,
        "discriminator_lr": 1e-4,
        "betas": (0.5, 0.9),
        "batch_size": 64,
        "latent_dim": 100,
        "epochs": 200,
        "ema_decay": 0.0,
    }

    def __init__(
        self,
        sample_rate: int = 16000,
        slice_len: int = 16384,
        width: int = 64,
        phase_shuffle: int = 2,
        normalize: bool = True,
        conditional: bool = True,
        on_error: str = "raise",
    ) -> None:
        self.sample_rate = sample_rate
        self.slice_len = slice_len
        self.width = width
        self.phase_shuffle = phase_shuffle
        self.normalize = normalize
        self.conditional = conditional
        self.on_error = on_error

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state.pop("_cache", None)  # the clips just read: never pickled nor copied
        return state

    # -- reading ------------------------------------------------------------------------------
    def _validate(self) -> None:
        _positive_int("sample_rate", self.sample_rate)
        _positive_int("width", self.width)
        strides_for(self.slice_len)
        if (
            isinstance(self.phase_shuffle, bool)
            or not isinstance(self.phase_shuffle, (int, np.integer))
            or self.phase_shuffle < 0
        ):
            raise ValueError(f"`phase_shuffle` must be an int >= 0, got {self.phase_shuffle!r}.")
        if self.on_error not in ("raise", "skip"):
            raise ValueError(f'`on_error` must be "raise" or "skip", got {self.on_error!r}.')

    def _load(self, data: Any, source_rate: int | None, labels: Any) -> LoadedAudio:
        return load_audio(
            data,
            rate=int(self.sample_rate),
            length=int(self.slice_len),
            source_rate=source_rate,
            labels=labels,
            on_error=self.on_error,
        )

    def _fit(
        self,
        data: Any,
        y: Any,
        rng: np.random.Generator,
        *,
        labels: Any = None,
        sample_rate: int | None = None,
    ) -> None:
        """Read the clips, record rates, scale and labels (``y`` or ``labels``, else the
        sub-folder names)."""
        self._validate()
        if y is not None and labels is not None:
            raise ValueError("Give the labels once, as `y` or as `labels`, not both.")
        self._cache = None
        given = y if y is not None else labels
        loaded = self._load(data, sample_rate, given)
        self.input_rate_ = sample_rate
        self.source_rates_ = loaded.source_rates
        self.resampled_ = any(r != int(self.sample_rate) for r in loaded.source_rates)
        self.n_channels_ = loaded.n_channels
        self.n_clips_ = len(loaded.clips)
        peak = float(np.abs(loaded.clips).max())
        if self.normalize and peak == 0.0:
            raise ValueError("Every training clip is silent (all zeros).")
        self.scale_ = peak if self.normalize else 1.0
        if self.normalize:
            loaded.clips = loaded.clips / np.float32(self.scale_)
        elif peak > 1.0:
            raise ValueError(
                f"With normalize=False the clips must lie in [-1, 1]; their peak is {peak:.3g}."
            )
        if self.conditional and loaded.labels is not None:
            self._fit_labels(loaded.labels)
        self._cache = (data, given, loaded)

    def _read(self, data: Any, y: Any) -> LoadedAudio:
        """The clips of ``data`` (scaled like the training clips) and their labels.

        The clips just read by ``fit`` or ``encode`` are reused when ``data`` is the same object
        and ``y`` is None or the same object; otherwise ``data`` is read at the fitted input rate.
        """
        cached = getattr(self, "_cache", None)
        if cached is not None and cached[0] is data and (y is None or y is cached[1]):
            return cached[2]
        loaded = self._load(data, self.input_rate_, y)
        loaded.clips = loaded.clips / np.float32(self.scale_)
        self._cache = (data, y, loaded)
        return loaded

    def _encode(self, data: Any, y: Any) -> Encoded:
        """Clips as a float tensor (n, 1, slice_len) in [-1, 1], with their label codes.

        A label-conditional model needs the labels of the clips (``y``, or sub-folders named by
        label), each one it knows: on resuming a checkpointed run they come only from here.
        """
        loaded = self._read(data, y)
        clips = torch.from_numpy(np.ascontiguousarray(loaded.clips, np.float32)).unsqueeze(1)
        if not self.label_names_:
            if self.conditional and loaded.labels is not None:
                raise ValueError(
                    "This audio model was trained without labels; encode (or resume training "
                    "on) its clips without them."
                )
            return Encoded(clips)
        if loaded.labels is None:
            raise ValueError(
                "This audio model is label-conditional: encode (or resume training on) its "
                "clips with their labels (`y`, or sub-folders named by label)."
            )
        return Encoded(clips, self._label_codes(loaded.labels))

    def canonical_view(self, data: Any) -> np.ndarray:
        """The clips as read (for the engine's memorization guard), labels left aside."""
        cached = getattr(self, "_cache", None)
        if cached is not None and cached[0] is data:
            clips = cached[2].clips
        else:
            clips = self._load(data, self.input_rate_, None).clips / np.float32(self.scale_)
        return np.ascontiguousarray(clips, np.float32)

    def _decode(self, x: torch.Tensor, rng: np.random.Generator) -> np.ndarray:
        """Float32 array (n, slice_len) at ``sample_rate``, on the training data's scale."""
        out = x.detach().cpu().float().reshape(len(x), -1).numpy() * np.float32(self.scale_)
        return out.astype(np.float32, copy=False)

    # -- networks -----------------------------------------------------------------------------
    def _config(self, latent_dim: int = 100) -> WaveGANConfig:
        return WaveGANConfig(
            latent_dim=latent_dim,
            width=int(self.width),
            slice_len=int(self.slice_len),
            phase_shuffle=int(self.phase_shuffle),
            n_labels=self.cond_dim,
        )

    def build_generator(self, latent_dim: int) -> nn.Module:
        return WaveGANGenerator(self._config(latent_dim))

    def build_discriminator(self, pac: int) -> nn.Module:
        return WaveGANDiscriminator(self._config(), pac=pac)

    def make_sampler(self, encoded: Encoded) -> TrainingSampler:
        self._cache = None  # training has its tensor; do not keep a second copy
        return super().make_sampler(encoded)

    # -- sampling -----------------------------------------------------------------------------
    def _sampling_conditions(self, n: int, conditions: Any) -> torch.Tensor | None:
        """One-hot labels for ``n`` samples.

        ``conditions`` may be ``{"label": name}``, ``{"label": [names...]}`` (one per sample),
        a label name, or a sequence of names (numbers are taken as their names, as the labels
        of the clips were). Without conditions on a conditional model the labels are drawn
        uniformly.
        """
        return super()._sampling_conditions(n, _as_names(conditions))

    # -- saving -------------------------------------------------------------------------------
    def _get_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        return {
            "sample_rate": int(self.sample_rate),
            "slice_len": int(self.slice_len),
            "scale": float(self.scale_),
            "input_rate": self.input_rate_,
            "source_rates": [int(r) for r in self.source_rates_],
            "resampled": bool(self.resampled_),
            "n_channels": int(self.n_channels_),
            "n_clips": int(self.n_clips_),
        }, {}

    def _set_state(self, config: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        """Also takes the configs of tabgan 0.1, which held the label names."""
        if int(config["sample_rate"]) != int(self.sample_rate) or int(config["slice_len"]) != int(
            self.slice_len
        ):
            raise ValueError("the audio state's rate/length disagree with the adapter params")
        self.scale_ = float(config["scale"])
        if "label_names" in config:  # format 1 (tabgan 0.1)
            self.label_names_ = [str(v) for v in config["label_names"]]
        self.input_rate_ = config["input_rate"]
        self.source_rates_ = [int(r) for r in config["source_rates"]]
        self.resampled_ = bool(config["resampled"])
        self.n_channels_ = int(config["n_channels"])
        self.n_clips_ = int(config["n_clips"])
        self._cache = None


def _as_names(conditions: Any) -> Any:
    """Label conditions with every label value as the string the clips' labels were read as."""
    if isinstance(conditions, Mapping):
        return {k: _as_names(v) for k, v in conditions.items()}
    if isinstance(conditions, (str, int, np.integer)) and not isinstance(conditions, bool):
        return str(conditions)
    if isinstance(conditions, np.ndarray) or (
        isinstance(conditions, Sequence) and not isinstance(conditions, (str, bytes))
    ):
        return [str(v) for v in conditions]
    return conditions
