"""The ``tabular`` adapter: pandas DataFrames with mixed column types (CTGAN-style model)."""

from .adapter import TabularAdapter
from .metadata import infer_metadata

__all__ = ["TabularAdapter", "infer_metadata"]
