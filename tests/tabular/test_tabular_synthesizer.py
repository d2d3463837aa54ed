"""The tabular adapter inside GANSynthesizer: sampling, conditions, saving, real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from tabgan import GANSynthesizer
from tabgan.plugins.tabular import TabularAdapter
from tabgan.plugins.tabular.sampler import ConditionalSampler

SMALL = {"generator_dims": (32, 32), "discriminator_dims": (32, 32)}


def _frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    miss = rng.random(n) < 0.3
    return pd.DataFrame(
        {
            "num": rng.normal(size=n),
            "int": rng.integers(0, 50, n),
            "cat": rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1]),
            "flag": rng.random(n) > 0.5,
            "when": pd.date_range("2020-01-01", periods=n, freq="h", tz="UTC"),
            "nanf": np.where(miss, np.nan, rng.normal(size=n)),
            "s": pd.array(np.where(miss, None, rng.choice(["x", "y"], n)), dtype="string"),
            "const": "k",
            "id": [f"row{i}" for i in range(n)],
        }
    )


def _fit(df: pd.DataFrame, epochs: int = 1, **kw) -> GANSynthesizer:
    params = {"batch_size": 50, "verbose": False, "random_state": 0, **kw}
    return GANSynthesizer(adapter=TabularAdapter(**SMALL), epochs=epochs, **params).fit(df)


@pytest.fixture(scope="module")
def fitted() -> tuple[pd.DataFrame, GANSynthesizer]:
    df = _frame()
    return df, _fit(df, epochs=2)


def test_sample_same_columns_dtypes(fitted) -> None:
    df, gan = fitted
    out = gan.sample(500)
    assert list(out.columns) == list(df.columns)
    assert out.dtypes.to_dict() == df.dtypes.to_dict()
    assert out["int"].between(0, 49).all()
    assert (out["const"] == "k").all() and out["id"].is_unique
    assert out["when"].between(df["when"].min(), df["when"].max()).all()
    assert gan.adapter_.metadata_["columns"]["id"]["sdtype"] == "id"


def test_default_adapter_and_training_defaults() -> None:
    gan = GANSynthesizer(adapter="tabular", epochs=1, verbose=False, random_state=0)
    gan.fit(_frame(2000))
    cfg = gan.config_
    assert (cfg.loss, cfg.batch_size, cfg.pac, cfg.latent_dim) == ("wgan", 500, 10, 128)
    assert cfg.gradient_penalty == 10.0 and cfg.betas == (0.5, 0.9)
    assert len(gan.sample(7)) == 7


def test_conditional_sampling_exact(fitted) -> None:
    df, gan = fitted
    out = gan.sample(300, {"cat": "c", "flag": False, "s": None})
    assert (out["cat"] == "c").all() and (~out["flag"]).all() and out["s"].isna().all()
    assert out.dtypes.to_dict() == df.dtypes.to_dict()
    conds = pd.DataFrame({"cat": ["a", "b", "c", "b"], "flag": [True, False, True, True]})
    out = gan.sample(4, conds)
    assert out["cat"].tolist() == ["a", "b", "c", "b"]
    assert out["flag"].tolist() == [True, False, True, True]
    assert (gan.sample(5, {"const": "k"})["const"] == "k").all()


def test_conditional_sampling_errors(fitted) -> None:
    _, gan = fitted
    with pytest.raises(ValueError, match="unknown column 'nope'"):
        gan.sample(3, {"nope": 1})
    with pytest.raises(ValueError, match="'cat': value 'zzz' was never seen"):
        gan.sample(3, {"cat": "zzz"})
    with pytest.raises(ValueError, match="'num': 'high' is not a number"):
        gan.sample(3, {"num": "high"})  # exact values on numerical columns: see bad_input tests
    with pytest.raises(ValueError, match="'id' \\(id\\) are not supported"):
        gan.sample(3, {"id": "row1"})
    with pytest.raises(ValueError, match="'cat'.*give one value"):
        gan.sample(3, {"cat": ("a", "b")})
    with pytest.raises(ValueError, match="2 rows but n=3"):
        gan.sample(3, pd.DataFrame({"cat": ["a", "b"]}))
    with pytest.raises(TypeError, match="conditions"):
        gan.sample(3, ["a"])
    with pytest.raises(ValueError, match="'const': value 'q'"):
        gan.sample(3, {"const": "q"})


def test_unconditional_frequencies_follow_training(fitted) -> None:
    df, gan = fitted
    ad = gan.adapter_
    cond = ad.sampling_conditions(20_000, None)  # the hot slot of each cond vector
    assert cond.shape == (20_000, 1) and cond.dtype == torch.int64
    slots = cond[:, 0].numpy()
    assert slots.min() >= 0 and slots.max() < ad.cond_dim
    bounds = np.concatenate([[0], np.cumsum(ad.cond_.widths)])
    for j, t in enumerate(ad._discrete):  # a column uniformly, then a value by frequency
        mine = slots[(slots >= bounds[j]) & (slots < bounds[j + 1])] - bounds[j]
        assert abs(len(mine) / len(slots) - 1 / len(ad._discrete)) < 0.03
        freq = np.bincount(mine, minlength=t.n_slots) / len(mine)
        assert np.abs(freq - t.slot_counts / t.slot_counts.sum()).max() < 0.04


def test_training_sampler_log_frequency_and_matching_rows() -> None:
    df = pd.DataFrame({"a": ["u"] * 900 + ["v"] * 100, "x": np.arange(1000.0)})
    # CTGAN's sampler and condition loss alone (multi-column vectors and the partner loss
    # are tested in test_tabular_conditions.py)
    ad = TabularAdapter(multi_conditions=0, partner_loss=0).fit(df, rng=np.random.default_rng(0))
    enc = ad.encode(df)
    sampler = ad.make_sampler(enc)
    assert isinstance(sampler, ConditionalSampler)
    x, cond = sampler.sample_real(20_000)
    p_u = cond[:, 0].mean().item()
    expected = np.log1p(900) / (np.log1p(900) + np.log1p(100))
    assert abs(p_u - expected) < 0.02
    # every real row matches its conditional vector
    assert torch.equal(x[:, ad.cond_.data_pos], cond)
    c, info = sampler.sample_fake_conditions(64)
    raw = torch.zeros(64, enc.data.shape[1], requires_grad=True)
    loss = sampler.condition_loss(raw, info)
    assert torch.isclose(loss, torch.tensor(np.log(2.0), dtype=torch.float32))
    loss.backward()
    assert raw.grad is not None and raw.grad.abs().sum() > 0


def test_save_load_identical_samples(fitted, tmp_path) -> None:
    df, gan = fitted
    gan.save(tmp_path / "m")
    loaded = GANSynthesizer.load(tmp_path / "m")
    a = gan.sample(200, random_state=3)
    b = loaded.sample(200, random_state=3)
    pd.testing.assert_frame_equal(a.drop(columns="id"), b.drop(columns="id"))
    a = gan.sample(50, {"cat": "b"}, random_state=4)
    b = loaded.sample(50, {"cat": "b"}, random_state=4)
    pd.testing.assert_frame_equal(a, b)
    assert loaded.adapter_.metadata_ == gan.adapter_.metadata_


def test_nan_rate_reproduced_roughly() -> None:
    # 5 epochs on 400 rows: one run's NaN rate is off by up to ~0.2 for some seeds (the same
    # before and after the layout change), so the median run over 3 seeds is checked
    df = _frame(400, seed=1)
    errors = []
    for seed in range(3):
        gan = _fit(df, epochs=5, generator_lr=1e-3, discriminator_lr=1e-3, random_state=seed)
        out = gan.sample(4000, random_state=0)
        errors.append(max(abs(out[c].isna().mean() - df[c].isna().mean()) for c in ["nanf", "s"]))
    assert np.median(errors) < 0.15, errors


def test_drop_copies_ignores_ids(fitted) -> None:
    df, gan = fitted
    view = gan.adapter_.canonical_view(df)
    assert "id" not in view.columns and len(view.columns) == len(df.columns) - 1
    assert len(gan.sample(20, drop_copies=True)) == 20


def test_quality_conditional_dependence_learned() -> None:
    """A model that ignores its conditional vector would give P(b=x | a) ~ 0.5 for both."""
    rng = np.random.default_rng(0)
    n = 1000
    a = rng.choice(["u", "v"], n)
    b = np.where(rng.random(n) < np.where(a == "u", 0.9, 0.1), "x", "y")
    df = pd.DataFrame({"a": a, "b": b, "c": rng.normal(size=n) + 3 * (a == "u")})
    gan = GANSynthesizer(
        adapter=TabularAdapter(generator_dims=(64, 64), discriminator_dims=(64, 64)),
        epochs=40,
        batch_size=100,
        generator_lr=1e-3,
        discriminator_lr=1e-3,
        verbose=False,
        random_state=0,
    ).fit(df)
    u = gan.sample(2000, {"a": "u"}, random_state=1)
    v = gan.sample(2000, {"a": "v"}, random_state=2)
    assert (u["b"] == "x").mean() > 0.75
    assert (v["b"] == "x").mean() < 0.35
    assert u["c"].mean() - v["c"].mean() > 0.5  # true gap 3; 400 steps learn part of it
    free = gan.sample(4000, random_state=3)
    assert abs((free["a"] == "u").mean() - (a == "u").mean()) < 0.1


def test_real_data_penguins_smoke() -> None:
    palmerpenguins = pytest.importorskip("palmerpenguins")
    df = palmerpenguins.load_penguins()
    gan = _fit(df, epochs=1)
    out = gan.sample(100)
    assert list(out.columns) == list(df.columns)
    assert out.dtypes.to_dict() == df.dtypes.to_dict()
    assert set(out["species"].dropna()) <= set(df["species"].dropna())


def test_real_data_breast_cancer_smoke() -> None:
    from sklearn.datasets import load_breast_cancer

    df = load_breast_cancer(as_frame=True).frame
    gan = _fit(df, epochs=1)
    out = gan.sample(50)
    assert out.dtypes.to_dict() == df.dtypes.to_dict()
    assert set(out["target"]) <= {0, 1}


def test_tampered_state_is_refused(fitted, tmp_path) -> None:
    _, gan = fitted
    cfg, tensors = gan.adapter_._get_state()
    broken = dict(cfg, sdtypes=cfg["sdtypes"][:-1])
    with pytest.raises(ValueError, match="disagree"):
        TabularAdapter().restore(broken, tensors, tmp_path)
    cfg2 = dict(cfg, transformers=[dict(t) for t in cfg["transformers"]])
    cfg2["transformers"][0]["kind"] = "mystery"
    with pytest.raises(ValueError, match="mystery"):
        TabularAdapter().restore(cfg2, tensors, tmp_path)
    short = {k: (v[:1] if k.endswith(".means") else v) for k, v in tensors.items()}
    with pytest.raises(ValueError, match="disagree in length"):
        TabularAdapter().restore(cfg, short, tmp_path)


def test_range_conditions(fitted) -> None:
    df, gan = fitted
    out = gan.sample(150, {"num": (0.0, 1.0), "int": (10, None), "cat": "b"}, random_state=0)
    assert out["num"].between(0.0, 1.0).all() and (out["int"] >= 10).all()
    assert (out["cat"] == "b").all()
    assert out.dtypes.to_dict() == df.dtypes.to_dict()
    lo, hi = pd.Timestamp("2020-01-03", tz="UTC"), pd.Timestamp("2020-01-05", tz="UTC")
    out = gan.sample(50, {"when": ("2020-01-03", "2020-01-05")}, random_state=0)
    assert out["when"].between(lo, hi).all()
    out = gan.sample(50, {"nanf": (-0.5, 0.5)}, random_state=0)  # a range excludes missing
    assert out["nanf"].notna().all() and out["nanf"].between(-0.5, 0.5).all()
    with pytest.raises(ValueError, match="'num'.*outside the training range"):
        gan.sample(5, {"num": (100.0, 200.0)})
    with pytest.raises(ValueError, match="'num': low 1 > high 0"):
        gan.sample(5, {"num": (1, 0)})
    with pytest.raises(ValueError, match="'int'.*give \\(low, high\\)"):
        gan.sample(5, {"int": (1, 2, 3)})


def test_range_condition_budget_error() -> None:
    df = pd.DataFrame({"x": np.r_[np.zeros(199), 1000.0], "y": np.arange(200.0)})
    gan = _fit(df, epochs=1)
    with pytest.raises(ValueError, match=r"Range conditions on \['x'\].*redraws"):
        gan.sample(20, {"x": (500.0, 501.0)})
