"""One pass over a table too large for memory: what the column encoders need, in bounded memory.

The encoders of :mod:`.columns` are fitted on a DataFrame (:meth:`TabularAdapter.fit`). For a
streamed table they are fitted on a *fit frame* gathered in one pass over the record batches:

- a uniform random sample of ``sample_rows`` rows (reservoir sampling by random keys: every row
  draws a uniform key, the rows of the ``sample_rows`` smallest keys are kept), on which the
  mixtures, spikes, decimals, metadata and derived columns are fitted;
- *witness rows*, real rows that carry what a sample can miss: for each numeric or datetime
  column the rows of its minimum and maximum (so the training range is exact), a row where it is
  missing (so the missing indicator exists when any row is missing), and for other columns a row
  whose value differs from the first row's (so a column is never taken for a constant because the
  sample saw one value). They are whole rows, so identities between columns hold on them too;
- exact counts of every value of each column, for columns with at most ``max_tracked_values``
  distinct values (categories seen only outside the sample are not lost, and the conditional
  vector's frequencies are the table's). A column past that many values stops being counted; its
  categories are the sample's, the rest share the "other" slot (see :func:`apply_counts`).

Memory: at most ``2 * sample_rows`` rows of the sample at once, the counts (at most
``max_tracked_values`` per column), a few rows per column and one record batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .columns import DiscreteColumn

__all__ = ["StreamStats", "apply_counts", "gather", "is_ordered"]


def is_ordered(s: pd.Series) -> bool:
    """Whether the column has a minimum and a maximum worth witnessing (numbers, datetimes)."""
    dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return False
    return bool(pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype))


def _keys(values: pd.Series) -> list[Any]:
    """Values as :class:`~.columns.DiscreteColumn` sees them (Python objects), missing as None."""
    obj = values.astype(object)
    return [None if m else v for v, m in zip(obj.tolist(), obj.isna().to_numpy())]


@dataclass
class _Reservoir:
    """The rows of the ``size`` smallest random keys seen so far (uniform without replacement)."""

    size: int
    rng: np.random.Generator
    keys: list[np.ndarray] = field(default_factory=list)
    frames: list[pd.DataFrame] = field(default_factory=list)
    held: int = 0
    threshold: float = np.inf

    def add(self, df: pd.DataFrame) -> None:
        u = self.rng.random(len(df))
        take = np.flatnonzero(u < self.threshold)
        if not len(take):
            return
        self.keys.append(u[take])
        self.frames.append(df.iloc[take])
        self.held += len(take)
        if self.held >= 2 * self.size:
            self._compact()

    def _compact(self) -> None:
        keys = np.concatenate(self.keys)
        frame = pd.concat(self.frames, ignore_index=True)
        keep = np.argsort(keys, kind="stable")[: self.size]
        self.keys, self.frames = [keys[keep]], [frame.iloc[keep].reset_index(drop=True)]
        self.held = len(keep)
        if self.held >= self.size:
            self.threshold = float(keys[keep].max())

    def frame(self) -> pd.DataFrame | None:
        if not self.frames:
            return None
        self._compact()
        return self.frames[0]


@dataclass
class StreamStats:
    """What one pass gathered.

    ``sample`` is the reservoir sample; ``witnesses`` the witness rows; ``counts[i]`` the exact
    count of each value of column ``i`` (first-seen order; ``None`` for a column with more than
    ``max_tracked_values`` distinct values); ``missing[i]`` its missing rows;
    ``minimum``/``maximum`` the extremes of ordered columns; ``n_rows`` the rows of the table.
    """

    columns: list[Any]
    n_rows: int
    sample: pd.DataFrame
    witnesses: pd.DataFrame
    counts: list[dict[Any, int] | None]
    missing: list[int]
    minimum: dict[int, Any]
    maximum: dict[int, Any]

    @property
    def fit_frame(self) -> pd.DataFrame:
        """The sample and the witness rows: the rows the encoders are fitted on."""
        if self.witnesses.empty:
            return self.sample
        return pd.concat([self.sample, self.witnesses], ignore_index=True)


class _Witnesses:
    """Per column, the few real rows a sample may miss (see the module)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, int], pd.DataFrame] = {}
        self.best: dict[tuple[str, int], Any] = {}
        self.first: dict[int, Any] = {}

    def _keep(self, kind: str, i: int, df: pd.DataFrame, pos: int, value: Any = None) -> None:
        self.rows[(kind, i)] = df.iloc[[pos]]
        self.best[(kind, i)] = value

    def add(self, df: pd.DataFrame, ordered: list[bool]) -> None:
        for i in range(df.shape[1]):
            s = df.iloc[:, i]
            missing = s.isna().to_numpy()
            if missing.any() and ("missing", i) not in self.rows:
                self._keep("missing", i, df, int(np.argmax(missing)))
            if missing.all():
                continue
            if ordered[i]:
                present = s[~missing]
                lo, hi = present.min(), present.max()
                if ("min", i) not in self.best or lo < self.best[("min", i)]:
                    self._keep("min", i, df, int(np.flatnonzero(~missing)[present.argmin()]), lo)
                if ("max", i) not in self.best or hi > self.best[("max", i)]:
                    self._keep("max", i, df, int(np.flatnonzero(~missing)[present.argmax()]), hi)
            elif ("other", i) not in self.rows:
                obj = s.astype(object)
                if i not in self.first:
                    self.first[i] = obj[~missing].iloc[0]
                differ = np.flatnonzero((obj != self.first[i]).to_numpy() & ~missing)
                if len(differ):
                    self._keep("other", i, df, int(differ[0]))

    def frame(self, columns: pd.Index) -> pd.DataFrame:
        if not self.rows:
            return pd.DataFrame(columns=columns)
        return pd.concat(list(self.rows.values()), ignore_index=True)


