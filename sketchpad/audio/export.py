"""Writing WAV files, with metadata, atomically.

The RIFF/WAVE writer is our own (about a page) rather than soundfile's so
the chunks other tools look for are exactly what we want: a plain ``fmt ``
chunk, a ``LIST``/``INFO`` chunk carrying the prompt, seed and model, and a
``smpl`` chunk with the root note so samplers map the sound to the right
key. Files are written to a hidden temporary file next to the destination
and moved into place only when complete, so a failed export never leaves a
half-written file or damages the one it was replacing.

Qt-free; no shared state, so any thread may call these functions (the GUI
should use a worker thread for long exports).
"""

from __future__ import annotations

import errno
import os
import re
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sketchpad import __version__
from sketchpad.atomic import atomic_write_bytes
from sketchpad.audio.io import PROJECT_RATE, open_for_reading, resample
from sketchpad.errors import AudioFileError

EXPORT_FORMATS = ("pcm16", "pcm24", "float32")
EXPORT_RATES = (44100, 48000)

_WAVE_FORMAT_PCM = 1
_WAVE_FORMAT_IEEE_FLOAT = 3
_BYTES_PER_SAMPLE = {"pcm16": 2, "pcm24": 3, "float32": 4}
# A RIFF size field is 32 bits; leave room for the header and metadata.
_MAX_DATA_BYTES = 0xFFFFFFFF - 64 * 1024


def safe_file_stem(name: str) -> str:
    """``name`` as a file name stem every OS accepts."""
    stem = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", name).strip(" .")
    return stem[:80] or "sound"


def free_path(folder, name: str, suffix: str = "") -> Path:
    """``folder/<name><suffix>`` with a safe stem, or ``<name> 2<suffix>``, ``<name> 3<suffix>``...
    if that is taken (a file or a folder)."""
    stem = safe_file_stem(name)
    path = Path(folder) / f"{stem}{suffix}"
    number = 2
    while path.exists():
        path = Path(folder) / f"{stem} {number}{suffix}"
        number += 1
    return path


@dataclass
class WavMetadata:
    """What we know about a sound, stored in the exported file.

    ``root_note`` is a MIDI note number (60 = middle C), written as the
    ``smpl`` chunk's unity note. ``title`` defaults to the prompt in INAM.
    """

    prompt: str | None = None
    seed: int | None = None
    model: str | None = None
    root_note: int | None = None
    title: str | None = None
    software: str = field(default_factory=lambda: f"Sketchpad {__version__}")


def write_wav(
    path: str | os.PathLike,
    samples: np.ndarray,
    sample_rate: int = PROJECT_RATE,
    *,
    bit_depth: str = "pcm24",
    out_rate: int | None = None,
    metadata: WavMetadata | None = None,
) -> Path:
    """Write ``samples`` to a WAV file at ``path`` and return it as a Path.

    ``samples``: float, shape ``(frames,)`` or ``(frames, channels)``,
    nominal range [-1, 1], at ``sample_rate`` Hz. ``bit_depth`` is one of
    :data:`EXPORT_FORMATS`; PCM output is clipped to [-1, 1] and 16-bit
    gets TPDF dither. ``out_rate`` (one of :data:`EXPORT_RATES`, default:
    ``sample_rate``) resamples first. NaN/Inf become 0.

    The file appears complete or not at all; an existing file at ``path``
    is replaced only on success. Raises :class:`AudioFileError` (one line)
    for bad options, nothing to write, and any file-system failure.
    """
    path = Path(path)
    name = path.name or str(path)
    if bit_depth not in EXPORT_FORMATS:
        raise AudioFileError(
            f"Can't export '{name}': unknown format '{bit_depth}' (choose {', '.join(EXPORT_FORMATS)})."
        )
    sample_rate = int(sample_rate)
    if sample_rate <= 0:
        raise AudioFileError(f"Can't export '{name}': invalid sample rate {sample_rate} Hz.")
    if out_rate is None:
        out_rate = sample_rate
    elif out_rate not in EXPORT_RATES:
        rates = " or ".join(f"{r} Hz" for r in EXPORT_RATES)
        raise AudioFileError(f"Can't export '{name}': unsupported sample rate {out_rate} Hz (choose {rates}).")
    out_rate = int(out_rate)
    metadata = metadata or WavMetadata()
    if metadata.root_note is not None and not 0 <= int(metadata.root_note) <= 127:
        raise AudioFileError(f"Can't export '{name}': root note {metadata.root_note} is not a MIDI note (0-127).")

    data = _prepare(samples, name)
    if out_rate != sample_rate:
        data = resample(data, sample_rate, out_rate).astype(np.float64)
    frames, channels = data.shape
    payload = _encode(data, bit_depth)
    if len(payload) > _MAX_DATA_BYTES:
        raise AudioFileError(f"Can't export '{name}': the sound is too long for a WAV file.")

    riff = _build_riff(payload, frames, channels, out_rate, bit_depth, metadata)
    _write_atomically(path, riff)
    return path


