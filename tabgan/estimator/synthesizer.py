"""`GANSynthesizer`: the scikit-learn style estimator users fit and sample from."""

from __future__ import annotations

import dataclasses
import functools
import numbers
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ..engine import serialization as ser
from ..engine.callbacks import Callback, Checkpoint, History, ProgressBar
from ..engine.losses import get_loss
from ..engine.plotting import plot_history
from ..engine.training import GANTrainer, TrainingConfig, steps_per_epoch
from ..engine.utils import (
    derive_seed,
    get_torch_rng_state,
    local_torch_rng,
    resolve_device,
    seed_from_random_state,
)
from .adapters import get_adapter, resolve_adapter
from .memorization import RowKey, concat_samples, take_samples

__all__ = ["ENGINE_DEFAULTS", "GANSynthesizer"]

#: Attributes that never leave the process: not pickled (nor deep-copied), never saved.
_PROCESS_ONLY = ("training_hashes_", "_copy_key", "_trainer")

#: Used where neither the user nor the adapter's ``training_defaults`` set a value.
ENGINE_DEFAULTS: dict[str, Any] = {
    "loss": "minimax",
    "epochs": 100,
    "batch_size": 256,
    "latent_dim": 64,
    "n_critic": 1,
    "weight_decay": 0.0,
    "pac": 1,
    "ema_decay": 0.999,
    "grad_clip": 0.0,
}

# name -> (type check, lower bound, whether the bound is inclusive)
_INT_PARAMS = {"epochs": 1, "batch_size": 1, "latent_dim": 1, "n_critic": 1, "pac": 1}
#: With ``batch_size`` left to the default, small data get at least this many steps per epoch.
MIN_STEPS_PER_EPOCH = 4
_FLOAT_PARAMS = {
    "generator_lr": "positive",
    "discriminator_lr": "positive",
    "weight_decay": "nonnegative",
    "gradient_penalty": "nonnegative",
    "r1": "nonnegative",
    "label_smoothing": "unit",
    "instance_noise": "nonnegative",
    "mmd_weight": "nonnegative",
    "ema_decay": "unit",
    "grad_clip": "nonnegative",
    "max_seconds": "positive",
}


