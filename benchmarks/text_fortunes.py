"""Fortunes benchmark: BLEU-2..4 against held-out sentences and self-BLEU, MLE vs MLE + GAN.

Real short texts from Debian's ``fortunes`` / ``fortunes-min`` (``apt-get install -y fortunes
fortunes-min``): entries split on ``%`` lines, joined onto one line, the ``-- author`` tail
dropped, 3-30 words kept. One ``GANSynthesizer(adapter="text")`` fit gives both models: the
generator right after MLE pre-training (snapshotted by a callback when adversarial training
begins) and after the adversarial epochs. Both are sampled across temperatures; the
quality (BLEU-4 vs held-out) / diversity (self-BLEU-4) trade-off is plotted
(``benchmarks/results/text_fortunes_temperature.png``), as Caccia et al. (2020) advise.

    python benchmarks/text_fortunes.py            # ~6 minutes on one thread
    python benchmarks/text_fortunes.py --quick
"""

from __future__ import annotations

import copy
import os
import re
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _common import (  # noqa: E402
    argument_parser,
    command_line,
    compute_note,
    markdown_table,
    set_threads,
)

from tabgan import GANSynthesizer  # noqa: E402
from tabgan.engine.callbacks import Callback  # noqa: E402
from tabgan.plugins.text import TextAdapter, bleu, self_bleu  # noqa: E402

FORTUNES = Path("/usr/share/games/fortunes")
RESULTS = Path(__file__).parent / "results"
WORD = re.compile(r"\w+|[^\w\s]")


def load_fortunes(folder: Path = FORTUNES) -> list[str]:
    if not folder.is_dir():
        raise SystemExit(f"{folder} not found: apt-get install -y fortunes fortunes-min")
    out: list[str] = []
    for path in sorted(folder.iterdir()):
        if path.suffix in (".dat", ".u8") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for entry in re.split(r"^%\s*$", text, flags=re.M):
            entry = " ".join(entry.split())
            entry = re.split(r"\s--\s|\s-- ", entry)[0].strip()
            if 3 <= len(entry.split()) <= 30:
                out.append(entry)
    return sorted(set(out))


def words(texts: list[str]) -> list[list[str]]:
    return [WORD.findall(t.lower()) for t in texts]


class SnapshotAtStart(Callback):
    """Keeps the generator's weights as they are when adversarial training begins (after MLE)."""

    def on_train_begin(self, trainer) -> None:  # type: ignore[no-untyped-def]
        self.state = copy.deepcopy(trainer.generator.state_dict())


def scores(samples: list[str], refs: list[list[str]]) -> dict[str, float]:
    toks = words(samples)
    row = {f"BLEU-{n}": float(bleu(toks, refs, n).mean()) for n in (2, 3, 4)}
    row |= {f"selfBLEU-{n}": self_bleu(toks, n) for n in (2, 3, 4)}
    row["distinct"] = len(set(samples)) / len(samples)
    return row


