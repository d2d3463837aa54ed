"""The ``tabular`` adapter: pandas DataFrames with mixed column types (CTGAN-style model)."""

from .adapter import TabularAdapter
from .constraints import (
    Constraint,
    FixedCombinations,
    Formula,
    Inequality,
    Negative,
    Positive,
    Range,
    constraint_satisfaction,
)
from .metadata import infer_metadata
from .streaming import TableStream

__all__ = [
    "Constraint",
    "FixedCombinations",
    "Formula",
    "Inequality",
    "Negative",
    "Positive",
    "Range",
    "TableStream",
    "TabularAdapter",
    "constraint_satisfaction",
    "infer_metadata",
]
