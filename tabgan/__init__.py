"""tabgan: generative adversarial networks for tabular, audio and text data.

``GANSynthesizer().fit(df).sample(n)`` is the whole API for most users.
"""

from ._version import __version__
from .engine.callbacks import Callback, Checkpoint, EarlyStopping
from .engine.losses import LOSSES
from .estimator import vector as _vector  # noqa: F401  (registers the built-in "vector" adapter)
from .estimator.adapters import Adapter, BaseAdapter, available_adapters, get_adapter, register
from .estimator.synthesizer import GANSynthesizer
from .estimator.vector import VectorAdapter

__all__ = [
    "LOSSES",
    "Adapter",
    "BaseAdapter",
    "Callback",
    "Checkpoint",
    "EarlyStopping",
    "GANSynthesizer",
    "VectorAdapter",
    "__version__",
    "available_adapters",
    "get_adapter",
    "register",
]
