"""Disclosure risk by attacks: the membership-inference AUC and anonymeter's risks."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

from tabgan.evaluation import evaluate
from tabgan.evaluation.attacks import anonymeter_risks, membership_attack

META = {
    "columns": {
        "x": {"sdtype": "numerical"},
        "y": {"sdtype": "numerical"},
        "c": {"sdtype": "categorical"},
    }
}


def draw(n, rng):
    """Rows of one population: two correlated numbers and a category tied to them."""
    x = rng.normal(size=n)
    y = 0.6 * x + rng.normal(0, 0.8, n)
    c = np.where(x + rng.normal(0, 1, n) > 0, "hi", "lo")
    return pd.DataFrame({"x": x, "y": y, "c": c})


@pytest.fixture
def frames(rng):
    return draw(400, rng), draw(400, rng)


def test_membership_auc_is_chance_for_a_generator_unrelated_to_the_rows(frames, rng):
    train, holdout = frames
    fresh = draw(2000, np.random.default_rng(7))  # the population, not the training rows
    out = membership_attack(train, holdout, fresh, META, rng=rng)
    assert 0.44 < out["membership_auc"] < 0.56
    assert out["membership_rows"] == 400


def test_membership_auc_is_high_for_a_generator_that_copies(frames, rng):
    train, holdout = frames
    noisy = train.assign(x=train["x"] + rng.normal(0, 0.01, len(train)))
    assert membership_attack(train, holdout, noisy, META, rng=rng)["membership_auc"] > 0.95
    # half copies, half fresh rows: in between
    mixed = pd.concat([train.iloc[:200], draw(200, np.random.default_rng(3))], ignore_index=True)
    auc = membership_attack(train, holdout, mixed, META, rng=rng)["membership_auc"]
    assert 0.6 < auc < 0.9


def test_membership_attack_needs_rows(frames, rng):
    train, holdout = frames
    with pytest.raises(ValueError, match="at least 2"):
        membership_attack(train.iloc[:1], holdout, train, META, rng=rng)


def test_evaluate_adds_the_attacks_and_needs_a_holdout(frames):
    train, holdout = frames
    copies = train.copy()
    with pytest.raises(ValueError, match="privacy_risk attacks .* pass `holdout`"):
        evaluate(train, copies, metadata=META, privacy_risk=True, verbose=False)
    report = evaluate(
        train, copies, holdout=holdout, metadata=META, privacy_risk=True, verbose=False
    )
    summary = report.summary()
    assert summary["membership_auc"] > 0.95
    frame = report.to_frame()
    assert set(frame[frame.section == "privacy_risk"].metric) >= {"membership_auc"}
    if importlib.util.find_spec("anonymeter") is None:
        assert any("pip install anonymeter" in n for n in report.notes)
    plain = evaluate(train, copies, holdout=holdout, metadata=META, verbose=False)
    assert plain.privacy_risk is None and "membership_auc" not in plain.summary()


def test_report_shows_the_synthesizers_spent_budget(frames):
    train, holdout = frames

    class Fitted:  # what evaluate reads of a fitted synthesizer
        def __init__(self) -> None:
            self.privacy_ = {"epsilon": 2.9, "target_epsilon": 3.0, "delta": 1e-5}
            self.history_ = None

    report = evaluate(train, holdout, metadata=META, synthesizer=Fitted(), verbose=False)
    assert report.summary()["dp_epsilon"] == 2.9
    frame = report.to_frame()
    assert set(frame[frame.section == "differential_privacy"].metric) == {
        "dp_epsilon",
        "dp_target_epsilon",
        "dp_delta",
    }


def test_anonymeter_risks_rise_for_copies(frames, rng):
    """Runs where anonymeter is installed (it pins numpy<1.27: not in the dev environment)."""
    pytest.importorskip("anonymeter")
    train, holdout = frames
    fresh = draw(400, np.random.default_rng(11))
    risks, notes = anonymeter_risks(train, train.copy(), holdout, META, n_attacks=200, rng=rng)
    safe, _ = anonymeter_risks(train, fresh, holdout, META, n_attacks=200, rng=rng)
    for name in ("singling_out_risk", "linkability_risk", "inference_risk"):
        assert name in risks and name in safe
    assert risks["linkability_risk"] > safe["linkability_risk"] + 0.3
    assert risks["inference_risk"] > safe["inference_risk"]
    assert any("attacks each" in n for n in notes)
