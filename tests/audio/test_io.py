"""load_audio and resample against real files written by soundfile."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import sketchpad.audio.io as audio_io
from sketchpad.audio.io import PROJECT_RATE, SUPPORTED_EXTENSIONS, Audio, load_audio, resample
from sketchpad.errors import AudioFileError


def sine(freq, rate, seconds=1.0, amp=0.5, channels=None):
    t = np.arange(int(rate * seconds)) / rate
    x = amp * np.sin(2 * np.pi * freq * t)
    return x if channels is None else np.repeat(x[:, None], channels, axis=1)


def peak_hz(x, rate):
    """Frequency of the strongest FFT bin (Hann window), and the bin width."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 2:
        x = x[:, 0]
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return np.argmax(spectrum) * rate / len(x), rate / len(x)


def rms(x):
    return float(np.sqrt(np.mean(np.square(np.asarray(x, dtype=np.float64)))))


def check_audio(audio, frames, channels):
    assert isinstance(audio, Audio)
    assert audio.sample_rate == PROJECT_RATE
    assert audio.samples.dtype == np.float32
    assert audio.samples.flags["C_CONTIGUOUS"]
    assert audio.samples.shape == (frames, channels)
    assert audio.frames == frames and audio.channels == channels
    assert np.isfinite(audio.samples).all()


# --- formats -----------------------------------------------------------------

# subtype -> max abs error of the decoded float32 against the float64 source
WAV_SUBTYPES = {
    "PCM_U8": 1 / 128,
    "PCM_16": 1 / 32768,
    "PCM_24": 1 / 2**23,
    "PCM_32": 1e-7,
    "FLOAT": 1e-7,
    "DOUBLE": 1e-7,
}


@pytest.mark.parametrize("subtype", sorted(WAV_SUBTYPES))
def test_wav_subtypes(tmp_path, subtype):
    source = sine(440, PROJECT_RATE, 0.5, channels=2)
    source[:, 1] *= 0.5
    path = tmp_path / f"{subtype}.wav"
    sf.write(path, source, PROJECT_RATE, subtype=subtype)
    assert sf.info(path).subtype == subtype

    audio = load_audio(path)

    check_audio(audio, len(source), 2)
    assert np.max(np.abs(audio.samples - source)) <= WAV_SUBTYPES[subtype] * 1.01
    assert audio.notes == ()


@pytest.mark.parametrize("fmt, ext", [("FLAC", "flac"), ("AIFF", "aiff")])
def test_lossless_formats(tmp_path, fmt, ext):
    source = sine(1000, PROJECT_RATE, 0.5)
    path = tmp_path / f"tone.{ext}"
    sf.write(path, source, PROJECT_RATE, format=fmt, subtype="PCM_24")

    audio = load_audio(path)

    check_audio(audio, len(source), 1)
    assert np.max(np.abs(audio.samples[:, 0] - source)) < 2e-7


@pytest.mark.parametrize(
    "name, rate, kwargs",
    [
        ("tone.ogg", 44100, dict(format="OGG", subtype="VORBIS")),
        ("tone.opus", 48000, dict(format="OGG", subtype="OPUS")),
        ("tone.mp3", 44100, dict(format="MP3", subtype="MPEG_LAYER_III")),
    ],
)
def test_lossy_formats(tmp_path, name, rate, kwargs):
    source = sine(440, rate, 1.0)
    path = tmp_path / name
    sf.write(path, source, rate, **kwargs)

    audio = load_audio(path)

    expected_frames = round(len(source) * PROJECT_RATE / rate)
    assert audio.sample_rate == PROJECT_RATE
    assert audio.samples.dtype == np.float32 and audio.channels == 1
    # Codecs may add or drop an encoder delay; the length is close, not exact.
    assert abs(audio.frames - expected_frames) < 0.05 * expected_frames
    freq, bin_hz = peak_hz(audio.samples, PROJECT_RATE)
    assert abs(freq - 440) <= bin_hz
    assert rms(audio.samples) == pytest.approx(rms(source), rel=0.1)
    if rate != PROJECT_RATE:
        assert any("Resampled from 48000 Hz to 44100 Hz" in note for note in audio.notes)


