"""Disclosure risk measured by attacks: a membership-inference attack and anonymeter's risks.

:func:`membership_attack` is a distance-to-closest-record attack (the "full black-box" attack
of GAN-Leaks, Chen et al. 2020): an attacker holding the synthetic rows scores a candidate
record by how close its nearest synthetic row is, and guesses "trained on" for the closest.
Run on training rows (members) against as many holdout rows (non-members), its ROC AUC is
0.5 when the synthetic rows say nothing about who was in the training data and 1 when they
copy it. The distance space is fitted on the synthetic rows (all the attacker has):
:class:`~.privacy.MixedEncoder`.

:func:`anonymeter_risks` runs anonymeter's three evaluators (Giomi et al. 2022, "A Unified
Framework for Quantifying Privacy Risk in Synthetic Data"): singling out, linkability and
attribute inference, each an attack on the training rows whose success is compared with the
same attack on the holdout rows (the control), so 0 means no risk beyond what the population
reveals. anonymeter is optional and not in any extra (it pins ``numpy<1.27`` and
``pyarrow<22``): ``pip install anonymeter``, in an environment of its own if those pins clash.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from .privacy import MixedEncoder, distance_to_closest

__all__ = ["SINGLING_OUT_ATTEMPTS", "anonymeter_risks", "membership_attack"]

#: Bounds the time of anonymeter's singling-out query search (its default, 10 million
#: attempts, ran over 10 minutes on a 400-row table of 3 columns; 100,000 took 9 s): when fewer
#: queries than attacks are found, anonymeter says so (a note of the report) and the risk is
#: estimated on those it found.
SINGLING_OUT_ATTEMPTS = 100_000


def membership_attack(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    synthetic: pd.DataFrame,
    metadata: dict[str, Any],
    *,
    max_rows: int = 10_000,
    rng: np.random.Generator,
) -> dict[str, float]:
    """ROC AUC of the distance-to-closest-synthetic-record attack, members vs non-members.

    As many training rows as holdout rows (at most ``max_rows`` each) are drawn at random,
    so the attack's prior is 50%; each is searched against all synthetic rows.
    """
    m = min(len(train), len(holdout), max_rows)
    if m < 2:
        raise ValueError("The membership attack needs at least 2 training and 2 holdout rows.")
    members = train.iloc[np.sort(rng.choice(len(train), m, replace=False))]
    others = holdout.iloc[np.sort(rng.choice(len(holdout), m, replace=False))]
    enc = MixedEncoder(metadata).fit(synthetic)
    x_syn = enc.transform(synthetic)
    d_members = distance_to_closest(enc.transform(members), x_syn)
    d_others = distance_to_closest(enc.transform(others), x_syn)
    labels = np.r_[np.ones(m), np.zeros(m)]
    auc = float(roc_auc_score(labels, -np.r_[d_members, d_others]))
    return {
        "membership_auc": auc,
        "membership_median_dcr_members": float(np.median(d_members)),
        "membership_median_dcr_non_members": float(np.median(d_others)),
        "membership_rows": float(m),
    }


def _import_anonymeter() -> Any:
    try:
        from anonymeter import evaluators
    except ImportError:
        raise ImportError(
            "privacy_risk needs anonymeter for the singling-out, linkability and inference "
            "risks: pip install anonymeter (it pins numpy<1.27 and pyarrow<22: use an "
            "environment of its own if that clashes), or pass privacy_risk='membership' for "
            "the membership attack alone."
        ) from None
    return evaluators


def _plain(frame: pd.DataFrame, cols: list[Any], metadata: dict[str, Any]) -> pd.DataFrame:
    """``frame[cols]`` in the plain dtypes anonymeter's distance code takes: numbers as
    float64 (nullable ones' ``pd.NA`` as NaN), categories as text (missing as NaN)."""
    out = {}
    for c in cols:
        s = frame[c].reset_index(drop=True)
        sdtype = metadata["columns"][c]["sdtype"]
        if sdtype == "numerical":
            out[c] = pd.to_numeric(s, errors="coerce").astype("float64")
        elif sdtype == "datetime":
            out[c] = pd.to_datetime(s).astype("int64").where(s.notna()).astype("float64")
        else:
            out[c] = (
                s.astype(object)
                .where(s.notna(), None)
                .map(lambda v: np.nan if v is None else str(v))
            )
    return pd.DataFrame(out, columns=cols)


def anonymeter_risks(
    train: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame,
    metadata: dict[str, Any],
    *,
    target: Any = None,
    n_attacks: int = 500,
    rng: np.random.Generator,
) -> tuple[dict[str, float], list[str]]:
    """anonymeter's singling-out (multivariate, 3 columns, at most
    :data:`SINGLING_OUT_ATTEMPTS` query attempts), linkability (the columns split in
    two random halves, one neighbour) and inference (the secret: ``target``, else a random
    column; the others known) risks, and their 95% confidence bounds; plus notes on what
    failed. Id columns are left out; the holdout rows are the control."""
    ev = _import_anonymeter()
    cols = [c for c in train.columns if metadata["columns"][c]["sdtype"] != "id"]
    ori, syn, ctl = (_plain(f, cols, metadata) for f in (train, synthetic, holdout))
    n = int(min(n_attacks, len(ctl), len(ori)))
    seed = int(rng.integers(2**31 - 1))
    out: dict[str, float] = {}
    notes: list[str] = []
    shuffled = [cols[i] for i in rng.permutation(len(cols))]
    half = max(1, len(cols) // 2)
    secret = target if target in cols else shuffled[0]
    regression = metadata["columns"][secret]["sdtype"] in ("numerical", "datetime")
    attacks = {
        "singling_out": lambda: ev.SinglingOutEvaluator(
            ori=ori,
            syn=syn,
            control=ctl,
            n_attacks=n,
            n_cols=min(3, len(cols)),
            seed=seed,
            max_attempts=SINGLING_OUT_ATTEMPTS,
        ).evaluate(mode="multivariate"),
        "linkability": lambda: ev.LinkabilityEvaluator(
            ori=ori,
            syn=syn,
            control=ctl,
            n_attacks=n,
            aux_cols=(shuffled[:half], shuffled[half:]),
            n_neighbors=1,
        ).evaluate(n_jobs=1),
        "inference": lambda: ev.InferenceEvaluator(
            ori=ori,
            syn=syn,
            control=ctl,
            n_attacks=n,
            aux_cols=[c for c in cols if c != secret],
            secret=secret,
            regression=regression,
        ).evaluate(n_jobs=1),
    }
    for name, run in attacks.items():
        if name == "linkability" and len(cols) < 2:
            continue
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                risk = run().risk(confidence_level=0.95)
        except Exception as exc:  # one evaluator failing leaves the others
            out[f"{name}_risk"] = float("nan")
            notes.append(f"anonymeter {name}: {type(exc).__name__}: {exc}")
            continue
        notes.extend(f"anonymeter {name}: {w.message}" for w in caught[:3])
        out[f"{name}_risk"] = float(risk.value)
        out[f"{name}_risk_ci_high"] = float(risk.ci[1])
    notes.append(
        f"anonymeter: {n} attacks each; inference secret {secret!r}; linkability halves "
        f"{shuffled[:half]} / {shuffled[half:]}."
    )
    return out, notes
