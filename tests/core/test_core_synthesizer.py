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
from tabgan.engine.config import resolve_config
from tabgan.engine.losses import LOSSES
from tabgan.engine.training import make_adam
from tabgan.estimator.adapters import resolve_adapter
from tabgan.testing import assert_same_networks


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
        ({"loss": "wasserstein"}, ValueError, "'loss' parameter .* Got 'wasserstein'"),
        ({"epochs": "3"}, TypeError, "'epochs' parameter .* must be an int"),
        ({"epochs": 0}, ValueError, r"'epochs' parameter .* range \[1, inf\)"),
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
        def on_epoch_end(self, est, logs):
            trainer = est.trainer_
            if trainer.epoch == 2:
                trainer.stop_training = True

    tiny(**kw, callbacks=[Crash()], checkpoint_dir=tmp_path / "ckpt").fit(X)
    resumed = tiny(**kw).fit(X, resume_from=tmp_path / "ckpt")
    assert resumed.n_steps_ == straight.n_steps_
    assert_same_networks(straight, resumed)
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
    stopper = EarlyStopping(lambda est: 1.0, patience=2)  # never improves after the first
    g = tiny(epochs=50, callbacks=[stopper]).fit(ring(128))
    assert stopper.stopped_at == g.n_steps_ == 3 * 2


def test_ctrl_c_keeps_the_last_finished_step():
    class Interrupt(Callback):
        def on_step_end(self, est, logs):
            trainer = est.trainer_
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
class _Keep(Callback):
    """Keeps the trainer of the run (the estimator drops it after fit)."""

    trainer = None

    def on_train_end(self, est):

        trainer = est.trainer_
        self.trainer = trainer


def _trainer_of(**kw):
    keep = _Keep()
    tiny(**kw, callbacks=[keep]).fit(ring(256))
    return keep.trainer


@pytest.mark.parametrize("n_critic", [1, 3])
def test_one_generator_pass_per_critic_update(n_critic):
    """The last critic update judges the generator step's batch: n_critic passes a step."""
    trainer = _trainer_of(epochs=1, n_critic=n_critic)
    calls = []
    handle = trainer.generator.register_forward_hook(lambda *a: calls.append(1))
    try:
        trainer.train_step()
    finally:
        handle.remove()
    assert len(calls) == n_critic


def test_critic_judges_real_and_fake_in_one_call_with_matching_scores():
    trainer = _trainer_of(epochs=1, pac=2)
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
    cfg = resolve_config({}, resolve_adapter("vector").training_defaults)
    adam = make_adam(net, 1e-3, cfg, torch.device("cpu"))
    assert adam.defaults["fused"] is True
    model = tiny(checkpoint_dir=tmp_path / "ckpt", epochs=1).fit(ring(256))
    doc = json.loads((tmp_path / "ckpt" / "model.json").read_text())
    assert doc["opt_g"]["param_groups"][0]["fused"] is True
    # a checkpoint from a machine without the fused kernel resumes here, and the reverse
    doc["opt_g"]["param_groups"][0]["fused"] = None
    doc["opt_d"]["param_groups"][0]["fused"] = None
    (tmp_path / "ckpt" / "model.json").write_text(json.dumps(doc))
    keep = _Keep()
    resumed = tiny(epochs=2, callbacks=[keep]).fit(ring(256), resume_from=tmp_path / "ckpt")
    assert keep.trainer.opt_g.param_groups[0]["fused"] is True
    assert resumed.n_steps_ == 2 * model.n_steps_


# -- privacy: what a model file, a pickle and the copy guard keep of the training rows -------------
def _old_hashes(rows):
    """The per-row hashes tabgan <= 0.1.0 wrote into every model file (unkeyed, 64 bits)."""
    frame = pd.DataFrame(np.asarray(rows).reshape(len(rows), -1))
    return pd.util.hash_pandas_object(frame, index=False).to_numpy(np.uint64)


def _needles(hashes):
    """Every form a uint64 hash could take in a saved file: raw bytes either way, decimal text."""
    for h in np.asarray(hashes, np.uint64):
        yield h.tobytes()
        yield h.byteswap().tobytes()
        yield str(int(h)).encode()
        yield str(int(h.view(np.int64))).encode()


