"""tabgan's tabular adapter against CTGAN on the same real tables, in one run.

For every data set, seed and model a fresh subprocess fits the model on an 80/20 stratified
split (split seed 0, the same for every model and seed), with the same epochs and batch size,
and measures:

* encoder fit: the column encoder alone, fit once more outside the model (ours:
  ``TabularAdapter().fit``; CTGAN: ``ctgan.data_transformer.DataTransformer().fit``);
* time per epoch: the time from the first to the last optimizer step of ``fit`` (torch's global
  optimizer step hook, so the same clock for both and blind to encoding and setup) / epochs; ours
  also reports its trainer's own clock (``history_.seconds``); the whole ``fit`` wall time too;
* sampling: wall time of ``sample(100_000)``;
* peak memory: the worker process's own peak resident set size (``VmHWM``, see
  ``_common.peak_rss_mb``: ``resource.getrusage``'s max RSS would carry the parent's peak into
  the worker) read right after sampling; "peak - baseline" is that peak minus the peak before
  the timed work (imports, data and a 200-row untimed warm-up done). tracemalloc is not used:
  it does not see torch's tensor allocations;
* quality: sdmetrics ``QualityReport`` score (and its two properties) of a synthetic table the
  size of the training split against the training split, with one metadata dict for both models
  (inferred by the tabular adapter when it can, else by dtype);
* ML efficacy: HistGradientBoosting and LogisticRegression trained on that synthetic table and
  on the real training split, both tested on the real holdout: F1 of the minority class and ROC
  AUC (multi-class: macro F1 and one-vs-rest AUC; regression targets: R^2);
* exact copies: rows of the 100k sample identical to a training row (and, for reference, the
  holdout rows identical to a training row).

    python benchmarks/tabular_vs_ctgan.py --quick                       # smoke run, ~2 min
    python benchmarks/tabular_vs_ctgan.py --epochs 20 --seeds 0 1       # the README table
    python benchmarks/tabular_vs_ctgan.py --epochs 300 --seeds 0 1 2 --threads 2   # full run
    python benchmarks/tabular_vs_ctgan.py --profile --epochs 3          # where our time goes

Writes ``benchmarks/results/tabular_vs_ctgan.md`` (``--out`` to change) and prints the same.
The sections of data sets not in this run are kept from the existing file (in place), each
with the command that made it. ``--raw-dir DIR`` stores every worker's result there and
reuses a stored one made with the same settings, so a long run can be split (e.g. ``--seeds
0`` then ``--seeds 0 1``); ours and CTGAN for one seed always run back to back in one
invocation.
"""

from __future__ import annotations

import gc
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import (  # noqa: E402
    StepClock,
    argument_parser,
    command_line,
    md_header,
    md_row,
    peak_rss_mb,
    quality_scores,
    set_threads,
)
from datasets import load  # noqa: E402

MODELS = ("ours", "ctgan")
SAMPLE_ROWS = 100_000

# (key, label, lower is better, target ratio ours/CTGAN or None)
METRICS: list[tuple[str, str, bool, float | None]] = [
    ("encoder_fit_s", "encoder fit (s)", True, 0.1),
    ("epoch_s", "time per epoch (s)", True, 0.2),
    ("fit_s", "whole fit, wall (s)", True, None),
    ("sample_100k_s", "sample {n} rows (s)", True, 0.1),
    ("peak_rss_mb", "peak RSS (MB)", True, 1.0),
    ("model_rss_mb", "peak RSS - baseline (MB)", True, 1.0),
    ("quality", "sdmetrics quality", False, 1.0),
    ("column_shapes", "  column shapes", False, None),
    ("pair_trends", "  column pair trends", False, None),
    ("hgb_f1", "HGB F1 (minority)", False, None),
    ("hgb_auc", "HGB ROC AUC", False, None),
    ("lr_f1", "LogReg F1 (minority)", False, None),
    ("lr_auc", "LogReg ROC AUC", False, None),
    ("copies", "exact copies in {n} rows", True, None),
]


