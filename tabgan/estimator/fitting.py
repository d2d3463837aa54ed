"""The parts of a fit between the adapter and the training loop: a fresh or resumed trainer."""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from ..engine import serialization as ser
from ..engine.config import TrainingConfig
from ..engine.data import Encoded, TrainingSampler
from ..engine.distributed import DistributedContext, GradientSync
from ..engine.dp_sgd import PrivateCritic
from ..engine.privacy import PrivacyPlan
from ..engine.training import GANTrainer, steps_per_epoch
from ..engine.utils import derive_seed, local_torch_rng
from .adapters import BaseAdapter

__all__ = ["build_trainer"]


def build_trainer(
    adapter: BaseAdapter,
    encoded: Encoded | None,
    config: TrainingConfig,
    device: torch.device,
    *,
    seed: int,
    checkpoint: tuple[dict[str, Any], dict[str, torch.Tensor]] | None,
    verbose: bool,
    sampler: TrainingSampler | None = None,
    n_rows: int | None = None,
    distributed: DistributedContext | None = None,
    privacy: PrivacyPlan | None = None,
) -> GANTrainer:
    """A trainer over ``encoded`` (or ``sampler``, e.g. a stream's, over ``n_rows`` rows): its
    networks initialised from ``seed`` (then pretrained by the adapter), or continuing the run
    of ``checkpoint``.

    Under torch.distributed (``distributed``) ``config.batch_size`` is the global batch: each
    rank trains on ``batch_size / world_size`` rows of its own, its gradients averaged with the
    other ranks' (:class:`~tabgan.engine.distributed.GradientSync`), and every rank starts from
    rank 0's networks.
    """
    local = config
    if distributed is not None:
        world = distributed.world_size
        if config.batch_size % (world * config.pac):
            raise ValueError(
                f"`batch_size` ({config.batch_size}) must be a multiple of world_size * pac "
                f"({world} * {config.pac}) under torch.distributed: each rank trains on "
                "batch_size / world_size rows."
            )
        local = dataclasses.replace(config, batch_size=config.batch_size // world)
    rows = n_rows if n_rows is not None else len(encoded) if encoded is not None else 0
    with local_torch_rng(derive_seed(seed, 2), device, state=None):
        if sampler is None:
            assert encoded is not None
            sampler = adapter.make_sampler(encoded)
        trainer = GANTrainer(
            adapter.build_generator(config.latent_dim),
            adapter.build_discriminator(config.pac),
            adapter.activate,
            sampler,
            local,
            device,
            steps_per_epoch(rows, config.batch_size),
            on_generator_step=adapter.on_generator_step,
        )
        if privacy is not None:  # DP-SGD on the critic; no pretraining on the rows
            trainer.privacy = PrivateCritic(privacy, rows, config.loss)
        if checkpoint is not None:
            trainer.load_state_dict(ser.unflatten_state(*checkpoint, device))
        else:
            if encoded is not None and privacy is None:
                adapter.pretrain(trainer.generator, encoded, device=device, verbose=verbose)
            if trainer.ema is not None:
                trainer.ema.module.load_state_dict(trainer.generator.state_dict())
    if distributed is not None:
        nets = [trainer.generator, trainer.discriminator]
        for net in nets + ([trainer.ema.module] if trainer.ema is not None else []):
            distributed.broadcast_module(net)
        trainer.sync = GradientSync(distributed)
    return trainer