def _prepare(samples, name: str) -> np.ndarray:
    """Any float array -> finite float64 (frames, channels)."""
    try:
        data = np.array(samples, dtype=np.float64)  # copy: never touch the caller's array
    except (TypeError, ValueError):
        raise AudioFileError(f"Can't export '{name}': the samples are not numbers.") from None
    if data.ndim == 1:
        data = data[:, None]
    if data.ndim != 2 or data.shape[1] < 1:
        raise AudioFileError(f"Can't export '{name}': expected (frames, channels) samples, got shape {data.shape}.")
    if data.shape[0] == 0:
        raise AudioFileError(f"Can't export '{name}': there is no audio to export.")
    data[~np.isfinite(data)] = 0.0
    return data


def _encode(data: np.ndarray, bit_depth: str) -> bytes:
    """(frames, channels) float64 -> interleaved little-endian sample bytes.

    Integer scaling uses 2**(bits-1), the convention libsndfile and most
    readers divide by, so a round trip returns the same values.
    """
    if bit_depth == "float32":
        return np.ascontiguousarray(data, dtype="<f4").tobytes()
    data = np.clip(data, -1.0, 1.0)
    if bit_depth == "pcm16":
        scale = 32768.0
        # TPDF dither (difference of two uniform values, +-1 LSB peak) turns
        # quantisation distortion on quiet tails into benign noise. Fixed
        # seed: the same sketch exports to identical bytes.
        rng = np.random.default_rng(0x5EED)
        noise = rng.random(data.shape) - rng.random(data.shape)
        ints = np.clip(np.round(data * scale + noise), -32768, 32767)
        return ints.astype("<i2").tobytes()
    scale = 8388608.0
    ints = np.clip(np.round(data * scale), -8388608, 8388607).astype("<i4")
    # Keep the low three bytes of each little-endian int32.
    return ints.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()


def _chunk(chunk_id: bytes, body: bytes) -> bytes:
    """A RIFF chunk: id, size, body, and a pad byte if the size is odd
    (the size field excludes the pad)."""
    pad = b"\0" if len(body) & 1 else b""
    return chunk_id + struct.pack("<I", len(body)) + body + pad


def _info_chunk(metadata: WavMetadata) -> bytes:
    """LIST/INFO with INAM, ICMT, ISFT and ICRD; UTF-8, NUL-terminated."""
    comment = "; ".join(
        f"{key}: {value}"
        for key, value in (("prompt", metadata.prompt), ("seed", metadata.seed), ("model", metadata.model))
        if value is not None
    )
    entries = [
        (b"INAM", metadata.title or metadata.prompt),
        (b"ICMT", comment),
        (b"ISFT", metadata.software),
        (b"ICRD", time.strftime("%Y-%m-%d")),
    ]
    body = b"INFO"
    for key, text in entries:
        if text:
            # NULs would end the string early in other readers.
            body += _chunk(key, str(text).replace("\0", "").encode("utf-8") + b"\0")
    return _chunk(b"LIST", body)


def _smpl_chunk(root_note: int, rate: int) -> bytes:
    """smpl chunk with no loops: manufacturer, product, sample period (ns),
    MIDI unity note, pitch fraction, SMPTE format/offset, loop count, and
    sampler data size."""
    period_ns = round(1e9 / rate)
    return _chunk(b"smpl", struct.pack("<9I", 0, 0, period_ns, int(root_note), 0, 0, 0, 0, 0))


