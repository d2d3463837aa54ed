"""The DCR encoder and nearest-neighbour distances on hand-made rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabgan.evaluation import MixedEncoder, distance_to_closest, evaluate, memorization
from tabgan.evaluation.privacy import row_hashes, sdmetrics_dcr

META = {
    "columns": {"n": {"sdtype": "numerical"}, "c": {"sdtype": "categorical"}, "k": {"sdtype": "id"}}
}


def test_encoder_scales_one_hots_and_handles_nan():
    train = pd.DataFrame({"n": [0.0, 10.0, np.nan], "c": ["a", "b", None], "k": ["1", "2", "3"]})
    enc = MixedEncoder(META).fit(train)
    x = enc.transform(train)
    # n scaled (value, missing flag) + 3 one-hot slots (a, b, <NA>); the id column is dropped
    assert x.shape == (3, 5)
    np.testing.assert_allclose(x[:, 0], [0.0, 1.0, 0.0])
    np.testing.assert_allclose(x[:, 1], [0.0, 0.0, 1.0])
    # one categorical mismatch adds exactly 1 to the squared distance
    d = np.sum((x[0, 2:] - x[1, 2:]) ** 2)
    assert d == pytest.approx(1.0)
    unseen = enc.transform(pd.DataFrame({"n": [5.0], "c": ["zzz"], "k": ["9"]}))
    assert unseen[0, 2:].sum() == 0


def test_distance_to_closest_exact_and_exclude_self():
    ref = np.array([[0.0, 0.0], [3.0, 4.0], [10.0, 0.0]])
    q = np.array([[3.0, 4.0], [0.0, 1.0]])
    np.testing.assert_allclose(distance_to_closest(q, ref), [0.0, 1.0])
    np.testing.assert_allclose(
        distance_to_closest(ref, ref, exclude_self=True), [5.0, 5.0, np.sqrt(65.0)]
    )


def test_copies_flagged_and_fresh_rows_not(rng):
    n = 300
    train = pd.DataFrame(
        {
            "n": rng.normal(size=n),
            "c": rng.choice(list("abcd"), n),
            "k": [f"id{i}" for i in range(n)],
        }
    )
    holdout = pd.DataFrame(
        {
            "n": rng.normal(size=n),
            "c": rng.choice(list("abcd"), n),
            "k": [f"h{i}" for i in range(n)],
        }
    )
    fresh = pd.DataFrame(
        {
            "n": rng.normal(size=n),
            "c": rng.choice(list("abcd"), n),
            "k": [f"s{i}" for i in range(n)],
        }
    )
    copies = train.sample(n, replace=True, random_state=0).reset_index(drop=True)
    copies["k"] = [f"s{i}" for i in range(n)]  # ids differ; they are ignored
    bad = memorization(train, copies, holdout, META, rng=rng)
    good = memorization(train, fresh, holdout, META, rng=rng)
    assert bad.exact_copy_share == 1.0 and bad.flagged
    assert bad.closer_to_training_share > 0.9
    assert good.exact_copy_share == 0.0 and not good.flagged
    assert 0.3 < good.closer_to_training_share < 0.7
    assert 0.5 < good.dcr_ratio < 2.0
    # without a holdout the baseline is within-training nearest neighbours
    alone = memorization(train, copies, None, META, rng=rng)
    assert alone.flagged and alone.closer_to_training_share is None
    assert alone.median_dcr_baseline > 0


# -- exact copies: row equality over all rows, never a distance, never a subsample ---------------
def _table(rng, n, prefix="r"):
    frame = pd.DataFrame(
        {
            "n": rng.normal(size=n),
            "u": rng.random(n),  # never missing: rows do not coincide by chance
            "i": rng.integers(0, 90, n),
            "c": rng.choice(list("abcd"), n).astype(object),
            "k": [f"{prefix}{j}" for j in range(n)],
        }
    )
    frame.loc[rng.random(n) < 0.1, "n"] = np.nan
    frame.loc[rng.random(n) < 0.1, "c"] = None
    return frame


META_I = {
    "columns": {**META["columns"], "u": {"sdtype": "numerical"}, "i": {"sdtype": "numerical"}}
}


@pytest.mark.parametrize("holdout", [True, False])
def test_exact_copy_share_is_k_over_n_beyond_the_cap(rng, holdout):
    # 2,500 synthetic rows, 37 of them training rows, a 3,000-row reference and max_rows=100:
    # every frame is larger than the cap, the count must still be exact.
    train = _table(rng, 3000)
    k, n = 37, 2500
    copies = train.iloc[rng.choice(len(train), k, replace=False)].copy()
    copies["k"] = "new"  # ids are ignored
    synthetic = pd.concat([_table(rng, n - k, "s"), copies]).sample(frac=1.0, random_state=0)
    hold = _table(rng, 400, "h") if holdout else None
    res = memorization(train, synthetic, hold, META_I, max_rows=100, rng=rng)
    assert res.exact_copy_share == k / n
    assert res.n_exact_copies == k
    assert len(res.dcr_synthetic) == 100  # queries subsampled...
    assert any("searched against all 3000 training rows" in note for note in res.notes)
    rep = evaluate(train, synthetic, holdout=hold, metadata=META_I, max_rows=100, verbose=False)
    assert rep.exact_copy_share == k / n
    assert any("QualityReport computed on 100 of 3000 real rows" in note for note in rep.notes)


def test_copies_survive_dtype_changes_and_float_noise(rng):
    train = _table(rng, 500)
    copies = train.iloc[:50].copy()
    copies["u"] = copies["u"] * (1 + 1e-14)  # arithmetic noise, e.g. an inverse transform
    copies["i"] = copies["i"].astype(np.float64)  # integers read back as floats
    copies["c"] = copies["c"].astype("category")
    res = memorization(train, copies, None, META_I, rng=rng)
    assert res.exact_copy_share == 1.0
    # a real difference, however small next to the column's range, is not a copy
    nudged = copies.assign(u=copies["u"] + 1e-9)
    assert memorization(train, nudged, None, META_I, rng=rng).exact_copy_share == 0.0


def test_zero_scaled_distance_is_not_a_copy(rng):
    # One huge outlier makes the training range 1e12: rows moved by 0.001 have a scaled DCR of
    # ~1e-15, at or under any float tolerance, yet they are not copies of training rows.
    n = 400
    train = pd.DataFrame({"n": rng.normal(size=n) * 100, "c": rng.choice(list("ab"), n)})
    train.loc[0, "n"] = 1e12
    meta = {"columns": {"n": {"sdtype": "numerical"}, "c": {"sdtype": "categorical"}}}
    moved = train.iloc[1:].assign(n=lambda f: f["n"] + 1e-3).reset_index(drop=True)
    res = memorization(train, moved, None, meta, rng=rng)
    assert res.median_dcr_synthetic < 1e-8  # the scaled representation cannot tell them apart
    assert res.exact_copy_share == 0.0
    assert res.n_exact_copies == 0


def test_copycat_flagged_and_shuffled_columns_not(rng):
    train = _table(rng, 4000)
    holdout = _table(rng, 1000, "h")
    copycat = train.sample(3000, replace=True, random_state=0)
    shuffled = pd.DataFrame(
        {c: train[c].to_numpy()[rng.permutation(len(train))] for c in train.columns}
    )
    shuffled["u"] += rng.normal(scale=0.01, size=len(shuffled))
    bad = memorization(train, copycat, holdout, META_I, max_rows=300, rng=rng)
    good = memorization(train, shuffled, holdout, META_I, max_rows=300, rng=rng)
    assert bad.exact_copy_share == 1.0 and bad.flagged and bad.median_dcr_synthetic == 0.0
    assert good.exact_copy_share == 0.0 and not good.flagged
    assert good.baseline_copy_share == 0.0


def test_baseline_without_holdout_counts_duplicate_training_rows(rng):
    train = _table(rng, 300)
    train = pd.concat([train, train.iloc[:10]], ignore_index=True)  # 10 rows twice: 20 of 310
    res = memorization(train, _table(rng, 50, "s"), None, META_I, max_rows=50, rng=rng)
    assert res.baseline_copy_share == 20 / 310


def test_distance_to_closest_excludes_self_by_position():
    ref = np.array([[0.0], [1.0], [3.0], [7.0]])
    got = distance_to_closest(ref[[2, 3]], ref, exclude_self=True, positions=np.array([2, 3]))
    np.testing.assert_allclose(got, [2.0, 4.0])


def test_sdmetrics_dcr_matches_sdmetrics(rng):
    dcr_utils = pytest.importorskip("sdmetrics.single_table.privacy.dcr_utils")

    def frame(n, cats):
        f = pd.DataFrame(
            {
                "x": rng.normal(size=n),
                "i": rng.integers(0, 5, n),
                "const": np.full(n, 3.0),
                "c": rng.choice(cats, n).astype(object),
                "b": rng.random(n) < 0.5,
                "d": pd.Timestamp("2020-01-01")
                + pd.to_timedelta(rng.integers(0, 1000, n), unit="D"),
                "k": [f"id{j}" for j in range(n)],
            }
        )
        f.loc[rng.random(n) < 0.2, "x"] = np.nan
        f.loc[rng.random(n) < 0.2, "c"] = None
        f.loc[rng.random(n) < 0.1, "d"] = pd.NaT
        f.loc[rng.random(n) < 0.1, "const"] = np.nan
        return f

    sdtypes = dict(
        x="numerical", i="numerical", const="numerical", c="categorical", b="boolean"
    ) | dict(d="datetime", k="id")
    meta = {"columns": {c: {"sdtype": t} for c, t in sdtypes.items()}}
    q, r = frame(60, list("abcz")), frame(80, list("abcd"))  # "z" is never in the reference
    q.loc[:4, "const"] = 4.0
    want = dcr_utils.calculate_dcr(q, r, meta).to_numpy()
    np.testing.assert_allclose(sdmetrics_dcr(q, r, meta, chunk_elements=500), want, atol=1e-6)


def test_holdout_smaller_than_max_rows(rng):
    # sdmetrics' DCROverfittingProtection drew max_rows holdout rows without replacement and
    # raised on a holdout smaller than that.
    train, synthetic, holdout = _table(rng, 300), _table(rng, 300, "s"), _table(rng, 50, "h")
    rep = evaluate(train, synthetic, holdout=holdout, metadata=META_I, max_rows=100, verbose=False)
    assert 0.0 <= rep.privacy["sdmetrics_dcr_overfitting_protection"] <= 1.0
    assert 0.0 <= rep.privacy["sdmetrics_dcr_baseline_protection"] <= 1.0
    assert rep.exact_copy_share == 0.0


def test_row_hashes_exact_for_instants_and_large_integers():
    meta = {"columns": {"d": {"sdtype": "datetime"}, "x": {"sdtype": "numerical"}}}
    stamps = ["2024-01-01 00:00:00.001", "2024-01-01 00:00:00.000", None]
    a = pd.DataFrame({"d": pd.to_datetime(stamps, format="ISO8601"), "x": [2**60, 1, 2]})
    b = a.assign(d=a["d"] + pd.Timedelta(milliseconds=1) * np.array([1, 0, 0]), x=[2**60, 1, 2])
    c = a.assign(d=a["d"].dt.as_unit("ms"), x=[2**60 + 1, 1, 2])  # another unit, another id
    ha, hb, hc = row_hashes([a, b, c], meta)
    np.testing.assert_array_equal(ha == hb, [False, True, True])  # 1 ms apart
    np.testing.assert_array_equal(ha == hc, [False, True, True])  # 2**60 vs 2**60 + 1


# -- one definition of an exact copy: evaluate() and sample(drop_copies=True) agree --------------
def _guard_flags(gan, rows: pd.DataFrame) -> np.ndarray:
    """The rows that ``sample(drop_copies=True)`` replaces when the model generates ``rows``."""
    calls = {"n": 0}
    fresh = rows.copy()
    fresh["c"] = "never-seen"  # a redraw is never a copy

    def decode(x, rng):  # noqa: ARG001
        calls["n"] += 1
        out = rows if calls["n"] == 1 else fresh
        return out.iloc[: len(x)].reset_index(drop=True)

    gan.adapter_.decode = decode
    out = gan.sample(len(rows), drop_copies=True)
    return (out["c"] == "never-seen").to_numpy()


def test_drop_copies_and_evaluate_flag_the_same_rows(rng):
    from tabgan import GANSynthesizer
    from tabgan.plugins.tabular import TabularAdapter

    n = 60
    train = pd.DataFrame(
        {
            "x": np.round(rng.normal(size=n), 3),
            "f32": rng.normal(size=n).astype(np.float32),
            "i": rng.integers(0, 1000, n),
            "c": rng.choice(["a", "b", "c"], n).astype(object),
            "s": [f"w{j}" for j in rng.integers(0, 40, n)],
            "k": [f"id{j}" for j in range(n)],
        }
    )
    train.loc[::7, "x"] = np.nan
    train.loc[3::9, "c"] = None
    meta = {"columns": {"s": {"sdtype": "categorical"}, "k": {"sdtype": "id"}}}
    adapter = TabularAdapter(generator_dims=(16,), discriminator_dims=(16,))
    gan = GANSynthesizer(adapter, epochs=1, batch_size=20, verbose=False, random_state=0)
    gan.fit(train, metadata=meta)
    rows = train.iloc[:30].copy()
    rows["k"] = [f"new{j}" for j in range(30)]  # identifiers are not compared
    # copies: noise beyond the compared precision, integers read back as floats would
    rows.loc[:4, "x"] = rows.loc[:4, "x"] * (1 + 1e-14) + 0.0
    rows.loc[5:9, "f32"] = rows.loc[5:9, "f32"] * np.float32(1 + 1e-8)  # float32 noise: none
    # not copies: a real difference in a number, a category, missing vs present
    rows.loc[10:12, "x"] = rows.loc[10:12, "x"].fillna(0.0) + 1e-6
    rows.loc[13:15, "c"] = "z"
    rows.loc[16:17, "i"] = rows.loc[16:17, "i"] + 1
    rows.loc[18:19, "f32"] = rows.loc[18:19, "f32"] + np.float32(1e-3)
    rows["s"] = rows["s"].astype("string")  # another string dtype: still equal
    rows.loc[20:21, "s"] = pd.NA
    expect = np.ones(30, bool)
    expect[[10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]] = False
    expect[[j for j in range(10, 13) if np.isnan(train.loc[j, "x"])]] = False
    evaluated = row_hashes([train, rows], gan.adapter_.metadata_)
    by_evaluate = np.isin(evaluated[1], evaluated[0])
    by_guard = _guard_flags(gan, rows)
    np.testing.assert_array_equal(by_evaluate, expect)
    np.testing.assert_array_equal(by_guard, expect)
    rep = evaluate(train, rows, synthesizer=gan, verbose=False)
    assert rep.memorization.n_exact_copies == expect.sum()
    # a reference without a compared column would compare fewer columns: refused
    with pytest.raises(ValueError, match=r"lack the training column\(s\) \['x'\]"):
        gan.set_copy_reference(train.drop(columns="x"))


def test_one_copy_key_fitted_on_the_reference_hashes_later_rows_alike(rng):
    from tabgan.estimator.memorization import RowKey

    train = _table(rng, 200)
    later = train.sample(50, random_state=1).reset_index(drop=True)
    later["u"] = later["u"] * (1 + 1e-14)
    later.loc[:9, "u"] += 1e-6
    key = RowKey(META_I).fit([train])
    h_train, h_later = row_hashes([train, later], META_I)
    np.testing.assert_array_equal(key.hashes(train), h_train)
    np.testing.assert_array_equal(key.hashes(later), h_later)
    assert np.isin(h_later, h_train).sum() == 40
    # arrays and sequences of strings: the same rules, column by column
    arr = np.round(rng.normal(size=(20, 3)), 4)  # recorded to 4 decimals
    h_arr, h_noisy = row_hashes([arr, arr * (1 + 1e-14)])
    np.testing.assert_array_equal(h_arr, h_noisy)
    h_a, h_b = row_hashes([["x", "y", None], pd.Series(["x", "z", None], dtype="string")])
    np.testing.assert_array_equal(h_a == h_b, [True, False, True])
