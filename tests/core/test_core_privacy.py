"""Differential privacy in the engine and the estimator: accounting, DP-SGD, budget, saving."""

import json
import warnings

import numpy as np
import pytest
import torch
from torch import nn

pytest.importorskip("opacus")
# Opacus' own accountant (called here to check ours) notes when a tighter bound may exist
pytestmark = pytest.mark.filterwarnings("ignore:Optimal order is the:UserWarning")

from opacus.accountants import RDPAccountant  # noqa: E402
from opacus.accountants.utils import get_noise_multiplier  # noqa: E402

from tabgan import DPConfig, GANSynthesizer, VectorAdapter  # noqa: E402
from tabgan.engine.config import TrainingConfig  # noqa: E402
from tabgan.engine.data import DataSampler, Encoded  # noqa: E402
from tabgan.engine.dp_sgd import PER_ROW_TERMS, PrivateCritic  # noqa: E402
from tabgan.engine.losses import get_loss  # noqa: E402
from tabgan.engine.privacy import (  # noqa: E402
    GaussianRelease,
    PrivacyPlan,
    max_steps,
    plan_training,
)
from tabgan.engine.training import GANTrainer  # noqa: E402
from tabgan.engine.utils import local_torch_rng  # noqa: E402

CPU = torch.device("cpu")


def blobs(n=400, seed=0):
    rng = np.random.default_rng(seed)
    centers = np.array([[-1.0, 0.0], [1.0, 0.5]], np.float32)
    return (centers[rng.integers(0, 2, n)] + rng.normal(0, 0.1, (n, 2))).astype(np.float32)


def private(**kw):
    params = dict(
        adapter=VectorAdapter(hidden=(16, 16), standardize=False),
        epochs=3,
        batch_size=50,
        random_state=0,
        verbose=False,
        device="cpu",
        differential_privacy={"epsilon": 2.0, "delta": 1e-4},
    )
    params.update(kw)
    return GANSynthesizer(**params)


# -- the accountant --------------------------------------------------------------------------
def test_noise_and_epsilon_match_opacus_for_a_tiny_configuration():
    config = DPConfig(epsilon=2.0, delta=1e-5)
    plan = plan_training(config, None, n_rows=1000, batch_size=50, steps=100)
    assert plan.sample_rate == 0.05
    sigma = get_noise_multiplier(
        target_epsilon=2.0, target_delta=1e-5, sample_rate=0.05, steps=100, accountant="rdp"
    )
    assert plan.noise_multiplier == sigma
    opacus = RDPAccountant()
    opacus.history = [(sigma, 0.05, 100)]
    assert plan.epsilon(100) == pytest.approx(opacus.get_epsilon(1e-5), rel=1e-12)
    assert 2.0 - 0.01 <= plan.epsilon(100) <= 2.0
    assert plan.epsilons([0, 50, 100]) == pytest.approx([0.0, plan.epsilon(50), plan.epsilon(100)])


def test_preprocessing_releases_compose_in_the_same_accountant():
    config = DPConfig(epsilon=3.0, delta=1e-5)
    record = {
        "releases": [{"noise_multiplier": 8.0, "sample_rate": 1.0, "steps": 2}],
        "threshold_delta": 4e-6,
    }
    plan = plan_training(config, record, n_rows=2000, batch_size=100, steps=300)
    opacus = RDPAccountant()
    opacus.history = [(8.0, 1.0, 2), (plan.noise_multiplier, 0.05, 300)]
    spent = opacus.get_epsilon(1e-5 - 4e-6)
    assert plan.epsilon(300) == pytest.approx(spent, rel=1e-12)
    assert 3.0 - 0.01 <= spent <= 3.0
    # the preprocessing costs something: more noise than without it
    alone = plan_training(config, None, n_rows=2000, batch_size=100, steps=300)
    assert plan.noise_multiplier > alone.noise_multiplier
    report = plan.report(300)
    assert report["epsilon"] == pytest.approx(spent)
    assert report["epsilon_preprocessing"] + report["epsilon_sgd"] >= report["epsilon"]


def test_budget_steps_is_the_last_step_within_epsilon():
    prior = [GaussianRelease(10.0, 1.0, 1)]
    n = max_steps(1.0, 1e-5, 1.2, 0.02, prior)
    acc = RDPAccountant()
    acc.history = [(10.0, 1.0, 1), (1.2, 0.02, n)]
    assert acc.get_epsilon(1e-5) <= 1.0
    acc.history = [(10.0, 1.0, 1), (1.2, 0.02, n + 1)]
    assert acc.get_epsilon(1e-5) > 1.0


