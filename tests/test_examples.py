"""Every script in examples/ runs, in quick mode (TABGAN_QUICK=1), so the examples never rot."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))
#: Examples that start a local cluster, with the module they need: slow, skipped without it.
CLUSTER = {"dask_shards.py": "distributed"}


@pytest.mark.parametrize(
    "script",
    [pytest.param(p, marks=pytest.mark.slow) if p.name in CLUSTER else p for p in EXAMPLES],
    ids=lambda p: p.name,
)
def test_example_runs(script, tmp_path):
    if script.name in CLUSTER:
        pytest.importorskip(CLUSTER[script.name])
    env = {**os.environ, "TABGAN_QUICK": "1", "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, (
        f"{script.name} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    )
