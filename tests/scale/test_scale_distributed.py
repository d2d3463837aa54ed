"""Training under torch.distributed: 2 ranks on gloo, launched by torchrun as users do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from tabgan import GANSynthesizer
from tabgan.engine.distributed import shard_indices

pytest.importorskip("pyarrow")
pytestmark = pytest.mark.skipif(
    not torch.distributed.is_available() or not torch.distributed.is_gloo_available(),
    reason="needs torch.distributed with gloo",
)
WORKER = Path(__file__).with_name("ddp_step_worker.py")


def _torchrun(args, cwd, timeout=240):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    env.pop("WORLD_SIZE", None)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2"]
    done = subprocess.run(
        [*cmd, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"torchrun failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    return done


def _table(n=600):
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "kind": rng.choice(["a", "b", "c"], n),
            "x": rng.normal(size=n).round(2),
            "n": rng.integers(0, 4, n),
        }
    )


def test_shards_of_rows_are_disjoint_and_complete():
    parts = [shard_indices(10, r, 3) for r in range(3)]
    assert sorted(torch.cat(parts).tolist()) == list(range(10))


def test_two_rank_step_equals_one_process_step_with_the_whole_batch(tmp_path):
    path = tmp_path / "t.parquet"
    _table().to_parquet(path, row_group_size=100)
    done = _torchrun([str(WORKER), str(tmp_path), str(path)], cwd=tmp_path)
    result = json.loads((tmp_path / "result_0.json").read_text())
    assert result["any_stop"] is True  # a stop asked by rank 1 reaches rank 0
    for name in ("wgan_gp_r1", "hinge_r1", "rsgan_r1"):
        assert result[f"{name}_ranks_apart"] == 0.0  # the ranks hold the same networks
        assert result[f"{name}_moved"] > 1e-4  # the steps did change the weights
        for key in ("generator_grad", "discriminator_grad", "generator", "ema", "discriminator"):
            entry = result[f"{name}_{key}"]
            assert entry["max_diff"] <= 1e-6 * max(entry["scale"], 1.0), (name, key, entry)
            assert entry["noise_share"] < 0.2  # weights left out: zero gradients (see worker)
    # the streamed fit: 600 rows / batch 100 = 6 steps an epoch, same networks on both ranks
    assert result["stream_steps"] == 12 and result["stream_ranks_apart"] == 0.0
    assert len(GANSynthesizer.load(tmp_path / "stream_model").sample(20)) == 20
    # the command line: rank 0 saved and printed; its 2-rank checkpoint resumes in one process
    assert result["cli_exit"] == 0
    assert done.stdout.count("trained on 600 rows x 3 columns in 12 steps") == 1
    assert GANSynthesizer.load(tmp_path / "cli_model").n_steps_ == 12
    resumed = GANSynthesizer(epochs=3, batch_size=100, pac=2, random_state=0, verbose=False)
    resumed.fit(pd.read_parquet(path), resume_from=tmp_path / "ckpt")
    assert resumed.n_steps_ == 18


@pytest.mark.slow
def test_torchrun_module_entry_point(tmp_path):
    _table().to_parquet(tmp_path / "data.parquet")
    args = ["-m", "tabgan", "fit", "data.parquet", "-o", "model", "--epochs", "1"]
    done = _torchrun([*args, "--batch-size", "100", "--quiet"], cwd=tmp_path)
    assert done.stdout.count("trained on 600 rows x 3 columns in 6 steps") == 1
    assert len(GANSynthesizer.load(tmp_path / "model").sample(10)) == 10
