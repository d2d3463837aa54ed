import pytest
import torch

from tabgan.engine.losses import LOSSES, get_loss
from tabgan.engine.regularizers import (
    gradient_penalty,
    instance_noise_std,
    mmd_rbf,
    pack,
    r1_penalty,
)


@pytest.mark.parametrize("name", list(LOSSES))
def test_discriminator_loss_prefers_a_discriminator_that_separates(name):
    loss = get_loss(name)
    good = loss.discriminator(torch.full((8,), 3.0), torch.full((8,), -3.0))
    bad = loss.discriminator(torch.full((8,), -3.0), torch.full((8,), 3.0))
    assert good < bad


@pytest.mark.parametrize("name", list(LOSSES))
def test_generator_loss_falls_as_fakes_look_real(name):
    loss = get_loss(name)
    d_real = torch.zeros(8)
    fooled = loss.generator(d_real, torch.full((8,), 2.0))
    caught = loss.generator(d_real, torch.full((8,), -2.0))
    assert fooled < caught


def test_losses_match_their_formulas():
    r, f = torch.tensor([0.5, 1.5]), torch.tensor([-1.0, 0.0])
    assert torch.isclose(LOSSES["wgan"].discriminator(r, f), f.mean() - r.mean())
    assert torch.isclose(LOSSES["hinge"].discriminator(r, f), torch.tensor((0.5 + 0 + 0 + 1) / 2))
    sig = torch.sigmoid
    expected = -(torch.log(sig(r)).mean() + torch.log(1 - sig(f)).mean())
    assert torch.isclose(LOSSES["minimax"].discriminator(r, f), expected, atol=1e-6)
    # non-saturating generator loss: -log D(G(z))
    assert torch.isclose(LOSSES["minimax"].generator(None, f), -torch.log(sig(f)).mean())
    # one-sided label smoothing moves only the real target
    smoothed = LOSSES["lsgan"].discriminator(torch.ones(2), torch.zeros(2), 0.1)
    assert torch.isclose(smoothed, torch.tensor(0.5 * 0.01))


def test_rsgan_generator_needs_real_scores():
    with pytest.raises(ValueError, match="real"):
        LOSSES["rsgan"].generator(None, torch.zeros(3))


def test_unknown_loss_is_named():
    with pytest.raises(ValueError, match="'nope'.*minimax"):
        get_loss("nope")


def test_pack_concatenates_consecutive_samples():
    x = torch.arange(12.0).reshape(6, 2)
    packed = pack(x, 3)
    assert packed.shape == (2, 6)
    assert torch.equal(packed[0], torch.arange(6.0))
    audio = torch.randn(4, 1, 10)
    assert pack(audio, 2).shape == (2, 2, 10)
    with pytest.raises(ValueError, match="groups of 4"):
        pack(torch.zeros(6, 2), 4)


def _linear_critic(w):
    return lambda x, c: x.flatten(1) @ w


def test_gradient_penalty_of_a_linear_critic():
    real, fake = torch.randn(16, 3), torch.randn(16, 3)
    unit = torch.tensor([0.6, 0.8, 0.0])
    assert gradient_penalty(_linear_critic(unit), real, fake, None, None) < 1e-8
    double = 2 * unit
    assert torch.isclose(
        gradient_penalty(_linear_critic(double), real, fake, None, None),
        torch.tensor(1.0),
        atol=1e-5,
    )


def test_r1_of_a_linear_critic():
    w = torch.tensor([1.0, 2.0])
    assert torch.isclose(r1_penalty(_linear_critic(w), torch.randn(5, 2), None), torch.tensor(2.5))


def test_mmd_is_zero_for_the_same_batch_and_grows_with_a_shift():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 4, generator=g)
    y = torch.randn(64, 4, generator=g)
    same = mmd_rbf(x, x)
    near = mmd_rbf(x, y)
    far = mmd_rbf(x, y + 3.0)
    assert abs(float(same)) < 1e-6
    assert near < far


def test_instance_noise_anneals_to_zero():
    assert instance_noise_std(0.1, 0, 100) == pytest.approx(0.1)
    assert instance_noise_std(0.1, 50, 100) == pytest.approx(0.05)
    assert instance_noise_std(0.1, 100, 100) == 0.0
