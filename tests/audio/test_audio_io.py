"""Reading and writing audio: WAV round trip, resampling, labels from folders, bad files."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import soundfile as sf

from tabgan.plugins.audio import AudioAdapter, load_audio, to_wav


def tone(freq: float, rate: int, n: int, amp: float = 0.5) -> np.ndarray:
    return (amp * np.sin(2 * np.pi * freq * np.arange(n) / rate)).astype(np.float32)


def dominant(x: np.ndarray, rate: int) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[spec.argmax()])


def test_wav_round_trip(tmp_path):
    clips = np.stack([tone(440, 8000, 1024), tone(880, 8000, 1024, 0.9)])
    paths = to_wav(clips, tmp_path / "out", sample_rate=8000)
    assert [p.name for p in paths] == ["sample_000.wav", "sample_001.wav"]
    info = sf.info(str(paths[0]))
    assert (info.samplerate, info.channels, info.subtype) == (8000, 1, "PCM_16")
    loaded = load_audio(paths, rate=8000, length=1024)
    np.testing.assert_allclose(loaded.clips, clips, atol=1 / 2**15 + 1e-6)


def test_to_wav_resamples_and_clips(tmp_path):
    clips = tone(1000, 8000, 8000, amp=1.5)
    (path,) = to_wav(clips, tmp_path, sample_rate=8000, out_rate=16000, prefix="x")
    data, rate = sf.read(str(path))
    assert rate == 16000 and len(data) == 16000
    assert abs(dominant(data, 16000) - 1000) < 10
    assert np.abs(data).max() <= 1.0


def test_resampling_is_recorded(tmp_path):
    sf.write(str(tmp_path / "a.wav"), tone(1000, 8000, 4000), 8000)
    sf.write(str(tmp_path / "b.wav"), tone(1000, 16000, 8000), 16000)
    adapter = AudioAdapter(sample_rate=16000, slice_len=4096).fit(
        tmp_path, rng=np.random.default_rng(0)
    )
    assert adapter.source_rates_ == [8000, 16000]
    assert adapter.resampled_ is True
    enc = adapter.encode(tmp_path).data.squeeze(1).numpy()
    assert enc.shape == (2, 4096)
    for clip in enc:  # the 8 kHz file was resampled, not read as if it were 16 kHz
        assert abs(dominant(clip, 16000) - 1000) < 10
    assert np.isclose(np.abs(enc).max(), 1.0)  # peak-normalized ...
    assert np.isclose(adapter.scale_, 0.5, atol=0.01)  # ... with the scale remembered


def test_array_input_with_sample_rate_and_pad_crop():
    adapter = AudioAdapter(sample_rate=8000, slice_len=1024)
    x = np.stack([tone(500, 16000, 4000), tone(500, 16000, 4000)])
    adapter.fit(x, rng=np.random.default_rng(0), sample_rate=16000)
    assert adapter.source_rates_ == [16000] and adapter.resampled_
    enc = adapter.encode(x).data
    assert enc.shape == (2, 1, 1024)
    short = AudioAdapter(sample_rate=8000, slice_len=1024).fit(
        tone(500, 8000, 100)[None], rng=np.random.default_rng(0)
    )
    padded = short.encode(tone(500, 8000, 100)[None]).data.numpy()[0, 0]
    assert np.all(padded[100:] == 0) and np.any(padded[:100] != 0)


def test_stereo_is_mixed_to_mono(tmp_path):
    left, right = tone(440, 8000, 1024), -tone(440, 8000, 1024)
    sf.write(str(tmp_path / "s.wav"), np.stack([left, 0.5 * right], 1), 8000)
    loaded = load_audio(tmp_path, rate=8000, length=1024)
    assert loaded.n_channels == 2
    np.testing.assert_allclose(loaded.clips[0], 0.25 * left, atol=1e-4)


def test_labels_from_subfolders(tmp_path):
    for label, f in (("low", 300), ("high", 2000)):
        (tmp_path / label).mkdir()
        for i in range(2):
            sf.write(str(tmp_path / label / f"{i}.flac"), tone(f, 8000, 1024), 8000)
    loaded = load_audio(tmp_path, rate=8000, length=1024)
    assert loaded.labels == ["high", "high", "low", "low"]
    (tmp_path / "stray.wav").write_bytes(b"")
    with pytest.raises(ValueError, match="stray.wav"):
        load_audio(tmp_path, rate=8000, length=1024)


def _bad_folder(tmp_path):
    sf.write(str(tmp_path / "good1.wav"), tone(440, 8000, 1024), 8000)
    sf.write(str(tmp_path / "good2.wav"), tone(440, 8000, 1024), 8000)
    (tmp_path / "broken.wav").write_bytes(b"RIFF this is not audio")
    sf.write(str(tmp_path / "empty.wav"), np.zeros((0,), np.float32), 8000)
    stereo = np.stack([tone(440, 8000, 1024)] * 2, 1)
    sf.write(str(tmp_path / "stereo.wav"), stereo, 8000)
    return tmp_path


def test_bad_files_are_named_and_raise(tmp_path):
    folder = _bad_folder(tmp_path)
    with pytest.raises(ValueError) as err:
        AudioAdapter(slice_len=1024).fit(folder, rng=np.random.default_rng(0))
    msg = str(err.value)
    assert "broken.wav" in msg and "empty.wav" in msg and "stereo.wav" in msg
    assert "good1.wav" not in msg and 'on_error="skip"' in msg


def test_bad_files_skipped_with_warning(tmp_path):
    folder = _bad_folder(tmp_path)
    adapter = AudioAdapter(slice_len=1024, on_error="skip")
    with pytest.warns(UserWarning, match="broken.wav") as rec:
        adapter.fit(folder, rng=np.random.default_rng(0))
    assert "empty.wav" in str(rec[0].message) and "stereo.wav" in str(rec[0].message)
    assert adapter.n_clips_ == 2 and adapter.n_channels_ == 1
    assert adapter.encode(folder).data.shape == (2, 1, 1024)  # the fitted clips, no second warning


@pytest.mark.parametrize(
    ("kwargs", "data", "match"),
    [
        ({"on_error": "ignore"}, np.ones((2, 1024)), "on_error"),
        ({"slice_len": 1000}, np.ones((2, 1024)), "slice_len"),
        ({"width": 0}, np.ones((2, 1024)), "width"),
        ({}, np.ones(1024), r"\(n, samples\)"),
        ({}, np.full((2, 1024), np.nan), "NaN"),
        ({}, np.zeros((2, 1024)), "silent"),
        ({}, "/no/such/folder", "No such file"),
    ],
)
def test_bad_input_errors(kwargs, data, match):
    with pytest.raises(ValueError, match=match):
        AudioAdapter(slice_len=kwargs.pop("slice_len", 1024), **kwargs).fit(
            data, rng=np.random.default_rng(0)
        )


def test_bad_types_and_rates():
    with pytest.raises(TypeError, match="numeric array"):
        AudioAdapter(slice_len=1024).fit(np.array([["a", "b"]]), rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="sample_rate"):
        AudioAdapter(slice_len=1024).fit(
            np.ones((2, 1024)), rng=np.random.default_rng(0), sample_rate=-5
        )
    with pytest.raises(ValueError, match="labels"):
        load_audio(np.ones((2, 1024)), rate=8000, length=1024, labels=["a"])


def test_missing_extra_names_pip_command(monkeypatch, tmp_path):
    real = importlib.import_module

    def fake(name, *args):
        if name == "soundfile":
            raise ImportError("No module named 'soundfile'")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", fake)
    with pytest.raises(ImportError, match=r'pip install "tabgan-engine\[audio\]"'):
        to_wav(np.zeros((1, 10)), tmp_path)
