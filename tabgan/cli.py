"""The ``tabgan`` command line: fit, sample, evaluate and inspect tabular models.

    tabgan fit data.csv -o model/ --epochs 300 --discrete-columns a,b
    tabgan sample model/ -n 1000 -o synthetic.csv --condition species=Gentoo
    tabgan evaluate real.csv synthetic.csv --holdout holdout.csv --target y -o report.html
    tabgan info model/

Files are read and written as CSV or Parquet, by extension. The options of ``fit`` are made from
``GANSynthesizer``'s signature, so their defaults are the estimator's own.

``-`` is standard input or output, the Unix way::

    cat data.csv | tabgan fit - -o model/
    tabgan sample model/ -n 1000 -o - | head
    tabgan sample model/ -n 1000 -o - | tabgan evaluate real.csv - -o - | jq .quality_score

A table read from stdin (``fit``'s data; any one of ``evaluate``'s tables) is CSV; ``sample -o
-`` writes CSV to stdout; ``evaluate -o -`` writes the report's headline scores as JSON to stdout
(as ``-o report.json`` does to a file; ``-o report.html`` writes the HTML page). When data goes
to stdout, stdout holds only the data: progress bars, info lines and warnings go to stderr. One
command reads stdin once: two ``-`` inputs are refused. A reader that closes the pipe early
(``| head -1``) ends the command quietly with exit code 141 (128 + SIGPIPE).

CSV is read as UTF-8 (a byte-order mark is skipped). Its separator is ``,``, unless the header
line has no comma and holds ``;``, a tab or ``|``: then the most frequent of those is used and a
note says so on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import io
import json
import math
import numbers
import os
import sys
import traceback
import types
import typing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from tabgan.engine import distributed

__all__ = ["STDIO", "build_parser", "main", "read_table", "write_table"]

#: Estimator parameters the CLI does not expose as ``--options`` (code objects, or handled apart).
_SKIPPED = {"adapter", "callbacks", "verbose"}
_TABLE_EXTENSIONS = (".csv", ".parquet", ".pq")
_REPORT_EXTENSIONS = (".html", ".htm", ".json")
#: The file name that means standard input (for a table read) or standard output (a write).
STDIO = "-"
#: Separators tried, in this order, when a CSV header line holds no comma.
_OTHER_SEPARATORS = (";", "\t", "|")
#: Exit code after a reader closed our stdout pipe (as a process killed by SIGPIPE reports).
_EXIT_BROKEN_PIPE = 128 + 13
#: Bytes per write to stdout (a Linux pipe's default buffer).
_PIPE_CHUNK = 1 << 16


class CLIError(Exception):
    """A user error the CLI reports as one line."""


def _is_stdio(path: object) -> bool:
    """Whether a command-line path is ``-`` (a ``Path`` never is: ``Path("./-")`` prints ``-``)."""
    return isinstance(path, str) and path == STDIO


def _note(message: str) -> None:
    print(f"tabgan: {message}", file=sys.stderr)


# -- files ------------------------------------------------------------------------------------
def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in _TABLE_EXTENSIONS:
        raise CLIError(
            f"{str(path)!r}: unknown table format {suffix or '(no extension)'!r}; "
            "use .csv or .parquet (or - for stdin/stdout, as CSV)."
        )
    return "csv" if suffix == ".csv" else "parquet"


def _separator(header: bytes) -> str:
    """``,`` unless the header line has none but holds ``;``, a tab or ``|`` (the most there)."""
    line = header.decode("utf-8", errors="replace")
    if "," in line:
        return ","
    counts = [(line.count(sep), sep) for sep in _OTHER_SEPARATORS]
    count, sep = max(counts, key=lambda pair: pair[0])
    return sep if count else ","


def _read_csv(source: Path | io.BytesIO, header: bytes, label: str) -> pd.DataFrame:
    sep = _separator(header)
    if sep != ",":
        _note(f"reading {label} as {sep!r}-separated CSV (its header line has no comma)")
    return pd.read_csv(source, sep=sep, encoding="utf-8")


def _parsed(read: Callable[[], pd.DataFrame], label: str, kind: str) -> pd.DataFrame:
    """``read()``, its errors as one line naming ``label``; refuses a table without rows."""
    try:
        frame = read()
    except ImportError as exc:
        raise CLIError(f"{label}: reading Parquet needs pyarrow ({exc}).") from None
    except UnicodeDecodeError as exc:
        raise CLIError(f"{label} does not parse as {kind.upper()}: {exc} (use UTF-8).") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CLIError(f"{label} does not parse as {kind.upper()}: {msg}") from None
    except Exception as exc:  # pyarrow raises its own error types
        if kind == "parquet":
            raise CLIError(f"{label} does not parse as Parquet: {exc}") from None
        raise
    if frame.empty:
        raise CLIError(f"{label} holds no rows.")
    return frame


def _read_stdin() -> pd.DataFrame:
    raw = sys.stdin.buffer.read() if sys.stdin is not None else b""
    if not raw.strip():
        raise CLIError("stdin is empty: pipe a CSV table into '-'.")
    header = raw.split(b"\n", 1)[0]
    return _parsed(lambda: _read_csv(io.BytesIO(raw), header, "stdin"), "stdin", "csv")


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file (by extension), with clear errors naming the file.

    The string ``"-"`` reads CSV from standard input.
    """
    if _is_stdio(path):
        return _read_stdin()
    path = Path(path)
    kind = _kind(path)
    if not path.is_file():
        raise CLIError(f"{str(path)!r}: no such file.")
    label = repr(str(path))
    if kind == "parquet":
        return _parsed(lambda: pd.read_parquet(path), label, kind)
    with path.open("rb") as f:
        header = f.readline(1 << 16)
    return _parsed(lambda: _read_csv(path, header, label), label, kind)


