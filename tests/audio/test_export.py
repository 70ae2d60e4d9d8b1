"""write_wav and read_wav_metadata: round trips, chunk layout, atomic writes."""

import errno
import os
import struct

import numpy as np
import pytest
import soundfile as sf

import sketchpad
from sketchpad.audio.export import EXPORT_FORMATS, EXPORT_RATES, WavMetadata, read_wav_metadata, write_wav
from sketchpad.audio.io import PROJECT_RATE, load_audio, resample
from sketchpad.errors import AudioFileError

SUBTYPES = {"pcm16": "PCM_16", "pcm24": "PCM_24", "float32": "FLOAT"}
TOLERANCE = {"pcm16": 1e-4, "pcm24": 1e-6, "float32": 0.0}


def noise(frames=4410, channels=2, amp=0.5, seed=0):
    return np.random.default_rng(seed).uniform(-amp, amp, (frames, channels)).astype(np.float32)


def chunks(path):
    """(id, declared size, body) of each top-level chunk; checks the RIFF framing."""
    raw = path.read_bytes()
    assert raw[:4] == b"RIFF" and raw[8:12] == b"WAVE"
    assert struct.unpack_from("<I", raw, 4)[0] == len(raw) - 8
    found, offset = [], 12
    while offset < len(raw):
        chunk_id, size = struct.unpack_from("<4sI", raw, offset)
        found.append((chunk_id, size, raw[offset + 8 : offset + 8 + size]))
        offset += 8 + size + (size & 1)  # odd sizes carry a pad byte
    assert offset == len(raw)
    return found


@pytest.mark.parametrize("out_rate", EXPORT_RATES)
@pytest.mark.parametrize("bit_depth", EXPORT_FORMATS)
def test_round_trip(tmp_path, bit_depth, out_rate):
    source = noise()
    path = tmp_path / "out.wav"

    result = write_wav(path, source, PROJECT_RATE, bit_depth=bit_depth, out_rate=out_rate)

    assert result == path
    info = sf.info(path)
    assert (info.subtype, info.samplerate, info.channels) == (SUBTYPES[bit_depth], out_rate, 2)
    decoded, _ = sf.read(path, dtype="float64")
    expected = source if out_rate == PROJECT_RATE else resample(source, PROJECT_RATE, out_rate)
    assert decoded.shape == expected.shape
    assert np.max(np.abs(decoded - expected)) <= TOLERANCE[bit_depth]


def test_defaults_and_mono(tmp_path):
    path = write_wav(tmp_path / "mono.wav", np.linspace(-0.5, 0.5, 1000))
    info = sf.info(path)
    assert (info.subtype, info.samplerate, info.channels, info.frames) == ("PCM_24", PROJECT_RATE, 1, 1000)


def test_clipping_and_non_finite(tmp_path):
    source = np.array([1.5, -2.0, np.nan, np.inf, -np.inf, 0.25])
    for bit_depth in ("pcm16", "pcm24"):
        path = write_wav(tmp_path / f"{bit_depth}.wav", source, bit_depth=bit_depth)
        decoded, _ = sf.read(path, dtype="float64")
        np.testing.assert_allclose(decoded, [1, -1, 0, 0, 0, 0.25], atol=1e-4)
    decoded, _ = sf.read(write_wav(tmp_path / "f.wav", source, bit_depth="float32"))
    np.testing.assert_array_equal(decoded, [1.5, -2.0, 0, 0, 0, 0.25])  # float is not clipped


def test_pcm16_is_dithered(tmp_path):
    # A level between two 16-bit steps: dither makes the average land between
    # them instead of every sample rounding the same way.
    level = 100.3 / 32768
    decoded, _ = sf.read(write_wav(tmp_path / "d.wav", np.full(20000, level), bit_depth="pcm16"), dtype="int16")
    assert len(np.unique(decoded)) > 1
    assert np.mean(decoded) == pytest.approx(100.3, abs=0.05)


def test_metadata_round_trip(tmp_path):
    meta = WavMetadata(prompt="warm pad, é", seed=1234, model="tiny-diffusion", root_note=61)
    path = write_wav(tmp_path / "pad.wav", noise(), bit_depth="pcm24", metadata=meta)

    found = read_wav_metadata(path)

    assert found["INAM"] == "warm pad, é"
    assert found["ICMT"] == "prompt: warm pad, é; seed: 1234; model: tiny-diffusion"
    assert found["ISFT"] == f"Sketchpad {sketchpad.__version__}"
    assert len(found["ICRD"]) == 10  # YYYY-MM-DD
    assert found["root_note"] == 61
    # The extra chunks don't bother other readers, nor our own loader.
    assert sf.info(path).frames == 4410
    assert load_audio(path).frames == 4410


