"""Plots of training runs, drawn with matplotlib's object API (the user's backend untouched)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["plot_history"]


def plot_history(history: pd.DataFrame, path: str | Path | None = None) -> Any:
    """Plot each logged loss against the epoch; save a PNG when ``path`` is given.

    Returns the matplotlib ``Figure``. It is made without pyplot, so saving works on a machine
    with no display and the user's matplotlib backend is never changed; a notebook displays the
    returned figure.
    """
    from matplotlib.figure import Figure

    if history.empty:
        raise ValueError("The training history is empty: nothing to plot.")
    columns = [c for c in history.columns if c not in ("epoch", "step", "seconds")]
    fig = Figure(figsize=(7, 2.2 * len(columns)))
    axes = fig.subplots(len(columns), 1, sharex=True)
    axes = [axes] if len(columns) == 1 else list(axes)
    for ax, col in zip(axes, columns, strict=True):
        ax.plot(history["epoch"], history[col], lw=1.2)
        ax.set_ylabel(col)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("epoch")
    fig.suptitle("tabgan training history")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig
