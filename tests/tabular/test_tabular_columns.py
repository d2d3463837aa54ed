"""Column transformers, metadata and the encoder round trip (no training)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from tabgan.plugins.tabular import TabularAdapter, infer_metadata
from tabgan.plugins.tabular.columns import ContinuousColumn, DiscreteColumn, IdColumn
from tabgan.plugins.tabular.spans import Span, SpanLayout


def _roundtrip(df: pd.DataFrame, **params) -> tuple[TabularAdapter, pd.DataFrame]:
    ad = TabularAdapter(**params).fit(df, rng=np.random.default_rng(0))
    return ad, ad.decode(ad.encode(df).data, rng=np.random.default_rng(1))


def _mixed(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    miss = rng.random(n) < 0.2
    return pd.DataFrame(
        {
            "num": rng.normal(10, 3, n),
            "f32": rng.normal(size=n).astype(np.float32),
            "int": rng.integers(-5, 100, n),
            "u8": rng.integers(0, 255, n).astype(np.uint8),
            "cat": rng.choice(["a", "b", "c"], n),
            "flag": rng.random(n) > 0.5,
            "when": pd.date_range("2021-03-01", periods=n, freq="37min", tz="Europe/Paris"),
            "day": pd.Series(pd.date_range("2000-01-01", periods=n, freq="D")).astype(
                "datetime64[s]"
            ),
            "nanf": np.where(miss, np.nan, rng.normal(size=n)),
            "Int": pd.array(np.where(miss, None, rng.integers(0, 5, n)), dtype="Int64"),
            "nbool": pd.array(np.where(miss, None, rng.random(n) > 0.5), dtype="boolean"),
            "s": pd.array(rng.choice(["x", "y", None], n), dtype="string"),
            "c": pd.Categorical(rng.choice(["p", "q"], n), categories=["q", "p", "unused"]),
            "objnan": np.where(miss, None, rng.choice(["k", "l"], n)).astype(object),
            "const": 7,
            "id": [f"user-{i:05d}" for i in range(n)],
        }
    )


def test_metadata_inference() -> None:
    meta = infer_metadata(_mixed())["columns"]
    assert meta["num"] == {"sdtype": "numerical"}
    assert meta["cat"]["sdtype"] == "categorical"
    assert meta["flag"]["sdtype"] == "boolean"
    assert meta["nbool"]["sdtype"] == "boolean"
    assert meta["when"]["sdtype"] == "datetime"
    assert meta["id"]["sdtype"] == "id"
    assert meta["c"]["sdtype"] == "categorical"


def test_encoder_roundtrip_dtypes_and_values() -> None:
    df = _mixed()
    ad, back = _roundtrip(df)
    assert list(back.columns) == list(df.columns)
    assert back.dtypes.to_dict() == df.dtypes.to_dict()
    # discrete columns come back exactly (missing values included)
    for col in ["cat", "flag", "nbool", "s", "c", "objnan", "const", "Int"]:
        pd.testing.assert_series_equal(back[col], df[col], check_names=True)
    assert back["objnan"].isna().sum() == df["objnan"].isna().sum()
    # continuous columns come back close; missing exactly where they were
    for col in ["num", "f32", "int", "u8", "nanf"]:
        a, b = df[col].to_numpy(float), back[col].to_numpy(float)
        assert np.array_equal(np.isnan(a), np.isnan(b))
        ok = ~np.isnan(a)
        assert np.abs(a[ok] - b[ok]).max() <= 1e-3 * (np.nanstd(a) + 1) + 0.5 * (
            col in ("int", "u8")
        )
    assert (back["int"] == df["int"]).mean() > 0.99  # rounding recovers integers
    dt = (back["when"] - df["when"]).abs().max()
    assert dt < pd.Timedelta("1s")
    assert str(back["when"].dt.tz) == "Europe/Paris"
    assert back["day"].dtype == np.dtype("datetime64[s]")
    # ids are fresh, unique, and not the training ones
    assert back["id"].is_unique and not set(back["id"]) & set(df["id"])
    assert back["id"].str.startswith("user-").all()


def test_continuous_modes_and_nan_span() -> None:
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-10, 1, 500), rng.normal(10, 1, 500), [np.nan] * 100])
    col = ContinuousColumn().fit(pd.Series(x, name="x"), rng)
    assert col.has_nan_ and col.spans == [(1, "tanh"), (len(col.means_), "softmax"), (2, "softmax")]
    assert 2 <= len(col.means_) <= 10
    assert np.any(np.abs(col.means_ + 10) < 1) and np.any(np.abs(col.means_ - 10) < 1)
    enc = col.encode(pd.Series(x, name="x"), rng)
    assert np.all(np.abs(enc[:, 0]) <= 0.99)
    assert np.allclose(enc[:, 1:].sum(1), 2.0)  # one mode + one missing-indicator slot
    assert enc[-100:, -1].all() and not enc[:-100, -1].any()


def test_integer_clipped_to_range() -> None:
    col = ContinuousColumn().fit(
        pd.Series([1, 2, 3, 4, 5] * 20, name="i"), np.random.default_rng(0)
    )
    k = len(col.means_)
    block = np.zeros((2, col.width), np.float32)
    block[:, 0] = [1.0, -1.0]
    block[:, 1] = 1.0  # mode 0
    block[0, 1 : 1 + k] = 0
    block[0, k] = 1.0
    out = col.decode(block, np.random.default_rng(0), "i")
    assert out.dtype == np.int64 and out.between(1, 5).all()


def test_high_cardinality_bounded_width_and_memory() -> None:
    rng = np.random.default_rng(0)
    n = 20_000
    codes = rng.zipf(1.3, n) % 5000
    df = pd.DataFrame({"zip": [f"z{c}" for c in codes], "v": rng.normal(size=n)})
    assert df["zip"].nunique() > 1000
    ad = TabularAdapter(max_categories=50).fit(df, rng=np.random.default_rng(0))
    enc = ad.encode(df).data
    col = ad.transformers_[0]
    assert isinstance(col, DiscreteColumn) and col.width == 50 and col.has_other
    assert ad.cond_dim == 50
    # bounded: an encoded row is the 50 slots plus the continuous column's span
    assert enc.shape[1] == 50 + ad.transformers_[1].width
    assert enc.element_size() * enc.nelement() < n * 70 * 4
    back = ad.decode(enc, rng=np.random.default_rng(1))
    top = set(col.categories_)
    kept = df["zip"].isin(top)
    assert (back["zip"][kept] == df["zip"][kept]).all()
    assert back["zip"][~kept].isin(set(col.other_values_)).all()  # rare values drawn by frequency


def test_state_roundtrip_json_native_and_not(tmp_path) -> None:
    import json

    df = _mixed(80).drop(columns=["id"])
    df["stamp_cat"] = pd.Series(pd.to_datetime(["2020-01-01", "2021-06-01"] * 40))
    df[3] = np.arange(80) % 3  # a non-string column name
    meta = {"columns": {"stamp_cat": {"sdtype": "categorical"}, 3: {"sdtype": "categorical"}}}
    ad = TabularAdapter().fit(df, rng=np.random.default_rng(0), metadata=meta)
    cfg, tensors = ad._get_state()
    cfg = json.loads(json.dumps(cfg))
    other = TabularAdapter()
    other.restore(cfg, tensors, tmp_path)
    enc = ad.encode(df).data
    a = ad.decode(enc, rng=np.random.default_rng(5))
    b = other.decode(enc, rng=np.random.default_rng(5))
    pd.testing.assert_frame_equal(a, b)
    assert list(b.columns) == list(df.columns)
    assert b["stamp_cat"].iloc[0] == pd.Timestamp("2020-01-01")


def test_id_numeric_override() -> None:
    col = IdColumn().fit(pd.Series(np.arange(10, 20), name="k"), np.random.default_rng(0))
    out = col.decode(np.zeros((3, 0)), np.random.default_rng(0), "k")
    assert out.tolist() == [20, 21, 22] and out.dtype == np.int64


@pytest.mark.parametrize("group_by_width", [True, False])
def test_span_activation_vectorized_segments(group_by_width: bool) -> None:
    spans = [Span(0, 1, "tanh")] + [Span(s, w, "softmax") for s, w in ((1, 3), (4, 2), (6, 3))]
    layout = SpanLayout(spans, group_by_width=group_by_width)
    assert sorted(layout.order.tolist()) == list(range(9))
    if group_by_width:  # the width-3 spans are adjacent: one (B, 2, 3) view
        assert [(k, w) for _, k, w, _ in layout.groups] == [(1, 2), (2, 3)]

    def natural(x: torch.Tensor) -> torch.Tensor:  # model order -> column order
        return x[:, layout.model_pos]

    raw = torch.randn(64, 9) * 3
    soft = natural(layout.activate(raw))
    for a, b in ((1, 4), (4, 6), (6, 9)):
        assert torch.allclose(soft[:, a:b].sum(1), torch.ones(64), atol=1e-5)
    assert torch.allclose(soft[:, 0], torch.tanh(natural(raw)[:, 0]))
    hard = natural(layout.activate(raw, hard=True))
    assert set(hard[:, 1:].unique().tolist()) <= {0.0, 1.0}
    for a, b in ((1, 4), (4, 6), (6, 9)):
        assert (hard[:, a:b].sum(1) == 1).all()
    # Gumbel-max: hard samples follow softmax(raw) of each span
    big_nat = torch.tensor([[0.0, 0.0, float(np.log(3.0)), 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]])
    big = big_nat[:, layout.order].repeat(20_000, 1)
    freq = natural(layout.activate(big, hard=True))[:, 1:4].mean(0)
    assert torch.allclose(freq, torch.tensor([0.2, 0.6, 0.2]), atol=0.02)
    # codes and one_hot invert each other; segmented log-softmax / logsumexp agree
    codes = layout.codes(raw[:, 1:])
    assert torch.equal(layout.codes(layout.one_hot(codes)), codes)
    lse = layout.logsumexp(raw[:, 1:])
    assert torch.allclose(layout.log_softmax(raw[:, 1:]).exp(), layout.softmax(raw[:, 1:]))
    assert torch.allclose(lse[:, 0], torch.logsumexp(raw[:, 1:][:, layout.seg_id == 0], 1))
    # gradients flow through the soft path
    raw.requires_grad_(True)
    layout.activate(raw)[:, 1].sum().backward()
    assert raw.grad is not None and raw.grad.abs().sum() > 0


@pytest.mark.parametrize(
    ("frame", "error", "match"),
    [
        (pd.DataFrame(), ValueError, "empty"),
        (pd.DataFrame({"a": [np.nan, np.nan], "b": [1, 2]}), ValueError, "'a' is all missing"),
        (pd.DataFrame({"a": [1.0, np.inf], "b": [1, 2]}), ValueError, "'a' holds \\+/-inf"),
        (pd.DataFrame({"m": ["x", 1, "y"]}), TypeError, "'m' mixes value types"),
        (pd.DataFrame([[1, 2]], columns=["a", "a"]), ValueError, "duplicate column names"),
        (np.zeros((3, 2)), TypeError, "pandas DataFrame"),
        ([[1, 2]], TypeError, "pandas DataFrame"),
    ],
)
def test_bad_input(frame, error, match) -> None:
    with pytest.raises(error, match=match):
        TabularAdapter().fit(frame, rng=np.random.default_rng(0))


def test_bad_metadata() -> None:
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "x"]})
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="'zz'"):
        TabularAdapter().fit(df, rng=rng, metadata={"columns": {"zz": {"sdtype": "numerical"}}})
    with pytest.raises(ValueError, match="'a' sdtype 'text'"):
        TabularAdapter().fit(df, rng=rng, metadata={"columns": {"a": {"sdtype": "text"}}})
    with pytest.raises(ValueError, match="'b' is declared numerical"):
        TabularAdapter().fit(df, rng=rng, metadata={"columns": {"b": {"sdtype": "numerical"}}})
    with pytest.raises(TypeError, match="metadata"):
        TabularAdapter().fit(df, rng=rng, metadata={"a": "numerical"})
    ad = TabularAdapter().fit(df, rng=rng, metadata={"columns": {"a": {"sdtype": "categorical"}}})
    assert isinstance(ad.transformers_[0], DiscreteColumn)
    assert ad.metadata_["columns"]["a"]["sdtype"] == "categorical"


def test_encode_rejects_other_columns_and_unseen_values() -> None:
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "x"]})
    ad = TabularAdapter().fit(df, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="missing \\['b'\\]"):
        ad.encode(df[["a"]])
    with pytest.raises(ValueError, match="'b': value 'q' was never seen"):
        ad.encode(pd.DataFrame({"a": [1.0], "b": ["q"]}))


def test_continuous_column_keeps_the_training_precision() -> None:
    """Values recorded to 1 or 2 decimals come back with that many; full floats are untouched."""
    rng = np.random.default_rng(0)
    one = pd.Series(np.round(rng.normal(40, 5, 500), 1))
    two32 = pd.Series(np.round(rng.normal(3, 1, 500), 2).astype(np.float32))
    full = pd.Series(rng.normal(0, 1, 500))
    for s, decimals in ((one, 1), (two32, 2), (full, None)):
        col = ContinuousColumn().fit(s, rng)
        assert col.decimals_ == decimals
        k = len(col.means_)
        out = col.decode_parts(rng.uniform(-1, 1, 200), rng.integers(0, k, 200), None, "x")
        values = out.to_numpy(np.float64)
        if decimals is None:
            assert (values != np.round(values, 6)).any()
        else:
            assert np.all(np.abs(values - np.round(values, decimals)) < 1e-5)
