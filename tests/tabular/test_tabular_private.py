"""The tabular encoding under differential privacy: what is released, what is public."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

pytest.importorskip("opacus")

from tabgan import GANSynthesizer  # noqa: E402
from tabgan.engine.privacy import DPConfig, preprocessing_budget  # noqa: E402
from tabgan.plugins.tabular import TabularAdapter  # noqa: E402
from tabgan.plugins.tabular.columns import ContinuousColumn, DiscreteColumn  # noqa: E402
from tabgan.plugins.tabular.poisson import PoissonConditionalSampler  # noqa: E402
from tabgan.plugins.tabular.private import _Round  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:Optimal order is the:UserWarning")


def table(n=3000, seed=0):
    """Two frequent cities and 40 held by one row each; ages with one extreme outlier."""
    rng = np.random.default_rng(seed)
    city = rng.choice(["Aston", "Brill"], n, p=[0.6, 0.4]).astype(object)
    city[:40] = [f"rare-{i}" for i in range(40)]
    age = np.clip(rng.normal(45, 12, n), 18, 90).round().astype(np.int64)
    age[7] = 123_456
    income = rng.normal(3000, 800, n).round(2)
    return pd.DataFrame({"city": city, "age": age, "income": income})


def fit(df, epsilon=4.0, share=0.5, metadata=None, **kw):
    budget = preprocessing_budget(DPConfig(epsilon=epsilon, preprocessing_share=share))
    adapter = TabularAdapter(**kw)
    return adapter.fit(df, rng=np.random.default_rng(0), privacy=budget, metadata=metadata)


def column(adapter, name):
    return adapter.transformers_[adapter.columns_.index(name)]


def test_rare_values_and_outliers_are_not_released(tmp_path):
    df = table()
    plain = TabularAdapter().fit(df, rng=np.random.default_rng(0))
    assert "rare-3" in column(plain, "city").categories_ + column(plain, "city").other_values_
    assert column(plain, "age").max_ == 123_456  # without DP, the outlier is the range
    dp = fit(df)
    city = column(dp, "city")
    assert set(city.categories_ + city.other_values_) == {"Aston", "Brill"}
    assert city.open_ and 0 <= city.unseen_count_ < 200  # the 40 rare rows, with noise
    age = column(dp, "age")
    assert 60 <= age.max_ < 1000 and 0 <= age.min_ <= 20
    files = dp.save(tmp_path / "a")
    text = "".join((tmp_path / "a" / f).read_text(errors="ignore") for f in files)
    assert "rare-" not in text and "123456" not in text
    # the rare rows still encode (to the "other" slot); a condition on them is refused
    enc = dp.encode(df)
    assert enc.data.shape[0] == len(df)
    other = dp.layout_.model_pos[dp.starts_[0] + len(city.categories_)]
    assert enc.data[:40, other].eq(1).all() and enc.data[40:, other].eq(0).all()
    with pytest.raises(ValueError, match="not among the values released under differential"):
        dp.sampling_conditions(5, {"city": "rare-3"})
    record = dp.privacy_
    assert record["releases"][0]["steps"] == 2 and record["threshold_delta"] > 0
    assert "released" in dp.metadata_["privacy"]["city"]


def test_public_metadata_is_used_as_given():
    df = table()
    meta = {
        "columns": {
            "city": {"sdtype": "categorical", "values": ["Aston", "Brill", "rare-3"]},
            "age": {"sdtype": "numerical", "min": 18, "max": 90},
        }
    }
    dp = fit(df, metadata=meta)
    city = column(dp, "city")
    assert set(city.categories_) >= {"Aston", "Brill", "rare-3"} - {None}
    assert "public values" in dp.metadata_["privacy"]["city"]
    age = column(dp, "age")
    assert (age.min_, age.max_) == (18.0, 90.0)
    assert "public range" in dp.metadata_["privacy"]["age"]


def test_no_budget_needs_public_metadata():
    df = table()[["city", "age"]]
    with pytest.raises(ValueError, match="preprocessing_share=0"):
        fit(df, share=0.0)
    meta = {
        "columns": {
            "city": {"sdtype": "categorical", "values": ["Aston", "Brill"]},
            "age": {"sdtype": "numerical", "min": 0, "max": 100},
        }
    }
    # the counts over a public domain are still noisy counts: they need a budget too
    with pytest.raises(ValueError, match="preprocessing_share=0"):
        fit(df, share=0.0, metadata=meta)


def test_datetimes_need_public_bounds():
    df = pd.DataFrame(
        {
            "when": pd.date_range("2020-01-01", periods=500, freq="D"),
            "x": np.arange(500) % 7,
        }
    )
    with pytest.raises(ValueError, match="Column 'when' is a datetime"):
        fit(df)
    meta = {"columns": {"when": {"sdtype": "datetime", "min": "2019-06-01", "max": "2022-01-01"}}}
    dp = fit(df, metadata=meta)
    when = column(dp, "when")
    assert isinstance(when, ContinuousColumn) and when.exact_
    out = dp.decode(dp.encode(df).data, rng=np.random.default_rng(0))
    assert out["when"].min() >= pd.Timestamp("2019-06-01")
    assert out["when"].max() <= pd.Timestamp("2022-01-01")


def test_decimals_and_zero_spike_come_from_noisy_histograms():
    rng = np.random.default_rng(1)
    gain = np.where(rng.random(4000) < 0.7, 0.0, rng.lognormal(7, 1, 4000)).round(1)
    dp = fit(pd.DataFrame({"gain": gain, "k": rng.integers(0, 3, 4000)}))
    col = column(dp, "gain")
    assert col.decimals_ == 1 and not col.integral_
    assert col.n_spikes_ == 1 and col.means_[-1] == 0.0
    assert 0.6 < col.weights_[-1] < 0.8


def test_noise_std_is_sigma_times_root_of_histograms():
    r = _Round()
    for _ in range(4):
        r.add(np.zeros(20_000))
    noisy, std = r.release(3.0, np.random.default_rng(0))
    assert std == 6.0
    assert np.std(np.concatenate(noisy)) == pytest.approx(6.0, rel=0.02)


def test_poisson_sampler_conditions_come_from_the_rows_and_the_noisy_counts():
    df = table(2000)
    dp = fit(df)
    sampler = dp.make_sampler(dp.encode(df))
    assert isinstance(sampler, PoissonConditionalSampler)
    with pytest.raises(RuntimeError, match="Poisson-sampled"):
        sampler.sample_real(10)
    rows = torch.arange(0, 2000, 3)
    x, cond = sampler.real_rows(rows)
    assert torch.equal(x, dp.encode(df).data[rows])
    hot = cond.argmax(1)
    assert torch.equal(cond.sum(1), torch.ones(len(rows)))
    assert bool((sampler.slots[rows] == hot[:, None]).any(1).all())  # one of the row's values
    cond_f, g = sampler.sample_fake_conditions(20_000)
    city = column(dp, "city")  # the one discrete column
    assert torch.equal(cond_f.argmax(1), g)
    counts = city.slot_counts / city.slot_counts.sum()
    freq = torch.bincount(g, minlength=city.n_slots).float() / len(g)
    np.testing.assert_allclose(freq.numpy(), counts, atol=0.02)  # frequencies, not log
    assert freq[-1] < 0.1  # the "other" slot: the 40 rare rows and the noise


def test_private_fit_of_a_synthesizer_saves_and_loads(tmp_path):
    df = table(1500)
    synth = GANSynthesizer(
        epochs=2,
        batch_size=300,
        random_state=0,
        verbose=False,
        device="cpu",
        differential_privacy={"epsilon": 5.0, "preprocessing_share": 0.3},
    ).fit(df)
    # the adapter's private_training_defaults: hinge loss, a faster critic
    assert synth.config_.loss == "hinge" and synth.config_.discriminator_lr == 3e-3
    assert synth.config_.pac == 1 and synth.config_.gradient_penalty == 0
    assert synth.adapter_.derived_ == []
    rec = synth.privacy_
    assert rec["epsilon"] <= 5.0 and rec["epsilon_preprocessing"] > 0
    assert rec["preprocessing_releases"] == synth.adapter_.privacy_["releases"]
    out = synth.sample(200)
    assert list(out.columns) == ["city", "age", "income"]
    assert set(out["city"]) <= {"Aston", "Brill"}
    path = synth.save(tmp_path / "m")
    doc = json.loads((path / "model.json").read_text())
    assert doc["privacy"]["epsilon"] == pytest.approx(rec["epsilon"])
    back = GANSynthesizer.load(path)
    assert back.privacy_ == rec
    assert back.adapter_.privacy_ == synth.adapter_.privacy_
    assert back.adapter_.metadata_["privacy"] == synth.adapter_.metadata_["privacy"]
    assert column(back.adapter_, "city").open_
    pd.testing.assert_frame_equal(back.sample(50, random_state=4), synth.sample(50, random_state=4))


def test_missing_values_are_learned_and_written_under_dp():
    df = table(2000)
    rng = np.random.default_rng(1)
    df.loc[rng.random(len(df)) < 0.3, "income"] = np.nan
    df.loc[rng.random(len(df)) < 0.2, "city"] = None
    synth = GANSynthesizer(
        epochs=3,
        batch_size=400,
        random_state=0,
        verbose=False,
        device="cpu",
        differential_privacy={"epsilon": 5.0},
    ).fit(df)
    out = synth.sample(2000, random_state=0)
    assert out["income"].dtype == df["income"].dtype and out["city"].dtype == object
    # both kinds of gaps come back, neither everywhere (30% and 20% in the training rows)
    assert 0.05 < out["income"].isna().mean() < 0.7
    assert 0.02 < out["city"].isna().mean() < 0.6
    assert set(out["city"].dropna()) <= {"Aston", "Brill"}


def test_derived_rules_cannot_be_given_under_dp():
    df = table(500).assign(double=lambda d: d["income"] * 2)
    rule = [{"column": "double", "kind": "linear", "terms": [["income", 2]]}]
    with pytest.raises(ValueError, match="Derived-column rules cannot be given"):
        fit(df, derived=rule)
    assert fit(df).derived_ == []  # "auto" detects nothing under DP


def test_constraints_are_refused_under_dp_wherever_given():
    from tabgan.plugins.tabular.constraints import Inequality

    df = table(500).assign(top=lambda d: d["income"] + 10)
    rule = Inequality("income", "top")
    for kw, fit_kw in [
        ({"constraints": [rule]}, {}),
        ({}, {"constraints": [rule]}),
        ({}, {"metadata": {"constraints": [rule]}}),
    ]:
        budget = preprocessing_budget(DPConfig(epsilon=4.0))
        with pytest.raises(ValueError, match="Constraints cannot be combined with differential"):
            TabularAdapter(**kw).fit(df, rng=np.random.default_rng(0), privacy=budget, **fit_kw)
    # through the estimator: the same message, before any training
    synth = GANSynthesizer(epochs=1, differential_privacy={"epsilon": 4.0}, random_state=0)
    with pytest.raises(ValueError, match="fit\\(..., constraints=...\\)"):
        synth.fit(df, constraints=[rule])


def test_discrete_column_state_keeps_the_open_slot():
    dp = fit(table(2000))
    city = column(dp, "city")
    cfg, arrays = city.get_state()
    again = DiscreteColumn.from_state(json.loads(json.dumps(cfg)), arrays)
    assert again.open_ and again.unseen_count_ == city.unseen_count_
    np.testing.assert_array_equal(again.slot_counts, city.slot_counts)
    decoded = again.decode_codes(
        np.full(500, len(again.categories_)), np.random.default_rng(0), "c"
    )
    assert set(decoded) <= set(again.categories_)  # the open slot decodes to released values
