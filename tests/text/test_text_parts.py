"""Text adapter parts: tokenizers, truncation, the optional extra, networks, losses, BLEU."""

from __future__ import annotations

import builtins

import numpy as np
import pytest
import torch
from sklearn.base import clone

from tabgan import GANSynthesizer
from tabgan.plugins.text import (
    DiscriminatorConfig,
    GeneratorConfig,
    TextAdapter,
    TextDiscriminator,
    TextGenerator,
    bleu,
    self_bleu,
)
from tabgan.plugins.text.tokenizer import require_text_extra, tokenizer_from_state

TEXTS = [
    "turn on the kitchen lights",
    "turn off the bedroom lights",
    "play some jazz music",
    "what is the weather tomorrow",
    "set an alarm for seven",
] * 8
RNG = np.random.default_rng(0)


@pytest.mark.parametrize("kind", ["bpe", "wordpiece"])
def test_text_trained_tokenizer_round_trip(kind: str, tmp_path) -> None:
    adapter = TextAdapter(tokenizer=kind, vocab_size=300, max_length=10).fit(TEXTS, rng=RNG)
    ids = adapter.encode(TEXTS[:5]).data
    assert ids.shape == (5, 10) and ids.dtype == torch.int64
    assert adapter.decode(ids, rng=RNG) == TEXTS[:5]
    tok = adapter.tokenizer_
    # every row ends in exactly one EOS, then PAD
    assert ((ids == tok.eos_token_id).sum(1) == 1).all()
    # the saved tokenizer files and state rebuild the same tokenizer with no network
    files = adapter._save_files(tmp_path)
    assert all((tmp_path / f).is_file() for f in files)
    config, tensors = adapter._get_state()
    twin = TextAdapter(max_length=10)  # the engine restores params, files, then the state
    with pytest.raises(ValueError, match="tokenizer was not loaded"):
        twin._set_state(config, tensors)
    twin.restore(config, tensors, tmp_path)  # _load_files, then _set_state
    assert torch.equal(twin.encode(TEXTS[:5]).data, ids)


def test_text_user_tokenizer_folder_gets_special_tokens(tmp_path) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = sorted({w for t in TEXTS for w in t.split()})
    vocab = {w: i for i, w in enumerate(["<unk>", *words])}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    user = PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="<unk>")
    user.save_pretrained(tmp_path / "tok")
    n_before = len(user)
    for spec in (tmp_path / "tok", str(tmp_path / "tok"), user):
        adapter = TextAdapter(tokenizer=spec, max_length=8).fit(TEXTS, rng=RNG)
        tok = adapter.tokenizer_
        assert tok.pad_token and tok.bos_token and tok.eos_token
        assert adapter.vocab_size_ == n_before + 3  # PAD, BOS, EOS added; UNK kept
        ids = adapter.encode(["play some jazz music"]).data
        assert adapter.decode(ids, rng=RNG) == ["play some jazz music"]
    assert len(user) == n_before  # the user's object is left unchanged
    assert clone(TextAdapter(tokenizer=user)).tokenizer is not None


def test_text_long_texts_are_cut_counted_and_warned() -> None:
    long = ["one two three four five six seven eight nine ten"] * 3 + ["short one"]
    with pytest.warns(UserWarning, match="3 of 4 texts are longer than max_length=5"):
        adapter = TextAdapter(tokenizer="wordpiece", max_length=5).fit(long, rng=RNG)
    assert adapter.n_truncated_ == 3
    ids = adapter.encode(long).data
    assert ids.shape == (4, 5)
    assert (ids[:, -1][:3] == adapter.tokenizer_.eos_token_id).all()
    assert adapter.decode(ids, rng=RNG)[0] == "one two three four"


def test_text_missing_extra_names_the_install(monkeypatch) -> None:
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name in ("transformers", "tokenizers"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r'pip install "tabgan-engine\[text\]"'):
        require_text_extra()
    with pytest.raises(ImportError, match="tabgan-engine"):
        tokenizer_from_state({"json": "{}"})


def _gen(eos: int | None = 2) -> TextGenerator:
    cfg = GeneratorConfig(
        vocab_size=12,
        max_length=7,
        latent_dim=4,
        cond_dim=0,
        bos_id=1,
        eos_id=eos,
        pad_id=0,
        embed_dim=8,
        hidden_dim=16,
    )
    return TextGenerator(cfg)


