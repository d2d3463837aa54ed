"""tabgan: generative adversarial networks for tabular, audio and text data.

``GANSynthesizer().fit(df).sample(n)`` is the whole API for most users.
"""

from . import vector as _vector  # noqa: F401  (registers the built-in "vector" adapter)
from ._version import __version__
from .adapters import Adapter, BaseAdapter, available_adapters, get_adapter, register
from .callbacks import Callback, Checkpoint, EarlyStopping
from .losses import LOSSES
from .synthesizer import GANSynthesizer
from .vector import VectorAdapter

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
