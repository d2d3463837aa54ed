import json
import os
import signal
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone

from tabgan import Callback, EarlyStopping, GANSynthesizer
from tabgan.adapters import resolve_adapter
from tabgan.losses import LOSSES
from tabgan.training import make_adam


def ring(n=512, seed=0):
    rng = np.random.default_rng(seed)
    angle = rng.integers(0, 8, n) * np.pi / 4
    return np.stack([np.cos(angle), np.sin(angle)], 1) * 2 + rng.normal(0, 0.05, (n, 2))


def tiny(**kw):
    params = dict(
        adapter="vector", epochs=2, batch_size=64, random_state=0, verbose=False, device="cpu"
    )
    params.update(kw)
    return GANSynthesizer(**params)


def test_fit_sample_shapes_and_history():
    X = ring()
    g = tiny().fit(X)
    out = g.sample(10)
    assert out.shape == (10, 2) and out.dtype == np.float32
    assert np.isfinite(out).all()
    assert list(g.history_["epoch"]) == [1.0, 2.0]
    assert {"d_loss", "g_loss"} <= set(g.history_.columns)
    assert g.n_steps_ == 2 * 8


def test_same_seed_same_samples_and_global_rng_untouched():
    X = ring()
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()  # noqa: NPY002
    a = tiny().fit(X)
    b = tiny().fit(X)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], np_state[1])  # noqa: NPY002
    sa, sb = a.sample(20), b.sample(20)
    np.testing.assert_array_equal(sa, sb)
    # successive calls draw new samples; an explicit seed repeats
    assert not np.array_equal(a.sample(20), sa)
    np.testing.assert_array_equal(a.sample(5, random_state=3), a.sample(5, random_state=3))
    c = tiny(random_state=1).fit(X)
    assert not np.array_equal(c.sample(20), sa)


def test_params_are_stored_as_given_and_clone_works():
    g = tiny(loss="hinge", pac=4, betas=(0.0, 0.9))
    assert g.get_params()["loss"] == "hinge"
    assert g.get_params()["betas"] == (0.0, 0.9)
    c = clone(g)
    assert c.get_params() == g.get_params()
    g.set_params(epochs=7)
    assert g.epochs == 7


def test_defaults_resolve_from_adapter_then_loss():
    g = tiny(loss="wgan").fit(ring(128))
    assert g.config_.gradient_penalty == 10.0  # WGAN-GP by default
    assert g.config_.latent_dim == 16  # the vector adapter's default
    g = tiny(loss="wgan", gradient_penalty=0.0).fit(ring(128))
    assert g.config_.gradient_penalty == 0.0
    assert tiny().fit(ring(128)).config_.gradient_penalty == 0.0


@pytest.mark.parametrize("loss", list(LOSSES))
def test_every_loss_trains(loss):
    g = tiny(loss=loss, epochs=1).fit(ring(256))
    assert np.isfinite(g.history_[["d_loss", "g_loss"]].to_numpy()).all()


def test_regularizers_compose_and_are_logged():
    g = tiny(
        loss="minimax",
        pac=4,
        r1=1.0,
        label_smoothing=0.1,
        instance_noise=0.1,
        mmd_weight=1.0,
        n_critic=2,
        grad_clip=1.0,
        generator_lr=1e-4,
        discriminator_lr=4e-4,
    ).fit(ring(256))
    assert {"r1", "mmd"} <= set(g.history_.columns)
    assert g.config_.n_critic == 2 and g.config_.discriminator_lr == 4e-4


@pytest.mark.parametrize(
    "data, message",
    [
        (np.zeros((0, 2)), "empty"),
        (np.zeros(5), "2-D"),
        (np.array([[1.0, np.nan], [0.0, 1.0]]), "NaN or infinite.*row 0, column 1"),
        (np.array([[1.0, np.inf]]), "NaN or infinite"),
        (np.array([["a", "b"]]), "numeric"),
    ],
)
def test_bad_data_is_refused_before_training(data, message):
    with pytest.raises((ValueError, TypeError), match=message):
        tiny().fit(data)


