"""The ``audio`` adapter: WaveGAN raw-waveform synthesis, WAV/FLAC in, arrays and WAV out.

``GANSynthesizer(adapter="audio").fit("clips/").sample(8)`` returns float32 arrays
(n, slice_len) at the model rate; :func:`to_wav` writes them as 16-bit WAV files. Needs the
``audio`` extra (``pip install "tabgan-engine[audio]"``: soundfile, torchaudio).
"""

from .adapter import AudioAdapter
from .io import load_audio, resample, to_wav
from .networks import (
    SLICE_LENGTHS,
    WaveGANConfig,
    WaveGANDiscriminator,
    WaveGANGenerator,
    phase_shuffle,
)

__all__ = [
    "SLICE_LENGTHS",
    "AudioAdapter",
    "WaveGANConfig",
    "WaveGANDiscriminator",
    "WaveGANGenerator",
    "load_audio",
    "phase_shuffle",
    "resample",
    "to_wav",
]
