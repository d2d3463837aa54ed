"""evaluate() on a real data set: a copy-cat synthesizer is flagged, a trained one is not."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from palmerpenguins import load_penguins

from tabgan import GANSynthesizer
from tabgan.evaluation import Report, evaluate
from tabgan.plugins.tabular import TabularAdapter


@pytest.fixture(scope="module")
def split():
    data = load_penguins().sample(frac=1.0, random_state=0).reset_index(drop=True)
    return data.iloc[:230].reset_index(drop=True), data.iloc[230:].reset_index(drop=True)


@pytest.fixture(scope="module")
def trained(split):
    train, _ = split
    adapter = TabularAdapter(generator_dims=(32,), discriminator_dims=(32,))
    synth = GANSynthesizer(adapter, epochs=2, batch_size=50, random_state=0, verbose=False)
    return synth.fit(train)


@pytest.fixture(scope="module")
def reports(split, trained):
    train, holdout = split
    copycat = train.sample(len(train), replace=True, random_state=1).reset_index(drop=True)
    return {
        "copycat": evaluate(train, copycat, holdout=holdout, target="species", verbose=False),
        "trained": evaluate(
            train,
            trained.sample(len(train), random_state=0),
            holdout=holdout,
            target="species",
            synthesizer=trained,
            verbose=False,
        ),
    }


def test_copycat_flagged_trained_not(reports):
    copycat, trained = reports["copycat"], reports["trained"]
    assert copycat.memorization_flagged
    assert copycat.exact_copy_share == 1.0
    assert copycat.memorization.median_dcr_synthetic == 0.0
    # half the training rows are in the size-matched reference: ~0.75 expected, 0.5 is ideal
    assert copycat.memorization.closer_to_training_share > 0.65
    assert not trained.memorization_flagged
    assert trained.exact_copy_share < 0.05
    assert (
        trained.memorization.median_dcr_synthetic > 0.5 * trained.memorization.median_dcr_baseline
    )
    # sdmetrics' own DCR metrics agree (1 = private, 0 = copies)
    assert copycat.privacy["sdmetrics_dcr_baseline_protection"] < 0.1
    assert trained.privacy["sdmetrics_dcr_baseline_protection"] > 0.5
    assert "sdmetrics_dcr_overfitting_protection" in copycat.privacy


def test_quality_and_efficacy(reports):
    copycat, trained = reports["copycat"], reports["trained"]
    for rep in (copycat, trained):
        assert 0.0 <= rep.quality_score <= 1.0
        assert 0.0 <= rep.diagnostic_score <= 1.0
        assert rep.task == "classification"
        assert list(rep.ml_efficacy.index) == ["accuracy", "f1_macro", "roc_auc"]
        assert set(rep.column_quality.iloc[:, 0]) == set(rep.real.columns)
    # real rows resampled look like the real data; two epochs of a tiny GAN do not
    assert copycat.quality_score > 0.9 > trained.quality_score
    assert copycat.ml_efficacy.loc["accuracy", "real"] > 0.8
    assert copycat.ml_efficacy.loc["accuracy", "synthetic"] > 0.8


def test_regression_target(split):
    train, holdout = split
    rep = evaluate(train, train, holdout=holdout, target="body_mass_g", verbose=False)
    assert rep.task == "regression"
    assert list(rep.ml_efficacy.index) == ["r2"]
    assert rep.ml_efficacy.loc["r2", "real"] > 0.5


def test_frame_plot_and_html(reports, tmp_path):
    rep: Report = reports["trained"]
    frame = rep.to_frame()
    assert {"quality", "diagnostic", "memorization", "ml_efficacy"} <= set(frame.section)
    assert frame.set_index("metric").loc["exact_copy_share", "value"] == rep.exact_copy_share
    figs = rep.plot()
    assert set(figs) == {"distributions", "correlation_difference", "dcr", "loss_history"}
    assert all(isinstance(f, Figure) for f in figs.values())
    assert "loss_history" not in reports["copycat"].plot()  # no synthesizer given
    path = rep.to_html(tmp_path / "sub" / "report.html")
    text = path.read_text()
    assert len(re.findall(r'src="data:image/png;base64,[A-Za-z0-9+/=]{100,}"', text)) == 4
    assert "http://" not in text and "https://" not in text  # self-contained
    assert "not flagged" in text
    assert "FLAGGED" in reports["copycat"].to_html(tmp_path / "c.html").read_text()
    with pytest.raises(ValueError, match=r"\.html"):
        rep.to_html(tmp_path / "report.png")


def test_text_and_number_categories_aligned(split):
    # a categorical column read back from CSV as numbers in one frame and text in the other
    train, holdout = split
    real = train.assign(year=train["year"].astype(str))
    synth = train.copy()
    meta = {"columns": {"year": {"sdtype": "categorical"}}}
    rep = evaluate(real, synth, metadata=meta, verbose=False)
    assert rep.metadata["columns"]["year"]["sdtype"] == "categorical"
    assert rep.exact_copy_share == 1.0
    assert np.isfinite(rep.quality_score)


def test_uses_fitted_adapter_metadata(split, trained):
    train, _ = split
    rep = evaluate(train, train, synthesizer=trained, verbose=False)
    assert rep.metadata == trained.adapter_.metadata_
    assert isinstance(rep.history, pd.DataFrame) and len(rep.history) == 2
