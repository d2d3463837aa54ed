"""WaveGAN networks (Donahue et al. 2019, "Adversarial Audio Synthesis") in PyTorch.

The generator maps a latent vector through a dense layer to ``(16 * width * m, 16)`` and then
through 1-D transposed convolutions (kernel 25, stride 4, ReLU, no BatchNorm) to a waveform in
``[-1, 1]`` (tanh). The discriminator mirrors it with strided 1-D convolutions (kernel 25,
LeakyReLU 0.2) and phase shuffle between layers. Longer slices add a layer, as in the paper.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "SLICE_LENGTHS",
    "WaveGANConfig",
    "WaveGANDiscriminator",
    "WaveGANGenerator",
    "phase_shuffle",
    "strides_for",
]

KERNEL = 25
#: Strides of the upsampling layers (generator order) for each supported slice length. 16384,
#: 32768 and 65536 are the paper's; 1024 and 4096 are shorter variants for tests and CPU runs.
SLICE_LENGTHS: dict[int, tuple[int, ...]] = {
    1024: (4, 4, 4),
    4096: (4, 4, 4, 4),
    16384: (4, 4, 4, 4, 4),
    32768: (4, 4, 4, 4, 4, 2),
    65536: (4, 4, 4, 4, 4, 4),
}


def strides_for(slice_len: int) -> tuple[int, ...]:
    """The upsampling strides for ``slice_len``; ValueError for an unsupported length."""
    if slice_len not in SLICE_LENGTHS:
        raise ValueError(f"`slice_len` must be one of {sorted(SLICE_LENGTHS)}, got {slice_len!r}.")
    return SLICE_LENGTHS[slice_len]


@dataclass(frozen=True)
class WaveGANConfig:
    """Hyper-parameters shared by the two networks.

    ``width`` is the paper's model size ``d`` (64); ``n_labels`` > 0 adds label conditioning.
    """

    latent_dim: int = 100
    width: int = 64
    slice_len: int = 16384
    phase_shuffle: int = 2
    n_labels: int = 0
    label_dim: int = 32
    leaky: float = 0.2

    @property
    def strides(self) -> tuple[int, ...]:
        return strides_for(self.slice_len)

    @property
    def top_channels(self) -> int:
        """Channels at the 16-sample end: ``width * 2 ** (layers - 1)`` (16d at 16384)."""
        return self.width * 2 ** (len(self.strides) - 1)


def _padding(stride: int) -> tuple[int, int]:
    """(padding, output_padding) so a kernel-25 layer scales the length exactly by ``stride``."""
    return {4: (11, 1), 2: (12, 1)}[stride]


def phase_shuffle(x: torch.Tensor, radius: int) -> torch.Tensor:
    """Shift each example of ``x`` (B, C, T) by its own random offset in ``[-radius, radius]``.

    The hole a shift leaves is filled by reflection, as in WaveGAN. One gather for the whole
    batch: ``out[b, :, t] = x[b, :, t - k_b]`` with indices reflected at the edges.
    """
    if radius <= 0:
        return x
    b, _, t = x.shape
    shifts = torch.randint(-radius, radius + 1, (b, 1, 1), device=x.device)
    padded = F.pad(x, (radius, radius), mode="reflect")
    index = torch.arange(t, device=x.device).view(1, 1, t) + radius - shifts
    return padded.gather(2, index.expand(b, x.shape[1], t))


class WaveGANGenerator(nn.Module):
    """``forward(z, cond) -> (B, 1, slice_len)`` in ``[-1, 1]``.

    ``cond`` is a one-hot (or soft) label vector; a bias-free linear layer embeds it (a learned
    embedding that also accepts soft vectors) and the embedding is appended to ``z``.
    """

    def __init__(self, cfg: WaveGANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        in_dim = cfg.latent_dim
        self.embed: nn.Linear | None = None
        if cfg.n_labels:
            self.embed = nn.Linear(cfg.n_labels, cfg.label_dim, bias=False)
            in_dim += cfg.label_dim
        ch = cfg.top_channels
        self.fc = nn.Linear(in_dim, 16 * ch)
        layers: list[nn.Module] = []
        for i, stride in enumerate(cfg.strides):
            last = i == len(cfg.strides) - 1
            out = 1 if last else ch // 2
            pad, out_pad = _padding(stride)
            layers.append(nn.ConvTranspose1d(ch, out, KERNEL, stride, pad, out_pad))
            layers.append(nn.Tanh() if last else nn.ReLU())
            ch = out
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        if self.embed is not None:
            if cond is None:
                raise ValueError("This generator is conditional: it needs a label vector.")
            z = torch.cat([z, self.embed(cond)], dim=1)
        h = F.relu(self.fc(z)).view(len(z), self.cfg.top_channels, 16)
        return self.net(h)


class WaveGANDiscriminator(nn.Module):
    """``forward(x, cond) -> scores (B,)`` for packed waveforms ``x`` of shape (B, pac, T).

    Conditioning is by projection (Miyato & Koyama 2018): the packed label vector is mapped to
    the feature size and its inner product with the features is added to the score.
    """

    def __init__(self, cfg: WaveGANConfig, pac: int = 1) -> None:
        super().__init__()
        self.cfg = cfg
        self.pac = pac
        convs: list[nn.Module] = []
        ch_in, ch = pac, cfg.width
        for stride in reversed(cfg.strides):
            pad = {4: 11, 2: 12}[stride]
            convs.append(nn.Conv1d(ch_in, ch, KERNEL, stride, pad))
            ch_in, ch = ch, ch * 2
        self.convs = nn.ModuleList(convs)
        feat = 16 * cfg.top_channels
        self.fc = nn.Linear(feat, 1)
        self.project: nn.Linear | None = None
        if cfg.n_labels:
            self.project = nn.Linear(pac * cfg.n_labels, feat, bias=False)

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        h = x
        last = len(self.convs) - 1
        for i, conv in enumerate(self.convs):
            h = F.leaky_relu(conv(h), self.cfg.leaky)
            if i < last:
                h = phase_shuffle(h, self.cfg.phase_shuffle)
        h = h.flatten(1)
        score = self.fc(h).squeeze(1)
        if self.project is not None:
            if cond is None:
                raise ValueError("This discriminator is conditional: it needs a label vector.")
            score = score + (self.project(cond) * h).sum(1)
        return score
