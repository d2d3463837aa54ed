"""Models saved by earlier releases still load and sample exactly as they did."""

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd

from tabgan import GANSynthesizer

V1 = Path(__file__).resolve().parents[1] / "data" / "format_v1"


def test_a_format_1_tabular_model_loads_and_samples_as_it_did():
    model = GANSynthesizer.load(V1 / "tabular", device="cpu")
    buf = io.StringIO()
    model.sample(20, random_state=7).to_csv(buf, index=False)
    assert buf.getvalue() == (V1 / "tabular_samples.csv").read_text()


def test_a_format_1_vector_model_loads_and_samples_as_it_did():
    model = GANSynthesizer.load(V1 / "vector", device="cpu")
    buf = io.StringIO()
    np.savetxt(buf, model.sample(10, random_state=7), fmt="%.9g")
    assert buf.getvalue() == (V1 / "vector_samples.txt").read_text()


def test_a_format_1_text_model_loads_and_samples_as_it_did():
    model = GANSynthesizer.load(V1 / "text", device="cpu")
    assert model.sample(5, random_state=7) == json.loads((V1 / "text_samples.json").read_text())


def test_the_format_1_fixtures_are_what_their_script_says():
    frame = pd.read_csv(V1 / "tabular_samples.csv")
    assert list(frame.columns) == ["age", "income", "city", "member", "score"]
    assert json.loads((V1 / "tabular" / "model.json").read_text())["adapter"]["name"] == "tabular"
