"""Data-parallel training across processes with ``torch.distributed`` (launched by ``torchrun``).

Every rank holds the same networks and optimizers and trains on its own batches (a disjoint
shard of the data); after each backward pass the gradients are averaged across ranks, so every
optimizer step is the same on every rank and the networks stay identical. With the global batch
``b`` split into ``b / world_size`` rows per rank, one step equals a single-process step on the
concatenation of the ranks' batches (every loss and penalty of :mod:`.losses` and
:mod:`.regularizers` is a mean over samples or packs; the MMD term is the exception: under DDP it
is the mean of the ranks' MMDs).

Why an explicit all-reduce after ``backward`` instead of wrapping the networks in
``DistributedDataParallel``: the critic is called several times per update (real and fake
packs, then the gradient penalty's interpolates and R1's real packs through
``torch.autograd.grad(..., create_graph=True)``), and the generator update runs the critic with
its parameters frozen. DDP reduces gradients from hooks that fire while ``backward`` runs and
expects one forward per backward; with a gradient penalty computed by ``autograd.grad`` it
has been reported to reduce wrong gradients (pytorch/pytorch#47562), and ``backward`` with
``create_graph=True`` on a DDP output raises (pytorch/pytorch#63812). Averaging ``param.grad``
once the whole loss, penalties included, has been backpropagated is exact, needs no change to
the networks or the losses, and costs one flat all-reduce per update: what DDP would send,
without DDP's overlap of communication with the backward pass (small tabular networks gain
little from it). ``tests/scale/test_scale_distributed.py`` checks that a 2-rank step with the
penalties equals the single-process step.

The process group comes from torchrun's environment (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``MASTER_ADDR``, ``MASTER_PORT``): ``nccl`` on CUDA (one GPU per local rank), ``gloo`` on CPU.
A group already initialized by the caller is used as it is.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from .utils import derive_seed

__all__ = [
    "DistributedContext",
    "GradientSync",
    "env_world_size",
    "init_from_env",
    "is_main_process",
    "shard_indices",
    "shutdown",
]

#: The purpose key of the per-rank training seeds among the run seed's children.
_TRAIN_KEY = 7


def env_world_size() -> int:
    """The ``WORLD_SIZE`` torchrun set (1 outside torchrun)."""
    try:
        return int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        raise ValueError(f"WORLD_SIZE={os.environ['WORLD_SIZE']!r} is not a number.") from None


@dataclass(frozen=True)
class DistributedContext:
    """This process's place in the process group."""

    rank: int
    world_size: int
    local_rank: int
    backend: str
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    # -- agreeing across ranks -------------------------------------------------------------
    def broadcast_int(self, value: int) -> int:
        """Rank 0's ``value`` on every rank (a 63-bit seed, say)."""
        t = torch.tensor([value], dtype=torch.int64, device=self.device)
        dist.broadcast(t, src=0)
        return int(t.item())

    def any(self, flag: bool) -> bool:
        """Whether ``flag`` is true on any rank (every rank gets the same answer)."""
        t = torch.tensor([1.0 if flag else 0.0], device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return bool(t.item() > 0)

    def same_everywhere(self, text: str) -> bool:
        """Whether ``text`` (e.g. a fitted adapter's state as JSON) is equal on every rank."""
        digest = hashlib.sha256(text.encode()).digest()[:7]
        t = torch.tensor([int.from_bytes(digest, "big")], dtype=torch.int64, device=self.device)
        lo, hi = t.clone(), t.clone()
        dist.all_reduce(lo, op=dist.ReduceOp.MIN)
        dist.all_reduce(hi, op=dist.ReduceOp.MAX)
        return bool(lo.item() == hi.item())

    def broadcast_module(self, module: nn.Module) -> None:
        """Rank 0's parameters and buffers into ``module`` on every rank."""
        with torch.no_grad():
            for t in [*module.parameters(), *module.buffers()]:
                dist.broadcast(t.data, src=0)

    def train_seed(self, seed: int, step: int) -> int:
        """This rank's seed for the training draws of a run (re)started at ``step``."""
        return derive_seed(seed, _TRAIN_KEY, self.rank, step)


def init_from_env(device: torch.device) -> tuple[DistributedContext | None, torch.device]:
    """Join the process group torchrun describes; ``(None, device)`` outside torchrun.

    On CUDA each process takes the GPU of its local rank (``cuda:LOCAL_RANK``) and the
    ``nccl`` backend; on the CPU the ``gloo`` backend. Returns the context and the device
    this rank trains on.
    """
    world = env_world_size()
    if world <= 1 and not (dist.is_available() and dist.is_initialized()):
        return None, device
    if not dist.is_available():
        raise RuntimeError("WORLD_SIZE > 1 but this torch build has no torch.distributed.")
    if device.type == "mps":
        raise ValueError("Distributed training runs on CUDA (nccl) or the CPU (gloo), not MPS.")
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if device.type == "cuda":
        if local_rank >= torch.cuda.device_count():
            raise ValueError(
                f"LOCAL_RANK={local_rank} but this node has {torch.cuda.device_count()} GPU(s); "
                "start at most one process per GPU (torchrun --nproc-per-node)."
            )
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    if dist.get_world_size() <= 1:
        return None, device
    backend = str(dist.get_backend())
    if backend == "nccl" and device.type != "cuda":
        raise ValueError("The process group uses nccl, which needs device='cuda'.")
    ctx = DistributedContext(dist.get_rank(), dist.get_world_size(), local_rank, backend, device)
    return ctx, device


def is_main_process() -> bool:
    """False on the ranks other than 0 of an initialized process group (they do not write)."""
    return not (dist.is_available() and dist.is_initialized()) or dist.get_rank() == 0


def shutdown() -> None:
    """Leave the process group, if this process is in one."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def shard_indices(n: int, rank: int, world_size: int) -> torch.Tensor:
    """The rows of rank ``rank``: every ``world_size``-th row from ``rank`` (disjoint, and
    together all ``n`` rows)."""
    return torch.arange(rank, n, world_size)


class GradientSync:
    """Averages the gradients of a network across ranks (see the module's notes)."""

    def __init__(self, ctx: DistributedContext) -> None:
        self.ctx = ctx

    def average_gradients(self, module: nn.Module) -> None:
        """``p.grad`` becomes the mean of the ranks' ``p.grad``, for every parameter that has
        one (on every rank the same parameters have one: the same code runs on each)."""
        grads = [p.grad for p in module.parameters() if p.grad is not None]
        if not grads:
            return
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)  # a sum: gloo has no average
        flat.div_(self.ctx.world_size)
        offset = 0
        for g in grads:
            g.copy_(flat[offset : offset + g.numel()].view_as(g))
            offset += g.numel()

    def any(self, flag: bool) -> bool:
        return self.ctx.any(flag)
