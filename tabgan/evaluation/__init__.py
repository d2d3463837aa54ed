"""Evaluate synthetic data: quality, ML efficacy, memorization, figures and an HTML report.

``evaluate(real, synthetic, holdout=..., target=...)`` returns a :class:`Report`.
Needs the ``eval`` extra (``sdmetrics``).
"""

from ._evaluate import evaluate
from ._inputs import infer_metadata
from .efficacy import ml_efficacy
from .privacy import MemorizationResult, MixedEncoder, distance_to_closest, memorization
from .report import Report

__all__ = [
    "MemorizationResult",
    "MixedEncoder",
    "Report",
    "distance_to_closest",
    "evaluate",
    "infer_metadata",
    "memorization",
    "ml_efficacy",
]
