"""`GANSynthesizer`: the scikit-learn style estimator users fit and sample from.

It orchestrates; the parts live where they belong: hyper-parameters and their defaults in
:mod:`tabgan.engine.config`, the training loop and its state in :mod:`tabgan.engine.training`,
the adapter contract in :mod:`.adapters`, sampling and the copy guard in :mod:`.sampling`, the
saved-model schema in :mod:`.persistence`.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted

from ..engine import serialization as ser
from ..engine.callbacks import Callback, Checkpoint, History, ProgressBar
from ..engine.config import (
    FIELDS,
    TrainingConfig,
    check_same_settings,
    fit_batch_to_data,
    parameter_constraints,
    resolve_config,
)
from ..engine.plotting import plot_history
from ..engine.training import GANTrainer
from ..engine.utils import derive_seed, local_torch_rng, resolve_device, seed_from_random_state
from . import persistence
from .adapters import BaseAdapter, resolve_adapter
from .fitting import build_trainer
from .sampling import CopyGuard, generate

__all__ = ["GANSynthesizer"]

#: Attributes that stay in this process: never pickled, deep-copied or saved.
_PROCESS_ONLY = ("training_hashes_", "_copy_guard", "trainer_")


class GANSynthesizer(BaseEstimator):
    """Learn a generative adversarial network from data and sample new data from it.

    Every training parameter left at ``None`` takes the adapter's default for its domain
    (``adapter.training_defaults``), then the loss's (learning rate, Adam betas), then the
    default of :class:`~tabgan.engine.config.TrainingConfig`, which also checks it. The
    resolved values are in ``config_`` after ``fit``.

    Parameters
    ----------
    adapter : str, adapter class or adapter instance, default="tabular"
        The data domain: ``"tabular"``, ``"audio"``, ``"text"``, ``"vector"`` or a third-party
        adapter registered under the entry-point group ``tabgan.adapters``.
    epochs, batch_size, latent_dim, loss, n_critic : optional
    generator_lr, discriminator_lr, betas, weight_decay, pac : optional
    gradient_penalty, r1, label_smoothing, instance_noise, mmd_weight : optional
    ema_decay, grad_clip, max_seconds : optional
        The training hyper-parameters, each documented with its default and its check in
        :class:`~tabgan.TrainingConfig`; ``None`` leaves one to the adapter's default.
    random_state : int, numpy Generator or None
        Seeds a private random state; the same int gives identical samples on CPU.
    device : {"auto", "cpu", "cuda", "mps"}, default="auto"
    verbose : bool, default=True
        Show a progress bar with the current losses.
    callbacks : list of Callback, optional
        Extra training callbacks (e.g. :class:`~tabgan.EarlyStopping`, or a
        :class:`~tabgan.Checkpoint` of your own); each hook receives this estimator, whose run
        in progress is ``trainer_``.
    checkpoint_dir : str or Path, optional
        Write a resumable checkpoint there every ``checkpoint_every`` epochs. A checkpoint holds
        the critic and the optimizer states too: keep it as private as the training data.
    checkpoint_every : int, default=1

    Attributes
    ----------
    adapter_ : fitted adapter
    generator_ : torch.nn.Module
        The network used for sampling (the EMA copy when ``ema_decay > 0``).
    discriminator_ : torch.nn.Module or None
        The trained critic, for inspection (sampling does not use it; :meth:`save` does not
        write it). ``None`` after :meth:`load`.
    config_ : TrainingConfig
    history_ : pandas.DataFrame
        One row per epoch: epoch, step, seconds and the mean losses.
    n_steps_ : int
    device_ : torch.device
    trainer_ : GANTrainer
        The run in progress, during ``fit`` only (for callbacks).
    training_hashes_ : numpy.ndarray of uint64
        Hashes of the distinct training rows (or of the rows given to
        :meth:`set_copy_reference`), for ``sample(..., drop_copies=True)``. They identify the
        rows, so they stay in this process: neither :meth:`save` nor pickling (nor
        ``copy.deepcopy``) keeps them.

    Notes
    -----
    After ``fit`` the estimator keeps what sampling and saving need (the adapter, the sampling
    generator, the critic, the settings and the loss history); the training data, the
    optimizers and the live training state are dropped. A model file holds no information
    about individual training rows beyond what the adapter's state holds (for ``tabular``:
    each numeric column's range, the categories and their counts; for ``text``: the tokenizer
    trained on the texts).
    """

    _parameter_constraints: dict[str, list[Any]] = {
        **parameter_constraints(),
        "adapter": [str, type, HasMethods(["fit", "encode", "decode"])],
        "random_state": [
            Interval(numbers.Integral, 0, None, closed="left"),
            np.random.Generator,
            np.random.RandomState,
            None,
        ],
        "device": [str, torch.device],
        "verbose": ["boolean"],
        "callbacks": [list, tuple, None],
        "checkpoint_dir": [str, Path, None],
        "checkpoint_every": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    discriminator_: torch.nn.Module | None
    trainer_: GANTrainer

    def __init__(
        self,
        adapter: Any = "tabular",
        *,
        epochs: int | None = None,
        batch_size: int | None = None,
        latent_dim: int | None = None,
        loss: str | None = None,
        n_critic: int | None = None,
        generator_lr: float | None = None,
        discriminator_lr: float | None = None,
        betas: tuple[float, float] | None = None,
        weight_decay: float | None = None,
        pac: int | None = None,
        gradient_penalty: float | None = None,
        r1: float | None = None,
        label_smoothing: float | None = None,
        instance_noise: float | None = None,
        mmd_weight: float | None = None,
        ema_decay: float | None = None,
        grad_clip: float | None = None,
        max_seconds: float | None = None,
        random_state: Any = None,
        device: str = "auto",
        verbose: bool = True,
        callbacks: Sequence[Callback] | None = None,
        checkpoint_dir: str | Path | None = None,
        checkpoint_every: int = 1,
    ) -> None:
        self.adapter = adapter
        self.epochs = epochs
        self.batch_size = batch_size
        self.latent_dim = latent_dim
        self.loss = loss
        self.n_critic = n_critic
        self.generator_lr = generator_lr
        self.discriminator_lr = discriminator_lr
        self.betas = betas
        self.weight_decay = weight_decay
        self.pac = pac
        self.gradient_penalty = gradient_penalty
        self.r1 = r1
        self.label_smoothing = label_smoothing
        self.instance_noise = instance_noise
        self.mmd_weight = mmd_weight
        self.ema_decay = ema_decay
        self.grad_clip = grad_clip
        self.max_seconds = max_seconds
        self.random_state = random_state
        self.device = device
        self.verbose = verbose
        self.callbacks = callbacks
        self.checkpoint_dir = checkpoint_dir
        self.checkpoint_every = checkpoint_every

    # -- fitting ------------------------------------------------------------------------------
    def _config(self, adapter: BaseAdapter, n: int) -> TrainingConfig:
        user = {name: getattr(self, name) for name in FIELDS}
        config = resolve_config(user, adapter.training_defaults, owner=type(adapter).__name__)
        return fit_batch_to_data(config, n, batch_size_given=self.batch_size is not None)

    def fit(
        self, X: Any, y: Any = None, *, resume_from: str | Path | None = None, **fit_params: Any
    ) -> GANSynthesizer:
        """Learn the data's encoding, then train the GAN.

        Parameters
        ----------
        X : data for the adapter (a DataFrame for ``tabular``, an array for ``vector``, ...)
        y : labels, for adapters that take them (``audio``, ``text``); others refuse them.
        resume_from : path, optional
            A checkpoint folder written by ``checkpoint_dir`` or a ``Checkpoint`` callback:
            training continues from its step to ``epochs`` and ends with the same weights as an
            uninterrupted run. Pass the data (and labels) of the interrupted run: the adapter's
            state comes from the checkpoint, the samples from the call.
        **fit_params : passed to the adapter's ``fit`` (e.g. ``metadata=`` for ``tabular``).

        Returns
        -------
        self
        """
        self._validate_params()
        for cb in self.callbacks or []:
            if not isinstance(cb, Callback):
                raise TypeError(
                    f"`callbacks` must hold tabgan Callback objects, got {type(cb).__name__}."
                )
        device = resolve_device(self.device)
        adapter = resolve_adapter(self.adapter)
        seed = seed_from_random_state(self.random_state)
        checkpoint = None if resume_from is None else persistence.read_checkpoint(resume_from)
        if checkpoint is not None:
            doc, tensors = checkpoint
            saved = persistence.read_adapter(Path(str(resume_from)), doc, tensors)
            if saved.name != adapter.name:
                raise ValueError(
                    f"The checkpoint was trained with adapter {saved.name!r}, not {adapter.name!r}."
                )
            adapter, seed = saved, int(doc["seed"])
        else:
            self._config(adapter, 0)  # bad settings fail before the adapter reads the data
            adapter.fit(X, y, rng=np.random.default_rng(derive_seed(seed, 1)), **fit_params)
        encoded = adapter.encode(X, y)
        if len(encoded) == 0:
            raise ValueError("No training samples: the data is empty.")
        encoded = encoded.to(device)
        config = self._config(adapter, len(encoded))
        if checkpoint is not None:
            check_same_settings(checkpoint[0]["training_config"], config)
        self.adapter_, self.config_, self.seed_, self.device_ = adapter, config, seed, device
        self._sample_calls = 0
        self._copy_guard = CopyGuard(adapter, X)
        self.training_hashes_ = self._copy_guard.hashes
        trainer = build_trainer(
            adapter, encoded, config, device, seed=seed, checkpoint=checkpoint, verbose=self.verbose
        )
        history = History(checkpoint[0].get("history") if checkpoint else None)
        self._train(trainer, history, ser.unprefixed("rng", checkpoint[1]) if checkpoint else None)
        # keep the networks, drop the rest of the run: the sampler holds the encoded data,
        # and the last step's gradients come from a training batch
        for net in (trainer.generator, trainer.discriminator):
            net.zero_grad(set_to_none=True)
        self.generator_ = trainer.sampling_generator()
        self.discriminator_ = trainer.discriminator
        self.n_steps_ = trainer.step
        self.history_ = pd.DataFrame(history.rows)
        return self

    def _train(
        self, trainer: GANTrainer, history: History, rng_state: dict[str, torch.Tensor] | None
    ) -> None:
        callbacks: list[Callback] = [history]
        if self.verbose:
            callbacks.append(ProgressBar(f"tabgan[{self.adapter_.name}]"))
        callbacks.extend(self.callbacks or [])
        if self.checkpoint_dir is not None:
            callbacks.append(Checkpoint(self.checkpoint_dir, self.checkpoint_every))
        self.trainer_, self._history = trainer, history
        self.generator_ = trainer.sampling_generator()  # callbacks may sample mid-fit
        self.n_steps_ = trainer.step
        try:
            with local_torch_rng(None, self.device_, state=rng_state):
                trainer.fit(callbacks, context=self)
        except BaseException:
            del self.generator_  # a failed fit leaves no model behind
            raise
        finally:
            del self.trainer_, self._history

    # -- sampling -----------------------------------------------------------------------------
    def sample(
        self,
        n: int,
        conditions: Any = None,
        *,
        batch_size: int | None = None,
        random_state: Any = None,
        drop_copies: bool = False,
        **sample_params: Any,
    ) -> Any:
        """Generate ``n`` new samples, decoded to the domain's own form.

        Parameters
        ----------
        n : int
            How many samples (>= 1).
        conditions : optional
            Adapter-specific conditions (for ``tabular``: a dict ``{column: value}`` or a
            DataFrame of conditions, one row per sample; for labelled adapters: a label or one
            label per sample).
        batch_size : int, optional
            Samples generated per forward pass.
        random_state : int, optional
            Seed for this call. By default successive calls give different samples, in a
            sequence fixed by the estimator's ``random_state``.
        drop_copies : bool, default=False
            Memorization guard: replace every generated sample identical to a training sample
            (what :func:`tabgan.evaluation.evaluate` counts as an exact copy, see
            :mod:`tabgan.estimator.memorization`) with a fresh one, so exactly ``n`` come back.
            The estimator compares 64-bit hashes kept in memory only: after :meth:`load` or
            unpickling, call :meth:`set_copy_reference` with the training data first, else
            ``ValueError``. ``RuntimeError`` when copies keep coming back (e.g. a table of a
            few categorical columns whose every combination was seen).
        **sample_params : passed to the adapter's ``generate`` (e.g. ``temperature`` for text).
        """
        check_is_fitted(self, "generator_")
        if isinstance(n, bool) or not isinstance(n, numbers.Integral):
            raise TypeError(f"`n` must be an int, got {type(n).__name__} {n!r}.")
        if n < 1:
            raise ValueError(f"`n` must be >= 1, got {n}.")
        guard = self._guard() if drop_copies else None  # no reference: fail before generating
        if random_state is None:
            seed = derive_seed(self.seed_, 3, self._sample_calls)
            self._sample_calls += 1
        else:
            seed = seed_from_random_state(random_state)

        def draw(m: int, cond: Any, s: int) -> Any:
            return generate(
                self.adapter_,
                self.generator_,
                m,
                cond,
                seed=s,
                latent_dim=self.config_.latent_dim,
                device=self.device_,
                batch_size=batch_size,
                default_batch=self.config_.batch_size,
                sample_params=sample_params,
            )

        out = draw(n, conditions, seed)
        return out if guard is None else guard.replace_copies(out, conditions, draw, seed)

    def set_copy_reference(self, data: Any) -> GANSynthesizer:
        """Give the memorization guard the samples that new ones must not copy.

        ``fit`` does this with the training data. A model read by :meth:`load` (or unpickled)
        has no reference, because neither a model file nor a pickle carries information about
        individual training rows: pass the training data here (in the form ``fit`` takes)
        before ``sample(..., drop_copies=True)``. Only hashes are kept, in memory.
        """
        check_is_fitted(self, "generator_")
        self._copy_guard = CopyGuard(self.adapter_, data)
        self.training_hashes_ = self._copy_guard.hashes
        return self

    def _guard(self) -> CopyGuard:
        guard: CopyGuard | None = self.__dict__.get("_copy_guard")
        if guard is None:
            raise ValueError(
                "drop_copies=True compares samples with the training rows, and this model has "
                "none: a model read by load() or unpickled carries no information about its "
                "training rows. Call set_copy_reference(training_data) first."
            )
        return guard

    # -- saving -------------------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        """The pickled state: all but the copy guard's hashes and a run in progress."""
        state = dict(super().__getstate__())
        for name in _PROCESS_ONLY:
            state.pop(name, None)
        return state

    def save(self, path: str | Path) -> Path:
        """Save the fitted model into the folder ``path`` (safetensors + JSON, no pickle).

        The folder holds what sampling needs: the generator, the adapter's state, the settings
        and the loss history; no hash or other record of individual training rows (see
        :meth:`set_copy_reference` for ``drop_copies`` after :meth:`load`).
        """
        check_is_fitted(self, "generator_")
        return persistence.write_model(self, path, history=self.history_.to_dict("records"))

    def save_checkpoint(self, path: str | Path) -> Path:
        """Write a resumable checkpoint of the run in progress (from a callback during ``fit``).

        ``fit(X, resume_from=path)`` continues it. After ``fit`` there is no run to write (the
        optimizers and the training random state are not kept): use ``checkpoint_dir=`` or a
        :class:`~tabgan.Checkpoint` callback to keep the last state.
        """
        trainer = self.__dict__.get("trainer_")
        if trainer is None:
            raise RuntimeError(
                "save_checkpoint() writes a training run in progress (call it from a callback "
                "during fit); to keep the final state, fit with checkpoint_dir= or a Checkpoint "
                "callback."
            )
        return persistence.write_model(self, path, trainer=trainer, history=self._history.rows)

    @classmethod
    def load(cls, path: str | Path, *, device: str = "auto") -> GANSynthesizer:
        """Load a model saved by :meth:`save` (or the sampling part of a checkpoint).

        The model samples as the saved one did; it has no copy reference (see
        :meth:`set_copy_reference`). Folders of tabgan 0.1 (format 1) load too; their
        ``training_hashes`` tensor (hashes of the training rows) is ignored, and saving the
        model again leaves it out.
        """
        return persistence.load_model(cls, path, device)

    # -- reporting ----------------------------------------------------------------------------
    def plot_history(self, path: str | Path | None = None) -> Any:
        """Plot the loss history (a PNG at ``path`` when given); returns the figure."""
        check_is_fitted(self, "history_")
        return plot_history(self.history_, path)
