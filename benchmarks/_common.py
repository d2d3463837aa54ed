"""What the benchmark scripts share: threads, step clocks, peak memory, run notes, tables, scores.

Scripts in ``benchmarks/`` import it as a sibling module, like :mod:`datasets` (the script's
folder is on ``sys.path`` when it runs as ``python benchmarks/<script>.py``)::

    from _common import StepClock, md_header, md_row, set_threads

* threads: :func:`argument_parser` (with the ``--threads`` and ``--quick`` flags) and
  :func:`set_threads`, which returns the count torch reports, so that every script prints the
  count it ran with;
* :class:`StepClock`: the first and last time of a run of training steps, from torch's global
  optimizer-step hook (any model, ours or a peer) or as a tabgan callback (generator steps);
* :func:`peak_rss_mb`: this process's peak resident set size;
* :func:`command_line` and :func:`compute_note`: the command and the machine, for a results file;
* :func:`md_header`, :func:`md_row` and :func:`markdown_table`: markdown result tables;
* :func:`quality_scores`: sdmetrics' ``QualityReport`` as tabgan computes it
  (:func:`tabgan.evaluation.quality.quality_report`), keyed as the result tables are.

What tabgan measures itself is called from the library, not copied here: the quality report
(above), exact copies (:func:`tabgan.evaluation.privacy.row_hashes`) and metadata inference
(:func:`tabgan.plugins.tabular.infer_metadata`).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shlex
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "StepClock",
    "argument_parser",
    "command_line",
    "compute_note",
    "markdown_table",
    "md_header",
    "md_row",
    "peak_rss_mb",
    "quality_scores",
    "set_threads",
]


# -- threads ------------------------------------------------------------------------------------
def argument_parser(
    doc: str,
    *,
    quick: str | None = None,
    threads: int = 1,
    choices: Sequence[int] | None = None,
    full_doc: bool = False,
) -> argparse.ArgumentParser:
    """A script's parser, described by its docstring's first line (``full_doc``: all of it, as
    written), with the flags timed scripts share: ``--quick`` (when ``quick``, its help, is
    given) and ``--threads`` (torch threads; the script prints the count it ran with)."""
    if full_doc:
        parser = argparse.ArgumentParser(
            description=doc, formatter_class=argparse.RawTextHelpFormatter
        )
    else:
        parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    if quick is not None:
        parser.add_argument("--quick", action="store_true", help=quick)
    parser.add_argument(
        "--threads",
        type=int,
        default=threads,
        choices=choices,
        help=f"torch threads, printed with the results (default {threads})",
    )
    return parser


def set_threads(n: int) -> int:
    """``torch.set_num_threads(n)``; returns ``torch.get_num_threads()``, the count to print."""
    import torch

    torch.set_num_threads(n)
    return torch.get_num_threads()


# -- clocks and memory --------------------------------------------------------------------------
class StepClock:
    """The first and last wall-clock time of a run of training steps, and how many there were.

    Two sources of steps:

    * as a context manager (``with StepClock() as clock: model.fit(...)``), every ``torch.optim``
      optimizer step, through torch's public global post-step hook: the same clock for tabgan
      and for a peer such as CTGAN, blind to the encoding and setup either does before its
      first step;
    * through :meth:`callback` (``GANSynthesizer(callbacks=[clock.callback()])``), the end of
      every tabgan generator step (with the critic steps before it).

    Only the first and last times and the count are kept, so the clock adds no memory that
    grows with the run (a peak-RSS reading next to it stays the model's). Nothing of tabgan is
    imported until :meth:`callback` is called, so a peer's worker process holds none of it.
    """

    def __init__(self) -> None:
        self._reset()
        self._handle: Any = None

    def _reset(self) -> None:
        self.count, self.first, self.last = 0, float("nan"), float("nan")

    def tick(self) -> None:
        now = time.perf_counter()
        if self.count == 0:
            self.first = now
        self.last = now
        self.count += 1

    def callback(self) -> Any:
        """A tabgan :class:`~tabgan.Callback` that ticks this clock after every generator step."""
        from tabgan.engine.callbacks import Callback

        clock = self

        class _Tick(Callback):
            def on_step_end(self, trainer: Any, logs: dict[str, Any]) -> None:
                clock.tick()

        return _Tick()

    def _hook(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        self.tick()

    def __enter__(self) -> StepClock:
        from torch.optim.optimizer import register_optimizer_step_post_hook

        self._reset()
        self._handle = register_optimizer_step_post_hook(self._hook)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._handle.remove()
        self._handle = None

    def steps_per_second(self) -> float:
        """Steps per second between the first and the last step (the first step's own time,
        with its warm-up, left out)."""
        if self.count < 2:
            return float("nan")
        return (self.count - 1) / (self.last - self.first)

    def training_seconds(self) -> float:
        """First to last step, scaled by ``n / (n - 1)`` steps: the time of all ``n`` steps."""
        if self.count < 2:
            return float("nan")
        return (self.last - self.first) * self.count / (self.count - 1)


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB (MiB, as ``ru_maxrss / 1024``).

    On Linux the high-water mark of this process image (``VmHWM`` in ``/proc/self/status``):
    ``resource.getrusage``'s ``ru_maxrss`` keeps the parent's peak across fork and exec, so a
    worker started by a 730 MB parent reads at least 730 MB before it allocates anything.
    Elsewhere ``ru_maxrss``. tracemalloc would not do: it does not see torch's tensors.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024.0**2 if sys.platform == "darwin" else rss / 1024.0  # bytes there, KiB here


# -- what ran, where ----------------------------------------------------------------------------
def command_line(script: str | Path, argv: Sequence[str] | None = None) -> str:
    """``python benchmarks/<script> <arguments>``, shell-quoted (default: this process's)."""
    args = sys.argv[1:] if argv is None else list(argv)
    return shlex.join(["python", f"benchmarks/{Path(script).name}", *args])


def compute_note(load_start: float) -> str:
    """Cores, processor, torch version and thread count, and the load average at the start."""
    import torch

    return (
        f"{os.cpu_count()} CPU cores ({platform.processor() or platform.machine()}), torch "
        f"{torch.__version__}, {torch.get_num_threads()} torch thread(s), load average "
        f"{load_start:.1f} at start"
    )


# -- markdown tables ----------------------------------------------------------------------------
def md_row(cells: Iterable[Any]) -> str:
    """One markdown table row: ``| a | b |``."""
    return "| " + " | ".join(str(c) for c in cells) + " |"


def md_header(columns: Iterable[Any]) -> list[str]:
    """A markdown table's header row and its ``|---|---|`` rule."""
    names = [str(c) for c in columns]
    return [md_row(names), "|" + "---|" * len(names)]


def markdown_table(frame: pd.DataFrame, float_format: str | None = None) -> str:
    """``frame`` as a markdown table; floats written with ``float_format`` (e.g. ``".3f"``)."""

    def cell(v: Any) -> str:
        return f"{v:{float_format}}" if float_format and isinstance(v, float) else str(v)

    rows = [md_row(cell(v) for v in row) for row in frame.itertuples(index=False)]
    return "\n".join(md_header(frame.columns) + rows)


# -- scores the library computes ----------------------------------------------------------------
def quality_scores(
    real: pd.DataFrame, synthetic: pd.DataFrame, metadata: dict[str, Any]
) -> dict[str, float]:
    """sdmetrics ``QualityReport`` of ``synthetic`` against ``real``, through tabgan's
    :func:`~tabgan.evaluation.quality.quality_report` (sdmetrics' warnings kept out of the
    output): ``quality`` (the score), ``column_shapes`` and ``pair_trends`` (its properties)."""
    from tabgan.evaluation.quality import quality_report

    notes: list[str] = []
    report = quality_report(real, synthetic[list(real.columns)], metadata, notes)
    props = report.get_properties()
    if "Table" in props.columns:
        props = props.groupby("Property", sort=False)["Score"].mean().reset_index()
    score = props.set_index("Property")["Score"]
    return {
        "quality": float(report.get_score()),
        "column_shapes": float(score.get("Column Shapes", float("nan"))),
        "pair_trends": float(score.get("Column Pair Trends", float("nan"))),
    }
