# Not collected by pytest (tests/data is not a test folder): run by hand, see README.md.
"""Write tiny models in the release-0.1.0 (format 1) layout, and the samples they give."""

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from tabgan import GANSynthesizer
from tabgan.plugins.tabular import TabularAdapter
from tabgan.plugins.text import TextAdapter
from tabgan.vector import VectorAdapter

out = Path(sys.argv[1])
rng = np.random.default_rng(0)
n = 120
df = pd.DataFrame(
    {
        "age": rng.integers(18, 80, n),
        "income": np.round(rng.lognormal(10, 0.5, n), 2),
        "city": rng.choice(["Oslo", "Lima", "Pune"], n),
        "member": rng.random(n) < 0.3,
        "score": np.where(rng.random(n) < 0.1, np.nan, rng.normal(0, 1, n)),
    }
)
tab = GANSynthesizer(
    TabularAdapter(generator_dims=(16,), discriminator_dims=(16,), max_modes=2),
    epochs=2,
    batch_size=40,
    pac=4,
    random_state=0,
    verbose=False,
).fit(df)
tab.save(out / "tabular")
tab.sample(20, random_state=7).to_csv(out / "tabular_samples.csv", index=False)

x = rng.normal(size=(200, 3)).astype(np.float32)
vec = (
    GANSynthesizer("vector", epochs=2, random_state=0, verbose=False)
    .set_params(adapter=VectorAdapter(hidden=(16,)))
    .fit(x)
)
vec.save(out / "vector")
np.savetxt(out / "vector_samples.txt", vec.sample(10, random_state=7), fmt="%.9g")

texts = [
    f"the {w} is {c}" for w in ["cat", "dog", "sky", "sea"] for c in ["red", "blue", "calm"]
] * 5
tx = GANSynthesizer(
    TextAdapter(
        vocab_size=60,
        max_length=8,
        embed_dim=8,
        hidden_dim=16,
        d_num_rep=2,
        d_filters=4,
        mle_epochs=1,
    ),
    epochs=1,
    batch_size=20,
    random_state=0,
    verbose=False,
).fit(texts)
tx.save(out / "text")
(out / "text_samples.json").write_text(json.dumps(tx.sample(5, random_state=7)))
