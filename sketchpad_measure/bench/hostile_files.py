"""A corpus of hostile audio files, made on the spot, for the reliability sweep.

Every entry point that takes a file (the CLI's reconstruct, blend and index,
the window's drop) must end each of these in a result or a clear one-line
message, in bounded time, never writing non-finite audio. The tests and
``python -m sketchpad_measure.bench.hostile`` both build their corpus here.

Each case says what a good outcome is: ``"ok"`` (it must load and produce
sound), ``"error"`` (it must be refused with a message) or ``"either"``
(damaged files that a decoder may partly recover).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 44100


@dataclass(frozen=True)
class HostileFile:
    name: str     # a short label for reports
    path: Path
    expect: str   # "ok", "error" or "either"


def _tone(seconds: float, rate: int = RATE, channels: int = 1, level: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    wave = level * np.sin(2 * np.pi * 220.0 * t) * np.exp(-2.0 * t)
    return np.repeat(wave[:, None], channels, axis=1).astype(np.float32)


def _wav_header(data_bytes: int, *, channels=1, rate=RATE, bits=16, riff_bytes=None) -> bytes:
    block = channels * bits // 8
    riff = 36 + data_bytes if riff_bytes is None else riff_bytes
    return (b"RIFF" + struct.pack("<I", riff) + b"WAVE"
            + b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * block, block, bits)
            + b"data" + struct.pack("<I", data_bytes))


def _garble_middle(path: Path, seed: int) -> None:
    """Overwrite a stretch in the middle of a compressed file with random bytes."""
    data = bytearray(path.read_bytes())
    rng = np.random.default_rng(seed)
    start = len(data) // 3
    data[start:start + len(data) // 4] = rng.bytes(len(data) // 4)
    path.write_bytes(bytes(data))


def build_corpus(folder, *, long_minutes: float = 20.0) -> list[HostileFile]:
    """Write the corpus into ``folder`` (created); returns its cases in a fixed order.

    ``long_minutes``: length of the long-file case (20 minutes by default).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(8)
    cases: list[HostileFile] = []

    def add(name, filename, expect, make):
        path = folder / filename
        make(path)
        cases.append(HostileFile(name, path, expect))

    tone = _tone(1.0)
    add("empty", "empty.wav", "error", lambda p: p.write_bytes(b""))
    add("header only", "header_only.wav", "error", lambda p: p.write_bytes(_wav_header(0)))
    add("truncated", "truncated.wav", "error",
        lambda p: p.write_bytes(_wav_header(RATE * 2) + (tone[:RATE // 4, 0] * 32767)
                                .astype("<i2").tobytes()))
    add("wrong header sizes", "wrong_sizes.wav", "either",
        lambda p: p.write_bytes(_wav_header(0x7FFFFF00, riff_bytes=0x10)
                                + (tone[:, 0] * 32767).astype("<i2").tobytes()))
    add("random bytes", "random.wav", "error", lambda p: p.write_bytes(rng.bytes(65536)))
    add("PNG renamed", "picture.flac", "error",
        lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + rng.bytes(2000)))
    add("text renamed", "lyrics.mp3", "error",
        lambda p: p.write_text("verse one, chorus, verse two\n" * 200, encoding="utf-8"))
    add("NaN and Inf", "nan_inf.wav", "ok",
        lambda p: sf.write(p, np.where(np.arange(RATE)[:, None] % 7 == 0, np.nan,
                                       np.where(np.arange(RATE)[:, None] % 11 == 0, np.inf, tone)),
                           RATE, subtype="FLOAT"))
    add("all NaN", "all_nan.wav", "ok",
        lambda p: sf.write(p, np.full((RATE, 1), np.nan, np.float32), RATE, subtype="FLOAT"))
    add("huge values", "huge.wav", "ok", lambda p: sf.write(p, tone * 1e30, RATE, subtype="FLOAT"))
    add("DC", "dc.wav", "ok", lambda p: sf.write(p, np.full((RATE, 1), 0.9, np.float32), RATE))
    add("silence", "silence.wav", "ok", lambda p: sf.write(p, np.zeros((RATE, 1)), RATE))
    add("one sample", "one_sample.wav", "ok", lambda p: sf.write(p, np.array([[0.5]]), RATE))
    add("8 channels", "eight_channels.wav", "ok", lambda p: sf.write(p, _tone(1.0, channels=8), RATE))
    add("192 kHz 24-bit", "hires.wav", "ok",
        lambda p: sf.write(p, _tone(1.0, rate=192000, channels=2), 192000, subtype="PCM_24"))
    add("8 kHz u-law", "ulaw.wav", "ok",
        lambda p: sf.write(p, _tone(1.0, rate=8000), 8000, subtype="ULAW"))
    add("8-bit", "eight_bit.wav", "ok", lambda p: sf.write(p, tone, RATE, subtype="PCM_U8"))

    def corrupt(fmt, seed):
        def make(p):
            noise = rng.uniform(-0.1, 0.1, (RATE * 2, 1)).astype(np.float32)
            sf.write(p, noise + np.tile(tone, (2, 1)), RATE, format=fmt)
            _garble_middle(p, seed)
        return make

    add("corrupt FLAC", "corrupt.flac", "either", corrupt("FLAC", 1))
    add("corrupt OGG", "corrupt.ogg", "either", corrupt("OGG", 2))
    add("folder named like audio", "folder.wav", "error", lambda p: p.mkdir())
    add("broken link", "broken_link.wav", "error",
        lambda p: os.symlink(folder / "does-not-exist.wav", p))
    add("non-ASCII name", "ñandú kick – 鼓 🥁.wav", "ok", lambda p: sf.write(p, tone, RATE))
    add(f"{long_minutes:g}-minute song", "long_song.flac", "ok",
        lambda p: _write_long_song(p, long_minutes))
    return cases


def _write_long_song(path: Path, minutes: float) -> None:
    """A mono 16-bit FLAC of a plucked bass line, written block by block to keep memory flat."""
    beat = _tone(0.5, level=0.6)[:, 0]
    bar = np.concatenate([beat * g for g in (1.0, 0.5, 0.8, 0.4)])
    total = int(minutes * 60 * RATE)
    with sf.SoundFile(path, "w", RATE, 1, subtype="PCM_16", format="FLAC") as out:
        block = np.tile(bar, max(1, (RATE * 60) // bar.size))
        written = 0
        while written < total:
            part = block[: total - written]
            out.write(part)
            written += part.size
