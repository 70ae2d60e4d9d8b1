"""A small real sample folder for library tests: synthesised one-shots in
category folders, in several formats, plus the junk real folders hold."""

from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 44100


def _kick(seconds, pitch):
    t = np.arange(int(seconds * RATE)) / RATE
    sweep = pitch * (1 + 3 * np.exp(-t * 40))
    return np.sin(2 * np.pi * np.cumsum(sweep) / RATE) * np.exp(-t * 9)


def _hat(seconds, brightness, rng):
    t = np.arange(int(seconds * RATE)) / RATE
    noise = rng.standard_normal(len(t))
    noise = np.diff(noise, n=int(brightness), prepend=np.zeros(int(brightness)))
    return 0.3 * noise / np.abs(noise).max() * np.exp(-t * 30)


def _pluck(seconds, freq):
    t = np.arange(int(seconds * RATE)) / RATE
    tone = sum(np.sin(2 * np.pi * freq * k * t) / k for k in range(1, 6))
    return 0.3 * tone * np.exp(-t * 4)


def make_sample_library(folder: Path, per_kind: int = 6) -> dict:
    """Writes the folder; returns {"sounds": count of good files, "junk": names that must be skipped}."""
    rng = np.random.default_rng(0)
    count = 0
    for i in range(per_kind):
        for sub, wave, ext in (("Kicks", _kick(0.3 + 0.05 * i, 45 + 5 * i), ".wav"),
                               ("Hats", _hat(0.12 + 0.02 * i, 1 + i % 3, rng), ".flac"),
                               ("Keys", _pluck(0.6 + 0.1 * i, 220 * 2 ** (i / 12)), ".ogg")):
            (folder / sub).mkdir(parents=True, exist_ok=True)
            sf.write(folder / sub / f"{sub[:-1].lower()} {i:02d}{ext}", wave.astype(np.float32), RATE)
            count += 1
    sf.write(folder / "Keys" / "pluck é ünïcode.wav", _pluck(0.5, 330).astype(np.float32), RATE)
    count += 1
    (folder / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    sf.write(folder / "silence.wav", np.zeros(RATE // 4, np.float32), RATE)
    (folder / "not-a-file.wav").mkdir()
    (folder / "dangling.flac").symlink_to(folder / "missing.flac")
    (folder / "notes.txt").write_text("not audio")
    return {"sounds": count, "junk": {"broken.wav", "silence.wav", "not-a-file.wav", "dangling.flac"}}
