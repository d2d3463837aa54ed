"""Streamed fit: a Parquet/CSV table read in pieces gives the encoders a whole fit would give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from tabgan import GANSynthesizer
from tabgan.cli import main
from tabgan.plugins.tabular import TableStream, TabularAdapter
from tabgan.plugins.tabular.columns import ContinuousColumn, DiscreteColumn

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

SMALL = {"sample_rows": 150, "buffer_rows": 400, "batch_rows": 250}


def _table(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    kind = rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1])
    x = np.where(kind == "a", rng.normal(0, 1, n), rng.normal(5, 1, n)).round(2)
    df = pd.DataFrame(
        {
            "kind": kind,
            "x": x,
            "twice": (2 * x).round(2),
            "count": rng.integers(0, 9, n),
            "flag": rng.random(n) < 0.3,
            "row": np.arange(n),
        }
    )
    # what a 150-row sample would miss: a category, an extreme, the only missing values
    df.loc[n - 1, "kind"] = "rare"
    df.loc[n - 2, ["x", "twice"]] = [100.0, 200.0]
    df["z"] = rng.normal(size=n).round(3)
    df.loc[[n - 3, n - 4], "z"] = np.nan
    return df


@pytest.fixture(scope="module")
def parquet(tmp_path_factory):
    df = _table()
    path = tmp_path_factory.mktemp("stream") / "table.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, row_group_size=400)
    return df, path


@pytest.fixture(scope="module")
def fitted(parquet):
    df, path = parquet
    kw = dict(epochs=1, batch_size=100, pac=2, random_state=0, verbose=False)
    streamed = GANSynthesizer(**kw).fit(TableStream(path, **SMALL))
    in_memory = GANSynthesizer(**kw).fit(df)
    return streamed, in_memory


def test_streamed_encoders_have_the_tables_statistics(fitted):
    streamed, in_memory = fitted
    a, b = streamed.adapter_, in_memory.adapter_
    assert a.columns_ == b.columns_ and a.metadata_ == b.metadata_
    assert [r["column"] for r in a.derived_] == [r["column"] for r in b.derived_] == ["twice"]
    for ta, tb in zip(a.transformers_, b.transformers_):
        assert type(ta) is type(tb)
        if isinstance(ta, DiscreteColumn):  # exact counts, the one "rare" row included
            assert ta.categories_ == tb.categories_
            np.testing.assert_array_equal(ta.counts_, tb.counts_)
        if isinstance(ta, ContinuousColumn):  # exact range and missing indicator
            assert (ta.min_, ta.max_, ta.has_nan_) == (tb.min_, tb.max_, tb.has_nan_)
    assert a.transformers_[0].categories_[-1] == "rare"
    # the mixtures differ (fitted on 150 sampled rows, not 3000): not compared
    assert streamed.n_steps_ == in_memory.n_steps_ == 30  # 3000 rows, batches of 100


def test_streamed_model_samples_like_an_in_memory_one(fitted, tmp_path):
    streamed, in_memory = fitted
    fake = streamed.sample(200, random_state=0)
    assert list(fake.columns) == list(in_memory.sample(5).columns)
    assert dict(fake.dtypes) == dict(in_memory.sample(5).dtypes)
    np.testing.assert_allclose(fake["twice"], (2 * fake["x"]).round(2))  # the derived rule
    assert set(streamed.sample(20, conditions={"kind": "rare"})["kind"]) == {"rare"}
    streamed.save(tmp_path / "m")
    pd.testing.assert_frame_equal(
        GANSynthesizer.load(tmp_path / "m").sample(50, random_state=1),
        streamed.sample(50, random_state=1),
    )


def test_a_rule_broken_outside_the_sample_is_dropped(tmp_path):
    df = _table(2000, seed=1)
    df.loc[1990, "twice"] += 0.01  # 2 * x everywhere but here (outside a 150-row sample)
    path = tmp_path / "t.parquet"
    df.to_parquet(path, row_group_size=500)
    kw = dict(epochs=1, batch_size=100, random_state=0, verbose=False)
    streamed = GANSynthesizer(**kw).fit(TableStream(path, **SMALL))
    assert "twice" not in [r["column"] for r in streamed.adapter_.derived_]
    assert streamed.adapter_.derived == "auto"  # the parameter is left as given
    assert isinstance(streamed.adapter_.transformers_[2], ContinuousColumn)


def test_the_buffer_reads_every_row_and_ranks_read_disjoint_rows(parquet):
    df, path = parquet
    stream = TableStream(path, **SMALL)
    adapter = TabularAdapter(derived=None)
    stream.fit_adapter(adapter, rng=np.random.default_rng(0))
    row = adapter.columns_.index("row")

    def rows_drawn(rank, world, draws):
        sampler = stream.make_sampler(
            adapter, device=torch.device("cpu"), rank=rank, world_size=world, seed=3
        )
        assert sampler.capacity == 400  # buffer_rows, whatever the table's size
        seen = []
        for _ in range(draws):
            sampler.sample_fake_conditions(50)
            x, _ = sampler.sample_real(50)
            seen.append(adapter.decode(x, rng=np.random.default_rng(0)).iloc[:, row].to_numpy())
        sampler.close()
        return np.concatenate(seen)

    alone = rows_drawn(0, 1, 4 * len(df) // 50)  # 4 epochs' worth of draws
    assert np.isin(df["row"], alone).mean() > 0.95  # each row drawn about once per epoch
    r0, r1 = rows_drawn(0, 2, 30), rows_drawn(1, 2, 30)
    assert not set(r0) & set(r1)  # whole row groups per rank, none shared


def test_sources_folder_csv_and_dataset(parquet, tmp_path):
    import pyarrow.dataset as ds

    df, _ = parquet
    folder = tmp_path / "parts"
    folder.mkdir()
    df.iloc[:1500].to_parquet(folder / "a.parquet")
    df.iloc[1500:].to_parquet(folder / "b.parquet")
    (folder / "_SUCCESS").write_text("")  # marker files are skipped
    df.head(600).to_csv(tmp_path / "t.csv", index=False)
    kw = dict(epochs=1, batch_size=300, random_state=0, verbose=False)
    for source, rows in (
        (folder, 3000),
        (ds.dataset(folder), 3000),
        (TableStream(tmp_path / "t.csv", **SMALL), 600),
    ):
        synth = GANSynthesizer(**kw).fit(source)
        assert synth.n_steps_ == rows // 300
        assert len(synth.sample(10)) == 10


def test_copy_guard_after_a_streamed_fit(fitted, parquet):
    streamed, in_memory = fitted
    _, path = parquet
    assert "training_hashes_" not in streamed.__dict__
    with pytest.raises(ValueError, match="streamed fit keeps no row hashes"):
        streamed.sample(5, drop_copies=True)
    streamed.set_copy_reference(path)  # hashed batch by batch
    np.testing.assert_array_equal(streamed.training_hashes_, in_memory.training_hashes_)
    assert len(streamed.sample(30, drop_copies=True)) == 30


def test_cli_streams_a_file_and_a_folder(parquet, tmp_path, capsys):
    df, path = parquet
    common = ["--epochs", "1", "--batch-size", "500", "--random-state", "0", "--quiet"]
    assert main(["fit", str(path), "--stream", "-o", str(tmp_path / "m1"), *common]) == 0
    assert "trained on 3000 rows x 7 columns in 6 steps" in capsys.readouterr().out
    folder = tmp_path / "parts"
    folder.mkdir()
    df.to_parquet(folder / "p.parquet", row_group_size=1000)
    assert main(["fit", str(folder), "-o", str(tmp_path / "m2"), *common]) == 0
    assert "trained on 3000 rows" in capsys.readouterr().out
    assert main(["fit", str(tmp_path / "nothing"), "--stream", "-o", str(tmp_path / "m3")]) == 1
    assert "no such file or folder" in capsys.readouterr().err


def test_resume_a_streamed_run(parquet, tmp_path):
    _, path = parquet
    kw = dict(batch_size=500, random_state=0, verbose=False)
    GANSynthesizer(epochs=1, checkpoint_dir=tmp_path / "ck", **kw).fit(path)
    resumed = GANSynthesizer(epochs=2, **kw).fit(path, resume_from=tmp_path / "ck")
    assert resumed.n_steps_ == 12


@pytest.mark.parametrize(
    "source, message",
    [
        ("missing.parquet", "no such file"),
        ("table.txt", "unknown table format"),
        ("empty_dir", "no .parquet or .csv file"),
    ],
)
def test_bad_sources(tmp_path, source, message):
    (tmp_path / "table.txt").write_text("a\n1\n")
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(ValueError, match=message):
        GANSynthesizer(epochs=1, verbose=False).fit(str(tmp_path / source))
    with pytest.raises(ValueError, match="buffer_rows"):
        TableStream(tmp_path, buffer_rows=0)
