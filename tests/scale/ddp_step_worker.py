"""One training step under torchrun, compared with the single-process step (run by the tests).

``python -m torch.distributed.run --standalone --nproc-per-node 2 ddp_step_worker.py OUT [TABLE]``

Each rank trains on its ``b / 2`` rows; rank 0 then runs the same steps in one process with the
whole batch ``b`` and writes, to ``OUT/result.json``, the largest differences of weights and
gradients. For the two runs to see the same data, torch's random functions are replaced (in this
script only) by draws of the *global* batch from a generator seeded per call, of which each rank
keeps its slice: the single-process batch is then the concatenation of the ranks' batches, for
the real rows, the latents, the gradient penalty's interpolation weights and instance noise.

With ``TABLE`` (a Parquet file) it then fits a ``GANSynthesizer`` on it streamed, and runs the
command line's ``fit`` on it with a checkpoint folder, both on the 2 ranks.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import torch
import torch.distributed as dist

from tabgan.engine import distributed
from tabgan.engine.config import TrainingConfig
from tabgan.engine.data import DataSampler, Encoded
from tabgan.engine.training import GANTrainer
from tabgan.engine.utils import local_torch_rng
from tabgan.estimator.vector import VectorAdapter

_REAL = {name: getattr(torch, name) for name in ("rand", "randn", "randint", "randn_like")}


class SlicedRandom:
    """torch.rand/randn/randint/randn_like as rank ``rank``'s slice of a global draw."""

    def __init__(self, rank: int, world: int) -> None:
        self.rank, self.world, self.calls = rank, world, 0

    def _generator(self) -> torch.Generator:
        self.calls += 1
        return torch.Generator().manual_seed(1000 + self.calls)

    def _slice(self, full: torch.Tensor, n: int) -> torch.Tensor:
        return full[self.rank * n : (self.rank + 1) * n]

    @staticmethod
    def _size(args: tuple) -> tuple[int, ...]:
        if len(args) == 1 and isinstance(args[0], (tuple, list, torch.Size)):
            return tuple(args[0])
        return tuple(args)

    def rand(self, *args, device=None, dtype=None, **_):
        size = self._size(args)
        full = _REAL["rand"](
            (size[0] * self.world, *size[1:]), generator=self._generator(), dtype=dtype
        )
        return self._slice(full, size[0]).to(device)

    def randn(self, *args, device=None, dtype=None, **_):
        size = self._size(args)
        full = _REAL["randn"](
            (size[0] * self.world, *size[1:]), generator=self._generator(), dtype=dtype
        )
        return self._slice(full, size[0]).to(device)

    def randint(self, high, size, device=None, **_):
        full = _REAL["randint"](high, (size[0] * self.world,), generator=self._generator())
        return self._slice(full, size[0]).to(device)

    def randn_like(self, x, **_):
        return self.randn(*x.shape, dtype=x.dtype, device=x.device)

    def patch(self):
        return mock.patch.multiple(
            torch,
            rand=self.rand,
            randn=self.randn,
            randint=self.randint,
            randn_like=self.randn_like,
        )


CONFIGS = {
    # WGAN-GP with R1 too: both penalties differentiate the critic's input gradient
    "wgan_gp_r1": dict(loss="wgan", gradient_penalty=10.0, r1=0.5, n_critic=2, pac=2),
    # R1 alone, instance noise on the critic's inputs, gradient clipping after the average
    "hinge_r1": dict(loss="hinge", r1=1.0, instance_noise=0.1, pac=1, grad_clip=1.0),
    # the relativistic loss reads real scores in the generator step
    "rsgan_r1": dict(loss="rsgan", r1=1.0, pac=1),
}
# Weights are compared where their gradient is above float noise (1e-6): these losses give some
# parameters a gradient that is zero analytically (the critic's output bias: mean of the fake
# scores' weights minus the real ones'; a hidden unit that is in one LeakyReLU regime for every
# sample), i.e. float noise, which Adam's first steps turn into +-lr steps, in one process as in
# two ranks. Gradients are compared everywhere.


