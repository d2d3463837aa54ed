"""The adapter conformance suite: how an adapter proves that it keeps the contract.

:func:`check_adapter` runs every check of :func:`adapter_checks` on one adapter and one small
data set, and raises ``AssertionError`` naming the first check that fails and why. The checks
follow the contract of :class:`~tabgan.estimator.adapters.BaseAdapter` (see CONTRIBUTING.md,
"Writing an adapter"); scikit-learn's ``check_estimator`` / ``parametrize_with_checks`` are the
model::

    from tabgan.testing import check_adapter

    check_adapter(MyAdapter(hidden=(16,)), data)  # a small adapter and a few dozen samples

    # or, in a pytest suite, one test per check:
    from tabgan.testing import parametrize_with_checks

    @parametrize_with_checks([(MyAdapter(hidden=(16,)), data, {})])
    def test_my_adapter(check):
        check()

Pass the adapter already configured small (narrow networks, short clips, a small vocabulary):
the checks train with ``epochs=1`` (``2`` for the resume check) on the data given, a handful of
times. pytest is imported only by :func:`parametrize_with_checks`; nothing else here needs it.
"""

from __future__ import annotations

import functools
import inspect
import math
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.base import clone

from .engine.callbacks import Callback, run_of
from .engine.config import resolve_config
from .engine.data import Encoded, TrainingSampler
from .engine.regularizers import pack
from .engine.utils import local_torch_rng
from .estimator.adapters import BaseAdapter, _jsonable_params, get_adapter
from .estimator.synthesizer import GANSynthesizer

__all__ = [
    "adapter_checks",
    "assert_equivalent",
    "assert_same_networks",
    "check_adapter",
    "parametrize_with_checks",
]

#: A fit option no adapter takes: passing it must raise ``TypeError``.
UNKNOWN_OPTION = "tabgan_check_unknown_option"
#: The checks build their networks on the CPU, from a private random state.
_CPU = torch.device("cpu")
#: The latent size, batch and packing used by the checks that build networks.
_LATENT, _BATCH, _PAC = 8, 4, 2


# -- comparing samples ------------------------------------------------------------------------
def assert_equivalent(
    actual: Any, expected: Any, *, rtol: float = 1e-3, atol: float = 1e-3, where: str = "data"
) -> None:
    """Assert that ``actual`` holds the values of ``expected``, numbers within a tolerance.

    The default comparator of the round-trip check (with ``rtol=atol=0`` it is the one that
    demands identical samples). It compares DataFrames (same columns in the same order, same
    dtypes, then column by column), Series, arrays and tensors (same shape; dtypes only of the
    same kind), mappings (same keys) and sequences (same length, item by item). Numbers match
    when ``|a - e| <= atol * (1 + std(e)) + rtol * |e|``: the tolerance follows each column's
    spread. Datetimes compare in seconds with the absolute part of that rule; missing values
    (NaN, None, NA, NaT) must be missing in both; everything else must be equal.
    """
    if isinstance(expected, torch.Tensor):
        expected = expected.detach().cpu().numpy()
    if isinstance(actual, torch.Tensor):
        actual = actual.detach().cpu().numpy()
    if isinstance(expected, pd.DataFrame):
        _expect(isinstance(actual, pd.DataFrame), where, "a DataFrame", actual)
        if actual.shape != expected.shape:
            raise AssertionError(f"{where}: shape {actual.shape}, expected {expected.shape}.")
        if list(actual.columns) != list(expected.columns):
            raise AssertionError(
                f"{where}: columns {list(actual.columns)}, expected {list(expected.columns)}."
            )
        for i, col in enumerate(expected.columns):
            _assert_series(actual.iloc[:, i], expected.iloc[:, i], rtol, atol, f"{where}[{col!r}]")
        return
    if isinstance(expected, pd.Series):
        _expect(isinstance(actual, pd.Series), where, "a Series", actual)
        if len(actual) != len(expected):
            raise AssertionError(f"{where}: {len(actual)} values, expected {len(expected)}.")
        _assert_series(actual, expected, rtol, atol, where)
        return
    if isinstance(expected, np.ndarray) or isinstance(actual, np.ndarray):
        a, e = np.asarray(actual), np.asarray(expected)
        if a.shape != e.shape:
            raise AssertionError(f"{where}: shape {a.shape}, expected {e.shape}.")
        _assert_values(a, e, rtol, atol, where)
        return
    if isinstance(expected, Mapping):
        _expect(isinstance(actual, Mapping), where, "a mapping", actual)
        if set(actual) != set(expected):
            raise AssertionError(
                f"{where}: keys {sorted(map(str, actual))}, expected {sorted(map(str, expected))}."
            )
        for key in expected:
            assert_equivalent(
                actual[key], expected[key], rtol=rtol, atol=atol, where=f"{where}[{key!r}]"
            )
        return
    if isinstance(expected, Sequence) and not isinstance(expected, (str, bytes)):
        _expect(
            isinstance(actual, Sequence) and not isinstance(actual, (str, bytes)),
            where,
            "a sequence",
            actual,
        )
        if len(actual) != len(expected):
            raise AssertionError(f"{where}: {len(actual)} items, expected {len(expected)}.")
        for i, (a_item, e_item) in enumerate(zip(actual, expected)):
            assert_equivalent(a_item, e_item, rtol=rtol, atol=atol, where=f"{where}[{i}]")
        return
    _assert_values(
        np.asarray([actual], dtype=object), np.asarray([expected], dtype=object), rtol, atol, where
    )


