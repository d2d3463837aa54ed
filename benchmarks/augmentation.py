"""Augmentation benchmark: GAN over-sampling vs none / random over-sampling / SMOTE(NC).

Stratified 5-fold cross-validation on real imbalanced tables (see /work/shared/DATA.md). Each
training fold is resampled once per method and both downstream classifiers (logistic
regression and histogram gradient boosting, behind the same one-hot / scaling preprocessor)
are fitted on it; the test fold is never resampled and never seen by any sampler. Prints
minority-class F1, balanced accuracy and ROC AUC (mean +- std over folds) and the resampling
wall time per fold, and writes ``benchmarks/results/augmentation.md``.

Run (16 minutes measured with `--epochs 100` on a busy shared 2-core machine)::

    python benchmarks/augmentation.py
    python benchmarks/augmentation.py --datasets default --epochs 30 --folds 3   # quicker

The GAN epochs are kept modest (the machine is shared); the tabular adapter's own default is
300 epochs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from imblearn.over_sampling import SMOTE, SMOTENC, RandomOverSampler
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import argument_parser, command_line, markdown_table, set_threads  # noqa: E402
from datasets import load_adult, load_caravan, load_default  # noqa: E402

from tabgan import GANSynthesizer  # noqa: E402
from tabgan.augmentation._data import to_table  # noqa: E402
from tabgan.augmentation._generate import draw_rows, fit_labelled  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


# -- data ---------------------------------------------------------------------------------------
def dataset(name: str, adult_rows: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, str]:
    """(X, y as 0/1 with 1 = minority, description)."""
    if name == "default":
        df, target = load_default()
        positive = "Yes"
    elif name == "adult":
        df, target = load_adult("train")
        positive = ">50K"
        # a stratified subsample keeps the run short; the positive rate stays 24%
        df = (
            df.groupby(target, group_keys=False)
            .sample(frac=adult_rows / len(df), random_state=seed)
            .reset_index(drop=True)
        )
    elif name == "caravan":
        df, target = load_caravan()
        positive = "Yes"
    else:
        raise ValueError(f"unknown dataset {name!r}")
    y = (df[target] == positive).to_numpy().astype(int)
    X = df.drop(columns=target)
    for col in X.columns:
        if X[col].dtype == object:
            # SMOTENC and the one-hot encoder need no NaN in categories; same input for all
            X[col] = X[col].fillna("missing")
    return X, y, f"{name}: {X.shape[0]} x {X.shape[1]}, minority {y.mean():.1%}"


def preprocessor(X: pd.DataFrame) -> ColumnTransformer:
    cats = [c for c in X.columns if X[c].dtype == object]
    nums = [c for c in X.columns if c not in cats]
    return ColumnTransformer(
        [
            (
                "cat",
                OneHotEncoder(handle_unknown="ignore", min_frequency=5, sparse_output=False),
                cats,
            ),
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), nums),
        ]
    )


def classifiers(X: pd.DataFrame, seed: int) -> dict[str, Any]:
    return {
        "LR": make_pipeline(preprocessor(X), LogisticRegression(max_iter=2000)),
        "HGB": make_pipeline(preprocessor(X), HistGradientBoostingClassifier(random_state=seed)),
    }


# -- samplers -----------------------------------------------------------------------------------
def gan(epochs: int, seed: int) -> GANSynthesizer:
    return GANSynthesizer(epochs=epochs, random_state=seed, verbose=False)


def resample_all(
    X: pd.DataFrame, y: np.ndarray, methods: list[str], epochs: int, seed: int
) -> dict[str, tuple[pd.DataFrame, np.ndarray, float]]:
    """Each method's resampled training fold and its wall time (seconds)."""
    out: dict[str, tuple[pd.DataFrame, np.ndarray, float]] = {}
    cats = [i for i, c in enumerate(X.columns) if X[c].dtype == object]
    for method in methods:
        t0 = time.perf_counter()
        if method == "none":
            Xr, yr = X, y
        elif method == "random":
            Xr, yr = RandomOverSampler(random_state=seed).fit_resample(X, y)
        elif method == "smote":
            sampler = SMOTENC(cats, random_state=seed) if cats else SMOTE(random_state=seed)
            Xr, yr = sampler.fit_resample(X, y)
        elif method in ("gan", "gan+filter"):
            continue  # below: one GAN per fold serves both
        else:
            raise ValueError(method)
        out[method] = (Xr, yr, time.perf_counter() - t0)
    gan_methods = [m for m in methods if m in ("gan", "gan+filter")]
    if gan_methods:
        # What GANOverSampler(sampling_strategy="auto").fit_resample does, split so the filter
        # variant reuses the same trained GAN (its time = GAN fit + its own sampling/filter).
        t0 = time.perf_counter()
        table = to_table(X, owner="benchmark")
        labelled = fit_labelled(table, y, gan(epochs, seed), seed)
        fit_seconds = time.perf_counter() - t0
        counts = {1: int((y == 0).sum() - (y == 1).sum())}
        for method in gan_methods:
            t1 = time.perf_counter()
            synth, labels = draw_rows(
                labelled,
                table,
                y,
                counts,
                rng=np.random.RandomState(seed),
                filter="adversarial" if method == "gan+filter" else None,
            )
            Xr = table.combine(synth)
            out[method] = (Xr, np.r_[y, labels], fit_seconds + time.perf_counter() - t1)
    return out


