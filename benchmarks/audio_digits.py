"""WaveGAN on spoken digits: inception score and classifier confidence, speed, spectrograms.

Data: make it first with ``benchmarks/data/make_spoken_digits.py DIR`` (espeak-ng/flite/sox).
A small CNN is trained on 40-band log-mel features (torchaudio ``MelSpectrogram``) of the real
training clips; it then scores (a) real held-out clips, (b) clips from a WaveGAN trained for a
CPU budget, (c) clips from an untrained generator: inception score exp(E KL(p(y|x) || p(y)))
(WaveGAN paper, SC09 real data: 9.18 with its classifier) and the mean top-class probability.
Also measures generator steps/second for widths 16/32/64 at 1 and 2 torch threads.

    python benchmarks/audio_digits.py /tmp/digits --train-seconds 240 --width 16

Full-size run on a GPU (paper settings, d=64, about 200k steps are in the paper):
    python benchmarks/audio_digits.py DIR --width 64 --train-seconds 36000 --device cuda --threads 8
CPU speed table: python benchmarks/audio_digits.py DIR --speed-only
Writes benchmarks/results/audio_digits.md (and audio_digits_speed.md),
audio_digits_spectrograms.png and audio_digits_generated_*.wav.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from _common import StepClock, argument_parser, md_header, md_row, set_threads
from torch import nn

from tabgan import GANSynthesizer
from tabgan.plugins.audio import AudioAdapter, WaveGANGenerator, load_audio, to_wav

RATE, LENGTH = 16000, 16384
RESULTS = Path(__file__).resolve().parent / "results"


def log_mel(x: torch.Tensor) -> torch.Tensor:
    import torchaudio

    mel = torchaudio.transforms.MelSpectrogram(RATE, n_fft=1024, hop_length=256, n_mels=40)
    return torch.log(mel(x) + 1e-6)


class DigitCNN(nn.Module):
    def __init__(self, n_classes: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
            nn.Flatten(), nn.Dropout(0.3), nn.Linear(64, n_classes),
        )  # fmt: skip

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        return self.net(feats.unsqueeze(1))


def train_classifier(
    feats: torch.Tensor, y: torch.Tensor, n_classes: int, seconds: float
) -> tuple[DigitCNN, int]:
    gen = torch.Generator().manual_seed(0)
    mean, std = feats.mean(), feats.std()
    model = DigitCNN(n_classes)
    model.norm = (mean, std)  # type: ignore[assignment]
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    start, epochs = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        for idx in torch.randperm(len(y), generator=gen).split(32):
            loss = F.cross_entropy(model((feats[idx] - mean) / std), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        epochs += 1
    return model.eval(), epochs


@torch.no_grad()
def probs(model: DigitCNN, clips: np.ndarray) -> np.ndarray:
    mean, std = model.norm  # type: ignore[misc]
    feats = log_mel(torch.from_numpy(clips))
    return torch.softmax(model((feats - mean) / std), 1).numpy()


def inception_score(p: np.ndarray) -> float:
    marginal = p.mean(0, keepdims=True)
    kl = (p * (np.log(p + 1e-12) - np.log(marginal + 1e-12))).sum(1)
    return float(np.exp(kl.mean()))


def steps_per_second(width: int, threads: int, steps: int) -> float:
    """Generator steps (each with 5 critic steps, batch 64, slice 16384) per second.

    Timed between the ends of the first and the last step, so set-up and the first step's
    warm-up are left out.
    """
    set_threads(threads)
    x = np.random.default_rng(0).uniform(-0.5, 0.5, (64, LENGTH)).astype(np.float32)
    clock = StepClock()  # ticked at the end of every generator step
    gan = GANSynthesizer(
        AudioAdapter(width=width), epochs=steps, verbose=False, callbacks=[clock.callback()]
    )
    gan.fit(x)
    return clock.steps_per_second()


def speed_table() -> list[str]:
    lines = md_header(["width d", "steps timed", "steps/s, 1 thread", "steps/s, 2 threads"])
    for width, steps in ((16, 4), (32, 3), (64, 2)):
        s1, s2 = steps_per_second(width, 1, steps), steps_per_second(width, 2, steps)
        lines.append(md_row([width, steps - 1, f"{s1:.3f}", f"{s2:.3f}"]))
        print(lines[-1], flush=True)
    return lines


def spectrogram_png(real: np.ndarray, fake: np.ndarray, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(real)
    fig, axes = plt.subplots(2, n, figsize=(2.6 * n, 4.6), sharey=True)
    for row, (clips, name) in enumerate(((real, "real"), (fake, "generated"))):
        feats = log_mel(torch.from_numpy(clips)).numpy()
        for i in range(n):
            ax = axes[row, i]
            ax.imshow(feats[i], origin="lower", aspect="auto", cmap="magma")
            ax.set_title(f"{name} {i + 1}", fontsize=9)
            ax.set_xticks([])
    axes[0, 0].set_ylabel("mel band")
    axes[1, 0].set_ylabel("mel band")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argument_parser(__doc__)
    parser.add_argument("data", type=Path, nargs="?", help="folder from make_spoken_digits.py")
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--train-seconds", type=float, default=240.0)
    parser.add_argument("--classifier-seconds", type=float, default=60.0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--n-generated", type=int, default=200)
    parser.add_argument(
        "--speed-only",
        action="store_true",
        help="only time widths 16/32/64 at 1 and 2 threads (writes audio_digits_speed.md)",
    )
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    if args.speed_only:
        print("CPU steps/second, WaveGAN paper recipe (5 critic steps, batch 64, slice 16384)")
        lines = speed_table()
        (RESULTS / "audio_digits_speed.md").write_text(
            "# WaveGAN CPU speed (generator steps per second)\n\n"
            "Each step is 5 critic steps + 1 generator step at batch 64, slice 16384, on a "
            "shared 2-core machine (other jobs running).\n\n" + "\n".join(lines) + "\n"
        )
        return
    if args.data is None:
        parser.error("give the data folder (from benchmarks/data/make_spoken_digits.py)")
    print(f"torch threads: {set_threads(args.threads)}, device: {args.device}")

    loaded = load_audio(args.data, rate=RATE, length=LENGTH)
    names = sorted(set(loaded.labels or []))
    y_all = np.array([names.index(v) for v in loaded.labels or []])
    rng = np.random.default_rng(0)
    order = rng.permutation(len(y_all))
    n_test = len(order) // 5
    test, train = order[:n_test], order[n_test:]
    x_train, x_test = loaded.clips[train], loaded.clips[test]
    print(f"{len(train)} training clips, {len(test)} held-out, labels {names}")

    start = time.perf_counter()
    feats = log_mel(torch.from_numpy(x_train))
    clf, clf_epochs = train_classifier(
        feats, torch.from_numpy(y_all[train]), len(names), args.classifier_seconds
    )
    p_real = probs(clf, x_test)
    accuracy = float((p_real.argmax(1) == y_all[test]).mean())
    print(
        f"classifier: {clf_epochs} epochs in {time.perf_counter() - start:.0f} s, "
        f"held-out accuracy {accuracy:.3f}"
    )

    labels = [names[i] for i in y_all[train]]
    model = GANSynthesizer(
        AudioAdapter(width=args.width),
        epochs=100_000,
        max_seconds=args.train_seconds,
        device=args.device,
        random_state=0,
        verbose=False,
    )
    start = time.perf_counter()
    model.fit(x_train, labels, sample_rate=RATE)
    train_time = time.perf_counter() - start
    print(f"WaveGAN d={args.width}: {model.n_steps_} generator steps in {train_time:.0f} s")

    n = args.n_generated
    fake = model.sample(n, random_state=1)
    cond = torch.eye(len(names))[torch.randint(len(names), (n,), generator=torch.Generator())]
    with torch.no_grad():
        untrained_g = WaveGANGenerator(model.adapter_._config(100))
        untrained = untrained_g(torch.randn(n, 100), cond).squeeze(1).numpy()
    wanted = [names[i % len(names)] for i in range(n)]
    fake_cond = model.sample(n, conditions={"label": wanted}, random_state=2)
    p_cond = probs(clf, fake_cond)
    cond_acc = float((p_cond.argmax(1) == np.arange(n) % len(names)).mean())

    rows = []
    for name, p in (
        ("real held-out", p_real),
        (f"WaveGAN d={args.width}, {model.n_steps_} steps", probs(clf, fake)),
        ("untrained generator", probs(clf, untrained)),
    ):
        rows.append((name, inception_score(p), float(p.max(1).mean())))
    lines = [
        *md_header(["clips", "inception score", "mean top-class probability"]),
        *[md_row([a, f"{b:.2f}", f"{c:.3f}"]) for a, b, c in rows],
    ]
    print("\n".join(lines))
    print(f"conditional samples classified as the asked digit: {cond_acc:.3f} (chance 0.1)")

    spectrogram_png(x_test[:4], fake_cond[:4], RESULTS / "audio_digits_spectrograms.png")
    to_wav(fake_cond[:5], RESULTS, sample_rate=RATE, prefix="audio_digits_generated")
    md = [
        "# WaveGAN on locally rendered spoken digits",
        "",
        f"{len(train)} training / {len(test)} held-out 1-s clips (espeak-ng + flite, "
        "`benchmarks/data/make_spoken_digits.py`), 16 kHz, slice 16384.",
        f"Classifier: small CNN on 40-band log-mel, {args.classifier_seconds:.0f} s of training, "
        f"held-out accuracy {accuracy:.3f}.",
        f"WaveGAN: width d={args.width}, paper recipe (WGAN-GP, 5 critic steps, Adam 1e-4, batch "
        f"64), label-conditional, {model.n_steps_} generator steps in {train_time:.0f} s on "
        f"{args.device} with {args.threads} thread(s).",
        "",
        *lines,
        "",
        f"Conditional samples classified as the asked digit: {cond_acc:.3f} (chance 0.100).",
        "",
        "CPU speed: see audio_digits_speed.md (`--speed-only`).",
    ]
    (RESULTS / "audio_digits.md").write_text("\n".join(md) + "\n")
    print(f"wrote {RESULTS / 'audio_digits.md'}")


if __name__ == "__main__":
    main()
