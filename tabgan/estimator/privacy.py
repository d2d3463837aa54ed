"""Differential privacy in a fit: the checks, the adapter's budget, the plan and the record.

What ``GANSynthesizer(differential_privacy=...)`` adds to a fit, kept out of the estimator
(the mechanisms and the accounting are in :mod:`tabgan.engine.privacy` and
:mod:`tabgan.engine.dp_sgd`):

* :func:`check_fit` refuses what the guarantee cannot cover (data streamed from storage, whose
  rows cannot be Poisson-sampled by index; several torch.distributed ranks; an adapter without
  a private fit);
* :func:`adapter_budget` is the adapter's preprocessing share;
* :func:`plan` the DP-SGD noise for the configured run, after the adapter's releases;
* :func:`record` what the fitted model keeps (``privacy_``, in ``model.json``), and
  :func:`with_epsilon` the spent epsilon after each epoch of ``history_``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..engine.config import TrainingConfig
from ..engine.privacy import (
    DPConfig,
    PreprocessingBudget,
    PrivacyPlan,
    plan_training,
    preprocessing_budget,
    require_opacus,
)
from ..engine.training import GANTrainer, steps_per_epoch
from .adapters import BaseAdapter

__all__ = ["adapter_budget", "check_checkpoint", "check_fit", "plan", "record", "with_epsilon"]


def check_fit(value: Any, *, streamed: bool, distributed: bool) -> DPConfig | None:
    """The ``differential_privacy`` parameter as a config (``None``: no DP), after refusing
    what a private fit cannot do."""
    config = DPConfig.from_param(value)
    if config is None:
        return None
    require_opacus()
    if streamed:
        raise ValueError(
            "differential_privacy needs the training rows in memory: DP-SGD Poisson-samples "
            "rows by index, which data read from storage in pieces does not allow."
        )
    if distributed:
        raise ValueError(
            "differential_privacy is not supported under torch.distributed (one process "
            "Poisson-samples all rows and adds the noise once)."
        )
    return config


def check_checkpoint(config: DPConfig | None, doc: Mapping[str, Any]) -> None:
    """Refuse to resume a checkpoint under other privacy settings."""
    saved = doc.get("params", {}).get("differential_privacy")
    saved_config = DPConfig.from_param(saved) if saved is not None else None
    if saved_config != config:
        raise ValueError(
            "The checkpoint was trained with other settings: "
            f"differential_privacy={saved!r} (now {None if config is None else config.to_dict()})."
        )


def adapter_budget(config: DPConfig | None) -> PreprocessingBudget | None:
    """What the adapter's preprocessing may spend (``None``: no DP)."""
    return None if config is None else preprocessing_budget(config)


def plan(
    config: DPConfig | None, adapter: BaseAdapter, training: TrainingConfig, n_rows: int
) -> PrivacyPlan | None:
    """The DP-SGD plan for the run ``training`` describes over ``n_rows`` rows (its epochs of
    generator steps, ``n_critic`` critic steps each), after what ``adapter`` spent (``None``:
    no DP)."""
    if config is None:
        return None
    steps = steps_per_epoch(n_rows, training.batch_size) * training.epochs
    return plan_training(
        config,
        adapter.privacy_,
        n_rows=n_rows,
        batch_size=training.batch_size,
        steps=steps * training.n_critic,
    )


def record(trainer: GANTrainer) -> dict[str, Any] | None:
    """The spent budget of a finished run, and how it was spent (``None``: no DP)."""
    dp = trainer.privacy
    return None if dp is None else dp.plan.report(dp.steps)


def with_epsilon(history: pd.DataFrame, trainer: GANTrainer) -> pd.DataFrame:
    """``history`` with an ``epsilon`` column: the budget spent at the end of each row's epoch."""
    dp = trainer.privacy
    if dp is None or history.empty or "step" not in history.columns:
        return history
    steps = (history["step"].astype(int) * trainer.config.n_critic).tolist()
    return history.assign(epsilon=dp.plan.epsilons(steps))