def gather(
    batches: Iterable[pd.DataFrame],
    *,
    sample_rows: int,
    max_tracked_values: int,
    rng: np.random.Generator,
) -> StreamStats:
    """One pass over ``batches`` (DataFrames of the same columns): see the module."""
    reservoir = _Reservoir(sample_rows, rng)
    witnesses = _Witnesses()
    counts: list[dict[Any, int] | None] = []
    missing: list[int] = []
    ordered: list[bool] = []
    minimum: dict[int, Any] = {}
    maximum: dict[int, Any] = {}
    columns: pd.Index | None = None
    n = 0
    for df in _non_empty(batches):
        if columns is None:
            columns = df.columns
            counts = [{} for _ in columns]
            missing = [0] * len(columns)
            ordered = [is_ordered(df.iloc[:, i]) for i in range(len(columns))]
        n += len(df)
        reservoir.add(df)
        witnesses.add(df, ordered)
        for i in range(len(columns)):
            s = df.iloc[:, i]
            nan = s.isna()
            missing[i] += int(nan.sum())
            if ordered[i] and not nan.all():
                lo, hi = s[~nan].min(), s[~nan].max()
                minimum[i] = lo if i not in minimum else min(minimum[i], lo)
                maximum[i] = hi if i not in maximum else max(maximum[i], hi)
            table = counts[i]
            if table is None:
                continue
            for key, c in _value_counts(s):
                table[key] = table.get(key, 0) + c
            if len(table) > max_tracked_values:
                counts[i] = None  # too many values to count: the sample's stand for them
    if columns is None:
        raise ValueError("The table is empty: it has no rows.")
    sample = reservoir.frame()
    assert sample is not None
    return StreamStats(
        list(columns), n, sample, witnesses.frame(columns), counts, missing, minimum, maximum
    )


def _non_empty(batches: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    for df in batches:
        if len(df):
            yield df.reset_index(drop=True)


def _value_counts(s: pd.Series) -> list[tuple[Any, int]]:
    """``(value, count)`` of the column, missing values (NaN, None, NaT) counted as None."""
    vc = s.value_counts(dropna=False, sort=False)
    keys = _keys(pd.Series(vc.index, dtype=object) if len(vc) else pd.Series([], dtype=object))
    merged: dict[Any, int] = {}
    for k, c in zip(keys, vc.to_numpy().tolist()):
        merged[k] = merged.get(k, 0) + int(c)
    return list(merged.items())


def apply_counts(
    column: DiscreteColumn, counts: dict[Any, int] | None, n_rows: int, n_fit: int
) -> None:
    """Give a discrete column fitted on the fit frame the table's exact value counts.

    The categories become every value of the table, by frequency (ties in first-seen order),
    the rarest sharing the "other" slot beyond ``max_categories``, as a fit on the whole table
    would make them. Without counts (``None``: too many distinct values to track) the
    categories stay the fit frame's and their counts are scaled to the table's size; values
    the fit frame never saw then encode to the "other" slot.
    """
    if counts is None:
        scale = n_rows / max(n_fit, 1)
        column.counts_ = np.maximum(1, np.round(column.counts_ * scale)).astype(np.int64)
        column.other_counts_ = np.maximum(1, np.round(column.other_counts_ * scale)).astype(
            np.int64
        )
        return
    values = list(counts)
    freq = np.asarray([counts[v] for v in values], dtype=np.int64)
    order = np.argsort(-freq, kind="stable")
    keep = len(values) if len(values) <= column.max_categories else column.max_categories - 1
    column.categories_ = [values[j] for j in order[:keep]]
    column.counts_ = freq[order[:keep]]
    column.other_values_ = [values[j] for j in order[keep:]]
    column.other_counts_ = freq[order[keep:]]
    column.refresh_index()
