"""Hostile input to the tabular adapter (issue 13): a clear error naming the column and the
problem, or an exact round trip (samples, and samples after save / load)."""

from __future__ import annotations

import datetime
import decimal
import enum
import json

import numpy as np
import pandas as pd
import pytest
import torch

from tabgan import GANSynthesizer
from tabgan.plugins.tabular import TabularAdapter
from tabgan.plugins.tabular.columns import ContinuousColumn

TINY = {"generator_dims": (16,), "discriminator_dims": (16,)}
N = 40


def _base(n: int = N, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(size=n), "c": rng.choice(["a", "b"], n)})


def _with(**columns: object) -> pd.DataFrame:
    df = _base()
    for name, values in columns.items():
        df[name] = values
    return df


def _gan(epochs: int = 1, **adapter: object) -> GANSynthesizer:
    return GANSynthesizer(
        adapter=TabularAdapter(**{**TINY, **adapter}),
        epochs=epochs,
        batch_size=10,
        pac=2,
        verbose=False,
        random_state=0,
    )


def _roundtrip(df: pd.DataFrame) -> tuple[TabularAdapter, pd.DataFrame]:
    ad = TabularAdapter().fit(df, rng=np.random.default_rng(0))
    return ad, ad.decode(ad.encode(df).data, rng=np.random.default_rng(1))


def _saved_and_loaded(gan: GANSynthesizer, tmp_path) -> GANSynthesizer:
    gan.save(tmp_path / "m")
    return GANSynthesizer.load(tmp_path / "m")


# -- 1. containers in cells -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "kind"),
    [
        ([None, None, None] + [["a", "b"]] * (N - 3), "list values \\(first at row 3\\)"),
        ([{"k": i % 3} for i in range(N)], "dict values \\(first at row 0\\)"),
        ([{1, 2}] * N, "set values"),
        ([np.arange(2)] * N, "ndarray values"),
        ([(1, [2])] * N, "unhashable tuples"),
    ],
)
def test_container_cells_are_refused_naming_the_column(values, kind) -> None:
    df = _with(tags=pd.Series(values, dtype=object))
    with pytest.raises(TypeError, match=f"Column 'tags' holds {kind}.*one scalar value per cell"):
        _gan().fit(df)


# -- 2. complex numbers -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "values",
    [
        np.arange(N) + 1j * np.arange(N),
        pd.Series([complex(i, 1) for i in range(N)], dtype=object),
    ],
)
def test_complex_column_is_refused(values) -> None:
    with pytest.raises(TypeError, match="Column 'z' holds complex numbers.*real and imaginary"):
        _gan().fit(_with(z=values))


# -- 3. extreme floats, +/-inf ------------------------------------------------------------------
@pytest.mark.parametrize(
    "values",
    [
        np.random.default_rng(1).normal(size=N) * 1e300,
        np.random.default_rng(1).uniform(1e307, 1.7e308, N),
        np.where(np.arange(N) % 2, 1e-300, 1.5e308) * np.random.default_rng(1).uniform(0.5, 1, N),
        np.where(np.arange(N) % 5 == 0, np.nan, np.random.default_rng(1).normal(size=N) * 1e305),
    ],
    ids=["normal-1e300", "up-to-1.7e308", "mixed-tiny-huge", "huge-with-nan"],
)
def test_extreme_floats_sample_finite_within_the_training_range(values) -> None:
    df = _with(h=values)
    gan = _gan().fit(df)
    assert np.isfinite(gan.adapter_.encode(df).data.numpy()).all()
    out = gan.sample(200)
    assert np.isfinite(out["x"]).all()  # the other columns train soundly too
    h = out["h"].to_numpy()
    assert np.isfinite(h[~np.isnan(h)]).all()
    assert out["h"].isna().any() == df["h"].isna().any()
    assert out["h"].dropna().between(df["h"].min(), df["h"].max()).all()


def test_extreme_floats_without_clipping_stay_finite_in_their_dtype() -> None:
    rng = np.random.default_rng(2)
    df = _with(h=rng.uniform(1e307, 1.7e308, N), h16=rng.uniform(6e4, 65504, N).astype(np.float16))
    out = _gan(enforce_min_max=False).fit(df).sample(300)
    assert out["h16"].dtype == np.float16
    assert np.isfinite(out["h"]).all() and np.isfinite(out["h16"].astype(np.float64)).all()


