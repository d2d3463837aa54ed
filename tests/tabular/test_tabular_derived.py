"""Derived columns: exact identities detected at fit time and reproduced by construction."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from tabgan import GANSynthesizer
from tabgan.plugins.tabular import TabularAdapter

torch.set_num_threads(1)

V1 = Path(__file__).resolve().parents[1] / "data" / "format_v1"
SMALL = {"generator_dims": (32,), "discriminator_dims": (32,), "max_modes": 3}
REGION = {"north": "N", "south": "S", "east": "E", "west": "W"}
ZONE = {"north": "cold", "south": "warm", "east": "cold", "west": "warm"}


def _frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    price = rng.integers(100, 300, n) / 100
    disc = rng.choice([0.0, 0.1, 0.25, 0.5], n)
    qty = rng.integers(1, 10, n)
    city = rng.choice(list(REGION), n)
    return pd.DataFrame(
        {
            "price": price,
            "disc": disc,
            "qty": qty,
            "noise": rng.normal(size=n).round(3),
            "other": rng.integers(0, 100, n),
            "city": city,
            "color": rng.choice(["red", "blue", "green"], n),
            "sale": (price - disc).round(2),  # difference
            "total": qty + rng.integers(0, 5, n) * 0 + qty,  # 2 * qty: a scale
            "both": (price + disc).round(2),  # sum
            "price2": price,  # equal
            "pct": (disc / price).round(4),  # ratio
            "region": [REGION[c] for c in city],  # one-to-one
            "zone": [ZONE[c] for c in city],  # many-to-one
        }
    )


def _rules(adapter: TabularAdapter) -> dict:
    return {r["column"]: (r["kind"], r["expression"]) for r in adapter.derived_}


def _fit(df: pd.DataFrame, **params) -> GANSynthesizer:
    gan = GANSynthesizer(
        adapter=TabularAdapter(**SMALL, **params),
        epochs=2,
        batch_size=100,
        verbose=False,
        random_state=0,
    )
    return gan.fit(df)


def _violations(out: pd.DataFrame) -> dict[str, int]:
    return {
        "sale": int((out["sale"] != (out["price"] - out["disc"]).round(2)).sum()),
        "both": int((out["both"] != (out["price"] + out["disc"]).round(2)).sum()),
        "total": int((out["total"] != 2 * out["qty"]).sum()),
        "price2": int((out["price2"] != out["price"]).sum()),
        "pct": int((out["pct"] != (out["disc"] / out["price"]).round(4)).sum()),
        "region": int((out["region"] != out["city"].map(REGION)).sum()),
        "zone": int((out["zone"] != out["city"].map(ZONE)).sum()),
    }


@pytest.fixture(scope="module")
def fitted() -> GANSynthesizer:
    return _fit(_frame())


def test_detection_finds_each_identity_and_no_false_positive():
    ad = TabularAdapter(**SMALL).fit(_frame(), rng=np.random.default_rng(0))
    assert _rules(ad) == {
        "sale": ("linear", "price - disc"),
        "total": ("linear", "2 * qty"),
        "both": ("linear", "price + disc"),
        "price2": ("equal", "price"),
        "pct": ("ratio", "disc / price"),
        "region": ("mapping", "f(city)"),
        "zone": ("mapping", "f(city)"),
    }
    one_to_one = {r["column"]: r["one_to_one"] for r in ad.derived_ if r["kind"] == "mapping"}
    assert one_to_one == {"region": True, "zone": False}
    assert ad.metadata_["derived"] == ad.derived_
    derived = {r["column"] for r in ad.derived_}
    assert all(t.width == 0 for c, t in zip(ad.columns_, ad.transformers_) if c in derived)
    # independent columns only: nothing found
    rng = np.random.default_rng(1)
    indep = pd.DataFrame(
        {
            "a": rng.normal(size=500).round(2),
            "b": rng.normal(size=500).round(2),
            "c": rng.normal(size=500).round(2),
            "i": rng.integers(0, 5, 500),
            "j": rng.integers(0, 5, 500),
            "k": rng.choice(list("xyz"), 500),
            "l": rng.choice(list("uv"), 500),
        }
    )
    assert TabularAdapter(**SMALL).fit(indep, rng=np.random.default_rng(0)).derived_ == []


def test_every_sampled_row_satisfies_the_identities(fitted):
    out = fitted.sample(2000, random_state=1)
    assert list(out.columns) == list(_frame().columns)
    assert out.dtypes.equals(_frame().dtypes)
    assert _violations(out) == dict.fromkeys(_violations(out), 0)


def test_conditions_on_a_base_column_keep_the_identities(fitted):
    out = fitted.sample(2000, conditions={"city": "east"}, random_state=2)
    assert (out["city"] == "east").all() and (out["region"] == "E").all()
    assert (out["zone"] == "cold").all()
    assert set(_violations(out).values()) == {0}
    out = fitted.sample(2000, conditions={"price": 2.5}, random_state=3)
    assert (out["price"] == 2.5).all() and set(_violations(out).values()) == {0}


def test_conditions_on_derived_columns_map_or_refuse(fitted):
    out = fitted.sample(300, conditions={"region": "S"}, random_state=4)
    assert (out["city"] == "south").all() and (out["region"] == "S").all()
    frame = pd.DataFrame({"region": ["N", "W"] * 50})
    out = fitted.sample(100, conditions=frame, random_state=4)
    assert out["region"].tolist() == frame["region"].tolist()
    assert (out["city"].map(REGION) == out["region"]).all()
    with pytest.raises(ValueError, match=r"'sale' is derived .*\['price', 'disc'\]"):
        fitted.sample(10, conditions={"sale": 1.5})
    with pytest.raises(ValueError, match=r"'zone' is derived .*\['city'\]"):
        fitted.sample(10, conditions={"zone": "cold"})
    with pytest.raises(ValueError, match="both 'region' and 'city'"):
        fitted.sample(10, conditions={"region": "S", "city": "south"})


def test_save_and_load_keep_the_rules_and_the_samples(fitted, tmp_path):
    folder = fitted.save(tmp_path / "m")
    (path,) = [p for p in Path(folder).rglob("adapter.json")]
    state = json.loads(path.read_text())
    assert [r["kind"] for r in state["state"]["derived"]] == [
        r["kind"] for r in fitted.adapter_.derived_
    ]
    loaded = GANSynthesizer.load(tmp_path / "m", device="cpu")
    assert loaded.adapter_.derived_ == fitted.adapter_.derived_
    pd.testing.assert_frame_equal(
        loaded.sample(500, random_state=5), fitted.sample(500, random_state=5)
    )


def test_detection_off_and_user_rules():
    df = _frame()
    off = TabularAdapter(**SMALL, derived=None).fit(df, rng=np.random.default_rng(0))
    assert off.derived_ == [] and "derived" not in off.metadata_
    rules = [
        {"column": "sale", "kind": "linear", "terms": [["price", 1], ["disc", -1]]},
        {"column": "zone", "kind": "mapping", "source": "city"},
    ]
    gan = _fit(df, derived=rules)
    assert gan.adapter_.derived == rules  # the parameter as given
    assert _rules(gan.adapter_) == {
        "sale": ("linear", "price - disc"),
        "zone": ("mapping", "f(city)"),
    }
    out = gan.sample(1000, random_state=0)
    v = _violations(out)
    assert v["sale"] == 0 and v["zone"] == 0 and v["region"] > 0  # region is modelled
    with pytest.raises(ValueError, match="does not hold on every training row"):
        TabularAdapter(derived=[{"column": "noise", "kind": "equal", "source": "price"}]).fit(
            df, rng=np.random.default_rng(0)
        )
    with pytest.raises(ValueError, match="cycle"):
        TabularAdapter(
            derived=[
                {"column": "price", "kind": "equal", "source": "price2"},
                {"column": "price2", "kind": "equal", "source": "price"},
            ]
        ).fit(df, rng=np.random.default_rng(0))


def test_missing_values_keep_a_mapping_and_skip_numeric_rules():
    rng = np.random.default_rng(3)
    n = 300
    a = rng.normal(size=n).round(2)
    a[:20] = np.nan
    city = rng.choice(["x", "y", None], n)
    df = pd.DataFrame(
        {
            "a": a,
            "b": rng.normal(size=n).round(2),
            "city": city,
            "up": pd.Series(city, dtype=object).str.upper(),
        }
    )
    df["s"] = df["a"] + df["b"]
    ad = TabularAdapter(**SMALL).fit(df, rng=np.random.default_rng(0))
    assert _rules(ad) == {"up": ("mapping", "f(city)")}


def test_the_format_1_model_still_loads_and_samples_as_it_did():
    model = GANSynthesizer.load(V1 / "tabular", device="cpu")
    assert model.adapter_.derived_ == [] and "derived" not in model.adapter_.metadata_
    buf = io.StringIO()
    model.sample(20, random_state=7).to_csv(buf, index=False)
    assert buf.getvalue() == (V1 / "tabular_samples.csv").read_text()
