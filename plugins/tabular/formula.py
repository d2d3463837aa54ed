"""A restricted arithmetic language for :class:`~.constraints.Formula`, read with :mod:`ast`.

An expression is parsed once into a whitelisted tree and evaluated by walking it with numpy
(vectorized over rows, float64, NaN propagating); Python never evaluates the text, so an
expression read from a saved model cannot run code. Allowed:

* column names (Python identifiers, or any name between backticks: ```price (EUR)```),
* numbers (ints and floats; no booleans, strings or complex numbers),
* ``+ - * / // % **``, unary ``-`` and ``+``, parentheses,
* the functions ``abs``, ``min``, ``max`` (element-wise, 2 or more arguments), ``round(x)``
  and ``round(x, digits)`` (digits a whole number), ``floor``, ``ceil``, ``sqrt``, ``log``
  and ``exp``.

Anything else (attributes, subscripts, comparisons, keywords, lambdas, other calls) is refused
with the offending piece named.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["MAX_LENGTH", "Expression", "parse"]

#: Longest expression accepted (characters).
MAX_LENGTH = 1000

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.true_divide,
    ast.FloorDiv: np.floor_divide,
    ast.Mod: np.mod,
    ast.Pow: np.power,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.USub: np.negative, ast.UAdd: np.positive}
_FUNCTIONS: dict[str, tuple[int, int | None]] = {  # name: (fewest, most) arguments
    "abs": (1, 1),
    "min": (2, None),
    "max": (2, None),
    "round": (1, 2),
    "floor": (1, 1),
    "ceil": (1, 1),
    "sqrt": (1, 1),
    "log": (1, 1),
    "exp": (1, 1),
}
_QUOTED = re.compile(r"`([^`]*)`")


@dataclass(frozen=True)
class Expression:
    """A parsed, checked expression: its text, the columns it reads and the tree."""

    text: str
    names: tuple[str, ...]
    tree: ast.Expression
    quoted: dict[str, str]  # placeholder identifier -> quoted column name

    def evaluate(self, get: Callable[[str], np.ndarray], n: int) -> np.ndarray:
        """The expression over ``n`` rows, ``get(name)`` giving a column as float64."""
        with np.errstate(all="ignore"):
            out = self._eval(self.tree.body, get)
        return np.broadcast_to(np.asarray(out, dtype=np.float64), (n,)).copy()

    def _eval(self, node: ast.AST, get: Callable[[str], np.ndarray]) -> Any:
        if isinstance(node, ast.Constant):
            return np.float64(node.value)  # type: ignore[arg-type]  # a number: checked in parse
        if isinstance(node, ast.Name):
            return get(self.quoted.get(node.id, node.id))
        if isinstance(node, ast.BinOp):
            return _BINARY[type(node.op)](self._eval(node.left, get), self._eval(node.right, get))
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](self._eval(node.operand, get))
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        name = node.func.id
        if name == "round":
            digits = int(node.args[1].value) if len(node.args) == 2 else 0  # type: ignore[attr-defined]
            return np.round(self._eval(node.args[0], get), digits)
        args = [self._eval(a, get) for a in node.args]
        if name in ("min", "max"):
            out = args[0]
            for a in args[1:]:  # NaN propagates: a missing input gives a missing result
                out = np.minimum(out, a) if name == "min" else np.maximum(out, a)
            return out
        fn = {
            "abs": np.abs,
            "floor": np.floor,
            "ceil": np.ceil,
            "sqrt": np.sqrt,
            "log": np.log,
            "exp": np.exp,
        }[name]
        return fn(args[0])


def parse(text: str) -> Expression:
    """``text`` as an :class:`Expression`; ``ValueError`` naming what is not allowed."""
    if not isinstance(text, str):
        raise TypeError(f"A formula expression is a string, got {type(text).__name__}.")
    if not text.strip():
        raise ValueError("The formula expression is empty.")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"The formula expression is longer than {MAX_LENGTH} characters.")
    quoted: dict[str, str] = {}

    def _quote(m: re.Match[str]) -> str:
        key = f"__tabgan_col_{len(quoted)}__"
        quoted[key] = m.group(1)
        return f" {key} "

    source = _QUOTED.sub(_quote, text)
    if "`" in source:
        raise ValueError(f"Formula {text!r}: an unclosed backtick.")
    src = source.strip()
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"Formula {text!r} is not a valid expression: {exc.msg}.") from None
    names: list[str] = []
    _check(tree.body, text, src, names, quoted)
    return Expression(text, tuple(dict.fromkeys(names)), tree, quoted)


def _check(node: ast.AST, text: str, src: str, names: list[str], quoted: dict[str, str]) -> None:
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueError(f"Formula {text!r}: {v!r} is not allowed (numbers only).")
        if isinstance(v, int) and abs(v) > 2**1000:
            raise ValueError(f"Formula {text!r}: the number {v} is too large.")
        return
    if isinstance(node, ast.Name):
        names.append(quoted.get(node.id, node.id))
        return
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        _check(node.left, text, src, names, quoted)
        _check(node.right, text, src, names, quoted)
        return
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        _check(node.operand, text, src, names, quoted)
        return
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name = node.func.id
        if name not in _FUNCTIONS:
            raise ValueError(
                f"Formula {text!r}: unknown function {name!r}; allowed: {sorted(_FUNCTIONS)}."
            )
        if node.keywords:
            raise ValueError(f"Formula {text!r}: {name}() takes no keyword arguments.")
        fewest, most = _FUNCTIONS[name]
        if len(node.args) < fewest or (most is not None and len(node.args) > most):
            raise ValueError(f"Formula {text!r}: wrong number of arguments to {name}().")
        if name == "round" and len(node.args) == 2:
            d = node.args[1]
            if not (
                isinstance(d, ast.Constant)
                and isinstance(d.value, int)
                and not isinstance(d.value, bool)
                and 0 <= d.value <= 15
            ):
                raise ValueError(f"Formula {text!r}: round()'s digits must be a whole number 0-15.")
            _check(node.args[0], text, src, names, quoted)
            return
        for a in node.args:
            _check(a, text, src, names, quoted)
        return
    piece = ast.get_source_segment(src, node)
    what = f" ({piece!r})" if piece else ""
    raise ValueError(
        f"Formula {text!r}: {type(node).__name__}{what} is not allowed; use column names, "
        "numbers, + - * / // % **, parentheses and the functions "
        f"{', '.join(sorted(_FUNCTIONS))}."
    )
