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

from ..engine import distributed
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
from ..engine.privacy import DPConfig, private_training_values
from ..engine.training import GANTrainer
from ..engine.utils import derive_seed, local_torch_rng, resolve_device, seed_from_random_state
from . import persistence, shards
from . import privacy as private
from .adapters import BaseAdapter, resolve_adapter
from .fitting import build_trainer
from .sampling import CopyGuard, generate
from .training_data import adapter_digest, training_data

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
    differential_privacy : dict or DPConfig, optional
        Train with (epsilon, delta)-differential privacy for the training rows, e.g.
        ``{"epsilon": 3.0, "delta": 1e-5, "max_grad_norm": 1.0}`` (the fields of
        :class:`~tabgan.DPConfig`; needs Opacus, the ``privacy`` extra): DP-SGD on the critic
        with Poisson-sampled rows, the adapter's preprocessing from a share of the budget or
        from public metadata, training stopped when the budget is spent. No gradient penalty,
        R1, MMD or PacGAN under DP; ``loss`` is ``"minimax"``, ``"hinge"`` or ``"lsgan"``
        (``"minimax"`` when the adapter's default is ``"wgan"``). See the README.

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
        One row per epoch: epoch, step, seconds and the mean losses (under differential
        privacy also ``epsilon``, the budget spent by then, and no loss computed on real rows).
    privacy_ : dict or None
        Under differential privacy, the budget spent (``epsilon``, of the whole fit) and how:
        target, delta, noise multiplier, sample rate, critic steps, the preprocessing's part.
        ``None`` without it.
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
        "differential_privacy": [dict, DPConfig, None],
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
        differential_privacy: dict[str, float] | DPConfig | None = None,
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
        self.differential_privacy = differential_privacy

    # -- fitting ------------------------------------------------------------------------------
    def _config(self, adapter: BaseAdapter, n: int) -> TrainingConfig:
        user = {name: getattr(self, name) for name in FIELDS}
        defaults = adapter.training_defaults
        if self.differential_privacy is not None:  # no GP, R1, MMD, pac; a per-row loss
            defaults = {**defaults, **adapter.private_training_defaults}
            user = private_training_values(user, defaults)
        config = resolve_config(user, defaults, owner=type(adapter).__name__)
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
        **fit_params : passed to the adapter's ``fit`` (e.g. ``metadata=``, ``constraints=``
            and ``on_violation=`` for ``tabular``).

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
        ctx, device = distributed.init_from_env(device)  # under torchrun: this rank's device
        adapter = resolve_adapter(self.adapter)
        stream = adapter.open_stream(X)  # None for in-memory data
        seed = seed_from_random_state(self.random_state)
        dp = private.check_fit(
            self.differential_privacy, streamed=stream is not None, distributed=ctx is not None
        )
        if ctx is not None:
            seed = ctx.broadcast_int(seed)  # one run: rank 0's seed
        checkpoint = None if resume_from is None else persistence.read_checkpoint(resume_from)
        if checkpoint is not None:
            doc, tensors = checkpoint
            saved = persistence.read_adapter(Path(str(resume_from)), doc, tensors)
            if saved.name != adapter.name:
                raise ValueError(
                    f"The checkpoint was trained with adapter {saved.name!r}, not {adapter.name!r}."
                )
            adapter, seed = saved, int(doc["seed"])
            private.check_checkpoint(dp, doc)
        else:
            self._config(adapter, 0)  # bad settings fail before the adapter reads the data
            rng = np.random.default_rng(derive_seed(seed, 1))
            if stream is None:
                adapter.fit(X, y, rng=rng, privacy=private.adapter_budget(dp), **fit_params)
            else:
                stream.fit_adapter(adapter, rng=rng, **fit_params)
        if ctx is not None and not ctx.same_everywhere(adapter_digest(adapter)):
            raise RuntimeError(
                "The ranks fitted different encodings of the data: give every rank the same data "
                "(and the same random_state)."
            )
        data = training_data(adapter, X, y, stream, device, ctx)
        config = self._config(adapter, data.n_rows)
        if checkpoint is not None:
            check_same_settings(checkpoint[0]["training_config"], config)
        self.adapter_, self.config_, self.seed_, self.device_ = adapter, config, seed, device
        self._sample_calls = 0
        if stream is None:
            self._copy_guard = CopyGuard(adapter, X)
            self.training_hashes_ = self._copy_guard.hashes
        else:  # row hashes grow with the rows: a streamed fit keeps none (set_copy_reference)
            self.__dict__.pop("_copy_guard", None)
            self.__dict__.pop("training_hashes_", None)
        trainer = build_trainer(
            adapter,
            data.encoded,
            config,
            device,
            seed=seed,
            checkpoint=checkpoint,
            verbose=self.verbose,
            sampler=None if stream is None else data.sampler(adapter, device, ctx, seed),
            n_rows=data.n_rows,
            distributed=ctx,
            privacy=private.plan(dp, adapter, config, data.n_rows),
        )
        history = History(checkpoint[0].get("history") if checkpoint else None)
        rng_state = ser.unprefixed("rng", checkpoint[1]) if checkpoint else None
        if ctx is None:
            train_seed = derive_seed(seed, 7)
        else:  # each rank its own draws; a saved state is rank 0's, so not restored
            train_seed, rng_state = ctx.train_seed(seed, trainer.step), None
        self._train(trainer, history, rng_state, train_seed, ctx)
        # keep the networks, drop the rest of the run: the sampler holds the encoded data,
        # and the last step's gradients come from a training batch
        for net in (trainer.generator, trainer.discriminator):
            net.zero_grad(set_to_none=True)
        self.generator_ = trainer.sampling_generator()
        self.discriminator_ = trainer.discriminator
        self.n_steps_ = trainer.step
        self.history_ = private.with_epsilon(pd.DataFrame(history.rows), trainer)
        self.privacy_ = private.record(trainer)
        return self

    def _train(
        self,
        trainer: GANTrainer,
        history: History,
        rng_state: dict[str, torch.Tensor] | None,
        seed: int,
        ctx: distributed.DistributedContext | None,
    ) -> None:
        callbacks: list[Callback] = [history]
        if self.verbose and (ctx is None or ctx.is_main):
            callbacks.append(ProgressBar(f"tabgan[{self.adapter_.name}]"))
        callbacks.extend(self.callbacks or [])
        if self.checkpoint_dir is not None:
            callbacks.append(Checkpoint(self.checkpoint_dir, self.checkpoint_every))
        self.trainer_, self._history = trainer, history
        self.generator_ = trainer.sampling_generator()  # callbacks may sample mid-fit
        self.n_steps_ = trainer.step
        try:
            with local_torch_rng(seed, self.device_, state=rng_state):
                trainer.fit(callbacks, context=self)
            if ctx is not None:  # BatchNorm statistics are per rank: keep rank 0's everywhere
                for net in (trainer.generator, trainer.sampling_generator()):
                    ctx.broadcast_module(net)
        except BaseException:
            del self.generator_  # a failed fit leaves no model behind
            raise
        finally:
            trainer.sampler.close()  # e.g. a streamed table's reader thread
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
        if drop_copies and self.__dict__.get("privacy_") is not None:
            raise ValueError(
                "drop_copies=True compares samples with the training rows, which the "
                "differential privacy guarantee of this model does not cover; sample without it."
            )
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

    def sample_to_parquet(
        self,
        path: str | Path,
        n: int,
        *,
        num_shards: int = 1,
        shard_index: int | Sequence[int] | None = None,
        jobs: int = 1,
        conditions: Any = None,
        random_state: Any = None,
        rows_per_group: int = shards.DEFAULT_ROWS_PER_GROUP,
        batch_size: int | None = None,
        drop_copies: bool = False,
        reference: Any = None,
    ) -> shards.ShardReport:
        """Write ``n`` samples as ``num_shards`` Parquet files into the folder ``path``.

        Shard ``i`` is drawn from a seed derived from (``random_state``, ``i``) (by default
        from the model's own seed), in row groups of ``rows_per_group`` rows, so the files are
        the same whether the shards run here, in ``jobs`` local processes or anywhere else
        (``shard_index=i``, e.g. one Slurm array task each); finished shards are skipped on a
        rerun. ``conditions`` is a dict shared by every row. With ``drop_copies`` and ``jobs >
        1``, ``reference`` (the training data) goes to each worker. Needs pyarrow. See
        :mod:`tabgan.estimator.shards`.
        """
        check_is_fitted(self, "generator_")
        return shards.sample_shards(
            self,
            path,
            n,
            num_shards=num_shards,
            shard_index=shard_index,
            jobs=jobs,
            conditions=conditions,
            random_state=random_state,
            rows_per_group=rows_per_group,
            batch_size=batch_size,
            drop_copies=drop_copies,
            reference=reference,
        )

    def set_copy_reference(self, data: Any) -> GANSynthesizer:
        """Give the memorization guard the samples that new ones must not copy.

        ``fit`` does this with the training data. A model read by :meth:`load` (or unpickled)
        has no reference, because neither a model file nor a pickle carries information about
        individual training rows: pass the training data here (in the form ``fit`` takes)
        before ``sample(..., drop_copies=True)``. Only hashes are kept, in memory.
        """
        check_is_fitted(self, "generator_")
        stream = self.adapter_.open_stream(data)
        if stream is None:
            self._copy_guard = CopyGuard(self.adapter_, data)
        else:  # a path or dataset: its rows are hashed batch by batch
            self._copy_guard = CopyGuard.from_hashes(
                self.adapter_, *stream.copy_guard_hashes(self.adapter_)
            )
        self.training_hashes_ = self._copy_guard.hashes
        return self

    def _guard(self) -> CopyGuard:
        guard: CopyGuard | None = self.__dict__.get("_copy_guard")
        if guard is None:
            raise ValueError(
                "drop_copies=True compares samples with the training rows, and this model has "
                "none: a model read by load() or unpickled carries no information about its "
                "training rows, and a streamed fit keeps no row hashes. Call "
                "set_copy_reference(training_data) first."
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
        if not distributed.is_main_process():  # under torchrun rank 0 writes, the others not
            return Path(path)
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
        if not distributed.is_main_process():  # under torchrun rank 0 writes, the others not
            return Path(path)
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
