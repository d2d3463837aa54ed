"""The DCR encoder and nearest-neighbour distances on hand-made rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabgan.evaluation import MixedEncoder, distance_to_closest, memorization

META = {
    "columns": {"n": {"sdtype": "numerical"}, "c": {"sdtype": "categorical"}, "k": {"sdtype": "id"}}
}


def test_encoder_scales_one_hots_and_handles_nan():
    train = pd.DataFrame({"n": [0.0, 10.0, np.nan], "c": ["a", "b", None], "k": ["1", "2", "3"]})
    enc = MixedEncoder(META).fit(train)
    x = enc.transform(train)
    # n scaled (value, missing flag) + 3 one-hot slots (a, b, <NA>); the id column is dropped
    assert x.shape == (3, 5)
    np.testing.assert_allclose(x[:, 0], [0.0, 1.0, 0.0])
    np.testing.assert_allclose(x[:, 1], [0.0, 0.0, 1.0])
    # one categorical mismatch adds exactly 1 to the squared distance
    d = np.sum((x[0, 2:] - x[1, 2:]) ** 2)
    assert d == pytest.approx(1.0)
    unseen = enc.transform(pd.DataFrame({"n": [5.0], "c": ["zzz"], "k": ["9"]}))
    assert unseen[0, 2:].sum() == 0


def test_distance_to_closest_exact_and_exclude_self():
    ref = np.array([[0.0, 0.0], [3.0, 4.0], [10.0, 0.0]])
    q = np.array([[3.0, 4.0], [0.0, 1.0]])
    np.testing.assert_allclose(distance_to_closest(q, ref), [0.0, 1.0])
    np.testing.assert_allclose(
        distance_to_closest(ref, ref, exclude_self=True), [5.0, 5.0, np.sqrt(65.0)]
    )


def test_copies_flagged_and_fresh_rows_not(rng):
    n = 300
    train = pd.DataFrame(
        {
            "n": rng.normal(size=n),
            "c": rng.choice(list("abcd"), n),
            "k": [f"id{i}" for i in range(n)],
        }
    )
    holdout = pd.DataFrame(
        {
            "n": rng.normal(size=n),
            "c": rng.choice(list("abcd"), n),
            "k": [f"h{i}" for i in range(n)],
        }
    )
    fresh = pd.DataFrame(
        {
            "n": rng.normal(size=n),
            "c": rng.choice(list("abcd"), n),
            "k": [f"s{i}" for i in range(n)],
        }
    )
    copies = train.sample(n, replace=True, random_state=0).reset_index(drop=True)
    copies["k"] = [f"s{i}" for i in range(n)]  # ids differ; they are ignored
    bad = memorization(train, copies, holdout, META, rng=rng)
    good = memorization(train, fresh, holdout, META, rng=rng)
    assert bad.exact_copy_share == 1.0 and bad.flagged
    assert bad.closer_to_training_share > 0.9
    assert good.exact_copy_share == 0.0 and not good.flagged
    assert 0.3 < good.closer_to_training_share < 0.7
    assert 0.5 < good.dcr_ratio < 2.0
    # without a holdout the baseline is within-training nearest neighbours
    alone = memorization(train, copies, None, META, rng=rng)
    assert alone.flagged and alone.closer_to_training_share is None
    assert alone.median_dcr_baseline > 0
