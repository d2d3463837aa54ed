"""The fast sampling paths (folded generator, compact samples), the layout versions and small
tables: each must give what the plain path gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from tabgan import GANSynthesizer
from tabgan.plugins.tabular import TabularAdapter
from tabgan.plugins.tabular.columns import IdColumn
from tabgan.plugins.tabular.networks import Generator, NetConfig

SMALL = {"generator_dims": (32, 32), "discriminator_dims": (32, 32)}


def _frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    miss = rng.random(n) < 0.3
    return pd.DataFrame(
        {
            "num": rng.normal(size=n),
            "int": rng.integers(0, 50, n),
            "cat": rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3, 0.2, 0.1]),
            "flag": rng.random(n) > 0.5,
            "nanf": np.where(miss, np.nan, rng.normal(size=n)),
            "c": pd.Categorical(rng.choice(["p", "q"], n)),
        }
    )


@pytest.fixture(scope="module")
def fitted() -> tuple[pd.DataFrame, GANSynthesizer]:
    df = _frame()
    gan = GANSynthesizer(
        adapter=TabularAdapter(**SMALL), epochs=2, batch_size=50, verbose=False, random_state=0
    )
    return df, gan.fit(df)


def _trained_generator(cond_dim: int, dims: tuple[int, ...] = (16, 24)) -> Generator:
    torch.manual_seed(0)
    g = Generator(8, NetConfig(data_dim=11, cond_dim=cond_dim, generator_dims=dims))
    g.train()
    with torch.no_grad():  # non-trivial BatchNorm statistics and affine parameters
        for _ in range(5):
            c = torch.zeros(64, cond_dim)
            if cond_dim:
                c[torch.arange(64), torch.randint(0, cond_dim, (64,))] = 1.0
            g(torch.randn(64, 8) * 2 + 1, c if cond_dim else None)
        for blk in g.body:
            blk.bn.weight.uniform_(0.5, 2.0)
            blk.bn.bias.uniform_(-1.0, 1.0)
    return g.eval()


@pytest.mark.parametrize("dims", [(16, 24), (16,), ()])
def test_generator_infer_matches_forward(dims: tuple[int, ...]) -> None:
    g = _trained_generator(5, dims)
    z = torch.randn(40, 8)
    slots = torch.randint(0, 5, (40,))
    cond = torch.zeros(40, 5).scatter_(1, slots[:, None], 1.0)
    with torch.no_grad():
        ref = g(z, cond)
    assert g.can_infer()
    assert torch.allclose(g.infer(z, slots=slots), ref, atol=1e-5)
    assert torch.allclose(g.infer(z, cond=cond), ref, atol=1e-5)
    assert torch.allclose(g.infer(z, slots=slots, transposed=True), ref.t(), atol=1e-5)
    soft = torch.softmax(torch.randn(40, 5), 1)  # not one-hot: the dense product
    with torch.no_grad():
        assert torch.allclose(g.infer(z, cond=soft), g(z, soft), atol=1e-5)
    # the folded weights follow in-place updates (an optimizer or EMA step)
    with torch.no_grad():
        g.head.weight.add_(0.5)
        assert torch.allclose(g.infer(z, slots=slots), g(z, cond), atol=1e-5)
    assert not g.train().can_infer()


@pytest.mark.parametrize("dims", [(16, 24), (16,), (12, 8, 4), ()])
@pytest.mark.parametrize("cond_dim", [0, 5])
def test_generator_forward_is_the_concatenated_network(dims, cond_dim) -> None:
    """forward() skips the concatenations; values, gradients and BatchNorm statistics must
    be those of ``head(body([z | cond]))``."""
    torch.manual_seed(0)
    a = Generator(8, NetConfig(data_dim=9, cond_dim=cond_dim, generator_dims=dims))
    b = Generator(8, NetConfig(data_dim=9, cond_dim=cond_dim, generator_dims=dims))
    b.load_state_dict(a.state_dict())
    z = torch.randn(40, 8)
    cond = torch.eye(cond_dim)[torch.randint(0, cond_dim, (40,))] if cond_dim else None
    x = z if cond is None else torch.cat([z, cond], 1)
    z_a = z.clone().requires_grad_(True)  # input gradients too (e.g. for a latent search)
    x_b = x.clone().requires_grad_(True)
    out_a, out_b = a(z_a, cond), b.head(b.body(x_b))
    torch.testing.assert_close(out_a, out_b, rtol=1e-5, atol=1e-5)
    (out_a * torch.arange(9.0)).sum().backward()
    (out_b * torch.arange(9.0)).sum().backward()
    torch.testing.assert_close(z_a.grad, x_b.grad[:, :8], rtol=1e-4, atol=1e-4)
    for (name, pa), pb in zip(a.named_parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(pa.grad, pb.grad, rtol=1e-4, atol=1e-4, msg=name)
    for ba, bb in zip(a.buffers(), b.buffers(), strict=True):
        torch.testing.assert_close(ba, bb)
    a.eval(), b.eval()
    torch.testing.assert_close(a(z, cond), b.head(b.body(x)), rtol=1e-5, atol=1e-5)


def test_generator_infer_without_cond() -> None:
    g = _trained_generator(0)
    z = torch.randn(30, 8)
    with torch.no_grad():
        ref = g(z, None)
    assert torch.allclose(g.infer(z), ref, atol=1e-5)
    assert torch.allclose(g.infer(z, transposed=True), ref.t(), atol=1e-5)


def test_generate_compact_rows_decode_like_one_hot(fitted) -> None:
    _, gan = fitted
    ad = gan.adapter_
    layout = ad.layout_
    with torch.inference_mode():
        cond = ad.sampling_conditions(400, None)
        x = ad.generate(gan.generator_.eval(), torch.randn(400, gan.config_.latent_dim), cond)
    assert x.shape == (400, layout.compact_width) and layout.compact_width < layout.width
    one_hot = layout.expand(x)
    assert one_hot.shape == (400, layout.width)
    assert torch.equal(layout.codes(one_hot[:, layout.n_tanh :]), x[:, layout.n_tanh :].long())
    a = ad.decode(x, rng=np.random.default_rng(3))
    b = ad.decode(one_hot, rng=np.random.default_rng(3))
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(ValueError, match="Expected rows of"):
        ad.decode(x[:, :-1], rng=np.random.default_rng(0))


def test_codes_of_soft_rows_are_the_argmax(fitted) -> None:
    _, gan = fitted
    layout = gan.adapter_.layout_
    soft = layout.softmax(torch.randn(50, layout.width - layout.n_tanh))
    codes = layout.codes(soft)
    for j, (o, w) in enumerate(zip(layout.seg_offset, layout.seg_width, strict=True)):
        assert torch.equal(codes[:, j], soft[:, o : o + w].argmax(1))


def test_sampling_is_deterministic(fitted) -> None:
    _, gan = fitted
    a = gan.sample(3000, random_state=7)
    b = gan.sample(3000, random_state=7)
    pd.testing.assert_frame_equal(a, b)
    c = gan.sample(3000, random_state=8)
    assert not a.equals(c)


def test_sampling_passes_follow_the_adapter_batch_size(fitted, monkeypatch) -> None:
    _, gan = fitted
    adapter = gan.adapter_
    assert adapter.sampling_batch_size == 8192  # a narrow table: the cap
    sizes: list[int] = []
    real = type(adapter).generate

    def spy(self, generator, z, cond, **kw):
        sizes.append(len(z))
        return real(self, generator, z, cond, **kw)

    monkeypatch.setattr(type(adapter), "generate", spy)
    gan.sample(10_000)
    assert sizes == [8192, 1808]
    sizes.clear()
    gan.sample(2_500, batch_size=1000)
    assert sizes == [1000, 1000, 500]
    wide = TabularAdapter()
    wide.layout_ = type("L", (), {"width": 10_000})()
    assert wide.sampling_batch_size == 1024


def test_layout_grouped_by_width_and_legacy_states(fitted, tmp_path) -> None:
    df, gan = fitted
    ad = gan.adapter_
    widths = ad.layout_.seg_width.tolist()
    assert ad.layout_.group_by_width and widths == sorted(widths)
    cfg, tensors = ad._get_state()
    assert cfg["layout"] == "by_width"
    same = TabularAdapter(**SMALL)
    same.restore(cfg, tensors, tmp_path)
    assert same.layout_.group_by_width and np.array_equal(same.layout_.order, ad.layout_.order)
    # a state saved before the grouping (no "layout" key) keeps the column order its
    # networks were trained in
    legacy = TabularAdapter(**SMALL)
    legacy.restore({k: v for k, v in cfg.items() if k != "layout"}, tensors, tmp_path)
    assert not legacy.layout_.group_by_width
    assert legacy._get_state()[0]["layout"] == "by_column"
    back = legacy.decode(legacy.encode(df).data, rng=np.random.default_rng(0))
    pd.testing.assert_frame_equal(back[["cat", "flag", "c"]], df[["cat", "flag", "c"]])


def test_id_column_hex_ids_vectorized() -> None:
    col = IdColumn().fit(pd.Series(["user-0001", "user-0002"] * 10), np.random.default_rng(0))
    out = col.decode(np.zeros((500, 0)), np.random.default_rng(4), "id")
    raw = np.random.default_rng(4).integers(0, 2**62, size=500, dtype=np.int64)
    assert out.tolist() == [f"user-000{v:016x}" for v in raw]


def test_small_table_batch_larger_than_table() -> None:
    """60 rows with the default batch of 500: the batch shrinks to 10 (a multiple of pac,
    about rows / 4), so an epoch is 6 steps; a batch the user sets larger than the table is
    kept (rows drawn with replacement). Training and sampling stay sound either way."""
    df = _frame(60, seed=3)
    gan = GANSynthesizer(adapter="tabular", epochs=3, verbose=False, random_state=0)
    gan.fit(df)
    assert gan.config_.batch_size == 10 and gan.n_steps_ == 3 * 6
    assert np.isfinite(gan.history_[["d_loss", "g_loss"]].to_numpy()).all()
    out = gan.sample(200)
    assert len(out) == 200 and out.dtypes.to_dict() == df.dtypes.to_dict()
    assert set(out["cat"]) <= set(df["cat"]) and out["int"].between(0, 49).all()
    forced = gan.sample(30, {"cat": "d"})
    assert (forced["cat"] == "d").all()
    big = GANSynthesizer(adapter="tabular", epochs=2, batch_size=500, verbose=False).fit(df)
    assert big.config_.batch_size == 500 and big.n_steps_ == 2
    assert np.isfinite(big.history_[["d_loss", "g_loss"]].to_numpy()).all()
    capped = GANSynthesizer(adapter="tabular", epochs=2, batch_size=60, verbose=False)
    assert capped.fit(df).n_steps_ == 2


def test_condition_loss_is_the_cross_entropy_of_the_conditioned_span() -> None:
    rng = np.random.default_rng(0)
    n = 400
    df = pd.DataFrame(
        {
            "a": rng.choice(list("abcde"), n),  # spans of widths 5, 2, 3 and a mixture's modes
            "x": rng.normal(size=n) + 5 * (rng.random(n) < 0.5),
            "b": rng.random(n) < 0.3,
            "c": rng.choice(["p", "q", "r"], n),
        }
    )
    ad = TabularAdapter(multi_conditions=0, partner_loss=0).fit(df, rng=np.random.default_rng(0))
    assert ad.layout_.group_by_width and len(set(ad.layout_.seg_width.tolist())) >= 3
    sampler = ad.make_sampler(ad.encode(df))
    x, cond = sampler.sample_real(300)
    assert torch.equal((x[:, ad.cond_.data_pos] * cond).sum(1), torch.ones(300))  # rows match
    _, info = sampler.sample_fake_conditions(300)
    raw = torch.randn(300, ad.layout_.width) * 3
    natural = raw[:, ad.layout_.model_pos]  # column order
    expected = []
    for i, g in enumerate(info.tolist()):
        j = int(ad.cond_.col_of[g])  # discrete column j, its span in column order
        t = ad._discrete[j]
        start = ad.starts_[ad.transformers_.index(t)]
        span = natural[i, start : start + t.width]
        local = g - sum(ad.cond_.widths[:j])
        expected.append(-torch.log_softmax(span, 0)[local])
    loss = sampler.condition_loss(raw, info)
    assert torch.allclose(loss, torch.stack(expected).mean(), atol=1e-5)


def test_layout_without_spans() -> None:
    from tabgan.plugins.tabular.spans import SpanLayout

    layout = SpanLayout([])
    assert layout.width == layout.compact_width == 0 and layout.groups == []
    with pytest.raises(ValueError, match="Nothing to learn"):
        TabularAdapter().fit(pd.DataFrame({"k": [3, 3, 3]}), rng=np.random.default_rng(0))
