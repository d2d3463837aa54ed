"""Large tables: in-memory against streamed fit, sharded sampling, and 1 against 2 DDP ranks.

A synthetic table of known structure (a skewed segment; a region that depends on it; a
lognormal amount and an age whose means depend on the segment; a score correlated with age, 10%
missing; a flag; a zero-inflated balance) is written to Parquet by this script, at each of
``--rows`` (row groups of 131,072 rows). Each measurement runs in a process of its own:

* fit, in memory (``pd.read_parquet`` then ``fit(df)``) and streamed (``fit(path)``):
  ``--steps`` training steps of a batch of 500 (the tabular defaults otherwise); the time to the
  first step (reading, encoder fit, encoding or the statistics pass and the first buffer),
  training rows per second (steps after the first), and the process's peak RSS;
* sampling: ``sample_to_parquet`` of ``--sample-rows`` rows in 4 shards, rows per second;
* DDP (``--ddp-rows``): ``torchrun --nproc-per-node 1`` and ``2`` (gloo, one torch thread per
  rank) on the same streamed table, ``--ddp-steps`` steps of the same global batch of 500,
  seeds 0 and 1; steps per second and sdmetrics quality of 20,000 sampled rows against 20,000
  rows drawn from the table.

    python benchmarks/scale.py --rows 1000000 5000000 20000000 --memory-max-rows 5000000
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _common import StepClock, argument_parser, md_header, md_row, peak_rss_mb, set_threads

HERE = Path(__file__).resolve()
GROUP = 131_072
BATCH = 500


# -- the table ----------------------------------------------------------------------------------
def chunk(rows: int, seed: int) -> pd.DataFrame:
    """``rows`` rows of the synthetic table (their structure: see the module)."""
    rng = np.random.default_rng(seed)
    segment = rng.choice(6, rows, p=[0.4, 0.25, 0.15, 0.1, 0.07, 0.03])
    region = (segment * 3 + rng.integers(0, 4, rows)) % 20
    amount = np.exp(rng.normal(3 + 0.5 * segment, 0.6)).round(2)
    age = np.clip(rng.normal(30 + 6 * segment, 8), 18, 90).astype(np.int64)
    score = (0.05 * age + rng.normal(0, 1, rows)).round(3)
    score[rng.random(rows) < 0.1] = np.nan
    balance = np.where(rng.random(rows) < 0.4, 0.0, rng.gamma(2.0, 500.0, rows).round(2))
    return pd.DataFrame(
        {
            "segment": np.array(list("ABCDEF"))[segment],
            "region": np.char.add("r", region.astype(str)),
            "amount": amount,
            "age": age,
            "score": score,
            "active": rng.random(rows) < 0.3 + 0.1 * segment,
            "balance": balance,
        }
    )


def write_table(path: Path, rows: int) -> float:
    """Write the table of ``rows`` rows (in chunks of 1M, each its own seed); seconds taken."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = time.perf_counter()
    writer = None
    for i, start in enumerate(range(0, rows, 1_000_000)):
        table = pa.Table.from_pandas(chunk(min(1_000_000, rows - start), i), preserve_index=False)
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=GROUP)
    assert writer is not None
    writer.close()
    return time.perf_counter() - t


def real_sample(path: Path, n: int, seed: int = 99) -> pd.DataFrame:
    """``n`` rows drawn at random from the table (whole row groups' rows, then a draw)."""
    import pyarrow.parquet as pq

    f = pq.ParquetFile(path)
    rng = np.random.default_rng(seed)
    groups = rng.choice(f.num_row_groups, min(f.num_row_groups, 4), replace=False)
    df = f.read_row_groups(sorted(groups.tolist())).to_pandas()
    return df.sample(n, random_state=seed).reset_index(drop=True)


# -- workers (each in its own process) ------------------------------------------------------
def _stop_after(steps: int) -> Any:
    from tabgan.engine.callbacks import Callback

    class StopAfter(Callback):
        def on_step_end(self, estimator: Any, logs: dict[str, Any]) -> None:
            if estimator.trainer_.step >= steps:
                estimator.trainer_.stop_training = True

    return StopAfter()


def _synth(steps: int, seed: int, clock: StepClock) -> Any:
    from tabgan import GANSynthesizer

    return GANSynthesizer(
        epochs=1000,
        batch_size=BATCH,
        random_state=seed,
        verbose=False,
        callbacks=[clock.callback(), _stop_after(steps)],
    )


def worker_fit(args: Any) -> dict[str, Any]:
    import warnings

    threads = set_threads(args.threads)
    clock = StepClock()
    synth = _synth(args.steps, 0, clock)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no warning here is about the figures
        if args.mode == "memory":
            data: Any = pd.read_parquet(args.data)
            synth.fit(data)
        else:
            synth.fit(args.data)
    if args.model:
        synth.save(args.model)
    return {
        "threads": threads,
        "setup_s": clock.first - start,
        "rows_per_s": clock.steps_per_second() * BATCH,
        "steps": clock.count,
        "peak_rss_mb": peak_rss_mb(),
        "width": synth.adapter_.layout_.width,
    }


def worker_sample(args: Any) -> dict[str, Any]:
    from tabgan import GANSynthesizer

    threads = set_threads(args.threads)
    synth = GANSynthesizer.load(args.model, device="cpu")
    start = time.perf_counter()
    synth.sample_to_parquet(args.out, args.rows, num_shards=4, random_state=0)
    seconds = time.perf_counter() - start
    return {"threads": threads, "rows_per_s": args.rows / seconds, "peak_rss_mb": peak_rss_mb()}


