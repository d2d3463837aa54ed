"""Data augmentation for scikit-learn and imbalanced-learn with conditional tabular GANs.

- :class:`GANOverSampler`: an imbalanced-learn over-sampler (``fit_resample``) for
  ``imblearn.pipeline.Pipeline``. It needs imbalanced-learn (``pip install
  "tabgan-engine[augment]"``), imported only when the class is first used.
- :class:`GANAugmentedEstimator`: a meta-estimator that augments inside its own ``fit``, for
  plain scikit-learn ``Pipeline``, ``cross_val_score`` and ``GridSearchCV``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .estimator import GANAugmentedEstimator
from .filtering import adversarial_filter

if TYPE_CHECKING:
    from .oversampler import GANOverSampler

__all__ = ["GANAugmentedEstimator", "GANOverSampler", "adversarial_filter"]


def __getattr__(name: str) -> Any:
    if name == "GANOverSampler":
        try:
            from .oversampler import GANOverSampler
        except ModuleNotFoundError as exc:
            if exc.name is None or not exc.name.startswith("imblearn"):
                raise
            raise ImportError(
                "GANOverSampler is an imbalanced-learn sampler and needs imbalanced-learn: "
                'pip install "tabgan-engine[augment]"'
            ) from exc
        return GANOverSampler
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