def test_small_floats_are_not_rounded_to_zero() -> None:
    """Values near 1e-6 once counted as 1-decimal numbers, and all decoded to 0.0."""
    rng = np.random.default_rng(3)
    df = _with(p=rng.uniform(1e-6, 9e-6, N), t=rng.normal(size=N) * 1e-300)
    ad, back = _roundtrip(df)
    assert back["p"].between(df["p"].min(), df["p"].max()).all()
    assert (back["t"] != 0).all()
    assert np.allclose(back["p"], df["p"], rtol=1e-2)


@pytest.mark.parametrize(
    "values",
    [
        np.r_[[0.5, 1.5, 2.5], np.inf, np.zeros(N - 4)],
        np.r_[[0.5, 1.5, 2.5], -np.inf, np.zeros(N - 4)].astype(np.float32),
        pd.Series([1.0, 2.0, 3.0, -np.inf] + [0.0] * (N - 4), dtype=object),
    ],
)
def test_inf_is_refused_naming_column_and_row(values) -> None:
    with pytest.raises(ValueError, match=r"'v' holds \+/-inf values \(first at row 3\)"):
        _gan().fit(_with(v=values))


# -- 4. column names ----------------------------------------------------------------------------
def test_multiindex_columns_round_trip_with_their_level_names(tmp_path) -> None:
    df = _base()
    df.columns = pd.MultiIndex.from_tuples([("a", 1), ("b", 2)], names=["top", "sub"])
    gan = _gan().fit(df)
    for model in (gan, _saved_and_loaded(gan, tmp_path)):
        out = model.sample(10)
        pd.testing.assert_index_equal(out.columns, df.columns)
        assert out.dtypes.to_dict() == df.dtypes.to_dict()
    assert (gan.sample(5, {("b", 2): "a"})[("b", 2)] == "a").all()


@pytest.mark.parametrize(
    "columns",
    [
        pd.Index([("a", 1), ("b", 2)], tupleize_cols=False),  # tuples in a flat Index
        pd.Index([0, 1]),
        pd.Index([1.5, None], dtype=object),
        pd.Index(["x", np.nan], dtype=object),
        pd.DatetimeIndex(["2020-01-01", "2020-01-02"]),
        pd.Index(["x", "y"], name="fields"),
    ],
)
def test_column_index_round_trips(columns, tmp_path) -> None:
    df = _base()
    df.columns = columns
    gan = _gan().fit(df)
    for model in (gan, _saved_and_loaded(gan, tmp_path)):
        got = model.sample(5).columns
        pd.testing.assert_index_equal(got, df.columns)
        assert [type(c) for c in got] == [type(c) for c in df.columns]  # NaN stays NaN


def test_bool_column_names_are_not_a_mask() -> None:
    df = _base()
    df.columns = [True, False]
    ad, back = _roundtrip(df)
    pd.testing.assert_index_equal(back.columns, df.columns)
    pd.testing.assert_series_equal(back[False], df[False])


def test_bool_column_names_through_the_estimator_and_its_copy_guard() -> None:
    df = _base()
    df.columns = [True, False]
    out = _gan().fit(df).sample(5, drop_copies=True)
    pd.testing.assert_index_equal(out.columns, df.columns)


def test_column_name_that_cannot_be_saved_is_refused() -> None:
    df = _base()
    df.columns = pd.Index(["x", frozenset({1})], dtype=object)
    with pytest.raises(TypeError, match="Column name frozenset\\(\\{1\\}\\).*cannot be saved"):
        _gan().fit(df)