def _write_stdout(text: str, stdout: IO[str] | None = None) -> None:
    """Write ``text`` to stdout as UTF-8, whatever the terminal's encoding.

    It goes in pieces of the size of a pipe's buffer: one large ``write`` into a pipe whose
    reader leaves (``| head -1``) can end without ``BrokenPipeError``; the next piece raises it.
    """
    out = stdout if stdout is not None else sys.stdout
    buffer = getattr(out, "buffer", None)
    out.flush()
    if buffer is None:
        out.write(text)
    else:
        data = memoryview(text.encode("utf-8"))
        for start in range(0, len(data), _PIPE_CHUNK):
            buffer.write(data[start : start + _PIPE_CHUNK])
        buffer.flush()
    out.flush()


def _check_parents(path: Path) -> None:
    """Refuse, before any work, an output path under a file (``data.csv/out.csv``)."""
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise CLIError(f"-o {str(path)!r}: {str(parent)!r} is a file, not a folder.")
            return


def _check_output_file(path: Path) -> None:
    """Refuse, before any work, an output path that cannot be a file."""
    if path.is_dir():
        raise CLIError(f"-o {str(path)!r} is a folder; give a file name.")
    _check_parents(path)


def _writing(path: Path, write: Callable[[], Any]) -> None:
    """Run ``write()``, an ``OSError`` (permissions, a full disk) as one line naming ``path``."""
    try:
        write()
    except OSError as exc:
        raise CLIError(f"cannot write {str(path)!r}: {exc.strerror or exc}.") from None


def write_table(
    frame: pd.DataFrame, path: str | Path, *, stdout: IO[str] | None = None
) -> Path | None:
    """Write a DataFrame as CSV or Parquet (by extension), creating the folder.

    The string ``"-"`` writes CSV to ``stdout`` (default ``sys.stdout``) and returns ``None``.
    """
    if _is_stdio(path):
        _write_stdout(frame.to_csv(index=False), stdout)
        return None
    path = Path(path)
    kind = _kind(path)
    _check_output_file(path)

    def write() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "csv":
            frame.to_csv(path, index=False)
        else:
            frame.to_parquet(path, index=False)

    _writing(path, write)
    return path


# -- estimator options ------------------------------------------------------------------------
def _estimator_options() -> list[tuple[str, inspect.Parameter]]:
    from tabgan import GANSynthesizer

    params = inspect.signature(GANSynthesizer, eval_str=True).parameters
    return [(n, p) for n, p in params.items() if n not in _SKIPPED]


