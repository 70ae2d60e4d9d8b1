"""The generator engine: the shipped flow model, its files, its training, and the command."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sketchpad.paths import models_dir
from sketchpad.engine.flow import FlowGenerator, nearest_trained_note
from sketchpad.engine.model_files import ModelFileError
from sketchpad.engine.prompt_engines import load_prompt_engine
from sketchpad.engine.registry import DEFAULT_SOUND_MODEL
from sketchpad.engine.retrieval import RetrievalIndex
from sketchpad.errors import SketchpadError
from sketchpad.training.paraphrase import caption_parts, paraphrases, strip_note

SHIPPED_FLOW = models_dir() / f"{DEFAULT_SOUND_MODEL}-flow"


@pytest.fixture(scope="module")
def engine():
    return load_prompt_engine("generator", device="cpu")


def test_rewordings_use_producer_words_and_leave_notes_out():
    rng = np.random.default_rng(0)
    kick = "electronic drum kit, TR-808, kick drum (Bass Drum 1), hard, dark, percussive"
    nouns, adjectives = caption_parts(kick)
    assert "kick" in nouns and "808 kick" in nouns and "punchy" in adjectives
    pad = "synthetic synth pad, Pad 2 (warm), C3, medium, long release"
    texts = paraphrases(pad, rng, 8)
    assert texts[0] == "synthetic synth pad, Pad 2 (warm), medium, long release"
    assert all("C3" not in t for t in texts) and len(set(texts)) > 4
    assert strip_note("warm pad C3") == "warm pad" and strip_note("F#2 plucky bass") == "plucky bass"


def test_same_seed_same_sounds_other_seed_other_sounds(engine):
    a = engine.generate("punchy kick", count=3, seed=4)
    b = engine.generate("punchy kick", count=3, seed=4)
    c = engine.generate("punchy kick", count=3, seed=5)
    assert engine.name == "generator" and len(a) == 3
    for x, y in zip(a, b):
        assert np.array_equal(x.audio, y.audio)
    assert not np.array_equal(a[0].audio, c[0].audio)
    assert len({round(float(np.abs(s.audio).sum()), 3) for s in a}) == 3  # the three differ
    for s in a:
        assert s.audio.dtype == np.float32 and np.isfinite(s.audio).all()
        assert np.max(np.abs(s.audio)) == pytest.approx(10 ** (-1 / 20), rel=1e-3)


def test_kicks_come_out_shorter_than_pads(engine):
    kicks = engine.generate("punchy kick", count=8, seed=0)
    pads = engine.generate("warm analog pad C3", count=8, seed=0)
    assert np.median([len(s.audio) for s in kicks]) < 0.5 * np.median([len(s.audio) for s in pads])
    fixed = engine.generate("closed hi-hat", count=2, seed=0, seconds=1.5)
    assert all(len(s.audio) == int(1.5 * 44100) for s in fixed)


def test_results_are_tuned_to_the_asked_note(engine):
    from sketchpad.audio.pitch import estimate_midi

    assert nearest_trained_note(61) == 60 and nearest_trained_note(50) == 48
    # A clearly pitched piano lands on its note. A warm pad is ambiguous to the pitch
    # tracker (the tuning is measured on the draft, the result here on the finished sound):
    # of six results of seed 0, three land within half a semitone and the others up to 2.4
    # away, as measured in session 19; the evaluation reports the share within 50 cents.
    # Untuned, these pads would sound 1-5 semitones off.
    for prompt, note, tolerance in (("piano C#4", 61, 0.5), ("warm pad", 50, 1.0)):
        sounds = engine.generate(prompt, count=3, seed=0, pitch=None if "#" in prompt else note)
        played = [estimate_midi(s.audio, 44100, note) for s in sounds]
        assert all(p is not None and abs(p - note) < tolerance for p in played), played


def test_quiet_sounds_end_in_silence(engine):
    # "Soft" kicks decode about 50 dB above the mel's floor; their last 50 ms had peaked
    # at -11 to -25 dB of the sound's peak (the decoder's edge and the floor re-synthesised,
    # then lifted by peak normalisation) and they ran the full 2 s.
    for sound in engine.generate("soft kick", count=4, seed=0):
        audio = np.abs(sound.audio)
        assert audio[-2205:].max() < 10 ** (-40 / 20) * audio.max()
        assert audio.shape[0] < 1.5 * 44100  # trimmed to the sound, like "kick"


def test_guidance_and_velocity_change_the_result(engine):
    base = engine.generate("snare", count=1, seed=2)[0].latents
    loose = engine.generate("snare", count=1, seed=2, guidance=1.0)[0].latents
    soft = engine.generate("snare", count=1, seed=2, velocity=40)[0].latents
    assert not np.allclose(base, loose) and not np.allclose(base, soft)


def test_variations_stay_near_their_source(engine):
    source = engine.generate("electric piano C4", count=1, seed=1)[0]
    near = engine.variations(source, count=4, seed=0, amount=0.3)
    unrelated = engine.generate("electric piano C4", count=4, seed=99)
    frames = source.latents.shape[2]

    def distance(sound):
        return float(np.linalg.norm(sound.latents[:, :, :frames] - source.latents))

    assert len(near) == 4 and all(distance(s) > 0 for s in near)
    assert np.median([distance(s) for s in near]) < np.median([distance(s) for s in unrelated])


def test_damaged_generator_files_are_refused_with_a_message(tmp_path):
    bad = tmp_path / "bad-flow"
    shutil.copytree(SHIPPED_FLOW, bad)
    config = json.loads((bad / "config.json").read_text())
    config["latent"]["frames"] = 50
    (bad / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelFileError, match="do not match"):
        FlowGenerator.load(bad)
    (bad / "model.pt").write_bytes(b"\x80\x04")  # a pickle beside it: refused before anything
    with pytest.raises(ModelFileError, match="pickle"):
        FlowGenerator.load(bad)


def test_a_model_without_generator_falls_back_to_retrieval_only_when_asked(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("SKETCHPAD_HOME", str(home))
    user_models = home / "models"
    user_models.mkdir(parents=True)
    for name in (DEFAULT_SOUND_MODEL, f"{DEFAULT_SOUND_MODEL}-retrieval"):
        shutil.copytree(models_dir() / name, user_models / name.replace(DEFAULT_SOUND_MODEL, "mine"))
    config = json.loads((user_models / "mine-retrieval" / "config.json").read_text())
    config["sound_model"] = "mine"
    (user_models / "mine-retrieval" / "config.json").write_text(json.dumps(config))
    assert load_prompt_engine("generator", "mine", device="cpu", fallback=True).name == "retrieval"
    with pytest.raises(SketchpadError, match="no trained generator"):
        load_prompt_engine("generator", "mine", device="cpu")


def test_training_a_small_generator_gives_a_loadable_engine(tmp_path):
    from sketchpad.engine.flow import FlowConfig, FlowEngine
    from sketchpad.engine.model import SoundModel
    from sketchpad.engine.text import shared_text_encoder
    from sketchpad.training.train_flow import train_flow

    full = RetrievalIndex.load(models_dir() / f"{DEFAULT_SOUND_MODEL}-retrieval")
    keep = np.arange(0, len(full), 60)
    spans = [full.latent(i)[0] for i in keep]
    offsets = np.concatenate([[0], np.cumsum([z.shape[1] for z in spans])])
    small = RetrievalIndex(full.embeddings[keep], np.concatenate(spans, axis=1), offsets,
                           full.midi_notes[keep], [full.captions[i] for i in keep],
                           [full.kinds[i] for i in keep])
    shutil.copytree(models_dir() / DEFAULT_SOUND_MODEL, tmp_path / DEFAULT_SOUND_MODEL)
    small.save(tmp_path / "small-retrieval", sound_model=DEFAULT_SOUND_MODEL)
    lines = []
    info = train_flow(tmp_path / "small-retrieval", tmp_path / "small-flow", steps=20, batch=32,
                      config=FlowConfig(components=32, width=64, hidden=128, blocks=1), log=lines.append)
    assert info["training"]["items"] + info["training"]["validation_items"] == len(keep)
    assert any(line.startswith("step 20/20") for line in lines)
    generator = FlowGenerator.load(tmp_path / "small-flow")
    model = SoundModel.load(tmp_path / DEFAULT_SOUND_MODEL, device="cpu")
    sounds = FlowEngine(generator, model, shared_text_encoder()).generate("kick", count=2, seed=0)
    assert len(sounds) == 2 and all(np.isfinite(s.audio).all() for s in sounds)


def _run(*args):
    exe = Path(sys.executable).with_name("sketchpad")
    return subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, timeout=300)


def test_generate_command_with_the_generator(tmp_path):
    first = _run("generate", "deep 808 kick", "--count", "2", "--seed", "3", "--guidance", "4",
                 "--velocity", "hard", "--out", tmp_path / "a")
    assert first.returncode == 0, first.stderr
    paths = first.stdout.split()
    assert len(paths) == 2 and all(sf.info(p).samplerate == 44100 for p in paths)
    again = _run("generate", "deep 808 kick", "--count", "2", "--seed", "3", "--guidance", "4",
                 "--velocity", "hard", "--out", tmp_path / "b")
    assert [Path(p).read_bytes() for p in paths] == [Path(p).read_bytes() for p in again.stdout.split()]
    for bad, message in ((["--velocity", "loud"], "--velocity"), (["--guidance", "40"], "--guidance"),
                         (["--engine", "retrieval", "--steps", "4"], "generator engine only")):
        result = _run("generate", "kick", "--out", tmp_path / "c", *bad)
        assert result.returncode == 2 and message in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""