def test_config_checks():
    assert DPConfig.from_param({"epsilon": 1}) == DPConfig(epsilon=1.0)
    with pytest.raises(TypeError, match="Unknown differential_privacy key"):
        DPConfig.from_param({"epsilon": 1, "eps": 2})
    with pytest.raises(ValueError, match="needs an 'epsilon'"):
        DPConfig.from_param({"delta": 1e-5})
    for bad in ({"epsilon": 0}, {"epsilon": float("inf")}, {"epsilon": 1, "delta": 1.5}):
        with pytest.raises(ValueError, match="differential_privacy"):
            DPConfig.from_param(bad)
    with pytest.raises(TypeError, match="must be None, a DPConfig or a dict"):
        DPConfig.from_param(3.0)


# -- DP-SGD ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(PER_ROW_TERMS))
def test_per_row_terms_average_to_the_loss(name):
    g = torch.Generator().manual_seed(0)
    d_real, d_fake = torch.randn(7, generator=g), torch.randn(5, generator=g)
    smoothing = 0.1 if get_loss(name).supports_smoothing else 0.0
    t_real, t_fake = PER_ROW_TERMS[name](d_real, d_fake, smoothing)
    expected = get_loss(name).discriminator(d_real, d_fake, smoothing)
    assert (t_real.mean() + t_fake.mean()).item() == pytest.approx(expected.item(), rel=1e-6)


class _Gen(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Linear(3, 2)

    def forward(self, z, cond=None):
        return self.net(z)


class _Critic(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))

    def forward(self, x, cond=None):
        return self.net(x).squeeze(-1)


def _trainer(sigma, n_rows=40, batch=8):
    data = torch.randn(n_rows, 2)
    cfg = TrainingConfig(loss="minimax", batch_size=batch, latent_dim=3, ema_decay=0.0)
    trainer = GANTrainer(
        _Gen(), _Critic(), lambda x: x, DataSampler(Encoded(data)), cfg, torch.device("cpu"), 5
    )
    plan = PrivacyPlan(DPConfig(epsilon=1.0, max_grad_norm=0.05), (), 0.0, sigma, 0.5, 10, 10)
    trainer.privacy = PrivateCritic(plan, n_rows, "minimax")
    return trainer, data


def test_dp_step_is_the_mean_of_clipped_per_row_gradients():
    """Noise off: the update's gradient is the sum of each row's gradient clipped to C, real
    rows Poisson-drawn and generated ones alike, over the expected batch size."""
    with local_torch_rng(0, CPU):
        trainer, data = _trainer(sigma=0.0)
        critic, c, batch = trainer.discriminator, 0.05, 8
        fake = torch.randn(batch, 2)
    with local_torch_rng(1, CPU):
        rows = trainer.privacy.sample_rows(CPU)
    grads = {}
    trainer.opt_d.step = lambda *a, **k: grads.update(  # capture, do not step
        {n: p.grad.clone() for n, p in critic.named_parameters()}
    )
    with local_torch_rng(1, CPU):  # the same rows again
        trainer.discriminator_step(fake)
    assert 0 < len(rows) < len(data)
    expected = {n: torch.zeros_like(p) for n, p in critic.named_parameters()}
    for x, real in [(data[i], True) for i in rows] + [(f, False) for f in fake]:
        critic.zero_grad()
        score = critic(x[None])
        t_real, t_fake = PER_ROW_TERMS["minimax"](score, score, 0.0)
        (t_real if real else t_fake).sum().backward()
        norm = torch.sqrt(sum(p.grad.pow(2).sum() for p in critic.parameters()))
        for n, p in critic.named_parameters():
            expected[n] += p.grad * min(1.0, c / (float(norm) + 1e-6))
    for n, g in grads.items():
        torch.testing.assert_close(g, expected[n] / batch, rtol=1e-4, atol=1e-7)
    assert trainer.privacy.steps == 1
    # the critic holds no per-row hooks or attributes after the step
    assert not any(hasattr(p, "grad_sample") for p in critic.parameters())
    for module in critic.modules():
        assert not module._forward_hooks and not module._backward_hooks
        assert not module._is_full_backward_hook


def test_poisson_sampling_draws_each_row_independently_at_the_rate():
    with local_torch_rng(0, CPU):
        trainer, _ = _trainer(sigma=1.0, n_rows=2000)
        sizes = [len(trainer.privacy.sample_rows(CPU)) for _ in range(200)]
        hits = torch.zeros(2000)
        for _ in range(200):
            hits[trainer.privacy.sample_rows(CPU)] += 1
    # Binomial(2000, 0.5): mean 1000, sd 22 (a fixed-size batch would have sd 0)
    assert abs(np.mean(sizes) - 1000) < 10 and 15 < np.std(sizes) < 30
    assert abs(hits.mean().item() - 100) < 1 and hits.min() > 60 and hits.max() < 140


