"""The tabular adapter against the adapter contract (``BaseAdapter``), with no training."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import load_file
from sklearn.base import clone

from tabgan.estimator.adapters import BaseAdapter, DataSampler, Encoded, TrainingSampler
from tabgan.plugins.tabular import TabularAdapter
from tabgan.plugins.tabular.sampler import ConditionalSampler

V1 = Path(__file__).resolve().parents[1] / "data" / "format_v1" / "tabular"


def _frame(n: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "num": rng.normal(size=n),
            "int": rng.integers(0, 20, n),
            "cat": rng.choice(["a", "b", "c"], n),
            "flag": rng.random(n) > 0.5,
            "id": [f"r{i}" for i in range(n)],
        }
    )


def _fitted(df: pd.DataFrame | None = None, **params) -> TabularAdapter:
    df = _frame() if df is None else df
    return TabularAdapter(**params).fit(df, rng=np.random.default_rng(0))


def test_is_a_base_adapter_without_labels() -> None:
    assert issubclass(TabularAdapter, BaseAdapter) and TabularAdapter.supports_labels is False
    df = _frame()
    with pytest.raises(ValueError, match="takes no labels"):
        TabularAdapter().fit(df, df["cat"], rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="nope"):
        TabularAdapter().fit(df, rng=np.random.default_rng(0), nope=1)
    ad = _fitted(df)
    assert ad.is_fitted_ and ad.label_names_ == []
    with pytest.raises(ValueError, match="takes no labels"):
        ad.encode(df, df["cat"])


def test_unfitted_adapter_refuses_to_encode_and_decode() -> None:
    ad = TabularAdapter()
    with pytest.raises(RuntimeError, match="not fitted"):
        ad.encode(_frame())
    with pytest.raises(RuntimeError, match="not fitted"):
        ad.decode(torch.zeros(2, 3), rng=np.random.default_rng(0))
    with pytest.raises(RuntimeError, match="not fitted"):
        ad.sampling_conditions(2, None)


def test_encode_gives_float32_rows_without_labels() -> None:
    df = _frame()
    ad = _fitted(df)
    enc = ad.encode(df)
    assert isinstance(enc, Encoded) and enc.labels is None
    assert enc.data.dtype == torch.float32 and enc.data.shape == (len(df), ad.layout_.width)
    sampler = ad.make_sampler(enc)
    assert isinstance(sampler, ConditionalSampler) and isinstance(sampler, TrainingSampler)
    cond, info = sampler.sample_fake_conditions(8)
    assert cond.shape == (8, ad.cond_dim)
    # the default partner loss: the conditional vectors and one real row's one-hot block each
    assert isinstance(info, tuple) and torch.equal(info[0], cond)
    assert info[1].shape == (8, ad.layout_.width - ad.layout_.n_tanh)


def test_a_table_without_discrete_columns_uses_the_shared_sampler() -> None:
    df = pd.DataFrame({"x": np.random.default_rng(0).normal(size=50)})
    ad = _fitted(df)
    assert ad.cond_dim == 0 and ad.sampling_conditions(5, None) is None
    sampler = ad.make_sampler(ad.encode(df))
    assert isinstance(sampler, DataSampler)
    x, cond = sampler.sample_real(7)
    assert x.shape == (7, ad.layout_.width) and cond is None
    assert sampler.sample_fake_conditions(7) == (None, None)


def test_params_stay_as_given_and_clone_gives_an_unfitted_copy() -> None:
    ad = _fitted(max_modes=3, generator_dims=(16,), discriminator_dims=[8, 8])
    params = ad.get_params()
    assert params["generator_dims"] == (16,) and params["discriminator_dims"] == [8, 8]
    twin = clone(ad)
    assert twin.get_params() == params and not hasattr(twin, "layout_")
    with pytest.raises(RuntimeError, match="not fitted"):
        twin.encode(_frame())


def test_training_defaults_are_synthesizer_parameters() -> None:
    from tabgan import GANSynthesizer

    names = set(inspect.signature(GANSynthesizer).parameters)
    assert set(TabularAdapter.training_defaults) <= names
    assert TabularAdapter.training_defaults["generator_lr"] == 2e-4
    assert TabularAdapter.training_defaults["discriminator_lr"] == 2e-4


def test_save_and_load_give_the_same_adapter(tmp_path) -> None:
    df = _frame()
    ad = _fitted(df, max_modes=3, generator_dims=(16,), discriminator_dims=(16,))
    files = ad.save(tmp_path / "a")
    assert files == ["adapter.json", "adapter.safetensors"]
    json.loads((tmp_path / "a" / "adapter.json").read_text())  # plain JSON
    back = BaseAdapter.load(tmp_path / "a")
    assert isinstance(back, TabularAdapter) and back.is_fitted_
    assert back.get_params() == ad.get_params()
    assert back.metadata_ == ad.metadata_ and back.cond_dim == ad.cond_dim
    enc = ad.encode(df).data
    pd.testing.assert_frame_equal(
        back.decode(enc, rng=np.random.default_rng(2)), ad.decode(enc, rng=np.random.default_rng(2))
    )
    torch.manual_seed(0)
    a = ad.sampling_conditions(50, None)
    torch.manual_seed(0)
    b = back.sampling_conditions(50, None)
    assert a is not None and b is not None and torch.equal(a, b)
    assert torch.equal(
        ad.sampling_conditions(4, {"cat": "b"}), back.sampling_conditions(4, {"cat": "b"})
    )
    pd.testing.assert_frame_equal(back.canonical_view(df), ad.canonical_view(df))
    assert "id" not in back.canonical_view(df).columns


def test_restore_takes_the_state_that_0_1_saved(tmp_path) -> None:
    doc = json.loads((V1 / "model.json").read_text())["adapter"]
    tensors = {
        k[len("adapter.") :]: v
        for k, v in load_file(V1 / "model.safetensors").items()
        if k.startswith("adapter.")
    }
    ad = TabularAdapter(**doc["params"])
    ad.restore(doc["state"], tensors, tmp_path)
    assert ad.is_fitted_ and ad.label_names_ == []
    assert ad.layout_.group_by_width  # 0.1 saved "layout": "by_width"
    # 0.1 kept no column Index kind: a flat object Index of the (tuple) names
    assert ad.columns_index_ == {"kind": "flat", "dtype": "object", "names": []}
    config, again = ad._get_state()  # what 0.1 wrote, kept (newer fields at their defaults)
    assert set(config) == {*doc["state"], "columns_index", "encode_seed", "multi_conditions"}
    assert config["multi_conditions"] == 0.0  # 0.1 trained one-hot conditional vectors
    assert config["encode_seed"] == 0  # 0.1 encoded with default_rng(0)
    assert all(config[k] == v for k, v in doc["state"].items() if k != "transformers")
    for mine, old in zip(config["transformers"], doc["state"]["transformers"], strict=True):
        assert {k: mine[k] for k in old} == old
    assert again.keys() == tensors.keys()
    assert all(torch.equal(again[k], tensors[k]) for k in tensors)
    x = torch.zeros(3, ad.layout_.width)
    out = ad.decode(x, rng=np.random.default_rng(0))
    assert list(out.columns) == ad.columns_ and len(out) == 3
