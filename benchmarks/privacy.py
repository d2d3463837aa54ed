"""Differential privacy: tabgan's DP mode against TabularARGN's, at the same epsilon and delta.

Issue 18's benchmark. For every table, epsilon and model a fresh subprocess fits the model on
an 80/20 split stratified on the target (split seed 0; adult is first subsampled to
``--adult-rows`` rows, seed 0, to keep the run short on 2 shared cores) and writes
``len(train)`` synthetic rows to Parquet; a scoring subprocess then measures

* quality: sdmetrics ``QualityReport`` against the training rows (overall / shapes / pairs);
* minority F1: HistGradientBoosting trained on the synthetic rows, scored on the real holdout
  (the protocol of ``fidelity.py``);
* membership AUC: the distance-to-closest-synthetic-record attack on training vs holdout rows
  (:func:`tabgan.evaluation.attacks.membership_attack`; 0.5 = no signal);
* anonymeter's singling-out, linkability and inference risks
  (:func:`tabgan.evaluation.attacks.anonymeter_risks`, 300 attacks each) when the scoring
  interpreter has anonymeter (``--score-python``: anonymeter pins numpy<1.27, so it lives in
  an environment of its own);
* DCR ratio (median synthetic over median holdout distance to the training rows), the
  epsilon each model reports having spent, fit seconds.

Models, at each epsilon in ``--epsilons`` (``inf``: no differential privacy) with delta
``--delta``, each splitting epsilon between preprocessing and training as it does by default:

* ``ours``: ``GANSynthesizer(differential_privacy={"epsilon": e, "delta": d,
  "preprocessing_share": --share})`` (0.3, our default), everything else at its defaults
  (under DP: 150 epochs, hinge loss, critic learning rate 3e-3, pac 1, no gradient penalty;
  without: the tabular defaults, 300 epochs); ``--epochs`` overrides the epochs;
* ``argn``: mostlyai-engine's ``TabularARGN(max_epochs=--argn-epochs,
  differential_privacy=DifferentialPrivacyConfig(max_epsilon=e, delta=d,
  value_protection_epsilon=--argn-share * e))`` (0.1: its defaults, 1 of 10; noise multiplier
  1.5 and clipping norm 1, its defaults; it stops when the budget is spent), run by the
  interpreter of its own venv (``--argn-python`` or ``TABGAN_ARGN_PYTHON``, see
  /work/shared/PEERS.md).

    OMP_NUM_THREADS=1 python benchmarks/privacy.py --argn-python ../argn-venv/bin/python \\
        --score-python /tmp/anon-venv/bin/python

Every worker runs with ``--threads`` torch threads (default 1) and reports the count it used.
With ``--rows-dir`` each finished row is kept as JSON and reused by a rerun (a failed row is
run again).
Writes ``benchmarks/results/privacy.md`` and ``privacy.png`` (quality and minority F1 against
epsilon).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from fidelity import fmt, run_sub  # noqa: E402  (the ARGN worker is fidelity.py's too)

MODELS = ("ours", "argn")
LABELS = {"real": "ceiling: real holdout", "ours": "tabgan", "argn": "TabularARGN"}
TABLES = ("adult", "credit_data")


# -- our worker -------------------------------------------------------------------------------
def gen_worker(cfg_path: str) -> None:
    import pandas as pd
    from _common import set_threads

    from tabgan import GANSynthesizer

    cfg = json.loads(Path(cfg_path).read_text())
    threads = set_threads(cfg["threads"])
    warnings.filterwarnings("ignore")
    train = pd.read_parquet(cfg["train"])
    eps = cfg["epsilon"]
    dp = None
    if eps is not None:
        dp = {"epsilon": eps, "delta": cfg["delta"], "preprocessing_share": cfg["share"]}
    model = GANSynthesizer(
        random_state=cfg["seed"],
        verbose=False,
        differential_privacy=dp,
        **({} if cfg["epochs"] is None else {"epochs": cfg["epochs"]}),
    )
    t0 = time.perf_counter()
    model.fit(train, metadata=cfg["metadata"])
    fit_s = time.perf_counter() - t0
    pd.DataFrame(model.sample(len(train))).to_parquet(cfg["synthetic"])
    spent = None if model.privacy_ is None else model.privacy_["epsilon"]
    out = {"fit_s": fit_s, "threads": threads, "epsilon_spent": spent, "steps": model.n_steps_}
    Path(cfg["result"]).write_text(json.dumps(out))


# -- scoring worker (our venv, or one with anonymeter) ----------------------------------------
def score_worker(cfg_path: str) -> None:
    import numpy as np
    import pandas as pd
    from _common import quality_scores, set_threads
    from fidelity import align
    from tabular_vs_ctgan import discrete_columns, ml_efficacy

    from tabgan.evaluation.attacks import anonymeter_risks, membership_attack
    from tabgan.evaluation.privacy import memorization

    cfg = json.loads(Path(cfg_path).read_text())
    threads = set_threads(cfg["threads"])
    warnings.filterwarnings("ignore")
    train = pd.read_parquet(cfg["train"])
    holdout = pd.read_parquet(cfg["holdout"])
    metadata = cfg["metadata"]
    real = cfg["model"] == "real"
    syn = holdout if real else align(pd.read_parquet(cfg["synthetic"]), train)
    out: dict[str, Any] = {"score_threads": threads}
    out.update(quality_scores(train, syn, metadata))
    # an all-missing synthetic column carries nothing (TabularARGN writes such columns at
    # small epsilon): left out of both sides, as HGB's binning fails on it with numpy 1.26
    empty = [c for c in syn.columns if c != cfg["target"] and syn[c].isna().all()]
    eff_train = (train if real else syn).drop(columns=empty)
    cats = [c for c in discrete_columns(metadata) if c not in empty]
    out.update(ml_efficacy(eff_train, holdout.drop(columns=empty), cfg["target"], cats, 1))
    if empty:
        out["all_missing_columns"] = empty
    rng = np.random.default_rng(0)
    if not real:
        out["dcr_ratio"] = memorization(train, syn, holdout, metadata, rng=rng).dcr_ratio
        out["membership_auc"] = membership_attack(train, holdout, syn, metadata, rng=rng)[
            "membership_auc"
        ]
        try:
            risks, notes = anonymeter_risks(
                train, syn, holdout, metadata, target=cfg["target"], n_attacks=300, rng=rng
            )
            out.update(risks)
            out["anonymeter_notes"] = [n for n in notes if not n.startswith("anonymeter: ")]
        except ImportError:
            out["anonymeter"] = "not installed in the scoring interpreter"
    Path(cfg["result"]).write_text(json.dumps(out))


# -- parent -------------------------------------------------------------------------------------
def load_table(name: str, adult_rows: int):
    from datasets import _rdataset, load_adult

    if name == "adult":
        df, target = load_adult("train")
        return df.sample(adult_rows, random_state=0).reset_index(drop=True), target
    return _rdataset("modeldata", "credit_data"), "Status"


def stored(folder: Path | None, tag: str) -> dict[str, Any] | None:
    """A finished row of an earlier run (``--rows-dir``), or ``None``."""
    path = None if folder is None else folder / f"{tag}.json"
    if path is None or not path.exists():
        return None
    row = json.loads(path.read_text())
    return None if "error" in row or "status" in row else row


def store(folder: Path | None, tag: str, row: dict[str, Any]) -> None:
    if folder is not None and "error" not in row and "status" not in row:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{tag}.json").write_text(json.dumps(row))


HEADER = [
    "epsilon",
    "model",
    "quality (shapes / pairs)",
    "HGB minority F1",
    "membership AUC",
    "singling out / linkability / inference risk",
    "DCR ratio",
    "epsilon spent",
    "fit s",
]


def table_rows(results: list[dict[str, Any]]) -> list[str]:
    from _common import md_row

    rows = []
    for r in results:
        eps = "inf (no DP)" if r["epsilon"] is None else f"{r['epsilon']:g}"
        label = LABELS[r["model"]]
        if r.get("status"):
            rows.append(md_row([eps, label, r["status"], *["-"] * (len(HEADER) - 3)]))
            continue
        risks = " / ".join(
            fmt(r.get(f"{k}_risk")) for k in ("singling_out", "linkability", "inference")
        )
        rows.append(
            md_row(
                [
                    eps,
                    label,
                    f"{fmt(r['quality'])} ({fmt(r['column_shapes'])} / {fmt(r['pair_trends'])})",
                    fmt(r.get("hgb_f1")),
                    fmt(r.get("membership_auc")),
                    risks if "anonymeter" not in r else "- (no anonymeter)",
                    fmt(r.get("dcr_ratio"), 2),
                    fmt(r.get("epsilon_spent"), 2),
                    fmt(r.get("fit_s"), 0),
                ]
            )
        )
    return rows


def plot(all_results: dict[str, list[dict[str, Any]]], path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.2 * len(all_results), 6.4))
    axes = fig.subplots(2, len(all_results), squeeze=False)
    for j, (name, results) in enumerate(all_results.items()):
        finite = sorted({r["epsilon"] for r in results if r["epsilon"] is not None})
        inf_x = (finite[-1] * 3) if finite else 1.0
        for model, marker in (("ours", "o"), ("argn", "s")):
            rows = [r for r in results if r["model"] == model and "quality" in r]
            rows.sort(key=lambda r: inf_x if r["epsilon"] is None else r["epsilon"])
            xs = [inf_x if r["epsilon"] is None else r["epsilon"] for r in rows]
            for i, key in enumerate(("quality", "hgb_f1")):
                axes[i, j].plot(xs, [r.get(key) for r in rows], marker=marker, label=LABELS[model])
        ceiling = next((r for r in results if r["model"] == "real" and "quality" in r), None)
        for i, key in enumerate(("quality", "hgb_f1")):
            ax = axes[i, j]
            if ceiling is not None:
                ax.axhline(ceiling[key], color="grey", ls=":", label="real holdout")
            ax.set_xscale("log")
            ticks = [*finite, inf_x]
            ax.set_xticks(ticks, [f"{t:g}" for t in finite] + ["inf"])
            ax.set_xlabel("epsilon")
            ax.set_ylabel("sdmetrics quality" if key == "quality" else "HGB minority F1")
            ax.set_title(name)
            ax.grid(alpha=0.3)
        axes[0, j].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    from _common import argument_parser, command_line, md_header, set_threads
    from tabular_vs_ctgan import infer_metadata, split

    p = argument_parser(__doc__, full_doc=True)
    p.add_argument("--tables", nargs="+", default=list(TABLES), choices=TABLES)
    p.add_argument(
        "--epsilons", nargs="+", default=["1", "3", "10", "inf"], help="budgets; inf: no DP"
    )
    p.add_argument("--delta", type=float, default=1e-5)
    p.add_argument("--share", type=float, default=0.3, help="our preprocessing share")
    p.add_argument("--argn-share", type=float, default=0.1, help="ARGN's value protection share")
    p.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    p.add_argument("--epochs", type=int, default=None, help="our epochs (default: ours)")
    p.add_argument("--argn-epochs", type=int, default=50, help="TabularARGN max_epochs")
    p.add_argument("--adult-rows", type=int, default=6250, help="adult rows before the split")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--argn-python", default=os.environ.get("TABGAN_ARGN_PYTHON"))
    p.add_argument("--score-python", default=sys.executable, help="scoring interpreter")
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds per worker")
    p.add_argument(
        "--rows-dir",
        type=Path,
        default=None,
        help="keep each finished row's figures here as JSON and reuse them on a rerun",
    )
    p.add_argument("--out", type=Path, default=HERE / "results" / "privacy.md")
    args = p.parse_args()

    import torch

    threads = set_threads(args.threads)
    print(
        f"torch threads: {threads} (each worker prints its own); OMP_NUM_THREADS="
        f"{os.environ.get('OMP_NUM_THREADS')}",
        flush=True,
    )
    epsilons = [None if e == "inf" else float(e) for e in args.epsilons]
    started = time.strftime("%Y-%m-%d %H:%M")
    cmd = command_line(__file__)
    load_start = os.getloadavg()
    sections: list[str] = []
    all_results: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="tabgan_privacy_") as tmpdir:
        tmp = Path(tmpdir)
        for name in args.tables:
            df, target = load_table(name, args.adult_rows)
            train, holdout = split(df, target)
            train_path, hold_path = tmp / f"{name}_train.parquet", tmp / f"{name}_hold.parquet"
            train.to_parquet(train_path)
            holdout.to_parquet(hold_path)
            base = {
                "train": str(train_path),
                "holdout": str(hold_path),
                "metadata": infer_metadata(train),
                "target": target,
                "threads": args.threads,
                "delta": args.delta,
                "share": args.share,
                "argn_share": args.argn_share,
                "epochs": args.epochs,
                "argn_epochs": args.argn_epochs,
                "seed": args.seed,
            }
            print(f"\n## {name}: train {train.shape}, holdout {holdout.shape}", flush=True)
            ceiling = stored(args.rows_dir, f"{name}_real")
            if ceiling is None:
                ceiling = run_sub(
                    args.score_python,
                    "--score",
                    dict(base, model="real", epsilon=None, tag=f"{name}_real"),
                    tmp,
                    args.timeout,
                    script=__file__,
                )
                store(args.rows_dir, f"{name}_real", ceiling)
            results: list[dict[str, Any]] = [{"model": "real", "epsilon": None, **ceiling}]
            print(f"  ceiling: {json.dumps(ceiling)}", flush=True)
            for eps in epsilons:
                for model in args.models:
                    tag = f"{name}_{model}_{eps}"
                    cfg = dict(
                        base, model=model, epsilon=eps, tag=tag, synthetic=str(tmp / f"{tag}.pq")
                    )
                    row: dict[str, Any] = {"model": model, "epsilon": eps}
                    kept = stored(args.rows_dir, tag)
                    if kept is not None:
                        row = kept
                    elif model == "argn" and not args.argn_python:
                        row["status"] = "not run (no --argn-python)"
                    else:
                        # ARGN: fidelity.py's worker, in ARGN's venv; ours: this file's
                        python, mode, script = (
                            (args.argn_python, "--argn-worker", HERE / "fidelity.py")
                            if model == "argn"
                            else (sys.executable, "--gen-worker", __file__)
                        )
                        gen = run_sub(python, mode, cfg, tmp, args.timeout, script=script)
                        if "error" in gen:
                            row["status"] = f"failed: {gen['error']}"
                        else:
                            row.update(gen)
                            sc = run_sub(
                                args.score_python,
                                "--score",
                                cfg,
                                tmp,
                                args.timeout,
                                script=__file__,
                            )
                            if "error" in sc:
                                row["status"] = f"scoring failed: {sc['error']}"
                            else:
                                sc.pop("wall_s", None)
                                row.update(sc)
                                store(args.rows_dir, tag, row)
                    results.append(row)
                    print(f"  {model} epsilon {eps}: {json.dumps(row)}", flush=True)
            all_results[name] = results
            section = [
                f"## {name}",
                "",
                f"{len(train):,} training rows, {len(holdout):,} holdout rows, target "
                f"`{target}`. Real holdout (the ceiling): quality {fmt(ceiling.get('quality'))}, "
                f"HGB minority F1 trained on real rows {fmt(ceiling.get('hgb_f1'))}.",
                "",
                *md_header(HEADER),
                *table_rows([r for r in results if r["model"] != "real"]),
                "",
            ]
            print("\n" + "\n".join(section), flush=True)
            sections += section
    load_end = os.getloadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    png = args.out.with_suffix(".png")
    plot(all_results, png)
    ours_epochs = (
        "its default epochs (150 under DP, 300 without)"
        if args.epochs is None
        else f"{args.epochs} epochs"
    )
    doc = [
        "# Differential privacy: tabgan vs TabularARGN at the same epsilon",
        "",
        f"Command: `{cmd}` (started {started}).",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other jobs (1-min "
        f"load average {load_start[0]:.1f} at start, {load_end[0]:.1f} at end), torch "
        f"{torch.__version__}, {threads} torch thread(s) in every worker. delta "
        f"{args.delta:g}; preprocessing share of epsilon: ours {args.share:g}, ARGN "
        f"{args.argn_share:g} (its value_protection_epsilon), each model's default split; "
        f"ours {ours_epochs}, "
        f"ARGN max_epochs {args.argn_epochs} (both stop earlier when the budget is spent; ARGN "
        "also on its validation loss). adult subsampled "
        f"to {args.adult_rows:,} rows (seed 0) before the 80/20 split (stratified, seed 0).",
        "",
        "Quality: sdmetrics QualityReport against the training rows. HGB: HistGradientBoosting "
        "trained on the synthetic rows, minority-class F1 on the real holdout. Membership AUC: "
        "distance-to-closest-synthetic-record attack, training vs holdout rows (0.5: no "
        "signal). anonymeter risks: 300 attacks each, holdout as control (0: no risk beyond "
        "the population's). Epsilon spent: what each model reports (ARGN adds its value "
        "protection epsilon to its DP-SGD epsilon; ours composes both in one RDP accountant).",
        "",
        f"![quality and F1 against epsilon]({png.name})",
        "",
        *sections,
    ]
    args.out.write_text("\n".join(doc) + "\n")
    print(f"\nwrote {args.out} and {png}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--gen-worker":
        gen_worker(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "--score":
        score_worker(sys.argv[2])
    else:
        main()
