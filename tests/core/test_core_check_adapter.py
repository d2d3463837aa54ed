"""The conformance suite ``tabgan.testing``: it passes for the four adapters of this package and
fails, naming the right check, for adapters broken on purpose."""

from __future__ import annotations

import random
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
import torch

import tabgan.estimator.adapters as adapters
from tabgan import VectorAdapter
from tabgan.engine.data import DataSampler, Encoded, TrainingSampler
from tabgan.testing import adapter_checks, assert_equivalent, check_adapter, parametrize_with_checks

pytest.importorskip("torchaudio")
pytest.importorskip("transformers")

from tabgan.plugins.audio import AudioAdapter  # noqa: E402
from tabgan.plugins.tabular import TabularAdapter  # noqa: E402
from tabgan.plugins.text import TextAdapter  # noqa: E402

RNG = np.random.default_rng(0)


# -- tiny data and adapters -------------------------------------------------------------------
def _vectors(n: int = 64) -> np.ndarray:
    return np.random.default_rng(0).normal(5.0, 2.0, (n, 3))


def _table(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "num": rng.normal(10, 3, n),
            "cat": rng.choice(["a", "b", "c"], n),
            "flag": rng.random(n) > 0.5,
        }
    )


def _tones(n: int = 32, length: int = 1024) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(0)
    t = np.arange(length) / 8000
    freq = np.where(np.arange(n) < n // 2, 500.0, 2500.0)[:, None]
    clips = 0.4 * np.sin(2 * np.pi * freq * t + rng.uniform(0, 6.3, (n, 1)))
    return clips.astype(np.float32), ["low"] * (n // 2) + ["high"] * (n - n // 2)


WORDS = ["the cat", "a dog", "my friend"], ["likes", "sees"], ["the ball", "a book", "some food"]


def _texts(n: int = 40) -> list[str]:
    rng = np.random.default_rng(0)
    return [" ".join(rng.choice(part) for part in WORDS) + "." for _ in range(n)]


TEXT_SMALL = dict(
    vocab_size=100,
    max_length=8,
    embed_dim=8,
    hidden_dim=16,
    d_embed_dim=8,
    d_num_rep=2,
    d_filters=4,
    mle_epochs=1,
)
CLIPS, CLIP_LABELS = _tones()
TEXTS = _texts()
TEXT_FRAME = pd.DataFrame({"text": TEXTS, "label": ["a", "b"] * (len(TEXTS) // 2)})


def _cat_is(samples: pd.DataFrame, conditions: dict[str, Any]) -> bool:
    return bool((samples["cat"] == conditions["cat"]).all())


CASES: list[tuple[Any, Any, dict[str, Any]]] = [
    (VectorAdapter(hidden=(16,)), _vectors(), {"bad_data": [np.array([[1.0, np.nan, 2.0]])]}),
    (
        TabularAdapter(max_modes=2, generator_dims=(16,), discriminator_dims=(16,)),
        _table(),
        {
            "synth_params": {"pac": 2, "batch_size": 20},
            "conditions": [{"cat": "a"}, {"cat": "c"}],
            "satisfies": _cat_is,
            "bad_data": [pd.DataFrame({"x": [[1, 2], [3]]})],
        },
    ),
    (
        AudioAdapter(sample_rate=8000, slice_len=1024, width=4),
        CLIPS,
        {"y": CLIP_LABELS, "synth_params": {"batch_size": 16, "n_critic": 1}},
    ),
    (TextAdapter(**TEXT_SMALL), TEXTS, {"synth_params": {"batch_size": 16}}),
    (
        TextAdapter(label_column="label", **TEXT_SMALL),
        TEXT_FRAME,
        {"synth_params": {"batch_size": 16}},
    ),
]


@parametrize_with_checks(CASES)
def test_the_adapters_of_this_package_pass_every_check(check):
    check()


def test_ids_name_the_adapter_and_the_check():
    mark = parametrize_with_checks(CASES[:1] + CASES[3:])
    ids = mark.kwargs["ids"]
    assert "VectorAdapter-check_round_trip" in ids and "TextAdapter-2-check_resume" in ids
    assert len(ids) == len(set(ids))


def test_tabular_resume_with_a_multimodal_column():
    """A restored tabular adapter encodes as the fitted one did (its ``encode_seed_``)."""
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"num": rng.normal(10, 3, 80), "int": rng.integers(-5, 100, 80)})
    adapter = TabularAdapter(max_modes=2, generator_dims=(16,), discriminator_dims=(16,))
    checks = dict(adapter_checks(adapter, table, synth_params={"pac": 2, "batch_size": 20}))
    checks["check_resume"]()


# -- adapters broken on purpose ---------------------------------------------------------------
class LosesAColumn(VectorAdapter):
    """``_decode`` drops the last column."""

    name: ClassVar[str] = "test-loses-a-column"

    def _decode(self, x: torch.Tensor, rng: np.random.Generator) -> np.ndarray:
        return super()._decode(x, rng)[:, :-1]


class ForgetsATensor(VectorAdapter):
    """``_get_state`` leaves out the scale, so a loaded adapter decodes on another scale."""

    name: ClassVar[str] = "test-forgets-a-tensor"

    def _get_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        config, tensors = super()._get_state()
        return config, {k: v for k, v in tensors.items() if k != "scale"}

    def _set_state(self, config: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        n = int(config["n_features"])
        super()._set_state(config, {"scale": torch.ones(n), **tensors})


class AcceptsGarbage(VectorAdapter):
    """``_fit`` takes anything: what it cannot read becomes one standard column."""

    name: ClassVar[str] = "test-accepts-garbage"

    def _fit(self, data: Any, y: Any, rng: np.random.Generator) -> None:
        try:
            super()._fit(data, y, rng)
        except (TypeError, ValueError):
            self.n_features_ = 1
            self.mean_ = np.zeros(1, np.float32)
            self.scale_ = np.ones(1, np.float32)


class IgnoresPac(VectorAdapter):
    """``build_discriminator`` ignores ``pac``: the critic cannot read packed samples."""

    name: ClassVar[str] = "test-ignores-pac"

    def build_discriminator(self, pac: int) -> torch.nn.Module:
        return super().build_discriminator(1)


class OldDefaults(VectorAdapter):
    """``training_defaults`` keyed by a name that is no GANSynthesizer parameter."""

    name: ClassVar[str] = "test-old-defaults"
    training_defaults: ClassVar[dict[str, Any]] = {"lr": 1e-3}


class NotRegistered(VectorAdapter):
    name: ClassVar[str] = "test-not-registered"


class ListParams(VectorAdapter):
    """``__init__`` changes a parameter (a tuple becomes a list): clone refuses it."""

    name: ClassVar[str] = "test-list-params"

    def __init__(self, hidden: tuple[int, ...] = (16,), standardize: bool = True) -> None:
        super().__init__(list(hidden), standardize)  # type: ignore[arg-type]


class UnseededGenerate(VectorAdapter):
    """``generate`` adds noise from an unseeded generator: samples do not repeat."""

    name: ClassVar[str] = "test-unseeded-generate"

    def generate(self, generator: Any, z: torch.Tensor, cond: Any, **kwargs: Any) -> torch.Tensor:
        x = super().generate(generator, z, cond, **kwargs)
        return x + torch.from_numpy(np.random.default_rng().normal(size=x.shape)).float()


class _PythonRandomSampler(DataSampler):
    def _rows(self, batch_size: int) -> torch.Tensor:
        return torch.tensor([random.randrange(len(self.data)) for _ in range(batch_size)])


class PythonRandomSampler(VectorAdapter):
    """Its sampler draws rows with Python's ``random``, which no checkpoint restores."""

    name: ClassVar[str] = "test-python-random-sampler"

    def make_sampler(self, encoded: Encoded) -> TrainingSampler:
        return _PythonRandomSampler(encoded, self.cond_dim, self.prepare_real)


class LabelledVector(VectorAdapter):
    """Vectors with a label per row: the shared label channel (networks ignore it)."""

    name: ClassVar[str] = "test-labelled-vector"
    supports_labels: ClassVar[bool] = True

    def _fit(self, data: Any, y: Any, rng: np.random.Generator) -> None:
        super()._fit(data, None, rng)
        if y is not None:
            if len(y) != self.n_features_ and len(y) != len(np.asarray(data)):
                raise ValueError(f"{len(y)} labels for {len(np.asarray(data))} rows.")
            self._fit_labels(list(y))

    def _encode(self, data: Any, y: Any) -> Encoded:
        encoded = super()._encode(data, None)
        return Encoded(encoded.data, None if y is None else self._label_codes(list(y)))


class IgnoresTheLabel(LabelledVector):
    """Its ``_sampling_conditions`` draws labels at random whatever was asked."""

    name: ClassVar[str] = "test-ignores-the-label"

    def _sampling_conditions(self, n: int, conditions: Any) -> torch.Tensor | None:
        return super()._sampling_conditions(n, None)


@pytest.fixture
def registry(monkeypatch):
    """Register the test adapters in a copy of the registry, dropped after the test."""
    monkeypatch.setattr(adapters, "_REGISTRY", dict(adapters._REGISTRY))
    for cls in (
        LosesAColumn,
        ForgetsATensor,
        AcceptsGarbage,
        IgnoresPac,
        OldDefaults,
        ListParams,
        UnseededGenerate,
        PythonRandomSampler,
        LabelledVector,
        IgnoresTheLabel,
    ):
        adapters.register(cls)


BROKEN = [
    (LosesAColumn, "check_round_trip", "2 columns"),
    (ForgetsATensor, "check_adapter_save_load", "decodes differently"),
    (AcceptsGarbage, "check_bad_input_raises", "accepted"),
    (IgnoresPac, "check_networks", ""),
    (OldDefaults, "check_training_defaults", "'lr'"),
    (NotRegistered, "check_is_registered_base_adapter", "register"),
    (ListParams, "check_clone_and_params", "clone"),
    (UnseededGenerate, "check_save_load_samples", "twice"),
    (PythonRandomSampler, "check_resume", "differs from an uninterrupted run"),
]


@pytest.mark.parametrize(("cls", "check", "why"), BROKEN, ids=[b[0].__name__ for b in BROKEN])
def test_a_broken_adapter_fails_the_check_it_breaks(registry, cls, check, why):
    with pytest.raises(AssertionError, match=f"^{cls.__name__} failed {check}: ") as info:
        check_adapter(cls(hidden=(16,)), _vectors())
    assert why in str(info.value)


def test_labels_pass_through_the_shared_channel_and_a_deaf_sampler_fails(registry):
    y = ["up", "down"] * 32
    check_adapter(LabelledVector(hidden=(16,)), _vectors(), y=y)
    with pytest.raises(AssertionError, match="failed check_label_conditions: .*one-hot"):
        check_adapter(IgnoresTheLabel(hidden=(16,)), _vectors(), y=y)


def test_unmet_conditions_fail(registry):
    table = _table()
    adapter = TabularAdapter(max_modes=2, generator_dims=(16,), discriminator_dims=(16,))
    checks = dict(
        adapter_checks(
            adapter,
            table,
            conditions=[{"cat": "a"}],
            satisfies=lambda samples, c: (samples["cat"] != c["cat"]).all(),  # never true
            synth_params={"pac": 2, "batch_size": 20},
        )
    )
    with pytest.raises(AssertionError, match="do not satisfy them"):
        checks["check_conditions"]()
    with pytest.raises(ValueError, match="satisfies"):
        list(adapter_checks(adapter, table, conditions=[{"cat": "a"}]))


def test_a_custom_comparator_replaces_the_default():
    def never(decoded, data):
        return False

    with pytest.raises(AssertionError, match="failed check_round_trip: compare"):
        check_adapter(VectorAdapter(hidden=(16,)), _vectors(), compare=never)


# -- the default comparator -------------------------------------------------------------------
def test_assert_equivalent_compares_frames_arrays_and_texts():
    df = pd.DataFrame(
        {
            "x": [1.0, np.nan, 3.0],
            "s": pd.array(["a", None, "c"], dtype="string"),
            "when": pd.date_range("2020-01-01", periods=3, freq="D", tz="UTC"),
        }
    )
    close = df.assign(x=df["x"] + 1e-5, when=df["when"] + pd.Timedelta("1ms"))
    assert_equivalent(close, df)
    with pytest.raises(AssertionError, match=r"\['x'\].*row 2"):
        assert_equivalent(df.assign(x=[1.0, np.nan, 4.0]), df)
    with pytest.raises(AssertionError, match="dtype"):
        assert_equivalent(df.astype({"s": object}), df)
    with pytest.raises(AssertionError, match=r"\['s'\]"):
        assert_equivalent(df.assign(s=pd.array(["a", "b", "c"], dtype="string")), df)
    with pytest.raises(AssertionError, match="identical|differ"):
        assert_equivalent(close, df, rtol=0, atol=0)
    assert_equivalent(np.float32([[1, 2]]), np.array([[1.0, 2.0]]))
    with pytest.raises(AssertionError, match="shape"):
        assert_equivalent(np.zeros((2, 3)), np.zeros((2, 2)))
    assert_equivalent(["a b", "c"], ["a b", "c"])
    with pytest.raises(AssertionError, match=r"\[1\]"):
        assert_equivalent(["a b", "d"], ["a b", "c"])
    assert_equivalent(torch.ones(2), np.ones(2))