def _base_types(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return [a for a in typing.get_args(annotation) if a is not type(None)]
    return [annotation]


def _add_estimator_option(group: Any, name: str, param: inspect.Parameter) -> None:
    flag = "--" + name.replace("_", "-")
    kinds = _base_types(param.annotation)
    first = kinds[0] if kinds else str
    default = param.default
    shown = "the adapter's default" if default is None else repr(default)
    kwargs: dict[str, Any] = {"dest": f"est_{name}", "default": argparse.SUPPRESS}
    if typing.get_origin(first) is tuple:
        args = typing.get_args(first)
        kwargs.update(nargs=len(args), type=args[0], metavar=name[:-1].upper() or "V")
    elif first is bool:
        kwargs.update(action=argparse.BooleanOptionalAction)
    elif first in (int, float):
        kwargs.update(type=first, metavar=first.__name__.upper())
    elif name == "random_state":
        kwargs.update(type=int, metavar="INT")
    elif typing.get_origin(first) is dict:  # differential_privacy: a JSON object
        kwargs.update(type=_json_object, metavar="JSON")
    else:
        kwargs.update(type=str, metavar="VALUE")
    group.add_argument(flag, help=f"GANSynthesizer({name}=...); default: {shown}", **kwargs)


def _json_object(text: str) -> dict[str, Any]:
    """A JSON object on the command line, e.g. ``'{"epsilon": 3}'``."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not JSON ({exc}): {text!r}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(
            f"expected a JSON object such as '{{\"epsilon\": 3}}', got {text!r}"
        )
    return value


def estimator_params(args: argparse.Namespace) -> dict[str, Any]:
    """The ``GANSynthesizer`` keyword arguments given on the command line (only those)."""
    out = {}
    for key, value in vars(args).items():
        if key.startswith("est_"):
            out[key[4:]] = tuple(value) if isinstance(value, list) else value
    return out


# -- parser -----------------------------------------------------------------------------------
def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _verbose_parent() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the full traceback on errors",
    )
    return parent


def build_parser() -> argparse.ArgumentParser:
    """The ``tabgan`` argument parser with its four subcommands."""
    parser = argparse.ArgumentParser(
        prog="tabgan",
        description="Synthesize tables with GANs: fit, sample, evaluate, info.",
        epilog="A file name - is stdin (a CSV table) or stdout (sample's CSV, evaluate's JSON); "
        "with data on stdout, everything else goes to stderr.",
    )
    parser.add_argument(
        "--verbose", action="store_true", default=False, help="show the full traceback on errors"
    )
    from tabgan import __version__

    parser.add_argument("--version", action="version", version=f"tabgan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    parent = [_verbose_parent()]

    fit = sub.add_parser(
        "fit",
        parents=parent,
        help="train a model on a table",
        description="Train a GANSynthesizer on a CSV/Parquet table (or CSV from stdin) and "
        "save it.",
    )
    fit.add_argument(
        "data",
        help="training table (.csv or .parquet; - reads CSV from stdin; a folder of Parquet or "
        "CSV files is streamed)",
    )
    fit.add_argument("-o", "--output", required=True, help="model folder to write")
    fit.add_argument("--adapter", default="tabular", help="data adapter (default: tabular)")
    fit.add_argument(
        "--discrete-columns",
        default=None,
        metavar="A,B",
        help="comma-separated columns to treat as categorical",
    )
    fit.add_argument(
        "--metadata",
        type=Path,
        default=None,
        metavar="META.json",
        help="sdmetrics-style metadata {'columns': {name: {'sdtype': ...}}}",
    )
    fit.add_argument("--quiet", action="store_true", help="no progress bar")
    fit.add_argument(
        "--stream",
        action="store_true",
        help="read the table in pieces instead of loading it (always for a folder of Parquet "
        "or CSV files); memory is bounded by the stream's settings, not by the rows",
    )
    group = fit.add_argument_group("estimator parameters (GANSynthesizer)")
    for name, param in _estimator_options():
        _add_estimator_option(group, name, param)

    sample = sub.add_parser(
        "sample",
        parents=parent,
        help="sample rows from a saved model",
        description="Generate rows from a model folder written by `fit`.",
    )
    sample.add_argument("model", type=Path, help="model folder")
    sample.add_argument(
        "-n", "--num-rows", type=_positive_int, required=True, help="rows to generate (>= 1)"
    )
    sample.add_argument(
        "-o",
        "--output",
        required=True,
        help="output table (.csv or .parquet; - writes CSV to stdout, and only that)",
    )
    sample.add_argument(
        "--condition",
        action="append",
        default=[],
        metavar="COL=VALUE",
        help="fix a column's value (repeatable): a value seen in training for a categorical or "
        "boolean column (empty for missing), a number for a numerical one",
    )
    sample.add_argument("--seed", type=int, default=None, help="seed for this sampling call")
    sample.add_argument(
        "--drop-copies",
        action="store_true",
        help="replace rows identical to a row of --reference (needs --reference)",
    )
    sample.add_argument(
        "--reference",
        default=None,
        metavar="TABLE",
        help="the training table (.csv or .parquet) that --drop-copies compares against; a "
        "saved model keeps no trace of its training rows",
    )
    shards = sample.add_argument_group(
        "sharded output (-o is then a folder of Parquet shards, the same wherever they run)"
    )
    shards.add_argument(
        "--num-shards", type=_positive_int, default=None, help="split the rows into K shards"
    )
    shards.add_argument(
        "--shard-index",
        type=int,
        action="append",
        default=None,
        metavar="I",
        help="write only shard I (repeatable; e.g. $SLURM_ARRAY_TASK_ID); default: all",
    )
    shards.add_argument(
        "--jobs", type=_positive_int, default=1, help="local processes writing shards (default 1)"
    )
    shards.add_argument(
        "--rows-per-group",
        type=_positive_int,
        default=None,
        help="rows drawn and written per Parquet row group (default 100000)",
    )

    ev = sub.add_parser(
        "evaluate",
        parents=parent,
        help="compare synthetic with real rows",
        description="Quality, ML efficacy and memorization as an HTML or JSON report. Any one "
        "of the tables may be - (CSV from stdin).",
    )
    ev.add_argument("real", help="the training table (.csv, .parquet or -)")
    ev.add_argument("synthetic", help="the synthetic table (.csv, .parquet or -)")
    ev.add_argument(
        "-o",
        "--output",
        required=True,
        help="report file: .html (the page) or .json (the headline scores); - writes the JSON "
        "to stdout, and only that",
    )
    ev.add_argument("--holdout", default=None, help="real rows never trained on (or -)")
    ev.add_argument("--target", default=None, help="column to predict (needs --holdout)")
    ev.add_argument("--metadata", type=Path, default=None, metavar="META.json")
    ev.add_argument(
        "--model", type=Path, default=None, help="model folder: adds its metadata and loss history"
    )
    ev.add_argument("--quiet", action="store_true", help="no progress bar")

    info = sub.add_parser(
        "info",
        parents=parent,
        help="describe a saved model",
        description="Print a saved model's adapter, columns and settings.",
    )
    info.add_argument("model", type=Path, help="model folder")
    return parser


# -- commands ---------------------------------------------------------------------------------
def _read_metadata(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    if not path.is_file():
        raise CLIError(f"{str(path)!r}: no such metadata file.")
    try:
        doc = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CLIError(f"{str(path)!r} is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("columns"), dict):
        raise CLIError(f"{str(path)!r} must hold {{'columns': {{name: {{'sdtype': ...}}}}}}.")
    return doc


def _label(path: str) -> str:
    return "stdin" if _is_stdio(path) else repr(path)


def _check_one_stdin(inputs: dict[str, str | None]) -> None:
    """Refuse two inputs read from stdin: a pipe is read once."""
    named = [name for name, path in inputs.items() if _is_stdio(path)]
    if len(named) > 1:
        raise CLIError(
            f"{' and '.join(named)} are both '-': only one input can be read from stdin."
        )


def _model_folder(output: str) -> Path:
    """The ``fit -o`` folder, refused before training when it cannot be one."""
    if _is_stdio(output):
        raise CLIError("-o -: a model is a folder of files; it cannot go to stdout.")
    path = Path(output)
    if path.exists() and not path.is_dir():
        raise CLIError(f"-o {output!r} is a file; the model needs a folder.")
    _check_parents(path)
    return path


def _cmd_fit(args: argparse.Namespace) -> int:
    from tabgan import GANSynthesizer

    output = _model_folder(args.output)
    streamed = args.stream or (not _is_stdio(args.data) and Path(args.data).is_dir())
    data = _table_stream(args.data) if streamed else read_table(args.data)
    columns = data.column_names if streamed else list(data.columns)
    metadata = _read_metadata(args.metadata)
    if args.discrete_columns:
        names = [c.strip() for c in args.discrete_columns.split(",") if c.strip()]
        unknown = [c for c in names if c not in columns]
        if unknown:
            raise CLIError(
                f"--discrete-columns names {unknown}, not columns of {_label(args.data)}."
            )
        metadata = metadata or {"columns": {}}
        for c in names:
            metadata["columns"][c] = {"sdtype": "categorical"}
    params = estimator_params(args)
    synth = GANSynthesizer(adapter=args.adapter, verbose=not args.quiet, **params)
    fit_params: dict[str, Any] = {"metadata": metadata} if metadata is not None else {}
    synth.fit(data, **fit_params)
    _writing(output, lambda: synth.save(output))  # under torchrun: rank 0 writes
    if distributed.is_main_process():
        rows = data.n_rows if streamed else len(data)
        print(
            f"trained on {rows} rows x {len(columns)} columns in {synth.n_steps_} steps; "
            f"saved to {args.output}"
        )
    distributed.shutdown()
    return 0


def _table_stream(path: str) -> Any:
    """``path`` (a Parquet/CSV file or a folder of them) as a stream, read in pieces."""
    from tabgan.plugins.tabular import TableStream

    if _is_stdio(path):
        raise CLIError("--stream reads files: stdin cannot be streamed (give a file or folder).")
    if not Path(path).exists():
        raise CLIError(f"{path!r}: no such file or folder.")
    try:
        return TableStream(path)
    except (ImportError, ValueError, OSError) as exc:
        raise CLIError(f"{path!r}: {exc}") from None


def _split_condition(item: str, columns: list[Any]) -> tuple[str, str]:
    """``COL=VALUE`` split at the ``=`` that ends a model column (names may hold ``=``)."""
    if "=" not in item:
        raise CLIError(f"--condition {item!r}: write it as COLUMN=VALUE.")
    for i, char in enumerate(item):
        if char == "=" and item[:i] in columns:
            return item[:i], item[i + 1 :]
    col, value = item.split("=", 1)
    return col, value


def _parse_conditions(items: Sequence[str], synth: Any) -> dict[str, Any] | None:
    if not items:
        return None
    conditions: dict[str, Any] = {}
    adapter = synth.adapter_
    columns = list(getattr(adapter, "columns_", []))
    for item in items:
        col, value = _split_condition(item, columns)
        if columns and col not in columns:
            raise CLIError(f"--condition names column {col!r}, not in the model {columns}.")
        if col in conditions:
            raise CLIError(f"--condition names column {col!r} twice.")
        conditions[col] = _typed_value(adapter, columns, col, value)
    return conditions


def _sdtype(adapter: Any, col: str) -> str | None:
    """The column's sdtype from the fitted adapter's public ``metadata_``, if it has one."""
    metadata = getattr(adapter, "metadata_", None)
    if not isinstance(metadata, dict):
        return None
    spec = metadata.get("columns", {}).get(col)
    return spec.get("sdtype") if isinstance(spec, dict) else None


def _number(col: str, value: str) -> int | float:
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        raise CLIError(
            f"--condition {col}={value}: {col!r} is a numerical column and {value!r} is not "
            "a number."
        ) from None


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _matches(candidate: Any, value: str) -> bool:
    """Whether the text ``value`` (from the command line) names the training value ``candidate``."""
    if str(candidate) == value:
        return True
    if _is_missing(candidate):
        return value == ""
    if isinstance(candidate, (bool, np.bool_)):
        return str(bool(candidate)).lower() == value.strip().lower()
    if isinstance(candidate, numbers.Real):
        try:
            return float(value) == float(candidate)
        except ValueError:
            return False
    return False


def _typed_value(adapter: Any, columns: list[Any], col: str, value: str) -> Any:
    """The training value whose text is ``value`` (CSV/CLI values are text; training was not).

    A numerical column's value becomes a number (``int`` when written as one). A categorical
    or boolean column's value becomes the training category it names: by its text, by number
    (``2008`` names ``2008.0``), case-insensitively for booleans, and empty for missing.
    """
    if _sdtype(adapter, col) == "numerical":
        return _number(col, value)
    if col in columns:
        transformers = getattr(adapter, "transformers_", [])
        known = getattr(transformers[columns.index(col)], "categories_", None)
        if known is not None:
            for candidate in list(known):
                if str(candidate) == value:
                    return candidate
            for candidate in list(known):
                if _matches(candidate, value):
                    return candidate
    return value


def _cmd_sample(args: argparse.Namespace) -> int:
    from tabgan import GANSynthesizer

    if args.num_shards is not None:
        return _cmd_sample_shards(args)
    for flag, given in (
        ("--shard-index", args.shard_index is not None),
        ("--jobs", args.jobs != 1),
        ("--rows-per-group", args.rows_per_group is not None),
    ):
        if given:
            raise CLIError(f"{flag} needs --num-shards.")
    if not _is_stdio(args.output):
        _kind(Path(args.output))
        _check_output_file(Path(args.output))
    _check_copy_reference(args)
    if args.reference is not None and _is_stdio(args.reference):
        raise CLIError("--reference must be a file, not stdin.")
    synth = GANSynthesizer.load(args.model)
    if args.reference is not None:
        synth.set_copy_reference(read_table(args.reference))
    conditions = _parse_conditions(args.condition, synth)
    out = synth.sample(
        args.num_rows, conditions, random_state=args.seed, drop_copies=args.drop_copies
    )
    if not isinstance(out, pd.DataFrame):
        raise CLIError(f"The {synth.adapter_.name!r} model does not produce tables.")
    write_table(out, args.output, stdout=getattr(args, "stdout", None))
    print(f"wrote {len(out)} rows to {'stdout' if _is_stdio(args.output) else args.output}")
    return 0


def _check_copy_reference(args: argparse.Namespace) -> None:
    """``--drop-copies`` and ``--reference`` come together."""
    if args.drop_copies and args.reference is None:
        raise CLIError(
            "--drop-copies needs --reference TABLE (the training table): a saved model keeps "
            "no trace of its training rows."
        )
    if args.reference is not None and not args.drop_copies:
        raise CLIError("--reference is only used with --drop-copies.")


def _cmd_sample_shards(args: argparse.Namespace) -> int:
    """``sample -n N -o folder/ --num-shards K``: Parquet shards (see tabgan.estimator.shards)."""
    from tabgan import GANSynthesizer
    from tabgan.estimator.shards import DEFAULT_ROWS_PER_GROUP

    if _is_stdio(args.output):
        raise CLIError("--num-shards writes a folder of Parquet files; -o - is not one.")
    folder = Path(args.output)
    if folder.exists() and not folder.is_dir():
        raise CLIError(f"-o {args.output!r} is a file; --num-shards writes into a folder.")
    _check_parents(folder)
    _check_copy_reference(args)
    synth = GANSynthesizer.load(args.model)
    reference = None
    if args.reference is not None:
        reference = read_table(args.reference)
        synth.set_copy_reference(reference)
    conditions = _parse_conditions(args.condition, synth)
    try:
        report = synth.sample_to_parquet(
            folder,
            args.num_rows,
            num_shards=args.num_shards,
            shard_index=args.shard_index,
            jobs=args.jobs,
            conditions=conditions,
            random_state=args.seed,
            rows_per_group=args.rows_per_group or DEFAULT_ROWS_PER_GROUP,
            drop_copies=args.drop_copies,
            reference=reference,
        )
    except OSError as exc:
        raise CLIError(f"cannot write {str(folder)!r}: {exc.strerror or exc}.") from None
    print(
        f"wrote {len(report.written)} shard(s), skipped {len(report.skipped)} finished "
        f"one(s), of {args.num_shards} in {args.output}"
    )
    return 0


def _report_format(output: str) -> str:
    if _is_stdio(output):
        return "json"
    path = Path(output)
    if path.suffix.lower() not in _REPORT_EXTENSIONS:
        raise CLIError(
            f"-o {output!r}: the report is HTML (*.html) or JSON (*.json, or - for stdout)."
        )
    _check_output_file(path)
    return "json" if path.suffix.lower() == ".json" else "html"


def _plain(value: Any) -> Any:
    """``value`` as plain JSON: numpy scalars as Python ones, NaN and infinities as null."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _report_json(report: Any) -> str:
    doc = {
        "real_rows": len(report.real),
        "synthetic_rows": len(report.synthetic),
        **report.summary(),
        "notes": list(report.notes),
    }
    return json.dumps(_plain(doc), indent=2, allow_nan=False) + "\n"


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from tabgan.evaluation import evaluate

    fmt = _report_format(args.output)
    _check_one_stdin({"real": args.real, "synthetic": args.synthetic, "--holdout": args.holdout})
    real, synthetic = read_table(args.real), read_table(args.synthetic)
    holdout = read_table(args.holdout) if args.holdout is not None else None
    synth = None
    if args.model is not None:
        from tabgan import GANSynthesizer

        synth = GANSynthesizer.load(args.model)
    report = evaluate(
        real,
        synthetic,
        holdout=holdout,
        metadata=_read_metadata(args.metadata),
        target=args.target,
        synthesizer=synth,
        verbose=not args.quiet,
    )
    print(report)
    if _is_stdio(args.output):
        _write_stdout(_report_json(report), getattr(args, "stdout", None))
        return 0
    path = Path(args.output)
    if fmt == "json":
        _writing(path, lambda: path.write_text(_report_json(report), encoding="utf-8"))
    else:
        _writing(path, lambda: report.to_html(path))
    print(f"wrote {args.output}")
    return 0


def _privacy_line(record: dict[str, Any] | None) -> str:
    """What ``tabgan info`` says about a model's differential privacy."""
    if not record:
        return "none (trained without differential privacy)"
    return (
        f"differential privacy, epsilon {record['epsilon']:.3g} spent of "
        f"{record['target_epsilon']:g} (delta {record['delta']:g}; preprocessing "
        f"{record['epsilon_preprocessing']:.3g}, DP-SGD {record['critic_steps']} critic steps, "
        f"noise multiplier {record['noise_multiplier']:.3g}, max_grad_norm "
        f"{record['max_grad_norm']:g})"
    )


def _cmd_info(args: argparse.Namespace) -> int:
    from tabgan import GANSynthesizer
    from tabgan.engine.serialization import CONFIG

    synth = GANSynthesizer.load(args.model)  # checks the files, version and checksum
    doc = json.loads((Path(args.model) / CONFIG).read_text())
    adapter = synth.adapter_
    lines = [
        f"model:        {args.model}",
        f"kind:         {doc.get('kind', 'model')}",
        f"tabgan:       {doc.get('tabgan_version')} (torch {doc.get('torch_version')})",
        f"adapter:      {adapter.name}",
        f"steps:        {synth.n_steps_}",
        f"privacy:      {_privacy_line(synth.privacy_)}",
    ]
    metadata = getattr(adapter, "metadata_", None)
    if metadata:
        lines.append(f"columns ({len(metadata['columns'])}):")
        lines.extend(f"  {c}: {spec['sdtype']}" for c, spec in metadata["columns"].items())
        constraints = metadata.get("constraints", [])
        if constraints:
            lines.append(f"constraints ({len(constraints)}):")
            lines.extend(f"  {c['kind']}: {c['description']}" for c in constraints)
    config = synth.config_.to_dict()
    lines.append("training config:")
    lines.extend(f"  {k}: {v}" for k, v in config.items())
    if not synth.history_.empty:
        last = synth.history_.iloc[-1].to_dict()
        lines.append("last epoch: " + ", ".join(f"{k}={v:.4g}" for k, v in last.items()))
    print("\n".join(lines))
    return 0


_COMMANDS = {"fit": _cmd_fit, "sample": _cmd_sample, "evaluate": _cmd_evaluate, "info": _cmd_info}


def _run(args: argparse.Namespace) -> int:
    """Run the command; one whose data goes to stdout (``-o -``) keeps stdout for it alone.

    Everything else such a command prints (info lines, anything a library prints) goes to
    stderr; the data is written to ``args.stdout``, the real stdout.
    """
    command = _COMMANDS[args.command]
    if args.command not in ("sample", "evaluate") or not _is_stdio(args.output):
        return command(args)
    args.stdout = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):
        return command(args)


def _silence_stdout() -> None:
    """After a reader closed the pipe: send stdout to /dev/null, so the exit flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (AttributeError, OSError, ValueError):  # no real file descriptor (e.g. captured)
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code.

    0 on success, 1 on an error, 2 on bad usage, 130 on Ctrl-C, and 141 (as a process killed by
    SIGPIPE reports) when a reader closed stdout early, as ``| head -1`` does: no message then.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = _run(args)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        _silence_stdout()
        return _EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print("tabgan: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.verbose:
            traceback.print_exc()
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(f"tabgan {args.command}: error: {message or type(exc).__name__}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