# -- 5. exact values on continuous columns --------------------------------------------------------
@pytest.fixture(scope="module")
def conditioned() -> tuple[pd.DataFrame, GANSynthesizer]:
    rng = np.random.default_rng(0)
    n = 300
    df = pd.DataFrame(
        {
            "age": rng.integers(18, 90, n),
            "score": rng.normal(50, 10, n),
            "rating": rng.choice([1.5, 2.5, 3.5], n),
            "cat": rng.choice(["a", "b"], n),
            "when": pd.date_range("2020-01-01", periods=n, freq="h", tz="UTC"),
            "nanf": np.where(rng.random(n) < 0.3, np.nan, rng.normal(size=n)),
            "big": (2**62 + rng.integers(0, 1000, n)).astype(np.int64),
            "f32": rng.normal(size=n).astype(np.float32),
        }
    )
    gan = GANSynthesizer(
        adapter=TabularAdapter(**TINY), epochs=2, batch_size=50, verbose=False, random_state=0
    )
    return df, gan.fit(df)


def _valid(out: pd.DataFrame, df: pd.DataFrame) -> None:
    assert list(out.columns) == list(df.columns)
    assert out.dtypes.to_dict() == df.dtypes.to_dict()
    for col in ("age", "score", "rating", "big", "f32"):
        assert out[col].between(df[col].min(), df[col].max()).all(), col
    assert out["cat"].isin(["a", "b"]).all()


@pytest.mark.parametrize(
    ("col", "value"),
    [
        ("age", 30),
        ("age", np.int64(31)),
        ("age", 32.0),
        ("score", 51.234567),
        ("rating", 2.5),
        ("nanf", 0.1),
        ("big", 2**62 + 500),
        ("f32", np.float32(0.25)),
    ],
)
def test_exact_value_on_a_numerical_column(conditioned, col, value) -> None:
    df, gan = conditioned
    out = gan.sample(150, {col: value}, random_state=0)
    assert (out[col] == value).all()
    _valid(out, df)


def test_exact_values_with_other_conditions_and_missing(conditioned) -> None:
    df, gan = conditioned
    out = gan.sample(100, {"age": 40, "cat": "b", "score": (40, 60), "nanf": None})
    assert (out["age"] == 40).all() and (out["cat"] == "b").all()
    assert out["score"].between(40, 60).all() and out["nanf"].isna().all()
    _valid(out, df)
    stamp = pd.Timestamp("2020-01-05 03:00", tz="UTC")
    assert (gan.sample(20, {"when": "2020-01-05 03:00"})["when"] == stamp).all()


def test_conditions_frame_with_an_int_column(conditioned) -> None:
    df, gan = conditioned
    conds = pd.DataFrame(
        {
            "age": np.array([20, 30, 40, 50], dtype=np.int32),
            "cat": ["a", "b", "a", "b"],
            "nanf": [np.nan, 0.5, np.nan, -0.25],
        }
    )
    out = gan.sample(4, conds)
    assert out["age"].tolist() == [20, 30, 40, 50] and out["cat"].tolist() == ["a", "b", "a", "b"]
    assert out["nanf"].isna().tolist() == [True, False, True, False]
    assert out["nanf"][[1, 3]].tolist() == [0.5, -0.25]
    _valid(out, df)


@pytest.mark.parametrize(
    ("conditions", "match"),
    [
        ({"age": 200}, "'age': 200 lies outside the training range \\[18, 89\\]"),
        ({"age": 30.5}, "'age': 30.5 is not a whole number"),
        ({"age": "thirty"}, "'age': 'thirty' is not a number"),
        ({"age": True}, "'age': True is not a number"),
        ({"age": None}, "'age': a missing value was asked for"),
        ({"score": 1e9}, "'score': 1000000000.0 lies outside the training range"),
        ({"score": np.inf}, "'score': inf is not a finite number"),
        ({"big": 2**62 + 5000}, "'big': 4611686018427392904 lies outside"),
        ({"when": "1999-01-01"}, "'when': '1999-01-01' lies outside the training range"),
        ({"when": "junk"}, "'when': 'junk' is not a timestamp"),
        (pd.DataFrame({"age": ["x", "y"]}), "'age': 'x' is not a number"),
    ],
)
def test_bad_exact_values_are_refused_naming_the_column(conditioned, conditions, match) -> None:
    _, gan = conditioned
    with pytest.raises(ValueError, match=match):
        gan.sample(2, conditions)


