"""Derived columns: exact identities between the columns of a table, found at fit time.

A derived column is not modelled: the adapter generates its inputs and computes it from them
after decoding, so every sampled row satisfies the identity. Rules are plain dicts (readable,
JSON when their names and values are), in the order they are applied:

* ``{"column": a, "kind": "equal", "source": b}``: ``a`` is a copy of ``b``;
* ``{"column": a, "kind": "linear", "terms": [[b, 1], [c, -1]]}``: ``a = b - c``; a
  coefficient is an int or ``[numerator, denominator]`` (pairs of columns with coefficients
  +-1, or one column times a small rational);
* ``{"column": a, "kind": "ratio", "numerator": b, "denominator": c}``: ``a = b / c``;
* ``{"column": a, "kind": "mapping", "source": b, "pairs": [[b_value, a_value], ...]}``: ``a``
  is a function of ``b`` (many-to-one; ``"one_to_one": True`` when it is a bijection). A
  numerical source keeps to its training values (a decoded value is moved to the closest).

Each rule also records ``"expression"`` (for people; never evaluated), and, once fitted,
``"decimals"`` and ``"dtype"`` of its column: numbers are rounded to the column's decimals and
cast to its dtype. :func:`to_state` / :func:`from_state` store rules as JSON (names and values
in :func:`.values.to_json` form).

Detection (:func:`detect`) looks at every training row and accepts a rule only when it holds
on all of them, within the column's decimal precision (ratios: rounded to it). Numeric
identities use the numerical columns without missing values and with more than one value, at
most :data:`MAX_NUMERIC` of them; each column is expressed by earlier columns (so the last of
the columns of an identity is the derived one), screened on :data:`SCREEN_ROWS` rows, then
checked on all rows: cost ``O(p**3 * SCREEN_ROWS + survivors * n)`` for ``p`` numerical columns.
Mappings look at columns with at most :data:`MAX_MAP_VALUES` distinct values and at least
:data:`MIN_GROUP_ROWS` rows per source value on average (so that an identity is not a
coincidence of few rows); cost ``O(q**2 * n)`` for ``q`` such columns.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from .values import dtype_info, from_json, pandas_dtype, restore, take_values, to_json

__all__ = [
    "DerivedColumn",
    "apply_rules",
    "base_columns",
    "detect",
    "fit_rules",
    "from_state",
    "rows_holding",
    "to_state",
]

#: Numerical columns considered for linear identities and ratios (the first ones).
MAX_NUMERIC = 100
#: Rows that screen candidate identities before they are checked on every row.
SCREEN_ROWS = 16
#: Distinct values of a column considered for mappings at most.
MAX_MAP_VALUES = 100
#: Training rows per distinct source value (on average) that a mapping needs at least.
MIN_GROUP_ROWS = 5
#: Largest denominator (and numerator) of a one-column scale ``a = k * b``.
MAX_DENOMINATOR = 12
KINDS = ("equal", "linear", "ratio", "mapping")


# -- precision --------------------------------------------------------------------------------
def _decimals(v: np.ndarray, most: int = 6) -> int | None:
    """The fewest decimals (0 to ``most``) every value has (within storage noise), else None."""
    v = v[np.abs(v) < 2.0**52]
    for d in range(most + 1):
        tolerance = np.minimum(10.0 ** -(d + 3), 1e-6 * np.maximum(np.abs(v), 1e-300))
        if np.all(np.abs(v - np.round(v, d)) <= tolerance):
            return d
    return None


def _round(x: np.ndarray, decimals: int | None) -> np.ndarray:
    if decimals is None:
        return x
    out = x.copy()
    small = np.abs(out) < 2.0**52
    out[small] = np.round(out[small], decimals)
    return out


def _numbers(s: pd.Series) -> np.ndarray | None:
    """``s`` as float64 when it is a plain number column, else None."""
    if pd.api.types.is_bool_dtype(s.dtype) or not pd.api.types.is_numeric_dtype(s.dtype):
        return None
    try:
        return s.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        return None


def _close(a: np.ndarray, b: np.ndarray, decimals: int | None, half: bool) -> np.ndarray:
    """Rows where ``b`` gives ``a`` at ``a``'s precision: rounded to it (``half``), else equal
    up to float noise."""
    scale = np.maximum(np.abs(a), 1.0)
    if decimals is None:
        return np.abs(a - b) <= 1e-9 * scale
    unit = 10.0**-decimals
    tol = 0.5 * unit * (1 - 1e-6) if half else 1e-6 * unit
    return np.abs(a - b) <= np.maximum(tol, 1e-12 * scale)


# -- readable form ----------------------------------------------------------------------------
def _coef(c: Any) -> Fraction:
    if isinstance(c, (list, tuple)) and len(c) == 2:
        return Fraction(int(c[0]), int(c[1]))
    if isinstance(c, bool) or not isinstance(c, (int, float, np.integer, np.floating)):
        raise ValueError(f"A linear coefficient is a number or [numerator, denominator], got {c!r}")
    return Fraction(float(c)).limit_denominator(1000)


def _coef_json(f: Fraction) -> Any:
    return int(f) if f.denominator == 1 else [f.numerator, f.denominator]


def _expression(rule: Mapping[str, Any]) -> str:
    kind = rule["kind"]
    if kind == "equal":
        return str(rule["source"])
    if kind == "ratio":
        return f"{rule['numerator']} / {rule['denominator']}"
    if kind == "mapping":
        return f"f({rule['source']})"
    text = ""
    for name, c in rule["terms"]:
        f = _coef(c)
        sign = "-" if f < 0 else "+"
        mag = abs(f)
        factor = "" if mag == 1 else f"{mag} * "
        text += f" {sign} {factor}{name}" if text else f"{'-' if f < 0 else ''}{factor}{name}"
    return text


def inputs(rule: Mapping[str, Any]) -> list[Any]:
    """The columns that ``rule`` reads."""
    kind = rule["kind"]
    if kind in ("equal", "mapping"):
        return [rule["source"]]
    if kind == "ratio":
        return [rule["numerator"], rule["denominator"]]
    return [name for name, _ in rule["terms"]]


def base_columns(rules: Sequence[Mapping[str, Any]], column: Any) -> list[Any]:
    """The modelled columns that ``column`` is computed from (itself when it is modelled)."""
    by_column = {r["column"]: r for r in rules}
    if column not in by_column:
        return [column]
    out: list[Any] = []
    for name in inputs(by_column[column]):
        out += [c for c in base_columns(rules, name) if c not in out]
    return out


# -- detection --------------------------------------------------------------------------------
def detect(
    df: pd.DataFrame,
    sdtypes: Sequence[str],
    *,
    keep: Collection[Any] = (),
    hide: Collection[Any] = (),
) -> list[dict[str, Any]]:
    """The exact identities of ``df`` as rules in the order to apply them (mappings from
    modelled columns first, then numeric identities by column position); see the module.

    Columns in ``keep`` are never derived (nor the numerical source of a mapping, which would
    move their values); columns in ``hide`` are not looked at (the columns that constraints
    read and compute: :mod:`.constrained`)."""
    n = len(df)
    if n < 2:
        return []
    keep, hide = set(keep), set(hide)
    numeric = _numeric_rules(df, sdtypes, keep, hide)
    taken = {r["column"] for r in numeric}
    mappings = _mapping_rules(df, sdtypes, taken, keep, hide)
    return fit_rules(df, mappings + numeric)


def _numeric_rules(
    df: pd.DataFrame, sdtypes: Sequence[str], keep: set[Any], hide: set[Any]
) -> list[dict[str, Any]]:
    cols, arrays, decimals = [], [], []
    names = list(df.columns)
    for i, sd in enumerate(sdtypes):
        if sd != "numerical" or names[i] in hide:
            continue
        v = _numbers(df.iloc[:, i])
        if v is None or np.isnan(v).any() or not np.isfinite(v).all() or np.ptp(v) == 0:
            continue
        cols.append(i)
        arrays.append(v)
        decimals.append(_decimals(v))
        if len(cols) == MAX_NUMERIC:
            break
    if len(cols) < 2:
        return []
    X = np.stack(arrays, 1)  # (n, p)
    n = len(X)
    screen = X[np.unique(np.linspace(0, n - 1, min(n, SCREEN_ROWS)).astype(int))]
    rules: list[dict[str, Any]] = []
    derived: set[int] = set()
    for j in range(1, len(cols)):
        if names[cols[j]] in keep:
            continue
        with np.errstate(all="ignore"):  # extreme values overflow: no identity there
            rule = _express(X, screen, j, decimals[j], [names[c] for c in cols])
        if rule is not None:
            rule["column"] = names[cols[j]]
            rules.append(rule)
            derived.add(j)
    return rules


def _express(
    X: np.ndarray, screen: np.ndarray, j: int, decimals: int | None, names: list[Any]
) -> dict[str, Any] | None:
    """A rule giving column ``j`` from columns ``< j`` (first found: equal, scale, sum or
    difference of two, ratio), or None."""
    a_s, E = screen[:, j], screen[:, :j]  # (m,), (m, k)
    a = X[:, j]

    def holds(values: np.ndarray, half: bool = False) -> bool:
        with np.errstate(all="ignore"):
            return bool(np.all(_close(a, _round(values, decimals), decimals, half)))

    # equal
    for b in np.nonzero(_close(a_s[:, None], E, decimals, False).all(0))[0]:
        if holds(X[:, b]):
            return {"kind": "equal", "source": names[b]}
    # a = k * b, k a small rational
    with np.errstate(all="ignore"):
        r = a_s[:, None] / E
    ok = np.isfinite(r).all(0) & (np.ptp(r, 0) <= 1e-9 * np.abs(r).max(0))
    for b in np.nonzero(ok)[0]:
        k = Fraction(float(r[0, b])).limit_denominator(MAX_DENOMINATOR)
        if k == 0 or abs(k.numerator) > 100 * MAX_DENOMINATOR or k == 1:
            continue
        if holds(float(k) * X[:, b]):
            return {"kind": "linear", "terms": [[names[b], _coef_json(k)]]}
    k = E.shape[1]
    if k >= 2:
        iu = np.triu_indices(k, 1)
        # a = s1 * b + s2 * c
        for s1, s2 in ((1, 1), (1, -1), (-1, 1)):
            comb = s1 * E[:, :, None] + s2 * E[:, None, :]  # (m, k, k)
            hit = _close(a_s[:, None, None], comb, decimals, False).all(0)
            for b, c in zip(*np.nonzero(hit & _upper(k, iu)), strict=True):
                if holds(s1 * X[:, b] + s2 * X[:, c]):
                    terms = [[names[b], s1], [names[c], s2]]
                    if s1 < 0:  # positive term first: "c - b"
                        terms = terms[::-1]
                    return {"kind": "linear", "terms": terms}
        # a = b / c (rounded to a's decimals)
        with np.errstate(all="ignore"):
            q = E[:, :, None] / E[:, None, :]
        hit = np.asarray(_close(a_s[:, None, None], _round(q, decimals), decimals, True).all(0))
        np.fill_diagonal(hit, False)
        for b, c in zip(*np.nonzero(hit), strict=True):
            den = X[:, c]
            if (den == 0).any():
                continue
            if holds(X[:, b] / den, half=True):
                return {"kind": "ratio", "numerator": names[b], "denominator": names[c]}
    return None


def _upper(k: int, iu: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    mask = np.zeros((k, k), bool)
    mask[iu] = True
    return mask


def _codes(s: pd.Series) -> np.ndarray | None:
    """Codes of ``s``'s values, missing values one code of their own (None: unhashable)."""
    try:
        codes, _ = pd.factorize(s.astype(object), use_na_sentinel=False)
    except TypeError:
        return None
    return np.asarray(codes, dtype=np.int64)


