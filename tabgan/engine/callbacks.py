"""Training callbacks (skorch style): progress bar, loss history, early stopping, checkpoints.

Every hook receives the object running the fit: the :class:`~tabgan.GANSynthesizer` (its run
in progress is ``estimator.trainer_``, and it can ``sample``, ``save_checkpoint`` and reach its
``adapter_``), or a :class:`~tabgan.engine.training.GANTrainer` run on its own. Callbacks that
keep state reset it in ``on_train_begin``, so one object serves several fits.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from .training import GANTrainer

__all__ = ["Callback", "Checkpoint", "EarlyStopping", "History", "ProgressBar", "run_of"]


def run_of(owner: Any) -> GANTrainer:
    """The training run of ``owner``: the trainer itself, or an estimator's ``trainer_``."""
    return owner if isinstance(owner, GANTrainer) else owner.trainer_


class Callback:
    """Base class: override the hooks you need.

    ``estimator`` is the object running the fit (see the module docstring);
    ``run_of(estimator).stop_training = True`` stops the loop after the current step.
    """

    def on_train_begin(self, estimator: Any) -> None:
        pass

    def on_step_end(self, estimator: Any, logs: dict[str, Any]) -> None:
        pass

    def on_epoch_end(self, estimator: Any, logs: dict[str, float]) -> None:
        pass

    def on_train_end(self, estimator: Any) -> None:
        pass


class History(Callback):
    """One row per epoch: epoch, step, seconds and the mean of each logged loss."""

    def __init__(self, rows: list[dict[str, float]] | None = None) -> None:
        self.rows: list[dict[str, float]] = list(rows or [])

    def on_epoch_end(self, estimator: Any, logs: dict[str, float]) -> None:
        run = run_of(estimator)
        self.rows.append({"epoch": run.epoch, "step": run.step, "seconds": run.seconds, **logs})


class ProgressBar(Callback):
    """A tqdm bar over steps showing the latest epoch's mean losses."""

    def __init__(self, desc: str = "training") -> None:
        self.desc = desc
        self._bar: Any = None

    def on_train_begin(self, estimator: Any) -> None:
        run = run_of(estimator)
        self._bar = tqdm(
            total=run.total_steps,
            initial=run.step,
            desc=self.desc,
            unit="step",
            dynamic_ncols=True,
            leave=True,
        )

    def on_step_end(self, estimator: Any, logs: dict[str, Any]) -> None:
        self._bar.update(1)

    def on_epoch_end(self, estimator: Any, logs: dict[str, float]) -> None:
        self._bar.set_postfix({k: f"{v:.3g}" for k, v in logs.items()}, refresh=False)

    def on_train_end(self, estimator: Any) -> None:
        if self._bar is not None:
            self._bar.close()


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` checks.

    Its state (``best``, ``bad_checks``, ``stopped_at``) is reset when training begins, so one
    object serves several fits (a refit, a grid search) and each trains as a fresh one would;
    after a fit it describes that fit. A run resumed from a checkpoint starts it afresh.

    Parameters
    ----------
    monitor : callable
        ``monitor(estimator) -> float``, lower is better (negate a score to maximize it): it
        may sample from the estimator mid-fit (``estimator.sample(n)``) and score the samples;
        or the name of a logged loss (e.g. ``"g_loss"``).
    patience : int
        Checks without improvement before stopping.
    every : int
        Check every ``every`` epochs.
    min_delta : float
        The smallest decrease that counts as an improvement.

    Attributes
    ----------
    best : float
        The lowest value seen in this fit.
    bad_checks : int
        Checks since the last improvement.
    stopped_at : int or None
        The step at which it stopped this fit's training (``None``: it did not).
    """

    def __init__(
        self,
        monitor: Callable[[Any], float] | str,
        patience: int = 5,
        every: int = 1,
        min_delta: float = 0.0,
    ) -> None:
        self.monitor = monitor
        self.patience = patience
        self.every = every
        self.min_delta = min_delta
        self._reset()

    def _reset(self) -> None:
        self.best = math.inf
        self.bad_checks = 0
        self.stopped_at: int | None = None

    def on_train_begin(self, estimator: Any) -> None:
        self._reset()

    def on_epoch_end(self, estimator: Any, logs: dict[str, float]) -> None:
        run = run_of(estimator)
        epoch = round(run.epoch)
        if epoch == 0 or epoch % self.every:
            return
        if isinstance(self.monitor, str):
            if self.monitor not in logs:
                raise ValueError(
                    f"EarlyStopping monitors {self.monitor!r}, which is not logged; "
                    f"logged: {', '.join(logs)}."
                )
            value = logs[self.monitor]
        else:
            value = float(self.monitor(estimator))
        if value < self.best - self.min_delta:
            self.best, self.bad_checks = value, 0
        else:
            self.bad_checks += 1
            if self.bad_checks >= self.patience:
                run.stop_training = True
                self.stopped_at = run.step


class Checkpoint(Callback):
    """Every ``every`` epochs, write a resumable checkpoint into ``dirname``.

    The folder holds the latest checkpoint (safetensors + JSON), written through the estimator
    running the fit (``estimator.save_checkpoint(dirname)``);
    ``GANSynthesizer(...).fit(X, resume_from=dirname)`` continues it. Pass one in
    ``callbacks=`` for a schedule or folder of your own (``checkpoint_dir=`` is the same with
    ``every=checkpoint_every``); one object may serve several fits, each writing its own run.

    A checkpoint holds the critic and the optimizer states as well as the generator: keep it as
    private as the training data.

    Parameters
    ----------
    dirname : str or Path
    every : int, default=1
    """

    def __init__(self, dirname: str | Path, every: int = 1) -> None:
        if isinstance(every, bool) or not isinstance(every, numbers.Integral) or every < 1:
            raise ValueError(f"`every` must be an int >= 1, got {every!r}.")
        self.dirname: Path = Path(dirname)
        self.every: int = int(every)

    def on_train_begin(self, estimator: Any) -> None:
        if isinstance(estimator, GANTrainer):
            raise RuntimeError(
                f"Checkpoint({str(self.dirname)!r}): checkpoints are written by the estimator "
                "running the fit (GANSynthesizer.fit); a trainer run on its own has none."
            )

    def on_epoch_end(self, estimator: Any, logs: dict[str, float]) -> None:
        run = run_of(estimator)
        epoch_done = run.step % run.steps_per_epoch == 0
        if epoch_done and round(run.epoch) % self.every == 0:
            estimator.save_checkpoint(self.dirname)
