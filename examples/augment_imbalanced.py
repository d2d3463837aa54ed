"""Augment an imbalanced, mixed-type table with a conditional GAN inside scikit-learn tools.

The task: tell Chinstrap penguins (68 of 344, 20%) from the others, from a table with numbers,
categories and NaN (where SMOTE cannot go without imputing and encoding first).

1. ``GANOverSampler`` in an imbalanced-learn ``Pipeline`` (resampling on the training folds only).
2. ``GANAugmentedEstimator`` in a plain scikit-learn ``Pipeline`` with ``GridSearchCV`` over the
   GAN's epochs and the classifier's ``C``.

    python examples/augment_imbalanced.py            # 100-300 epochs, a few minutes on 2 cores
    python examples/augment_imbalanced.py --quick    # a few epochs (CI); or TABGAN_QUICK=1
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import torch
from imblearn.pipeline import make_pipeline as make_imb_pipeline
from palmerpenguins import load_penguins
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from tabgan import GANSynthesizer
from tabgan.augmentation import GANAugmentedEstimator, GANOverSampler

FEATURES = ["island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "sex"]


def encoder() -> ColumnTransformer:
    """One-hot for strings, impute + scale numbers (runs after the GAN, on its output too)."""
    return ColumnTransformer(
        [
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
                ),
                make_column_selector(dtype_include=object),
            ),
            (
                "num",
                make_pipeline(SimpleImputer(), StandardScaler()),
                make_column_selector(dtype_include=np.number),
            ),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", default=bool(os.environ.get("TABGAN_QUICK")))
    args = p.parse_args(argv)
    torch.set_num_threads(1)

    df = load_penguins()
    X = df[FEATURES + ["body_mass_g"]]  # body_mass_g is dropped by the pipeline in part 2
    y = (df["species"] == "Chinstrap").map({True: "chinstrap", False: "other"})
    share = y.eq("chinstrap").mean()
    print(f"{len(X)} rows, {share:.0%} chinstrap, NaN cells: {X.isna().sum().sum()}")
    epochs = 2 if args.quick else 150
    cv = StratifiedKFold(2 if args.quick else 5, shuffle=True, random_state=0)
    gan = GANSynthesizer(epochs=epochs, batch_size=100, pac=10, verbose=False)

    # 1. imbalanced-learn Pipeline: the sampler only runs in fit, on the training folds.
    model = make_imb_pipeline(
        GANOverSampler(gan, random_state=0), encoder(), LogisticRegression(max_iter=1000)
    )
    scores = cross_val_score(model, X, y, cv=cv, scoring="f1_macro")
    print(f"\n[imblearn Pipeline] GANOverSampler + LR, macro F1: {scores.mean():.3f}", end="")
    print(f" ± {scores.std():.3f}")
    X_res, y_res = GANOverSampler(gan, random_state=0).fit_resample(X, y)
    print("resampled class counts:", y_res.value_counts().to_dict())
    print("same dtypes back:", (X_res.dtypes == X.dtypes).all())
    print(X_res.tail(3).to_string())

    # 2. plain scikit-learn: the meta-estimator augments inside its own fit, so it fits in a
    #    Pipeline, cross_val_score and GridSearchCV; test folds never reach the GAN.
    pipe = Pipeline(
        [
            (
                "select",
                ColumnTransformer(
                    [("keep", "passthrough", FEATURES)], verbose_feature_names_out=False
                ).set_output(transform="pandas"),
            ),
            (
                "model",
                GANAugmentedEstimator(
                    make_pipeline(encoder(), LogisticRegression(max_iter=1000)),
                    gan,
                    n_synthetic="balance",
                    random_state=0,
                ),
            ),
        ]
    )
    grid = {
        "model__synthesizer__epochs": [1, 2] if args.quick else [50, 150],
        "model__estimator__logisticregression__C": [1.0] if args.quick else [0.1, 1.0],
    }
    search = GridSearchCV(pipe, grid, cv=cv, scoring="f1_macro").fit(X, y)
    print(f"\n[sklearn Pipeline + GridSearchCV] best {search.best_params_}")
    print(f"best CV macro F1: {search.best_score_:.3f}")
    fitted = search.best_estimator_.named_steps["model"]
    print("synthetic rows added per class:", fitted.n_synthetic_, "classes:", fitted.classes_)
    print(
        "predict_proba of 3 rows:",
        fitted.predict_proba(search.best_estimator_[0].transform(X[:3])).round(3).tolist(),
    )


if __name__ == "__main__":
    main()
