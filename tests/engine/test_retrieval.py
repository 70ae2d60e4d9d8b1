"""The retrieval engine on a tiny real model and the real text encoder."""

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sketchpad.engine.model import SoundModel
from sketchpad.engine.retrieval import RetrievalEngine, RetrievalIndex, build_index
from sketchpad.engine.text import TextEncoder
from sketchpad.errors import SketchpadError

RATE = 44100


@dataclass
class FakeItem:
    caption: str
    kind: str
    midi_note: int | None
    audio: np.ndarray


def _tone(freq, seconds, decay):
    t = np.arange(int(seconds * RATE)) / RATE
    return (0.5 * np.sin(2 * np.pi * freq * t) * np.exp(-t * decay)).astype(np.float32)


ITEMS = [
    FakeItem("electronic drum kit, kick drum, hard, percussive", "drum", 36, _tone(55, 0.5, 12)),
    FakeItem("acoustic drum kit, snare drum, hard, percussive", "drum", 38, _tone(200, 0.3, 20)),
    FakeItem("acoustic keyboard, Acoustic Grand Piano, C4, medium", "note", 60, _tone(261.6, 1.5, 3)),
    FakeItem("acoustic keyboard, Acoustic Grand Piano, C3, medium", "note", 48, _tone(130.8, 1.5, 3)),
    FakeItem("synthetic synth_lead, Lead 1 (square), A4, bright", "note", 69, _tone(440, 1.0, 1)),
    FakeItem("synthetic synth_pad, Pad 2 (warm), C3, long release", "note", 48, _tone(130.8, 2.0, 0.5)),
]


@pytest.fixture(scope="module")
def text():
    return TextEncoder()


@pytest.fixture(scope="module")
def engine_dir(tmp_path_factory, text, tiny_model):
    folder = tmp_path_factory.mktemp("models")
    model_dir = tiny_model.save(folder / "tiny")
    model = tiny_model
    index = build_index(model, text, ITEMS, lambda item: item.audio)
    index.save(folder / "tiny-retrieval", sound_model="tiny")
    return model_dir


@pytest.fixture(scope="module")
def engine(engine_dir, text):
    index = RetrievalIndex.load(Path(str(engine_dir) + "-retrieval"))
    return RetrievalEngine(index, SoundModel.load(engine_dir, device="cpu"), text)


def test_index_round_trip(engine):
    index = engine.index
    assert len(index) == len(ITEMS) and index.captions[0] == ITEMS[0].caption
    assert index.midi_notes[0] == -1 and index.midi_notes[2] == 60  # drums carry no pitch
    assert index.latent(2).shape[:2] == (1, 16)
    # The character words' directions are measured when the index is written, and read back:
    # these few captions have no instrument with three bright and three dark sounds.
    assert index._character_directions == {}


def test_shipped_index_carries_its_character_directions():
    from sketchpad.engine.character import caption_directions
    from sketchpad.engine.registry import DEFAULT_SOUND_MODEL, find_model

    index = RetrievalIndex.load(find_model(f"{DEFAULT_SOUND_MODEL}-retrieval"))
    stored = index._character_directions
    assert set(stored) == {"bright", "dark", "hard", "soft"}
    measured = caption_directions(index)
    assert all(np.allclose(stored[k], measured[k], atol=1e-5) for k in stored)


def test_prompt_finds_matching_sounds(engine):
    sounds = engine.generate("deep kick drum", count=4, seed=3)
    assert len(sounds) == 4
    assert all("kick" in s.neighbours[0] for s in sounds[:2]) or \
        sum("kick" in s.neighbours[0] for s in sounds) >= 2
    for s in sounds:
        assert s.audio.dtype == np.float32 and np.isfinite(s.audio).all()
        assert np.max(np.abs(s.audio)) == pytest.approx(10 ** (-1 / 20), rel=1e-3)


def test_seed_reproducible_and_distinct(engine):
    a = engine.generate("warm pad", count=3, seed=7)
    b = engine.generate("warm pad", count=3, seed=7)
    c = engine.generate("warm pad", count=3, seed=8)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.audio, y.audio)
    assert not np.array_equal(a[0].latents, c[0].latents)
    assert not np.array_equal(a[0].latents, a[1].latents)  # results in one batch differ


def test_pitch_in_prompt_prefers_that_note(engine):
    sounds = engine.generate("piano C3", count=4, seed=1)
    assert sum("C3" in s.neighbours[0] for s in sounds) >= 3


def test_missing_note_is_reached_by_transposing(engine, text):
    top, _, shift = engine._candidates(engine.scores("piano D3", text.embed(["piano D3"])[0]), 50)
    assert shift == 2 and set(engine.index.midi_notes[top]) == {48}
    sounds = engine.generate("piano D3", count=2, seed=0)
    assert all(s.semitones == 2 for s in sounds)


