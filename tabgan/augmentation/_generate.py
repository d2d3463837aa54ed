"""Train a conditional GAN on ``X`` plus the label column and draw labelled rows per class.

The label travels as one extra discrete column. Rows for class ``c`` are drawn with
``synthesizer.sample(n, conditions={label_column: c})``: the tabular adapter makes discrete
conditions exact, so every synthetic row's label *is* its condition, never a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from ._common import make_rng
from ._data import Table, free_column_name
from .filtering import adversarial_filter

__all__ = [
    "LabelledSynthesizer",
    "default_synthesizer",
    "draw_rows",
    "fit_labelled",
    "generate_rows",
]

#: Label values as the GAN sees them (strings, so the column is discrete whatever y holds).
LABEL_PREFIX = "class_"


def default_synthesizer() -> Any:
    """The synthesizer used when ``synthesizer=None``: the tabular GAN, quiet."""
    from ..estimator.synthesizer import GANSynthesizer

    return GANSynthesizer(adapter="tabular", verbose=False)


def _prepared_synthesizer(synthesizer: Any, seed: int | None) -> Any:
    synth = default_synthesizer() if synthesizer is None else clone(synthesizer)
    if seed is not None and "random_state" in synth.get_params(deep=False):
        synth.set_params(random_state=seed)
    return synth


@dataclass
class LabelledSynthesizer:
    """A synthesizer fitted on ``X`` plus the label column, and how labels map to its values."""

    synthesizer: Any
    column: str
    label_of: dict[Any, str]
    columns: list[str]

    def draw(self, c: Any, n: int) -> pd.DataFrame:
        """``n`` rows of class ``c`` (label column removed), checked to carry that label."""
        rows = self.synthesizer.sample(n, conditions={self.column: self.label_of[c]})
        if not isinstance(rows, pd.DataFrame) or len(rows) != n:
            raise RuntimeError(
                f"The synthesizer returned {type(rows).__name__} of length {len(rows)} for "
                f"sample({n}); a pandas DataFrame of {n} rows was expected."
            )
        wrong = int((rows[self.column].astype(str) != self.label_of[c]).sum())
        if wrong:
            raise RuntimeError(
                f"The synthesizer ignored the condition on the label: {wrong} of {n} rows "
                f"drawn for class {c!r} carry another label. Use a synthesizer whose discrete "
                "conditions are exact (GANSynthesizer(adapter='tabular'))."
            )
        return rows.drop(columns=[self.column]).reset_index(drop=True)[self.columns]


def fit_labelled(
    table: Table, y: np.ndarray, synthesizer: Any, seed: int | None
) -> LabelledSynthesizer:
    """Fit a fresh copy of ``synthesizer`` on ``table.frame`` plus ``y`` as a discrete column."""
    classes = np.unique(y)
    label_of = {c: f"{LABEL_PREFIX}{i}" for i, c in enumerate(classes.tolist())}
    column = free_column_name(table.frame.columns)
    train = table.frame.copy()
    train[column] = pd.Categorical(
        [label_of[v] for v in y.tolist()], categories=list(label_of.values())
    )
    synth = _prepared_synthesizer(synthesizer, seed)
    synth.fit(train)
    return LabelledSynthesizer(synth, column, label_of, list(table.frame.columns))


def draw_rows(
    labelled: LabelledSynthesizer,
    table: Table,
    y: np.ndarray,
    counts: Mapping[Any, int],
    *,
    rng: np.random.RandomState,
    filter: str | None = None,
    filter_pool: float = 2.0,
) -> tuple[pd.DataFrame, np.ndarray]:
    """``counts[c]`` synthetic rows per class ``c``, adversarially filtered when asked."""
    counts = {c: int(n) for c, n in counts.items() if n > 0}
    if not counts:
        return table.frame.iloc[:0], y[:0]
    pool_factor = filter_pool if filter == "adversarial" else 1.0
    parts, labels = [], []
    for c, n in counts.items():
        n_draw = int(np.ceil(n * pool_factor))
        parts.append(labelled.draw(c, n_draw))
        labels.append(np.full(n_draw, c, dtype=object))
    synthetic = pd.concat(parts, ignore_index=True)
    synth_y = np.concatenate(labels)
    if filter == "adversarial":
        keep = adversarial_filter(
            table.frame,
            y,
            synthetic,
            synth_y,
            counts,
            random_state=int(rng.randint(np.iinfo(np.int32).max)),
        )
        synthetic = synthetic.iloc[keep].reset_index(drop=True)
        synth_y = synth_y[keep]
    return synthetic, synth_y.astype(y.dtype)


def generate_rows(
    table: Table,
    y: np.ndarray,
    counts: Mapping[Any, int],
    *,
    synthesizer: Any,
    random_state: Any,
    filter: str | None = None,
    filter_pool: float = 2.0,
) -> tuple[pd.DataFrame, np.ndarray, Any]:
    """Fit a fresh copy of ``synthesizer`` on ``table`` + ``y`` and sample ``counts[c]`` rows of c.

    Returns
    -------
    synthetic : DataFrame with ``table.frame``'s columns (label column removed)
    labels : array of the class of each synthetic row, ``y``'s dtype
    fitted_synthesizer : the trained synthesizer
    """
    rng = make_rng(random_state)
    seed = int(rng.randint(np.iinfo(np.int32).max))
    # random_state=None leaves the synthesizer's own random_state as the user set it
    labelled = fit_labelled(table, y, synthesizer, None if random_state is None else seed)
    synthetic, labels = draw_rows(
        labelled, table, y, counts, rng=rng, filter=filter, filter_pool=filter_pool
    )
    return synthetic, labels, labelled.synthesizer
