"""GANOverSampler: sampling strategies, containers, dtypes and bad input (stand-in synthesizer)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from imblearn.pipeline import make_pipeline
from sklearn.linear_model import LogisticRegression

from tabgan.augmentation import GANOverSampler


def mixed_frame(n_major=60, n_minor=15, seed=0):
    rng = np.random.default_rng(seed)
    n = n_major + n_minor
    y = np.r_[np.zeros(n_major, int), np.ones(n_minor, int)]
    X = pd.DataFrame(
        {
            "num": rng.normal(size=n) + 2 * y,
            "cat": pd.Categorical(rng.choice(["u", "v", "w"], n)),
            "count": rng.integers(0, 9, n),
            "text": rng.choice(["x", "y"], n).astype(object),
            "flag": rng.random(n) < 0.5,
            "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 30, n), "D"),
        },
        index=np.arange(100, 100 + n),
    )
    X.loc[X.index[::7], "num"] = np.nan
    return X, pd.Series(np.where(y == 1, "yes", "no"), name="target", index=X.index)


def test_dataframe_round_trip_keeps_container_columns_dtypes(fake_synth):
    X, y = mixed_frame()
    X_res, y_res = GANOverSampler(fake_synth(), random_state=0).fit_resample(X, y)
    assert isinstance(X_res, pd.DataFrame) and isinstance(y_res, pd.Series)
    assert list(X_res.columns) == list(X.columns)
    assert X_res.dtypes.to_dict() == X.dtypes.to_dict()
    assert y_res.name == "target"
    assert Counter(y_res) == {"no": 60, "yes": 60}
    # originals first, unchanged; NaN kept, never dropped
    pd.testing.assert_frame_equal(X_res.iloc[: len(X)], X.reset_index(drop=True))
    assert X_res["num"].isna().sum() >= X["num"].isna().sum()
    assert (y_res.index == X_res.index).all()


def test_numpy_and_list_containers(fake_synth):
    X, y = mixed_frame()
    Xn = X[["num", "count"]].fillna(0).to_numpy().astype(np.float32)
    yn = (y == "yes").to_numpy().astype(np.int32)
    X_res, y_res = GANOverSampler(fake_synth(), random_state=0).fit_resample(Xn, yn)
    assert isinstance(X_res, np.ndarray) and X_res.dtype == np.float32
    assert y_res.dtype == np.int32
    np.testing.assert_array_equal(X_res[: len(Xn)], Xn)
    X_list, y_list = GANOverSampler(fake_synth(), random_state=0).fit_resample(
        Xn.tolist(), yn.tolist()
    )
    assert isinstance(X_list, list) and isinstance(y_list, list)
    np.testing.assert_allclose(np.asarray(X_list), X_res, rtol=1e-6)


def test_synthetic_rows_belong_to_their_class(fake_synth):
    # the stand-in resamples the asked class: a label assigned otherwise than through the
    # condition would mix the classes' feature ranges
    X, y = mixed_frame()
    X_res, y_res = GANOverSampler(fake_synth(noise=0.0), random_state=0).fit_resample(X, y)
    new = X_res.iloc[len(X) :]
    assert (y_res.iloc[len(X) :] == "yes").all()
    minority_counts = set(X.loc[y == "yes", "count"])
    assert set(new["count"]) <= minority_counts


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        ("auto", {0: 50, 1: 50, 2: 50}),
        ("minority", {0: 50, 1: 25, 2: 50}),
        ("not minority", {0: 10, 1: 50, 2: 50}),
        ("not majority", {0: 50, 1: 50, 2: 50}),
        ("all", {0: 50, 1: 50, 2: 50}),
        ({0: 30, 1: 40}, {0: 30, 1: 40, 2: 50}),
    ],
)
def test_sampling_strategy_semantics(fake_synth, strategy, expected):
    rng = np.random.default_rng(1)
    y = np.r_[np.zeros(10, int), np.ones(25, int), np.full(50, 2)]
    X = rng.normal(size=(len(y), 3))
    sampler = GANOverSampler(fake_synth(), sampling_strategy=strategy, random_state=0)
    _, y_res = sampler.fit_resample(X, y)
    assert dict(Counter(y_res.tolist())) == expected
    assert sum(sampler.sampling_strategy_.values()) == len(y_res) - len(y)


def test_float_ratio_binary(fake_synth):
    y = np.r_[np.zeros(40, int), np.ones(10, int)]
    X = np.random.default_rng(0).normal(size=(50, 2))
    _, y_res = GANOverSampler(fake_synth(), sampling_strategy=0.5).fit_resample(X, y)
    assert Counter(y_res.tolist()) == {0: 40, 1: 20}


def test_same_seed_same_rows_and_nothing_to_do_trains_nothing(fake_synth):
    X, y = mixed_frame()
    a = GANOverSampler(fake_synth(), random_state=3).fit_resample(X, y)[0]
    b = GANOverSampler(fake_synth(), random_state=3).fit_resample(X, y)[0]
    pd.testing.assert_frame_equal(a, b)
    balanced = pd.Series(np.r_[["a"] * 30, ["b"] * 30])
    sampler = GANOverSampler(fake_synth(), random_state=0)
    X_res, _ = sampler.fit_resample(np.zeros((60, 2)), balanced)
    assert X_res.shape == (60, 2) and sampler.synthesizer_ is None


def test_in_imblearn_pipeline(fake_synth):
    X, y = mixed_frame()
    Xn = X[["num", "count"]].fillna(0)
    pipe = make_pipeline(GANOverSampler(fake_synth(), random_state=0), LogisticRegression())
    pipe.fit(Xn, y)
    assert pipe.score(Xn, y) > 0.7
    assert pipe.named_steps["ganoversampler"].synthesizer_.n_fit_rows_ == len(Xn)


def test_synthesizer_ignoring_conditions_is_caught(fake_synth):
    X, y = mixed_frame()
    with pytest.raises(RuntimeError, match="ignored the condition on the label"):
        GANOverSampler(fake_synth(ignore_conditions=True), random_state=0).fit_resample(X, y)


# -- bad input: clear errors, imbalanced-learn's wording --------------------------------------
def test_one_class(fake_synth):
    with pytest.raises(ValueError, match="needs to have more than 1 class"):
        GANOverSampler(fake_synth()).fit_resample(np.zeros((20, 2)), np.zeros(20))


def test_too_small_class_says_how_many(fake_synth):
    y = np.r_[np.zeros(30, int), np.ones(3, int)]
    with pytest.raises(ValueError, match=r"at least min_class_samples=5 .*\{1: 3\}"):
        GANOverSampler(fake_synth()).fit_resample(np.zeros((33, 2)), y)
    # lowering the threshold is the documented escape hatch
    _, y_res = GANOverSampler(fake_synth(), min_class_samples=3).fit_resample(np.zeros((33, 2)), y)
    assert Counter(y_res.tolist()) == {0: 30, 1: 30}


@pytest.mark.parametrize("y", [[0.0, 1.0, np.nan, 1.0] * 10, pd.Series(["a", None, "b", "a"] * 10)])
def test_nan_in_y(fake_synth, y):
    with pytest.raises(ValueError, match="Input y contains NaN: 10 missing labels"):
        GANOverSampler(fake_synth()).fit_resample(np.zeros((40, 2)), y)


def test_length_mismatch(fake_synth):
    with pytest.raises(ValueError, match=r"inconsistent numbers of samples: \[40, 39\]"):
        GANOverSampler(fake_synth()).fit_resample(np.zeros((40, 2)), np.r_[[0] * 20, [1] * 19])


def test_strategy_asking_fewer_rows_than_exist(fake_synth):
    y = np.r_[np.zeros(30, int), np.ones(10, int)]
    with pytest.raises(ValueError, match="should be greater or equal to the original"):
        GANOverSampler(fake_synth(), sampling_strategy={1: 5}).fit_resample(np.zeros((40, 2)), y)
    with pytest.raises(ValueError, match="ratio required to remove samples"):
        GANOverSampler(fake_synth(), sampling_strategy=0.1).fit_resample(np.zeros((40, 2)), y)


def test_continuous_target_is_refused(fake_synth):
    with pytest.raises(ValueError, match="Unknown label type"):
        GANOverSampler(fake_synth()).fit_resample(np.zeros((40, 2)), np.linspace(0, 1, 40))


def test_bad_params_and_inputs(fake_synth):
    X, y = np.zeros((40, 2)), np.r_[[0] * 30, [1] * 10]
    with pytest.raises(ValueError, match="filter"):
        GANOverSampler(fake_synth(), filter="magic").fit_resample(X, y)
    with pytest.raises(ValueError, match="synthesizer"):
        GANOverSampler(synthesizer="tabular").fit_resample(X, y)
    with pytest.raises(ValueError, match="infinity"):
        GANOverSampler(fake_synth()).fit_resample(np.r_[X[:-1], [[np.inf, 0]]], y)
    with pytest.raises(ValueError, match="infinity in column 'a'"):
        GANOverSampler(fake_synth()).fit_resample(
            pd.DataFrame({"a": [np.inf] + [0.0] * 39, "b": 0.0}), y
        )
    from scipy import sparse

    with pytest.raises(TypeError, match="sparse"):
        GANOverSampler(fake_synth()).fit_resample(sparse.csr_matrix(X), y)


def test_random_state_none_keeps_the_synthesizers_seed(fake_synth):
    X, y = mixed_frame()
    kept = GANOverSampler(fake_synth(random_state=7)).fit(X, y)
    kept.fit_resample(X, y)
    assert kept.synthesizer_.random_state == 7
    seeded = GANOverSampler(fake_synth(random_state=7), random_state=0)
    seeded.fit_resample(X, y)
    assert seeded.synthesizer_.random_state != 7
    assert seeded.synthesizer.random_state == 7  # the given synthesizer is cloned, never fitted
    assert not hasattr(seeded.synthesizer, "data_")
