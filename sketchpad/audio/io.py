"""Decoding audio files into the project's sample format, and resampling.

Everything the rest of Sketchpad sees is an :class:`Audio`: float32 samples
shaped ``(frames, channels)`` with 1 or 2 channels, at the project rate
(44.1 kHz) unless the caller asks for another. Decoding is done by
soundfile (libsndfile), resampling by soxr.

Qt-free on purpose: the CLI, the tests and worker threads use this module
directly. Nothing here keeps shared state, so any thread may call it; a GUI
should call :func:`load_audio` from a worker thread, not the UI thread.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import soundfile as sf
import soxr

from sketchpad.errors import AudioFileError

PROJECT_RATE = 44100
"""Sample rate (Hz) of everything inside a project."""

SUPPORTED_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff")
"""File endings offered in file dialogs. Loading sniffs the content, so a
valid file with another ending still loads."""

# Frames decoded per step: big enough that per-call overhead is negligible,
# small enough (about 6 s at 44.1 kHz) that progress moves and cancelling
# is prompt on long files.
_BLOCK_FRAMES = 2**18

# "VHQ" keeps the passband flat to about 20 kHz at 44.1 kHz and the stop
# band far below 16-bit noise; the extra cost over "HQ" is small next to
# decoding.
_SOXR_QUALITY = "VHQ"

# Float samples above this (+60 dBFS) are not headroom but garbage; the file is
# scaled so its peak is full scale.
MAX_PEAK = 1000.0

# Formats whose header states the exact length, so coming up short means
# the file is damaged. Lossy formats often only estimate their length.
_EXACT_LENGTH_FORMATS = {"WAV", "WAVEX", "AIFF", "FLAC", "W64", "RF64", "CAF"}


@dataclass(frozen=True)
class Audio:
    """Decoded audio ready for the project.

    ``samples``: float32, C-contiguous, shape ``(frames, channels)`` with
    ``channels`` 1 or 2, nominal range [-1, 1] (float sources may exceed it;
    nothing is clipped on load). ``sample_rate``: Hz. ``notes``: one-line,
    human-readable remarks about what loading changed (resampled,
    downmixed, sanitised), in the order it happened; empty if nothing.
    """

    samples: np.ndarray
    sample_rate: int
    notes: tuple[str, ...] = ()

    @property
    def frames(self) -> int:
        """Number of sample frames (one sample per channel each)."""
        return int(self.samples.shape[0])

    @property
    def channels(self) -> int:
        """1 (mono) or 2 (stereo)."""
        return int(self.samples.shape[1])

    @property
    def duration_seconds(self) -> float:
        """Length in seconds at ``sample_rate``."""
        return self.frames / float(self.sample_rate)


def find_audio_files(folder: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """Audio files below ``folder`` (sorted), and what looked like audio but isn't readable."""
    found, skipped = [], []
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() not in SUPPORTED_EXTENSIONS:
            continue
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink() and not path.exists():
            skipped.append((rel, "broken link"))
        elif path.is_dir():
            skipped.append((rel, "a folder named like an audio file"))
        elif path.is_file():
            found.append(path)
    return found, skipped


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Resample ``samples`` from ``from_rate`` to ``to_rate`` (both Hz).

    ``samples`` is shaped ``(frames,)`` or ``(frames, channels)``; the result
    has the same number of dimensions and channels, about
    ``frames * to_rate / from_rate`` frames, float32 and C-contiguous. When
    the rates are equal the data is only converted. soxr's anti-alias
    filter removes content above the lower Nyquist frequency. Input must be
    finite (a NaN would smear over the filter length). Any thread.
    """
    from_rate, to_rate = int(from_rate), int(to_rate)
    if from_rate <= 0 or to_rate <= 0:
        raise ValueError(f"sample rates must be positive, got {from_rate} and {to_rate}")
    data = np.ascontiguousarray(samples, dtype=np.float32)
    if data.ndim not in (1, 2):
        raise ValueError(f"samples must be (frames,) or (frames, channels), got shape {data.shape}")
    if from_rate == to_rate:
        return data
    if data.shape[0] == 0:
        return np.zeros((0,) + data.shape[1:], dtype=np.float32)
    out = soxr.resample(data, from_rate, to_rate, quality=_SOXR_QUALITY)
    return np.ascontiguousarray(out, dtype=np.float32)


def open_for_reading(path: Path):
    """Open ``path`` in binary mode, or raise AudioFileError saying why not."""
    name = path.name or str(path)
    if path.is_dir():
        # Checked first: Windows reports opening a folder as "permission denied".
        raise AudioFileError(f"Can't read '{name}': it is a folder, not an audio file.")
    if path.exists() and not path.is_file():
        # A FIFO or device would block or stream forever in open()/read().
        raise AudioFileError(f"Can't read '{name}': it is not a regular file.")
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise AudioFileError(f"Can't read '{name}': the file does not exist.") from None
    except PermissionError:
        raise AudioFileError(f"Can't read '{name}': permission denied.") from None
    except OSError as exc:
        raise AudioFileError(f"Can't read '{name}': {exc.strerror or exc}.") from None


def load_audio(
    path: str | os.PathLike,
    *,
    target_rate: int = PROJECT_RATE,
    progress: Callable[[float], None] | None = None,
    max_seconds: float | None = None,
) -> Audio:
    """Decode an audio file into an :class:`Audio` at ``target_rate`` Hz.

    Reads WAV (8-bit unsigned, 16/24/32-bit int, 32/64-bit float), AIFF,
    FLAC, Ogg Vorbis, Opus and MP3; the format is sniffed from the content,
    not the file name. Mono and stereo stay as they are; more channels are
    folded to stereo. NaN/Inf samples become 0.

    ``max_seconds`` stops decoding there: a preview or an analysis of a long
    file reads only its start.

    ``progress(fraction)``, if given, is called on the calling thread after
    each decoded block with a fraction in [0, 1], and once more with 1.0 at
    the end. To cancel, raise from it: the exception propagates unchanged.

    Raises :class:`AudioFileError` with a one-line message for anything
    wrong with the file (missing, unreadable, empty, not audio, damaged).
    Call from a worker thread in the GUI; decoding a long file takes time.
    """
    path = Path(path)
    name = path.name or str(path)
    target_rate = int(target_rate)
    if target_rate <= 0:
        raise ValueError(f"target_rate must be positive, got {target_rate}")

    handle = open_for_reading(path)
    with handle:
        if os.fstat(handle.fileno()).st_size == 0:
            raise AudioFileError(f"Can't read '{name}': the file is empty.")
        # A Python file object (rather than the path) keeps libsndfile's
        # misleading open errors out of it and makes non-ASCII paths work
        # on every platform.
        try:
            snd = sf.SoundFile(_QuietSeekReader(handle))
        except sf.LibsndfileError as exc:
            raise AudioFileError(_open_error_message(name, exc.code)) from None
        except (sf.SoundFileError, RuntimeError, ValueError, TypeError):
            raise AudioFileError(_open_error_message(name, None)) from None
        except OSError as exc:
            raise AudioFileError(f"Can't read '{name}': {exc.strerror or exc}.") from None
        with snd:
            return _decode(snd, handle, name, target_rate, progress, max_seconds)


# libsndfile error codes (sndfile.h) that deserve their own wording.
_SF_ERR_MALFORMED_FILE = 3
_SF_ERR_UNSUPPORTED_ENCODING = 4


def _open_error_message(name: str, code: int | None) -> str:
    if code == _SF_ERR_MALFORMED_FILE:
        return f"Can't read '{name}': the file is damaged or cut off."
    if code == _SF_ERR_UNSUPPORTED_ENCODING:
        return f"Can't read '{name}': its audio encoding is not supported."
    return (
        f"Can't read '{name}': not an audio file, or a format Sketchpad can't read "
        f"(supported: {', '.join(SUPPORTED_EXTENSIONS)})."
    )


class _QuietSeekReader:
    """Read-only file wrapper for soundfile's virtual I/O.

    While sniffing a short or odd file libsndfile may seek before the start;
    a plain file raises there, and since that happens inside a C callback
    the exception can't propagate: it is printed as an "ignored" traceback.
    Reporting "position unchanged" instead lets libsndfile fail normally.
    """

    def __init__(self, raw):
        self._raw = raw

    def read(self, size=-1):
        return self._raw.read(size)

    def readinto(self, buffer):
        return self._raw.readinto(buffer)

    def tell(self):
        return self._raw.tell()

    def seek(self, offset, whence=os.SEEK_SET):
        try:
            return self._raw.seek(offset, whence)
        except (OSError, ValueError):
            return self._raw.tell()


def _decode(snd: sf.SoundFile, handle, name: str, target_rate: int, progress,
            max_seconds: float | None = None) -> Audio:
    """Block loop of :func:`load_audio`: decode, sanitise, downmix, resample."""
    source_rate = int(snd.samplerate)
    source_channels = int(snd.channels)
    declared = int(snd.frames) if snd.frames and snd.frames > 0 else 0
    if source_rate <= 0 or source_channels <= 0:
        raise AudioFileError(f"Can't read '{name}': the file's header is damaged.")
    if snd.format in ("WAV", "WAVEX"):
        # libsndfile quietly shortens a cut-off WAV; check the header ourselves.
        _check_wav_length(handle, name)

    out_channels = source_channels if source_channels <= 2 else 2
    # Resample block by block while decoding: memory stays at one copy of
    # the output, and the stream gives exactly the one-shot result.
    stream = None
    if source_rate != target_rate:
        stream = soxr.ResampleStream(
            source_rate, target_rate, out_channels, dtype="float32", quality=_SOXR_QUALITY
        )

    limit = None if max_seconds is None else max(1, int(max_seconds * source_rate))
    blocks: list[np.ndarray] = []
    decoded = 0
    non_finite = 0
    while True:
        try:
            block = snd.read(_BLOCK_FRAMES, dtype="float32", always_2d=True)
        except (sf.SoundFileError, RuntimeError, ValueError):
            raise AudioFileError(f"Can't read '{name}': the audio data is damaged or cut off.") from None
        except OSError as exc:
            raise AudioFileError(f"Can't read '{name}': {exc.strerror or exc}.") from None
        if limit is not None and decoded + block.shape[0] >= limit:
            block = block[: limit - decoded]
            declared = 0  # stopped on purpose: not a file that ended early
            if block.shape[0] == 0:
                block = np.zeros((0, source_channels), np.float32)
        last = block.shape[0] == 0
        if not last:
            decoded += block.shape[0]
            bad = ~np.isfinite(block)
            count = int(np.count_nonzero(bad))
            if count:
                # Before resampling: a NaN would spread over the filter length.
                block[bad] = 0.0
                non_finite += count
        if source_channels > 2:  # the empty last block too: the resampler expects two channels
            block = _fold_to_stereo(block)
        if stream is not None:
            blocks.append(stream.resample_chunk(block, last=last))
        elif not last:
            blocks.append(block)
        if last:
            break
        if progress is not None:
            progress(min(decoded / declared, 1.0) if declared else 0.0)

    if decoded == 0:
        raise AudioFileError(f"Can't read '{name}': the file contains no audio.")
    if declared and decoded < declared and snd.format in _EXACT_LENGTH_FORMATS:
        raise AudioFileError(f"Can't read '{name}': the file is cut off or damaged.")

    samples = np.ascontiguousarray(np.concatenate(blocks, axis=0), dtype=np.float32)
    notes: list[str] = []
    if declared and decoded < declared:
        # Lossy formats may only estimate their length; load what is there.
        notes.append(
            f"The file ended early: decoded {decoded / source_rate:.2f} s "
            f"of {declared / source_rate:.2f} s."
        )
    if non_finite:
        notes.append(f"Replaced {non_finite} invalid samples (NaN/Inf) with silence.")
    if source_channels > 2:
        notes.append(f"Downmixed {source_channels} channels to stereo.")
    peak = max(float(samples.max()), -float(samples.min()))  # no |x| copy of a long song
    if peak > MAX_PEAK:
        # Float files may go above full scale, but not this far: such levels
        # overflow every power spectrum downstream, so bring the peak to 1.
        samples *= np.float32(1.0 / peak)
        notes.append(f"Scaled down by {20 * np.log10(peak):.0f} dB: the file peaked far above full scale.")
    if stream is not None:
        notes.append(f"Resampled from {source_rate} Hz to {target_rate} Hz.")
    if progress is not None:
        progress(1.0)
    return Audio(samples=samples, sample_rate=target_rate, notes=tuple(notes))


def _fold_to_stereo(block: np.ndarray) -> np.ndarray:
    """(frames, n>2) -> (frames, 2): even-index channels average to the
    left, odd-index to the right. Averaging (not summing) keeps the level
    in range without a separate normalisation pass."""
    left = block[:, 0::2].mean(axis=1)
    right = block[:, 1::2].mean(axis=1)
    return np.stack([left, right], axis=1).astype(np.float32, copy=False)


def _check_wav_length(handle, name: str) -> None:
    """Raise if a RIFF/WAVE file's data chunk promises more bytes than the
    file holds. Size fields of 0 or 0xFFFFFFFF are placeholders left by
    recorders that never finalised the header; those are accepted."""
    size = os.fstat(handle.fileno()).st_size
    position = handle.tell()
    try:
        handle.seek(0)
        header = handle.read(12)
        if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            return  # RF64 and other variants: trust libsndfile.
        offset = 12
        while offset + 8 <= size:
            handle.seek(offset)
            chunk_id, chunk_size = struct.unpack("<4sI", handle.read(8))
            if chunk_id == b"data":
                if chunk_size not in (0, 0xFFFFFFFF) and offset + 8 + chunk_size > size:
                    raise AudioFileError(f"Can't read '{name}': the file is cut off.")
                return
            offset += 8 + chunk_size + (chunk_size & 1)
    finally:
        handle.seek(position)