def test_chunk_layout(tmp_path):
    meta = WavMetadata(prompt="odd", title="A title of odd len", root_note=60)  # odd sizes force padding
    path = write_wav(tmp_path / "layout.wav", noise(101, 1), 48000, bit_depth="pcm24", metadata=meta)

    found = {chunk_id: (size, body) for chunk_id, size, body in chunks(path)}

    fmt = struct.unpack("<HHIIHH", found[b"fmt "][1])
    assert fmt == (1, 1, 48000, 48000 * 3, 3, 24)
    assert found[b"data"][0] % 2 == 1  # 101 frames * 3 bytes is odd; pad byte handled above
    assert found[b"LIST"][1][:4] == b"INFO"
    smpl = struct.unpack("<9I", found[b"smpl"][1])
    assert smpl[2] == round(1e9 / 48000) and smpl[3] == 60
    assert read_wav_metadata(path)["INAM"] == "A title of odd len"
    assert sf.read(path)[0].shape == (101,)


def test_float_has_fact_chunk(tmp_path):
    path = write_wav(tmp_path / "f.wav", noise(500), bit_depth="float32")
    found = {chunk_id: body for chunk_id, _, body in chunks(path)}
    assert struct.unpack("<HHIIHHH", found[b"fmt "])[0] == 3
    assert struct.unpack("<I", found[b"fact"])[0] == 500


def test_no_root_note_no_smpl(tmp_path):
    path = write_wav(tmp_path / "plain.wav", noise(100))
    assert b"smpl" not in [chunk_id for chunk_id, _, _ in chunks(path)]
    found = read_wav_metadata(path)
    assert "root_note" not in found and "INAM" not in found
    assert found["ISFT"].startswith("Sketchpad ")


def test_new_file_honours_umask(tmp_path):
    if os.name != "posix":
        pytest.skip("POSIX permissions")
    umask = os.umask(0)
    os.umask(umask)
    path = write_wav(tmp_path / "perm.wav", noise(100))
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


# --- validation ----------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, samples, words",
    [
        (dict(bit_depth="pcm8"), noise(10), "unknown format"),
        (dict(out_rate=22050), noise(10), "unsupported sample rate"),
        (dict(metadata=WavMetadata(root_note=200)), noise(10), "MIDI"),
        ({}, np.zeros((0, 2)), "no audio"),
        ({}, np.zeros((2, 2, 2)), "shape"),
        ({}, np.array(["a", "b"]), "not numbers"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, samples, words):
    with pytest.raises(AudioFileError) as info:
        write_wav(tmp_path / "x.wav", samples, **kwargs)
    assert words in str(info.value) and "\n" not in str(info.value)
    assert os.listdir(tmp_path) == []


def test_missing_folder(tmp_path):
    with pytest.raises(AudioFileError, match="does not exist"):
        write_wav(tmp_path / "nowhere" / "x.wav", noise(10))


def test_read_metadata_of_non_wav(tmp_path):
    path = tmp_path / "x.flac"
    sf.write(path, noise(10), PROJECT_RATE, format="FLAC")
    with pytest.raises(AudioFileError, match="not a WAV file"):
        read_wav_metadata(path)
    with pytest.raises(AudioFileError, match="does not exist"):
        read_wav_metadata(tmp_path / "missing.wav")


# --- atomic writes -------------------------------------------------------------


def leftovers(folder):
    return [name for name in os.listdir(folder) if name.endswith(".part")]


@pytest.mark.parametrize("step", ["replace", "fsync"])
def test_disk_full_keeps_old_file(tmp_path, monkeypatch, step):
    path = tmp_path / "x.wav"
    path.write_bytes(b"old bytes")

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, step, disk_full)
    with pytest.raises(AudioFileError) as info:
        write_wav(path, noise())
    monkeypatch.undo()

    assert str(info.value) == "Not enough disk space to export 'x.wav'."
    assert path.read_bytes() == b"old bytes"
    assert leftovers(tmp_path) == []


def test_permission_denied(tmp_path, monkeypatch):
    real_open = os.open

    def denied(file, flags, *args, **kwargs):
        if str(file).endswith(".part"):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(file, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(AudioFileError, match="permission denied"):
        write_wav(tmp_path / "x.wav", noise())
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []


def test_unexpected_error_still_cleans_up(tmp_path, monkeypatch):
    path = tmp_path / "x.wav"
    path.write_bytes(b"old bytes")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_wav(path, noise())
    monkeypatch.undo()
    assert path.read_bytes() == b"old bytes"
    assert leftovers(tmp_path) == []


def test_overwrites_existing_file(tmp_path):
    path = tmp_path / "x.wav"
    path.write_bytes(b"old bytes")
    write_wav(path, noise(100))
    assert sf.info(path).frames == 100
    assert leftovers(tmp_path) == []
