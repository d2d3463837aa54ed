"""`GANOverSampler`: an imbalanced-learn over-sampler backed by a conditional tabular GAN."""

from __future__ import annotations

from typing import Any

import numpy as np
from imblearn.over_sampling.base import BaseOverSampler
from imblearn.utils import check_target_type
from sklearn.utils.validation import validate_data

from ._common import SHARED_CONSTRAINTS
from ._data import Table, check_class_sizes, check_target, to_table
from ._generate import generate_rows

__all__ = ["GANOverSampler"]


class GANOverSampler(BaseOverSampler):
    """Over-sample with a conditional GAN trained on ``X`` with ``y`` as a discrete condition.

    ``fit_resample`` trains a fresh copy of ``synthesizer`` on ``X`` plus one extra categorical
    column holding the class, then draws the rows each class needs with that class as the
    condition (exact: the label of a synthetic row is its condition). Unlike SMOTE it takes
    pandas DataFrames with mixed column types (numbers, categories, strings, booleans,
    datetimes, NaN) and returns the same container, columns and dtypes. Original rows come
    first, unchanged; synthetic rows follow.

    Parameters
    ----------
    synthesizer : estimator with ``fit(frame)`` and ``sample(n, conditions=...)``, default=None
        Cloned before each fit. ``None`` uses ``GANSynthesizer(adapter="tabular",
        verbose=False)`` with the tabular defaults (300 epochs: set ``epochs`` lower for
        quick runs).
    sampling_strategy : float, str, dict or callable, default="auto"
        imbalanced-learn semantics (``"auto"``, ``"minority"``, ``"not minority"``,
        ``"not majority"``, ``"all"``, a float for binary targets, ``{class: n_samples}``).
    random_state : int, RandomState instance or None, default=None
        Seeds the synthesizer (its ``random_state`` is overwritten by a derived seed) and the
        filter. ``None`` leaves the synthesizer's own ``random_state`` alone.
    filter : {None, "adversarial"}, default=None
        ``"adversarial"`` draws ``filter_pool`` times the rows needed and keeps, per class, those
        a gradient-boosting classifier finds hardest to tell from real rows.
    filter_pool : float, default=2.0
        Pool size for ``filter="adversarial"``, as a multiple of the rows kept (>= 1).
    min_class_samples : int, default=5
        A class that receives synthetic rows needs at least this many real rows.

    Attributes
    ----------
    sampling_strategy_ : dict
        Number of rows generated per class.
    synthesizer_ : fitted synthesizer or None
        ``None`` when no rows were needed.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.

    Examples
    --------
    >>> from imblearn.pipeline import make_pipeline
    >>> from sklearn.linear_model import LogisticRegression
    >>> from tabgan import GANSynthesizer
    >>> sampler = GANOverSampler(GANSynthesizer(epochs=50, verbose=False), random_state=0)
    >>> model = make_pipeline(sampler, LogisticRegression())  # doctest: +SKIP
    """

    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        **SHARED_CONSTRAINTS,
    }

    def __init__(
        self,
        synthesizer: Any = None,
        *,
        sampling_strategy: Any = "auto",
        random_state: Any = None,
        filter: str | None = None,
        filter_pool: float = 2.0,
        min_class_samples: int = 5,
    ) -> None:
        super().__init__(sampling_strategy=sampling_strategy)
        self.synthesizer = synthesizer
        self.random_state = random_state
        self.filter = filter
        self.filter_pool = filter_pool
        self.min_class_samples = min_class_samples

    # -- validation (imbalanced-learn's hooks) -----------------------------------------------
    def fit_resample(self, X: Any, y: Any, **params: Any) -> tuple[Any, Any]:
        """Train the GAN on ``X``, ``y`` and return them with the synthetic rows appended.

        Parameters
        ----------
        X : DataFrame, array-like of shape (n_samples, n_features)
            Mixed column types are fine in a DataFrame; NaN is kept and learned.
        y : array-like of shape (n_samples,)
            Class labels (no NaN).

        Returns
        -------
        X_resampled : same container type, columns and dtypes as ``X``
        y_resampled : same container type as ``y``
        """
        # Clear errors for NaN labels and length mismatches before imbalanced-learn's checks.
        n_rows = X.shape[0] if hasattr(X, "shape") else len(X)
        y_ndim = np.ndim(y.to_numpy() if hasattr(y, "to_numpy") else y)
        if y_ndim == 1 or (y_ndim == 2 and np.shape(y)[1] == 1):
            check_target(y, n_rows, owner=type(self).__name__)
        return super().fit_resample(X, y, **params)

    def _check_X_y(self, X: Any, y: Any, accept_sparse: Any = None) -> tuple[Table, Any, bool]:
        y, binarize_y = check_target_type(y, indicate_one_vs_all=True)
        table = to_table(X, owner=type(self).__name__)
        y = check_target(y, len(table.frame), owner=type(self).__name__)
        validate_data(self, X=X, reset=True, skip_check_array=True)
        return table, y, binarize_y

    # -- work ---------------------------------------------------------------------------------
    def _fit_resample(self, X: Table, y: np.ndarray, **params: Any) -> tuple[Any, np.ndarray]:
        counts = {c: int(n) for c, n in self.sampling_strategy_.items() if n > 0}
        if not counts:
            self.synthesizer_ = None
            return X.combine(X.frame.iloc[:0]), y
        check_class_sizes(y, counts, self.min_class_samples, owner=type(self).__name__)
        synthetic, labels, synth = generate_rows(
            X,
            y,
            counts,
            synthesizer=self.synthesizer,
            random_state=self.random_state,
            filter=self.filter,
            filter_pool=self.filter_pool,
        )
        self.synthesizer_ = synth
        return X.combine(synthetic), np.concatenate([y, labels])

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.non_deterministic = self.random_state is None
        return tags
