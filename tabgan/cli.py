"""The ``tabgan`` command line: fit, sample, evaluate and inspect tabular models.

    tabgan fit data.csv -o model/ --epochs 300 --discrete-columns a,b
    tabgan sample model/ -n 1000 -o synthetic.csv --condition species=Gentoo
    tabgan evaluate real.csv synthetic.csv --holdout holdout.csv --target y -o report.html
    tabgan info model/

Files are read and written as CSV or Parquet, by extension. The options of ``fit`` are made from
``GANSynthesizer``'s signature, so their defaults are the estimator's own.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import traceback
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["build_parser", "main", "read_table", "write_table"]

#: Estimator parameters the CLI does not expose as ``--options`` (code objects, or handled apart).
_SKIPPED = {"adapter", "callbacks", "verbose"}
_TABLE_EXTENSIONS = (".csv", ".parquet", ".pq")


class CLIError(Exception):
    """A user error the CLI reports as one line."""


# -- files ------------------------------------------------------------------------------------
def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in _TABLE_EXTENSIONS:
        raise CLIError(
            f"{str(path)!r}: unknown table format {suffix or '(no extension)'!r}; "
            "use .csv or .parquet."
        )
    return "csv" if suffix == ".csv" else "parquet"


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file (by extension), with clear errors naming the file."""
    path = Path(path)
    kind = _kind(path)
    if not path.is_file():
        raise CLIError(f"{str(path)!r}: no such file.")
    try:
        if kind == "csv":
            frame = pd.read_csv(path)
        else:
            frame = pd.read_parquet(path)
    except ImportError as exc:
        raise CLIError(f"{str(path)!r}: reading Parquet needs pyarrow ({exc}).") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CLIError(f"{str(path)!r} does not parse as {kind.upper()}: {msg}") from None
    except Exception as exc:  # pyarrow raises its own error types
        if kind == "parquet":
            raise CLIError(f"{str(path)!r} does not parse as Parquet: {exc}") from None
        raise
    if frame.empty:
        raise CLIError(f"{str(path)!r} holds no rows.")
    return frame


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a DataFrame as CSV or Parquet (by extension), creating the folder."""
    path = Path(path)
    kind = _kind(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
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
    else:
        kwargs.update(type=str, metavar="VALUE")
    group.add_argument(flag, help=f"GANSynthesizer({name}=...); default: {shown}", **kwargs)


def estimator_params(args: argparse.Namespace) -> dict[str, Any]:
    """The ``GANSynthesizer`` keyword arguments given on the command line (only those)."""
    out = {}
    for key, value in vars(args).items():
        if key.startswith("est_"):
            out[key[4:]] = tuple(value) if isinstance(value, list) else value
    return out


# -- parser -----------------------------------------------------------------------------------
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
        prog="tabgan", description="Synthesize tables with GANs: fit, sample, evaluate, info."
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
        description="Train a GANSynthesizer on a CSV/Parquet table and save it.",
    )
    fit.add_argument("data", type=Path, help="training table (.csv or .parquet)")
    fit.add_argument("-o", "--output", type=Path, required=True, help="model folder to write")
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
    sample.add_argument("-n", "--num-rows", type=int, required=True, help="rows to generate")
    sample.add_argument(
        "-o", "--output", type=Path, required=True, help="output table (.csv or .parquet)"
    )
    sample.add_argument(
        "--condition",
        action="append",
        default=[],
        metavar="COL=VALUE",
        help="fix a categorical column's value (repeatable)",
    )
    sample.add_argument("--seed", type=int, default=None, help="seed for this sampling call")
    sample.add_argument(
        "--drop-copies", action="store_true", help="replace rows identical to a training row"
    )

    ev = sub.add_parser(
        "evaluate",
        parents=parent,
        help="compare synthetic with real rows",
        description="Quality, ML efficacy and memorization as an HTML report.",
    )
    ev.add_argument("real", type=Path, help="the training table")
    ev.add_argument("synthetic", type=Path, help="the synthetic table")
    ev.add_argument("-o", "--output", type=Path, required=True, help="report file (.html)")
    ev.add_argument("--holdout", type=Path, default=None, help="real rows never trained on")
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


def _cmd_fit(args: argparse.Namespace) -> int:
    from tabgan import GANSynthesizer

    data = read_table(args.data)
    metadata = _read_metadata(args.metadata)
    if args.discrete_columns:
        names = [c.strip() for c in args.discrete_columns.split(",") if c.strip()]
        unknown = [c for c in names if c not in data.columns]
        if unknown:
            raise CLIError(f"--discrete-columns names {unknown}, not columns of {args.data}.")
        metadata = metadata or {"columns": {}}
        for c in names:
            metadata["columns"][c] = {"sdtype": "categorical"}
    params = estimator_params(args)
    synth = GANSynthesizer(adapter=args.adapter, verbose=not args.quiet, **params)
    fit_params: dict[str, Any] = {"metadata": metadata} if metadata is not None else {}
    synth.fit(data, **fit_params)
    synth.save(args.output)
    print(
        f"trained on {len(data)} rows x {data.shape[1]} columns in {synth.n_steps_} steps; "
        f"saved to {args.output}"
    )
    return 0


def _parse_conditions(items: Sequence[str], synth: Any) -> dict[str, Any] | None:
    if not items:
        return None
    conditions: dict[str, Any] = {}
    adapter = synth.adapter_
    columns = list(getattr(adapter, "columns_", []))
    for item in items:
        if "=" not in item:
            raise CLIError(f"--condition {item!r}: write it as COLUMN=VALUE.")
        col, value = item.split("=", 1)
        if columns and col not in columns:
            raise CLIError(f"--condition names column {col!r}, not in the model {columns}.")
        conditions[col] = _typed_value(adapter, columns, col, value)
    return conditions


def _typed_value(adapter: Any, columns: list[Any], col: str, value: str) -> Any:
    """The training value whose text is ``value`` (CSV/CLI values are text; training was not)."""
    if col in columns:
        transformers = getattr(adapter, "transformers_", [])
        known = getattr(transformers[columns.index(col)], "categories_", None)
        if known is not None:
            for candidate in list(known):
                if str(candidate) == value:
                    return candidate
    return value


def _cmd_sample(args: argparse.Namespace) -> int:
    from tabgan import GANSynthesizer

    synth = GANSynthesizer.load(args.model)
    conditions = _parse_conditions(args.condition, synth)
    out = synth.sample(
        args.num_rows, conditions, random_state=args.seed, drop_copies=args.drop_copies
    )
    if not isinstance(out, pd.DataFrame):
        raise CLIError(f"The {synth.adapter_.name!r} model does not produce tables.")
    write_table(out, args.output)
    print(f"wrote {len(out)} rows to {args.output}")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from tabgan.evaluation import evaluate

    if args.output.suffix.lower() not in (".html", ".htm"):
        raise CLIError(f"-o {str(args.output)!r}: the report is HTML; name it *.html.")
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
    report.to_html(args.output)
    print(report)
    print(f"wrote {args.output}")
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    from tabgan import GANSynthesizer
    from tabgan.serialization import CONFIG

    synth = GANSynthesizer.load(args.model)  # checks the files, version and checksum
    doc = json.loads((Path(args.model) / CONFIG).read_text())
    adapter = synth.adapter_
    lines = [
        f"model:        {args.model}",
        f"kind:         {doc.get('kind', 'model')}",
        f"tabgan:       {doc.get('tabgan_version')} (torch {doc.get('torch_version')})",
        f"adapter:      {adapter.name}",
        f"steps:        {synth.n_steps_}",
    ]
    metadata = getattr(adapter, "metadata_", None)
    if metadata:
        lines.append(f"columns ({len(metadata['columns'])}):")
        lines.extend(f"  {c}: {spec['sdtype']}" for c, spec in metadata["columns"].items())
    config = synth.config_.to_dict()
    lines.append("training config:")
    lines.extend(f"  {k}: {v}" for k, v in config.items())
    if not synth.history_.empty:
        last = synth.history_.iloc[-1].to_dict()
        lines.append("last epoch: " + ", ".join(f"{k}={v:.4g}" for k, v in last.items()))
    print("\n".join(lines))
    return 0


_COMMANDS = {"fit": _cmd_fit, "sample": _cmd_sample, "evaluate": _cmd_evaluate, "info": _cmd_info}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 on success, 1 on an error, 2 on bad usage)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
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
