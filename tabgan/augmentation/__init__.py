"""Data augmentation for scikit-learn and imbalanced-learn with conditional tabular GANs.

- :class:`GANOverSampler`: an imbalanced-learn over-sampler (``fit_resample``) for
  ``imblearn.pipeline.Pipeline``.
- :class:`GANAugmentedEstimator`: a meta-estimator that augments inside its own ``fit``, for
  plain scikit-learn ``Pipeline``, ``cross_val_score`` and ``GridSearchCV``.
"""

from .estimator import GANAugmentedEstimator
from .filtering import adversarial_filter
from .oversampler import GANOverSampler

__all__ = ["GANAugmentedEstimator", "GANOverSampler", "adversarial_filter"]
