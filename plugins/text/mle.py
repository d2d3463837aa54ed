"""Maximum-likelihood pre-training of the text generator (teacher forcing, early stopping)."""

from __future__ import annotations

import copy

import torch
from tqdm.auto import tqdm

from .networks import TextGenerator

__all__ = ["mean_token_nll", "mle_pretrain"]


@torch.no_grad()
def mean_token_nll(
    generator: TextGenerator,
    ids: torch.Tensor,
    cond: torch.Tensor | None,
    batch_size: int = 512,
    temperature: float = 1.0,
) -> float:
    """Mean negative log-likelihood per counted token (nats) of ``ids`` under the generator
    (sampling at ``temperature``: logits divided by it)."""
    total, count = 0.0, 0
    for start in range(0, len(ids), batch_size):
        x = ids[start : start + batch_size]
        c = None if cond is None else cond[start : start + batch_size]
        z = torch.randn(len(x), generator.cfg.latent_dim, device=x.device)
        total += float(generator.nll(x, z, c, temperature).sum())
        count += int(generator.token_mask(x).sum())
    return total / max(count, 1)


def mle_pretrain(
    generator: TextGenerator,
    ids: torch.Tensor,
    cond: torch.Tensor | None,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    validation: float,
    patience: int,
    verbose: bool,
    grad_clip: float = 5.0,
) -> list[dict[str, float]]:
    """Train ``generator`` by teacher forcing; returns one row per epoch.

    A share ``validation`` of the sequences (at least one, when there are 10 or more) is held
    out; training stops after ``patience`` epochs without a better held-out NLL and the best
    weights are restored. Without a held-out set the training NLL decides.
    """
    if epochs <= 0:
        return []
    n = len(ids)
    n_val = max(1, round(n * validation)) if validation > 0 and n >= 10 else 0
    perm = torch.randperm(n, device=ids.device)
    val_idx, train_idx = perm[:n_val], perm[n_val:]
    opt = torch.optim.Adam(generator.parameters(), lr=lr)
    history: list[dict[str, float]] = []
    best, best_state, waited = float("inf"), None, 0
    was_training = generator.training
    generator.train()
    bar = tqdm(range(epochs), desc="tabgan[text] MLE", unit="epoch", disable=not verbose)
    for epoch in bar:
        order = train_idx[torch.randperm(len(train_idx), device=ids.device)]
        total, count = 0.0, 0
        for start in range(0, len(order), batch_size):
            b = order[start : start + batch_size]
            x = ids[b]
            c = None if cond is None else cond[b]
            z = torch.randn(len(b), generator.cfg.latent_dim, device=ids.device)
            tokens = generator.token_mask(x).sum()
            loss_sum = generator.nll(x, z, c).sum()
            opt.zero_grad(set_to_none=True)
            (loss_sum / tokens).backward()
            torch.nn.utils.clip_grad_norm_(generator.parameters(), grad_clip)
            opt.step()
            total += float(loss_sum.detach())
            count += int(tokens)
        row = {"epoch": float(epoch + 1), "train_nll": total / max(count, 1)}
        if n_val:
            generator.eval()
            vc = None if cond is None else cond[val_idx]
            row["val_nll"] = mean_token_nll(generator, ids[val_idx], vc)
            generator.train()
        history.append(row)
        score = row.get("val_nll", row["train_nll"])
        bar.set_postfix({k: f"{v:.3f}" for k, v in row.items() if k != "epoch"})
        if score < best - 1e-4:
            best, waited = score, 0
            best_state = copy.deepcopy(generator.state_dict())
        else:
            waited += 1
            if waited >= patience:
                break
    bar.close()
    if best_state is not None:
        generator.load_state_dict(best_state)
    generator.train(was_training)
    return history