def test_ranges_on_exact_integers(conditioned) -> None:
    _, gan = conditioned
    out = gan.sample(50, {"age": (30.5, 33.2), "big": (2**62 + 100, 2**62 + 600)})
    assert out["age"].between(31, 33).all()
    assert out["big"].between(2**62 + 100, 2**62 + 600).all()


def test_exact_values_follow_what_the_model_learned() -> None:
    """The closest of a few fresh draws is kept, so the other columns follow the value: a model
    whose samples tie ``band`` to ``x`` keeps the tie under ``x == value`` (forcing the value
    on arbitrary rows would give P(hi) ~ 0.5 for both)."""
    rng = np.random.default_rng(0)
    n = 1000
    band = rng.choice(["hi", "lo"], n)
    x = np.where(band == "hi", rng.normal(90, 3, n), rng.normal(10, 3, n)).round()
    df = pd.DataFrame({"x": x.astype(np.int64), "band": band})
    gan = GANSynthesizer(
        adapter=TabularAdapter(generator_dims=(64, 64), discriminator_dims=(64, 64)),
        epochs=30,
        batch_size=100,
        generator_lr=1e-3,
        discriminator_lr=1e-3,
        verbose=False,
        random_state=0,
    ).fit(df)
    hi = gan.sample(500, {"x": 88}, random_state=1)
    lo = gan.sample(500, {"x": 12}, random_state=2)
    assert (hi["x"] == 88).all() and (lo["x"] == 12).all()
    assert (hi["band"] == "hi").mean() - (lo["band"] == "hi").mean() > 0.3


def test_range_checker_mirrors_the_decoder() -> None:
    """Range and exact conditions judge rows by RangeChecker.values: it must be what decode
    gives, in each column's shifted space, for every kind of continuous column."""
    rng = np.random.default_rng(1)
    n = 200
    df = pd.DataFrame(
        {
            "dec1": np.round(rng.normal(40, 5, n), 1),
            "huge": rng.normal(size=n) * 1e300,
            "big": (2**62 + rng.integers(0, 5000, n)).astype(np.int64),
            "u": np.uint64(2**63) + rng.integers(0, 900, n).astype(np.uint64),
            "when": pd.date_range("2020-01-01", periods=n, freq="37min", tz="Europe/Paris"),
            "sec": pd.Series(pd.date_range("2000-01-01", periods=n, freq="D", unit="s")),
            "nanf": np.where(rng.random(n) < 0.3, np.nan, np.round(rng.normal(size=n), 2)),
        }
    )
    ad = TabularAdapter().fit(df, rng=np.random.default_rng(0))
    layout = ad.layout_
    x = torch.zeros(500, layout.compact_width, dtype=torch.float64)
    x[:, : layout.n_tanh] = torch.from_numpy(rng.uniform(-1.3, 1.3, (500, layout.n_tanh)))
    widths = torch.from_numpy(layout.seg_width)
    x[:, layout.n_tanh :] = (torch.rand(500, len(widths)) * widths).floor()
    k0 = ad._ranges.columns.index(0)  # a fixed value on "dec1" in the first 10 rows
    x[:10, int(ad._ranges.mode_col[k0])] = -1.0
    x[:10, int(ad._ranges.alpha_pos[k0])] = 41.23
    values = ad._ranges.values(x).numpy()
    out = ad.decode(x, rng=np.random.default_rng(0))
    for k, i in enumerate(ad._ranges.columns):
        t = ad.transformers_[i]
        assert isinstance(t, ContinuousColumn)
        shifted = t._shifted(out.iloc[:, i])
        assert np.array_equal(shifted, values[:, k], equal_nan=True), ad.columns_[i]
    assert (out["dec1"][:10] == 41.23).all()


