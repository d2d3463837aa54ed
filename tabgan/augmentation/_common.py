"""Parameters and helpers shared by :class:`GANOverSampler` and :class:`GANAugmentedEstimator`."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

__all__ = ["SHARED_CONSTRAINTS", "make_rng"]

SHARED_CONSTRAINTS: dict[str, list[Any]] = {
    "synthesizer": [HasMethods(["fit", "sample", "get_params"]), None],
    "filter": [StrOptions({"adversarial"}), None],
    "filter_pool": [Interval(numbers.Real, 1, None, closed="left")],
    "min_class_samples": [Interval(numbers.Integral, 1, None, closed="left")],
    "random_state": ["random_state"],
}


def make_rng(random_state: Any) -> np.random.RandomState:
    """A RandomState for this call; ``None`` draws fresh entropy without touching numpy's global."""
    if random_state is None:
        return np.random.RandomState(np.random.SeedSequence().generate_state(1)[0])
    return check_random_state(random_state)