# -- the estimator ---------------------------------------------------------------------------
def test_dp_run_stays_within_budget_and_records_it():
    synth = private().fit(blobs())
    rec = synth.privacy_
    assert rec["target_epsilon"] == 2.0 and rec["epsilon"] <= 2.0
    assert rec["critic_steps"] == synth.n_steps_ * synth.config_.n_critic
    opacus = RDPAccountant()
    opacus.history = [(rec["noise_multiplier"], rec["sample_rate"], rec["critic_steps"])]
    assert rec["epsilon"] == pytest.approx(opacus.get_epsilon(1e-4), rel=1e-12)
    eps = synth.history_["epsilon"].to_numpy()
    assert np.all(np.diff(eps) > 0) and eps[-1] == pytest.approx(rec["epsilon"])
    # the history keeps no figure computed on real rows
    assert "d_loss" not in synth.history_.columns
    assert "d_loss_generated" in synth.history_.columns
    assert synth.config_.pac == 1 and synth.config_.r1 == 0 and synth.config_.loss == "minimax"
    assert np.isfinite(synth.sample(20)).all()


def test_training_stops_when_the_budget_is_spent(tmp_path):
    X = blobs()
    private(epochs=2, checkpoint_dir=tmp_path / "ck").fit(X)
    again = private(epochs=6)
    with pytest.warns(UserWarning, match="privacy budget .* is spent"):
        again.fit(X, resume_from=tmp_path / "ck")
    rec = again.privacy_
    assert rec["epsilon"] <= 2.0
    assert rec["critic_steps"] <= rec["budget_critic_steps"] < rec["critic_steps"] + 1
    assert again.n_steps_ < 6 * 8  # 8 steps an epoch: it did not run the 6 epochs
    assert rec["noise_multiplier"] == private(epochs=2).fit(X).privacy_["noise_multiplier"]


def test_dp_model_saves_and_loads(tmp_path):
    synth = private().fit(blobs())
    path = synth.save(tmp_path / "m")
    doc = json.loads((path / "model.json").read_text())
    assert doc["params"]["differential_privacy"] == {"epsilon": 2.0, "delta": 1e-4}
    assert doc["privacy"]["epsilon"] == pytest.approx(synth.privacy_["epsilon"])
    back = GANSynthesizer.load(path)
    assert back.privacy_ == synth.privacy_
    assert back.differential_privacy == {"epsilon": 2.0, "delta": 1e-4}
    assert "epsilon" in back.history_.columns
    np.testing.assert_array_equal(back.sample(7, random_state=3), synth.sample(7, random_state=3))
    # a DPConfig object is saved as its fields
    cfg = private(differential_privacy=DPConfig(epsilon=2.0, delta=1e-4)).fit(blobs())
    doc2 = json.loads((cfg.save(tmp_path / "c") / "model.json").read_text())
    assert doc2["params"]["differential_privacy"]["max_grad_norm"] == 1.0


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"pac": 4}, "pac=4 cannot be used with differential_privacy"),
        ({"gradient_penalty": 10.0}, "gradient_penalty=10.0 cannot be used"),
        ({"r1": 0.5}, "r1=0.5 cannot be used"),
        ({"mmd_weight": 0.5}, "mmd_weight=0.5 cannot be used"),
        ({"loss": "wgan"}, "loss='wgan' cannot be used with differential_privacy"),
        ({"loss": "rsgan"}, "loss='rsgan' cannot be used"),
        ({"adapter": VectorAdapter()}, "standardize=True learns each column"),
    ],
)
def test_incompatible_settings_are_refused(kw, match):
    with pytest.raises(ValueError, match=match):
        private(**kw).fit(blobs(100))


def test_dp_model_refuses_drop_copies_and_other_checkpoints(tmp_path):
    X = blobs()
    synth = private().fit(X)
    with pytest.raises(ValueError, match="does not cover"):
        synth.sample(5, drop_copies=True)
    GANSynthesizer(
        adapter=VectorAdapter(hidden=(16, 16), standardize=False),
        epochs=1,
        batch_size=50,
        verbose=False,
        checkpoint_dir=tmp_path / "plain",
    ).fit(X)
    with pytest.raises(ValueError, match="other settings: differential_privacy=None"):
        private().fit(X, resume_from=tmp_path / "plain")


def test_adapters_without_a_private_fit_are_refused():
    from tabgan.estimator.adapters import BaseAdapter

    class Plain(VectorAdapter):
        name = "vector"

        def _fit_private(self, *args, **kwargs):  # the base's refusal
            return BaseAdapter._fit_private(self, *args, **kwargs)

    with pytest.raises(ValueError, match="does not support differential privacy"):
        private(adapter=Plain(standardize=False)).fit(blobs(100))


def test_no_warning_from_opacus_or_torch_during_a_dp_fit():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        private(epochs=1).fit(blobs(200))
