"""GANAugmentedEstimator in scikit-learn's tools (fast stand-in synthesizer)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import LinearSVC

from tabgan.augmentation import GANAugmentedEstimator
from tabgan.augmentation.estimator import plan_counts


def imbalanced(n=120, minority=0.2, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < minority).astype(int)
    X = rng.normal(size=(n, 3)) + y[:, None] * 1.5
    return X, y


def test_fit_adds_rows_and_delegates(fake_synth):
    X, y = imbalanced()
    model = GANAugmentedEstimator(LogisticRegression(), fake_synth(), random_state=0).fit(X, y)
    counts = np.bincount(y)
    assert model.n_synthetic_ == {0: 0, 1: int(counts[0] - counts[1])}
    assert model.synthesizer_.n_fit_rows_ == len(X)
    # the inner estimator saw the balanced data
    assert model.estimator_.n_features_in_ == 3
    np.testing.assert_array_equal(model.classes_, [0, 1])
    assert model.predict_proba(X).shape == (len(X), 2)
    assert model.decision_function(X).shape == (len(X),)
    assert model.score(X, y) > 0.7
    assert not hasattr(GANAugmentedEstimator(LinearSVC(), fake_synth()), "predict_proba")


def test_plan_counts():
    y = np.array(["a"] * 6 + ["b"] * 3 + ["c"])
    assert plan_counts(y, "balance") == {"a": 0, "b": 3, "c": 5}
    assert plan_counts(y, 10) == {"a": 6, "b": 3, "c": 1}
    assert plan_counts(y, 0.5) == {"a": 3, "b": 2, "c": 0}
    assert sum(plan_counts(y, 7).values()) == 7
    assert plan_counts(y, {"c": 4}) == {"a": 0, "b": 0, "c": 4}
    with pytest.raises(ValueError, match=r"not in y: \['z'\]"):
        plan_counts(y, {"z": 1})


def test_cross_validation_never_shows_test_folds(fake_synth):
    X, y = imbalanced()
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    result = cross_validate(
        GANAugmentedEstimator(LogisticRegression(), fake_synth(), random_state=0),
        X,
        y,
        cv=cv,
        return_estimator=True,
        return_indices=True,
    )
    for est, train, test in zip(
        result["estimator"], result["indices"]["train"], result["indices"]["test"]
    ):
        seen = est.synthesizer_.data_.drop(columns=est.synthesizer_.data_.columns[-1])
        seen = {tuple(r) for r in seen.to_numpy().round(9)}
        assert seen == {tuple(r) for r in X[train].round(9)}
        assert not seen & {tuple(r) for r in X[test].round(9)}
    assert np.all(result["test_score"] > 0.6)


def test_pipeline_and_grid_search(fake_synth):
    X, y = imbalanced(150)
    pipe = make_pipeline(
        StandardScaler(),
        GANAugmentedEstimator(LogisticRegression(), fake_synth(), random_state=0),
    )
    scores = cross_val_score(pipe, X, y, cv=3, scoring="balanced_accuracy")
    assert scores.mean() > 0.6
    grid = GridSearchCV(
        pipe,
        {
            "ganaugmentedestimator__synthesizer__noise": [0.01, 0.1],
            "ganaugmentedestimator__estimator__C": [0.1, 1.0],
        },
        cv=3,
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 4
    best = grid.best_estimator_[-1]
    assert best.synthesizer_.noise == grid.best_params_["ganaugmentedestimator__synthesizer__noise"]


def test_mixed_frame_goes_through_a_column_transformer(fake_synth):
    rng = np.random.default_rng(0)
    n = 100
    y = np.r_[np.zeros(80, int), np.ones(20, int)]
    X = pd.DataFrame({"num": rng.normal(size=n) + y, "cat": np.where(y == 1, "p", "q")})
    prep = make_column_transformer((OneHotEncoder(), ["cat"]), remainder="passthrough")
    model = GANAugmentedEstimator(make_pipeline(prep, LogisticRegression()), fake_synth())
    model.fit(X, y)
    assert model.n_synthetic_ == {0: 0, 1: 60}
    np.testing.assert_array_equal(model.feature_names_in_, ["num", "cat"])
    assert model.score(X, y) == 1.0


def test_balanced_data_trains_no_gan(fake_synth):
    X = np.random.default_rng(0).normal(size=(40, 2))
    y = np.r_[[0] * 20, [1] * 20]
    model = GANAugmentedEstimator(LogisticRegression(), fake_synth()).fit(X, y)
    assert model.synthesizer_ is None and model.n_synthetic_ == {0: 0, 1: 0}


def test_bad_input(fake_synth):
    X, y = imbalanced()
    est = GANAugmentedEstimator(LogisticRegression(), fake_synth())
    with pytest.raises(ValueError, match="Unknown label type: continuous.*bin a regression"):
        est.fit(X, np.linspace(0, 1, len(X)))
    with pytest.raises(ValueError, match="more than 1 class"):
        est.fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        est.fit(X, y[:-1])
    with pytest.raises(ValueError, match="Input y contains NaN: 1 missing"):
        est.fit(X, np.r_[y[:-1], np.nan])
    with pytest.raises(ValueError, match=r"min_class_samples=5 .*\{1: 2\}"):
        est.fit(X[:42], np.r_[np.zeros(40, int), [1, 1]])
    with pytest.raises(ValueError, match="n_synthetic"):
        GANAugmentedEstimator(LogisticRegression(), fake_synth(), n_synthetic=-1).fit(X, y)
