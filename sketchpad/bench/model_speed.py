"""Warm timings of the sound model: one-shot decode and a song round trip."""

from __future__ import annotations

import time

import numpy as np


def _song(seconds: float, rate: int) -> np.ndarray:
    """A stereo test song: chords, a bass line and drum-like bursts."""
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * rate)) / rate
    x = sum(0.1 * np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6))
    x = x + 0.2 * np.sin(2 * np.pi * 55 * t) * (np.sin(2 * np.pi * 2 * t) > 0)
    beats = (t % 0.5) < 0.05
    x = x + 0.3 * rng.standard_normal(t.shape) * beats * np.exp(-(t % 0.5) * 60)
    return np.stack([x, np.roll(x, 300)], axis=1).astype(np.float32)


def measure_model_speed(model, *, decode_runs: int = 30, song_seconds: float = 180.0,
                        song_runs: int = 3) -> dict:
    """Milliseconds for decoding a 2 s one-shot; real-time factor of a stereo song round trip."""
    rate = model.sample_rate
    oneshot = _song(2.0, rate)[:, 0]
    latents = model.encode(oneshot)
    for _ in range(3):  # warm-up: allocator, kernels, thread pools
        model.decode(latents)
    decode_ms = []
    for _ in range(decode_runs):
        began = time.perf_counter()
        model.decode(latents)
        decode_ms.append((time.perf_counter() - began) * 1000)
    song = _song(song_seconds, rate)
    rtf = []
    for _ in range(song_runs):
        began = time.perf_counter()
        model.reconstruct(song)
        rtf.append(song_seconds / (time.perf_counter() - began))
    return {"oneshot_decode_ms": decode_ms, "song_roundtrip_rtf": rtf}


def measure_prompt_speed(engine, *, runs: int = 10) -> list[float]:
    """Milliseconds from prompt text to eight playable one-shots (encode text, blend, decode)."""
    prompts = ["punchy 808 kick", "warm analog pad C3", "bright bell", "plucky bass E2",
               "crisp closed hi-hat", "airy flute", "distorted guitar", "soft piano C4"]
    engine.generate(prompts[0], count=8, seed=0)  # warm-up
    times = []
    for run in range(runs):
        began = time.perf_counter()
        engine.generate(prompts[run % len(prompts)], count=8, seed=run)
        times.append((time.perf_counter() - began) * 1000)
    return times
