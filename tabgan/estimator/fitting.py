"""The parts of a fit between the adapter and the training loop: a fresh or resumed trainer."""

from __future__ import annotations

from typing import Any

import torch

from ..engine import serialization as ser
from ..engine.config import TrainingConfig
from ..engine.data import Encoded
from ..engine.training import GANTrainer, steps_per_epoch
from ..engine.utils import derive_seed, local_torch_rng
from .adapters import BaseAdapter

__all__ = ["build_trainer"]


def build_trainer(
    adapter: BaseAdapter,
    encoded: Encoded,
    config: TrainingConfig,
    device: torch.device,
    *,
    seed: int,
    checkpoint: tuple[dict[str, Any], dict[str, torch.Tensor]] | None,
    verbose: bool,
) -> GANTrainer:
    """A trainer over ``encoded``: its networks initialised from ``seed`` (then pretrained by
    the adapter), or continuing the run of ``checkpoint``."""
    with local_torch_rng(derive_seed(seed, 2), device, state=None):
        trainer = GANTrainer(
            adapter.build_generator(config.latent_dim),
            adapter.build_discriminator(config.pac),
            adapter.activate,
            adapter.make_sampler(encoded),
            config,
            device,
            steps_per_epoch(len(encoded), config.batch_size),
            on_generator_step=adapter.on_generator_step,
        )
        if checkpoint is not None:
            trainer.load_state_dict(ser.unflatten_state(*checkpoint, device))
        else:
            adapter.pretrain(trainer.generator, encoded, device=device, verbose=verbose)
            if trainer.ema is not None:
                trainer.ema.module.load_state_dict(trainer.generator.state_dict())
    return trainer
