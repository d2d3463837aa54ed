"""WaveGAN networks: shapes for every slice length, PacGAN channels, vectorized phase shuffle."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from tabgan.plugins.audio import (
    SLICE_LENGTHS,
    WaveGANConfig,
    WaveGANDiscriminator,
    WaveGANGenerator,
    phase_shuffle,
)


def _reflect_shift(x: torch.Tensor, k: int, r: int) -> torch.Tensor:
    """Reference: one example shifted by k with reflection, written out the slow way."""
    padded = F.pad(x[None], (r, r), mode="reflect")[0]
    return padded[..., r - k : r - k + x.shape[-1]]


def test_phase_shuffle_shifts_each_example_within_radius_with_reflection():
    torch.manual_seed(0)
    r = 2
    x = torch.randn(64, 3, 50)
    out = phase_shuffle(x, r)
    assert out.shape == x.shape
    found = []
    for b in range(len(x)):
        matches = [k for k in range(-r, r + 1) if torch.equal(out[b], _reflect_shift(x[b], k, r))]
        assert len(matches) == 1, f"example {b} is not a reflect-padded shift within radius {r}"
        found.append(matches[0])
    # every channel of an example moves together, and the shifts differ between examples
    assert set(found) == set(range(-r, r + 1))


def test_phase_shuffle_reflects_not_wraps_or_zero_pads():
    x = torch.arange(1.0, 9.0).view(1, 1, 8).repeat(200, 1, 1)
    out = phase_shuffle(x, 2)
    firsts = {tuple(row[0, :3].tolist()) for row in out}
    # shift +2 gives [3, 2, 1, ...], +1 gives [2, 1, 2, ...] (reflection, never 0 or 8 wrapping)
    assert (3.0, 2.0, 1.0) in firsts and (2.0, 1.0, 2.0) in firsts
    assert not any(0.0 in f or 8.0 in f for f in firsts)
    assert torch.equal(phase_shuffle(x, 0), x)


def test_phase_shuffle_passes_gradients():
    x = torch.randn(4, 2, 16, requires_grad=True)
    phase_shuffle(x, 2).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


@pytest.mark.parametrize("slice_len", sorted(SLICE_LENGTHS))
def test_networks_shapes(slice_len):
    cfg = WaveGANConfig(latent_dim=100, width=2, slice_len=slice_len, n_labels=3)
    g, d = WaveGANGenerator(cfg), WaveGANDiscriminator(cfg, pac=2)
    cond = torch.eye(3)[[0, 1, 2, 1]]
    x = g(torch.randn(4, 100), cond)
    assert x.shape == (4, 1, slice_len)
    assert x.abs().max() <= 1.0
    assert d.convs[0].in_channels == 2  # PacGAN: pac input channels
    assert d(x.reshape(2, 2, slice_len), cond.reshape(2, 6)).shape == (2,)


def test_paper_architecture_at_16384():
    cfg = WaveGANConfig(width=64, slice_len=16384)
    g, d = WaveGANGenerator(cfg), WaveGANDiscriminator(cfg)
    convs = [m for m in g.modules() if isinstance(m, torch.nn.ConvTranspose1d)]
    assert [m.in_channels for m in convs] == [1024, 512, 256, 128, 64]
    assert all(m.kernel_size == (25,) and m.stride == (4,) for m in convs)
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in g.modules())
    assert [c.out_channels for c in d.convs] == [64, 128, 256, 512, 1024]
    assert g.fc.in_features == 100 and g.fc.out_features == 16 * 1024


def test_unsupported_slice_len():
    with pytest.raises(ValueError, match="slice_len"):
        WaveGANGenerator(WaveGANConfig(slice_len=16000))