@pytest.mark.parametrize(
    "params, error, message",
    [
        ({"loss": "wasserstein"}, ValueError, "Unknown loss 'wasserstein'"),
        ({"epochs": "3"}, TypeError, "`epochs` must be an int"),
        ({"epochs": 0}, ValueError, "`epochs` must be >= 1"),
        ({"batch_size": 10, "pac": 4}, ValueError, "multiple of `pac`"),
        ({"label_smoothing": 1.5}, ValueError, "label_smoothing"),
        ({"loss": "wgan", "label_smoothing": 0.1}, ValueError, "no meaning"),
        ({"generator_lr": -1.0}, ValueError, "generator_lr"),
        ({"betas": (0.5,)}, ValueError, "betas"),
        ({"device": "tpu"}, ValueError, "device"),
        ({"random_state": "seed"}, TypeError, "random_state"),
        ({"adapter": "no-such-domain"}, ValueError, "Unknown adapter 'no-such-domain'"),
        ({"callbacks": [print]}, TypeError, "Callback"),
    ],
)
def test_bad_parameters_are_named(params, error, message):
    with pytest.raises(error, match=message):
        tiny(**params).fit(ring(64))


def test_sample_validates_n_and_fitted_state():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        tiny().sample(3)
    g = tiny().fit(ring(64))
    for bad in (0, -2):
        with pytest.raises(ValueError, match="`n` must be >= 1"):
            g.sample(bad)
    with pytest.raises(TypeError, match="`n` must be an int"):
        g.sample(2.5)
    with pytest.raises(ValueError, match="conditional"):
        g.sample(3, conditions={"x": 1})
    with pytest.raises(TypeError, match="sampling options"):
        g.sample(3, temperature=2.0)


def test_save_load_gives_identical_samples(tmp_path):
    g = tiny().fit(ring())
    g.save(tmp_path / "m")
    loaded = GANSynthesizer.load(tmp_path / "m", device="cpu")
    np.testing.assert_array_equal(loaded.sample(50), g.sample(50))
    assert loaded.get_params()["epochs"] == 2
    pd.testing.assert_frame_equal(loaded.history_, g.history_)
    doc = json.loads((tmp_path / "m" / "model.json").read_text())
    assert doc["tabgan_version"] and doc["adapter"]["name"] == "vector"


