"""`evaluate()`: quality, diagnostic, ML efficacy and memorization of synthetic rows in one call."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ._inputs import align_frames, resolve_metadata
from .attacks import anonymeter_risks, membership_attack
from .efficacy import ml_efficacy
from .privacy import memorization
from .quality import dcr_metrics, diagnostic_report, quality_report
from .report import Report

__all__ = ["evaluate"]


def _column_quality(report: Any) -> pd.DataFrame:
    details = report.get_details("Column Shapes")
    if "Table" in details.columns:
        details = details.drop(columns=["Table"])
    return details.reset_index(drop=True)


def _property(report: Any, name: str) -> float:
    props = report.get_properties()
    if "Table" in props.columns:
        props = props.groupby("Property", sort=False)["Score"].mean().reset_index()
    row = props[props["Property"] == name]
    return float(row["Score"].iloc[0]) if len(row) else float("nan")


def _cap(
    frame: pd.DataFrame, max_rows: int, rng: np.random.Generator, name: str, notes: list[str]
) -> pd.DataFrame:
    """``frame``, or ``max_rows`` of its rows drawn at random (noted), for the QualityReport."""
    if len(frame) <= max_rows:
        return frame
    notes.append(
        f"QualityReport computed on {max_rows} of {len(frame)} {name} rows drawn at random "
        f"(max_rows={max_rows})."
    )
    keep = np.sort(rng.choice(len(frame), max_rows, replace=False))
    return frame.iloc[keep].reset_index(drop=True)


def evaluate(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    *,
    holdout: pd.DataFrame | None = None,
    metadata: Mapping[str, Any] | None = None,
    target: Any = None,
    synthesizer: Any = None,
    max_rows: int = 10_000,
    random_state: int | None = 0,
    verbose: bool = True,
    privacy_risk: bool = False,
    privacy_attacks: int = 500,
) -> Report:
    """Measure how good and how private synthetic rows are.

    Parameters
    ----------
    real : pandas.DataFrame
        The rows the synthesizer was trained on.
    synthetic : pandas.DataFrame
        Generated rows, with the same columns.
    holdout : pandas.DataFrame, optional
        Real rows the synthesizer never saw. Needed for machine-learning efficacy; it is also
        the baseline of the memorization check (else: within-training nearest neighbours).
    metadata : dict, optional
        sdmetrics metadata ``{"columns": {name: {"sdtype": ...}}}``. By default the fitted
        tabular adapter's (``synthesizer.adapter_.metadata_``), else inferred from ``real``.
    target : column name, optional
        Column to predict for ML efficacy: classification for categorical/boolean columns
        (accuracy, macro F1, ROC AUC), regression for numerical ones (R2).
    synthesizer : fitted GANSynthesizer, optional
        Adds its metadata and its loss history (a figure) to the report.
    max_rows : int, default=10000
        Bounds the time on large tables: at most this many rows of ``real`` and of
        ``synthetic`` go to sdmetrics' ``QualityReport``, and at most this many synthetic (and
        holdout) rows are the query rows of the distance (DCR) figures; larger frames are
        subsampled at random (seeded by ``random_state``) and the report's ``notes`` say so.
        Never subsampled: the training rows each DCR query is searched against, the exact-copy
        counts (all synthetic rows against all training rows, by value), the
        ``DiagnosticReport`` and the ML efficacy models. (The closer-to-training share and
        sdmetrics' ``DCROverfittingProtection`` compare training and holdout references cut to
        the same size, by design.)
    random_state : int or None, default=0
        Seeds the subsampling and the random baseline rows.
    verbose : bool, default=True
        Show a progress bar over the steps.
    privacy_risk : bool, default=False
        Measure disclosure risk by attacks (needs ``holdout``, the rows an attacker must tell
        apart from training rows): a membership-inference attack (distance to the closest
        synthetic record, training vs holdout rows: ROC AUC, 0.5 is no signal) and, when
        anonymeter is installed, its singling-out, linkability and attribute-inference
        risks (0 is no risk beyond the holdout's), in ``Report.privacy_risk``; see
        :mod:`tabgan.evaluation.attacks`. A note says so when anonymeter is missing.
    privacy_attacks : int, default=500
        anonymeter attacks per risk (at most the holdout's rows).

    Returns
    -------
    Report
    """
    if not isinstance(max_rows, int) or isinstance(max_rows, bool) or max_rows < 10:
        raise ValueError(f"`max_rows` must be an int >= 10, got {max_rows!r}.")
    if not isinstance(real, pd.DataFrame):
        raise TypeError(f"`real` must be a pandas DataFrame, got {type(real).__name__}.")
    if target is not None and target not in real.columns:
        raise ValueError(
            f"The target {target!r} is not a column of `real`; its columns are "
            f"{list(real.columns)}."
        )
    if target is not None and holdout is None:
        raise ValueError("ML efficacy needs real rows the synthesizer never saw: pass `holdout`.")
    if privacy_risk and holdout is None:
        raise ValueError(
            "privacy_risk attacks tell training rows from rows the synthesizer never saw: pass "
            "`holdout`."
        )
    meta = resolve_metadata(real, metadata, synthesizer)
    real, synthetic, holdout = align_frames(real, synthetic, holdout, meta)
    notes: list[str] = []
    rng = np.random.default_rng(random_state)
    steps = ["quality", "diagnostic", "memorization", "sdmetrics DCR"]
    if target is not None:
        steps.append("ML efficacy")
    if privacy_risk:
        steps.append("privacy attacks")
    bar = tqdm(total=len(steps), desc="tabgan evaluate", disable=not verbose, leave=False)

    def step(name: str) -> None:
        bar.set_postfix_str(name)

    try:
        step("quality")
        quality = quality_report(
            _cap(real, max_rows, rng, "real", notes),
            _cap(synthetic, max_rows, rng, "synthetic", notes),
            meta,
            notes,
        )
        bar.update()
        step("diagnostic")
        diagnostic = diagnostic_report(real, synthetic, meta, notes)
        bar.update()
        step("memorization")
        mem = memorization(real, synthetic, holdout, meta, max_rows=max_rows, rng=rng)
        notes.extend(mem.notes)
        bar.update()
        step("sdmetrics DCR")
        privacy = dcr_metrics(real, synthetic, holdout, meta, notes, max_rows=max_rows, rng=rng)
        bar.update()
        task, efficacy = None, None
        if target is not None:
            step("ML efficacy")
            assert holdout is not None
            task, efficacy = ml_efficacy(real, synthetic, holdout, target, meta)
            bar.update()
        risk = None
        if privacy_risk:
            step("privacy attacks")
            assert holdout is not None
            risk = _privacy_risk(
                real, synthetic, holdout, meta, target, privacy_attacks, rng, notes
            )
            bar.update()
    finally:
        bar.close()
    history = getattr(synthesizer, "history_", None) if synthesizer is not None else None
    return Report(
        quality_score=float(quality.get_score()),
        column_shapes=_property(quality, "Column Shapes"),
        column_pair_trends=_property(quality, "Column Pair Trends"),
        diagnostic_score=float(diagnostic.get_score()),
        column_quality=_column_quality(quality),
        memorization=mem,
        privacy=privacy,
        metadata=meta,
        real=real,
        synthetic=synthetic,
        task=task,
        target=target,
        ml_efficacy=efficacy,
        history=history,
        notes=notes,
        privacy_risk=risk,
        differential_privacy=_dp_record(synthesizer),
    )


def _privacy_risk(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame,
    meta: dict[str, Any],
    target: Any,
    n_attacks: int,
    rng: np.random.Generator,
    notes: list[str],
) -> dict[str, float]:
    out = membership_attack(real, holdout, synthetic, meta, rng=rng)
    try:
        risks, risk_notes = anonymeter_risks(
            real, synthetic, holdout, meta, target=target, n_attacks=n_attacks, rng=rng
        )
    except ImportError as exc:
        notes.append(str(exc))
        return out
    notes.extend(risk_notes)
    return {**out, **risks}


def _dp_record(synthesizer: Any) -> dict[str, Any] | None:
    """The differential-privacy record of a fitted synthesizer (``privacy_``), if any."""
    if synthesizer is None:
        return None
    record = synthesizer.__dict__.get("privacy_")
    return dict(record) if record else None