class GANSynthesizer(BaseEstimator):
    """Learn a generative adversarial network from data and sample new data from it.

    Every training parameter left at ``None`` takes the adapter's default for its domain
    (``adapter.training_defaults``), then the loss's (learning rate, Adam betas), then the
    engine's (:data:`ENGINE_DEFAULTS`). The resolved values are in ``config_`` after ``fit``.

    Parameters
    ----------
    adapter : str, adapter class or adapter instance, default="tabular"
        The data domain: ``"tabular"``, ``"audio"``, ``"text"``, ``"vector"`` or a third-party
        adapter registered under the entry-point group ``tabgan.adapters``.
    epochs : int, optional
        Passes over the data; one epoch is ``ceil(n_rows / batch_size)`` steps.
    batch_size : int, optional
        Samples per step; must be a multiple of ``pac``. Left to the default, it shrinks for
        data under ``4 * batch_size`` samples so that an epoch is at least 4 steps (the batch
        used is ``config_.batch_size``).
    latent_dim : int, optional
        Size of the generator's noise input.
    loss : {"minimax", "wgan", "hinge", "lsgan", "rsgan"}, optional
        The adversarial loss. ``"minimax"`` is the non-saturating -log D(G(z)) form.
    n_critic : int, optional
        Discriminator steps per generator step.
    generator_lr, discriminator_lr : float, optional
        Adam learning rates (two time-scale updates when they differ).
    betas : tuple of float, optional
        Adam betas for both networks.
    weight_decay : float, optional
        Adam weight decay for both networks.
    pac : int, optional
        PacGAN packing: the discriminator judges ``pac`` samples at once.
    gradient_penalty : float, optional
        WGAN-GP weight; defaults to 10 for ``loss="wgan"`` and 0 otherwise.
    r1 : float, optional
        R1 penalty weight on real data (0 unless the adapter sets it).
    label_smoothing : float, optional
        One-sided label smoothing: the real target becomes ``1 - label_smoothing`` (default 0).
    instance_noise : float, optional
        Standard deviation of Gaussian noise added to the discriminator's inputs, annealed
        linearly to 0 over training (default 0).
    mmd_weight : float, optional
        Weight of a multi-bandwidth Gaussian-kernel MMD term in the generator loss (default 0).
    ema_decay : float, optional
        Decay of the exponential moving average of the generator weights used for sampling;
        0 samples from the live generator.
    grad_clip : float, optional
        Clip each network's gradient norm to this value; 0 disables.
    max_seconds : float, optional
        Stop training after this many seconds, whatever ``epochs`` says.
    random_state : int, numpy Generator or None
        Seeds a private random state; the same int gives identical samples on CPU.
    device : {"auto", "cpu", "cuda", "mps"}, default="auto"
    verbose : bool, default=True
        Show a progress bar with the current losses.
    callbacks : list of Callback, optional
        Extra training callbacks (e.g. :class:`~tabgan.engine.callbacks.EarlyStopping`, or a
        :class:`~tabgan.engine.callbacks.Checkpoint` of your own).
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

    discriminator_: torch.nn.Module | None
    training_hashes_: np.ndarray

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

    # -- parameters ---------------------------------------------------------------------------
    def _validate_params(self) -> None:
        for name, low in _INT_PARAMS.items():
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise TypeError(f"`{name}` must be an int, got {type(value).__name__} {value!r}.")
            if value < low:
                raise ValueError(f"`{name}` must be >= {low}, got {value}.")
        for name, kind in _FLOAT_PARAMS.items():
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"`{name}` must be a number, got {type(value).__name__} {value!r}.")
            value = float(value)
            bad = (
                (kind == "positive" and not value > 0)
                or (kind == "nonnegative" and not value >= 0)
                or (kind == "unit" and not 0 <= value < 1)
                or not np.isfinite(value)
            )
            if bad:
                rule = {"positive": "> 0", "nonnegative": ">= 0", "unit": "in [0, 1)"}[kind]
                raise ValueError(f"`{name}` must be {rule}, got {value}.")
        if self.loss is not None:
            get_loss(self.loss)
        if self.betas is not None:
            if (
                not isinstance(self.betas, (tuple, list))
                or len(self.betas) != 2
                or not all(isinstance(b, numbers.Real) and 0 <= b < 1 for b in self.betas)
            ):
                raise ValueError(f"`betas` must be two numbers in [0, 1), got {self.betas!r}.")
        if not isinstance(self.verbose, (bool, np.bool_)):
            raise TypeError(f"`verbose` must be a bool, got {self.verbose!r}.")
        if (
            isinstance(self.checkpoint_every, bool)
            or not isinstance(self.checkpoint_every, numbers.Integral)
            or self.checkpoint_every < 1
        ):
            raise ValueError(
                f"`checkpoint_every` must be an int >= 1, got {self.checkpoint_every!r}."
            )
        if self.callbacks is not None:
            for cb in self.callbacks:
                if not isinstance(cb, Callback):
                    raise TypeError(
                        f"`callbacks` must hold tabgan Callback objects, got {type(cb).__name__}."
                    )

    def _resolve_config(self, adapter: Any) -> TrainingConfig:
        d = {**ENGINE_DEFAULTS, **dict(getattr(adapter, "training_defaults", {}))}

        def pick(name: str, fallback: Any = None) -> Any:
            value = getattr(self, name)
            if value is not None:
                return value
            return d.get(name, fallback)

        loss = get_loss(pick("loss"))
        gp = pick("gradient_penalty", 10.0 if loss.needs_gradient_penalty else 0.0)
        if (
            self.gradient_penalty is None
            and "gradient_penalty" in d
            and not loss.needs_gradient_penalty
        ):
            gp = 0.0  # the adapter's penalty belongs to its default (WGAN) loss
        lr = d.get("lr", loss.lr)
        if pick("label_smoothing", 0.0) and not loss.supports_smoothing:
            raise ValueError(
                f"`label_smoothing` has no meaning for loss={loss.name!r}; use 'minimax', "
                "'lsgan' or 'rsgan'."
            )
        config = TrainingConfig(
            loss=loss.name,
            epochs=int(pick("epochs")),
            batch_size=int(pick("batch_size")),
            latent_dim=int(pick("latent_dim")),
            n_critic=int(pick("n_critic")),
            generator_lr=float(self.generator_lr if self.generator_lr is not None else lr),
            discriminator_lr=float(
                self.discriminator_lr if self.discriminator_lr is not None else lr
            ),
            betas=tuple(float(b) for b in (self.betas or d.get("betas", loss.betas))),  # type: ignore[arg-type]
            weight_decay=float(pick("weight_decay")),
            pac=int(pick("pac")),
            gradient_penalty=float(gp),
            r1=float(pick("r1", 0.0)),
            label_smoothing=float(pick("label_smoothing", 0.0)),
            instance_noise=float(pick("instance_noise", 0.0)),
            mmd_weight=float(pick("mmd_weight", 0.0)),
            ema_decay=float(pick("ema_decay")),
            grad_clip=float(pick("grad_clip")),
            max_seconds=None if self.max_seconds is None else float(self.max_seconds),
        )
        if config.batch_size % config.pac:
            raise ValueError(
                f"`batch_size` ({config.batch_size}) must be a multiple of `pac` ({config.pac})."
            )
        return config

    # -- fitting ------------------------------------------------------------------------------
    def fit(
        self, X: Any, y: Any = None, *, resume_from: str | Path | None = None, **fit_params: Any
    ) -> GANSynthesizer:
        """Learn the data's encoding, then train the GAN.

        Parameters
        ----------
        X : data for the adapter (a DataFrame for ``tabular``, an array for ``vector``, ...)
        y : ignored unless the adapter takes labels (passed on as ``y``).
        resume_from : path, optional
            A checkpoint folder written by ``checkpoint_dir`` or a ``Checkpoint`` callback:
            training continues from its step to ``epochs`` and ends with the same weights as an
            uninterrupted run. Pass the data (and labels) of the interrupted run: the adapter's
            state comes from the checkpoint, per-sample inputs such as labels from the call
            (through the adapter's optional ``resume(X, **fit_params)``).
        **fit_params : passed to the adapter's ``fit`` (e.g. ``metadata=`` for ``tabular``).

        Returns
        -------
        self
        """
        self._validate_params()
        device = resolve_device(self.device)
        if y is not None:
            fit_params["y"] = y
        checkpoint = None
        resume_folder = Path(resume_from) if resume_from is not None else None
        if resume_from is not None:
            checkpoint = ser.read_folder(resume_from)
            if checkpoint[0].get("kind") != "checkpoint":
                raise ValueError(f"{resume_from} is a saved model, not a training checkpoint.")
        adapter = resolve_adapter(self.adapter)
        config = self._resolve_config(adapter)
        seed = seed_from_random_state(self.random_state)
        if checkpoint is not None:
            doc, tensors = checkpoint
            seed = int(doc["seed"])
            if doc["adapter"]["name"] != adapter.name:
                raise ValueError(
                    f"The checkpoint was trained with adapter {doc['adapter']['name']!r}, "
                    f"not {adapter.name!r}."
                )
            assert resume_folder is not None
            _restore_adapter(adapter, resume_folder, doc, tensors)
            resume = getattr(adapter, "resume", None)
            if resume is not None:  # per-sample training inputs, e.g. labels
                resume(X, **fit_params)
        else:
            adapter.fit(X, rng=np.random.default_rng(derive_seed(seed, 1)), **fit_params)
        encoded = adapter.encode(X)
        if not isinstance(encoded, torch.Tensor):
            raise TypeError(f"The {adapter.name!r} adapter's encode() must return a torch.Tensor.")
        if len(encoded) == 0:
            raise ValueError("No training samples: the data is empty.")
        encoded = encoded.to(device=device, dtype=torch.float32)
        config = self._fit_batch_to_data(config, len(encoded))
        if checkpoint is not None:
            _check_same_settings(checkpoint[0], config)

        self.adapter_ = adapter
        self._set_copy_reference(X)
        self.config_ = config
        self.seed_ = seed
        self.device_ = device
        self._sample_calls = 0
        history = History(checkpoint[0].get("history") if checkpoint else None)
        rng_state = ser.unprefixed("rng", checkpoint[1]) if checkpoint else None
        with local_torch_rng(derive_seed(seed, 2), device, state=None):
            generator = adapter.build_generator(config.latent_dim)
            discriminator = adapter.build_discriminator(config.pac)
            trainer = GANTrainer(
                generator,
                discriminator,
                adapter.activate,
                adapter.make_sampler(encoded),
                config,
                device,
                steps_per_epoch(len(encoded), config.batch_size),
                on_generator_step=getattr(adapter, "on_train_step", None),
            )
            if checkpoint is not None:
                self._restore_trainer(trainer, *checkpoint)
            elif hasattr(adapter, "pretrain"):
                adapter.pretrain(trainer.generator, encoded, device=device, verbose=self.verbose)
                if trainer.ema is not None:
                    trainer.ema.module.load_state_dict(trainer.generator.state_dict())
            trainer.checkpoint_writer = functools.partial(
                self._write_checkpoint, trainer=trainer, history=history
            )
            callbacks: list[Callback] = [history]
            if self.verbose:
                callbacks.append(ProgressBar(f"tabgan[{adapter.name}]"))
            callbacks.extend(self.callbacks or [])
            if self.checkpoint_dir is not None:
                callbacks.append(Checkpoint(self.checkpoint_dir, self.checkpoint_every))
            self._trainer = trainer  # for save_checkpoint() during the run only
            try:
                with local_torch_rng(None, device, state=rng_state):
                    trainer.fit(callbacks)
            finally:
                del self._trainer
        # keep the networks, drop the rest of the run: the sampler holds the encoded data,
        # and the last step's gradients come from a training batch
        for net in (trainer.generator, trainer.discriminator):
            net.zero_grad(set_to_none=True)
        self.generator_ = trainer.sampling_generator()
        self.discriminator_ = trainer.discriminator
        self.n_steps_ = trainer.step
        self.history_ = pd.DataFrame(history.rows)
        return self

    def _restore_trainer(
        self, trainer: GANTrainer, doc: dict[str, Any], tensors: dict[str, torch.Tensor]
    ) -> None:
        dev = trainer.device
        trainer.generator.load_state_dict(ser.unprefixed("generator", tensors))
        trainer.discriminator.load_state_dict(ser.unprefixed("discriminator", tensors))
        if trainer.ema is not None:
            trainer.ema.module.load_state_dict(ser.unprefixed("ema", tensors))
            trainer.ema.updates = int(doc["ema_updates"])
        ser.unflatten_optimizer(trainer.opt_g, "opt_g", doc["opt_g"], _to(tensors, dev))
        ser.unflatten_optimizer(trainer.opt_d, "opt_d", doc["opt_d"], _to(tensors, dev))
        trainer.step = int(doc["step"])
        trainer.seconds = float(doc["seconds"])

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
            DataFrame of conditions, one row per sample).
        batch_size : int, optional
            Samples generated per forward pass.
        random_state : int, optional
            Seed for this call. By default successive calls give different samples, in a
            sequence fixed by the estimator's ``random_state``.
        drop_copies : bool, default=False
            Memorization guard: replace every generated row identical to a training row with
            a fresh one, so exactly ``n`` rows come back. Identical means what
            :func:`tabgan.evaluation.evaluate` counts as an exact copy
            (:mod:`tabgan.estimator.memorization`); rows are compared by 64-bit hash, and the
            estimator keeps only hashes, in memory. After ``fit`` the training rows are the
            reference; a model from :meth:`load` or from a pickle has none (its file carries nothing
            about the training rows): call :meth:`set_copy_reference` with them first, else
            ``ValueError``. Raises ``RuntimeError`` when copies keep coming back (e.g. a
            table of a few categorical columns whose every combination was seen).
        **sample_params : passed to the adapter's ``generate`` (e.g. ``temperature`` for text).
        """
        check_is_fitted(self, "generator_")
        if isinstance(n, bool) or not isinstance(n, numbers.Integral):
            raise TypeError(f"`n` must be an int, got {type(n).__name__} {n!r}.")
        if n < 1:
            raise ValueError(f"`n` must be >= 1, got {n}.")
        if drop_copies:
            self._copy_reference()  # no reference: fail before generating
        if random_state is None:
            seed = derive_seed(self.seed_, 3, self._sample_calls)
            self._sample_calls += 1
        else:
            seed = seed_from_random_state(random_state)
        out = self._generate(n, conditions, seed, batch_size, sample_params)
        if drop_copies:
            out = self._replace_copies(out, n, conditions, seed, batch_size, sample_params)
        return out

    def _generate(
        self,
        n: int,
        conditions: Any,
        seed: int,
        batch_size: int | None,
        sample_params: dict[str, Any],
    ) -> Any:
        adapter, generator, device = self.adapter_, self.generator_, self.device_
        chunk = int(
            batch_size
            or getattr(adapter, "sampling_batch_size", None)
            or max(self.config_.batch_size, 1024)
        )
        was_training = generator.training
        generator.eval()
        try:
            with local_torch_rng(seed, device), torch.inference_mode():
                cond = adapter.sampling_conditions(n, conditions)
                if cond is not None:
                    cond = cond.to(device)
                parts = []
                for start in range(0, n, chunk):
                    m = min(chunk, n - start)
                    z = torch.randn(m, self.config_.latent_dim, device=device)
                    c = None if cond is None else cond[start : start + m]
                    parts.append(adapter.generate(generator, z, c, **sample_params).cpu())
                x = torch.cat(parts)
        finally:
            generator.train(was_training)
        return adapter.decode(x, rng=np.random.default_rng(derive_seed(seed, 4)))

    def set_copy_reference(self, data: Any) -> GANSynthesizer:
        """Give the memorization guard the rows that samples must not copy.

        ``fit`` does this with the training data. A model read by :meth:`load` (or unpickled)
        has no reference, because neither a model file nor a pickle carries information about
        individual training rows: pass the training data here (in the form ``fit`` takes)
        before ``sample(..., drop_copies=True)``. Only hashes of the rows are kept, in memory.

        Parameters
        ----------
        data : the training data, as for ``fit`` (for ``tabular``: the DataFrame)

        Returns
        -------
        self
        """
        check_is_fitted(self, "generator_")
        self._set_copy_reference(data)
        return self

    def _set_copy_reference(self, data: Any) -> None:
        view = self._copy_view(data)
        key = RowKey().fit([view])
        self._copy_key = key
        self.training_hashes_ = np.unique(key.hashes(view))

    def _copy_view(self, data: Any) -> Any:
        view = getattr(self.adapter_, "hashable_view", None)
        return view(data) if view is not None else data

    def _copy_reference(self) -> tuple[RowKey, np.ndarray]:
        """The key that hashes rows and the hashes of the reference rows."""
        key = getattr(self, "_copy_key", None)
        if key is None or not hasattr(self, "training_hashes_"):
            raise ValueError(
                "drop_copies=True compares samples with the training rows, and this model has "
                "none: a model read by load() or unpickled carries no information about its "
                "training rows. Call set_copy_reference(training_data) first."
            )
        return key, self.training_hashes_

    def _replace_copies(
        self,
        out: Any,
        n: int,
        conditions: Any,
        seed: int,
        batch_size: int | None,
        sample_params: dict[str, Any],
        max_rounds: int = 20,
    ) -> Any:
        key, known = self._copy_reference()
        positions = np.arange(n)
        parts, part_positions = [], []
        for attempt in range(max_rounds + 1):
            copied = np.isin(key.hashes(self._copy_view(out)), known)
            parts.append(take_samples(out, np.flatnonzero(~copied)))
            part_positions.append(positions[~copied])
            if not copied.any():
                merged = concat_samples(parts)
                return take_samples(merged, np.argsort(np.concatenate(part_positions)))
            positions = positions[copied]
            if attempt == max_rounds:
                break
            sub_conditions = conditions
            if isinstance(conditions, pd.DataFrame):
                sub_conditions = conditions.iloc[positions].reset_index(drop=True)
            out = self._generate(
                len(positions),
                sub_conditions,
                derive_seed(seed, 5, attempt),
                batch_size,
                sample_params,
            )
        raise RuntimeError(
            f"drop_copies: {len(positions)} of {n} generated rows were still copies of training "
            f"rows after {max_rounds} redraws; the data may have too few distinct rows for this "
            "guard (e.g. only a few categorical columns)."
        )

    # -- saving -------------------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        """The pickled state: all but the copy guard's row hashes (and a run in progress)."""
        state = dict(super().__getstate__())
        for name in _PROCESS_ONLY:
            state.pop(name, None)
        return state

    def _base_doc(
        self, history: list[dict[str, float]], n_steps: int
    ) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        """What a model file and a checkpoint share: settings, adapter state, history."""
        adapter = self.adapter_
        a_config, a_tensors = adapter.get_state()
        params = {}
        for k, v in self.get_params(deep=False).items():
            if k == "adapter":
                v = adapter.name
            elif k == "callbacks":
                v = None  # callbacks hold code, never saved
            elif k == "random_state" and not isinstance(v, (int, type(None))):
                v = None
            params[k] = _jsonable(v)
        doc = {
            "estimator": "GANSynthesizer",
            "params": params,
            "adapter": {
                "name": adapter.name,
                "params": _jsonable(adapter.get_params(deep=False)),
                "state": a_config,
            },
            "training_config": _jsonable(self.config_.to_dict()),
            "seed": self.seed_,
            "sample_calls": self._sample_calls,
            "history": history,
            "n_steps": n_steps,
        }
        return doc, ser.prefixed("adapter", a_tensors)

    def _fit_batch_to_data(self, config: TrainingConfig, n: int) -> TrainingConfig:
        """Smaller batches for small data, so an epoch is at least a few steps.

        Only when ``batch_size`` is left to the default: with fewer than
        ``MIN_STEPS_PER_EPOCH * batch_size`` samples the batch becomes about
        ``n / MIN_STEPS_PER_EPOCH`` (a multiple of ``pac``). A 344-row table with the tabular
        default of 500 would otherwise train one step per epoch (300 steps in all).
        """
        if self.batch_size is not None or n >= MIN_STEPS_PER_EPOCH * config.batch_size:
            return config
        batch = max(config.pac, n // MIN_STEPS_PER_EPOCH // config.pac * config.pac)
        return dataclasses.replace(config, batch_size=batch)

    def _write_folder(
        self, path: str | Path, doc: dict[str, Any], tensors: dict[str, torch.Tensor]
    ) -> Path:
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        save_files = getattr(self.adapter_, "save_files", None)
        files = list(save_files(folder)) if save_files is not None else []
        return ser.write_folder(folder, doc, tensors, files)

    def save(self, path: str | Path) -> Path:
        """Save the fitted model into the folder ``path`` (safetensors + JSON, no pickle).

        The folder holds what sampling needs: the generator, the adapter's state, the settings
        and the loss history; no hash or other record of individual training rows (see
        :meth:`set_copy_reference` for ``drop_copies`` after :meth:`load`).
        """
        check_is_fitted(self, "generator_")
        doc, tensors = self._base_doc(self.history_.to_dict("records"), self.n_steps_)
        doc["kind"] = "model"
        tensors.update(ser.prefixed("generator", self.generator_.state_dict()))
        return self._write_folder(path, doc, tensors)

    def save_checkpoint(self, path: str | Path) -> Path:
        """Write a resumable checkpoint of the run in progress (from a callback during ``fit``).

        ``fit(X, resume_from=path)`` continues it. After ``fit`` there is no run to write (the
        optimizers and the training random state are not kept): use ``checkpoint_dir=`` or a
        :class:`~tabgan.engine.callbacks.Checkpoint` callback to keep the last state.
        """
        trainer = getattr(self, "_trainer", None)
        if trainer is None:
            raise RuntimeError(
                "save_checkpoint() writes a training run in progress (call it from a callback "
                "during fit); to keep the final state, fit with checkpoint_dir= or a Checkpoint "
                "callback."
            )
        return Path(trainer.save_checkpoint(path))

    def _write_checkpoint(self, path: str | Path, *, trainer: GANTrainer, history: History) -> Path:
        """Write the state of the run of ``trainer`` (its ``checkpoint_writer``)."""
        doc, tensors = self._base_doc(list(history.rows), trainer.step)
        doc.update(kind="checkpoint", step=trainer.step, seconds=trainer.seconds)
        tensors.update(ser.prefixed("generator", trainer.generator.state_dict()))
        tensors.update(ser.prefixed("discriminator", trainer.discriminator.state_dict()))
        if trainer.ema is not None:
            tensors.update(ser.prefixed("ema", trainer.ema.module.state_dict()))
            doc["ema_updates"] = trainer.ema.updates
        for name, opt in (("opt_g", trainer.opt_g), ("opt_d", trainer.opt_d)):
            structure, opt_tensors = ser.flatten_optimizer(opt, name)
            doc[name] = structure
            tensors.update(opt_tensors)
        tensors.update(ser.prefixed("rng", get_torch_rng_state(trainer.device)))
        return self._write_folder(path, doc, tensors)

    @classmethod
    def load(cls, path: str | Path, *, device: str = "auto") -> GANSynthesizer:
        """Load a model saved by :meth:`save` (or the sampling part of a checkpoint).

        The model samples as the saved one did. It has no copy reference: call
        :meth:`set_copy_reference` before ``sample(..., drop_copies=True)``. Folders written by
        older tabgan versions hold a ``training_hashes`` tensor (hashes of the training rows);
        it is ignored, and saving the model again leaves it out.
        """
        doc, tensors = ser.read_folder(path)
        for key in ("params", "adapter", "training_config", "seed"):
            if key not in doc:
                raise ValueError(f"{Path(path) / ser.CONFIG} lacks the field {key!r}.")
        adapter_cls = get_adapter(doc["adapter"]["name"])
        try:
            adapter = adapter_cls(**doc["adapter"].get("params", {}))
            _restore_adapter(adapter, Path(path), doc, tensors)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(
                f"{Path(path) / ser.CONFIG}: the adapter state does not load: {exc}"
            ) from None
        params = dict(doc["params"])
        if params.get("betas") is not None:
            params["betas"] = tuple(params["betas"])
        params["device"] = device
        try:
            est = cls(**params)
        except TypeError as exc:
            raise ValueError(f"{Path(path) / ser.CONFIG}: unknown parameter: {exc}") from None
        tc = dict(doc["training_config"])
        tc["betas"] = tuple(tc["betas"])
        est.config_ = TrainingConfig(**tc)
        est.adapter_ = adapter
        est.seed_ = int(doc["seed"])
        est.device_ = resolve_device(device)
        est._sample_calls = int(doc.get("sample_calls", 0))
        generator = adapter.build_generator(est.config_.latent_dim)
        key = "ema" if doc.get("kind") == "checkpoint" and "ema_updates" in doc else "generator"
        try:
            generator.load_state_dict(ser.unprefixed(key, tensors))
        except RuntimeError as exc:
            raise ValueError(
                f"{Path(path) / ser.TENSORS}: the generator weights do not fit: {exc}"
            ) from None
        est.generator_ = generator.to(est.device_).eval()
        est.discriminator_ = None
        est.history_ = pd.DataFrame(doc.get("history", []))
        est.n_steps_ = int(doc.get("n_steps", 0))
        return est

    # -- reporting ----------------------------------------------------------------------------
    def plot_history(self, path: str | Path | None = None) -> Any:
        """Plot the loss history (a PNG at ``path`` when given); returns the figure."""
        check_is_fitted(self, "history_")
        return plot_history(self.history_, path)


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    if hasattr(value, "get_params"):
        return {"class": type(value).__name__, "params": _jsonable(value.get_params(deep=False))}
    return repr(value)


def _to(tensors: dict[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    return {k: v.to(device) for k, v in tensors.items()}


def _restore_adapter(
    adapter: Any, folder: Path, doc: dict[str, Any], tensors: dict[str, torch.Tensor]
) -> None:
    """Give a fresh adapter its saved state: its own files first, then config and tensors."""
    load_files = getattr(adapter, "load_files", None)
    if load_files is not None:
        load_files(folder)
    adapter.set_state(doc["adapter"]["state"], ser.unprefixed("adapter", tensors))


def _check_same_settings(doc: dict[str, Any], config: TrainingConfig) -> None:
    """Refuse to resume a checkpoint under other training settings (epochs may grow)."""
    changed = {
        k
        for k, v in doc["training_config"].items()
        if k not in ("epochs", "max_seconds") and _jsonable(getattr(config, k)) != v
    }
    if changed:
        raise ValueError(
            "The checkpoint was trained with other settings: "
            + ", ".join(f"{k}={doc['training_config'][k]!r}" for k in sorted(changed))
        )
