"""Spikes (exact values holding a large share of a column) and no pile-up at the min/max."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from tabgan import GANSynthesizer
from tabgan.plugins.tabular.columns import ContinuousColumn
from tabgan.plugins.tabular.spikes import MIN_SPIKE_ROWS, find_spikes, fold


def _zero_inflated(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.where(rng.random(n) < 0.9, 0, rng.lognormal(8, 1, n)).round().astype(np.int64)


def _hours(n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.where(rng.random(n) < 0.47, 40, rng.normal(38, 12, n).clip(1, 99).round())


def _fit(values, **params) -> ContinuousColumn:
    return ContinuousColumn(**params).fit(pd.Series(values, name="x"), np.random.default_rng(0))


def test_find_spikes_takes_the_large_shares_largest_first_and_at_most_a_few():
    v = np.repeat([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [40, 30, 20, 6, 2, 2]).astype(float)
    values, shares = find_spikes(v, 0.05, 2)
    assert values.tolist() == [1.0, 2.0]
    assert shares.tolist() == [0.4, 0.3]
    assert find_spikes(v, None, 4)[0].size == 0
    # a small table is not a lookup of its values: a spike needs MIN_SPIKE_ROWS rows
    assert find_spikes(np.arange(MIN_SPIKE_ROWS - 1, dtype=float), 0.05, 4)[0].size == 0


def test_a_zero_inflated_column_gets_a_spike_decoded_exactly_whatever_alpha():
    col = _fit(_zero_inflated(2000))
    assert col.n_spikes_ == 1
    k = len(col.means_)
    spike = k - 1
    assert col.means_[spike] == 0.0 and col.stds_[spike] == 0.0
    assert col.weights_[spike] == pytest.approx(0.9, abs=0.03)
    assert col.weights_.sum() == pytest.approx(1.0)
    # the mixture is fit on the other values only: none of its modes sits at 0
    assert (col.means_[:spike] > 100).all()
    alpha = np.linspace(-1, 1, 101)
    out = col.decode_parts(alpha, np.full(101, spike), None, "x")
    assert (out == 0).all()


def test_spike_rows_encode_as_their_mode_with_alpha_zero_and_round_trip():
    x = _zero_inflated(2000)
    col = _fit(x)
    s = pd.Series(x, name="x")
    block = col.encode(s, np.random.default_rng(1))
    k = len(col.means_)
    zero = x == 0
    assert (block[zero, k] == 1).all() and (block[zero, 0] == 0).all()  # the spike's one-hot
    assert (block[~zero, k] == 0).all()
    back = col.decode(block, np.random.default_rng(2), "x")
    assert ((back == 0) == zero).all()


def test_a_47_percent_spike_at_40_is_kept_and_a_float_spike_is_exact():
    col = _fit(_hours(3000))
    assert col.n_spikes_ >= 1 and col.means_[len(col.means_) - col.n_spikes_] == 40.0
    rng = np.random.default_rng(0)
    floats = np.where(rng.random(1000) < 0.3, 2.5, rng.normal(0, 1, 1000))
    fcol = _fit(floats)
    assert fcol.n_spikes_ == 1
    out = fcol.decode_parts(np.full(5, 0.7), np.full(5, len(fcol.means_) - 1), None, "x")
    assert (out == 2.5).all()


def test_all_values_spikes_and_missing_values():
    x = pd.Series(np.repeat([0.0, 1.0, np.nan], [500, 300, 200]), name="x")
    col = ContinuousColumn(max_spikes=2).fit(x, np.random.default_rng(0))
    assert col.n_spikes_ == 2
    block = col.encode(x, np.random.default_rng(0))
    assert np.isfinite(block).all()
    back = col.decode(block, np.random.default_rng(0), "x")
    pd.testing.assert_series_equal(back, x)
    # a value that is no spike still encodes (to the mixture fit on all values)
    assert np.isfinite(col.encode(pd.Series([0.5], name="x"), np.random.default_rng(0))).all()


def test_no_spikes_when_disabled():
    assert _fit(_zero_inflated(2000), spike_share=None).n_spikes_ == 0


def test_fold_reflects_into_the_range_for_numpy_and_torch():
    x = np.array([-3.0, -0.5, 0.0, 0.3, 1.0, 1.25, 2.5, 7.2])
    want = np.array([1.0, 0.5, 0.0, 0.3, 1.0, 0.75, 0.5, 0.8])
    np.testing.assert_allclose(fold(x, 0.0, 1.0), want, atol=1e-12)
    got = fold(torch.tensor(x), torch.tensor(0.0), torch.tensor(1.0)).numpy()
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_out_of_range_draws_fold_back_instead_of_piling_up_at_the_bounds():
    rng = np.random.default_rng(0)
    u = np.round(rng.uniform(0, 10, 2000), 3)
    col = _fit(u, fold_range=True)
    k = len(col.means_)
    n = 20_000
    alpha = rng.uniform(-1, 1, n)
    mode = rng.integers(0, k, n)
    out = col.decode_parts(alpha, mode, None, "x").to_numpy()
    assert out.min() >= u.min() and out.max() <= u.max()
    at_bounds = np.mean((out == u.max()) | (out == u.min()))
    assert at_bounds < 0.005
    clipped = _fit(u, fold_range=False).decode_parts(alpha, mode, None, "x").to_numpy()
    assert np.mean((clipped == u.max()) | (clipped == u.min())) > 0.05  # what clipping did


def test_state_round_trip_keeps_spikes_and_old_states_mean_no_spikes_and_clipping():
    col = _fit(_zero_inflated(2000), fold_range=True)
    cfg, arrays = col.get_state()
    back = ContinuousColumn.from_state(cfg, arrays)
    assert back.n_spikes_ == 1 and back.fold_
    alpha, mode = np.linspace(-1, 1, 50), np.arange(50) % len(col.means_)
    pd.testing.assert_series_equal(
        back.decode_parts(alpha, mode, None, "x"), col.decode_parts(alpha, mode, None, "x")
    )
    old = _fit(np.round(np.random.default_rng(0).uniform(0, 10, 500), 3), spike_share=None)
    cfg, arrays = old.get_state()
    for key in ("spikes", "fold"):
        del cfg[key]
    del cfg["spike_params"]
    legacy = ContinuousColumn.from_state(cfg, arrays)
    assert legacy.n_spikes_ == 0 and not legacy.fold_
    out = legacy.decode_parts(np.ones(10), np.zeros(10, np.int64), None, "x")
    top = min(old.means_[0] + 4 * old.stds_[0], old.max_)
    np.testing.assert_allclose(out.to_numpy(), np.round(top, 3))  # clipped, as before


def _train_and_sample(df: pd.DataFrame, epochs: int, n: int = 4000) -> pd.DataFrame:
    model = GANSynthesizer(epochs=epochs, random_state=1, verbose=False).fit(df)
    return model.sample(n, random_state=1)


def test_a_short_fit_samples_exact_spikes_at_their_rate():
    n = 1000
    rng = np.random.default_rng(3)
    df = pd.DataFrame(
        {
            "gain": _zero_inflated(n),
            "hours": _hours(n).astype(np.int64),
            "u": np.round(rng.uniform(0, 10, n), 2),
        }
    )
    s = _train_and_sample(df, epochs=150)
    assert abs((s["gain"] == 0).mean() - (df["gain"] == 0).mean()) < 0.06
    assert abs((s["hours"] == 40).mean() - (df["hours"] == 40).mean()) < 0.12
