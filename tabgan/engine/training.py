"""The adversarial training loop. Domain-free: it sees tensors, networks and a sampler."""

from __future__ import annotations

import copy
import math
import signal
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from .config import TrainingConfig
from .data import TrainingSampler
from .distributed import GradientSync
from .dp_sgd import PrivateCritic
from .losses import get_loss
from .regularizers import gradient_penalty, instance_noise_std, mmd_rbf, pack, r1_penalty

__all__ = ["GANTrainer", "TrainingConfig", "make_adam", "steps_per_epoch"]

Tensor = torch.Tensor


class EMA:
    """Exponential moving average of a module's parameters, with warm-up.

    The decay at update t is ``min(decay, (1 + t) / (10 + t))`` so a short run is not stuck near
    its initial weights. Buffers (BatchNorm statistics) are copied, not averaged.
    """

    def __init__(self, module: nn.Module, decay: float) -> None:
        self.decay = decay
        self.module = copy.deepcopy(module).eval().requires_grad_(False)
        self.updates = 0

    @torch.no_grad()
    def update(self, module: nn.Module) -> None:
        self.updates += 1
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))
        ema_params: list[Tensor] = list(self.module.parameters())
        live: list[Tensor] = [p.detach() for p in module.parameters()]
        torch._foreach_lerp_(ema_params, live, 1.0 - d)
        for b_ema, b in zip(self.module.buffers(), module.buffers(), strict=True):
            b_ema.copy_(b)


