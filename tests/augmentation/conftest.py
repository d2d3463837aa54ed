"""A fast stand-in synthesizer for the augmentation logic tests.

``BootstrapSynthesizer`` honours the same duck-typed contract as ``GANSynthesizer(adapter=
"tabular")`` (``fit(frame)``, ``sample(n, conditions={column: value})`` exact on discrete values,
same columns and dtypes back), by resampling real rows of the asked class and jittering float
columns. It lets the sampling-strategy, container and error tests run in milliseconds; the real
GAN is exercised in the estimator-check and integration tests.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator


class BootstrapSynthesizer(BaseEstimator):
    def __init__(self, noise: float = 0.05, random_state: Any = None, ignore_conditions=False):
        self.noise = noise
        self.random_state = random_state
        self.ignore_conditions = ignore_conditions

    def fit(self, X: pd.DataFrame, y: Any = None) -> BootstrapSynthesizer:
        assert isinstance(X, pd.DataFrame)
        self.data_ = X.reset_index(drop=True)
        self.n_fit_rows_ = len(X)
        self._rng = np.random.default_rng(self.random_state)
        return self

    def sample(self, n: int, conditions: Any = None) -> pd.DataFrame:
        pool = self.data_
        if conditions and not self.ignore_conditions:
            for col, value in conditions.items():
                pool = pool[pool[col].astype(str) == str(value)]
        out = pool.iloc[self._rng.integers(len(pool), size=n)].reset_index(drop=True)
        for col in out.columns:
            if pd.api.types.is_float_dtype(out[col].dtype):
                scale = float(np.nanstd(self.data_[col].to_numpy(float))) or 1.0
                jitter = self._rng.normal(0, self.noise * scale, size=n)
                out[col] = (out[col].to_numpy(float) + jitter).astype(out[col].dtype)
        return out


@pytest.fixture
def fake_synth() -> type[BootstrapSynthesizer]:
    return BootstrapSynthesizer