def _expect(ok: bool, where: str, what: str, actual: Any) -> None:
    if not ok:
        raise AssertionError(f"{where}: {what} was expected, got {type(actual).__name__}.")


def _assert_series(a: pd.Series, e: pd.Series, rtol: float, atol: float, where: str) -> None:
    if a.dtype != e.dtype:
        raise AssertionError(f"{where}: dtype {a.dtype}, expected {e.dtype}.")
    if isinstance(e.dtype, pd.DatetimeTZDtype):
        a, e = (
            a.dt.tz_convert("UTC").dt.tz_localize(None),
            e.dt.tz_convert("UTC").dt.tz_localize(None),
        )
    if pd.api.types.is_datetime64_dtype(e.dtype) or pd.api.types.is_timedelta64_dtype(e.dtype):
        _assert_values(a.to_numpy(), e.to_numpy(), rtol, atol, where)
        return
    if pd.api.types.is_numeric_dtype(e.dtype) and not isinstance(
        e.dtype, pd.api.extensions.ExtensionDtype
    ):
        _assert_values(a.to_numpy(), e.to_numpy(), rtol, atol, where)
        return
    _assert_values(a.to_numpy(dtype=object), e.to_numpy(dtype=object), rtol, atol, where)


def _is_missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, (float, np.floating)):
        return math.isnan(v)
    if isinstance(v, (np.datetime64, np.timedelta64)):
        return bool(np.isnat(v))
    return False


def _assert_values(a: np.ndarray, e: np.ndarray, rtol: float, atol: float, where: str) -> None:
    """Arrays of one shape: numbers and datetimes within tolerance, the rest equal."""
    a = a.reshape(len(a), -1) if a.ndim else a.reshape(1, 1)
    e = e.reshape(len(e), -1) if e.ndim else e.reshape(1, 1)
    if a.dtype.kind in "biuf" and e.dtype.kind in "biuf":
        av, ev = a.astype(np.float64), e.astype(np.float64)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns, inf - inf
            spread = np.nanstd(np.where(np.isfinite(ev), ev, np.nan), axis=0)
            tol = atol * (1.0 + np.nan_to_num(spread)) + rtol * np.abs(ev)
            close = (np.abs(av - ev) <= tol) | (np.isnan(av) & np.isnan(ev)) | (av == ev)
        if not close.all():
            i, j = (int(k[0]) for k in np.nonzero(~close))
            raise AssertionError(
                f"{where}: {int((~close).sum())} of {close.size} values differ beyond the "
                f"tolerance (rtol={rtol}, atol={atol}); first at row {i}, position {j}: "
                f"{av[i, j]!r}, expected {ev[i, j]!r}."
            )
        return
    if a.dtype.kind in "mM" and e.dtype.kind in "mM" and a.dtype.kind == e.dtype.kind:
        missing_a, missing_e = np.isnat(a), np.isnat(e)
        unit = np.timedelta64(1, "s")
        ref = e[~missing_e].min() if (~missing_e).any() else None
        if not np.array_equal(missing_a, missing_e):
            i, j = (int(k[0]) for k in np.nonzero(missing_a != missing_e))
            raise AssertionError(
                f"{where}: row {i}, position {j}: {a[i, j]!r}, expected {e[i, j]!r}."
            )
        if ref is None:
            return
        seconds = np.where(missing_e, 0.0, (np.where(missing_e, ref, e) - ref) / unit)
        diff = np.abs(np.where(missing_a, ref, a) - np.where(missing_e, ref, e)) / unit
        tol = atol * (1.0 + np.std(seconds[~missing_e]))
        bad = (diff > tol) & ~missing_e
        if bad.any():
            i, j = (int(k[0]) for k in np.nonzero(bad))
            raise AssertionError(
                f"{where}: {int(bad.sum())} of {bad.size} datetimes differ by more than "
                f"{tol:.3g} s; first at row {i}: {a[i, j]!r}, expected {e[i, j]!r}."
            )
        return
    for (i, j), ev in np.ndenumerate(e):
        av = a[i, j]
        if _is_missing(ev) or _is_missing(av):
            if _is_missing(ev) and _is_missing(av):
                continue
        elif _is_number(av) and _is_number(ev):
            if abs(float(av) - float(ev)) <= atol + rtol * abs(float(ev)):
                continue
        elif _equal(av, ev):
            continue
        raise AssertionError(f"{where}: row {i}, position {j}: {av!r}, expected {ev!r}.")