def _mapping_rules(
    df: pd.DataFrame,
    sdtypes: Sequence[str],
    taken: set[Any],
    keep: Collection[Any] = (),
    hide: Collection[Any] = (),
) -> list[dict[str, Any]]:
    """Columns that are a function of another (modelled) column, right to left: a source stays
    modelled, a mapped column is never a source (so rules never chain or cycle)."""
    n, names = len(df), list(df.columns)
    cand, codes, counts = [], [], []
    for i, sd in enumerate(sdtypes):
        if sd in ("id", "datetime") or names[i] in taken or names[i] in hide:
            continue
        c = _codes(df.iloc[:, i])
        if c is None:
            continue
        k = int(c.max()) + 1
        if 2 <= k <= MAX_MAP_VALUES:
            cand.append(i)
            codes.append(c)
            counts.append(k)
    if len(cand) < 2:
        return []
    C = np.stack(codes, 1)  # (n, q)
    fixed = [names[cand[t]] in keep for t in range(len(cand))]
    moved = [
        fixed[t] and _numbers(df.iloc[:, cand[t]]) is not None for t in range(len(cand))
    ]  # a numerical source is moved onto its training values: not a kept column
    sources = [t for t in range(len(cand)) if counts[t] * MIN_GROUP_ROWS <= n and not moved[t]]
    function = np.zeros((len(cand), len(cand)), bool)  # [source, target]
    for s in sources:
        _, first = np.unique(C[:, s], return_index=True)
        function[s] = (C[first[C[:, s]]] == C).all(0)
        function[s, s] = False
    rules: list[dict[str, Any]] = []
    derived: set[int] = set()
    locked: set[int] = set()
    for t in reversed(range(len(cand))):
        if t in locked or fixed[t]:
            continue
        for s in sources:
            if function[s, t] and s not in derived:
                derived.add(t)
                locked.add(s)
                rules.append(
                    {"kind": "mapping", "source": names[cand[s]], "column": names[cand[t]]}
                )
                break
    return rules[::-1]


