"""Bad input to evaluate(): clear errors naming the column or the problem."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabgan.evaluation import evaluate, infer_metadata


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "x": rng.normal(size=40),
            "y": rng.integers(0, 5, 40).astype(float),
            "c": rng.choice(["a", "b", "c"], 40),
        }
    )


def test_different_columns_named(frame):
    other = frame.rename(columns={"x": "z"})
    with pytest.raises(ValueError, match=r"missing \['x'\], unexpected \['z'\]"):
        evaluate(frame, other, verbose=False)


def test_holdout_with_other_columns(frame):
    with pytest.raises(ValueError, match=r"`holdout`.*missing \['c'\]"):
        evaluate(frame, frame, holdout=frame.drop(columns="c"), verbose=False)


def test_absent_target_named(frame):
    with pytest.raises(ValueError, match=r"target 'label' is not a column of `real`"):
        evaluate(frame, frame, holdout=frame, target="label", verbose=False)


def test_target_needs_holdout(frame):
    with pytest.raises(ValueError, match="holdout"):
        evaluate(frame, frame, target="c", verbose=False)


@pytest.mark.parametrize("which", ["real", "synthetic"])
def test_empty_frame(frame, which):
    empty = frame.iloc[:0]
    args = (empty, frame) if which == "real" else (frame, empty)
    with pytest.raises(ValueError, match=rf"`{which}` is empty"):
        evaluate(*args, verbose=False)


def test_not_a_frame(frame):
    with pytest.raises(TypeError, match="`synthetic` must be a pandas DataFrame"):
        evaluate(frame, frame.to_numpy(), verbose=False)


def test_non_numbers_in_numeric_column(frame):
    bad = frame.astype({"x": object})
    bad.loc[3, "x"] = "oops"
    with pytest.raises(ValueError, match=r"Column 'x' of `synthetic` should be numerical.*oops"):
        evaluate(frame, bad, verbose=False)


def test_metadata_naming_unknown_column(frame):
    with pytest.raises(ValueError, match="names column 'q'"):
        evaluate(frame, frame, metadata={"columns": {"q": {"sdtype": "numerical"}}}, verbose=False)


def test_bad_metadata_sdtype(frame):
    with pytest.raises(ValueError, match="column 'x' sdtype 'number'"):
        evaluate(frame, frame, metadata={"columns": {"x": {"sdtype": "number"}}}, verbose=False)


def test_infer_metadata_types(frame):
    meta = infer_metadata(frame)["columns"]
    assert meta["x"]["sdtype"] == "numerical"
    assert meta["c"]["sdtype"] == "categorical"