def main() -> None:
    quick = "smoke run: 400 sentences, 1 MLE epoch, T=1 only, nothing written"
    ap = argument_parser(__doc__, quick=quick)
    ap.add_argument("--n-train", type=int, default=5000)
    ap.add_argument("--mle-epochs", type=int, default=12)
    ap.add_argument("--adv-epochs", type=int, default=1)
    ap.add_argument("--n-samples", type=int, default=500)
    args = ap.parse_args()
    if args.quick:
        args.n_train, args.mle_epochs, args.adv_epochs, args.n_samples = 400, 1, 1, 50
    threads = set_threads(args.threads)
    load_start = os.getloadavg()[0]
    print(f"torch threads: {threads}; load average {load_start:.1f}")
    wall0 = time.perf_counter()

    texts = load_fortunes()
    rng = np.random.default_rng(0)
    order = rng.permutation(len(texts))
    train = [texts[i] for i in order[: args.n_train]]
    held = [texts[i] for i in order[args.n_train : args.n_train + 1000 + args.n_samples]]
    refs, real_probe = words(held[:1000]), held[1000:]
    print(
        f"fortunes: {len(texts)} sentences of 3-30 words; train {len(train)}, "
        f"held-out refs {len(refs)}, real probe {len(real_probe)}"
    )

    adapter = TextAdapter(vocab_size=2000, max_length=48, mle_epochs=args.mle_epochs)
    snap = SnapshotAtStart()
    synth = GANSynthesizer(
        adapter=adapter, epochs=args.adv_epochs, random_state=0, verbose=False, callbacks=[snap]
    )
    t0 = time.perf_counter()
    synth.fit(train)
    hist = synth.adapter_.mle_history_
    fit_line = (
        f"fit {time.perf_counter() - t0:.0f}s: {len(hist)} MLE epochs (val NLL/token "
        f"{hist[0]['val_nll']:.2f} -> {min(h['val_nll'] for h in hist):.2f}), "
        f"{synth.n_steps_} adversarial steps (batch {synth.config_.batch_size}); "
        f"{synth.adapter_.n_truncated_} texts cut at 48 tokens"
    )
    print(fit_line)
    mle = copy.copy(synth)
    mle.generator_ = copy.deepcopy(synth.generator_)
    mle.generator_.load_state_dict(snap.state)

    rows = [{"model": "real held-out", "temperature": float("nan")} | scores(real_probe, refs)]
    temps = [1.0] if args.quick else [0.5, 0.7, 0.85, 1.0, 1.2]
    examples = {}
    for name, model in (("MLE", mle), ("MLE+GAN", synth)):
        for t in temps:
            samples = model.sample(args.n_samples, random_state=1, temperature=t)
            rows.append({"model": name, "temperature": t} | scores(samples, refs))
        examples[name] = model.sample(4, random_state=2, temperature=1.0)
        print(f"{name} samples: {examples[name]}")
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    if args.quick:
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    table.to_csv(RESULTS / "text_fortunes.csv", index=False)
    # the markdown table: the first 8 columns, the temperature as "T" (blank for real text)
    md_table = table.iloc[:, :8].rename(columns={"temperature": "T"})
    md_table["T"] = [("" if np.isnan(t) else f"{t:g}") for t in table["temperature"]]
    md = [
        f"# Fortunes: BLEU vs held-out and self-BLEU, MLE vs MLE+GAN ({len(train)} train "
        f"sentences, {args.n_samples} samples per row)",
        "",
        f"Command: `{command_line(__file__)}`. Compute: {compute_note(load_start)}; "
        f"whole run {time.perf_counter() - wall0:.0f}s. {fit_line}. "
        f"References: {len(refs)} held-out sentences; BLEU/self-BLEU on lower-cased word "
        f"tokens. Table also in `text_fortunes.csv`, plot `text_fortunes_temperature.png`.",
        "",
        markdown_table(md_table, ".3f"),
    ]
    md += ["", "Samples at T=1:", ""]
    md += [f"- {name}: " + " / ".join(f"`{x}`" for x in xs) for name, xs in examples.items()]
    (RESULTS / "text_fortunes.md").write_text("\n".join(md) + "\n")
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for name, marker in (("MLE", "o"), ("MLE+GAN", "s")):
        part = table[table.model == name]
        ax.plot(part["BLEU-4"], part["selfBLEU-4"], marker=marker, label=name)
        for _, r in part.iterrows():
            ax.annotate(f"T={r.temperature:g}", (r["BLEU-4"], r["selfBLEU-4"]), fontsize=7)
    real = table[table.model == "real held-out"].iloc[0]
    ax.scatter([real["BLEU-4"]], [real["selfBLEU-4"]], marker="*", s=150, c="k", label="real")
    ax.set_xlabel("BLEU-4 vs held-out (quality, higher is better)")
    ax.set_ylabel("self-BLEU-4 (lower is more diverse)")
    ax.set_title(f"fortunes, {len(train)} train sentences, {args.n_samples} samples")
    ax.legend()
    fig.tight_layout()
    fig.savefig(RESULTS / "text_fortunes_temperature.png", dpi=120)
    print(f"wrote {RESULTS}/text_fortunes.csv, .md and text_fortunes_temperature.png")


if __name__ == "__main__":
    main()
