"""Render a :class:`~tabgan.evaluation.report.Report` as one self-contained HTML page."""

from __future__ import annotations

import base64
import html
import io
from typing import TYPE_CHECKING

import pandas as pd
from matplotlib.figure import Figure

from .report import _fmt

if TYPE_CHECKING:
    from .report import Report

__all__ = ["figure_to_base64", "render"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;
max-width:1100px;color:#222;padding:0 1em}
h1{margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid #ddd;border-radius:8px;padding:10px 16px;min-width:150px}
.card .v{font-size:1.6em;font-weight:600}.card .k{color:#666;font-size:.85em}
.bad{background:#fde8e8;border-color:#e57373}.good{background:#e8f5e9;border-color:#81c784}
table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ddd;padding:4px 8px;
text-align:right}th{background:#f5f5f5}img{max-width:100%;border:1px solid #eee}
.note{color:#795548;font-size:.85em}
.row{display:flex;gap:16px;align-items:flex-start}.row img{max-width:640px}
"""


def figure_to_base64(fig: Figure, dpi: int = 90) -> str:
    """PNG bytes of a figure, base64-encoded."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _card(label: str, value: str, css: str = "") -> str:
    return (
        f'<div class="card {css}"><div class="v">{html.escape(value)}</div>'
        f'<div class="k">{html.escape(label)}</div></div>'
    )


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(
        float_format=lambda v: f"{v:.4f}", na_rep="n/a", border=0, index_names=False
    )


def render(report: Report) -> str:
    """The page's HTML text."""
    m = report.memorization
    flagged = m.flagged
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        "<title>tabgan evaluation report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>tabgan evaluation report</h1>",
        f"<p>{len(report.real)} real rows, {len(report.synthetic)} synthetic rows, "
        f"{report.real.shape[1]} columns.</p>",
        '<div class="cards">',
        _card("quality score (sdmetrics)", _fmt(report.quality_score)),
        _card("column shapes", _fmt(report.column_shapes)),
        _card("column pair trends", _fmt(report.column_pair_trends)),
        _card("diagnostic score", _fmt(report.diagnostic_score)),
        _card(
            "exact copies of training rows",
            f"{m.exact_copy_share:.1%}",
            "bad" if flagged else "good",
        ),
        _card(
            "memorization", "FLAGGED" if flagged else "not flagged", "bad" if flagged else "good"
        ),
        "</div>",
        "<h2>Memorization</h2>",
        f"<p>Distance to the closest training record (DCR) of synthetic rows, against the "
        f"baseline of {html.escape(m.baseline)}. A copy-cat generator has DCR near 0.</p>",
    ]
    figs = {name: figure_to_base64(fig) for name, fig in report.plot().items()}

    def image(name: str, title: str | None = None) -> None:
        if name in figs:
            if title:
                parts.append(f"<h2>{title}</h2>")
            parts.append(f'<img alt="{name}" src="data:image/png;base64,{figs[name]}">')

    mem = report.to_frame()
    parts.append('<div class="row"><div>')
    parts.append(_table(mem[mem.section == "memorization"].set_index("metric")[["value"]]))
    parts.append("</div><div>")
    image("dcr")
    parts.append("</div></div>")
    for section, title, text in (
        (
            "differential_privacy",
            "Differential privacy",
            "The synthesizer was trained with differential privacy: the budget it spent.",
        ),
        (
            "privacy_risk",
            "Disclosure risk (attacks)",
            "Membership attack ROC AUC (0.5: the synthetic rows do not tell training rows from "
            "holdout rows) and anonymeter's risks (0: no risk beyond the holdout's).",
        ),
    ):
        rows = mem[mem.section == section]
        if len(rows):
            parts.append(f"<h2>{title}</h2><p>{text}</p>")
            parts.append(_table(rows.set_index("metric")[["value"]]))
    if report.ml_efficacy is not None:
        parts.append(
            f"<h2>Machine-learning efficacy ({html.escape(str(report.task))}, target "
            f"{html.escape(repr(report.target))})</h2><p>A random forest trained on real "
            "vs on synthetic rows, scored on the real holdout.</p>"
        )
        parts.append(_table(report.ml_efficacy))
    image("distributions", "Distributions")
    image("correlation_difference", "Correlation difference")
    image("loss_history", "Training history")
    parts.append("<h2>Column shapes (sdmetrics)</h2>")
    parts.append(_table(report.column_quality.set_index(report.column_quality.columns[0])))
    if report.notes:
        parts.append("<h2>Notes</h2><ul>")
        parts.extend(f'<li class="note">{html.escape(n)}</li>' for n in report.notes)
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)
