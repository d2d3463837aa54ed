"""`tabgan fit --differential-privacy JSON` and what `tabgan info` says about it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tabgan.cli import build_parser, estimator_params, main

pytest.importorskip("opacus")
pytestmark = pytest.mark.filterwarnings("ignore:Optimal order is the:UserWarning")


def test_the_flag_takes_a_json_object():
    args = build_parser().parse_args(
        ["fit", "d.csv", "-o", "m", "--differential-privacy", '{"epsilon": 3, "delta": 1e-6}']
    )
    assert estimator_params(args) == {"differential_privacy": {"epsilon": 3, "delta": 1e-6}}
    with pytest.raises(SystemExit):
        build_parser().parse_args(["fit", "d.csv", "-o", "m", "--differential-privacy", "3"])


def test_fit_under_dp_and_info(tmp_path, capsys):
    rng = np.random.default_rng(0)
    n = 1200
    frame = pd.DataFrame(
        {"kind": rng.choice(["a", "b"], n), "value": rng.normal(50, 10, n).round().astype(int)}
    )
    frame.to_csv(tmp_path / "t.csv", index=False)
    dp = '{"epsilon": 4.0, "delta": 1e-5}'
    args = ["fit", str(tmp_path / "t.csv"), "-o", str(tmp_path / "m"), "--epochs", "2"]
    assert main([*args, "--quiet", "--differential-privacy", dp]) == 0
    capsys.readouterr()
    assert main(["info", str(tmp_path / "m")]) == 0
    out = capsys.readouterr().out
    doc = json.loads((tmp_path / "m" / "model.json").read_text())
    spent = doc["privacy"]["epsilon"]
    assert spent <= 4.0
    assert f"privacy:      differential privacy, epsilon {spent:.3g} spent of 4" in out
    assert main(["fit", str(tmp_path / "t.csv"), "-o", str(tmp_path / "p"), "--epochs", "1"]) == 0
    capsys.readouterr()
    assert main(["info", str(tmp_path / "p")]) == 0
    assert "privacy:      none (trained without differential privacy)" in capsys.readouterr().out
