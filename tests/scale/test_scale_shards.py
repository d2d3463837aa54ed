"""Sharded sampling to Parquet: the same files wherever and in whatever order shards run."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tabgan import GANSynthesizer
from tabgan.cli import main
from tabgan.estimator.shards import MANIFEST, shard_name, shard_seed, shard_sizes

pytest.importorskip("pyarrow")


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "kind": rng.choice(["a", "b", "c"], 80),
            "x": rng.normal(size=80).round(3),
            "n": rng.integers(0, 9, 80),
        }
    )


@pytest.fixture(scope="module")
def model(table, tmp_path_factory):
    synth = GANSynthesizer(epochs=1, batch_size=20, pac=2, random_state=0, verbose=False)
    synth.fit(table)
    folder = tmp_path_factory.mktemp("shards") / "model"
    synth.save(folder)
    return synth, folder


def _frames(folder, num_shards):
    return [pd.read_parquet(folder / shard_name(i, num_shards)) for i in range(num_shards)]


def test_sizes_and_seeds():
    assert shard_sizes(10, 4) == [3, 3, 2, 2]
    assert sum(shard_sizes(1_000_000_007, 200)) == 1_000_000_007
    assert shard_sizes(2, 3) == [1, 1, 0]
    seeds = {shard_seed(5, i) for i in range(100)}
    assert len(seeds) == 100 and shard_seed(5, 3) == shard_seed(5, 3) != shard_seed(6, 3)


def test_one_place_or_shard_by_shard_gives_the_same_files(model, tmp_path):
    synth, _ = model
    together = synth.sample_to_parquet(tmp_path / "a", 250, num_shards=4, rows_per_group=40)
    assert together.written == (0, 1, 2, 3) and together.skipped == ()
    for i in (3, 0, 2, 1):  # any order, one call per shard (as array tasks would)
        report = synth.sample_to_parquet(
            tmp_path / "b", 250, num_shards=4, shard_index=i, rows_per_group=40
        )
        assert report.written == (i,)
    # a fresh process's copy of the model (what a remote task loads) writes the same shard
    again = GANSynthesizer.load(model[1], device="cpu")
    again.sample_to_parquet(tmp_path / "c", 250, num_shards=4, shard_index=2, rows_per_group=40)
    a, b = _frames(tmp_path / "a", 4), _frames(tmp_path / "b", 4)
    for x, y in zip(a, b):
        pd.testing.assert_frame_equal(x, y)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "c" / shard_name(2, 4)), a[2])
    assert [len(f) for f in a] == [63, 63, 62, 62]
    assert list(a[0].columns) == ["kind", "x", "n"] and a[0]["n"].dtype == np.int64
    # shards are different draws, not one draw repeated
    assert not a[0].head(62).reset_index(drop=True).equals(a[1].head(62))
    whole = pd.read_parquet(tmp_path / "a")  # the folder reads as one table
    assert len(whole) == 250
    manifest = json.loads((tmp_path / "a" / MANIFEST).read_text())
    assert manifest["rows"] == 250 and [s["rows"] for s in manifest["shards"]] == [63, 63, 62, 62]


def test_seed_and_group_size_are_part_of_the_result(model, tmp_path):
    synth, _ = model
    synth.sample_to_parquet(tmp_path / "s0", 60, num_shards=2, random_state=0)
    synth.sample_to_parquet(tmp_path / "s1", 60, num_shards=2, random_state=1)
    assert not _frames(tmp_path / "s0", 2)[0].equals(_frames(tmp_path / "s1", 2)[0])
    with pytest.raises(ValueError, match="another run.*seed"):
        synth.sample_to_parquet(tmp_path / "s0", 60, num_shards=2, random_state=1)
    with pytest.raises(ValueError, match="another run.*rows"):
        synth.sample_to_parquet(tmp_path / "s0", 61, num_shards=2, random_state=0)


def test_rerun_skips_finished_shards_and_rewrites_missing_ones(model, tmp_path):
    synth, _ = model
    out = tmp_path / "run"
    synth.sample_to_parquet(out, 120, num_shards=3, rows_per_group=25)
    before = {i: (out / shard_name(i, 3)).stat().st_mtime_ns for i in range(3)}
    original = _frames(out, 3)
    (out / shard_name(1, 3)).unlink()  # a lost shard
    (out / shard_name(2, 3)).write_bytes(b"truncated")  # a broken one
    (out / f".{shard_name(0, 3)}.dead.tmp").write_bytes(b"x")  # a crashed writer's leftover
    report = synth.sample_to_parquet(out, 120, num_shards=3, rows_per_group=25)
    assert report.written == (1, 2) and report.skipped == (0,)
    assert (out / shard_name(0, 3)).stat().st_mtime_ns == before[0]
    for x, y in zip(original, _frames(out, 3)):
        pd.testing.assert_frame_equal(x, y)
    assert len(pd.read_parquet(out)) == 120  # the leftover temporary file is not read


def test_conditions_apply_to_every_shard(model, tmp_path):
    synth, _ = model
    synth.sample_to_parquet(tmp_path / "c", 50, num_shards=2, conditions={"kind": "b"})
    assert set(pd.read_parquet(tmp_path / "c")["kind"]) == {"b"}
    with pytest.raises(TypeError, match="shared by every row"):
        synth.sample_to_parquet(tmp_path / "d", 2, conditions=pd.DataFrame({"kind": ["a", "b"]}))
    with pytest.raises(ValueError, match="shard_index"):
        synth.sample_to_parquet(tmp_path / "e", 10, num_shards=2, shard_index=2)
    with pytest.raises(ValueError, match="set_copy_reference|training rows"):
        GANSynthesizer.load(model[1]).sample_to_parquet(tmp_path / "f", 10, drop_copies=True)


def test_cli_shards_match_the_api(model, tmp_path, capsys):
    synth, folder = model
    synth.sample_to_parquet(tmp_path / "api", 90, num_shards=3, random_state=7)
    args = ["sample", str(folder), "-n", "90", "--num-shards", "3", "--seed", "7"]
    assert main([*args, "-o", str(tmp_path / "cli"), "--shard-index", "1"]) == 0
    assert "wrote 1 shard(s), skipped 0" in capsys.readouterr().out
    assert main([*args, "-o", str(tmp_path / "cli")]) == 0
    assert "wrote 2 shard(s), skipped 1" in capsys.readouterr().out
    for x, y in zip(_frames(tmp_path / "api", 3), _frames(tmp_path / "cli", 3)):
        pd.testing.assert_frame_equal(x, y)
    assert main(["sample", str(folder), "-n", "5", "-o", str(tmp_path / "x.csv"), "--jobs", "2"])
    assert "--jobs needs --num-shards" in capsys.readouterr().err


@pytest.mark.slow
def test_local_jobs_write_the_same_shards(model, tmp_path, capsys):
    synth, folder = model
    synth.sample_to_parquet(tmp_path / "one", 90, num_shards=3, random_state=7)
    args = ["sample", str(folder), "-n", "90", "--num-shards", "3", "--seed", "7"]
    assert main([*args, "-o", str(tmp_path / "jobs"), "--jobs", "2"]) == 0  # two processes
    assert "wrote 3 shard(s), skipped 0" in capsys.readouterr().out
    for x, y in zip(_frames(tmp_path / "one", 3), _frames(tmp_path / "jobs", 3)):
        pd.testing.assert_frame_equal(x, y)
