"""`plugins/` installs as `tabgan.plugins`, never as a top-level `plugins`: editable and wheel."""

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import importlib.util, json, tabgan, tabgan.plugins, tabgan.plugins.tabular;"
    "print(json.dumps({'tabgan': tabgan.__file__, 'plugins': tabgan.plugins.__file__,"
    " 'top_level_plugins': importlib.util.find_spec('plugins') is not None}))"
)


def _probe(python: str, cwd: Path) -> dict:
    import json

    out = subprocess.run(
        [python, "-c", PROBE], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_editable_install_maps_plugins_under_tabgan(tmp_path):
    found = _probe(sys.executable, tmp_path)
    assert Path(found["plugins"]).parent == ROOT / "plugins"
    assert not found["top_level_plugins"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("tabgan_engine-*.whl")
    return path


def test_wheel_holds_plugins_under_tabgan_and_no_top_level_plugins(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "tabgan/plugins/__init__.py" in names
    for sub in ("tabular", "audio", "text"):
        assert f"tabgan/plugins/{sub}/__init__.py" in names
    assert "tabgan/py.typed" in names
    assert not [n for n in names if n.startswith("plugins/")]
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/", "examples/"))]
    # every package folder of the source tree made it into the wheel
    for init in list((ROOT / "tabgan").rglob("__init__.py")) + list(
        (ROOT / "plugins").rglob("__init__.py")
    ):
        rel = init.relative_to(ROOT)
        name = "tabgan/" + str(rel) if rel.parts[0] == "plugins" else str(rel)
        assert name in names, f"{name} is missing from the wheel"
    meta = [n for n in names if n.endswith("METADATA")][0]
    text = zipfile.ZipFile(wheel).read(meta).decode()
    assert "Name: tabgan-engine" in text


def _isolated_env(env: Path) -> str:
    """A venv of this interpreter's base that sees this interpreter's packages but not its tabgan.

    ``venv.create(system_site_packages=True)`` would give the *base* interpreter's
    site-packages, not ours, so inside a venv or a conda env torch would be missing. Instead
    the new venv gets a ``.pth`` line per site-packages folder of the running interpreter: the
    folders join ``sys.path`` after the venv's own, and their ``.pth`` files (the editable
    install's finder among them) are not run, so only the wheel provides ``tabgan``.
    """
    venv.create(env, system_site_packages=False, with_pip=False)
    python = env / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    site_dir = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = [
        p for p in sys.path if p.endswith(("site-packages", "dist-packages")) and Path(p).is_dir()
    ]
    (Path(site_dir) / "outer_site_packages.pth").write_text("\n".join(ours) + "\n")
    return str(python)


def test_isolated_env_sees_our_packages_but_not_our_tabgan(tmp_path):
    python = _isolated_env(tmp_path / "venv")
    done = subprocess.run(
        [python, "-c", "import importlib.util as u, numpy; print(u.find_spec('tabgan'))"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None"


def test_wheel_installs_into_a_fresh_venv(wheel, tmp_path):
    env = tmp_path / "venv"
    python = _isolated_env(env)
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q", str(wheel)],
        check=True,
        capture_output=True,
    )
    found = _probe(python, tmp_path)
    assert Path(found["tabgan"]).is_relative_to(env), found
    assert Path(found["plugins"]).is_relative_to(env / "lib"), found
    assert not found["top_level_plugins"]
    failed = subprocess.run(
        [python, "-c", "import plugins"], cwd=tmp_path, capture_output=True, text=True
    )
    assert failed.returncode != 0 and "No module named 'plugins'" in failed.stderr