def test_tampered_missing_and_newer_files_are_refused(tmp_path):
    g = tiny().fit(ring(64))
    path = g.save(tmp_path / "m")
    blob = bytearray((path / "model.safetensors").read_bytes())
    blob[-1] ^= 0xFF
    (path / "model.safetensors").write_bytes(bytes(blob))
    with pytest.raises(ValueError, match="model.safetensors does not match the checksum"):
        GANSynthesizer.load(path)

    path = g.save(tmp_path / "n")
    doc = json.loads((path / "model.json").read_text())
    doc["tabgan_version"] = "99.0.0"
    (path / "model.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="newer than this tabgan"):
        GANSynthesizer.load(path)

    (path / "model.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        GANSynthesizer.load(path)
    (path / "model.json").unlink()
    with pytest.raises(FileNotFoundError, match="lacks model.json"):
        GANSynthesizer.load(path)
    with pytest.raises(FileNotFoundError, match="No saved model"):
        GANSynthesizer.load(tmp_path / "nowhere")


def test_older_version_warns(tmp_path):
    path = tiny().fit(ring(64)).save(tmp_path / "m")
    doc = json.loads((path / "model.json").read_text())
    doc["tabgan_version"] = "0.0.1"
    (path / "model.json").write_text(json.dumps(doc))
    with pytest.warns(UserWarning, match="written by tabgan 0.0.1"):
        GANSynthesizer.load(path)


def test_resume_from_checkpoint_matches_an_uninterrupted_run(tmp_path):
    X = ring(256)
    kw = dict(epochs=4, batch_size=64, loss="wgan", pac=2, instance_noise=0.1)
    straight = tiny(**kw).fit(X)

    class Crash(Callback):  # the run dies after epoch 2, its checkpoint written
        def on_epoch_end(self, trainer, logs):
            if trainer.epoch == 2:
                trainer.stop_training = True

    tiny(**kw, callbacks=[Crash()], checkpoint_dir=tmp_path / "ckpt").fit(X)
    resumed = tiny(**kw).fit(X, resume_from=tmp_path / "ckpt")
    assert resumed.n_steps_ == straight.n_steps_
    for a, b in zip(
        straight.generator_.state_dict().values(),
        resumed.generator_.state_dict().values(),
        strict=True,
    ):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    for a, b in zip(
        straight.discriminator_.state_dict().values(),
        resumed.discriminator_.state_dict().values(),
        strict=True,
    ):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    pd.testing.assert_frame_equal(
        straight.history_.drop(columns="seconds"), resumed.history_.drop(columns="seconds")
    )
    with pytest.raises(ValueError, match="other settings: .*loss='wgan'"):
        tiny(**{**kw, "loss": "hinge"}).fit(X, resume_from=tmp_path / "ckpt")
    saved = straight.save(tmp_path / "model")
    with pytest.raises(ValueError, match="not a training checkpoint"):
        tiny(**kw).fit(X, resume_from=saved)


def test_max_seconds_stops_early_with_a_warning():
    with pytest.warns(UserWarning, match="max_seconds"):
        g = tiny(epochs=1000, max_seconds=0.2).fit(ring(256))
    assert 0 < g.n_steps_ < 1000 * 4


def test_early_stopping_on_a_user_metric():
    stopper = EarlyStopping(lambda trainer: 1.0, patience=2)  # never improves after the first
    g = tiny(epochs=50, callbacks=[stopper]).fit(ring(128))
    assert stopper.stopped_at == g.n_steps_ == 3 * 2


def test_ctrl_c_keeps_the_last_finished_step():
    class Interrupt(Callback):
        def on_step_end(self, trainer, logs):
            if trainer.step == 5:
                os.kill(os.getpid(), signal.SIGINT)

    with pytest.warns(UserWarning, match="interrupted.*after step 5"):
        g = tiny(epochs=10, callbacks=[Interrupt()]).fit(ring(128))
    assert g.n_steps_ == 5
    assert g.sample(3).shape == (3, 2)


def test_drop_copies_replaces_training_rows():
    class CopyCat(Callback):
        pass

    X = np.repeat(np.array([[0.0, 0.0], [1.0, 1.0]], dtype=np.float32), 32, axis=0)
    g = tiny(epochs=1).fit(X)
    # make the generator a copy-cat: its output is exactly a training row
    fake = np.tile(X[:1], (7, 1))
    g.adapter_.decode = lambda x, rng: fake[: len(x)].copy()  # noqa: ARG005
    with pytest.raises(RuntimeError, match="still copies"):
        g.sample(7, drop_copies=True)
    calls = {"n": 0}

    def sometimes(x, rng):
        calls["n"] += 1
        out = fake[: len(x)].copy()
        if calls["n"] > 1:
            out += 0.5  # redraws are new rows
        return out

    g.adapter_.decode = sometimes
    out = g.sample(7, drop_copies=True)
    assert out.shape == (7, 2) and np.all(out == 0.5)
    assert len(g.training_hashes_) == 2  # only hashes of the distinct rows are kept


def test_plot_history_writes_png(tmp_path):
    g = tiny().fit(ring(64))
    g.plot_history(tmp_path / "h.png")
    assert (tmp_path / "h.png").read_bytes()[:4] == b"\x89PNG"


def test_warnings_free_default_run():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tiny().fit(ring(64)).sample(4)


# -- the trainer's step ----------------------------------------------------------------------
@pytest.mark.parametrize("n_critic", [1, 3])
def test_one_generator_pass_per_critic_update(n_critic):
    """The last critic update judges the generator step's batch: n_critic passes a step."""
    model = tiny(epochs=1, n_critic=n_critic).fit(ring(256))
    trainer = model._trainer
    calls = []
    handle = trainer.generator.register_forward_hook(lambda *a: calls.append(1))
    try:
        trainer.train_step()
    finally:
        handle.remove()
    assert len(calls) == n_critic


def test_critic_judges_real_and_fake_in_one_call_with_matching_scores():
    model = tiny(epochs=1, pac=2).fit(ring(256))
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
    cfg = tiny()._resolve_config(resolve_adapter("vector"))
    adam = make_adam(net, 1e-3, cfg, torch.device("cpu"))
    assert adam.defaults["fused"] is True
    model = tiny(checkpoint_dir=tmp_path / "ckpt", epochs=1).fit(ring(256))
    doc = json.loads((tmp_path / "ckpt" / "model.json").read_text())
    assert doc["opt_g"]["param_groups"][0]["fused"] is True
    # a checkpoint from a machine without the fused kernel resumes here, and the reverse
    doc["opt_g"]["param_groups"][0]["fused"] = None
    doc["opt_d"]["param_groups"][0]["fused"] = None
    (tmp_path / "ckpt" / "model.json").write_text(json.dumps(doc))
    resumed = tiny(epochs=2).fit(ring(256), resume_from=tmp_path / "ckpt")
    assert resumed._trainer.opt_g.param_groups[0]["fused"] is True
    assert resumed.n_steps_ == 2 * model.n_steps_
