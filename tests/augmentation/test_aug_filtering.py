"""Adversarial filtering keeps the synthetic rows that look real."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabgan.augmentation import GANOverSampler, adversarial_filter
from tabgan.augmentation.filtering import numeric_view


def test_filter_keeps_realistic_rows_per_class():
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"x": rng.normal(size=300), "c": rng.choice(["a", "b"], 300)})
    real_y = np.r_[np.zeros(200, int), np.ones(100, int)]
    # a pool where half the rows are plausible and half are far off (x around 6)
    good = pd.DataFrame({"x": rng.normal(size=100), "c": rng.choice(["a", "b"], 100)})
    bad = pd.DataFrame({"x": rng.normal(6, 1, size=100), "c": rng.choice(["a", "b"], 100)})
    pool = pd.concat([good, bad], ignore_index=True)
    pool_y = np.tile([0, 1], 100)
    keep = adversarial_filter(real, real_y, pool, pool_y, {0: 50, 1: 50}, random_state=0)
    assert len(keep) == 100
    assert np.bincount(pool_y[keep]).tolist() == [50, 50]
    assert (keep < 100).mean() > 0.9  # nearly all kept rows are the plausible ones


def test_numeric_view_handles_mixed_types():
    frame = pd.DataFrame(
        {
            "n": [1.0, np.nan, 3.0],
            "b": [True, False, True],
            "s": ["x", None, "y"],
            "d": pd.to_datetime(["2024-01-01", None, "2024-01-03"]),
        }
    )
    X, categorical = numeric_view(frame)
    assert X.shape == (3, 4) and categorical.tolist() == [False, False, True, False]
    assert np.isnan(X[1]).tolist() == [True, False, True, True]


def test_filter_option_in_sampler_keeps_exact_counts(fake_synth):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = np.r_[np.zeros(45, int), np.ones(15, int)]
    sampler = GANOverSampler(fake_synth(), filter="adversarial", filter_pool=3.0, random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    assert np.bincount(y_res).tolist() == [45, 45]
    np.testing.assert_array_equal(X_res[:60], X)


def test_keep_more_than_pool_is_an_error():
    frame = pd.DataFrame({"x": np.arange(10.0)})
    with pytest.raises(ValueError, match="pool of 5"):
        adversarial_filter(frame, np.r_[[0] * 5, [1] * 5], frame, np.r_[[0] * 5, [1] * 5], {1: 6})