def test_blended_members_share_one_note_without_an_asked_pitch(engine, text):
    # "piano" names no note: its closest captions are pianos at C4 and C3, which
    # blended would sound both notes at once.
    top, probabilities, shift = engine._candidates(engine.scores("piano", text.embed(["piano"])[0]), None)
    assert shift == 0 and {60, 48} <= set(engine.index.midi_notes[top])
    for seed in range(12):
        members = engine._members(np.random.default_rng(seed), top, probabilities)
        assert len(set(engine.index.midi_notes[members])) == 1 and len(set(members)) == len(members)
    drums = [i for i, item in enumerate(ITEMS) if item.kind == "drum"]
    members = engine._members(np.random.default_rng(0), np.array(drums), np.full(len(drums), 0.5))
    assert sorted(members) == drums  # unpitched sounds blend together as before


def test_transpose_moves_a_sine_by_the_interval():
    from sketchpad.audio.edits import transpose

    t = np.arange(RATE) / RATE
    up = transpose(np.sin(2 * np.pi * 220 * t).astype(np.float32), 12)
    spectrum = np.abs(np.fft.rfft(up * np.hanning(len(up))))
    peak_hz = np.argmax(spectrum) * RATE / len(up)
    assert abs(peak_hz - 440) < 2 and abs(len(up) - RATE / 2) <= 1


def test_seconds_fixes_the_length(engine):
    sounds = engine.generate("snare", count=2, seed=0, seconds=0.25)
    assert all(s.audio.shape[0] == int(0.25 * RATE) for s in sounds)


@pytest.mark.parametrize("prompt", ["", "   ", "!!!"])
def test_empty_prompts_are_refused(engine, prompt):
    with pytest.raises(SketchpadError, match="Describe the sound"):
        engine.generate(prompt)


@pytest.mark.parametrize("prompt", ["🥁🔥 kick", "grosse caisse profonde", "x" * 10000])
def test_odd_prompts_still_give_sounds(engine, prompt):
    sounds = engine.generate(prompt, count=2, seed=0)
    assert len(sounds) == 2 and all(np.isfinite(s.audio).all() for s in sounds)


def test_more_like_this_moves_by_the_asked_amount(engine):
    base = engine.generate("bright lead", count=1, seed=0)[0]
    small = engine.variations(base, count=3, seed=1, amount=0.25)
    large = engine.variations(base, count=3, seed=1, amount=1.0)
    for s_var, l_var in zip(small, large):
        assert s_var.latents.shape == base.latents.shape
        assert not np.array_equal(s_var.latents, base.latents)
        near = np.linalg.norm(s_var.latents - base.latents)
        far = np.linalg.norm(l_var.latents - base.latents)
        assert far == pytest.approx(4 * near, rel=1e-4)
        assert s_var.prompt == base.prompt and np.isfinite(s_var.audio).all()


def test_more_like_a_file_encodes_it_once(engine, monkeypatch):
    from sketchpad.core.clip import make_clip
    from sketchpad.core.generation import more_like_clips

    calls = []
    real_encode = engine.model.encode
    monkeypatch.setattr(engine.model, "encode", lambda audio, **k: calls.append(1) or real_encode(audio, **k))
    clip = make_clip("loop.wav", np.stack([ITEMS[2].audio] * 2, axis=1), RATE)
    first = more_like_clips(engine, clip, count=2, seed=4)
    again = more_like_clips(engine, clip, count=2, seed=4)
    assert len(calls) == 1
    np.testing.assert_array_equal(first[0].samples, again[0].samples)
    other = make_clip("other.wav", np.stack([ITEMS[3].audio] * 2, axis=1), RATE)
    more_like_clips(engine, other, count=1, seed=4)
    assert len(calls) == 2


def test_generate_command(engine_dir, tmp_path):
    exe = Path(sys.executable).with_name("sketchpad")
    cmd = [str(exe), "generate", "punchy kick", "--count", "3", "--seed", "5",
           "--out", str(tmp_path / "a"), "--model", str(engine_dir)]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    paths = first.stdout.split()
    assert len(paths) == 3 and all(sf.info(p).samplerate == 44100 for p in paths)
    again = subprocess.run(cmd[:-4] + ["--out", str(tmp_path / "b"), "--model", str(engine_dir)],
                           capture_output=True, text=True, timeout=300)
    for p, q in zip(paths, again.stdout.split()):
        assert Path(p).read_bytes() == Path(q).read_bytes()
    bad = subprocess.run(cmd[:2] + [""] + cmd[3:], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "Describe the sound" in bad.stderr


def test_index_file_keeps_latents_within_int8_rounding(tmp_path):
    from sketchpad.engine.retrieval import RetrievalIndex

    rng = np.random.default_rng(3)
    latents = (rng.standard_normal((32, 50)) * np.linspace(0.1, 4, 32)[:, None] + 2).astype(np.float32)
    index = RetrievalIndex(rng.standard_normal((2, 384)), latents, [0, 20, 50], [60, -1],
                           ["a", "b"], ["note", "drum"])
    index.save(tmp_path / "idx", sound_model="m")
    back = RetrievalIndex.load(tmp_path / "idx")
    step = (latents.max(axis=1) - latents.min(axis=1)) / 254
    assert np.all(np.abs(back.latents - latents) <= step[:, None] * 0.51 + 1e-6)
    assert back.latent(1).shape == (1, 32, 30)
