"""The quick version of ``benchmarks/mode_coverage.py``: a regression in the default engine
configuration (loss, R1, EMA, optimiser) shows up as lost modes.

Floors are set under what was measured (see the README's benchmark section):
ring-8, 3,000 steps, seed 0: 8/8 modes, 73.5% high quality (2 cores, torch 1 thread);
grid-25, 10,000 steps, seeds 0/1: 25/25 modes, 75.0-77.8% high quality.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest


def _benchmark():
    path = Path(__file__).parents[2] / "benchmarks" / "mode_coverage.py"
    spec = importlib.util.spec_from_file_location("mode_coverage", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("mode_coverage", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "steps", "min_modes", "min_high_quality"),
    [("ring8", 3_000, 8, 0.65), ("grid25", 10_000, 24, 0.65)],
)
def test_default_configuration_covers_the_modes(kind, steps, min_modes, min_high_quality):
    mc = _benchmark()
    _, _, score, _ = mc.run(("default", kind, {}, steps, 0, 25_000))
    assert score.modes >= min_modes, score
    assert score.high_quality >= min_high_quality, score


def test_scorer_detects_collapse():
    """The scorer itself: points on one mode cover one mode, uniform noise is low quality."""
    import numpy as np

    mc = _benchmark()
    rng = np.random.default_rng(0)
    one_mode = mc.centres("grid25")[3] + rng.normal(0, mc.STD, (2500, 2))
    assert mc.score(one_mode, "grid25").modes == 1
    noise = rng.uniform(-5, 5, (2500, 2))
    assert mc.score(noise, "grid25").high_quality < 0.1
    assert mc.score(mc.make("grid25", 2500, rng), "grid25").modes == 25
