"""The ``text`` adapter: short texts through Gumbel-softmax relaxed one-hots (RelGAN family).

``GANSynthesizer(adapter="text").fit(list_of_strings).sample(n, temperature=0.8)`` returns new
strings. Needs the ``text`` extra: ``pip install "tabgan-engine[text]"``.
"""

from .adapter import TextAdapter
from .metrics import bleu, self_bleu
from .networks import DiscriminatorConfig, GeneratorConfig, TextDiscriminator, TextGenerator

__all__ = [
    "DiscriminatorConfig",
    "GeneratorConfig",
    "TextAdapter",
    "TextDiscriminator",
    "TextGenerator",
    "bleu",
    "self_bleu",
]
