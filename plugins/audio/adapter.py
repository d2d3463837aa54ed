"""The ``audio`` adapter: WaveGAN on raw waveforms, optionally conditioned on a label."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from tabgan.estimator.adapters import BaseAdapter, register

from .io import LoadedAudio, load_audio
from .networks import WaveGANConfig, WaveGANDiscriminator, WaveGANGenerator, strides_for

__all__ = ["AudioAdapter", "LabelSampler"]


class LabelSampler:
    """Real clips drawn uniformly with their one-hot labels; fake labels follow the data's mix."""

    def __init__(self, encoded: torch.Tensor, codes: torch.Tensor, n_labels: int) -> None:
        self.encoded = encoded
        self.onehot = torch.eye(n_labels, device=encoded.device)
        self.codes = codes.to(encoded.device)

    def sample_real(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        idx = torch.randint(len(self.encoded), (batch_size,), device=self.encoded.device)
        return self.encoded[idx], self.onehot[self.codes[idx]]

    def sample_condition(self, batch_size: int) -> tuple[torch.Tensor, None]:
        idx = torch.randint(len(self.codes), (batch_size,), device=self.codes.device)
        return self.onehot[self.codes[idx]], None

    def condition_loss(self, raw: torch.Tensor, info: Any) -> None:
        return None


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
        Condition on labels when the data has them (sub-folder names or ``y``).
    on_error : {"raise", "skip"}, default="raise"
        For unreadable, empty or odd-channel files: raise naming them, or skip them with a
        warning naming them.

    Fit parameters: ``sample_rate=`` (rate of an array's samples), ``y=``/``labels=``.
    """

    name: ClassVar[str] = "audio"
    _codes: torch.Tensor | None
    #: WaveGAN's training recipe: WGAN-GP (lambda 10), 5 critic steps, Adam 1e-4 (0.5, 0.9),
    #: batch 64, a 100-d latent. No EMA, as in the paper.
    training_defaults: ClassVar[dict[str, Any]] = {
        "loss": "wgan",
        "gradient_penalty": 10.0,
        "n_critic": 5,
        "lr": 1e-4,
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
        cached = getattr(self, "_cache", None)
        if cached is not None and cached[0] is data:
            return cached[1]
        return load_audio(
            data,
            rate=int(self.sample_rate),
            length=int(self.slice_len),
            source_rate=source_rate,
            labels=labels,
            on_error=self.on_error,
        )

    def fit(
        self,
        data: Any,
        *,
        rng: np.random.Generator,
        y: Any = None,
        labels: Any = None,
        sample_rate: int | None = None,
    ) -> AudioAdapter:
        """Read the clips, record rates, scale and labels."""
        self._validate()
        if y is not None and labels is not None:
            raise ValueError("Give the labels once, as `y` or as `labels`, not both.")
        self._cache = None
        loaded = self._load(data, sample_rate, y if y is not None else labels)
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
            self.label_names_ = sorted(set(loaded.labels))
            lookup = {name: i for i, name in enumerate(self.label_names_)}
            self._codes = torch.tensor([lookup[v] for v in loaded.labels], dtype=torch.long)
        else:
            self.label_names_ = []
            self._codes = None
        self._cache = (data, loaded)
        return self

    def resume(
        self,
        data: Any,
        *,
        y: Any = None,
        labels: Any = None,
        sample_rate: int | None = None,
    ) -> AudioAdapter:
        """Take up a checkpointed run: read its clips and their labels, learning nothing.

        The engine calls this instead of :meth:`fit` when training resumes from a checkpoint,
        after the state (scale, rates, label names) was restored from it. A label-conditional
        run needs the labels of its clips again (``y``, ``labels`` or sub-folder names), each
        one the run knew; the checkpoint holds no per-clip information.
        """
        self._validate()
        if y is not None and labels is not None:
            raise ValueError("Give the labels once, as `y` or as `labels`, not both.")
        if sample_rate is not None and sample_rate != self.input_rate_:
            raise ValueError(
                f"The checkpointed run read its clips with sample_rate={self.input_rate_!r}, "
                f"not {sample_rate!r}."
            )
        self._cache = None
        loaded = self._load(data, self.input_rate_, y if y is not None else labels)
        loaded.clips = loaded.clips / np.float32(self.scale_)
        self._codes = None
        if self.label_names_:
            if loaded.labels is None:
                raise ValueError(
                    "The checkpoint is of a label-conditional run: resume it with the labels "
                    "of its clips (`y`)."
                )
            lookup = {name: i for i, name in enumerate(self.label_names_)}
            unknown = sorted({v for v in loaded.labels if v not in lookup})
            if unknown:
                raise ValueError(
                    f"Unknown label(s) {unknown}: the checkpointed run knew {self.label_names_}."
                )
            self._codes = torch.tensor([lookup[v] for v in loaded.labels], dtype=torch.long)
        elif self.conditional and loaded.labels is not None:
            raise ValueError("The checkpoint is of a run without labels; resume it without them.")
        self._cache = (data, loaded)
        return self

    def encode(self, data: Any) -> torch.Tensor:
        """Clips as a float tensor (n, 1, slice_len) in [-1, 1]."""
        cached = getattr(self, "_cache", None)
        if cached is not None and cached[0] is data:
            clips = cached[1].clips
        else:
            clips = self._load(data, self.input_rate_, None).clips / np.float32(self.scale_)
        return torch.from_numpy(np.ascontiguousarray(clips, np.float32)).unsqueeze(1)

    def hashable_view(self, data: Any) -> np.ndarray:
        """The clips as read (for the engine's memorization guard)."""
        return self.encode(data).squeeze(1).numpy()

    def decode(self, x: torch.Tensor, *, rng: np.random.Generator) -> np.ndarray:
        """Float32 array (n, slice_len) at ``sample_rate``, on the training data's scale."""
        out = x.detach().cpu().float().reshape(len(x), -1).numpy() * np.float32(self.scale_)
        return out.astype(np.float32, copy=False)

    # -- networks -----------------------------------------------------------------------------
    @property
    def cond_dim(self) -> int:
        return len(getattr(self, "label_names_", []))

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

    def activate(self, raw: torch.Tensor, *, hard: bool = False) -> torch.Tensor:
        return raw  # the generator ends in tanh

    def make_sampler(self, encoded: torch.Tensor) -> Any:
        codes = getattr(self, "_codes", None)
        self._cache = None  # training has its tensor; do not keep a second copy
        if self.cond_dim and codes is not None and len(codes) == len(encoded):
            return LabelSampler(encoded, codes, self.cond_dim)
        return super().make_sampler(encoded)

    # -- sampling -----------------------------------------------------------------------------
    def sampling_conditions(self, n: int, conditions: Any) -> torch.Tensor | None:
        """One-hot labels for ``n`` samples.

        ``conditions`` may be ``{"label": name}``, ``{"label": [names...]}`` (one per sample),
        a label name, or a sequence of names. Without conditions on a conditional model the
        labels are drawn uniformly.
        """
        k = self.cond_dim
        if conditions is None:
            if not k:
                return None
            idx = torch.randint(k, (n,))
            return torch.eye(k)[idx]
        if not k:
            raise ValueError(
                "This audio model was trained without labels; it takes no `conditions`."
            )
        if isinstance(conditions, Mapping):
            extra = set(conditions) - {"label"}
            if extra:
                raise ValueError(
                    f"Unknown condition key(s) {sorted(map(str, extra))}; the audio adapter "
                    'takes only {"label": ...}.'
                )
            if "label" not in conditions:
                raise ValueError('Audio conditions need the key "label".')
            conditions = conditions["label"]
        if isinstance(conditions, (str, int, np.integer)):
            wanted = [str(conditions)] * n
        elif isinstance(conditions, Sequence) or isinstance(conditions, np.ndarray):
            wanted = [str(v) for v in conditions]
            if len(wanted) != n:
                raise ValueError(f"Got {len(wanted)} labels for n={n} samples.")
        else:
            raise TypeError(f"Unsupported `conditions` of type {type(conditions).__name__}.")
        lookup = {name: i for i, name in enumerate(self.label_names_)}
        unknown = sorted({w for w in wanted if w not in lookup})
        if unknown:
            raise ValueError(f"Unknown label(s) {unknown}; the model knows {self.label_names_}.")
        return torch.eye(k)[torch.tensor([lookup[w] for w in wanted])]

    # -- saving -------------------------------------------------------------------------------
    def get_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        return {
            "sample_rate": int(self.sample_rate),
            "slice_len": int(self.slice_len),
            "scale": float(self.scale_),
            "label_names": list(self.label_names_),
            "input_rate": self.input_rate_,
            "source_rates": [int(r) for r in self.source_rates_],
            "resampled": bool(self.resampled_),
            "n_channels": int(self.n_channels_),
            "n_clips": int(self.n_clips_),
        }, {}

    def set_state(self, config: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        if int(config["sample_rate"]) != int(self.sample_rate) or int(config["slice_len"]) != int(
            self.slice_len
        ):
            raise ValueError("the audio state's rate/length disagree with the adapter params")
        self.scale_ = float(config["scale"])
        self.label_names_ = [str(v) for v in config["label_names"]]
        self.input_rate_ = config["input_rate"]
        self.source_rates_ = [int(r) for r in config["source_rates"]]
        self.resampled_ = bool(config["resampled"])
        self.n_channels_ = int(config["n_channels"])
        self.n_clips_ = int(config["n_clips"])
        self._codes = None
