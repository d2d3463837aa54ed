"""DP-SGD for the critic (Abadi et al. 2016): Poisson-sampled real rows, per-row clipping, noise.

Domain-free. Each critic step:

1. draws the real rows by Poisson sampling: every training row independently with
   probability ``q = batch_size / n_rows`` (the sampling the Renyi-DP accountant assumes; the
   batch has a random size, ``batch_size`` on average). The sampler turns the drawn rows
   into critic inputs and their conditional vectors (:meth:`TrainingSampler.real_rows`),
   which therefore depend on those rows only;
2. computes the critic loss as a sum of one term per real row and one per generated row
   (:data:`PER_ROW_TERMS`), and the L2 norm of each term's gradient with Opacus' ghost
   clipping (``GradSampleHooksFastGradientClipping``: per-row norms of linear layers without
   materializing per-row gradients; other layers through their per-row gradients);
3. backpropagates the sum of the terms weighted by ``min(1, C / norm)`` (each row's gradient
   clipped to ``C = max_grad_norm``), adds Gaussian noise of std ``noise_multiplier * C`` and
   divides by the *expected* batch size (a division by the drawn size would leak it).

Generated rows are clipped like real ones (so the two halves of the loss stay on one scale);
only the real rows need it for the guarantee. The step logs (and so ``history_``) hold the
critic's loss on generated rows only: a figure computed from the real rows would be released
without noise. The noise comes from torch's generator, which
``fit`` seeds from ``random_state`` (reproducible runs; not a cryptographically secure
source, as in Opacus without ``secure_mode``).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import nn

from .privacy import PrivacyPlan, require_opacus

if TYPE_CHECKING:
    from .training import GANTrainer

__all__ = ["PER_ROW_TERMS", "PrivateCritic"]

Tensor = torch.Tensor
Terms = Callable[[Tensor, Tensor, float], tuple[Tensor, Tensor]]


def _minimax(d_real: Tensor, d_fake: Tensor, smoothing: float) -> tuple[Tensor, Tensor]:
    # binary cross-entropy with the (smoothed) real target 1 - s, and target 0 for fakes
    real = (1 - smoothing) * F.softplus(-d_real) + smoothing * F.softplus(d_real)
    return real, F.softplus(d_fake)


def _hinge(d_real: Tensor, d_fake: Tensor, smoothing: float) -> tuple[Tensor, Tensor]:
    return F.relu(1.0 - d_real), F.relu(1.0 + d_fake)


def _lsgan(d_real: Tensor, d_fake: Tensor, smoothing: float) -> tuple[Tensor, Tensor]:
    return 0.5 * (d_real - (1.0 - smoothing)).pow(2), 0.5 * d_fake.pow(2)


#: Each private loss as per-row terms: the loss of :mod:`.losses` is the mean of the real
#: terms plus the mean of the generated ones (a test checks they agree).
PER_ROW_TERMS: dict[str, Terms] = {"minimax": _minimax, "hinge": _hinge, "lsgan": _lsgan}


@contextlib.contextmanager
def _ghost_clipping(critic: nn.Module, max_grad_norm: float) -> Iterator[Any]:
    """Opacus' per-row gradient-norm hooks on ``critic`` for one step, then removed (so the
    critic holds no hooks or per-row attributes between steps, in a pickle or a copy)."""
    require_opacus()
    from opacus.grad_sample import GradSampleHooksFastGradientClipping

    with warnings.catch_warnings():
        # torch notes that the first layer's input needs no gradient; that is the point
        warnings.filterwarnings("ignore", message="Full backward hook is firing")
        hooks = GradSampleHooksFastGradientClipping(
            critic,
            batch_first=True,
            loss_reduction="sum",
            max_grad_norm=max_grad_norm,
            use_ghost_clipping=True,
        )
        try:
            yield hooks
        finally:
            hooks.cleanup()
            for module in critic.modules():  # torch keeps this flag once such a hook was set
                if not module._backward_hooks:
                    module._is_full_backward_hook = None


class PrivateCritic:
    """The critic's DP-SGD steps and their count, for :class:`~.training.GANTrainer`.

    Parameters
    ----------
    plan : PrivacyPlan
        Noise multiplier, sample rate and the step budget (:func:`.privacy.plan_training`).
    n_rows : int
        Training rows (the Poisson draws are over their indices).
    loss : str
        The critic loss, one of :data:`PER_ROW_TERMS`.
    """

    def __init__(self, plan: PrivacyPlan, n_rows: int, loss: str) -> None:
        if loss not in PER_ROW_TERMS:
            raise ValueError(f"loss={loss!r} has no per-row form for DP-SGD.")
        self.plan = plan
        self.n_rows = n_rows
        self.terms = PER_ROW_TERMS[loss]
        self.steps = 0

    # -- budget -------------------------------------------------------------------------------
    def can_step(self, n: int = 1) -> bool:
        """Whether ``n`` more critic steps stay within the budget."""
        return self.steps + n <= self.plan.budget_steps

    @property
    def epsilon(self) -> float:
        """The epsilon spent so far (preprocessing and critic steps)."""
        return self.plan.epsilon(self.steps)

    # -- one step -----------------------------------------------------------------------------
    def sample_rows(self, device: torch.device) -> Tensor:
        """Poisson sampling: the indices of the rows drawn, each with probability ``q``."""
        keep = torch.rand(self.n_rows, device=device) < self.plan.sample_rate
        return torch.nonzero(keep).squeeze(1)

    def critic_step(
        self, trainer: GANTrainer, fake: Tensor | None, cond_fake: Tensor | None
    ) -> dict[str, Tensor]:
        """One DP-SGD update of ``trainer.discriminator`` (on ``fake``, detached, or on a batch
        generated for it); returns the logs of a critic step."""
        if not self.can_step():
            raise RuntimeError("The privacy budget is spent: no critic step is left.")
        cfg = trainer.config
        batch = cfg.batch_size
        real, cond_real = trainer.sampler.real_rows(self.sample_rows(trainer.device))
        if fake is None:
            cond_fake, _ = trainer.sampler.sample_fake_conditions(batch)
            with torch.no_grad():
                fake = trainer.activate(trainer.generator(trainer._latent(batch), cond_fake))
        real, fake = trainer._noisy(real), trainer._noisy(fake.detach())
        cond = None if cond_real is None or cond_fake is None else torch.cat([cond_real, cond_fake])
        critic, opt = trainer.discriminator, trainer.opt_d
        c = self.plan.config.max_grad_norm
        with _ghost_clipping(critic, c) as hooks:
            scores = critic(torch.cat([real, fake]), cond)
            d_real, d_fake = scores.split([len(real), len(fake)])
            t_real, t_fake = self.terms(d_real, d_fake, cfg.label_smoothing)
            terms = torch.cat([t_real, t_fake])
            opt.zero_grad(set_to_none=True)
            terms.sum().backward(retain_graph=True)  # the hooks record each row's norm
            coef = hooks.get_clipping_coef().detach()
            hooks.disable_hooks()
            opt.zero_grad(set_to_none=True)
            (coef * terms).sum().backward()  # the sum of the clipped per-row gradients
        sigma = self.plan.noise_multiplier * c
        with torch.no_grad():
            for p in critic.parameters():
                if p.grad is None:
                    p.grad = torch.zeros_like(p)
                p.grad.add_(torch.randn_like(p), alpha=sigma).div_(batch)
        if cfg.grad_clip > 0:
            nn.utils.clip_grad_norm_(critic.parameters(), cfg.grad_clip)
        opt.step()
        self.steps += 1
        # the logs become the saved history: nothing computed from the real rows goes there
        return {"d_loss_generated": t_fake.detach().mean()}

    # -- state --------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """What a resumed run needs: the steps taken and the noise and rate they used."""
        return {
            "privacy_steps": self.steps,
            "privacy_noise_multiplier": self.plan.noise_multiplier,
            "privacy_sample_rate": self.plan.sample_rate,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue a run: its noise and sample rate, and its spent steps, count against the
        budget (a resumed run with more epochs stops where the budget ends)."""
        self.plan = self.plan.with_steps(
            float(state["privacy_noise_multiplier"]), float(state["privacy_sample_rate"])
        )
        self.steps = int(state["privacy_steps"])
