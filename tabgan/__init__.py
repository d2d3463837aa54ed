"""tabgan: generative adversarial networks for tabular, audio and text data.

``GANSynthesizer().fit(df).sample(n)`` is the whole API for most users.

The package is layered (``tests/core/test_core_layers.py`` enforces it): :mod:`tabgan.engine`
plays the adversarial game on tensors and knows no domain; :mod:`tabgan.estimator` holds the
adapter contract, the registry and ``GANSynthesizer``; ``tabgan.plugins`` holds the domain
adapters (tabular, audio, text), found through entry points like any third-party adapter; the
applications :mod:`tabgan.evaluation`, :mod:`tabgan.augmentation` and :mod:`tabgan.cli` build
on the tabular adapter. :mod:`tabgan.testing` is the conformance suite for adapters.
"""

from ._version import __version__
from .engine.callbacks import Callback, Checkpoint, EarlyStopping
from .engine.config import TrainingConfig
from .engine.data import DataSampler, Encoded, TrainingSampler
from .engine.losses import LOSSES
from .engine.privacy import DPConfig
from .estimator import vector as _vector  # noqa: F401  (registers the built-in "vector" adapter)
from .estimator.adapters import BaseAdapter, available_adapters, get_adapter, register
from .estimator.synthesizer import GANSynthesizer
from .estimator.vector import VectorAdapter

__all__ = [
    "LOSSES",
    "BaseAdapter",
    "Callback",
    "Checkpoint",
    "DPConfig",
    "DataSampler",
    "EarlyStopping",
    "Encoded",
    "GANSynthesizer",
    "TrainingConfig",
    "TrainingSampler",
    "VectorAdapter",
    "__version__",
    "available_adapters",
    "get_adapter",
    "register",
]