def worker_ddp(args: Any) -> dict[str, Any] | None:
    import warnings

    from tabgan.engine import distributed

    threads = set_threads(1)
    clock = StepClock()
    synth = _synth(args.steps, args.seed, clock)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synth.fit(args.data)
    if not distributed.is_main_process():
        distributed.shutdown()
        return None
    world = int(os.environ.get("WORLD_SIZE", "1"))
    distributed.shutdown()
    from _common import quality_scores

    real = real_sample(Path(args.data), 20_000)
    fake = synth.sample(20_000, random_state=0)
    return {
        "threads": threads,
        "world": world,
        "steps_per_s": clock.steps_per_second(),
        **quality_scores(real, fake, synth.adapter_.metadata_),
    }


def _run_worker(argv: list[str], torchrun: int | None = None) -> dict[str, Any]:
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"tabgan_scale_{os.getpid()}_{time.time()}.json"
    cmd = [sys.executable, str(HERE), *argv, "--json", str(out)]
    if torchrun is not None:
        run = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
        cmd = [*run, "--nproc-per-node", str(torchrun), str(HERE), *argv, "--json", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    result = json.loads(out.read_text())
    out.unlink()
    return result


# -- the report ---------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0].startswith("_"):
        return _worker_main(argv)
    parser = argument_parser(__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--memory-max-rows", type=int, default=5_000_000)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--sample-rows", type=int, default=1_000_000)
    parser.add_argument("--ddp-rows", type=int, default=1_000_000)
    parser.add_argument("--ddp-steps", type=int, default=1500)
    parser.add_argument("--skip-ddp", action="store_true")
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "tabgan_scale"
    )
    args = parser.parse_args(argv)
    threads = set_threads(args.threads)
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"torch threads: {threads} (fit and sampling workers); DDP ranks: 1 thread each")
    rows_out = []
    for rows in args.rows:
        path = args.workdir / f"table_{rows}.parquet"
        if not path.exists():
            seconds = write_table(path, rows)
            print(f"wrote {path} ({path.stat().st_size / 2**20:.0f} MiB) in {seconds:.0f} s")
        common = ["--data", str(path), "--steps", str(args.steps), "--threads", str(threads)]
        for mode in ("memory", "stream"):
            if mode == "memory" and rows > args.memory_max_rows:
                continue
            model = args.workdir / f"model_{mode}_{rows}"
            r = _run_worker(["_fit", "--mode", mode, "--model", str(model), *common])
            entry = {"rows": rows, "path": mode, **r}
            if mode == "stream" and rows == args.rows[0]:
                out = args.workdir / f"samples_{rows}"
                s = _run_worker(
                    ["_sample", "--model", str(model), "--out", str(out), "--threads", str(threads)]
                    + ["--rows", str(args.sample_rows)]
                )
                entry["sample_rows_per_s"] = s["rows_per_s"]
                entry["sample_rss_mb"] = s["peak_rss_mb"]
            rows_out.append(entry)
            print(json.dumps(entry), flush=True)
    print()
    print(
        "\n".join(md_header(["rows", "fit", "to first step (s)", "train rows/s", "peak RSS (MiB)"]))
    )
    for e in rows_out:
        cells = [f"{e['rows']:,}", e["path"], f"{e['setup_s']:.1f}", f"{e['rows_per_s']:,.0f}"]
        print(md_row([*cells, f"{e['peak_rss_mb']:,.0f}"]))
    sampled = [e for e in rows_out if "sample_rows_per_s" in e]
    for e in sampled:
        print(
            f"\nsampling to Parquet: {args.sample_rows:,} rows in 4 shards, "
            f"{e['sample_rows_per_s']:,.0f} rows/s, peak RSS {e['sample_rss_mb']:,.0f} MiB"
        )
    if args.skip_ddp:
        return
    path = args.workdir / f"table_{args.ddp_rows}.parquet"
    if not path.exists():
        write_table(path, args.ddp_rows)
    print(f"\nDDP on gloo, {args.ddp_rows:,} rows streamed, {args.ddp_steps} steps of 500 rows")
    print("\n".join(md_header(["ranks", "seed", "steps/s", "quality", "shapes", "pair trends"])))
    for world in (1, 2):
        for seed in (0, 1):
            r = _run_worker(
                ["_ddp", "--data", str(path), "--steps", str(args.ddp_steps), "--seed", str(seed)],
                torchrun=world,
            )
            print(
                md_row(
                    [
                        world,
                        seed,
                        f"{r['steps_per_s']:.1f}",
                        f"{r['quality']:.3f}",
                        f"{r['column_shapes']:.3f}",
                        f"{r['pair_trends']:.3f}",
                    ]
                ),
                flush=True,
            )


def _worker_main(argv: list[str]) -> None:
    import argparse

    p = argparse.ArgumentParser()
    p.add_argument("role")
    p.add_argument("--data")
    p.add_argument("--mode")
    p.add_argument("--model")
    p.add_argument("--out")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--rows", type=int, default=0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--json", required=True)
    args = p.parse_args(argv)
    work = {"_fit": worker_fit, "_sample": worker_sample, "_ddp": worker_ddp}[args.role]
    result = work(args)
    if result is not None:
        Path(args.json).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
