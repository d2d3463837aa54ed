"""The text adapter end to end: grammar learned, save/load offline, conditions, errors."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import torch

from tabgan import GANSynthesizer
from tabgan.plugins.text import TextAdapter
from tabgan.testing import assert_same_networks

SUBJECTS = ["the cat", "a dog", "my friend", "the teacher", "our neighbour"]
VERBS = ["likes", "sees", "finds", "wants"]
OBJECTS = ["the ball", "a book", "the garden", "some food", "a red car"]
GRAMMAR = re.compile(rf"^({'|'.join(SUBJECTS)}) ({'|'.join(VERBS)}) ({'|'.join(OBJECTS)})\.$")


def corpus(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return [f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}." for _ in range(n)]


def grammatical(texts: list[str]) -> float:
    return float(np.mean([bool(GRAMMAR.match(t)) for t in texts]))


SMALL = dict(vocab_size=200, max_length=12, embed_dim=32, hidden_dim=64, d_num_rep=4, d_filters=16)


@pytest.fixture(scope="module")
def fitted() -> GANSynthesizer:
    adapter = TextAdapter(mle_epochs=25, mle_lr=1e-2, **SMALL)
    return GANSynthesizer(adapter=adapter, epochs=4, random_state=0, verbose=False).fit(corpus(300))


def test_text_learns_the_grammar(fitted: GANSynthesizer) -> None:
    adapter = fitted.adapter_
    # An untrained generator on the same tokenizer: almost never a grammatical sentence.
    with torch.random.fork_rng():
        torch.manual_seed(0)
        g0 = adapter.build_generator(fitted.config_.latent_dim).eval()
        ids = adapter.generate(g0, torch.randn(200, fitted.config_.latent_dim), None)
    untrained = grammatical(adapter.decode(ids, rng=np.random.default_rng(0)))
    trained = grammatical(fitted.sample(200, random_state=1))
    assert untrained < 0.05
    assert trained > 0.8
    # MLE ran with a held-out NLL that improved; the adversarial phase ran and annealed.
    hist = adapter.mle_history_
    assert hist[-1]["val_nll"] < hist[0]["val_nll"] - 0.5
    assert fitted.n_steps_ == 4 * 5
    assert float(fitted.generator_.inv_temperature) == pytest.approx(100.0)
    assert {"d_loss", "g_loss"} <= set(fitted.history_.columns)


def test_text_temperature_trades_quality_for_diversity(fitted: GANSynthesizer) -> None:
    cold = fitted.sample(200, random_state=2, temperature=0.3)
    hot = fitted.sample(200, random_state=2, temperature=3.0)
    assert grammatical(cold) > grammatical(hot)
    assert len(set(hot)) > len(set(cold))
    with pytest.raises(ValueError, match="temperature"):
        fitted.sample(3, temperature=0)
    with pytest.raises(TypeError, match="top_k"):
        fitted.sample(3, top_k=5)


def test_text_save_load_offline_same_samples(fitted: GANSynthesizer, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    fitted.save(tmp_path / "m")
    assert not list((tmp_path / "m").glob("*.bin")) and not list((tmp_path / "m").glob("*.pkl"))
    loaded = GANSynthesizer.load(tmp_path / "m")
    assert loaded.sample(50, random_state=7) == fitted.sample(50, random_state=7)
    texts = corpus(20, seed=3)
    assert torch.equal(loaded.adapter_.encode(texts).data, fitted.adapter_.encode(texts).data)
    assert loaded.adapter_.mle_history_ == fitted.adapter_.mle_history_
    # The tokenizer is saved as standard transformers files, readable without tabgan...
    from transformers import PreTrainedTokenizerFast

    files = json.loads((tmp_path / "m" / "model.json").read_text())["files"]
    assert "adapter/tokenizer/tokenizer.json" in files
    exported = PreTrainedTokenizerFast.from_pretrained(
        str(tmp_path / "m" / "adapter" / "tokenizer")
    )
    assert exported("the cat").input_ids == fitted.adapter_.tokenizer_("the cat").input_ids
    # ...and checked on load like the weights.
    with (tmp_path / "m" / "adapter" / "tokenizer" / "tokenizer.json").open("a") as f:
        f.write(" ")
    with pytest.raises(ValueError, match="tokenizer.json does not match the checksum"):
        GANSynthesizer.load(tmp_path / "m")


def test_text_conditional_sampling() -> None:
    rng = np.random.default_rng(0)
    names = ["anna", "bob", "carl", "dora"]
    greet = [f"hello {rng.choice(names)}, nice to meet you" for _ in range(120)]
    bye = [f"goodbye {rng.choice(names)}" for _ in range(120)]
    df = pd.DataFrame({"text": greet + bye, "intent": ["greet"] * 120 + ["bye"] * 120})
    adapter = TextAdapter(label_column="intent", mle_epochs=15, mle_lr=1e-2, **SMALL)
    synth = GANSynthesizer(adapter=adapter, epochs=1, random_state=0, verbose=False).fit(df)
    hello = synth.sample(100, conditions={"label": "greet"}, random_state=1)
    ciao = synth.sample(100, conditions={"intent": "bye"}, random_state=1)
    assert np.mean([t.startswith("hello") for t in hello]) > 0.9
    assert np.mean([t.startswith("goodbye") for t in ciao]) > 0.9
    assert len(synth.sample(10)) == 10  # labels drawn by frequency
    mixed = synth.sample(4, conditions={"label": ["bye", "greet", "bye", "greet"]})
    assert [t.startswith("goodbye") for t in mixed] == [True, False, True, False]
    with pytest.raises(ValueError, match="3 label values given for n=4"):
        synth.sample(4, conditions={"label": ["bye"] * 3})
    with pytest.raises(ValueError, match="Unknown label 'thanks'"):
        synth.sample(5, conditions={"label": "thanks"})
    with pytest.raises(ValueError, match="Unknown condition"):
        synth.sample(5, conditions={"colour": "red"})


@pytest.mark.parametrize(
    ("data", "error", "match"),
    [
        ([], ValueError, "empty"),
        (["fine", 3], TypeError, "Text 1 is int"),
        ("just one string", TypeError, "not a single string"),
        (pd.DataFrame({"body": ["a b"]}), ValueError, "no text column 'text'"),
        (42, TypeError, "list or Series"),
        (["fine", None], ValueError, r"1 of 2 texts in the data are missing \(NaN/None\)"),
        (
            pd.Series(["a b", np.nan, "c", np.nan], index=[10, 11, 12, 13]),
            ValueError,
            r"2 of 4 texts .* missing \(NaN/None\), the first at position 1 \(index 11\)",
        ),
        (
            pd.DataFrame({"text": ["a b", pd.NA], "y": [0, 1]}),
            ValueError,
            r"1 of 2 texts in column 'text' are missing",
        ),
    ],
)
def test_text_bad_input(data, error, match) -> None:
    with pytest.raises(error, match=match):
        TextAdapter().fit(data, rng=np.random.default_rng(0))


def test_text_label_column_needs_a_frame() -> None:
    with pytest.raises(ValueError, match="label_column='intent'"):
        TextAdapter(label_column="intent").fit(["a b"], rng=np.random.default_rng(0))
    df = pd.DataFrame({"text": ["a b"]})
    with pytest.raises(ValueError, match="no label column 'intent'"):
        TextAdapter(label_column="intent").fit(df, rng=np.random.default_rng(0))


def test_text_unconditional_model_rejects_conditions() -> None:
    adapter = TextAdapter(**SMALL).fit(corpus(30), rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="no labels"):
        adapter.sampling_conditions(3, {"label": "x"})


def test_text_bad_params() -> None:
    with pytest.raises(ValueError, match="max_length"):
        TextAdapter(max_length=1).fit(["a"], rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="max_temperature"):
        TextAdapter(max_temperature=0.5).fit(["a"], rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="`tokenizer`"):
        TextAdapter(tokenizer="no-such-folder").fit(["a"], rng=np.random.default_rng(0))


def test_text_temperature_schedule_is_exponential_per_step() -> None:
    adapter = TextAdapter(max_temperature=1000.0, **SMALL).fit(
        corpus(30), rng=np.random.default_rng(0)
    )
    g = adapter.build_generator(4)
    assert float(g.inv_temperature) == 1.0  # before the first adversarial step
    seen = []
    for step in range(1, 11):  # what GANTrainer calls after each generator step
        adapter.on_generator_step(g, step, 10)
        seen.append(float(g.inv_temperature))
    assert seen == pytest.approx([1000.0 ** (k / 10) for k in range(1, 11)])
    assert seen[-1] == pytest.approx(1000.0)


def test_text_mle_early_stops_on_held_out_nll_and_keeps_the_best() -> None:
    from tabgan.plugins.text.mle import mean_token_nll, mle_pretrain

    torch.manual_seed(0)
    adapter = TextAdapter(**SMALL).fit(corpus(30), rng=np.random.default_rng(0))
    g = adapter.build_generator(4)
    # random token strings: memorized quickly, so the held-out NLL turns up and training stops
    ids = torch.randint(5, adapter.vocab_size_, (60, 12))
    rng_state = torch.get_rng_state()
    hist = mle_pretrain(
        g,
        ids,
        None,
        epochs=200,
        batch_size=10,
        lr=3e-2,
        validation=0.5,
        patience=2,
        verbose=False,
    )
    val = [h["val_nll"] for h in hist]
    best = int(np.argmin(val))
    assert len(hist) == best + 1 + 2 < 200  # stopped `patience` epochs after the best
    assert val[-1] > val[best] + 0.1 and hist[-1]["train_nll"] < hist[best]["train_nll"]
    # the best epoch's weights are restored: re-measure on the same held-out half
    torch.set_rng_state(rng_state)
    held_out = ids[torch.randperm(60)[:30]]  # the split mle_pretrain drew first
    g.eval()
    assert mean_token_nll(g, held_out, None) == pytest.approx(val[best], abs=0.05)


def test_text_label_conditional_resume_matches_an_uninterrupted_run(tmp_path) -> None:
    from tabgan import Callback

    class StopAt(Callback):
        def on_epoch_end(self, est, logs) -> None:
            trainer = est.trainer_
            if trainer.epoch == 1:
                trainer.stop_training = True

    texts = corpus(40, seed=4)
    frame = pd.DataFrame({"text": texts, "intent": ["a" if "cat" in t else "b" for t in texts]})
    small = {**SMALL, "embed_dim": 8, "hidden_dim": 16, "d_num_rep": 2, "d_filters": 4}
    kw = dict(epochs=2, batch_size=10, random_state=0, verbose=False)

    def synth(**extra) -> GANSynthesizer:
        adapter = TextAdapter(label_column="intent", mle_epochs=2, **small)
        return GANSynthesizer(adapter=adapter, **kw, **extra)

    straight = synth().fit(frame)
    synth(callbacks=[StopAt()], checkpoint_dir=tmp_path / "c").fit(frame)
    resumed = synth().fit(frame, resume_from=tmp_path / "c")
    assert resumed.n_steps_ == straight.n_steps_ == 2 * 4
    assert_same_networks(straight, resumed)
    assert resumed.adapter_.label_names_ == ["a", "b"]
    assert resumed.adapter_.mle_history_ == straight.adapter_.mle_history_
    for label in ("a", "b"):
        assert resumed.sample(8, conditions={"label": label}, random_state=3) == straight.sample(
            8, conditions={"label": label}, random_state=3
        )
