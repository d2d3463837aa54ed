"""The `tabgan` command line, run in-process through `main([...])`."""

from __future__ import annotations

import inspect
import json

import pandas as pd
import pytest
from palmerpenguins import load_penguins

from tabgan import GANSynthesizer
from tabgan.cli import build_parser, estimator_params, main


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
