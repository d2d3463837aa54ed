"""Sharded sampling on a local Dask cluster: one task per shard, the same files as one process.

    pip install "tabgan-engine[cluster]"         # dask[distributed]
    python examples/dask_shards.py               # 200,000 rows in 8 shards, 2 worker processes
    TABGAN_QUICK=1 python examples/dask_shards.py   # 2,000 rows (the slow test)

Trains a small model on the penguins table and saves it; each Dask task loads the saved model
and writes its shard with ``sample_to_parquet(..., shard_index=i)``. Shard ``i`` depends only on
the model, ``n``, the number of shards, the seed and ``i``, so tasks may run on any worker, in
any order, be retried, or run again later (finished shards are skipped). The script then writes
the same shards in this process and checks that the files agree. A Ray task (``@ray.remote``)
or a Slurm array task (``--shard-index $SLURM_ARRAY_TASK_ID``) runs the same call.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pandas as pd
from palmerpenguins import load_penguins

from tabgan import GANSynthesizer


def write_shard(model: str, out: str, n: int, num_shards: int, index: int, seed: int) -> int:
    """One Dask task: load the saved model and write shard ``index``."""
    import torch

    torch.set_num_threads(1)
    synth = GANSynthesizer.load(model, device="cpu")
    report = synth.sample_to_parquet(
        out, n, num_shards=num_shards, shard_index=index, random_state=seed
    )
    return len(report.written)


def main(argv: list[str] | None = None) -> None:
    from dask.distributed import Client, LocalCluster

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", default=bool(os.environ.get("TABGAN_QUICK")))
    p.add_argument("--out", type=Path, default=Path("dask_shards_out"))
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args(argv)
    n, num_shards, seed = (2_000, 4, 0) if args.quick else (200_000, 8, 0)

    synth = GANSynthesizer(epochs=2 if args.quick else 100, random_state=0, verbose=False)
    synth.fit(load_penguins())
    model = args.out / "model"
    synth.save(model)

    with (
        LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True) as cluster,
        Client(cluster) as client,
    ):
        futures = [
            client.submit(
                write_shard, str(model), str(args.out / "dask"), n, num_shards, i, seed, pure=False
            )
            for i in range(num_shards)
        ]
        written = sum(client.gather(futures))
    print(f"dask: {written} shard(s) written by {args.workers} workers in {args.out / 'dask'}")

    local = synth.sample_to_parquet(args.out / "local", n, num_shards=num_shards, random_state=seed)
    for path in local.paths:
        pd.testing.assert_frame_equal(
            pd.read_parquet(path), pd.read_parquet(args.out / "dask" / path.name)
        )
    table = pd.read_parquet(args.out / "dask")
    print(f"the {num_shards} shards equal those written in one process; {len(table)} rows:")
    print(table.head(5).to_string())


if __name__ == "__main__":
    main()
