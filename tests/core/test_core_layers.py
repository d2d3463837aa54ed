"""The import contract: the engine knows no domain, the estimator knows no application.

Layers, lowest first (a module may import from its own layer and the ones below, never above):

1. ``tabgan.engine``: the adversarial game on tensors (training loop, losses, regularizers,
   EMA, callbacks, checkpoints, seeding, devices, plots of a run).
2. ``tabgan.estimator``: the adapter contract and registry, the built-in ``vector`` adapter,
   ``GANSynthesizer`` and its persistence, the conformance suite ``tabgan.testing``.
3. ``tabgan.plugins``: the domain adapters (tabular, audio, text), found through entry points.
4. Applications on top of the tabular adapter: ``tabgan.evaluation``, ``tabgan.augmentation``,
   ``tabgan.cli``.

Read from the source with :mod:`ast` (every ``import`` statement, including those inside
functions), so a lazy import cannot hide a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = {
    "tabgan.engine": 1,
    "tabgan.estimator": 2,
    "tabgan.testing": 2,
    "tabgan.plugins": 3,
    "tabgan.evaluation": 4,
    "tabgan.augmentation": 4,
    "tabgan.cli": 4,
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[0] == "plugins":
        parts = ["tabgan", *parts]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _layer(module: str) -> int | None:
    best = None
    for prefix, layer in LAYERS.items():
        if module == prefix or module.startswith(prefix + "."):
            if best is None or len(prefix) > len(best[0]):
                best = (prefix, layer)
    return None if best is None else best[1]


def _imports(path: Path, module: str) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # `from tabgan import plugins` names a module, not an attribute
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
    return found


def _sources() -> list[Path]:
    return sorted((ROOT / "tabgan").rglob("*.py")) + sorted((ROOT / "plugins").rglob("*.py"))


def test_every_module_belongs_to_a_layer():
    lost = [str(p.relative_to(ROOT)) for p in _sources() if _layer(_module_name(p)) is None]
    lost = [
        p
        for p in lost
        if p not in ("tabgan/__init__.py", "tabgan/__main__.py", "tabgan/_version.py")
    ]
    assert not lost, f"modules outside every layer (add them to LAYERS): {lost}"


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_imports_a_layer_above_its_own(path):
    module = _module_name(path)
    own = _layer(module)
    if own is None:
        return
    above = [
        f"line {line}: {target}"
        for line, target in _imports(path, module)
        if target.startswith("tabgan") and (_layer(target) or 0) > own
    ]
    assert not above, f"{module} (layer {own}) imports from a higher layer: {above}"


def test_the_contract_catches_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from tabgan.plugins.tabular import metadata\n")
    targets = [t for _, t in _imports(bad, "tabgan.engine.bad")]
    assert any(_layer(t) == 3 for t in targets)