def test_wrong_extension_with_valid_audio_loads(tmp_path):
    source = sine(440, PROJECT_RATE, 0.25)
    path = tmp_path / "really_flac.wav"
    sf.write(path, source, PROJECT_RATE, format="FLAC")
    assert load_audio(path).frames == len(source)


def test_supported_extensions():
    assert set(SUPPORTED_EXTENSIONS) == {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff"}


def test_audio_properties():
    audio = Audio(np.zeros((22050, 2), np.float32), 44100)
    assert (audio.frames, audio.channels, audio.duration_seconds, audio.notes) == (22050, 2, 0.5, ())
    with pytest.raises(AttributeError):
        audio.sample_rate = 48000


def test_module_is_qt_free():
    code = (
        "import sys, sketchpad.audio.io, sketchpad.audio.export;"
        "bad = [m for m in ('PySide6', 'pyqtgraph', 'sounddevice') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


# --- resampling --------------------------------------------------------------


@pytest.mark.parametrize("rate", [8000, 22050, 48000, 96000])
def test_resample_keeps_frequency(rate):
    source = sine(1000, rate, 1.0, channels=2)
    out = resample(source, rate, PROJECT_RATE)
    assert out.dtype == np.float32 and out.flags["C_CONTIGUOUS"]
    assert out.shape == (PROJECT_RATE, 2)
    freq, bin_hz = peak_hz(out, PROJECT_RATE)
    assert abs(freq - 1000) <= bin_hz
    # Level is kept (passband is flat), away from the edges.
    assert rms(out[1000:-1000]) == pytest.approx(rms(source), rel=0.01)


@pytest.mark.parametrize("rate", [8000, 22050, 48000, 96000])
def test_load_resamples_to_project_rate(tmp_path, rate):
    path = tmp_path / f"tone_{rate}.wav"
    sf.write(path, sine(1000, rate, 1.0), rate, subtype="FLOAT")

    audio = load_audio(path)

    check_audio(audio, PROJECT_RATE, 1)
    freq, bin_hz = peak_hz(audio.samples, PROJECT_RATE)
    assert abs(freq - 1000) <= bin_hz
    assert audio.notes == (f"Resampled from {rate} Hz to 44100 Hz.",)


def test_load_matches_one_shot_resample(tmp_path):
    # Block-wise resampling while decoding must equal resampling in one go.
    source = np.random.default_rng(1).uniform(-0.5, 0.5, (2**18 * 2 + 1234, 2)).astype(np.float32)
    path = tmp_path / "noise.wav"
    sf.write(path, source, 48000, subtype="FLOAT")
    audio = load_audio(path)
    np.testing.assert_allclose(audio.samples, resample(source, 48000, PROJECT_RATE), atol=1e-6)


def test_resample_removes_content_above_new_nyquist():
    rate = 96000
    t = np.arange(rate) / rate
    fade = np.hanning(rate)  # no clicks at the ends, which would be broadband
    source = (0.5 * np.sin(2 * np.pi * 1000 * t) + 0.5 * np.sin(2 * np.pi * 30000 * t)) * fade

    out = resample(source, rate, PROJECT_RATE).astype(np.float64)

    spectrum = np.abs(np.fft.rfft(out))
    freqs = np.fft.rfftfreq(len(out), 1 / PROJECT_RATE)
    reference = spectrum[np.abs(freqs - 1000) < 20].max()
    # 30 kHz would fold to 14.1 kHz; nothing above 2 kHz may come near the tone.
    worst = spectrum[freqs > 2000].max()
    assert 20 * np.log10(worst / reference) < -60


def test_resample_shapes_and_identity():
    mono = np.linspace(-1, 1, 4800)
    out = resample(mono, 48000, 44100)
    assert out.shape == (4410,) and out.dtype == np.float32
    same = resample(mono, 44100, 44100)
    assert same.dtype == np.float32 and np.array_equal(same, mono.astype(np.float32))
    assert resample(np.zeros((0, 2)), 48000, 44100).shape == (0, 2)


# --- channels ----------------------------------------------------------------


def test_mono_stays_mono(tmp_path):
    path = tmp_path / "mono.wav"
    sf.write(path, sine(440, PROJECT_RATE, 0.1), PROJECT_RATE)
    audio = load_audio(path)
    assert audio.channels == 1 and audio.notes == ()


def test_stereo_keeps_left_and_right(tmp_path):
    left = sine(440, PROJECT_RATE, 0.2, amp=0.25)
    right = sine(880, PROJECT_RATE, 0.2, amp=0.5)
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([left, right], axis=1), PROJECT_RATE, subtype="FLOAT")

    audio = load_audio(path)

    assert audio.channels == 2 and audio.notes == ()
    np.testing.assert_allclose(audio.samples[:, 0], left, atol=1e-7)
    np.testing.assert_allclose(audio.samples[:, 1], right, atol=1e-7)


@pytest.mark.parametrize("channels", [3, 6])
def test_more_channels_fold_to_stereo(tmp_path, channels):
    # Channel k holds the constant k / 10, so the averages are easy to check.
    source = np.tile(np.arange(channels) / 10, (1000, 1))
    path = tmp_path / f"surround{channels}.wav"
    sf.write(path, source, PROJECT_RATE, subtype="FLOAT")

    audio = load_audio(path)

    check_audio(audio, 1000, 2)
    np.testing.assert_allclose(audio.samples[:, 0], np.mean(np.arange(0, channels, 2)) / 10, atol=1e-7)
    np.testing.assert_allclose(audio.samples[:, 1], np.mean(np.arange(1, channels, 2)) / 10, atol=1e-7)
    assert audio.notes == (f"Downmixed {channels} channels to stereo.",)


def test_more_channels_at_another_rate_fold_then_resample(tmp_path):
    # The resampler is built for two channels; the decoder's last (empty) block must match it.
    source = np.tile(np.arange(8) / 10, (48000, 1))
    path = tmp_path / "surround48k.wav"
    sf.write(path, source, 48000, subtype="FLOAT")

    audio = load_audio(path)

    check_audio(audio, PROJECT_RATE, 2)
    np.testing.assert_allclose(audio.samples[1000:-1000, 0], 0.3, atol=1e-3)
    np.testing.assert_allclose(audio.samples[1000:-1000, 1], 0.4, atol=1e-3)


# --- sanitising and progress ---------------------------------------------------


@pytest.mark.parametrize("target_rate", [PROJECT_RATE, 48000])
def test_non_finite_samples_become_silence(tmp_path, target_rate):
    source = sine(440, PROJECT_RATE, 0.1, channels=2).astype(np.float32)
    source[10, 0] = np.nan
    source[20, 1] = np.inf
    source[30, 0] = -np.inf
    path = tmp_path / "bad_values.wav"
    sf.write(path, source, PROJECT_RATE, subtype="FLOAT")

    audio = load_audio(path, target_rate=target_rate)

    assert audio.sample_rate == target_rate
    assert np.isfinite(audio.samples).all()
    assert "Replaced 3 invalid samples (NaN/Inf) with silence." in audio.notes
    if target_rate == PROJECT_RATE:
        assert audio.samples[10, 0] == audio.samples[20, 1] == audio.samples[30, 0] == 0.0
        assert audio.samples[11, 0] == source[11, 0]


def test_absurd_levels_are_scaled_but_headroom_is_kept(tmp_path):
    tone = sine(440, PROJECT_RATE, 0.1).astype(np.float32)
    sf.write(tmp_path / "hot.wav", tone * 2.0, PROJECT_RATE, subtype="FLOAT")
    hot = load_audio(tmp_path / "hot.wav")
    assert hot.notes == () and np.max(np.abs(hot.samples)) == pytest.approx(2.0 * np.max(np.abs(tone)))
    sf.write(tmp_path / "huge.wav", tone * 1e30, PROJECT_RATE, subtype="FLOAT")
    huge = load_audio(tmp_path / "huge.wav")
    assert np.max(np.abs(huge.samples)) == pytest.approx(1.0)
    assert any("Scaled down by" in note for note in huge.notes)
    np.testing.assert_allclose(huge.samples[:, 0], tone / np.max(np.abs(tone)), atol=1e-6)


def test_progress_reports_each_block(tmp_path):
    frames = 2**18 * 2 + 1000
    path = tmp_path / "long.wav"
    sf.write(path, np.zeros(frames), PROJECT_RATE, subtype="PCM_16")
    seen = []

    load_audio(path, progress=seen.append)

    assert len(seen) >= 3
    assert seen == sorted(seen) and all(0 <= f <= 1 for f in seen)
    assert seen[-1] == 1.0


def test_progress_exception_cancels_unchanged(tmp_path):
    class Cancelled(Exception):
        pass

    def cancel(fraction):
        raise Cancelled()

    path = tmp_path / "long.wav"
    sf.write(path, np.zeros(2**18 * 2), PROJECT_RATE, subtype="PCM_16")
    with pytest.raises(Cancelled):
        load_audio(path, progress=cancel)


# --- bad input -----------------------------------------------------------------


def load_error(path):
    with pytest.raises(AudioFileError) as info:
        load_audio(path)
    message = str(info.value)
    assert "\n" not in message
    assert os.path.basename(path) in message
    return message


def test_missing_file(tmp_path):
    assert "does not exist" in load_error(tmp_path / "nope.wav")


def test_directory(tmp_path):
    folder = tmp_path / "folder.wav"
    folder.mkdir()
    assert "folder" in load_error(folder)


def test_empty_file(tmp_path):
    path = tmp_path / "kick.wav"
    path.write_bytes(b"")
    assert load_error(path) == "Can't read 'kick.wav': the file is empty."


def test_header_only_wav(tmp_path):
    path = tmp_path / "header_only.wav"
    sf.write(path, np.zeros((0, 1)), PROJECT_RATE, subtype="PCM_16")
    assert "no audio" in load_error(path)


def test_truncated_wav(tmp_path):
    path = tmp_path / "cut.wav"
    sf.write(path, sine(440, PROJECT_RATE, 0.5), PROJECT_RATE, subtype="PCM_16")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert "cut off" in load_error(path)


def test_wav_cut_inside_header(tmp_path):
    path = tmp_path / "stub.wav"
    sf.write(path, sine(440, PROJECT_RATE, 0.1), PROJECT_RATE, subtype="PCM_16")
    path.write_bytes(path.read_bytes()[:20])
    load_error(path)


def test_truncated_flac(tmp_path):
    path = tmp_path / "cut.flac"
    sf.write(path, np.random.default_rng(0).uniform(-0.5, 0.5, 88200), PROJECT_RATE, format="FLAC")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert "damaged or cut off" in load_error(path)


def test_random_bytes_named_wav(tmp_path):
    path = tmp_path / "noise.wav"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    assert "not an audio file" in load_error(path)


def test_text_file_named_mp3(tmp_path):
    path = tmp_path / "song.mp3"
    path.write_text("These are not the samples you are looking for.\n" * 40)
    assert "not an audio file" in load_error(path)


def test_unsupported_extension_with_text(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello\n")
    assert "not an audio file" in load_error(path)


def test_permission_denied(tmp_path, monkeypatch):
    path = tmp_path / "locked.wav"
    sf.write(path, np.zeros(100), PROJECT_RATE)

    # chmod does not stop root, so simulate the failure of open() instead.
    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(audio_io, "open", denied, raising=False)
    assert load_error(path) == "Can't read 'locked.wav': permission denied."
