"""A third-party adapter in one file: windows of a univariate time series.

Written from CONTRIBUTING.md ("Writing an adapter") alone: a :class:`tabgan.BaseAdapter`
subclass with the seven required hooks, registered under the name ``"timeseries"``, proved
with :func:`tabgan.testing.check_adapter`, then fitted and sampled like any built-in adapter.

The data are windows of a series, an array of shape (n, length) (``windows()`` cuts them);
they are standardized with the series' mean and spread. The generator is an MLP from the
latent vector to a window; the critic is a small 1-D convolutional net that reads a PacGAN pack
of ``pac`` windows as ``pac`` input channels.

    python examples/timeseries_adapter.py          # about 30 s on one core
    TABGAN_QUICK=1 python examples/timeseries_adapter.py   # a few seconds (CI)
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from tabgan import BaseAdapter, Encoded, GANSynthesizer, register
from tabgan.testing import check_adapter


def windows(series: np.ndarray, length: int, stride: int = 1) -> np.ndarray:
    """Overlapping windows ``(n, length)`` of a 1-D series, ``stride`` samples apart."""
    return np.lib.stride_tricks.sliding_window_view(np.asarray(series), length)[::stride].copy()


class _Generator(nn.Module):
    """``generator(z, cond) -> raw`` windows of shape (B, length), standardized."""

    def __init__(self, latent_dim: int, length: int, hidden: tuple[int, ...]) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = latent_dim
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(0.2)]
            width = h
        layers.append(nn.Linear(width, length))
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z)  # unconditional: cond is always None (cond_dim is 0)


class _Critic(nn.Module):
    """``critic(x_packed, cond_packed) -> scores``.

    A pack is ``pac`` windows concatenated along the feature axis, (B // pac, pac * length):
    viewed as (B // pac, pac, length), the windows of a pack are the input channels.
    """

    def __init__(self, length: int, pac: int, channels: tuple[int, ...]) -> None:
        super().__init__()
        self.pac, self.length = pac, length
        layers: list[nn.Module] = []
        width, size = pac, length
        for c in channels:  # kernel 5, stride 2, padding 2: length -> ceil(length / 2)
            layers += [nn.Conv1d(width, c, 5, stride=2, padding=2), nn.LeakyReLU(0.2)]
            width, size = c, (size - 1) // 2 + 1
        self.conv = nn.Sequential(*layers)
        self.out = nn.Linear(width * size, 1)

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        h = self.conv(x.reshape(len(x), self.pac, self.length))
        return self.out(h.flatten(1)).squeeze(-1)  # one score per pack


@register
class TimeSeriesAdapter(BaseAdapter):
    """Windows of a univariate series, shape (n, length), standardized.

    Parameters
    ----------
    hidden : tuple of int, default=(128, 128)
        Hidden widths of the generator's MLP.
    channels : tuple of int, default=(16, 32)
        Channels of the critic's convolutions (kernel 5, stride 2).
    """

    name: ClassVar[str] = "timeseries"
    #: Keyed by GANSynthesizer parameter names; the user's values win over these.
    training_defaults: ClassVar[dict[str, Any]] = {
        "loss": "minimax",
        "r1": 0.1,
        "epochs": 300,
        "batch_size": 64,
        "latent_dim": 16,
        "generator_lr": 1e-3,
        "discriminator_lr": 1e-3,
        "betas": (0.5, 0.999),
    }

    def __init__(self, hidden: tuple[int, ...] = (128, 128), channels: tuple[int, ...] = (16, 32)):
        # parameters stored as given (sklearn.base.clone checks it); validated in _fit
        self.hidden = hidden
        self.channels = channels

    # -- data -------------------------------------------------------------------------------
    def _check(self, data: Any, length: int | None = None) -> np.ndarray:
        """The windows as float32 (n, length), or TypeError/ValueError saying what is wrong."""
        if isinstance(data, torch.Tensor):
            data = data.detach().cpu().numpy()
        arr = np.asarray(data) if isinstance(data, (np.ndarray, list, tuple)) else None
        if arr is None or not (np.issubdtype(arr.dtype, np.number) and arr.dtype != np.bool_):
            raise TypeError(
                "The timeseries adapter needs a numeric array of windows (n, length); got "
                f"{type(data).__name__}{'' if arr is None else f' of dtype {arr.dtype}'}."
            )
        if arr.ndim != 2 or arr.shape[0] == 0:
            raise ValueError(f"Windows must be a non-empty 2-D array (n, length), got {arr.shape}.")
        if arr.shape[1] < 8:
            raise ValueError(f"Windows need a length of at least 8, got {arr.shape[1]}.")
        if not np.isfinite(arr).all():
            raise ValueError("The windows hold NaN or infinite values.")
        if length is not None and arr.shape[1] != length:
            raise ValueError(f"Windows of length {arr.shape[1]}; the adapter was fit on {length}.")
        return arr.astype(np.float32)

    def _fit(self, data: Any, y: Any, rng: np.random.Generator) -> None:
        # no **fit_params: an unknown fit option raises TypeError naming it
        for name in ("hidden", "channels"):
            value = getattr(self, name)
            if not (
                isinstance(value, (tuple, list))
                and value
                and all(isinstance(v, int) and v > 0 for v in value)
            ):
                raise ValueError(
                    f"`{name}` must be a non-empty tuple of positive ints, got {value!r}."
                )
        arr = self._check(data)
        self.length_ = arr.shape[1]
        # (mean, spread), kept as the float32 tensor that is saved: a loaded adapter decodes
        # bit for bit as this one does
        self.location_ = torch.tensor([arr.mean(), arr.std() or 1.0], dtype=torch.float32)

    def _encode(self, data: Any, y: Any) -> Encoded:
        x = torch.from_numpy(self._check(data, self.length_))
        return Encoded((x - self.location_[0]) / self.location_[1])  # float32 (n, length)

    def _decode(self, x: torch.Tensor, rng: np.random.Generator) -> np.ndarray:
        return (x.detach().cpu().float() * self.location_[1] + self.location_[0]).numpy()

    # -- networks ---------------------------------------------------------------------------
    def build_generator(self, latent_dim: int) -> nn.Module:
        return _Generator(latent_dim, self.length_, tuple(self.hidden))

    def build_discriminator(self, pac: int) -> nn.Module:
        return _Critic(self.length_, pac, tuple(self.channels))

    # -- state: JSON values and named tensors, no pickle ------------------------------------
    def _get_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        return {"length": self.length_}, {"location": self.location_}

    def _set_state(self, config: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        self.length_ = int(config["length"])
        self.location_ = tensors["location"]
        if self.location_.shape != (2,):
            raise ValueError("the timeseries state's `location` must hold (mean, spread)")


# -- the demo -----------------------------------------------------------------------------------
def lag1_autocorrelation(w: np.ndarray) -> float:
    a, b = w[:, :-1] - w.mean(1, keepdims=True), w[:, 1:] - w.mean(1, keepdims=True)
    return float(np.mean((a * b).sum(1) / np.sqrt((a * a).sum(1) * (b * b).sum(1))))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true", default=bool(os.environ.get("TABGAN_QUICK")))
    args = p.parse_args(argv)

    rng = np.random.default_rng(0)
    t = np.arange(3000)
    series = 2.0 + np.sin(2 * np.pi * t / 20) + 0.1 * rng.standard_normal(len(t))
    data = windows(series, 32, stride=3)  # 990 windows of 32 samples

    # 1. prove the adapter: the contract's checks on a small configuration and 64 windows
    check_adapter(TimeSeriesAdapter(hidden=(16,), channels=(4,)), data[:64])
    print("check_adapter(TimeSeriesAdapter): every check passed")

    # 2. use it by name, like a built-in adapter
    model = GANSynthesizer(
        "timeseries", epochs=2 if args.quick else 150, random_state=0, verbose=not args.quick
    )
    model.fit(data)
    fake = model.sample(500, random_state=0)
    print(f"real: {data.shape}, synthetic: {fake.shape} {fake.dtype}")
    for what, w in (("real", data), ("synthetic", fake)):
        print(
            f"{what:>9}: mean {w.mean():.2f}  std {w.std():.2f}  "
            f"lag-1 autocorrelation {lag1_autocorrelation(w):.2f}"
        )
    with tempfile.TemporaryDirectory() as tmp:
        again = GANSynthesizer.load(model.save(Path(tmp) / "timeseries-model"))
        same = np.array_equal(again.sample(500, random_state=0), fake)
    print(f"saved and loaded: identical samples {same}")


if __name__ == "__main__":
    main()
