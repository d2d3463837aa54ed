"""Texygen oracle benchmark for the text adapter's networks, at CPU scale.

A randomly initialised LSTM "oracle" (fixed seed, N(0, 1) weights as in Texygen) generates
training and held-out sequences (vocab 1000, length 20, no EOS). Then, for an untrained
generator, MLE only, and MLE + adversarial (RSGAN, Gumbel-softmax with the RelGAN temperature
schedule, the engine's GANTrainer), report:

- NLL_oracle: mean per-token NLL of 2000 generated sequences under the oracle (quality, lower
  is better);
- NLL_test: mean per-token NLL of 1000 held-out oracle sequences under the generator (coverage,
  lower is better), at the same sampling temperature as the samples (logits / temperature), so
  a low temperature's better NLL_oracle shows its cost in NLL_test.

It also times adversarial steps/second at (vocab 1000, len 20) and (vocab 5000, len 20).

    python benchmarks/text_oracle.py                 # ~5 minutes on one thread
    python benchmarks/text_oracle.py --quick         # smoke run
    python benchmarks/text_oracle.py --mle-only --temperatures 0.95 0.9 0.85 0.8 0.5
                                                     # the MLE temperature frontier only
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import torch
from _common import argument_parser, command_line, compute_note, markdown_table, set_threads

from tabgan.engine.losses import get_loss
from tabgan.engine.training import GANTrainer, TrainingConfig
from tabgan.plugins.text import (
    DiscriminatorConfig,
    GeneratorConfig,
    TextAdapter,
    TextDiscriminator,
    TextGenerator,
    TextSampler,
)
from tabgan.plugins.text.mle import mean_token_nll, mle_pretrain

RESULTS = Path(__file__).parent / "results"


def make_oracle(vocab: int, length: int, seed: int) -> TextGenerator:
    cfg = GeneratorConfig(
        vocab, length, 1, 0, bos_id=0, eos_id=None, pad_id=0, embed_dim=32, hidden_dim=32
    )
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        oracle = TextGenerator(cfg)
        for p in oracle.parameters():
            torch.nn.init.normal_(p, 0.0, 1.0)
    return oracle.eval()


def oracle_sample(oracle: TextGenerator, n: int) -> torch.Tensor:
    return oracle.sample_ids(torch.zeros(n, 1))


def oracle_nll(oracle: TextGenerator, ids: torch.Tensor) -> float:
    with torch.no_grad():
        return float(oracle.nll(ids, torch.zeros(len(ids), 1)).sum() / ids.numel())


def build(vocab: int, length: int, latent: int) -> tuple[TextGenerator, TextDiscriminator]:
    g = TextGenerator(GeneratorConfig(vocab, length, latent, 0, bos_id=0, eos_id=None, pad_id=0))
    d = TextDiscriminator(DiscriminatorConfig(vocab, length, 0))
    return g, d


def trainer_for(g, d, ids, vocab, length, steps, latent, max_temperature=100.0) -> GANTrainer:
    defaults = TextAdapter.training_defaults
    loss = get_loss(defaults["loss"])
    config = TrainingConfig(
        loss=loss.name,
        epochs=1,
        batch_size=defaults["batch_size"],
        latent_dim=latent,
        n_critic=defaults["n_critic"],
        generator_lr=defaults["lr"],
        discriminator_lr=defaults["lr"],
        betas=defaults["betas"],
        weight_decay=0.0,
        pac=1,
        gradient_penalty=0.0,
        r1=0.0,
        label_smoothing=0.0,
        instance_noise=0.0,
        mmd_weight=0.0,
        ema_decay=0.0,
        grad_clip=defaults["grad_clip"],
        max_seconds=None,
    )
    annealer = TextAdapter(max_temperature=max_temperature)
    return GANTrainer(
        g,
        d,
        lambda raw: raw,
        TextSampler(ids.float(), vocab, length, 0),
        config,
        torch.device("cpu"),
        steps,
        on_generator_step=annealer.on_train_step,
    )


def evaluate(
    name: str, g: TextGenerator, oracle: TextGenerator, test: torch.Tensor, temperature: float = 1.0
) -> dict[str, object]:
    g.eval()
    samples = g.sample_ids(torch.randn(2000, g.cfg.latent_dim), None, temperature)
    row = {
        "model": name,
        "NLL_oracle": oracle_nll(oracle, samples),
        "NLL_test": mean_token_nll(g, test, None, temperature=temperature),
        "distinct_seqs": len({tuple(s) for s in samples.tolist()}) / len(samples),
    }
    g.train()
    return row


def steps_per_second(vocab: int, length: int, n_steps: int) -> float:
    ids = torch.randint(0, vocab, (1000, length))
    g, d = build(vocab, length, 32)
    tr = trainer_for(g, d, ids, vocab, length, n_steps + 3, 32)
    for _ in range(3):
        tr.train_step()
    start = time.perf_counter()
    for _ in range(n_steps):
        tr.train_step()
    return n_steps / (time.perf_counter() - start)


def main() -> None:
    ap = argument_parser(
        __doc__, quick="smoke run: 500 sequences, 2 MLE epochs, 10 adversarial steps"
    )
    ap.add_argument("--n-train", type=int, default=5000)
    ap.add_argument("--mle-epochs", type=int, default=15)
    ap.add_argument("--adv-steps", type=int, default=400)
    ap.add_argument(
        "--temperatures",
        type=float,
        nargs="+",
        default=[0.8, 0.5],
        help="sampling temperatures of the extra MLE rows (the MLE quality/coverage frontier)",
    )
    ap.add_argument(
        "--mle-only",
        action="store_true",
        help="stop after the MLE rows (no adversarial phase, no timing, nothing written)",
    )
    args = ap.parse_args()
    if args.quick:
        args.n_train, args.mle_epochs, args.adv_steps = 500, 2, 10
    threads = set_threads(args.threads)
    vocab, length, latent = 1000, 20, 32
    load_start = os.getloadavg()[0]
    print(f"torch threads: {threads}; load average {load_start:.1f}")
    wall0 = time.perf_counter()
    torch.manual_seed(0)

    t0 = time.perf_counter()
    oracle = make_oracle(vocab, length, seed=1234)
    train, test = oracle_sample(oracle, args.n_train), oracle_sample(oracle, 1000)
    t_data = time.perf_counter() - t0
    oracle_self = oracle_nll(oracle, test)
    print(
        f"oracle data: {args.n_train} train + 1000 test seqs in {t_data:.1f}s; "
        f"oracle NLL of its own data: {oracle_self:.3f}"
    )

    rows = []
    g, d = build(vocab, length, latent)
    rows.append(evaluate("untrained", g, oracle, test) | {"seconds": 0.0})

    t0 = time.perf_counter()
    hist = mle_pretrain(
        g,
        train,
        None,
        epochs=args.mle_epochs,
        batch_size=64,
        lr=5e-3,
        validation=0.1,
        patience=3,
        verbose=False,
    )
    t_mle = time.perf_counter() - t0
    print(
        f"MLE: {len(hist)} epochs, {t_mle:.0f}s, best val NLL {min(h['val_nll'] for h in hist):.3f}"
    )
    rows.append(evaluate(f"MLE ({len(hist)} ep)", g, oracle, test) | {"seconds": t_mle})
    for temp in args.temperatures:
        rows.append(
            evaluate(f"MLE, temperature {temp}", g, oracle, test, temp) | {"seconds": t_mle}
        )

    if args.mle_only:
        import pandas as pd

        print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        return
    tr = trainer_for(g, d, train, vocab, length, args.adv_steps, latent)
    t0 = time.perf_counter()
    g.train()
    d.train()
    checkpoints = sorted({args.adv_steps // 4, args.adv_steps // 2, args.adv_steps})
    for step in range(1, args.adv_steps + 1):
        tr.train_step()
        if step in checkpoints:
            t_adv = time.perf_counter() - t0
            rows.append(
                evaluate(f"MLE + {step} adv steps", g, oracle, test) | {"seconds": t_mle + t_adv}
            )
            t0 = time.perf_counter() - t_adv
    import pandas as pd

    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))

    n_time = 5 if args.quick else 20
    speed = pd.DataFrame(
        [
            {
                "vocab": v,
                "length": 20,
                "batch": 64,
                "adv_steps_per_s": steps_per_second(v, 20, n_time),
            }
            for v in (1000, 5000)
        ]
    )
    print(speed.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    if not args.quick:
        RESULTS.mkdir(parents=True, exist_ok=True)
        out = RESULTS / "text_oracle.md"
        out.write_text(
            f"# Texygen oracle (vocab {vocab}, len {length}, {args.n_train} train seqs), "
            f"torch threads {threads}\n\n"
            f"Command: `{command_line(__file__)}`. Compute: {compute_note(load_start)}; "
            f"whole run {time.perf_counter() - wall0:.0f}s "
            f"(oracle data {t_data:.0f}s). MLE: at most {args.mle_epochs} epochs, batch 64, "
            f"lr 5e-3, 10% held out, patience 3; adversarial: {args.adv_steps} RSGAN steps, "
            f"batch 64, inverse temperature 1 -> 100 (exponential). The oracle's NLL of its own "
            f"held-out data (the entropy floor for NLL_test): {oracle_self:.3f}. "
            "NLL_oracle: 2000 generated sequences scored by the oracle; NLL_test: 1000 held-out "
            "oracle sequences scored by the generator (per token, nats; lower is better). "
            "`seconds` is cumulative training time.\n\n"
            + markdown_table(table, ".3f")
            + "\n\n"
            + markdown_table(speed, ".2f")
            + f"\n\nSpeed: adversarial steps per second (one critic + one generator step, "
            f"batch 64, default network sizes), mean of {n_time} steps after 3 warm-up steps, "
            f"{threads} torch thread(s).\n"
        )
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
