"""scikit-learn's and imbalanced-learn's common estimator checks, with the real tabular GAN.

Tiny settings (one epoch, small networks, two mixture modes) keep each GAN fit well under a
second; the checks test the API contract, not sample quality.
"""

from __future__ import annotations

import pytest
from imblearn.utils.estimator_checks import parametrize_with_checks as imblearn_checks
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks as sklearn_checks

from tabgan import GANSynthesizer
from tabgan.augmentation import GANAugmentedEstimator, GANOverSampler
from tabgan.plugins.tabular import TabularAdapter


def tiny_gan() -> GANSynthesizer:
    adapter = TabularAdapter(
        max_modes=2, max_fit_rows=200, generator_dims=(32,), discriminator_dims=(32,)
    )
    return GANSynthesizer(adapter, epochs=1, batch_size=50, pac=5, verbose=False)


def expected_failed_checks(estimator) -> dict[str, str]:
    """Checks our estimators are expected to fail, with the reason (scikit-learn 1.9 style)."""
    return {}


ESTIMATORS = [
    GANOverSampler(tiny_gan(), random_state=0),
    # A full-depth tree still predicts every training row's class when a one-epoch GAN adds
    # noise rows; with LogisticRegression, imblearn's encoded-labels check (random iris draw,
    # a 20-row class) failed for some global RNG states: a sample-quality effect, not the API.
    GANAugmentedEstimator(
        DecisionTreeClassifier(random_state=0),
        tiny_gan(),
        n_synthetic=0.5,
        random_state=0,
        min_class_samples=1,
    ),
]


@sklearn_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_aug_sklearn_compatible(estimator, check):
    check(estimator)


def listed(decorator: pytest.MarkDecorator) -> pytest.MarkDecorator:
    """The same ``parametrize`` mark with its argument values in a list.

    imbalanced-learn's ``parametrize_with_checks`` hands pytest a generator, which pytest 9.2
    deprecates (``PytestRemovedIn10Warning``, an error under our ``filterwarnings``).
    """
    mark = decorator.mark
    names, values = mark.args
    return pytest.mark.parametrize(names, list(values), **mark.kwargs)


@listed(imblearn_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks))
def test_aug_imblearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_aug_tiny_gan_is_tiny(estimator):
    # the settings above must stay small, or this module blows the test time budget
    synth = estimator.synthesizer
    assert synth.epochs == 1 and synth.adapter.generator_dims == (32,)
