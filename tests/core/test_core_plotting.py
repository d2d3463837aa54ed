"""`plot_history` draws without pyplot: it saves headless and leaves the user's backend alone."""

import matplotlib
import pandas as pd
import pytest
from matplotlib.figure import Figure

from tabgan.engine.plotting import plot_history

HISTORY = pd.DataFrame(
    {"epoch": [1, 2, 3], "step": [4, 8, 12], "seconds": [0.1, 0.2, 0.3], "d_loss": [1.3, 1.2, 1.1]}
)


def test_plot_history_keeps_the_users_backend(tmp_path):
    before = matplotlib.get_backend()
    matplotlib.use("svg")
    try:
        fig = plot_history(HISTORY, tmp_path / "h.png")
        assert matplotlib.get_backend() == "svg"
    finally:
        matplotlib.use(before)
    assert isinstance(fig, Figure)
    assert (tmp_path / "h.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_history_without_a_path_returns_a_figure_with_one_axis_per_loss():
    fig = plot_history(HISTORY.assign(g_loss=[0.7, 0.8, 0.9]))
    assert [ax.get_ylabel() for ax in fig.axes] == ["d_loss", "g_loss"]


def test_plot_history_of_an_empty_history_says_so():
    with pytest.raises(ValueError, match="empty"):
        plot_history(HISTORY.iloc[:0])