def _equal(a: Any, e: Any) -> bool:
    if isinstance(a, str) and isinstance(e, str):
        return str(a) == str(e)
    if type(a) is not type(e):
        return False
    try:
        return bool(a == e)
    except Exception:  # an object whose == gives no single truth value
        return False


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
        v, (bool, np.bool_)
    )


# -- the case under test ----------------------------------------------------------------------
@dataclass
class _Case:
    """One adapter and its data, with what the checks share (lazily fitted, never mutated)."""

    adapter: BaseAdapter
    data: Any = field(repr=False)
    y: Any = field(repr=False)
    conditions: list[Any]
    satisfies: Callable[[Any, Any], Any] | None = field(repr=False)
    fit_params: dict[str, Any]
    synth_params: dict[str, Any]
    bad_data: list[Any] = field(repr=False)
    compare: Callable[[Any, Any], Any] = field(repr=False)
    n_samples: int
    _fitted: BaseAdapter | None = field(default=None, repr=False)
    _model: GANSynthesizer | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        return type(self.adapter).__name__

    def fit_adapter(self, data: Any = None, **kwargs: Any) -> BaseAdapter:
        """A fresh clone, fitted on the data (or ``data``) with the case's labels and options."""
        adapter = clone(self.adapter)
        x = self.data if data is None else data
        return adapter.fit(x, self.y, rng=np.random.default_rng(0), **self.fit_params, **kwargs)

    def fitted(self) -> BaseAdapter:
        if self._fitted is None:
            self._fitted = self.fit_adapter()
        return self._fitted

    def synthesizer(self, **params: Any) -> GANSynthesizer:
        settings = {
            "epochs": 1,
            "verbose": False,
            "random_state": 0,
            "device": "cpu",
            **self.synth_params,
            **params,
        }
        return GANSynthesizer(clone(self.adapter), **settings)

    def train(self, model: GANSynthesizer, **kwargs: Any) -> GANSynthesizer:
        if self.y is not None:
            kwargs["y"] = self.y
        return model.fit(self.data, **kwargs, **self.fit_params)

    def model(self) -> GANSynthesizer:
        """One tiny model (``epochs=1``) shared by the checks that only sample from it."""
        if self._model is None:
            self._model = self.train(self.synthesizer())
        return self._model


def _num_samples(data: Any) -> int | None:
    """How many samples ``data`` holds, when a container says so (a folder path does not)."""
    if isinstance(data, (str, bytes, Path)):
        return None
    if isinstance(data, (np.ndarray, torch.Tensor)):
        return int(data.shape[0]) if data.ndim else None
    try:
        return len(data)
    except TypeError:
        return None


def _empty_like(data: Any) -> Any:
    if isinstance(data, (pd.DataFrame, pd.Series)):
        return data.iloc[:0]
    if isinstance(data, (np.ndarray, torch.Tensor)) and data.ndim:
        return data[:0]
    if isinstance(data, tuple):
        return ()
    return []


def _same_params(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    """Names of the parameters whose values differ (arrays compared by value)."""
    differ = []
    for key in sorted(set(a) | set(b)):
        if key not in a or key not in b:
            differ.append(key)
            continue
        va, vb = a[key], b[key]
        try:
            same = bool(np.array_equal(va, vb)) if isinstance(va, np.ndarray) else bool(va == vb)
        except Exception:  # an object without a usable ==
            same = va is vb
        if not same:
            differ.append(key)
    return differ


def _label_key(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


# -- the checks -------------------------------------------------------------------------------
def check_is_registered_base_adapter(case: _Case) -> None:
    """A :class:`BaseAdapter` subclass with a ``name`` under which the registry finds it."""
    adapter = case.adapter
    assert isinstance(adapter, BaseAdapter), (
        f"{type(adapter).__name__} does not subclass tabgan.BaseAdapter."
    )
    assert isinstance(adapter.name, str) and adapter.name, "the class attribute `name` is empty."
    try:
        registered = get_adapter(adapter.name)
    except (TypeError, ValueError, ImportError) as exc:
        raise AssertionError(
            f"get_adapter({adapter.name!r}) fails ({exc}); register the class with "
            "@tabgan.register or the entry-point group `tabgan.adapters`, else a saved model "
            "cannot find its adapter."
        ) from None
    assert registered is type(adapter), (
        f"get_adapter({adapter.name!r}) gives {registered.__module__}.{registered.__qualname__}, "
        f"not {type(adapter).__module__}.{type(adapter).__qualname__}: a saved model would "
        "load with the other class. Give the class a `name` of its own."
    )
    assert isinstance(adapter.supports_labels, bool), "`supports_labels` must be a bool."


def check_clone_and_params(case: _Case) -> None:
    """``sklearn.base.clone`` works (parameters stored as given), and they are JSON values."""
    adapter = case.adapter
    params = adapter.get_params(deep=False)
    try:
        twin = clone(adapter)
    except Exception as exc:
        raise AssertionError(
            f"sklearn.base.clone fails: {type(exc).__name__}: {exc}. __init__ must store each "
            "parameter unchanged under its own name (validate in _fit, not in __init__)."
        ) from None
    assert type(twin) is type(adapter)
    differ = _same_params(twin.get_params(deep=False), params)
    assert not differ, f"the clone's parameters {differ} differ from the original's."
    assert not getattr(twin, "is_fitted_", False), "a clone of an adapter must be unfitted."
    try:
        _jsonable_params(adapter)  # what save() stores
    except TypeError as exc:
        raise AssertionError(str(exc)) from None


def check_training_defaults(case: _Case) -> None:
    """``training_defaults`` is keyed by :class:`GANSynthesizer` training parameter names, and
    its values pass the parameters' constraints."""
    defaults = type(case.adapter).training_defaults
    assert isinstance(defaults, Mapping), "`training_defaults` must be a mapping."
    names = set(inspect.signature(GANSynthesizer.__init__).parameters) - {"self", "adapter"}
    unknown = sorted(set(defaults) - names)
    assert not unknown, (
        f"training_defaults keys {unknown} are not GANSynthesizer parameters "
        f"({', '.join(sorted(names))})."
    )
    try:
        resolve_config({}, defaults, owner=type(case.adapter).__name__)
    except (TypeError, ValueError) as exc:
        raise AssertionError(f"training_defaults are refused: {exc}") from None


def check_fit_returns_self(case: _Case) -> None:
    """``fit`` returns the adapter itself, fitted, its constructor parameters untouched."""
    adapter = clone(case.adapter)
    before = adapter.get_params(deep=False)
    out = adapter.fit(case.data, case.y, rng=np.random.default_rng(0), **case.fit_params)
    assert out is adapter, f"fit() returned {type(out).__name__}, not the adapter itself."
    assert getattr(adapter, "is_fitted_", False), "the adapter is not fitted after fit()."
    differ = _same_params(adapter.get_params(deep=False), before)
    assert not differ, (
        f"fit() changed the constructor parameters {differ}; keep learned values in "
        "attributes ending in `_`."
    )


def check_encode(case: _Case) -> None:
    """``encode`` gives an :class:`Encoded` of one row per sample, with labels where due."""
    adapter = case.fitted()
    encoded = adapter.encode(case.data, case.y)
    assert isinstance(encoded, Encoded), f"encode() returned {type(encoded).__name__}."
    n = _num_samples(case.data)
    if n is not None:
        assert len(encoded) == n, f"encode() gave {len(encoded)} samples for {n}."
    if encoded.data.is_floating_point():
        assert bool(torch.isfinite(encoded.data).all()), "encode() gave NaN or infinite values."
    if adapter.label_names_:
        assert encoded.labels is not None, (
            f"the adapter has labels {adapter.label_names_} but encode() gave no label codes."
        )
    if case.y is not None:
        assert encoded.labels is not None, "encode(data, y) gave no label codes."
        got = [adapter.label_names_[int(c)] for c in encoded.labels]
        want = [_label_key(v) for v in case.y]
        assert got == want, (
            f"the label codes do not give back `y`: {got[:5]}..., expected {want[:5]}..."
        )


def check_bad_input_raises(case: _Case) -> None:
    """Bad input raises ``TypeError``/``ValueError`` in ``fit``, before any training.

    Tried: an empty data set, ``object()``, labels where the adapter takes none (or of the
    wrong length where it does), an unknown fit option, and each item of ``bad_data``.
    """
    n = _num_samples(case.data)
    trials: list[tuple[str, Any, Any, dict[str, Any]]] = [
        ("an empty data set", _empty_like(case.data), None, {}),
        ("object()", object(), None, {}),
        (f"an unknown fit option {UNKNOWN_OPTION}=1", case.data, case.y, {UNKNOWN_OPTION: 1}),
    ]
    if not type(case.adapter).supports_labels:
        trials.append(("labels `y` (the adapter takes none)", case.data, [0] * (n or 1), {}))
    elif case.y is not None:
        trials.append(("labels `y` one short", case.data, list(case.y)[:-1], {}))
    trials += [(f"bad_data[{i}]", bad, None, {}) for i, bad in enumerate(case.bad_data)]
    for what, data, y, extra in trials:
        adapter = clone(case.adapter)
        options = {**case.fit_params, **extra}
        try:
            adapter.fit(data, y, rng=np.random.default_rng(0), **options)
        except (TypeError, ValueError) as exc:
            assert str(exc), f"fit() on {what} raised {type(exc).__name__} with no message."
            if extra:
                assert UNKNOWN_OPTION in str(exc), (
                    f"fit() on {what} raised {type(exc).__name__} without naming the option: {exc}"
                )
            continue
        except Exception as exc:
            raise AssertionError(
                f"fit() on {what} raised {type(exc).__name__} ({exc}), not TypeError or "
                "ValueError with a clear message."
            ) from exc
        raise AssertionError(f"fit() accepted {what}; it must raise TypeError or ValueError.")


def check_round_trip(case: _Case) -> None:
    """``decode(encode(data).data)`` gives the data back (compared in ``canonical_view``)."""
    adapter = case.fitted()
    encoded = adapter.encode(case.data, case.y)
    decoded = adapter.decode(encoded.data, rng=np.random.default_rng(0))
    n = _num_samples(case.data)
    if n is not None:
        assert _num_samples(decoded) == n, f"decode() gave {_num_samples(decoded)} samples for {n}."
    ok = case.compare(adapter.canonical_view(decoded), adapter.canonical_view(case.data))
    assert ok is None or ok, "compare(decoded, data) returned False."


def check_networks(case: _Case) -> None:
    """The generator's output activates to what the critic sees of real data; the critic takes
    PacGAN-packed input (one score per pack) and its score reaches the generator's weights."""
    adapter = case.fitted()
    encoded = adapter.encode(case.data, case.y)
    sampler = adapter.make_sampler(encoded)
    assert isinstance(sampler, TrainingSampler), (
        f"make_sampler() returned {type(sampler).__name__}, not a TrainingSampler."
    )
    with local_torch_rng(0, _CPU):
        generator = adapter.build_generator(_LATENT)
        critic = adapter.build_discriminator(_PAC)
        plain_critic = adapter.build_discriminator(1)
        real, cond_real = sampler.sample_real(_BATCH)
        cond, info = sampler.sample_fake_conditions(_BATCH)
        for what, c in (("sample_real", cond_real), ("sample_fake_conditions", cond)):
            if adapter.cond_dim:
                assert c is not None and tuple(c.shape) == (_BATCH, adapter.cond_dim), (
                    f"{what}() gave conditions of shape {None if c is None else tuple(c.shape)}, "
                    f"expected ({_BATCH}, {adapter.cond_dim}) (cond_dim)."
                )
            else:
                assert c is None, f"{what}() gave conditions but cond_dim is 0."
        raw = generator(torch.randn(_BATCH, _LATENT), cond)
        fake = adapter.activate(raw)
        assert fake.shape[1:] == real.shape[1:], (
            f"activate(generator(z, cond)) has shape {tuple(fake.shape)} but the critic sees "
            f"real batches of shape {tuple(real.shape)} (make_sampler / prepare_real)."
        )
        for what, x, c in (("real", real, cond_real), ("generated", fake, cond)):
            scores = critic(pack(x, _PAC), None if c is None else pack(c, _PAC))
            n_packs = _BATCH // _PAC
            assert scores.shape[0] == n_packs and scores.numel() == n_packs, (
                f"build_discriminator(pac={_PAC}) on {_BATCH} packed {what} samples gave scores "
                f"of shape {tuple(scores.shape)}; expected one per pack ({n_packs},)."
            )
        scores = plain_critic(real, cond_real)
        assert scores.shape[0] == _BATCH and scores.numel() == _BATCH, (
            f"build_discriminator(pac=1) gave scores of shape {tuple(scores.shape)} for "
            f"{_BATCH} samples."
        )
        loss = critic(pack(fake, _PAC), None if cond is None else pack(cond, _PAC)).sum()
        extra = sampler.condition_loss(raw, info)
        if extra is not None:
            assert extra.numel() == 1, "condition_loss() must return a scalar (or None)."
            loss = loss + extra.sum()
        loss.backward()
        reached = any(
            p.grad is not None and bool(p.grad.abs().sum() > 0) for p in generator.parameters()
        )
        assert reached, (
            "the critic's score of generated samples has no gradient with respect to the "
            "generator's weights (a detach or a hard argmax in activate(hard=False)?)."
        )


def check_generate_decode(case: _Case) -> None:
    """An untrained generator samples through ``sampling_conditions``, ``generate`` and
    ``decode``; unknown sampling options raise ``TypeError``."""
    adapter = case.fitted()
    n = case.n_samples
    with local_torch_rng(0, _CPU):
        generator = adapter.build_generator(_LATENT).eval()
        with torch.inference_mode():
            cond = adapter.sampling_conditions(n, None)  # the base checks one row per sample
            if not adapter.cond_dim:
                assert cond is None, "sampling_conditions(n, None) gave conditions, cond_dim is 0."
            z = torch.randn(n, _LATENT)
            x = adapter.generate(generator, z, cond)
            try:
                adapter.generate(generator, z, cond, **{UNKNOWN_OPTION: 1})
            except TypeError:
                pass
            else:
                raise AssertionError(
                    f"generate(..., {UNKNOWN_OPTION}=1) did not raise TypeError; unknown "
                    "sampling options must."
                )
    samples = adapter.decode(x, rng=np.random.default_rng(0))
    got = _num_samples(samples)
    assert got is None or got == n, f"decode() of {n} generated samples gave {got}."
    adapter.canonical_view(samples)  # the exact-copy guard reads samples through it


def check_adapter_save_load(case: _Case) -> None:
    """``save(folder)`` then ``BaseAdapter.load(folder)`` gives an adapter that decodes alike."""
    adapter = case.fitted()
    encoded = adapter.encode(case.data, case.y)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "adapter"
        files = adapter.save(folder)
        missing = [f for f in files if not (folder / f).exists()]
        assert not missing, f"save() lists files it did not write: {missing}."
        loaded = BaseAdapter.load(folder)
    assert type(loaded) is type(adapter), f"load() gave a {type(loaded).__name__}."
    differ = _same_params(loaded.get_params(deep=False), adapter.get_params(deep=False))
    assert not differ, f"the loaded adapter's parameters {differ} differ."
    assert loaded.label_names_ == adapter.label_names_, (
        f"label_names_ {loaded.label_names_} after load, {adapter.label_names_} before."
    )
    assert loaded.cond_dim == adapter.cond_dim, "cond_dim differs after load."
    for build, arg in (("build_generator", _LATENT), ("build_discriminator", 1)):
        shapes = [
            {k: tuple(v.shape) for k, v in getattr(a, build)(arg).state_dict().items()}
            for a in (adapter, loaded)
        ]
        assert shapes[0] == shapes[1], f"{build}() builds another network after load."
    before = adapter.decode(encoded.data, rng=np.random.default_rng(0))
    after = loaded.decode(encoded.data, rng=np.random.default_rng(0))
    try:
        assert_equivalent(after, before, rtol=0, atol=0, where="decoded after load")
    except AssertionError as exc:
        raise AssertionError(
            f"the loaded adapter decodes differently ({exc}); does _get_state() return all of "
            "the fitted state, and _set_state() restore it?"
        ) from None


def check_save_load_samples(case: _Case) -> None:
    """A tiny model sampled with ``random_state=0`` gives identical samples after
    ``save`` and ``GANSynthesizer.load`` (and twice in a row)."""
    model = case.model()
    n = case.n_samples
    with tempfile.TemporaryDirectory() as tmp:
        loaded = GANSynthesizer.load(model.save(Path(tmp) / "model"), device="cpu")
    assert type(loaded.adapter_) is type(model.adapter_), (
        f"the loaded model's adapter is a {type(loaded.adapter_).__name__}."
    )
    for conditions in [None, *case.conditions]:
        first = model.sample(n, conditions, random_state=0)
        try:
            assert_equivalent(model.sample(n, conditions, random_state=0), first, rtol=0, atol=0)
        except AssertionError as exc:
            raise AssertionError(
                f"sample(n, conditions={conditions!r}, random_state=0) twice gives different "
                f"samples ({exc}): randomness in generate/decode must come from torch's "
                "generator or the `rng` given to decode."
            ) from None
        try:
            assert_equivalent(loaded.sample(n, conditions, random_state=0), first, rtol=0, atol=0)
        except AssertionError as exc:
            raise AssertionError(
                f"samples (conditions={conditions!r}) differ after save/load: {exc}"
            ) from None


class _StopAfter(Callback):
    """Stops a run after ``epochs`` epochs: an interrupted run (its schedules, e.g. a
    temperature annealed over ``total_steps``, are those of the full run)."""

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs

    def on_epoch_end(self, estimator: Any, logs: dict[str, float]) -> None:
        run = run_of(estimator)
        if run.epoch >= self.epochs:
            run.stop_training = True


def check_resume(case: _Case) -> None:
    """A run of 2 epochs interrupted after the first (checkpointed by ``checkpoint_dir``) and
    continued by ``fit(resume_from=...)`` ends with the weights of 2 epochs straight."""
    straight = case.train(case.synthesizer(epochs=2))
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = Path(tmp) / "checkpoint"
        interrupted = case.synthesizer(epochs=2, checkpoint_dir=ckpt, callbacks=[_StopAfter(1)])
        case.train(interrupted)
        assert interrupted.n_steps_ < straight.n_steps_, "the interrupted run did not stop."
        resumed = case.train(case.synthesizer(epochs=2), resume_from=ckpt)
    assert resumed.n_steps_ == straight.n_steps_, (
        f"the resumed run ended at step {resumed.n_steps_}, the straight one at "
        f"{straight.n_steps_}."
    )
    try:
        assert_same_networks(straight, resumed)
    except AssertionError as exc:
        raise AssertionError(
            f"the resumed run differs from an uninterrupted run: {exc} (an EMA copy shrinks "
            "differences of the live weights): it trained on other batches or other "
            "encodings. Is all of the adapter's state restored from the checkpoint, is encode() "
            "of the restored adapter the same as of the fitted one, and does the sampler draw "
            "from torch's generator only?"
        ) from None


def assert_same_networks(a: Any, b: Any) -> None:
    """Fitted estimators ``a`` and ``b`` have bit-identical networks (the sampling generator,
    and the critic where both have one); the first difference is named."""
    pairs = [("the sampling generator", a.generator_, b.generator_)]
    if a.discriminator_ is not None and b.discriminator_ is not None:
        pairs.append(("the critic", a.discriminator_, b.discriminator_))
    for what, net_a, net_b in pairs:
        sa, sb = net_a.state_dict(), net_b.state_dict()
        if set(sa) != set(sb):
            raise AssertionError(f"{what} has other weights ({sorted(set(sa) ^ set(sb))}).")
        for key in sa:
            if not torch.equal(sa[key], sb[key]):
                diff = (sa[key].double() - sb[key].double()).abs().max().item()
                raise AssertionError(f"{what}'s {key!r} differs (max |diff| {diff:.3g})")


def check_conditions(case: _Case) -> None:
    """Samples drawn with each of ``conditions`` satisfy them (``satisfies(samples, c)``)."""
    if not case.conditions:
        return
    assert case.satisfies is not None
    model = case.model()
    for conditions in case.conditions:
        samples = model.sample(case.n_samples, conditions, random_state=0)
        got = _num_samples(samples)
        assert got is None or got == case.n_samples, f"sample(n) gave {got} samples."
        assert case.satisfies(samples, conditions), (
            f"samples drawn with conditions={conditions!r} do not satisfy them."
        )


def check_label_conditions(case: _Case) -> None:
    """With labels, ``{"label": value}`` gives that label's conditional vector for every
    sample, the model samples with it, and an unknown label raises ``ValueError``."""
    adapter = case.fitted()
    names = list(adapter.label_names_)
    if not names:
        return
    n = case.n_samples
    for code, value in enumerate(names):
        cond = adapter.sampling_conditions(n, {"label": value})
        assert cond is not None, f'sampling_conditions(n, {{"label": {value!r}}}) gave None.'
        if adapter.cond_dim == len(names):  # the plain label channel: one-hot rows
            expected = torch.zeros(n, len(names))
            expected[:, code] = 1
            assert torch.equal(cond.float().cpu(), expected), (
                f'sampling_conditions(n, {{"label": {value!r}}}) is not the one-hot of code '
                f"{code} in every row."
            )
    unknown = "tabgan-check-unknown-label"
    try:
        adapter.sampling_conditions(n, {"label": unknown})
    except ValueError:
        pass
    else:
        raise AssertionError(f"an unknown label {unknown!r} did not raise ValueError.")
    model = case.model()
    for value in names[:3]:
        samples = model.sample(n, {"label": value}, random_state=0)
        got = _num_samples(samples)
        assert got is None or got == n, f'sample(n, {{"label": {value!r}}}) gave {got} samples.'


#: Every check, cheapest first (those that train come last).
CHECKS: tuple[Callable[[_Case], None], ...] = (
    check_is_registered_base_adapter,
    check_clone_and_params,
    check_training_defaults,
    check_fit_returns_self,
    check_encode,
    check_bad_input_raises,
    check_round_trip,
    check_networks,
    check_generate_decode,
    check_adapter_save_load,
    check_save_load_samples,
    check_conditions,
    check_label_conditions,
    check_resume,
)


# -- the public entry points ------------------------------------------------------------------
def adapter_checks(
    adapter: BaseAdapter,
    data: Any,
    *,
    y: Any = None,
    conditions: Sequence[Any] | None = None,
    satisfies: Callable[[Any, Any], Any] | None = None,
    fit_params: Mapping[str, Any] | None = None,
    synth_params: Mapping[str, Any] | None = None,
    bad_data: Iterable[Any] = (),
    compare: Callable[[Any, Any], Any] | None = None,
    n_samples: int = 8,
) -> Iterator[tuple[str, Callable[[], None]]]:
    """The conformance checks of ``adapter`` on ``data``, as ``(name, check)`` pairs.

    Each ``check()`` takes no argument and raises ``AssertionError`` (or the error of the
    adapter call that failed) when the adapter breaks the contract. Checks share one fitted
    adapter and one tiny trained model, made on first use.

    Parameters
    ----------
    adapter : BaseAdapter
        An unfitted instance, configured small (it is cloned, never fitted itself).
    data : the adapter's training data (a few dozen samples suffice)
    y : labels for ``data``, for adapters with ``supports_labels``
    conditions : list, optional
        ``conditions=`` values for ``GANSynthesizer.sample``, each tried in turn; give
        ``satisfies`` with them.
    satisfies : callable, optional
        ``satisfies(samples, conditions) -> bool``: whether decoded samples honour them.
    fit_params : mapping, optional
        The adapter's own fit options (passed to ``adapter.fit`` and ``GANSynthesizer.fit``).
    synth_params : mapping, optional
        :class:`~tabgan.GANSynthesizer` parameters for the checks that train (e.g.
        ``{"batch_size": 16, "pac": 2}``); ``epochs``, ``verbose=False``, ``random_state=0``
        and ``device="cpu"`` are set by the checks.
    bad_data : iterable
        Inputs that ``fit`` must refuse with ``TypeError``/``ValueError`` (each passed as the
        data, with ``fit_params``).
    compare : callable, optional
        ``compare(decoded, data)`` for the round trip, both in ``canonical_view``: raises
        ``AssertionError`` or returns False when they differ. Default: :func:`assert_equivalent`.
    n_samples : int, default=8
        Samples drawn by the sampling checks.
    """
    if conditions and satisfies is None:
        raise ValueError("`conditions` need `satisfies(samples, conditions)` to check them.")
    case = _Case(
        adapter=adapter,
        data=data,
        y=y,
        conditions=list(conditions or []),
        satisfies=satisfies,
        fit_params=dict(fit_params or {}),
        synth_params=dict(synth_params or {}),
        bad_data=list(bad_data),
        compare=compare or assert_equivalent,
        n_samples=int(n_samples),
    )
    for check in CHECKS:
        bound = functools.partial(check, case)
        functools.update_wrapper(bound, check)
        yield check.__name__, bound


def check_adapter(adapter: BaseAdapter, data: Any, **kwargs: Any) -> None:
    """Run every check of :func:`adapter_checks` (same arguments); raise on the first failure.

    Raises
    ------
    AssertionError
        ``"<Adapter> failed <check name>: <why>"``, the original error chained.
    """
    label = type(adapter).__name__
    for name, check in adapter_checks(adapter, data, **kwargs):
        try:
            check()
        except AssertionError as exc:
            raise AssertionError(f"{label} failed {name}: {exc}") from exc
        except Exception as exc:
            raise AssertionError(f"{label} failed {name}: {type(exc).__name__}: {exc}") from exc


def parametrize_with_checks(
    cases: Iterable[tuple[BaseAdapter, Any] | tuple[BaseAdapter, Any, Mapping[str, Any]]],
) -> Any:
    """A ``pytest.mark.parametrize`` over every check of every case, one test each.

    ``cases`` holds ``(adapter, data)`` or ``(adapter, data, kwargs)`` with the keyword
    arguments of :func:`adapter_checks`; test ids read ``TabularAdapter-check_round_trip``
    (suffixed ``-2``, ``-3`` for a second case of the same class). The test takes one
    argument, ``check``, and calls it. pytest is imported here, and only here.
    """
    import pytest

    checks, ids, seen = [], [], {}  # type: ignore[var-annotated]
    for case in cases:
        adapter, data, *rest = case
        kwargs = dict(rest[0]) if rest else {}
        label = type(adapter).__name__
        seen[label] = seen.get(label, 0) + 1
        suffix = "" if seen[label] == 1 else f"-{seen[label]}"
        for name, check in adapter_checks(adapter, data, **kwargs):
            checks.append(check)
            ids.append(f"{label}{suffix}-{name}")
    return pytest.mark.parametrize("check", checks, ids=ids)