# -- run ----------------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> pd.DataFrame:
    rows = []
    for name in args.datasets:
        X, y, desc = dataset(name, args.adult_rows, args.seed)
        print(desc, flush=True)
        cv = StratifiedKFold(args.folds, shuffle=True, random_state=args.seed)
        for fold, (train, test) in enumerate(cv.split(X, y)):
            X_train, y_train = X.iloc[train].reset_index(drop=True), y[train]
            X_test, y_test = X.iloc[test].reset_index(drop=True), y[test]
            resampled = resample_all(X_train, y_train, args.methods, args.epochs, args.seed)
            for method, (Xr, yr, seconds) in resampled.items():
                for clf_name, clf in classifiers(X, args.seed).items():
                    clf.fit(Xr, yr)
                    proba = clf.predict_proba(X_test)[:, 1]
                    pred = (proba >= 0.5).astype(int)
                    rows.append(
                        {
                            "dataset": name,
                            "classifier": clf_name,
                            "method": method,
                            "fold": fold,
                            "minority_f1": f1_score(y_test, pred),
                            "balanced_acc": balanced_accuracy_score(y_test, pred),
                            "roc_auc": roc_auc_score(y_test, proba),
                            "resample_s": seconds,
                            "train_rows": len(yr),
                        }
                    )
            done = pd.DataFrame(rows)
            last = done[(done.dataset == name) & (done.fold == fold)]
            print(
                f"  fold {fold}: "
                + ", ".join(
                    f"{m} {g.minority_f1.mean():.3f}" for m, g in last.groupby("method", sort=False)
                ),
                flush=True,
            )
    return pd.DataFrame(rows)


def summarize(results: pd.DataFrame) -> pd.DataFrame:
    def fmt(s: pd.Series) -> str:
        return f"{s.mean():.3f} ± {s.std(ddof=1):.3f}"

    order = {m: i for i, m in enumerate(["none", "random", "smote", "gan", "gan+filter"])}
    table = (
        results.groupby(["dataset", "classifier", "method"], sort=False)
        .agg(
            minority_f1=("minority_f1", fmt),
            balanced_acc=("balanced_acc", fmt),
            roc_auc=("roc_auc", fmt),
            resample_s=("resample_s", lambda s: f"{s.mean():.1f}"),
        )
        .reset_index()
    )
    table["_o"] = table["method"].map(order)
    return table.sort_values(["dataset", "classifier", "_o"]).drop(columns="_o")


def main(argv: list[str] | None = None) -> None:
    parser = argument_parser(__doc__)
    parser.add_argument("--datasets", nargs="+", default=["default", "adult"])
    parser.add_argument(
        "--methods", nargs="+", default=["none", "random", "smote", "gan", "gan+filter"]
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=50, help="GAN epochs (modest: shared CPU)")
    parser.add_argument("--adult-rows", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(RESULTS / "augmentation.md"))
    args = parser.parse_args(argv)
    threads = set_threads(args.threads)
    print(f"torch threads: {threads}, GAN epochs: {args.epochs}, folds: {args.folds}")
    t0 = time.perf_counter()
    results = run(args)
    table = summarize(results)
    print(table.to_string(index=False))
    total = time.perf_counter() - t0
    print(f"total {total:.0f} s")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    command = command_line(__file__, argv)
    out.write_text(
        f"# Augmentation benchmark\n\n`{command}` (torch threads {threads}, "
        f"GAN epochs {args.epochs}, {args.folds}-fold stratified CV, total {total:.0f} s)\n\n"
        "Mean ± std over folds; `resample_s` is the wall time to resample one training fold "
        "(GAN training included).\n\n" + markdown_table(table) + "\n"
    )
    results.to_csv(out.with_suffix(".csv"), index=False)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
