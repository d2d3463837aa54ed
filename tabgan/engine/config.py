"""Training hyper-parameters: one dataclass that carries every default and every check.

Each field of :class:`TrainingConfig` declares its default and its constraint (scikit-learn's
parameter constraints) in one place. :func:`resolve_config` layers the values: the field
defaults, then the loss's (learning rates, Adam betas, the gradient penalty of WGAN-GP), then an
adapter's ``training_defaults`` (keyed by field name, checked), then the user's. The
estimator's own parameter constraints are built from the same fields
(:func:`parameter_constraints`), so adding a hyper-parameter is one field here and one
argument of :class:`~tabgan.GANSynthesizer`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

from sklearn.utils._param_validation import Interval, StrOptions, validate_parameter_constraints

from .losses import LOSSES, get_loss

__all__ = [
    "MIN_STEPS_PER_EPOCH",
    "TrainingConfig",
    "check_same_settings",
    "fit_batch_to_data",
    "parameter_constraints",
    "resolve_config",
]

#: With ``batch_size`` left to the default, small data get at least this many steps per epoch.
MIN_STEPS_PER_EPOCH = 4


def _positive_int() -> list[Any]:
    return [Interval(Integral, 1, None, closed="left")]


def _rate() -> list[Any]:
    return [Interval(Real, 0, None, closed="neither")]


def _nonnegative() -> list[Any]:
    return [Interval(Real, 0, None, closed="left")]


def _unit() -> list[Any]:
    return [Interval(Real, 0, 1, closed="left")]


def _f(default: Any, constraint: list[Any]) -> Any:
    return field(default=default, metadata={"constraint": constraint})


@dataclass(frozen=True)
class TrainingConfig:
    """Fully resolved training hyper-parameters; every field is checked on creation.

    Parameters
    ----------
    epochs : int
        Passes over the data; one epoch is ``ceil(n_rows / batch_size)`` steps.
    batch_size : int
        Samples per step; must be a multiple of ``pac``. Left to the default, it shrinks for
        data under ``4 * batch_size`` samples so that an epoch is at least 4 steps (the batch
        used is ``config_.batch_size``).
    latent_dim : int
        Size of the generator's noise input.
    loss : {"minimax", "wgan", "hinge", "lsgan", "rsgan"}
        The adversarial loss. ``"minimax"`` is the non-saturating -log D(G(z)) form.
    n_critic : int
        Discriminator steps per generator step.
    generator_lr, discriminator_lr : float
        Adam learning rates (two time-scale updates when they differ).
    betas : tuple of float
        Adam betas for both networks.
    weight_decay : float
        Adam weight decay for both networks.
    pac : int
        PacGAN packing: the discriminator judges ``pac`` samples at once.
    gradient_penalty : float
        WGAN-GP weight; defaults to 10 for ``loss="wgan"`` and 0 otherwise.
    r1 : float
        R1 penalty weight on real data (0 unless the adapter sets it).
    label_smoothing : float
        One-sided label smoothing: the real target becomes ``1 - label_smoothing`` (default 0).
    instance_noise : float
        Standard deviation of Gaussian noise added to the discriminator's inputs, annealed
        linearly to 0 over training (default 0).
    mmd_weight : float
        Weight of a multi-bandwidth Gaussian-kernel MMD term in the generator loss (default 0).
    ema_decay : float
        Decay of the exponential moving average of the generator weights used for sampling;
        0 samples from the live generator.
    grad_clip : float
        Clip each network's gradient norm to this value; 0 disables.
    max_seconds : float
        Stop training after this many seconds, whatever ``epochs`` says.
    """

    loss: str = _f("minimax", [StrOptions(set(LOSSES))])
    epochs: int = _f(100, _positive_int())
    batch_size: int = _f(256, _positive_int())
    latent_dim: int = _f(64, _positive_int())
    n_critic: int = _f(1, _positive_int())
    generator_lr: float = _f(2e-4, _rate())
    discriminator_lr: float = _f(2e-4, _rate())
    betas: tuple[float, float] = _f((0.5, 0.999), [tuple, list])
    weight_decay: float = _f(0.0, _nonnegative())
    pac: int = _f(1, _positive_int())
    gradient_penalty: float = _f(0.0, _nonnegative())
    r1: float = _f(0.0, _nonnegative())
    label_smoothing: float = _f(0.0, _unit())
    instance_noise: float = _f(0.0, _nonnegative())
    mmd_weight: float = _f(0.0, _nonnegative())
    ema_decay: float = _f(0.999, _unit())
    grad_clip: float = _f(0.0, _nonnegative())
    max_seconds: float | None = _f(None, [*_rate(), None])

    def __post_init__(self) -> None:
        validate_parameter_constraints(
            {f.name: f.metadata["constraint"] for f in dataclasses.fields(self)},
            self.to_dict(),
            caller_name="TrainingConfig",
        )
        betas = tuple(self.betas)
        if len(betas) != 2 or not all(
            isinstance(b, Real) and not isinstance(b, bool) and 0 <= b < 1 for b in betas
        ):
            raise ValueError(f"`betas` must be two numbers in [0, 1), got {self.betas!r}.")
        object.__setattr__(self, "betas", (float(betas[0]), float(betas[1])))
        if self.batch_size % self.pac:
            raise ValueError(
                f"`batch_size` ({self.batch_size}) must be a multiple of `pac` ({self.pac})."
            )
        loss = get_loss(self.loss)
        if self.label_smoothing and not loss.supports_smoothing:
            raise ValueError(
                f"`label_smoothing` has no meaning for loss={loss.name!r}; use 'minimax', "
                "'lsgan' or 'rsgan'."
            )

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


FIELDS = tuple(f.name for f in dataclasses.fields(TrainingConfig))


def parameter_constraints() -> dict[str, list[Any]]:
    """Each field's constraint, ``None`` allowed (the estimator's "left to the default")."""
    return {f.name: [*f.metadata["constraint"], None] for f in dataclasses.fields(TrainingConfig)}


def check_defaults(owner: str, defaults: Mapping[str, Any]) -> None:
    """Refuse keys of ``defaults`` that are no :class:`TrainingConfig` field."""
    unknown = sorted(set(defaults) - set(FIELDS))
    if unknown:
        raise ValueError(
            f"{owner}'s training_defaults has unknown key(s) {unknown}; the keys are "
            f"TrainingConfig field names: {', '.join(FIELDS)}."
        )


def resolve_config(
    user: Mapping[str, Any], adapter_defaults: Mapping[str, Any], *, owner: str = "the adapter"
) -> TrainingConfig:
    """The config from the user's values (``None``: unset) over the adapter's and loss's.

    The adapter's ``gradient_penalty`` belongs to the loss it defaults to (WGAN-GP): it is not
    carried over to a loss without a gradient penalty.
    """
    check_defaults(owner, adapter_defaults)
    chosen = {k: v for k, v in user.items() if v is not None}
    unknown = sorted(set(chosen) - set(FIELDS))
    if unknown:
        raise TypeError(f"Unknown training parameter(s): {unknown}.")
    loss = get_loss(chosen.get("loss", adapter_defaults.get("loss", "minimax")))
    from_loss = {
        "generator_lr": loss.lr,
        "discriminator_lr": loss.lr,
        "betas": loss.betas,
        "gradient_penalty": 10.0 if loss.needs_gradient_penalty else 0.0,
    }
    adapter = dict(adapter_defaults)
    if not loss.needs_gradient_penalty:
        adapter.pop("gradient_penalty", None)
    return TrainingConfig(**{**from_loss, **adapter, **chosen, "loss": loss.name})


def fit_batch_to_data(config: TrainingConfig, n: int, *, batch_size_given: bool) -> TrainingConfig:
    """Smaller batches for small data, so an epoch is at least a few steps.

    Only when ``batch_size`` is left to the default: with fewer than
    ``MIN_STEPS_PER_EPOCH * batch_size`` samples the batch becomes about
    ``n / MIN_STEPS_PER_EPOCH`` (a multiple of ``pac``). A 344-row table with the tabular
    default of 500 would otherwise train one step per epoch (300 steps in all).
    """
    if batch_size_given or n >= MIN_STEPS_PER_EPOCH * config.batch_size:
        return config
    batch = max(config.pac, n // MIN_STEPS_PER_EPOCH // config.pac * config.pac)
    return dataclasses.replace(config, batch_size=batch)


def check_same_settings(saved: Mapping[str, Any], config: TrainingConfig) -> None:
    """Refuse to resume a run under other training settings (``epochs`` may grow)."""
    now = config.to_dict()
    changed = sorted(
        k
        for k, v in saved.items()
        if k not in ("epochs", "max_seconds") and _plain(now.get(k)) != _plain(v)
    )
    if changed:
        raise ValueError(
            "The checkpoint was trained with other settings: "
            + ", ".join(f"{k}={saved[k]!r}" for k in changed)
        )


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