def test_saved_files_hold_no_information_about_training_rows(tmp_path):
    rng = np.random.default_rng(7)
    train, holdout = rng.normal(size=(128, 4)), rng.normal(size=(128, 4))
    model = tiny(epochs=1, checkpoint_dir=tmp_path / "ckpt").fit(train)
    model.save(tmp_path / "model")
    files = [p for d in ("model", "ckpt") for p in (tmp_path / d).rglob("*") if p.is_file()]
    blobs = [p.read_bytes() for p in files]
    # neither the training rows' hashes nor the holdout rows' (computed as tabgan does, in
    # older versions and today) appear in any file: the files cannot tell the two sets apart
    from tabgan.estimator.memorization import row_hashes

    for hashes in (_old_hashes, lambda rows: row_hashes([rows])[0]):
        for rows in (train, holdout):
            for needle in _needles(hashes(rows)):
                assert not any(needle in blob for blob in blobs)
    # a model of 3x as many other rows has the same tensors (names, shapes) and file size:
    # beyond the weights, nothing in the files grows with the training rows
    bigger = tiny(epochs=1).fit(rng.normal(size=(384, 4))).save(tmp_path / "bigger")
    from safetensors import safe_open

    def layout(folder):
        with safe_open(str(folder / "model.safetensors"), "pt") as f:
            return {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}  # noqa: SIM118

    assert layout(tmp_path / "model") == layout(bigger)
    assert (bigger / "model.safetensors").stat().st_size == (
        tmp_path / "model" / "model.safetensors"
    ).stat().st_size
    doc = json.loads((tmp_path / "model" / "model.json").read_text())
    assert set(doc) == set(json.loads((bigger / "model.json").read_text()))


def _copycat(g, rows):
    """Make ``g`` generate ``rows`` first, then rows never seen (the copy guard's redraws)."""
    calls = {"n": 0}

    def decode(x, rng):  # noqa: ARG001
        calls["n"] += 1
        out = np.asarray(rows, np.float32)[: len(x)].copy()
        return out if calls["n"] == 1 else out + 100.0

    g.adapter_.decode = decode
    return calls


def test_drop_copies_after_load_or_unpickling_needs_a_reference(tmp_path):
    import pickle

    X = ring(128).astype(np.float32)
    g = tiny(epochs=1).fit(X)
    loaded = GANSynthesizer.load(g.save(tmp_path / "m"), device="cpu")
    unpickled = pickle.loads(pickle.dumps(g))
    for model in (loaded, unpickled):
        assert model.sample(3).shape == (3, 2)  # sampling needs no reference
        with pytest.raises(ValueError, match=r"set_copy_reference\(training_data\)"):
            model.sample(3, drop_copies=True)
        assert model.set_copy_reference(X) is model
        _copycat(model, X[:5])
        out = model.sample(5, drop_copies=True)
        assert np.all(out >= 50)  # every copy was replaced
    # the fitted model itself needs none
    _copycat(g, X[:5])
    assert np.all(g.sample(5, drop_copies=True) >= 50)


def test_models_saved_with_training_hashes_still_load(tmp_path):
    """Folders written by older versions carry a ``training_hashes`` tensor: it is ignored."""
    from tabgan.engine import serialization as ser

    X = ring(128)
    g = tiny(epochs=1).fit(X)
    path = g.save(tmp_path / "old")
    doc, tensors = ser.read_folder(path)
    tensors["training_hashes"] = torch.from_numpy(np.unique(_old_hashes(X)).view(np.int64))
    for key in ("format", "format_version", "tabgan_version", "torch_version", "sha256"):
        doc.pop(key)
    ser.write_folder(path, doc, tensors)
    assert "training_hashes" in ser.read_folder(path)[1]
    loaded = GANSynthesizer.load(path, device="cpu")
    np.testing.assert_array_equal(loaded.sample(20, random_state=1), g.sample(20, random_state=1))
    assert not hasattr(loaded, "training_hashes_")
    with pytest.raises(ValueError, match="set_copy_reference"):
        loaded.sample(3, drop_copies=True)
    # saving it again drops the tensor
    again = loaded.save(tmp_path / "again")
    assert "training_hashes" not in ser.read_folder(again)[1]


def test_fitted_estimator_pickle_holds_no_training_rows():
    import copy
    import pickle

    rng = np.random.default_rng(3)
    X = rng.normal(size=(96, 8)) * 1e3 + 12345.678901234  # values no network weight takes
    g = tiny(epochs=1).fit(X)
    encoded = g.adapter_.encode(X).data.numpy()
    blob = pickle.dumps(g)
    for i in range(len(X)):
        for needle in (
            X[i].astype("<f8").tobytes(),
            X[i].astype(">f8").tobytes(),
            X[i].astype("<f4").tobytes(),
            encoded[i].tobytes(),
        ):
            assert needle not in blob
    # the copy guard's row hashes stay in this process too (see GANSynthesizer.sample)
    assert len(g.training_hashes_) == 96
    for needle in _needles(g.training_hashes_):
        assert needle not in blob
    twin = copy.deepcopy(g)
    assert not hasattr(twin, "_trainer") and not hasattr(g, "_trainer")
    # the last step's gradients (computed on a training batch) are not kept either
    assert all(p.grad is None for p in g.discriminator_.parameters())
    assert all(p.grad is None for p in g.generator_.parameters())
    np.testing.assert_array_equal(twin.sample(4, random_state=0), g.sample(4, random_state=0))