# -- shared helpers (parent and worker) --------------------------------------------------------
#: How the sdmetrics metadata is made (printed in each data set's section).
METADATA_SOURCE = "inferred by the tabular adapter"


def infer_metadata(train: pd.DataFrame) -> dict[str, Any]:
    """The sdmetrics single-table metadata, as the tabular adapter infers it, JSON-clean (it
    travels to the workers in their JSON config)."""
    from tabgan.plugins.tabular import infer_metadata as tabular_metadata

    return json.loads(json.dumps(tabular_metadata(train)))


def discrete_columns(metadata: dict[str, Any]) -> list[str]:
    return [c for c, m in metadata["columns"].items() if m["sdtype"] in ("categorical", "boolean")]


def is_classification(y: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(y) or y.nunique() <= 10


def exact_copies(rows: pd.DataFrame, train: pd.DataFrame, metadata: dict[str, Any]) -> int:
    """Rows of ``rows`` identical to a training row, by tabgan's value equality
    (:func:`tabgan.evaluation.privacy.row_hashes`, the exact-copy check of ``evaluate``)."""
    from tabgan.evaluation.privacy import row_hashes

    h_rows, h_train = row_hashes([rows[list(train.columns)], train], metadata)
    return int(np.isin(h_rows, h_train).sum())


def ml_efficacy(
    train: pd.DataFrame, test: pd.DataFrame, target: str, cats: list[str], threads: int
) -> dict[str, float]:
    """Fit HGB and LogisticRegression on ``train``; score them on the real ``test``.

    Deliberately not ``tabgan.evaluation.ml_efficacy`` (a random forest scored by accuracy,
    macro F1 and ROC AUC): this table's protocol is two other model families, HGB with its
    native categorical handling and one-hot + LogisticRegression, scored by the *minority*
    class's F1 and ROC AUC (R^2 for regression targets), the same for ours and CTGAN, as in
    the published results files.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.metrics import f1_score, r2_score, roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    features = [c for c in test.columns if c != target]
    cat_x = [c for c in cats if c != target]
    num_x = [c for c in features if c not in cat_x]

    def prep(df: pd.DataFrame) -> pd.DataFrame:
        out = df[features].copy()
        for c in cat_x:
            s = out[c]
            out[c] = pd.Categorical(
                s.astype(object).astype(str).where(s.notna()),
                categories=sorted(test[c].dropna().astype(object).astype(str).unique()),
            )
        for c in num_x:
            out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
        return out

    x_tr, x_te = prep(train), prep(test)
    y_te_raw = test[target]
    classify = is_classification(y_te_raw)
    linear_pre = ColumnTransformer(
        [
            (
                "num",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                num_x,
            ),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="<NA>"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                cat_x,
            ),
        ]
    )
    res: dict[str, float] = {}
    if not classify:
        y_tr = pd.to_numeric(train[target], errors="coerce").to_numpy(float)
        keep = np.isfinite(y_tr)
        for key, model in (
            ("hgb", HistGradientBoostingRegressor(categorical_features="from_dtype")),
            ("lr", make_pipeline(linear_pre, Ridge())),
        ):
            model.fit(x_tr[keep], y_tr[keep])
            res[f"{key}_r2"] = float(r2_score(y_te_raw.to_numpy(float), model.predict(x_te)))
        return res
    y_tr = train[target].astype(str).to_numpy()
    y_te = y_te_raw.astype(str).to_numpy()
    classes, counts = np.unique(y_te, return_counts=True)
    minority = classes[np.argmin(counts)]
    for key, model in (
        ("hgb", HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)),
        ("lr", make_pipeline(linear_pre, LogisticRegression(max_iter=2000))),
    ):
        if len(np.unique(y_tr)) < 2:
            res[f"{key}_f1"] = res[f"{key}_auc"] = float("nan")
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence notes on odd synthetic tables
            model.fit(x_tr, y_tr)
        pred = model.predict(x_te)
        proba = model.predict_proba(x_te)
        fitted = list(model.classes_)
        if len(classes) == 2:
            res[f"{key}_f1"] = float(f1_score(y_te, pred, pos_label=minority))
            pos = proba[:, fitted.index(minority)] if minority in fitted else np.zeros(len(y_te))
            res[f"{key}_auc"] = float(roc_auc_score(y_te == minority, pos))
        else:
            res[f"{key}_f1"] = float(f1_score(y_te, pred, average="macro"))
            full = np.zeros((len(y_te), len(classes)))
            for j, c in enumerate(classes):
                if c in fitted:
                    full[:, j] = proba[:, fitted.index(c)]
            full /= np.clip(full.sum(1, keepdims=True), 1e-12, None)
            res[f"{key}_auc"] = float(roc_auc_score(y_te, full, multi_class="ovr", labels=classes))
    return res


# -- worker: one model, one data set, one seed, in its own process -----------------------------
def fit_ours(train, metadata, cfg) -> tuple[Any, dict[str, float]]:
    from tabgan import GANSynthesizer

    synth = GANSynthesizer(
        adapter="tabular",
        epochs=cfg["epochs"],
        batch_size=cfg["batch_size"],
        random_state=cfg["seed"],
        device="cpu",
        verbose=False,
    )
    t0 = time.perf_counter()
    synth.fit(train, metadata=metadata)
    fit_s = time.perf_counter() - t0
    hist = synth.history_
    extra = {"fit_s": fit_s, "trainer_s": float(hist["seconds"].iloc[-1]) if len(hist) else 0.0}
    extra["epochs_run"] = int(len(hist))
    return synth, extra


def encoder_ours(train, metadata, cfg) -> float:
    from tabgan.plugins.tabular import TabularAdapter

    adapter = TabularAdapter()
    t0 = time.perf_counter()
    adapter.fit(train, rng=np.random.default_rng(cfg["seed"]), metadata=metadata)
    return time.perf_counter() - t0


def fit_ctgan(train, metadata, cfg) -> tuple[Any, dict[str, float]]:
    from ctgan import CTGAN

    model = CTGAN(
        epochs=cfg["epochs"], batch_size=cfg["batch_size"], verbose=False, enable_gpu=False
    )
    model.set_random_state(cfg["seed"])
    t0 = time.perf_counter()
    model.fit(train, discrete_columns=discrete_columns(metadata))
    return model, {"fit_s": time.perf_counter() - t0, "epochs_run": cfg["epochs"]}


def encoder_ctgan(train, metadata, cfg) -> float:
    from ctgan.data_transformer import DataTransformer

    transformer = DataTransformer()
    t0 = time.perf_counter()
    transformer.fit(train, discrete_columns(metadata))
    return time.perf_counter() - t0


def worker(cfg_path: str) -> None:
    cfg = json.loads(Path(cfg_path).read_text())
    threads = set_threads(cfg["threads"])
    warnings.filterwarnings("ignore", category=FutureWarning)
    train = pd.read_parquet(cfg["train"])
    holdout = pd.read_parquet(cfg["holdout"])
    metadata = cfg["metadata"]
    out: dict[str, Any] = {"threads": threads}
    fit, enc = (fit_ours, encoder_ours) if cfg["model"] == "ours" else (fit_ctgan, encoder_ctgan)
    # Warm-up on 200 rows, untimed: imports and first-call costs must not count.
    enc(train.head(200), metadata, cfg)
    gc.collect()
    out["baseline_rss_mb"] = peak_rss_mb()
    out["encoder_fit_s"] = enc(train, metadata, cfg)
    gc.collect()

    # Training time = first to last optimizer step, scaled by n / (n - 1) steps: the same
    # rule for both models, blind to the setup either does before its first step.
    with StepClock() as clock:
        model, extra = fit(train, metadata, cfg)
    out.update(extra)
    out["optimizer_steps"] = clock.count
    out["epoch_s"] = clock.training_seconds() / max(out["epochs_run"], 1)
    t0 = time.perf_counter()
    synth = model.sample(cfg["sample_rows"])
    out["sample_100k_s"] = time.perf_counter() - t0
    out["peak_rss_mb"] = peak_rss_mb()
    out["model_rss_mb"] = out["peak_rss_mb"] - out["baseline_rss_mb"]
    del model
    if "trainer_s" in out:
        out["trainer_epoch_s"] = out["trainer_s"] / max(out["epochs_run"], 1)

    cols = list(train.columns)
    out["copies"] = exact_copies(synth, train, metadata)
    out["sample_rows"] = len(synth)
    out["dtypes_kept"] = bool(list(synth.columns) == cols) and all(
        str(synth[c].dtype) == str(train[c].dtype) for c in cols
    )
    n_eval = min(len(train), cfg["eval_rows"]) if cfg["eval_rows"] else len(train)
    synth_eval = synth.iloc[:n_eval].reset_index(drop=True)
    real_eval = train.sample(n_eval, random_state=0) if n_eval < len(train) else train
    t0 = time.perf_counter()
    out.update(quality_scores(real_eval.reset_index(drop=True), synth_eval, metadata))
    out["quality_s"] = time.perf_counter() - t0
    cats = discrete_columns(metadata)
    synth_train = synth.iloc[: len(train)].reset_index(drop=True)
    out.update(ml_efficacy(synth_train, holdout, cfg["target"], cats, cfg["threads"]))
    Path(cfg["result"]).write_text(json.dumps(out))


def profile_worker(cfg_path: str) -> None:
    """cProfile over our fit + sample, then torch.profiler over one more short fit."""
    import cProfile
    import io
    import pstats

    cfg = json.loads(Path(cfg_path).read_text())
    set_threads(cfg["threads"])
    train = pd.read_parquet(cfg["train"])
    metadata = cfg["metadata"]
    prof = cProfile.Profile()
    prof.enable()
    model, extra = fit_ours(train, metadata, cfg)
    t0 = time.perf_counter()
    model.sample(cfg["sample_rows"])
    sample_s = time.perf_counter() - t0
    prof.disable()
    texts = {}
    for key in ("cumulative", "tottime"):
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(key).print_stats(25)
        texts[key] = buf.getvalue()
    from torch.profiler import ProfilerActivity, profile

    one = dict(cfg, epochs=1)
    with profile(activities=[ProfilerActivity.CPU]) as tprof:
        fit_ours(train, metadata, one)
    texts["torch"] = tprof.key_averages().table(sort_by="self_cpu_time_total", row_limit=20)
    Path(cfg["result"]).write_text(json.dumps({**extra, "sample_s": sample_s, "texts": texts}))


# -- parent ------------------------------------------------------------------------------------
def split(df: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    from sklearn.model_selection import train_test_split

    strat = df[target] if is_classification(df[target]) else None
    tr, te = train_test_split(df, test_size=0.2, stratify=strat, random_state=0)
    return tr.reset_index(drop=True), te.reset_index(drop=True)


#: Settings that must agree for a stored (``--raw-dir``) result to be reused.
RAW_KEYS = ("model", "seed", "epochs", "batch_size", "threads", "sample_rows", "eval_rows")


def run_cached(
    cfg: dict[str, Any], tmp: Path, timeout: float, raw_dir: Path | None, started: str
) -> dict[str, Any]:
    """``run_worker``, or the stored result of an identical earlier run from ``raw_dir``."""
    key = {k: cfg[k] for k in RAW_KEYS} | {"dataset": cfg["tag"].rsplit("_", 2)[0]}
    path = None if raw_dir is None else raw_dir / f"{cfg['tag']}.json"
    if path is not None and path.exists():
        stored = json.loads(path.read_text())
        if stored.get("key") == key and "error" not in stored["result"]:
            return dict(stored["result"], reused_from=stored["started"])
    res = run_worker(cfg, tmp, "--worker", timeout)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"key": key, "started": started, "result": res}))
    return res


def merge_sections(path: Path, new: dict[str, list[str]]) -> list[str]:
    """This run's ``## <data set>`` sections merged into those of an earlier results file:
    in the earlier order, replaced when rerun; a kept section is marked with the command
    that made it (when it does not say already); new data sets come last."""
    old: dict[str, list[str]] = {}
    if path.exists():
        text = path.read_text()
        command = next((ln for ln in text.splitlines() if ln.startswith("Command: ")), "")
        for chunk in text.split("\n## ")[1:]:
            name, _, body = chunk.partition("\n")
            body = body.strip("\n")
            if not body.startswith("Run: ") and command:
                run = command.removeprefix("Command: ")
                body = f"Run: {run} Kept from the previous results file.\n\n{body}"
            old[name.strip()] = [f"## {name.strip()}", "", body, ""]
    merged = [new.get(name, lines) for name, lines in old.items()]
    merged += [lines for name, lines in new.items() if name not in old]
    return [line for lines in merged for line in lines]


def run_worker(cfg: dict[str, Any], tmp: Path, mode: str, timeout: float) -> dict[str, Any]:
    cfg_path = tmp / f"cfg_{cfg['tag']}.json"
    cfg["result"] = str(tmp / f"res_{cfg['tag']}.json")
    cfg_path.write_text(json.dumps(cfg))
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = str(cfg["threads"])
    env["PYTHONWARNINGS"] = "ignore"
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, __file__, mode, str(cfg_path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
        return {"error": lines[-1][:200] if lines else f"exit code {proc.returncode}"}
    res = json.loads(Path(cfg["result"]).read_text())
    res["worker_wall_s"] = wall
    return res


def fmt(v: float, key: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if key == "copies":
        return f"{v:.0f}"
    if key.endswith("_mb"):
        return f"{v:.0f}"
    if key in ("quality", "column_shapes", "pair_trends") or key.endswith(("_f1", "_auc", "_r2")):
        return f"{v:.3f}"
    return f"{v:.3g}" if v < 10 else f"{v:.1f}"


def mean_sd(values: list[float], key: str) -> str:
    vals = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not vals:
        return "-"
    if len(vals) == 1:
        return fmt(vals[0], key)
    return f"{fmt(float(np.mean(vals)), key)} ± {fmt(float(np.std(vals, ddof=1)), key)}"


def dataset_table(
    runs: dict[str, list[dict[str, Any]]], real: dict[str, float], sample_rows: int
) -> list[str]:
    lines = md_header(["metric", "ours (tabgan)", "CTGAN 0.12.1", "ours / CTGAN", "target", "met"])
    ok = {m: [r for r in runs.get(m, []) if "error" not in r] for m in MODELS}
    keys = list(METRICS)
    reg = any("hgb_r2" in r for rs in ok.values() for r in rs)
    if reg:
        keys = [k for k in keys if not k[0].startswith(("hgb_", "lr_"))]
        keys.insert(-1, ("hgb_r2", "HGB R^2", False, None))
        keys.insert(-1, ("lr_r2", "Ridge R^2", False, None))
    for key, label, lower, target in keys:
        ours = [r.get(key) for r in ok["ours"]]
        theirs = [r.get(key) for r in ok["ctgan"]]
        ratio, met = "-", ""
        o = [v for v in ours if v is not None and not math.isnan(v)]
        t = [v for v in theirs if v is not None and not math.isnan(v)]
        if o and t and np.mean(t) > 0:
            r = float(np.mean(o) / np.mean(t))
            ratio = f"{r:.3g}"
            if target is not None:
                met = "yes" if (r <= target if lower else r >= target) else "no"
        label = label.format(n=f"{sample_rows:,}")
        tgt = "-" if target is None else (f"<= {target:g}" if lower else f">= {target:g}")
        if key in real:
            label += f" (real: {fmt(real[key], key)})"
        lines.append(md_row([label, mean_sd(ours, key), mean_sd(theirs, key), ratio, tgt, met]))
    for m in MODELS:
        for i, r in enumerate(runs.get(m, [])):
            if "error" in r:
                lines.append(f"\n{m} run {i} failed: `{r['error']}`")
    return lines


def per_seed_table(runs: dict[str, list[dict[str, Any]]], seeds: list[int]) -> list[str]:
    keys = [
        "encoder_fit_s",
        "epoch_s",
        "trainer_epoch_s",
        "fit_s",
        "sample_100k_s",
        "peak_rss_mb",
        "quality",
        "hgb_f1",
        "hgb_auc",
        "copies",
        "threads",
    ]
    lines = md_header(["model", "seed", *keys])
    for m in MODELS:
        for seed, r in zip(seeds, runs.get(m, [])):
            if "error" in r:
                lines.append(md_row([m, seed, f"failed: {r['error'][:80]}"]))
                continue
            cells = [fmt(r[k], k) if k in r else "-" for k in keys]
            lines.append(md_row([m, seed, *cells]))
    return lines


def main() -> None:
    p = argument_parser(__doc__, full_doc=True, choices=(1, 2))
    p.add_argument("--datasets", nargs="+", default=["adult", "default"])
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=500)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    p.add_argument("--sample-rows", type=int, default=SAMPLE_ROWS)
    p.add_argument(
        "--eval-rows", type=int, default=0, help="cap rows for the quality report (0: train size)"
    )
    p.add_argument("--quick", action="store_true", help="Default data set, 2 epochs, 1 seed")
    p.add_argument("--profile", action="store_true", help="profile our side only, then exit")
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds per worker")
    p.add_argument("--out", type=Path, default=HERE / "results" / "tabular_vs_ctgan.md")
    p.add_argument(
        "--raw-dir", type=Path, default=None, help="store / reuse each worker's raw result here"
    )
    args = p.parse_args()
    if args.quick:
        args.datasets, args.epochs, args.seeds = ["default"], 2, [0]
        args.sample_rows, args.eval_rows = 20_000, 2_000

    import torch

    threads = set_threads(args.threads)
    header = (
        f"threads: torch.get_num_threads() = {threads} in every worker; "
        f"epochs {args.epochs}, batch size {args.batch_size}, seeds {args.seeds}"
    )
    print(header, flush=True)
    started = time.strftime("%Y-%m-%d %H:%M")
    load_start = os.getloadavg()
    cmd = command_line(__file__)
    sections: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="tabgan_bench_") as tmpdir:
        tmp = Path(tmpdir)
        for name in args.datasets:
            df, target = load(name)
            train, holdout = split(df, target)
            train_path, hold_path = tmp / f"{name}_train.parquet", tmp / f"{name}_hold.parquet"
            train.to_parquet(train_path)
            holdout.to_parquet(hold_path)
            metadata, meta_src = infer_metadata(train), METADATA_SOURCE
            base = {
                "train": str(train_path),
                "holdout": str(hold_path),
                "metadata": metadata,
                "target": target,
                "epochs": args.epochs,
                "batch_size": args.batch_size,
                "threads": args.threads,
                "sample_rows": args.sample_rows,
                "eval_rows": args.eval_rows,
            }
            if args.profile:
                cfg = dict(base, model="ours", seed=args.seeds[0], tag=f"{name}_profile")
                res = run_worker(cfg, tmp, "--profile-worker", args.timeout)
                if "error" in res:
                    print(f"profile failed: {res['error']}")
                    continue
                print(f"## profile: ours on {name}, {args.epochs} epochs, fit {res['fit_s']:.1f} s")
                for key, text in res["texts"].items():
                    print(f"### {key}\n{text}")
                continue
            real = ml_efficacy(train, holdout, target, discrete_columns(metadata), args.threads)
            real["copies"] = float(exact_copies(holdout, train, metadata))
            print(
                f"\n{name}: train {train.shape}, holdout {holdout.shape}, target {target!r}, "
                f"metadata {meta_src}; real-data efficacy "
                + ", ".join(f"{k} {v:.3f}" for k, v in real.items()),
                flush=True,
            )
            runs: dict[str, list[dict[str, Any]]] = {m: [] for m in args.models}
            section_load = os.getloadavg()
            reused: list[str] = []
            for seed in args.seeds:
                for model in args.models:
                    cfg = dict(base, model=model, seed=seed, tag=f"{name}_{model}_{seed}")
                    res = run_cached(cfg, tmp, args.timeout, args.raw_dir, started)
                    runs[model].append(res)
                    if "reused_from" in res:
                        reused.append(f"{model} seed {seed} ({res['reused_from']})")
                    brief = res.get("error") or (
                        f"encoder {res['encoder_fit_s']:.2f}s, epoch {res['epoch_s']:.2f}s, "
                        f"sample {res['sample_100k_s']:.2f}s, RSS {res['peak_rss_mb']:.0f}MB, "
                        f"quality {res['quality']:.3f}, HGB F1 {res.get('hgb_f1', np.nan):.3f}, "
                        f"copies {res['copies']}, threads {res['threads']}"
                    )
                    print(f"  {model} seed {seed}: {brief}", flush=True)
                    print(f"    raw: {json.dumps(res)}", flush=True)
            real_note = {k: real[k] for k in ("hgb_f1", "hgb_auc", "lr_f1", "lr_auc") if k in real}
            real_note.update({k: v for k, v in real.items() if k.endswith("_r2")})
            real_note["copies"] = real["copies"]
            load_now = os.getloadavg()
            reuse_note = (
                f" Reused from an earlier invocation with the same settings: {', '.join(reused)}."
                if reused
                else ""
            )
            section = [
                f"## {name}",
                "",
                f"Run: `{cmd}` (started {started}; 1-min load average {section_load[0]:.1f} "
                f"before this data set, {load_now[0]:.1f} after).{reuse_note}",
                "",
                f"{len(train):,} training rows, {len(holdout):,} holdout rows, "
                f"{train.shape[1]} columns, target `{target}`; metadata {meta_src}. "
                "Mean ± sd over seeds. Real-data figures: the same classifiers trained on the real "
                "training split; copies: holdout rows identical to a training row.",
                "",
                *dataset_table(runs, real_note, args.sample_rows),
                "",
                "Per seed:",
                "",
                *per_seed_table(runs, args.seeds),
                "",
            ]
            print("\n".join(section), flush=True)
            sections[name] = section
    if args.profile:
        return
    load_end = os.getloadavg()
    out_lines = merge_sections(args.out, sections)
    doc = [
        "# tabgan tabular adapter vs CTGAN",
        "",
        f"Command: `{cmd}` (started {started}); each section names the run that made it.",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other jobs "
        f"(1-min load average {load_start[0]:.1f} at start, {load_end[0]:.1f} at end), "
        f"Python {platform.python_version()}, torch {torch.__version__}. {header}.",
        "",
        "Time per epoch = first to last optimizer step / epochs, the same clock for both models "
        "(a global `torch.optim` step hook; `trainer_epoch_s` is our trainer's own clock). "
        "Encoder fit = the column encoder fit alone, outside the model. "
        "Peak RSS = the worker process's own peak RSS (`VmHWM`) after sampling; baseline = "
        "that before the timed work. Quality = sdmetrics `QualityReport` on a synthetic table "
        "the size of the training split. "
        "HGB = HistGradientBoostingClassifier, LogReg = one-hot + LogisticRegression, trained on "
        "synthetic rows and tested on the real holdout.",
        "",
        *out_lines,
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(doc) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        worker(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "--profile-worker":
        profile_worker(sys.argv[2])
    else:
        main()