# -- fitting rules to the data ----------------------------------------------------------------
def fit_rules(df: pd.DataFrame, rules: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``rules`` (given or detected) completed from ``df`` (mapping pairs, the column's decimals
    and dtype), ordered so each rule's inputs come first, and checked on every row."""
    names = list(df.columns)
    done: list[dict[str, Any]] = []
    for raw in _ordered(rules, names):
        rule = _check_shape(raw, names)
        col = rule["column"]
        s = df.iloc[:, names.index(col)]
        rule["dtype"] = dtype_info(s)
        if rule["kind"] == "mapping":
            src = df.iloc[:, names.index(rule["source"])]
            pairs, one_to_one = _pairs(src, s)
            if pairs is None:
                raise ValueError(
                    f"Derived column {col!r}: it is not a function of {rule['source']!r} on the "
                    "training rows."
                )
            rule["pairs"], rule["one_to_one"] = pairs, one_to_one
            rule["numeric_source"] = _numbers(src) is not None and not src.isna().any()
        elif rule["kind"] != "equal":
            v = _numbers(s)
            if v is None or np.isnan(v).any():
                raise ValueError(f"Derived column {col!r} ({rule['kind']}) must be numbers.")
            rule["decimals"] = _decimals(v)
        rule["expression"] = _expression(rule)
        frame = {c: df.iloc[:, names.index(c)] for c in inputs(rule)}
        got = _compute(rule, frame.__getitem__, len(df))[0]
        if not _same(got, s):
            raise ValueError(
                f"Derived column {col!r} = {rule['expression']} does not hold on every training "
                "row."
            )
        done.append(rule)
    return done


def _check_shape(raw: Mapping[str, Any], names: list[Any]) -> dict[str, Any]:
    if not isinstance(raw, Mapping) or "column" not in raw or raw.get("kind") not in KINDS:
        raise ValueError(
            f"A derived rule is a dict with 'column' and 'kind' (one of {KINDS}), got {raw!r}."
        )
    kind = raw["kind"]
    need = {
        "equal": ("source",),
        "mapping": ("source",),
        "ratio": ("numerator", "denominator"),
        "linear": ("terms",),
    }[kind]
    missing = [k for k in need if k not in raw]
    if missing:
        raise ValueError(f"The {kind} rule for {raw['column']!r} lacks {missing}.")
    rule: dict[str, Any] = {"column": raw["column"], "kind": kind}
    for k in need:
        rule[k] = raw[k]
    if kind == "linear":
        terms = rule["terms"]
        if not isinstance(terms, (list, tuple)) or not terms:
            raise ValueError(f"The linear rule for {raw['column']!r} needs terms [[column, coef]].")
        rule["terms"] = [[name, _coef_json(_coef(c))] for name, c in terms]
    for c in [rule["column"], *inputs(rule)]:
        if c not in names:
            raise ValueError(f"A derived rule names the unknown column {c!r}.")
    if rule["column"] in inputs(rule):
        raise ValueError(f"The derived column {rule['column']!r} cannot be its own input.")
    return rule


def _ordered(rules: Sequence[Mapping[str, Any]], names: list[Any]) -> list[Mapping[str, Any]]:
    """``rules`` with each rule after the rules of its inputs (ValueError on a cycle)."""
    by_column: dict[Any, Mapping[str, Any]] = {}
    for r in rules:
        if not isinstance(r, Mapping) or "column" not in r:
            raise ValueError(f"A derived rule is a dict with a 'column', got {r!r}.")
        if r["column"] in by_column:
            raise ValueError(f"Two derived rules for column {r['column']!r}.")
        by_column[r["column"]] = r
    out: list[Mapping[str, Any]] = []
    state: dict[Any, int] = {}

    def visit(col: Any) -> None:
        if state.get(col) == 2 or col not in by_column:
            return
        if state.get(col) == 1:
            raise ValueError(f"The derived rules form a cycle through column {col!r}.")
        state[col] = 1
        r = by_column[col]
        if r.get("kind") in KINDS:
            for c in inputs(_check_shape(r, names)):
                visit(c)
        state[col] = 2
        out.append(r)

    for r in rules:
        visit(r["column"])
    return out


def _pairs(src: pd.Series, dst: pd.Series) -> tuple[list[list[Any]] | None, bool]:
    """``[[source value, value], ...]`` when ``dst`` is a function of ``src`` (None if not),
    and whether it is one-to-one."""
    cs, ct = _codes(src), _codes(dst)
    if cs is None or ct is None:
        return None, False
    _, first = np.unique(cs, return_index=True)
    if not (ct[first[cs]] == ct).all():
        return None, False
    s_obj, t_obj = src.astype(object).to_numpy(), dst.astype(object).to_numpy()
    pairs = [[s_obj[i], t_obj[i]] for i in first]
    return pairs, len(np.unique(ct[first])) == len(first)


def _same(got: pd.Series, want: pd.Series) -> bool:
    g, w = got.reset_index(drop=True), want.reset_index(drop=True)
    gm, wm = g.isna().to_numpy(), w.isna().to_numpy()
    if not (gm == wm).all():
        return False
    gn, wn = _numbers(g), _numbers(w)
    if gn is not None and wn is not None:
        return bool(np.all(gn[~gm] == wn[~wm]) or np.allclose(gn[~gm], wn[~wm], rtol=1e-12))
    return bool((g[~gm].astype(object).to_numpy() == w[~wm].astype(object).to_numpy()).all())


# -- applying rules ---------------------------------------------------------------------------
def _cast(x: np.ndarray, info: dict[str, Any], name: Any) -> pd.Series:
    target = pandas_dtype(info)
    if isinstance(target, np.dtype) and target.kind in "iuf":
        if target.kind in "iu":
            x = np.round(x)
        return pd.Series(x.astype(target), name=name)
    values = np.empty(len(x), dtype=object)
    values[:] = list(x.tolist())
    return restore(values, info, name)


def _compute(
    rule: Mapping[str, Any], get: Callable[[Any], pd.Series], n: int
) -> tuple[pd.Series, pd.Series | None]:
    """The column that ``rule`` gives, from its inputs ``get(name)``; and, for a mapping from
    numbers, the source moved onto its training values (else None)."""
    kind, name, info = rule["kind"], rule["column"], rule["dtype"]
    if kind == "equal":
        src = get(rule["source"])
        values = np.empty(len(src), dtype=object)
        values[:] = list(src.astype(object).tolist())
        return restore(values, info, name), None
    if kind == "mapping":
        return _map(rule, get(rule["source"]), name)
    with np.errstate(all="ignore"):
        if kind == "ratio":
            num = _numbers(get(rule["numerator"]))
            den = _numbers(get(rule["denominator"]))
            assert num is not None and den is not None
            x = np.where(den == 0, np.nan, num / np.where(den == 0, 1.0, den))
        else:
            x = np.zeros(n)
            for col, c in rule["terms"]:
                v = _numbers(get(col))
                assert v is not None
                x = x + float(_coef(c)) * v
    return _cast(_round(x, rule.get("decimals")), info, name), None


def _map(rule: Mapping[str, Any], src: pd.Series, name: Any) -> tuple[pd.Series, pd.Series | None]:
    keys = [k for k, _ in rule["pairs"]]
    moved = None
    if rule.get("numeric_source"):
        known = np.array(keys, dtype=np.float64)
        order = np.argsort(known)
        v = _numbers(src)
        assert v is not None
        pos = np.clip(np.searchsorted(known[order], v), 1, len(known) - 1) if len(known) > 1 else 0
        lo = known[order][np.maximum(np.asarray(pos) - 1, 0)]
        hi = known[order][pos]
        nearest = np.where(np.abs(v - lo) <= np.abs(hi - v), lo, hi)
        idx = np.searchsorted(known[order], nearest)
        idx = order[np.clip(idx, 0, len(known) - 1)]
        if not np.array_equal(nearest, v):
            moved = _cast(nearest, dtype_info(src), src.name)
    else:
        lookup = pd.Index(keys, dtype=object)
        idx = lookup.get_indexer(pd.Index(src.astype(object).to_numpy(), dtype=object))
        if (idx < 0).any():
            bad = src.iloc[int(np.argmax(idx < 0))]
            raise ValueError(f"Derived column {name!r}: no value for {rule['source']!r} = {bad!r}.")
    values = np.empty(len(keys), dtype=object)
    values[:] = [v for _, v in rule["pairs"]]
    return take_values(restore(values, rule["dtype"], None), np.asarray(idx, np.intp), name), moved


def apply_rules(
    rules: Sequence[Mapping[str, Any]], columns: list[Any], series: dict[int, pd.Series], n: int
) -> None:
    """Compute each derived column in ``series`` (by position in ``columns``), in order."""
    for rule in rules:
        got, moved = _compute(rule, lambda c: series[columns.index(c)], n)
        if moved is not None:
            series[columns.index(rule["source"])] = moved
        series[columns.index(rule["column"])] = got.rename(None)


# -- conditions -------------------------------------------------------------------------------
def map_condition(rule: Mapping[str, Any], value: Any) -> Any:
    """The source value of the derived column's ``value`` for an equal or one-to-one rule
    (ValueError for a value the column never held)."""
    if rule["kind"] == "equal":
        return value
    for k, v in rule["pairs"]:
        if v == value or (v != v and value != value):
            return k
    raise ValueError(f"Column {rule['column']!r}: value {value!r} was never seen in training.")


def invertible(rule: Mapping[str, Any]) -> bool:
    return rule["kind"] == "equal" or (rule["kind"] == "mapping" and bool(rule.get("one_to_one")))


# -- saved state ------------------------------------------------------------------------------
_NAMES = ("column", "source", "numerator", "denominator")


def to_state(rules: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """JSON form of fitted rules (names and values tagged by :func:`.values.to_json`)."""
    out = []
    for r in rules:
        d = {k: (to_json(v) if k in _NAMES else v) for k, v in r.items()}
        if "terms" in r:
            d["terms"] = [[to_json(c), k] for c, k in r["terms"]]
        if "pairs" in r:
            d["pairs"] = [[to_json(a), to_json(b)] for a, b in r["pairs"]]
        out.append(d)
    return out


def from_state(state: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The inverse of :func:`to_state` (structured data only; nothing is evaluated)."""
    out = []
    for d in state:
        if d.get("kind") not in KINDS:
            raise ValueError(f"Unknown derived rule kind {d.get('kind')!r} in the saved state.")
        r = {k: (from_json(v) if k in _NAMES else v) for k, v in d.items()}
        if "terms" in d:
            r["terms"] = [[from_json(c), k] for c, k in d["terms"]]
        if "pairs" in d:
            r["pairs"] = [[from_json(a), from_json(b)] for a, b in d["pairs"]]
        out.append(r)
    return out


# -- the placeholder transformer ----------------------------------------------------------------
class DerivedColumn:
    """Stands for a derived column among the adapter's transformers: no model output (width 0);
    the adapter fills the column from its rule after decoding."""

    kind = "derived"
    spans: list[tuple[int, str]] = []
    width = 0

    def fit(self, s: pd.Series, rng: np.random.Generator) -> DerivedColumn:
        self.dtype_ = dtype_info(s)
        return self

    def encode(self, s: pd.Series, rng: np.random.Generator) -> np.ndarray:
        return np.zeros((len(s), 0), np.float32)

    def decode(self, block: np.ndarray, rng: np.random.Generator, name: Any) -> pd.Series:
        return pd.Series(np.full(len(block), np.nan), name=name)  # replaced by the rule

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {"kind": self.kind, "dtype": self.dtype_}, {}

    @classmethod
    def from_state(cls, cfg: dict[str, Any], arrays: dict[str, np.ndarray]) -> DerivedColumn:
        col = cls()
        col.dtype_ = cfg["dtype"]
        return col


def rows_holding(rule: Mapping[str, Any], frame: pd.DataFrame) -> np.ndarray:
    """Whether each row of ``frame`` satisfies ``rule`` (a fitted rule; for a mapping from
    numbers, a source value the training rows never held does not)."""
    got, moved = _compute(rule, frame.__getitem__, len(frame))
    ok = _equal_rows(got, frame[rule["column"]])
    if moved is not None:
        ok &= _equal_rows(moved, frame[rule["source"]])
    return ok


def _equal_rows(a: pd.Series, b: pd.Series) -> np.ndarray:
    a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    am, bm = a.isna().to_numpy(), b.isna().to_numpy()
    an, bn = _numbers(a), _numbers(b)
    if an is not None and bn is not None:
        same = an == bn
    else:
        same = a.astype(object).to_numpy() == b.astype(object).to_numpy()
    return np.where(am | bm, am & bm, same)
