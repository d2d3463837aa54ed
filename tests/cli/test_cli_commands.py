"""The `tabgan` command line, run in-process through `main([...])`, and as a process with pipes."""

from __future__ import annotations

import inspect
import io
import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pandas as pd
import pytest
from palmerpenguins import load_penguins

from tabgan import GANSynthesizer
from tabgan.cli import _typed_value, build_parser, estimator_params, main


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    data = load_penguins()[["species", "island", "bill_length_mm", "sex", "year"]]
    data = data.sample(frac=1.0, random_state=0).reset_index(drop=True)
    data.iloc[:120].to_csv(root / "train.csv", index=False)
    data.iloc[120:200].to_parquet(root / "holdout.parquet", index=False)
    return root


@pytest.fixture(scope="module")
def model(tables):
    out = tables / "model"
    code = main(
        [
            "fit",
            str(tables / "train.csv"),
            "-o",
            str(out),
            "--epochs",
            "1",
            "--batch-size",
            "40",
            "--random-state",
            "0",
            "--quiet",
            "--discrete-columns",
            "year",
            "--checkpoint-dir",
            str(tables / "checkpoint"),
        ]
    )
    assert code == 0
    return out


@pytest.mark.parametrize("command", ["fit", "sample", "evaluate", "info"])
def test_help_of_each_subcommand(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: tabgan {command}" in out
    assert "--verbose" in out


def test_top_level_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("fit", "sample", "evaluate", "info"):
        assert command in out


def test_fit_options_come_from_the_estimator_signature(capsys):
    params = inspect.signature(GANSynthesizer).parameters
    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    out = capsys.readouterr().out
    for name in ("epochs", "loss", "batch_size", "pac", "checkpoint_every", "max_seconds"):
        assert "--" + name.replace("_", "-") in out
    assert f"default: {params['checkpoint_every'].default!r}" in out
    args = build_parser().parse_args(
        ["fit", "d.csv", "-o", "m", "--epochs", "7", "--betas", "0.5", "0.9", "--loss", "hinge"]
    )
    # only what was given is passed, so everything else keeps the estimator's default
    assert estimator_params(args) == {"epochs": 7, "betas": (0.5, 0.9), "loss": "hinge"}


def test_round_trip(tables, model, capsys):
    capsys.readouterr()
    synthetic = tables / "synthetic.csv"
    assert (
        main(
            [
                "sample",
                str(model),
                "-n",
                "150",
                "-o",
                str(synthetic),
                "--seed",
                "1",
                "--condition",
                "species=Gentoo",
                "--condition",
                "year=2008",
            ]
        )
        == 0
    )
    frame = pd.read_csv(synthetic)
    assert len(frame) == 150
    assert list(frame.columns) == ["species", "island", "bill_length_mm", "sex", "year"]
    assert (frame["species"] == "Gentoo").all() and (frame["year"] == 2008).all()
    assert main(["sample", str(model), "-n", "60", "-o", str(tables / "s.parquet")]) == 0
    assert len(pd.read_parquet(tables / "s.parquet")) == 60

    report = tables / "report.html"
    assert (
        main(
            [
                "evaluate",
                str(tables / "train.csv"),
                str(synthetic),
                "--holdout",
                str(tables / "holdout.parquet"),
                "--target",
                "island",
                "--model",
                str(model),
                "-o",
                str(report),
                "--quiet",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "quality_score" in out and "memorization_flagged" in out
    text = report.read_text()
    # distributions, DCR, history (one numeric column: no correlation heat map)
    assert text.count("data:image/png;base64,") == 3
    assert "Training history" in text

    assert main(["info", str(model)]) == 0
    out = capsys.readouterr().out
    assert "adapter:      tabular" in out
    assert "year: categorical" in out  # from --discrete-columns
    assert "epochs: 1" in out


def _error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err


def test_csv_that_does_not_parse(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text('a,b\n1,2\n3,"4\n5,6,7,8\n')
    assert main(["fit", str(bad), "-o", str(tmp_path / "m"), "--epochs", "1"]) == 1
    assert "bad.csv' does not parse as CSV" in _error(capsys)


def test_missing_and_unknown_files(tmp_path, capsys):
    assert main(["fit", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "m")]) == 1
    assert "nope.csv': no such file" in _error(capsys)
    (tmp_path / "data.xlsx").write_text("x")
    assert main(["evaluate", str(tmp_path / "data.xlsx"), "b.csv", "-o", "r.html"]) == 1
    assert "unknown table format '.xlsx'" in _error(capsys)
    (tmp_path / "junk.parquet").write_bytes(b"not parquet at all")
    assert main(["fit", str(tmp_path / "junk.parquet"), "-o", str(tmp_path / "m")]) == 1
    assert "junk.parquet' does not parse as Parquet" in _error(capsys)


def test_evaluate_bad_target(tables, capsys):
    code = main(
        [
            "evaluate",
            str(tables / "train.csv"),
            str(tables / "train.csv"),
            "--holdout",
            str(tables / "holdout.parquet"),
            "--target",
            "price",
            "-o",
            str(tables / "r.html"),
            "--quiet",
        ]
    )
    assert code == 1
    assert "target 'price' is not a column" in _error(capsys)


def test_bad_condition(model, tmp_path, capsys):
    code = main(
        [
            "sample",
            str(model),
            "-n",
            "5",
            "-o",
            str(tmp_path / "o.csv"),
            "--condition",
            "colour=red",
        ]
    )
    assert code == 1
    assert "'colour'" in _error(capsys)


@pytest.fixture
def model_copy(model, tmp_path):
    import shutil

    return shutil.copytree(model, tmp_path / "model")


def test_model_missing_file(model_copy, capsys):
    (model_copy / "model.safetensors").unlink()
    assert main(["info", str(model_copy)]) == 1
    assert "lacks model.safetensors" in _error(capsys)


def test_model_tampered_tensors(model_copy, capsys):
    blob = bytearray((model_copy / "model.safetensors").read_bytes())
    blob[-1] ^= 0xFF
    (model_copy / "model.safetensors").write_bytes(bytes(blob))
    assert main(["sample", str(model_copy), "-n", "5", "-o", str(model_copy / "o.csv")]) == 1
    assert "does not match the checksum" in _error(capsys)


def test_model_bad_json(model_copy, capsys):
    (model_copy / "model.json").write_text("{not json")
    assert main(["info", str(model_copy)]) == 1
    assert "model.json is not valid JSON" in _error(capsys)


def test_model_json_missing_field(model_copy, capsys):
    doc = json.loads((model_copy / "model.json").read_text())
    del doc["training_config"]
    (model_copy / "model.json").write_text(json.dumps(doc))
    assert main(["info", str(model_copy)]) == 1
    assert "lacks the field 'training_config'" in _error(capsys)


def test_verbose_shows_traceback(tmp_path, capsys):
    assert main(["info", str(tmp_path / "none"), "--verbose"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "No saved model folder" in err


def test_console_script_exit_code(tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "tabgan.cli", "info", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.strip().startswith("tabgan info: error: No saved model folder")
    assert "Traceback" not in done.stderr


# -- stdin and stdout ("-") -------------------------------------------------------------------
def _tabgan(*args, cwd, stdin=None):
    """Run `python -m tabgan ARGS` as a process; bytes in, text out."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "tabgan", *map(str, args)],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def test_fit_reads_csv_from_stdin(tables, tmp_path, capsys):
    frame = pd.read_csv(tables / "train.csv")
    frame.columns = ["espèce", "île", "bec_mm", "性别", "année"]
    # a CSV as a spreadsheet saves it: UTF-8 with a byte-order mark
    data = b"\xef\xbb\xbf" + frame.to_csv(index=False).encode("utf-8")
    done = _tabgan(
        "fit", "-", "-o", "m", "--epochs", "1", "--batch-size", "40", "--quiet",
        cwd=tmp_path, stdin=data,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().startswith("trained on 120 rows x 5 columns")
    assert main(["info", str(tmp_path / "m")]) == 0
    out = capsys.readouterr().out
    assert "  espèce: categorical" in out  # no BOM glued to the first name
    assert "  性别: categorical" in out


def test_sample_writes_only_csv_to_stdout(model, tmp_path):
    done = _tabgan("sample", model, "-n", "7", "-o", "-", "--seed", "3", cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    text = done.stdout.decode("utf-8")
    lines = text.splitlines()
    assert lines[0] == "species,island,bill_length_mm,sex,year"
    assert len(lines) == 8  # the header and 7 rows, nothing else
    frame = pd.read_csv(io.StringIO(text))
    assert frame.shape == (7, 5)
    assert done.stderr.decode().strip() == "wrote 7 rows to stdout"
    assert not list(tmp_path.iterdir())  # no file named '-'


def test_evaluate_reads_stdin_and_writes_json_to_stdout(tables, model, tmp_path):
    assert main(["sample", str(model), "-n", "60", "-o", str(tmp_path / "s.csv")]) == 0
    done = _tabgan(
        "evaluate", "-", tmp_path / "s.csv", "-o", "-", "--quiet",
        cwd=tmp_path, stdin=(tables / "train.csv").read_bytes(),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    doc = json.loads(done.stdout)  # stdout is one JSON document, nothing else
    assert doc["real_rows"] == 120 and doc["synthetic_rows"] == 60
    assert 0 <= doc["quality_score"] <= 1 and isinstance(doc["memorization_flagged"], bool)
    assert "quality_score" in done.stderr.decode()  # the text summary went to stderr


def test_closed_pipe_ends_quietly(model, tmp_path):
    # 20,000 rows are ~500 kB, far more than a pipe holds: the writer meets the closed pipe
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tabgan", "sample", str(model), "-n", "20000", "-o", "-"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=300) == 141
    assert first == b"species,island,bill_length_mm,sex,year\n"
    assert err == ""  # no traceback, no "Exception ignored", no info line


def test_two_inputs_from_stdin_are_refused(tables, capsys):
    assert main(["evaluate", "-", "-", "-o", "r.html"]) == 1
    assert _error(capsys) == (
        "tabgan evaluate: error: real and synthetic are both '-': only one input can be read "
        "from stdin."
    )
    train = str(tables / "train.csv")
    assert main(["evaluate", train, "-", "--holdout", "-", "-o", "r.html"]) == 1
    assert "synthetic and --holdout are both '-'" in _error(capsys)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "stdin is empty: pipe a CSV table into '-'."),
        (b"  \n", "stdin is empty: pipe a CSV table into '-'."),
        (b"a,b\n", "stdin holds no rows."),
    ],
)
def test_empty_stdin(data, message, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["fit", "-", "-o", str(tmp_path / "m"), "--epochs", "1"]) == 1
    assert _error(capsys) == f"tabgan fit: error: {message}"


def test_fit_output_cannot_be_stdout_or_a_file(tables, tmp_path, capsys):
    train = str(tables / "train.csv")
    assert main(["fit", train, "-o", "-", "--epochs", "1"]) == 1
    assert "-o -: a model is a folder of files; it cannot go to stdout." in _error(capsys)
    assert not (tmp_path / "-").exists()
    assert main(["fit", train, "-o", train, "--epochs", "1"]) == 1  # refused before training
    assert "train.csv' is a file; the model needs a folder." in _error(capsys)


# -- a hostile user ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "argument -n/--num-rows: must be >= 1, got 0"),
        ("-3", "argument -n/--num-rows: must be >= 1, got -3"),
        ("abc", "argument -n/--num-rows: 'abc' is not a whole number"),
    ],
)
def test_bad_number_of_rows_is_a_usage_error(model, value, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["sample", str(model), "-n", value, "-o", "o.csv"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip().endswith(f"tabgan sample: error: {message}")


def test_sample_from_missing_folder_and_from_a_checkpoint(tables, model, tmp_path, capsys):
    out = tmp_path / "o.csv"
    assert main(["sample", str(tmp_path / "none"), "-n", "5", "-o", str(out)]) == 1
    assert "No saved model folder at" in _error(capsys)
    # a checkpoint folder holds the sampling part too (its EMA generator)
    assert main(["sample", str(tables / "checkpoint"), "-n", "5", "-o", str(out)]) == 0
    assert len(pd.read_csv(out)) == 5


def _sample_error(model, tmp_path, capsys, *extra) -> str:
    code = main(["sample", str(model), "-n", "5", "-o", str(tmp_path / "o.csv"), *extra])
    assert code == 1
    return _error(capsys)


def test_condition_value_of_the_wrong_type_or_twice(model, tmp_path, capsys):
    err = _sample_error(model, tmp_path, capsys, "--condition", "bill_length_mm=abc")
    assert err == (
        "tabgan sample: error: --condition bill_length_mm=abc: 'bill_length_mm' is a numerical "
        "column and 'abc' is not a number."
    )
    twice = ["--condition", "species=Adelie", "--condition", "species=Gentoo"]
    err = _sample_error(model, tmp_path, capsys, *twice)
    assert err == "tabgan sample: error: --condition names column 'species' twice."


def test_number_on_a_numerical_column_is_passed_as_a_number(model, tmp_path, monkeypatch):
    seen = {}

    def sample(self, n, conditions=None, **kwargs):
        seen.update(conditions)
        return pd.DataFrame({"bill_length_mm": [40] * n})

    monkeypatch.setattr(GANSynthesizer, "sample", sample)
    out = str(tmp_path / "o.csv")
    args = ["--condition", "bill_length_mm=40", "--condition", "year=2008"]
    assert main(["sample", str(model), "-n", "2", "-o", out, *args]) == 0
    assert seen == {"bill_length_mm": 40, "year": 2008}
    assert type(seen["bill_length_mm"]) is int
    assert (
        main(["sample", str(model), "-n", "2", "-o", out, "--condition", "bill_length_mm=4e1"]) == 0
    )
    assert seen["bill_length_mm"] == 40.0 and type(seen["bill_length_mm"]) is float


def test_condition_text_names_the_training_value():
    categories = {"year": [2009.0, 2008.0, None], "flag": [True, False], "sex": ["m", None]}
    adapter = SimpleNamespace(
        columns_=[*categories, "age"],
        transformers_=[SimpleNamespace(categories_=c) for c in categories.values()]
        + [SimpleNamespace()],
        metadata_={"columns": {"age": {"sdtype": "numerical"}}},
    )
    columns = adapter.columns_
    assert _typed_value(adapter, columns, "year", "2008") == 2008.0  # a float column's category
    assert _typed_value(adapter, columns, "year", "2008.0") == 2008.0
    assert _typed_value(adapter, columns, "flag", "true") is True
    assert _typed_value(adapter, columns, "flag", "False") is False
    assert _typed_value(adapter, columns, "sex", "") is None  # empty, as CSV writes missing
    assert _typed_value(adapter, columns, "sex", "f") == "f"  # unseen: the adapter says so
    assert _typed_value(adapter, columns, "age", "30") == 30


def test_output_paths(model, tmp_path, capsys):
    deep = tmp_path / "a" / "b" / "o.csv"
    assert main(["sample", str(model), "-n", "5", "-o", str(deep)]) == 0  # folders made
    assert len(pd.read_csv(deep)) == 5
    capsys.readouterr()
    (tmp_path / "d.csv").mkdir()
    err = _sample_error(model, tmp_path, capsys, "-o", str(tmp_path / "d.csv"))
    assert err.endswith("d.csv' is a folder; give a file name.")
    err = _sample_error(model, tmp_path, capsys, "-o", str(deep / "o.csv"))
    assert err.endswith("o.csv' is a file, not a folder.")
    err = _sample_error(model, tmp_path, capsys, "-o", str(tmp_path / "o.xlsx"))
    assert "unknown table format '.xlsx'; use .csv or .parquet (or - for stdin/stdout" in err


def test_evaluate_json_report_and_unknown_report_format(tables, tmp_path, capsys):
    train = str(tables / "train.csv")
    assert main(["evaluate", train, train, "-o", str(tmp_path / "r.txt"), "--quiet"]) == 1
    assert _error(capsys) == (
        f"tabgan evaluate: error: -o {str(tmp_path / 'r.txt')!r}: the report is HTML (*.html) "
        "or JSON (*.json, or - for stdout)."
    )
    assert main(["evaluate", train, train, "-o", str(tmp_path / "r.json"), "--quiet"]) == 0
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["real_rows"] == doc["synthetic_rows"] == 120 and "notes" in doc


def test_semicolon_separated_csv(tables, tmp_path, capsys):
    semi = tmp_path / "semi.csv"
    pd.read_csv(tables / "train.csv").to_csv(semi, sep=";", index=False)
    model_dir = tmp_path / "m"
    assert main(["fit", str(semi), "-o", str(model_dir), "--epochs", "1", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("trained on 120 rows x 5 columns")
    assert "reading " + repr(str(semi)) + " as ';'-separated CSV" in captured.err


def test_drop_copies_needs_the_training_table_as_reference(model, tables, tmp_path, capsys):
    out = tmp_path / "o.csv"
    assert main(["sample", str(model), "-n", "5", "-o", str(out), "--drop-copies"]) == 1
    assert "--reference" in capsys.readouterr().err
    ref = str(tables / "train.csv")
    assert main(["sample", str(model), "-n", "5", "-o", str(out), "--reference", ref]) == 1
    assert "only used with --drop-copies" in capsys.readouterr().err
    code = main(
        ["sample", str(model), "-n", "60", "-o", str(out), "--drop-copies", "--reference", ref]
    )
    assert code == 0, capsys.readouterr().err
    synthetic = pd.read_csv(out)
    train = pd.read_csv(ref)
    assert len(synthetic) == 60
    assert not len(synthetic.merge(train.drop_duplicates(), how="inner"))