def _build_riff(payload: bytes, frames: int, channels: int, rate: int, bit_depth: str, metadata: WavMetadata) -> bytes:
    sample_bytes = _BYTES_PER_SAMPLE[bit_depth]
    block_align = channels * sample_bytes
    fmt_fields = (channels, rate, rate * block_align, block_align, sample_bytes * 8)
    if bit_depth == "float32":
        # Non-PCM formats carry cbSize (0) and a fact chunk with the length.
        chunks = [
            _chunk(b"fmt ", struct.pack("<HHIIHHH", _WAVE_FORMAT_IEEE_FLOAT, *fmt_fields, 0)),
            _chunk(b"fact", struct.pack("<I", frames)),
        ]
    else:
        chunks = [_chunk(b"fmt ", struct.pack("<HHIIHH", _WAVE_FORMAT_PCM, *fmt_fields))]
    chunks.append(_chunk(b"data", payload))
    # Metadata after the audio, as libsndfile and most DAWs write it.
    chunks.append(_info_chunk(metadata))
    if metadata.root_note is not None:
        chunks.append(_smpl_chunk(metadata.root_note, rate))
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _write_atomically(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` atomically, with one-line errors."""
    name, folder = path.name, path.parent
    if path.is_dir():
        raise AudioFileError(f"Can't export '{name}': a folder with that name already exists.")
    if not folder.is_dir():
        raise AudioFileError(f"Can't export '{name}': the folder '{folder}' does not exist.")
    try:
        atomic_write_bytes(path, content)
    except OSError as exc:
        raise AudioFileError(_os_error_message(name, folder, exc)) from None


def _os_error_message(name: str, folder: Path, exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return f"Not enough disk space to export '{name}'."
    if isinstance(exc, PermissionError):
        return f"Can't export '{name}': permission denied in folder '{folder}'."
    if isinstance(exc, FileNotFoundError):
        return f"Can't export '{name}': the folder '{folder}' does not exist."
    if exc.errno == errno.EROFS:
        return f"Can't export '{name}': the folder '{folder}' is read-only."
    return f"Can't export '{name}': {exc.strerror or exc}."


def read_wav_metadata(path: str | os.PathLike) -> dict:
    """Metadata of a RIFF/WAVE file: INFO entries as ``{"INAM": str, ...}``
    plus ``"root_note"`` (int) when a ``smpl`` chunk is present.

    Only chunk headers and the metadata chunks are read, not the audio.
    Text is decoded as UTF-8 (invalid bytes replaced), trailing NULs
    dropped. Raises :class:`AudioFileError` if the file can't be read or is
    not a WAV file. Any thread.
    """
    path = Path(path)
    name = path.name or str(path)
    try:
        with open_for_reading(path) as handle:
            header = handle.read(12)
            if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
                raise AudioFileError(f"Can't read '{name}': not a WAV file.")
            result: dict = {}
            while True:
                chunk_header = handle.read(8)
                if len(chunk_header) < 8:
                    break
                chunk_id, size = struct.unpack("<4sI", chunk_header)
                if chunk_id in (b"LIST", b"smpl"):
                    body = handle.read(size + (size & 1))[:size]
                else:
                    handle.seek(size + (size & 1), os.SEEK_CUR)
                    continue
                if chunk_id == b"LIST" and body[:4] == b"INFO":
                    for key, value in _iter_chunks(body, 4):
                        text = value.split(b"\0", 1)[0].decode("utf-8", "replace")
                        result[key.decode("ascii", "replace")] = text
                elif chunk_id == b"smpl" and len(body) >= 16:
                    result["root_note"] = struct.unpack_from("<I", body, 12)[0]
            return result
    except OSError as exc:
        raise AudioFileError(f"Can't read '{name}': {exc.strerror or exc}.") from None


def _iter_chunks(raw: bytes, offset: int):
    """Yield (id, body) for the RIFF sub-chunks in ``raw`` from ``offset``;
    a chunk that runs past the end is cut short rather than failing."""
    while offset + 8 <= len(raw):
        chunk_id, size = struct.unpack_from("<4sI", raw, offset)
        yield chunk_id, raw[offset + 8 : offset + 8 + size]
        offset += 8 + size + (size & 1)
