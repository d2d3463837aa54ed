"""Property test: random small mixed-type frames survive fit -> sample with columns and dtypes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tabgan import GANSynthesizer
from tabgan.plugins.tabular import TabularAdapter

KINDS = ["float", "float_nan", "int", "Int64", "str", "str_nan", "bool", "category", "datetime"]


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(3, 30))
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=5))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {}
    for i, kind in enumerate(kinds):
        miss = rng.random(n) < 0.3
        miss[0] = False  # never an all-missing column
        if kind == "float":
            col: object = rng.normal(size=n) * draw(st.sampled_from([1e-3, 1.0, 1e6]))
        elif kind == "float_nan":
            col = np.where(miss, np.nan, rng.normal(size=n))
        elif kind == "int":
            col = rng.integers(-3, draw(st.integers(-2, 1000)), n)
        elif kind == "Int64":
            col = pd.array(np.where(miss, None, rng.integers(0, 9, n)), dtype="Int64")
        elif kind == "str":
            col = rng.choice(list(draw(st.text("abcxyz", min_size=1, max_size=4))), n)
        elif kind == "str_nan":
            col = np.where(miss, None, rng.choice(["p", "q", "r"], n)).astype(object)
        elif kind == "bool":
            col = rng.random(n) > 0.5
        elif kind == "category":
            col = pd.Categorical(rng.choice(["lo", "mid", "hi"], n), ordered=True)
        else:
            col = pd.Series(
                pd.to_datetime("2001-01-01") + pd.to_timedelta(rng.integers(0, 10**6, n), "s")
            )
        cols[f"c{i}_{kind}"] = col
    return pd.DataFrame(cols)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames())
def test_fit_sample_keeps_columns_and_dtypes(df: pd.DataFrame) -> None:
    gan = GANSynthesizer(
        adapter=TabularAdapter(generator_dims=(16,), discriminator_dims=(16,)),
        epochs=1,
        batch_size=10,
        pac=2,
        verbose=False,
        random_state=0,
    )
    if all(df[c].nunique(dropna=False) == 1 for c in df.columns):
        with pytest.raises(ValueError, match="Nothing to learn"):
            gan.fit(df)
        return
    out = gan.fit(df).sample(12)
    assert list(out.columns) == list(df.columns)
    assert out.dtypes.to_dict() == df.dtypes.to_dict()
    assert len(out) == 12
    for col in df.columns:
        if df[col].isna().sum() == 0:
            assert out[col].notna().all(), col
        if pd.api.types.is_integer_dtype(df[col].dtype):
            assert out[col].dropna().between(df[col].min(), df[col].max()).all(), col