def test_tabular_estimator_pickle_holds_no_training_rows():
    import pickle

    from tabgan.plugins.tabular import TabularAdapter

    rng = np.random.default_rng(4)
    n = 60
    names = [f"{w}-{rng.integers(10**9)}" for w in rng.choice(["zebra", "quokka", "ibis"], n)]
    frame = pd.DataFrame(
        {
            "amount": rng.normal(size=n) * 1e3 + 4321.123456789,
            "kind": rng.choice(["a", "b"], n),
            "name": names,  # an identifier column: regenerated, never learned
        }
    )
    adapter = TabularAdapter(generator_dims=(16,), discriminator_dims=(16,))
    g = GANSynthesizer(adapter, epochs=1, batch_size=20, verbose=False, random_state=0).fit(frame)
    assert g.adapter_.metadata_["columns"]["name"]["sdtype"] == "id"
    encoded = g.adapter_.encode(frame).data.numpy()
    blob = pickle.dumps(g)
    assert not any(name.encode() in blob for name in names)
    assert not any(row.tobytes() in blob for row in encoded)
    # the column's range is part of the adapter (it clips samples); no other value is kept
    amount = frame["amount"]
    inner = amount[(amount > amount.min()) & (amount < amount.max())].to_numpy()
    for v in inner:
        assert v.astype("<f8").tobytes() not in blob and v.astype(">f8").tobytes() not in blob


# -- callbacks -------------------------------------------------------------------------------------
class _StopAt(Callback):
    """The run dies after epoch ``epoch``, its checkpoint written."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, est, logs):

        trainer = est.trainer_
        if trainer.epoch == self.epoch:
            trainer.stop_training = True


def test_a_users_checkpoint_callback_writes_a_resumable_checkpoint(tmp_path):
    from tabgan import Checkpoint

    X = ring(256)
    kw = dict(epochs=4, loss="wgan", pac=2)
    straight = tiny(**kw).fit(X)
    ckpt = Checkpoint(tmp_path / "user", every=2)
    tiny(**kw, callbacks=[_StopAt(2), ckpt]).fit(X)
    doc = json.loads((tmp_path / "user" / "model.json").read_text())
    assert doc["kind"] == "checkpoint" and doc["step"] == 2 * 4
    resumed = tiny(**kw).fit(X, resume_from=tmp_path / "user")
    assert resumed.n_steps_ == straight.n_steps_
    assert_same_networks(straight, resumed)
    # the same callback object in another run writes that run's state
    other = tiny(**{**kw, "epochs": 2}, random_state=5, callbacks=[ckpt]).fit(X)
    doc = json.loads((tmp_path / "user" / "model.json").read_text())
    assert doc["seed"] == other.seed_ != straight.seed_


def test_checkpoint_without_a_writer_fails_before_training(tmp_path):
    from tabgan import Checkpoint
    from tabgan.engine.training import GANTrainer, steps_per_epoch

    g = tiny(epochs=1).fit(ring(64))
    adapter = g.adapter_
    trainer = GANTrainer(
        adapter.build_generator(g.config_.latent_dim),
        adapter.build_discriminator(1),
        adapter.activate,
        adapter.make_sampler(adapter.encode(ring(64))),
        g.config_,
        torch.device("cpu"),
        steps_per_epoch(64, g.config_.batch_size),
    )
    with pytest.raises(RuntimeError, match="checkpoints are written by the estimator"):
        trainer.fit([Checkpoint(tmp_path / "c")])
    assert trainer.step == 0 and not (tmp_path / "c").exists()


def test_early_stopping_starts_afresh_on_every_fit():
    stopper = EarlyStopping(lambda est: 1.0, patience=2)
    first = tiny(epochs=50, callbacks=[stopper]).fit(ring(128)).n_steps_
    assert stopper.stopped_at == first == 3 * 2
    again = tiny(epochs=50, callbacks=[stopper]).fit(ring(128))
    assert again.n_steps_ == first and stopper.stopped_at == first
    assert stopper.bad_checks == 2 and stopper.best == 1.0
