"""Augment a small intent-classification set with a text GAN (the ``text`` adapter).

Fits ``GANSynthesizer(adapter="text")`` on templated smart-home requests with an ``intent``
label, then samples new requests per intent and at two temperatures, and saves/reloads the model
(tokenizer included, no network needed).

    python examples/text_intents.py            # about a minute on one CPU thread
    python examples/text_intents.py --quick    # a few seconds (also: TABGAN_QUICK=1)
"""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np
import pandas as pd
import torch

from tabgan import GANSynthesizer
from tabgan.plugins.text import TextAdapter

TEMPLATES = {
    "lights": ["turn {on_off} the {room} lights", "switch {on_off} the lights in the {room}"],
    "music": ["play some {genre} music", "put on {genre} in the {room}"],
    "weather": ["what is the weather {when}", "will it rain {when}"],
}
FILLERS = {
    "on_off": ["on", "off"],
    "room": ["kitchen", "bedroom", "living room", "bathroom"],
    "genre": ["jazz", "rock", "classical", "pop"],
    "when": ["today", "tomorrow", "this weekend", "tonight"],
}


def make_intents(n_per_intent: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for intent, templates in TEMPLATES.items():
        for _ in range(n_per_intent):
            template = templates[rng.integers(len(templates))]
            slots = {k: v[rng.integers(len(v))] for k, v in FILLERS.items()}
            rows.append({"text": template.format(**slots), "intent": intent})
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", default=os.environ.get("TABGAN_QUICK") == "1")
    args = ap.parse_args()
    torch.set_num_threads(1)
    df = make_intents(60 if args.quick else 200)
    adapter = TextAdapter(
        label_column="intent",
        vocab_size=300,
        max_length=16,
        mle_epochs=40,
        mle_lr=1e-2,
        hidden_dim=64,
    )
    synth = GANSynthesizer(
        adapter=adapter, epochs=1 if args.quick else 5, random_state=0, verbose=not args.quick
    )
    synth.fit(df)
    print(
        f"{len(df)} requests, {synth.adapter_.vocab_size_} tokens, "
        f"{len(synth.adapter_.mle_history_)} MLE epochs, {synth.n_steps_} adversarial steps"
    )
    for intent in TEMPLATES:
        print(f"[{intent}]", synth.sample(3, conditions={"intent": intent}, random_state=1))
    for temperature in (0.5, 1.5):
        out = synth.sample(200, random_state=2, temperature=temperature)
        new = np.mean([t not in set(df.text) for t in out])
        print(f"temperature {temperature}: {len(set(out))} distinct of 200, {new:.0%} unseen")
    augmented = pd.concat(
        [
            df,
            pd.DataFrame(
                {"text": synth.sample(30, conditions={"intent": "music"}), "intent": "music"}
            ),
        ],
        ignore_index=True,
    )
    print(f"augmented set: {len(augmented)} rows")
    with tempfile.TemporaryDirectory() as tmp:
        synth.save(tmp)
        again = GANSynthesizer.load(tmp)
        assert again.sample(5, random_state=3) == synth.sample(5, random_state=3)
        print("saved and reloaded: identical samples")


if __name__ == "__main__":
    main()
