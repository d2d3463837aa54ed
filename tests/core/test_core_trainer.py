import json

import numpy as np
import pytest
import torch

from tabgan import GANSynthesizer
from tabgan.adapters import resolve_adapter
from tabgan.training import make_adam


def ring(n=256, seed=0):
    rng = np.random.default_rng(seed)
    angle = rng.integers(0, 8, n) * np.pi / 4
    return np.stack([np.cos(angle), np.sin(angle)], 1) * 2 + rng.normal(0, 0.05, (n, 2))


def synth(**kw):
    params = dict(
        adapter="vector", epochs=2, batch_size=64, random_state=0, verbose=False, device="cpu"
    )
    params.update(kw)
    return GANSynthesizer(**params)


@pytest.mark.parametrize("n_critic", [1, 3])
def test_one_generator_pass_per_critic_update(n_critic):
    """The last critic update judges the generator step's batch: n_critic passes a step."""
    model = synth(epochs=1, n_critic=n_critic).fit(ring())
    trainer = model._trainer
    calls = []
    handle = trainer.generator.register_forward_hook(lambda *a: calls.append(1))
    try:
        trainer.train_step()
    finally:
        handle.remove()
    assert len(calls) == n_critic


def test_critic_judges_real_and_fake_in_one_call_with_matching_scores():
    model = synth(epochs=1, pac=2).fit(ring())
    trainer = model._trainer
    seen = []
    handle = trainer.discriminator.register_forward_hook(
        lambda mod, args, out: seen.append((args[0].shape[0], out.shape[0]))
    )
    try:
        trainer.discriminator_step()
    finally:
        handle.remove()
    # the joint real + fake call (2 x 64 rows packed by 2), then the gradient penalty's
    assert seen[0] == (64, 64)
    assert len(seen) == 2


def test_adam_is_fused_on_cpu_and_a_fused_checkpoint_resumes_unfused(tmp_path):
    net = torch.nn.Linear(3, 2)
    cfg = synth()._resolve_config(resolve_adapter("vector"))
    adam = make_adam(net, 1e-3, cfg, torch.device("cpu"))
    assert adam.defaults["fused"] is True
    model = synth(checkpoint_dir=tmp_path / "ckpt", epochs=1).fit(ring())
    doc = json.loads((tmp_path / "ckpt" / "model.json").read_text())
    assert doc["opt_g"]["param_groups"][0]["fused"] is True
    # a checkpoint from a machine without the fused kernel resumes here, and the reverse
    doc["opt_g"]["param_groups"][0]["fused"] = None
    doc["opt_d"]["param_groups"][0]["fused"] = None
    (tmp_path / "ckpt" / "model.json").write_text(json.dumps(doc))
    resumed = synth(epochs=2).fit(ring(), resume_from=tmp_path / "ckpt")
    assert resumed._trainer.opt_g.param_groups[0]["fused"] is True
    assert resumed.n_steps_ == 2 * model.n_steps_
