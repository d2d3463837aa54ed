"""`GANAugmentedEstimator`: a classifier that trains on its training data plus GAN rows.

A plain scikit-learn ``Pipeline`` cannot change the number of rows, so augmentation lives inside
this meta-estimator's ``fit``: whatever the caller (``cross_val_score``, ``GridSearchCV``) hands
to ``fit`` is the only data the synthesizer ever sees; test folds never reach it.
"""

from __future__ import annotations

import numbers
from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ._common import SHARED_CONSTRAINTS
from ._data import check_class_sizes, check_target, to_table
from ._generate import generate_rows

__all__ = ["GANAugmentedEstimator", "plan_counts"]


def plan_counts(y: np.ndarray, n_synthetic: Any) -> dict[Any, int]:
    """Synthetic rows per class for ``n_synthetic`` (see :class:`GANAugmentedEstimator`)."""
    counts = Counter(y.tolist())
    classes = sorted(counts, key=lambda c: np.where(np.unique(y) == c)[0][0])
    if isinstance(n_synthetic, str):  # "balance"
        top = max(counts.values())
        return {c: top - counts[c] for c in classes}
    if isinstance(n_synthetic, Mapping):
        unknown = [c for c in n_synthetic if c not in counts]
        if unknown:
            raise ValueError(
                f"n_synthetic names classes that are not in y: {unknown}; y holds {classes}."
            )
        return {c: int(n_synthetic.get(c, 0)) for c in classes}
    if isinstance(n_synthetic, numbers.Integral):
        total = int(n_synthetic)
    else:
        total = int(round(float(n_synthetic) * len(y)))
    # Split in proportion to the class frequencies (largest remainders), keeping the prior.
    exact = np.array([total * counts[c] / len(y) for c in classes])
    base = np.floor(exact).astype(int)
    rest = total - base.sum()
    base[np.argsort(-(exact - base), kind="stable")[:rest]] += 1
    return {c: int(n) for c, n in zip(classes, base)}


def _estimator_has(attr: str) -> Any:
    def check(self: GANAugmentedEstimator) -> bool:
        if hasattr(self, "estimator_"):
            return hasattr(self.estimator_, attr)
        return hasattr(self.estimator, attr)

    return check


class GANAugmentedEstimator(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Fit a classifier on its training data plus rows from a conditional GAN.

    ``fit(X, y)`` trains a fresh copy of ``synthesizer`` on ``X`` with ``y`` as an extra discrete
    column, draws labelled rows per class through the conditional vector (the label of a
    synthetic row is its condition, not a guess), then fits a clone of ``estimator`` on the
    real plus synthetic rows. Works in a scikit-learn ``Pipeline``, ``cross_val_score`` and
    ``GridSearchCV`` (``synthesizer__epochs``, ``estimator__C``, ``n_synthetic``, ...).

    Classification only: a continuous ``y`` raises "Unknown label type"; bin it first.

    Parameters
    ----------
    estimator : classifier
        Fitted (a clone) on the augmented data; ``predict``, ``predict_proba``,
        ``decision_function`` and ``score`` delegate to it.
    synthesizer : estimator with ``fit(frame)`` and ``sample(n, conditions=...)``, default=None
        ``None`` uses ``GANSynthesizer(adapter="tabular", verbose=False)``.
    n_synthetic : "balance", int, float or dict, default="balance"
        ``"balance"``: top every class up to the largest class's count. An int: that many rows
        in all, split in proportion to the class frequencies. A float: that fraction of the
        training rows, split the same way. A dict ``{class: n}``: exactly those. When no rows
        are needed (e.g. balanced data and ``"balance"``), no GAN is trained.
    random_state : int, RandomState instance or None, default=None
        Seeds the synthesizer (its ``random_state`` is overwritten by a derived seed) and the
        filter; the wrapped estimator's own ``random_state`` is left alone. ``None`` leaves the
        synthesizer's ``random_state`` as given.
    filter : {None, "adversarial"}, default=None
        Keep only the synthetic rows a classifier finds hardest to tell from real ones.
    filter_pool : float, default=2.0
        Pool size for the filter, as a multiple of the rows kept.
    min_class_samples : int, default=5
        A class that receives synthetic rows needs at least this many real rows.

    Attributes
    ----------
    estimator_ : fitted clone of ``estimator``
    synthesizer_ : fitted synthesizer, or None when no rows were generated
    n_synthetic_ : dict
        Synthetic rows added per class.
    classes_ : ndarray
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"])],
        "n_synthetic": [
            StrOptions({"balance"}),
            Interval(numbers.Integral, 0, None, closed="left"),
            Interval(numbers.Real, 0, None, closed="left"),
            Mapping,
        ],
        **SHARED_CONSTRAINTS,
    }

    def __init__(
        self,
        estimator: Any,
        synthesizer: Any = None,
        *,
        n_synthetic: Any = "balance",
        random_state: Any = None,
        filter: str | None = None,
        filter_pool: float = 2.0,
        min_class_samples: int = 5,
    ) -> None:
        self.estimator = estimator
        self.synthesizer = synthesizer
        self.n_synthetic = n_synthetic
        self.random_state = random_state
        self.filter = filter
        self.filter_pool = filter_pool
        self.min_class_samples = min_class_samples

    def fit(self, X: Any, y: Any) -> GANAugmentedEstimator:
        """Train the synthesizer on ``X``, ``y``, add synthetic rows, fit the estimator.

        Returns
        -------
        self
        """
        self._validate_params()
        owner = type(self).__name__
        if not hasattr(X, "columns") and not get_tags(self.estimator).input_tags.string:
            # An array goes to the wrapped estimator as is: check it is numeric up front, with
            # scikit-learn's wording, rather than after training the GAN.
            X = check_array(X, dtype="numeric", ensure_all_finite="allow-nan")
        table = to_table(X, owner=owner)
        validate_data(self, X=X, reset=True, skip_check_array=True)
        y_arr = check_target(y, len(table.frame), owner=owner, warn_column=True)
        classes = np.unique(y_arr)
        if len(classes) < 2:
            raise ValueError(
                f"The target 'y' needs to have more than 1 class. Got {len(classes)} class instead."
            )
        counts = {c: n for c, n in plan_counts(y_arr, self.n_synthetic).items() if n > 0}
        X_fit, y_fit = table.original, y_arr
        self.synthesizer_ = None
        if counts:
            check_class_sizes(y_arr, counts, self.min_class_samples, owner=owner)
            synthetic, labels, self.synthesizer_ = generate_rows(
                table,
                y_arr,
                counts,
                synthesizer=self.synthesizer,
                random_state=self.random_state,
                filter=self.filter,
                filter_pool=self.filter_pool,
            )
            X_fit = table.combine(synthetic)
            y_fit = np.concatenate([y_arr, labels])
        self.n_synthetic_ = {c: int(counts.get(c, 0)) for c in classes.tolist()}
        self.estimator_ = clone(self.estimator).fit(X_fit, y_fit)
        self.classes_ = self.estimator_.classes_
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Class labels from the fitted estimator."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities from the fitted estimator."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Log class probabilities from the fitted estimator."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X: Any) -> np.ndarray:
        """Decision function of the fitted estimator."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.decision_function(X)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        tags.input_tags.sparse = False
        tags.non_deterministic = self.random_state is None
        return tags
