"""Warm timings of the sound model: one-shot decode and a song round trip."""

from __future__ import annotations

import time

import numpy as np


def synthetic_song(seconds: float, rate: int) -> np.ndarray:
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
    """Milliseconds for decoding a 2 s one-shot, finished and as a draft (the vocoder network
    alone, what a slider move plays first; the same where the model does not refine);
    real-time factor of a stereo song round trip."""
    rate = model.sample_rate
    oneshot = synthetic_song(2.0, rate)[:, 0]
    latents = model.encode(oneshot)
    for _ in range(3):  # warm-up: allocator, kernels, thread pools
        model.decode(latents)
        model.decode(latents, refine=False, fast=True)
    decode_ms, draft_ms = [], []
    for _ in range(decode_runs):
        for draft, times in ((False, decode_ms), (True, draft_ms)):
            began = time.perf_counter()
            model.decode(latents, refine=not draft, fast=draft)
            times.append((time.perf_counter() - began) * 1000)
    song = synthetic_song(song_seconds, rate)
    rtf = []
    for _ in range(song_runs):
        began = time.perf_counter()
        model.reconstruct(song)
        rtf.append(song_seconds / (time.perf_counter() - began))
    return {"oneshot_decode_ms": decode_ms, "oneshot_draft_decode_ms": draft_ms,
            "song_roundtrip_rtf": rtf}


def measure_prompt_speed(engine, *, runs: int = 10, draft: bool = False) -> list[float]:
    """Milliseconds from prompt text to eight playable one-shots (encode text, blend, decode);
    ``draft``: as the window makes them first (see ``sketchpad.core.generation``)."""
    from sketchpad.audio.pitch import warm_pitch_estimation

    prompts = ["punchy 808 kick", "warm analog pad C3", "bright bell", "plucky bass E2",
               "crisp closed hi-hat", "airy flute", "distorted guitar", "soft piano C4"]
    # Warm as the app is once its model has loaded (pitch tracking imported), plus one prompt.
    warm_pitch_estimation()
    engine.generate(prompts[0], count=8, seed=0, seconds=2.0, draft=draft)
    times = []
    for run in range(runs):
        began = time.perf_counter()
        engine.generate(prompts[run % len(prompts)], count=8, seed=run, seconds=2.0, draft=draft)
        times.append((time.perf_counter() - began) * 1000)
    return times


def measure_blend_rtf(model, *, seconds: float = 180.0, runs: int = 3) -> list[float]:
    """Real-time factor of a full blend of two ``seconds``-long stereo songs: both encoded,
    an automation curve from A to B and back rendered over the whole length."""
    from sketchpad.engine.blender import Blender

    rate = model.sample_rate
    song_a = synthetic_song(seconds, rate)
    song_b = np.ascontiguousarray(np.roll(synthetic_song(seconds, rate)[:, ::-1], rate // 3, axis=0) * 0.8)
    curve = [(0.0, 0.0), (seconds / 2, 1.0), (seconds, 0.3)]
    Blender.from_audio(model, song_a[: rate * 5], song_b[: rate * 5]).curve(curve)  # warm-up
    rtf = []
    for _ in range(runs):
        began = time.perf_counter()
        Blender.from_audio(model, song_a, song_b).curve(curve)
        rtf.append(seconds / (time.perf_counter() - began))
    return rtf


def measure_vocoder_vs_griffinlim(model, audio: np.ndarray, *, runs: int = 5) -> dict:
    """Both ways back from the same log-mel of ``audio`` (mono, 44.1 kHz), in one run.

    Our model has no separate mel vocoder: its encoder reads the log-mel and its
    decoder writes the waveform, so the neural path is encoder + decoder on that
    mel; the baseline is Griffin-Lim (32 iterations) on the same mel. Each timing
    includes computing the log-mel. Returns real-time factors per run and the
    ViSQOL (audio mode, 1..~4.7) of each against ``audio``.
    """
    from sketchpad_measure.quality.metrics import griffin_lim_from_mel, visqol_score

    seconds = len(audio) / model.sample_rate
    paths = {"vocoder": model.reconstruct,
             "griffinlim": lambda x: griffin_lim_from_mel(x, model.config.spectral, n_iter=32)}
    out = {}
    for name, render in paths.items():
        estimate = render(audio)  # warm-up, and the output that is scored
        rtf = []
        for _ in range(runs):
            began = time.perf_counter()
            render(audio)
            rtf.append(seconds / (time.perf_counter() - began))
        out[name] = {"rtf": rtf, "visqol": visqol_score(audio, estimate[: len(audio)],
                                                        model.sample_rate)}
    return out