def test_text_generator_relaxed_one_hots_and_padding() -> None:
    torch.manual_seed(0)
    g = _gen()
    g.inv_temperature.fill_(1000.0)
    with torch.no_grad():
        g.out.bias[2] = 2.0  # make EOS frequent
    y = g(torch.randn(64, 4))
    assert y.shape == (64, 7, 12)
    assert torch.allclose(y.sum(-1), torch.ones(64, 7), atol=1e-5)
    hard = y.argmax(-1)
    eos_seen = (torch.cumsum((hard == 2).long(), 1) - (hard == 2).long()) > 0
    assert eos_seen.any()
    assert (hard[eos_seen] == 0).all()  # PAD after EOS
    assert torch.equal(y[eos_seen], torch.nn.functional.one_hot(hard[eos_seen], 12).float())
    # gradients reach the generator through the relaxed outputs
    y.pow(2).sum().backward()
    assert g.out.weight.grad is not None and g.out.weight.grad.abs().sum() > 0


def test_text_generator_nll_counts_up_to_eos() -> None:
    g = _gen()
    ids = torch.tensor([[5, 6, 2, 0, 0, 0, 0], [5, 6, 7, 8, 9, 10, 2]])
    mask = g.token_mask(ids)
    assert mask.sum(1).tolist() == [3, 7]
    assert g.nll(ids, torch.zeros(2, 4)).shape == (2,)
    assert _gen(eos=None).token_mask(ids).all()
    # a sampling temperature scores under softmax(logits / T), the law sample_ids draws from
    z = torch.zeros(2, 4)
    with torch.no_grad():
        logp = torch.log_softmax(g.teacher_logits(ids, z) / 0.5, -1)
        manual = -(logp.gather(2, ids.unsqueeze(2)).squeeze(2) * mask).sum(1)
        assert torch.allclose(g.nll(ids, z, None, 0.5), manual, atol=1e-5)
        assert torch.equal(g.nll(ids, z, None, 1.0), g.nll(ids, z))


def test_text_discriminator_pac_unpacks_per_sample() -> None:
    torch.manual_seed(0)
    cfg = DiscriminatorConfig(
        vocab_size=12,
        max_length=7,
        cond_dim=3,
        pac=2,
        num_rep=4,
        embed_dim=8,
        num_filters=5,
        dropout=0.0,
    )
    d = TextDiscriminator(cfg).eval()
    x = torch.softmax(torch.randn(8, 7, 12), -1)
    c = torch.eye(3)[torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])]
    packed = x.reshape(4, 14, 12)
    out = d(packed, c.reshape(4, 6))
    assert out.shape == (4,)
    # swapping the two samples of the first pack changes its score (order-aware concat),
    # while the other packs are untouched
    swapped = x.clone()
    swapped[[0, 1]] = x[[1, 0]]
    c2 = c.clone()
    c2[[0, 1]] = c[[1, 0]]
    out2 = d(swapped.reshape(4, 14, 12), c2.reshape(4, 6))
    assert torch.allclose(out[1:], out2[1:]) and not torch.allclose(out[0], out2[0])


@pytest.mark.parametrize(("loss", "pac"), [("minimax", 1), ("wgan", 2), ("hinge", 1), ("lsgan", 2)])
def test_text_every_engine_loss_trains(loss: str, pac: int) -> None:
    adapter = TextAdapter(
        vocab_size=120,
        max_length=24,
        mle_epochs=0,
        embed_dim=8,
        hidden_dim=16,
        d_num_rep=2,
        d_filters=4,
    )
    synth = GANSynthesizer(
        adapter=adapter, loss=loss, pac=pac, epochs=1, batch_size=8, random_state=0, verbose=False
    ).fit(TEXTS)
    assert synth.n_steps_ == 5
    assert np.isfinite(synth.history_["d_loss"]).all()
    out = synth.sample(6, drop_copies=True)
    assert len(out) == 6 and all(isinstance(t, str) and t not in TEXTS for t in out)


def test_text_memorization_view_is_the_texts() -> None:
    import pandas as pd

    from tabgan.estimator.memorization import row_hashes

    adapter = TextAdapter(label_column="y", max_length=24)
    frame = pd.DataFrame({"text": TEXTS[:5], "y": [0, 1, 0, 1, 0]})
    by_frame, by_texts = row_hashes(
        [adapter.canonical_view(frame), adapter.canonical_view(TEXTS[:5])]
    )
    assert np.array_equal(by_frame, by_texts)


def test_text_bleu_and_self_bleu() -> None:
    refs = [t.split() for t in TEXTS[:5]]
    assert bleu(refs[:2], refs) == pytest.approx([1.0, 1.0])
    unrelated = [["zebra", "quantum", "violin", "marble", "x"]]
    assert bleu(unrelated, refs)[0] < 0.05
    assert self_bleu([refs[0]] * 4) == pytest.approx(1.0)
    assert self_bleu(refs) < 0.5
    with pytest.raises(ValueError):
        bleu(refs, [])


def test_text_adapter_is_registered_by_name() -> None:
    from tabgan.estimator.adapters import get_adapter

    assert get_adapter("text") is TextAdapter
    assert TextAdapter.training_defaults["loss"] == "rsgan"
