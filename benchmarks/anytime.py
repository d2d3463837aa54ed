"""Time-to-quality: sdmetrics quality against training wall-clock seconds, ours vs TabularARGN
vs CTGAN, one run per table (issue 15's anytime plot).

* ours: one ``GANSynthesizer()`` fit (defaults, ``random_state=seed``); a callback samples
  ``len(train)`` rows at geometric points of the training clock (1, 2, 4, ... seconds and the
  end); the time spent sampling is taken off the clock, so a point's seconds are training
  seconds only;
* TabularARGN (``--argn-python``): one fit per ``--argn-epochs`` value (its own early stopping
  may end a run sooner), the fit's wall time;
* CTGAN: one fit per ``--ctgan-epochs`` value, the fit's wall time.

Every fit runs in its own subprocess with one torch thread (``--threads``); the quality of each
point is scored afterwards, off the clock. From the curves: our time to reach TabularARGN's
final quality (target: <= its fit time) and CTGAN's last quality (target: <= 1/10 of its fit
time). Writes ``benchmarks/results/anytime.md`` and ``anytime.png``.

    OMP_NUM_THREADS=1 python benchmarks/anytime.py --tables OJ credit_data \
        --argn-python ../argn-venv/bin/python
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fidelity  # noqa: E402  (the sibling benchmark: tables, split, workers, alignment)


def ours_worker(cfg_path: str) -> None:
    """Fit ours once, writing a sample at each point of the training clock."""
    import pandas as pd
    from _common import set_threads

    from tabgan import GANSynthesizer
    from tabgan.engine.callbacks import Callback

    cfg = json.loads(Path(cfg_path).read_text())
    threads = set_threads(cfg["threads"])
    warnings.filterwarnings("ignore")
    train = pd.read_parquet(cfg["train"])
    out = Path(cfg["points"])
    points: list[dict[str, Any]] = []

    class Snapshots(Callback):
        def on_train_begin(self, estimator: Any) -> None:
            self.t0 = time.perf_counter()
            self.off = 0.0
            self.next = 1.0

        def _snap(self, estimator: Any, final: bool = False) -> None:
            t = time.perf_counter() - self.t0 - self.off
            if not final and t < self.next:
                return
            s0 = time.perf_counter()
            syn = estimator.sample(len(train), random_state=0)
            path = out / f"ours_{len(points)}.parquet"
            syn.to_parquet(path)
            points.append({"seconds": t, "path": str(path), "epoch": len(points)})
            while self.next <= t:
                self.next *= 2
            self.off += time.perf_counter() - s0

        def on_epoch_end(self, estimator: Any, logs: dict[str, float]) -> None:
            self._snap(estimator)

        def on_train_end(self, estimator: Any) -> None:
            self._snap(estimator, final=True)

    model = GANSynthesizer(random_state=cfg["seed"], verbose=False, callbacks=[Snapshots()])
    model.fit(train, metadata=cfg["metadata"])
    Path(cfg["result"]).write_text(json.dumps({"threads": threads, "points": points}))


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd
    from _common import (
        argument_parser,
        command_line,
        md_header,
        md_row,
        quality_scores,
        set_threads,
    )
    from tabular_vs_ctgan import infer_metadata, split

    p = argument_parser(__doc__, full_doc=True)
    p.add_argument("--tables", nargs="+", default=["OJ", "credit_data"], choices=fidelity.TABLES)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--argn-epochs", type=int, nargs="+", default=[1, 3, 10, 30, 100])
    p.add_argument("--ctgan-epochs", type=int, nargs="+", default=[10, 30, 100, 300])
    p.add_argument("--argn-python", default=os.environ.get("TABGAN_ARGN_PYTHON"))
    p.add_argument("--timeout", type=float, default=3600.0)
    p.add_argument("--out", type=Path, default=HERE / "results" / "anytime.md")
    args = p.parse_args()
    threads = set_threads(args.threads)
    print(f"torch threads: {threads}; OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
    load0 = os.getloadavg()[0]
    started = time.strftime("%Y-%m-%d %H:%M")
    curves: dict[str, dict[str, list[tuple[float, float]]]] = {}
    lines = [
        "# Time-to-quality: quality against training seconds",
        "",
        f"Command: `{command_line(__file__)}` (started {started}).",
        "",
    ]
    with tempfile.TemporaryDirectory(prefix="tabgan_anytime_") as tmpdir:
        tmp = Path(tmpdir)
        for name in args.tables:
            df, target = fidelity.load_table(name)
            train, _ = split(df, target)
            train_path = tmp / f"{name}_train.parquet"
            train.to_parquet(train_path)
            metadata = infer_metadata(train)
            base = {
                "train": str(train_path),
                "metadata": metadata,
                "target": target,
                "threads": args.threads,
                "seed": args.seed,
            }

            def score(path: str, train: Any = train, metadata: Any = metadata) -> float:
                syn = fidelity.align(pd.read_parquet(path), train)
                return quality_scores(train, syn, metadata)["quality"]

            curve: dict[str, list[tuple[float, float]]] = {}
            print(f"## {name}: {len(train)} training rows", flush=True)
            cfg = dict(base, tag=f"{name}_ours", points=str(tmp), model="ours")
            res = fidelity.run_sub(
                sys.executable, "--ours-anytime", cfg, tmp, args.timeout, script=__file__
            )
            if "error" in res:
                print(f"  ours: {res['error']}", flush=True)
            else:
                curve["tabgan (default)"] = [
                    (pt["seconds"], score(pt["path"])) for pt in res["points"]
                ]
            if args.argn_python:
                for ep in args.argn_epochs:
                    cfg = dict(base, tag=f"{name}_argn{ep}", argn_epochs=ep)
                    cfg["synthetic"] = str(tmp / f"{name}_argn{ep}.parquet")
                    res = fidelity.run_sub(
                        args.argn_python, "--argn-worker", cfg, tmp, args.timeout
                    )
                    if "error" in res:
                        print(f"  argn {ep}: {res['error']}", flush=True)
                        continue
                    curve.setdefault("TabularARGN", []).append(
                        (res["fit_s"], score(cfg["synthetic"]))
                    )
            for ep in args.ctgan_epochs:
                cfg = dict(base, tag=f"{name}_ctgan{ep}", model="ctgan", epochs_ctgan=ep)
                cfg["synthetic"] = str(tmp / f"{name}_ctgan{ep}.parquet")
                res = fidelity.run_sub(sys.executable, "--gen-worker", cfg, tmp, args.timeout)
                if "error" in res:
                    print(f"  ctgan {ep}: {res['error']}", flush=True)
                    continue
                curve.setdefault("CTGAN", []).append((res["fit_s"], score(cfg["synthetic"])))
            for model, pts in curve.items():
                print(f"  {model}: " + ", ".join(f"{s:.0f}s {q:.3f}" for s, q in pts), flush=True)
            curves[name] = curve

    lines += [
        fidelity_note(load0, threads, args),
        "",
    ]
    for name, curve in curves.items():
        lines += [f"## {name}", ""]
        lines += md_header(["model", "points (training seconds: quality)"])
        for model, pts in curve.items():
            lines.append(md_row([model, ", ".join(f"{s:.0f} s: {q:.3f}" for s, q in pts)]))
        ours = curve.get("tabgan (default)", [])
        for peer, factor in (("TabularARGN", 1.0), ("CTGAN", 0.1)):
            if peer not in curve or not ours:
                continue
            goal_s, goal_q = curve[peer][-1]
            reached = [s for s, q in ours if q >= goal_q]
            when = f"{reached[0]:.0f} s" if reached else "not reached"
            met = "met" if reached and reached[0] <= factor * goal_s else "not met"
            lines.append("")
            lines.append(
                f"- time to reach {peer}'s last quality {goal_q:.3f}: ours {when}; target <= "
                f"{factor * goal_s:.0f} s ({met})"
            )
        lines.append("")

    fig, axes = plt.subplots(1, len(curves), figsize=(5.5 * len(curves), 4), squeeze=False)
    for ax, (name, curve) in zip(axes[0], curves.items()):
        for model, pts in curve.items():
            xs, ys = zip(*pts)
            ax.plot(xs, ys, marker="o", label=model)
        ax.set_xscale("log")
        ax.set_xlabel("training seconds (1 torch thread)")
        ax.set_ylabel("sdmetrics quality")
        ax.set_title(name)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    png = args.out.with_suffix(".png")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=110)
    lines.append(f"![quality against training seconds]({png.name})")
    text = "\n".join(lines) + "\n"
    args.out.write_text(text)
    print(text)


def fidelity_note(load0: float, threads: int, args: Any) -> str:
    from _common import compute_note

    return (
        compute_note(load0)
        + f" {threads} torch thread(s) in every worker. 80/20 split stratified on the target, "
        f"seed 0; model seed {args.seed}. Quality: sdmetrics QualityReport against the training "
        f"rows, of len(train) rows. TabularARGN max_epochs {args.argn_epochs}; CTGAN epochs "
        f"{args.ctgan_epochs}."
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--ours-anytime":
        ours_worker(sys.argv[2])
    else:
        main()