class _InterruptFlag:
    """First Ctrl-C asks the loop to stop after the current step; a second one aborts."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def __enter__(self) -> _InterruptFlag:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc: Any) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


class GANTrainer:
    """Holds the networks, optimizers and step counter, and runs the adversarial game.

    Parameters
    ----------
    generator, discriminator : nn.Module
        ``generator(z, cond) -> raw``; ``discriminator(x_packed, cond_packed) -> scores``.
    activate : callable
        The adapter's output activation, ``activate(raw) -> x``.
    sampler : TrainingSampler
        Draws real batches and conditional vectors on the device.
    config : TrainingConfig
    device : torch.device
    steps_per_epoch : int
    on_generator_step : callable, optional
        ``on_generator_step(generator, step, total_steps)`` after each generator update.
    """

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        activate: Callable[[Tensor], Tensor],
        sampler: TrainingSampler,
        config: TrainingConfig,
        device: torch.device,
        steps_per_epoch: int,
        on_generator_step: Callable[[nn.Module, int, int], None] | None = None,
    ) -> None:
        self.config = config
        self.device = device
        self.generator = generator.to(device)
        self.discriminator = discriminator.to(device)
        self.activate = activate
        self.sampler = sampler
        self.steps_per_epoch = steps_per_epoch
        self.total_steps = steps_per_epoch * config.epochs
        self.on_generator_step = on_generator_step
        self.loss = get_loss(config.loss)
        self.opt_g = make_adam(self.generator, config.generator_lr, config, device)
        self.opt_d = make_adam(self.discriminator, config.discriminator_lr, config, device)
        self.ema = EMA(self.generator, config.ema_decay) if config.ema_decay > 0 else None
        self.step = 0
        self.stop_training = False
        self.interrupted = False
        self.seconds = 0.0
        #: Set under torch.distributed: averages gradients and stop requests across ranks.
        self.sync: GradientSync | None = None
        #: Set under differential privacy: the critic's DP-SGD steps and their budget.
        self.privacy: PrivateCritic | None = None

    # -- the two halves of a step -------------------------------------------------------------
    def _critic(self, x: Tensor, cond: Tensor | None) -> Tensor:
        pac = self.config.pac
        return self.discriminator(pack(x, pac), None if cond is None else pack(cond, pac))

    def _noisy(self, x: Tensor) -> Tensor:
        std = instance_noise_std(self.config.instance_noise, self.step, self.total_steps)
        return x + std * torch.randn_like(x) if std > 0 else x

    def _latent(self, n: int) -> Tensor:
        return torch.randn(n, self.config.latent_dim, device=self.device)

    def _fake_batch(self) -> tuple[Tensor, Tensor, Tensor | None, Any]:
        """``(raw, activated, cond, info)`` of one generated batch, with its graph."""
        cond, info = self.sampler.sample_fake_conditions(self.config.batch_size)
        raw = self.generator(self._latent(self.config.batch_size), cond)
        return raw, self.activate(raw), cond, info

    def discriminator_step(
        self, fake: Tensor | None = None, cond_fake: Tensor | None = None
    ) -> dict[str, Tensor]:
        """One critic update, on ``fake`` (detached here) or on a batch generated for it."""
        if self.privacy is not None:  # DP-SGD on Poisson-sampled rows (tabgan.engine.dp_sgd)
            return self.privacy.critic_step(self, fake, cond_fake)
        cfg = self.config
        real, cond_real = self.sampler.sample_real(cfg.batch_size)
        if fake is None:
            cond_fake, _ = self.sampler.sample_fake_conditions(cfg.batch_size)
            with torch.no_grad():
                fake = self.activate(self.generator(self._latent(cfg.batch_size), cond_fake))
        real, fake = self._noisy(real), self._noisy(fake.detach())
        # real and fake packs through the critic in one call (no BatchNorm there, so the
        # same function as two calls, with half the kernel launches)
        both = self._critic(
            torch.cat([real, fake]),
            None if cond_real is None or cond_fake is None else torch.cat([cond_real, cond_fake]),
        )
        d_real, d_fake = both.split([len(real) // cfg.pac, len(fake) // cfg.pac])
        loss = self.loss.discriminator(d_real, d_fake, cfg.label_smoothing)
        logs = {"d_loss": loss.detach()}
        if cfg.gradient_penalty > 0:
            pc = None if cond_real is None else pack(cond_real, cfg.pac)
            pf = None if cond_fake is None else pack(cond_fake, cfg.pac)
            gp = gradient_penalty(
                self.discriminator, pack(real, cfg.pac), pack(fake, cfg.pac), pc, pf
            )
            loss = loss + cfg.gradient_penalty * gp
            logs["gradient_penalty"] = gp.detach()
        if cfg.r1 > 0:
            pc = None if cond_real is None else pack(cond_real, cfg.pac)
            r1 = r1_penalty(self.discriminator, pack(real, cfg.pac), pc)
            loss = loss + cfg.r1 * r1
            logs["r1"] = r1.detach()
        self._update(self.opt_d, self.discriminator, loss)
        return logs

    def _update(self, opt: torch.optim.Optimizer, net: nn.Module, loss: Tensor) -> None:
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if self.sync is not None:
            self.sync.average_gradients(net)
        if self.config.grad_clip > 0:
            nn.utils.clip_grad_norm_(net.parameters(), self.config.grad_clip)
        opt.step()

    def generator_step(
        self, batch: tuple[Tensor, Tensor, Tensor | None, Any] | None = None
    ) -> dict[str, Tensor]:
        """One generator update, on ``batch`` (from :meth:`_fake_batch`) or a fresh one."""
        cfg = self.config
        raw, fake, cond, info = self._fake_batch() if batch is None else batch
        self.discriminator.requires_grad_(False)
        try:
            d_fake = self._critic(self._noisy(fake), cond)
            need_real = self.loss.generator_needs_real or cfg.mmd_weight > 0
            real = cond_real = d_real = None
            if need_real:
                real, cond_real = self.sampler.sample_real(cfg.batch_size)
                if self.loss.generator_needs_real:
                    d_real = self._critic(self._noisy(real), cond_real)
            loss = self.loss.generator(d_real, d_fake)
        finally:
            self.discriminator.requires_grad_(True)
        logs = {"g_loss": loss.detach()}
        cond_loss = self.sampler.condition_loss(raw, info)
        if cond_loss is not None:
            loss = loss + cond_loss
            logs["condition_loss"] = cond_loss.detach()
        if cfg.mmd_weight > 0 and real is not None:
            mmd = mmd_rbf(real, fake)
            loss = loss + cfg.mmd_weight * mmd
            logs["mmd"] = mmd.detach()
        self._update(self.opt_g, self.generator, loss)
        if self.ema is not None:
            self.ema.update(self.generator)
        return logs

    def train_step(self) -> dict[str, Tensor]:
        """``n_critic`` critic updates, then one generator update.

        The last critic update judges the generator update's batch (detached) and the
        generator update then backpropagates through it. The generator's weights do not change
        in between, so this is the same game as generating a second batch for the critic, for
        one generator pass less (the DCGAN recipe).
        """
        for _ in range(self.config.n_critic - 1):
            self.discriminator_step()
        batch = self._fake_batch()
        logs = self.discriminator_step(batch[1], batch[2])
        logs.update(self.generator_step(batch))
        self.step += 1
        if self.on_generator_step is not None:
            self.on_generator_step(self.generator, self.step, self.total_steps)
        return logs

    # -- the loop ---------------------------------------------------------------------------
    def fit(self, callbacks: Sequence[Any] = (), context: Any = None) -> None:
        """Train from ``self.step`` to ``total_steps`` (or until stopped).

        Each callback hook receives ``context`` (the estimator running the fit, by default this
        trainer) and, for step and epoch ends, the logged losses.
        """
        owner = self if context is None else context
        self.generator.train()
        self.discriminator.train()
        for cb in callbacks:
            cb.on_train_begin(owner)
        budget = self.config.max_seconds
        start = time.perf_counter() - self.seconds
        sums: dict[str, Tensor] = {}
        count = 0
        self._check_privacy_budget()
        with _InterruptFlag() as flag:
            while self.step < self.total_steps and not self._stopping():
                logs = self.train_step()
                for k, v in logs.items():
                    sums[k] = sums[k] + v if k in sums else v.clone()
                count += 1
                self.seconds = time.perf_counter() - start
                for cb in callbacks:
                    cb.on_step_end(owner, logs)
                epoch_done = self.step % self.steps_per_epoch == 0
                out_of_time = budget is not None and self.seconds >= budget
                if flag.requested:
                    self.interrupted = self.stop_training = True
                self._check_privacy_budget()
                if epoch_done or out_of_time or self.stop_training or self.step == self.total_steps:
                    means = {k: float(v) / count for k, v in sums.items()}
                    sums, count = {}, 0
                    for cb in callbacks:
                        cb.on_epoch_end(owner, means)
                if out_of_time and self.step < self.total_steps:
                    self.stop_training = True
                    warnings.warn(
                        f"Stopped after {self.step} of {self.total_steps} steps: "
                        f"max_seconds={budget} reached.",
                        UserWarning,
                        stacklevel=2,
                    )
        if self.interrupted:
            warnings.warn(
                f"Training interrupted (Ctrl-C); the model keeps its state after step "
                f"{self.step} of {self.total_steps}.",
                UserWarning,
                stacklevel=2,
            )
        for cb in callbacks:
            cb.on_train_end(owner)

    def _check_privacy_budget(self) -> None:
        """Under differential privacy, stop (with a warning) before a step that would spend
        more than the budget."""
        dp = self.privacy
        if dp is None or self.stop_training or self.step >= self.total_steps:
            return
        if not dp.can_step(self.config.n_critic):
            self.stop_training = True
            warnings.warn(
                f"Stopped after {self.step} of {self.total_steps} steps: the privacy budget "
                f"(epsilon={dp.plan.config.epsilon:g}) is spent.",
                UserWarning,
                stacklevel=3,
            )

    def _stopping(self) -> bool:
        """Whether to stop; under torch.distributed, every rank stops when one asks to."""
        if self.sync is None:
            return self.stop_training
        self.stop_training = self.sync.any(self.stop_training)
        return self.stop_training

    # -- state ------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything a resumed run needs, as one dict (nanoGPT's checkpoint): the networks,
        the EMA copy, both optimizers and the counters (tensors inside, no pickled objects)."""
        state: dict[str, Any] = {
            "generator": self.generator.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "step": self.step,
            "seconds": self.seconds,
        }
        if self.ema is not None:
            state["ema"] = self.ema.module.state_dict()
            state["ema_updates"] = self.ema.updates
        if self.privacy is not None:
            state.update(self.privacy.state_dict())
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue the run :meth:`state_dict` described.

        Optimizer implementation switches (fused, foreach, ...) are this machine's choice, not
        the saved run's: a run saved with the fused CPU kernel resumes where there is none.
        """
        self.generator.load_state_dict(state["generator"])
        self.discriminator.load_state_dict(state["discriminator"])
        for opt, key in ((self.opt_g, "opt_g"), (self.opt_d, "opt_d")):
            saved = state[key]
            groups = [
                {**old, **{k: now[k] for k in _IMPLEMENTATION_KEYS if k in now}}
                for old, now in zip(saved["param_groups"], opt.param_groups, strict=True)
            ]
            opt.load_state_dict({"state": saved["state"], "param_groups": groups})
        if self.ema is not None:
            self.ema.module.load_state_dict(state["ema"])
            self.ema.updates = int(state["ema_updates"])
        self.step = int(state["step"])
        self.seconds = float(state["seconds"])
        if self.privacy is not None:
            self.privacy.load_state_dict(state)

    @property
    def epoch(self) -> float:
        return self.step / self.steps_per_epoch

    def sampling_generator(self) -> nn.Module:
        return self.ema.module if self.ema is not None else self.generator


_IMPLEMENTATION_KEYS = ("fused", "foreach", "capturable", "differentiable")


def make_adam(
    module: nn.Module, lr: float, config: TrainingConfig, device: torch.device
) -> torch.optim.Adam:
    """Adam over ``module``'s parameters: the fused kernel where torch has one for them (CPU
    and CUDA float32: one pass over the parameters instead of a dozen), else the default."""
    params = list(module.parameters())
    kwargs: dict[str, Any] = {"lr": lr, "betas": config.betas, "weight_decay": config.weight_decay}
    fusable = device.type in ("cpu", "cuda") and all(
        p.dtype in (torch.float32, torch.float64) and p.device.type == device.type for p in params
    )
    if fusable and params:
        try:
            return torch.optim.Adam(params, fused=True, **kwargs)
        except (RuntimeError, TypeError):  # a torch build without the fused kernel
            pass
    return torch.optim.Adam(params, **kwargs)


def steps_per_epoch(n_rows: int, batch_size: int) -> int:
    return max(1, math.ceil(n_rows / batch_size))
