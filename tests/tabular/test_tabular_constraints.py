"""Declared constraints: met by construction in every sampled row, with and without conditions.

Each check below recomputes the rule with pandas on the sampled rows (not with the library's own
``holds``), over 100,000 rows for every constraint class at once.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from tabgan import GANSynthesizer
from tabgan.cli import main
from tabgan.estimator.adapters import BaseAdapter
from tabgan.plugins.tabular import (
    FixedCombinations,
    Formula,
    Inequality,
    Negative,
    Positive,
    Range,
    TabularAdapter,
    constraint_satisfaction,
)
from tabgan.testing import check_adapter

torch.set_num_threads(1)

SMALL = {"generator_dims": (32,), "discriminator_dims": (32,), "max_modes": 3}
CITIES = {"Paris": "FR", "Lyon": "FR", "Berlin": "DE", "Munich": "DE", None: "XX"}
CONSTRAINTS = [
    Inequality("low", "high"),
    Inequality("start", "end", strict=True),
    Inequality("sale", "price"),
    Range("score", 0, 100),
    Positive("age"),
    Negative("debt"),
    FixedCombinations(["city", "country"]),
    Formula("total", "a + b"),
]
N = 100_000


def _table(n: int = 500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    low = rng.normal(10, 2, n).round(2)
    high = (low + rng.exponential(3, n)).round(2)
    low[:25] = np.nan  # low missing, high present: the inequality holds vacuously there
    high[25:40] = np.nan
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**6, n), unit="s")
    end = start + pd.to_timedelta(rng.integers(1, 10**5, n), unit="s")
    price = rng.integers(150, 300, n) / 100
    disc = rng.choice([0.0, 0.0, 0.1, 0.25], n)
    city = rng.choice(list(CITIES), n)
    a, b = rng.integers(0, 50, n), rng.integers(0, 50, n)
    return pd.DataFrame(
        {
            "low": low,
            "high": high,
            "start": start.astype("datetime64[s]"),
            "end": end.astype("datetime64[s]"),
            "price": price,
            "disc": disc,
            "sale": (price - disc).round(2),
            "score": rng.uniform(0, 100, n).round(1),
            "age": rng.integers(0, 90, n),
            "debt": -rng.exponential(5, n).round(1),
            "city": city,
            "country": [CITIES[c] for c in city],
            "a": a,
            "b": b,
            "total": a + b,
        }
    )


def _violations(out: pd.DataFrame, train: pd.DataFrame) -> dict[str, int]:
    """Rows breaking each constraint, recomputed with pandas (missing values: vacuous)."""
    seen = set(zip(train["city"].fillna("?"), train["country"], strict=True))
    pairs = zip(out["city"].fillna("?"), out["country"], strict=True)
    both = out["low"].notna() & out["high"].notna()
    return {
        "low <= high": int((both & (out["low"] > out["high"])).sum()),
        "start < end": int((out["start"] >= out["end"]).sum()),
        "sale <= price": int((out["sale"] > out["price"]).sum()),
        "0 <= score <= 100": int(((out["score"] < 0) | (out["score"] > 100)).sum()),
        "age >= 0": int((out["age"] < 0).sum()),
        "debt <= 0": int((out["debt"] > 0).sum()),
        "combinations": sum(p not in seen for p in pairs),
        "total = a + b": int((out["total"] != out["a"] + out["b"]).sum()),
        # the gap of sale <= price is the disc column: the identity holds too
        "sale = price - disc": int((out["sale"] != (out["price"] - out["disc"]).round(2)).sum()),
    }


def _fit(df: pd.DataFrame, epochs: int = 2, adapter: TabularAdapter | None = None, **fit_params):
    gan = GANSynthesizer(
        adapter=adapter or TabularAdapter(**SMALL),
        epochs=epochs,
        batch_size=100,
        verbose=False,
        random_state=0,
    )
    return gan.fit(df, **fit_params)


@pytest.fixture(scope="module")
def train() -> pd.DataFrame:
    return _table()


@pytest.fixture(scope="module")
def model(train) -> GANSynthesizer:
    gan = _fit(train, constraints=CONSTRAINTS)
    # an exact condition is met exactly whatever the redraws; fewer keep 100k rows fast
    gan.adapter_.exact_value_tries = 1
    return gan


@pytest.fixture(scope="module")
def samples(model) -> pd.DataFrame:
    return model.sample(N, random_state=0)


def test_every_one_of_100k_rows_satisfies_every_constraint(samples, train):
    assert len(samples) == N
    assert samples.dtypes.equals(train.dtypes)
    assert _violations(samples, train) == dict.fromkeys(_violations(samples, train), 0)
    # the library's own count agrees
    shares = constraint_satisfaction(samples, CONSTRAINTS, reference=train)
    assert set(shares.values()) == {1.0}
    # missing values are generated, and the rules hold vacuously on them
    assert (samples["low"].isna() & samples["high"].notna()).any()
    assert (
        samples["city"].isna().any()
        and (samples.loc[samples["city"].isna(), "country"] == "XX").all()
    )


def test_the_model_is_built_to_meet_them(model):
    ad = model.adapter_
    assert ad.constraints_ == CONSTRAINTS
    kinds = {c: type(t).__name__ for c, t in zip(ad.columns_, ad.transformers_, strict=True)}
    # high is the gap; price is the disc column (the gap on every training row); country and
    # total are computed; city holds the combination
    assert kinds["high"] == "ContinuousColumn" and kinds["price"] == "DerivedColumn"
    assert kinds["country"] == kinds["total"] == "DerivedColumn"
    assert kinds["city"] == "DiscreteColumn"
    assert ad.derived_ == []  # every identity of the table is a constraint's column
    assert [d["description"] for d in ad.metadata_["constraints"]] == [
        c.describe() for c in CONSTRAINTS
    ]


@pytest.mark.slow
def test_a_constrained_adapter_passes_the_conformance_suite():
    train = _table(120)
    adapter = TabularAdapter(
        max_modes=2, generator_dims=(16,), discriminator_dims=(16,), constraints=CONSTRAINTS
    )

    def satisfied(samples: pd.DataFrame, conditions: dict) -> bool:
        met = all((samples[k] == v).all() for k, v in conditions.items())
        return met and set(_violations(samples, train).values()) == {0}

    check_adapter(
        adapter,
        train,
        synth_params={"pac": 2, "batch_size": 20},
        conditions=[{"city": "Paris"}, {"high": 12.5}],
        satisfies=satisfied,
    )


@pytest.mark.parametrize(
    ("conditions", "n"),
    [
        ({"high": 12.5, "city": "Paris"}, N),  # the high side of an inequality; one combination
        ({"score": (10.0, 90.0), "debt": (-12.0, 0.0)}, N),  # bounded columns (ranges redraw)
        ({"price": 2.5, "a": 7}, N),  # a gap that is a column of its own; a formula's input
        # datetimes; several combinations (fewer rows: exact timestamps are checked one by one)
        ({"end": pd.Timestamp("2024-01-07 12:00:00"), "country": "DE"}, 20_000),
    ],
    ids=["high+city", "ranges", "price+a", "end+country"],
)
def test_conditions_on_100k_rows_keep_every_constraint(model, train, conditions, n):
    out = model.sample(n, conditions=conditions, random_state=1)
    assert len(out) == n
    assert _violations(out, train) == dict.fromkeys(_violations(out, train), 0)
    for col, value in conditions.items():
        if isinstance(value, tuple):
            assert out[col].between(*value).all(), col
        else:
            assert (out[col] == value).all(), col


def test_per_row_conditions_and_ranges_on_the_high_side(model, train):
    frame = pd.DataFrame(
        {"high": np.round(np.linspace(9, 16, 500), 2), "city": ["Berlin", "Lyon"] * 250}
    )
    out = model.sample(500, conditions=frame, random_state=2)
    assert out["high"].tolist() == frame["high"].tolist()
    assert out["city"].tolist() == frame["city"].tolist()
    out = model.sample(3000, conditions={"high": (11.0, 14.0)}, random_state=3)
    assert out["high"].between(11.0, 14.0).all()
    given = model.sample(3000, conditions={"low": 9.5, "high": 12.0}, random_state=4)
    assert (given["low"] == 9.5).all() and (given["high"] == 12.0).all()
    for o in (out, given):
        assert set(_violations(o, train).values()) == {0}


@pytest.mark.parametrize(
    ("conditions", "match"),
    [
        ({"age": -5}, r"'age' = -5 violates Positive"),
        ({"debt": 2.0}, r"violates Negative"),
        ({"score": (120, 130)}, r"lies outside Range"),
        ({"total": 10}, r"'total' is computed by Formula.*inputs \['a', 'b'\]"),
        ({"city": "Paris", "country": "DE"}, "no combination of FixedCombinations"),
        ({"low": 12.0, "high": 11.0}, r"violate Inequality.*low <= high"),
        ({"start": pd.Timestamp("2024-01-05"), "end": pd.Timestamp("2024-01-05")}, "violate"),
        ({"high": 1000.0}, r"1000.0 lies outside the training range \[3.32, 32.89\]"),
        ({"high": 12.345}, "more than the 2 decimals"),
        ({"country": "FR", "age": (10, 20)}, "cannot be combined with range conditions"),
        ({"city": ["Paris", "Lyon"]}, "give one value.*ranges are for numerical"),
    ],
)
def test_conditions_that_break_a_constraint_are_refused(model, conditions, match):
    with pytest.raises(ValueError, match=match):
        model.sample(10, conditions=conditions)


def test_violating_training_rows_are_named_or_dropped(train):
    bad = train.copy()
    bad.loc[[50, 60], "high"] = bad.loc[[50, 60], "low"] - 1.0
    bad.loc[[7], "total"] = 999
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"2 of 500 training rows violate it, at index \[50, 60\]"):
        TabularAdapter(**SMALL).fit(bad, rng=rng, constraints=CONSTRAINTS)
    with pytest.raises(ValueError, match=r"Formula.*at index \[7\]; columns \['total', 'a', 'b'\]"):
        TabularAdapter(**SMALL).fit(bad, rng=rng, constraints=[Formula("total", "a + b")])
    bad.loc[[9], "score"] = -1.0
    with pytest.raises(ValueError, match=r"Range\(column='score'.*index \[9\]"):
        TabularAdapter(**SMALL).fit(bad, rng=rng, constraints=[Range("score", 0, 100)])
    with pytest.warns(UserWarning, match=r"dropped 4 of 500 training rows .*low <= high: 2"):
        gan = _fit(bad, epochs=1, constraints=CONSTRAINTS, on_violation="drop")
    out = gan.sample(2000, random_state=0)
    assert set(_violations(out, train).values()) == {0}
    with pytest.raises(ValueError, match="`on_violation` must be 'raise' or 'drop'"):
        TabularAdapter().fit(train, rng=rng, constraints=CONSTRAINTS, on_violation="ignore")


@pytest.mark.parametrize(
    ("spec", "error", "match"),
    [
        (Inequality("nope", "high"), ValueError, "the table has no column 'nope'"),
        (Inequality("city", "high"), ValueError, "'city' has dtype object .*numerical or datetime"),
        (Inequality("low", "start"), ValueError, "compare two numerical or two datetime"),
        (Positive("start"), ValueError, "holds datetimes; give the bounds as timestamps"),
        (Range("city", 0, 1), ValueError, "bounds apply to numerical or datetime columns"),
        (FixedCombinations(["city", "zzz"]), ValueError, "no column 'zzz'"),
        (Formula("total", "a + q"), ValueError, "no column 'q'"),
        (Formula("city", "a + b"), ValueError, "computes with numbers"),
        ({"kind": "inequality", "low": "a"}, ValueError, "missing 1 required positional"),
        ({"kind": "unique", "columns": ["a"]}, ValueError, "Unknown constraint kind 'unique'"),
        (3, TypeError, "A constraint is an Inequality"),
    ],
)
def test_bad_constraints_are_refused_by_name(train, spec, error, match):
    with pytest.raises(error, match=match):
        TabularAdapter().fit(train, rng=np.random.default_rng(0), constraints=[spec])


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: Inequality("a", "a"), "low and high are the same column 'a'"),
        (lambda: Range("a"), "give low, high or both"),
        (lambda: Range("a", 5, 1), "no value lies between"),
        (lambda: FixedCombinations(["a"]), "two or more columns"),
        (lambda: FixedCombinations(["a", "a"]), "named twice"),
        (lambda: Formula("a", "a + 1"), "its own input"),
        (lambda: Formula("a", "__import__('os')"), "unknown function '__import__'"),
        (lambda: Formula("a", "__import__('os').system('x')"), "Call .* is not allowed"),
        (lambda: Formula("a", "b.real"), "Attribute .* is not allowed"),
        (lambda: Formula("a", "[b][0]"), "not allowed"),
    ],
)
def test_malformed_constraints_fail_when_made(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_conflicting_constraints_are_refused(train):
    rng = np.random.default_rng(0)
    cases = [
        ([Inequality("low", "high"), Inequality("sale", "high")], "constrained by both"),
        ([Inequality("low", "high"), FixedCombinations(["high", "city"])], "constrained by both"),
        ([Formula("total", lambda f: f["a"] + f["b"]), Range("total", 0, 200)], "computes"),
    ]
    for specs, match in cases:
        with pytest.raises(ValueError, match=match):
            TabularAdapter().fit(train, rng=rng, constraints=specs)
    twin = train.assign(same=train["high"])
    with pytest.raises(ValueError, match="form a cycle"):
        cycle = [Inequality("high", "same"), Inequality("same", "high")]
        TabularAdapter().fit(twin, rng=rng, constraints=cycle)
    with pytest.raises(ValueError, match="give them in one place"):
        TabularAdapter(constraints=CONSTRAINTS).fit(train, rng=rng, constraints=CONSTRAINTS)
    with pytest.raises(ValueError, match="takes no constraints"):
        GANSynthesizer(adapter="vector", epochs=1, verbose=False).fit(
            np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32),
            constraints=[Positive("x")],
        )


def test_save_load_keeps_the_constraints_and_info_lists_them(model, tmp_path, capsys):
    folder = model.save(tmp_path / "m")
    state = json.loads((Path(folder) / "adapter" / "adapter.json").read_text())
    kinds = [c["constraint"]["kind"] for c in state["state"]["constraints"]["constraints"]]
    assert kinds == [c.kind for c in CONSTRAINTS]
    loaded = GANSynthesizer.load(folder, device="cpu")
    assert loaded.adapter_.constraints_ == CONSTRAINTS
    pd.testing.assert_frame_equal(
        loaded.sample(500, random_state=5), model.sample(500, random_state=5)
    )
    assert main(["info", str(folder)]) == 0
    printed = capsys.readouterr().out
    assert "constraints (8):" in printed
    for c in CONSTRAINTS:
        assert f"  {c.kind}: {c.describe()}" in printed


def test_constructor_constraints_and_metadata_round_trip(train, tmp_path):
    specs = [
        Inequality("low", "high"),
        {"kind": "fixed_combinations", "columns": ["city", "country"]},
    ]
    adapter = TabularAdapter(**SMALL, constraints=specs).fit(train, rng=np.random.default_rng(0))
    assert adapter.constraints == specs  # the parameter as given
    adapter.save(tmp_path / "a")
    again = BaseAdapter.load(tmp_path / "a")
    assert again.get_params()["constraints"] == [specs[0], FixedCombinations(["city", "country"])]
    assert again.constraints_ == adapter.constraints_
    # metadata_ feeds a new fit the same constraints
    refit = TabularAdapter(**SMALL).fit(
        train, rng=np.random.default_rng(0), metadata=adapter.metadata_
    )
    assert refit.constraints_ == adapter.constraints_


def test_a_saved_expression_is_parsed_never_evaluated(model, tmp_path):
    folder = tmp_path / "a"
    model.adapter_.save(folder)
    doc = json.loads((folder / "adapter.json").read_text())
    items = doc["state"]["constraints"]["constraints"]
    formula = next(i for i in items if i["constraint"]["kind"] == "formula")
    formula["constraint"]["expression"] = "__import__('os')"
    (folder / "adapter.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="unknown function '__import__'"):
        BaseAdapter.load(folder)


def test_a_python_function_formula_is_given_back_after_loading(train, tmp_path):
    def weighted(frame: pd.DataFrame) -> pd.Series:
        return frame["a"] * 2 + frame["b"]

    df = train.assign(w=train["a"] * 2 + train["b"])
    gan = _fit(df, constraints=[Formula("w", weighted), Inequality("low", "high")])
    out = gan.sample(2000, random_state=0)
    assert (out["w"] == out["a"] * 2 + out["b"]).all()
    with pytest.warns(UserWarning, match=r"set_formula\('w', function\)"):
        gan.save(tmp_path / "m")
    loaded = GANSynthesizer.load(tmp_path / "m", device="cpu")
    assert "weighted" in repr(loaded.adapter_.constraints_[0])
    with pytest.raises(ValueError, match=r"not part of a saved model.*set_formula"):
        loaded.sample(5)
    loaded.adapter_.set_formula("w", weighted)
    pd.testing.assert_frame_equal(
        loaded.sample(300, random_state=1), gan.sample(300, random_state=1)
    )


def test_missing_values_of_a_formula_column_are_kept(train):
    df = train.copy()
    df.loc[::10, "total"] = np.nan  # missing while a and b are not: modelled as a flag
    gan = _fit(df, constraints=[Formula("total", "a + b")])
    assert type(gan.adapter_.transformers_[list(df.columns).index("total")]).__name__ == (
        "DiscreteColumn"
    )
    out = gan.sample(5000, random_state=0)
    present = out["total"].notna()
    assert 0 < (~present).sum() < len(out)
    assert (out.loc[present, "total"] == (out["a"] + out["b"])[present]).all()


def test_constraint_satisfaction_counts_rows(train):
    df = pd.concat([train.iloc[:3], train.iloc[40:47]])  # low missing in the first 3 rows
    df.loc[[0, 1, 2, 40, 41], "high"] = df.loc[[0, 1, 2, 40, 41], "low"] - 1  # 2 break it
    df.loc[45, ["city", "country"]] = ["Paris", "DE"]
    shares = constraint_satisfaction(
        df, [Inequality("low", "high"), FixedCombinations(["city", "country"])], reference=train
    )
    assert shares == {"low <= high": 0.8, "(city, country) in the training combinations": 0.9}
    with pytest.raises(ValueError, match="pass them as `reference`"):
        constraint_satisfaction(df, [FixedCombinations(["city", "country"])])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert constraint_satisfaction(train, CONSTRAINTS, reference=train) == dict.fromkeys(
            [c.describe() for c in CONSTRAINTS], 1.0
        )