def run(name: str, rank: int, world: int, sync: distributed.GradientSync | None) -> dict:
    global_batch = 16
    x = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32)
    adapter = VectorAdapter(hidden=(16, 16)).fit(x, rng=np.random.default_rng(0))
    cfg = TrainingConfig(
        batch_size=global_batch // world, latent_dim=4, epochs=1, ema_decay=0.9, **CONFIGS[name]
    )
    with local_torch_rng(123, torch.device("cpu")):
        g, d = adapter.build_generator(cfg.latent_dim), adapter.build_discriminator(cfg.pac)
    trainer = GANTrainer(
        g, d, adapter.activate, DataSampler(Encoded(torch.from_numpy(x))), cfg,
        torch.device("cpu"), steps_per_epoch=4,
    )  # fmt: skip
    trainer.sync = sync
    before = [p.detach().clone() for p in trainer.generator.parameters()]
    with SlicedRandom(rank, world).patch():
        for _ in range(2):  # two steps: Adam's moments and the EMA move past their first update
            logs = trainer.train_step()
    weights = {
        "generator": [p.detach().clone() for p in trainer.generator.parameters()],
        "discriminator": [p.detach().clone() for p in trainer.discriminator.parameters()],
        "ema": [p.detach().clone() for p in trainer.sampling_generator().parameters()],
        "generator_grad": [p.grad.clone() for p in trainer.generator.parameters()],
        "discriminator_grad": [p.grad.clone() for p in trainer.discriminator.parameters()],
    }
    assert "r1" in logs, logs
    moved = [(p.detach() - b).abs().max() for p, b in zip(trainer.generator.parameters(), before)]
    weights["moved"] = [torch.stack(moved).max()]
    return weights


def main() -> None:
    out = Path(sys.argv[1])
    ctx, _ = distributed.init_from_env(torch.device("cpu"))
    assert ctx is not None and ctx.world_size == 2 and ctx.backend == "gloo"
    torch.set_num_threads(1)
    result: dict = {"rank": ctx.rank, "any_stop": ctx.any(ctx.rank == 1)}
    for name in CONFIGS:
        ddp = run(name, ctx.rank, ctx.world_size, distributed.GradientSync(ctx))
        # every rank holds the same weights after the steps
        flat = torch.cat([t.reshape(-1) for t in ddp["generator"] + ddp["discriminator"]])
        gathered = [torch.zeros_like(flat) for _ in range(ctx.world_size)]
        dist.all_gather(gathered, flat)
        result[f"{name}_ranks_apart"] = float((gathered[0] - gathered[1]).abs().max())
        if ctx.rank == 0:
            single = run(name, 0, 1, None)
            result[f"{name}_moved"] = float(single["moved"][0])
            for key, grad_key in (
                ("generator_grad", None),
                ("discriminator_grad", None),
                ("generator", "generator_grad"),
                ("ema", "generator_grad"),
                ("discriminator", "discriminator_grad"),
            ):
                diffs, noise, total = [0.0], 0, 0
                for i, (a, b) in enumerate(zip(ddp[key], single[key])):
                    keep = torch.ones_like(b, dtype=torch.bool)
                    if grad_key is not None:
                        keep = single[grad_key][i].abs() > 1e-6
                    noise, total = noise + int((~keep).sum()), total + b.numel()
                    if keep.any():
                        diffs.append(float((a - b)[keep].abs().max()))
                scale = max(float(t.abs().max()) for t in single[key])
                result[f"{name}_{key}"] = {
                    "max_diff": max(diffs),
                    "scale": scale,
                    "noise_share": noise / total,
                }
    if len(sys.argv) > 2:  # a streamed fit of the GANSynthesizer, each rank its row groups
        from tabgan import GANSynthesizer
        from tabgan.plugins.tabular import TableStream

        stream = TableStream(sys.argv[2], sample_rows=200, buffer_rows=300, batch_rows=200)
        synth = GANSynthesizer(epochs=2, batch_size=100, pac=2, random_state=0, verbose=False)
        synth.fit(stream, metadata={"columns": {"n": {"sdtype": "categorical"}}})
        flat = torch.cat([p.detach().reshape(-1) for p in synth.generator_.state_dict().values()])
        gathered = [torch.zeros_like(flat) for _ in range(ctx.world_size)]
        dist.all_gather(gathered, flat)
        result["stream_ranks_apart"] = float((gathered[0] - gathered[1]).abs().max())
        result["stream_steps"] = synth.n_steps_
        synth.save(out / "stream_model")  # rank 0 writes
        # the command line, as `torchrun ... -m tabgan fit data.parquet -o model` runs it
        from tabgan.cli import main as cli

        args = ["fit", sys.argv[2], "-o", str(out / "cli_model"), "--epochs", "2"]
        args += ["--batch-size", "100", "--pac", "2", "--random-state", "0", "--quiet"]
        result["cli_exit"] = cli([*args, "--checkpoint-dir", str(out / "ckpt")])
    (out / f"result_{ctx.rank}.json").write_text(json.dumps(result, indent=1))
    distributed.shutdown()


if __name__ == "__main__":
    main()