# -- 6. more hostile input ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "values",
    [
        (2**62 + np.random.default_rng(4).integers(0, 1000, N)).astype(np.int64),
        np.array([np.iinfo(np.int64).max, np.iinfo(np.int64).min] * (N // 2), dtype=np.int64),
        np.uint64(2**63) + np.random.default_rng(4).integers(0, 1000, N).astype(np.uint64),
        pd.array([2**62, None, 2**62 + 5, 2**62 + 1] * (N // 4), dtype="Int64"),
        pd.array([2**64 - 1, None, 2**63, 2**64 - 3] * (N // 4), dtype="UInt64"),
        np.random.default_rng(4).integers(-128, 128, N).astype(np.int8),
    ],
    ids=["int64-2**62", "int64-extremes", "uint64-2**63", "Int64-NA", "UInt64-NA", "int8"],
)
def test_large_integers_sample_exactly_within_the_training_range(values) -> None:
    df = _with(i=values)
    out = _gan().fit(df).sample(300)
    assert out["i"].dtype == df["i"].dtype
    lo, hi = int(df["i"].min()), int(df["i"].max())
    got = [int(v) for v in out["i"].dropna()]
    assert got and lo <= min(got) and max(got) <= hi
    assert len(set(got)) > 1  # not every value rounded to one float (2**62 + 5 is no float)
    assert out["i"].isna().any() == df["i"].isna().any()


def test_far_future_datetimes_in_seconds() -> None:
    """datetime64[s] holds years a nanosecond count cannot."""
    df = _with(t=pd.Series(pd.date_range("2999-12-01", periods=N, freq="D", unit="s")))
    _, back = _roundtrip(df)
    assert back["t"].dtype == df["t"].dtype
    assert back["t"].between(df["t"].min(), df["t"].max()).all()


def test_far_future_datetimes_through_the_estimator_and_its_copy_guard() -> None:
    df = _with(t=pd.Series(pd.date_range("2999-12-01", periods=N, freq="D", unit="s")))
    out = _gan().fit(df).sample(5, drop_copies=True)
    assert out["t"].dtype == df["t"].dtype


class _Color(enum.Enum):
    RED = 1
    BLUE = 2


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ([_Color.RED, _Color.BLUE] * (N // 2), "'v' holds _Color values \\(first at row 0\\)"),
        (pd.Series([1, "a"] * (N // 2), dtype=object), "'v' mixes value types"),
    ],
)
def test_values_that_cannot_be_saved_or_mix_types_are_refused(values, match) -> None:
    with pytest.raises(TypeError, match=match):
        _gan().fit(_with(v=pd.Series(values, dtype=object)))


@pytest.mark.parametrize(
    "values",
    [
        pd.Series([b"ab", b"cd"] * (N // 2), dtype=object),
        pd.Series([decimal.Decimal(f"{i % 4}.25") for i in range(N)], dtype=object),
        pd.Series([decimal.Decimal("NaN"), decimal.Decimal("1.5")] * (N // 2), dtype=object),
        pd.Series([(1, "a"), (2, "b")] * (N // 2), dtype=object),
        pd.Series([datetime.date(2020, 1, 1 + i % 5) for i in range(N)], dtype=object),
        pd.Series([datetime.datetime(2020, 1, 1 + i % 5) for i in range(N)], dtype=object),
        pd.Series(list(pd.period_range("2020-01", periods=N, freq="M")), dtype=object),
        pd.Series(list(pd.to_timedelta(np.arange(N) % 4, "h")), dtype=object),
        pd.Series(
            [pd.Timestamp("2020-01-01", tz="UTC"), pd.Timestamp("2020-01-01", tz="US/Eastern")]
            * (N // 2),
            dtype=object,
        ),  # noqa: E501
        pd.Series([10**400, 1] * (N // 2), dtype=object),
        pd.arrays.IntervalArray.from_arrays(np.arange(N) % 4, np.arange(N) % 4 + 1),
        pd.array(np.random.default_rng(5).choice(["a", "b"], N), dtype="string[pyarrow]"),
        pd.Series(
            ["a", None, "b", "a"] * (N // 4), dtype=pd.StringDtype("python", na_value=np.nan)
        ),  # noqa: E501
        pd.Categorical(["p", "q"] * (N // 2), categories=["q", "p", "unused"]),
        pd.Series([True, False, np.nan, True] * (N // 4), dtype=object),
        pd.Series(["", " ", "a\nb", "c\r\nd"] * (N // 4)),
    ],
    ids=[
        "bytes",
        "Decimal",
        "Decimal-NaN",
        "tuple",
        "date",
        "py-datetime",
        "Period-objects",
        "Timedelta-objects",
        "mixed-timezones",
        "int-10**400",
        "Interval",
        "pyarrow-string",
        "str-nan",
        "unused-categories",
        "bool-nan",
        "empty-and-newline-strings",
    ],
)
def test_categorical_values_round_trip_and_survive_save_load(values, tmp_path) -> None:
    df = _with(v=values)
    gan = _gan().fit(df)
    seen = {repr(v) for v in df["v"].dropna()}
    for model in (gan, _saved_and_loaded(gan, tmp_path)):
        out = model.sample(60)
        assert out.dtypes.to_dict() == df.dtypes.to_dict()
        assert {repr(v) for v in out["v"].dropna()} <= seen
        assert {type(v) for v in out["v"].dropna()} <= {type(v) for v in df["v"].dropna()}
    assert gan.adapter_.metadata_["columns"]["v"]["sdtype"] in ("categorical", "boolean")


def test_float16_and_float32_columns_keep_their_dtype(tmp_path) -> None:
    rng = np.random.default_rng(6)
    df = _with(h=rng.normal(size=N).astype(np.float16), f=(rng.normal(size=N) * 1e30).astype("f4"))
    gan = _gan().fit(df)
    for model in (gan, _saved_and_loaded(gan, tmp_path)):
        out = model.sample(50)
        assert out.dtypes.to_dict() == df.dtypes.to_dict()
        for col in ("h", "f"):
            assert out[col].between(df[col].min(), df[col].max()).all()


@pytest.mark.parametrize(
    ("data", "error", "match"),
    [
        (pd.DataFrame(index=range(5)), ValueError, "empty: it has no columns"),
        (_base().iloc[:0], ValueError, "empty: it has no rows"),
        (_base(1), ValueError, "Nothing to learn.*single row"),
        (_with(e=np.nan), ValueError, "'e' is all missing"),
        (_base().rename(columns={"c": "x"}), ValueError, "duplicate column names: \\['x'\\]"),
        (_with(p=pd.period_range("2020-01", periods=N, freq="M")), TypeError, "'p' has dtype"),
        (_with(d=pd.to_timedelta(np.arange(N), "s")), TypeError, "'d' has dtype timedelta64"),
        (np.zeros((N, 2)), TypeError, "got ndarray.*pd.DataFrame\\(array"),
        (_base()["x"], TypeError, "got Series.*to_frame"),
        ([{"a": 1}] * N, TypeError, "got list.*pd.DataFrame\\(data\\)"),
    ],
)
def test_refusals(data, error, match) -> None:
    with pytest.raises(error, match=match):
        _gan().fit(data)


def test_two_rows_fit_and_sample() -> None:
    df = _base(2)
    out = _gan().fit(df).sample(5)
    assert out.dtypes.to_dict() == df.dtypes.to_dict()
    assert out["c"].isin(df["c"]).all()


def test_state_is_plain_json_for_extreme_columns(tmp_path) -> None:
    rng = np.random.default_rng(7)
    df = _with(
        h=rng.normal(size=N) * 1e300,
        u=np.uint64(2**64 - 1) - rng.integers(0, 9, N).astype(np.uint64),
        t=pd.Series(pd.date_range("2999-12-01", periods=N, freq="D", unit="s")),
    )
    ad = TabularAdapter().fit(df, rng=np.random.default_rng(0))
    cfg, tensors = ad._get_state()
    cfg = json.loads(json.dumps(cfg, allow_nan=False))
    other = TabularAdapter()
    other.restore(cfg, tensors, tmp_path)
    enc = ad.encode(df).data
    pd.testing.assert_frame_equal(
        other.decode(enc, rng=np.random.default_rng(3)),
        ad.decode(enc, rng=np.random.default_rng(3)),
    )


def test_numeric_ids_near_2_62_start_after_the_training_ids() -> None:
    df = _with(k=np.arange(N, dtype=np.int64) * 13 + 2**62)
    ad = TabularAdapter().fit(
        df, rng=np.random.default_rng(0), metadata={"columns": {"k": {"sdtype": "id"}}}
    )
    out = ad.decode(ad.encode(df).data, rng=np.random.default_rng(1))
    assert out["k"].dtype == np.int64 and int(out["k"].min()) == int(df["k"].max()) + 1
