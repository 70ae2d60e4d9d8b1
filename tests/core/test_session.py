"""Undo history and the session store, without Qt: real files in a temp folder."""

import json
from dataclasses import replace

import numpy as np
import soundfile as sf

from sketchpad.core.clip import Origin, make_clip
from sketchpad.core.history import UndoHistory
from sketchpad.core.project import Project, ProjectState
from sketchpad.core.session_store import Session, load_session, save_session
from sketchpad.engine.latent_ops import SliderState

RATE = 44100


def _clip(name, freq=440.0, **kwargs):
    t = np.arange(RATE // 4) / RATE
    return make_clip(name, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), RATE, **kwargs)


def test_history_undo_redo_and_new_change_clears_redo():
    history = UndoHistory(limit=3)
    for state in "abcd":
        history.record(f"to {state}", state)
    assert history.undo("e") == "d" and history.redo("d") == "e"
    assert history.undo("e") == "d" and history.undo("d") == "c" and history.undo("c") == "b"
    assert history.undo("b") is None  # only three kept
    history.record("new", "b")
    assert history.redo("x") is None


def test_project_undo_restores_tiles_kept_and_clip():
    project = Project()
    a, b = _clip("a"), _clip("b", 220.0)
    project.checkpoint("add")
    project.add_tiles([a, b])
    project.set_clip(b)
    project.checkpoint("keep")
    project.toggle_kept(b)
    assert project.undo() and project.kept == [] and project.clip is b
    assert project.undo() and project.tiles == [] and project.clip is None
    assert project.redo() and project.tiles == [a, b]


def test_session_round_trip_keeps_audio_latents_sliders_and_sources(tmp_path):
    source = _clip("pad #1", origin=Origin(prompt="pad", seed=3),
                   latents=np.random.default_rng(0).standard_normal((1, 16, 22)).astype(np.float32))
    sliders = SliderState(directions={"Brightness": 1.5}, noise=0.2, noise_seed=4)
    shaped = _clip("pad #1", 330.0, origin=replace(source.origin, sliders=sliders, source=source),
                   latents=source.latents)
    dropped = tmp_path / "loop.wav"
    sf.write(dropped, np.zeros((RATE, 2), np.float32), RATE)
    from sketchpad.core.clip import load_clip
    file_clip = load_clip(dropped)
    session = Session(ProjectState((shaped, file_clip), (shaped,), shaped), ["pad"],
                      {"prompt_bar": {"seed": 4}})
    folder = tmp_path / "session"
    save_session(folder, session)
    # The untouched file is referenced, not copied; the shaped clip and its source are stored.
    assert sorted(p.name for p in (folder / "clips").iterdir()) == sorted(
        [f"{shaped.uid}.wav", f"{shaped.uid}.latents.npy", f"{source.uid}.wav",
         f"{source.uid}.latents.npy"])
    back = load_session(folder)
    assert back.notes == [] and back.prompt_history == ["pad"]
    assert back.settings == {"prompt_bar": {"seed": 4}}
    tile, file_tile = back.state.tiles
    assert back.state.kept == (tile,) and back.state.clip is tile
    np.testing.assert_array_equal(tile.samples, shaped.samples)
    assert tile.origin.sliders == sliders and tile.uid == shaped.uid
    np.testing.assert_array_equal(tile.origin.source.latents, source.latents)
    assert file_tile.source_path == dropped and file_tile.samples.shape == (RATE, 2)

    # A later save after a change writes only the new clip and drops stale files.
    save_session(folder, Session(ProjectState((file_clip,), (), file_clip)))
    assert list((folder / "clips").iterdir()) == []


def test_damaged_session_or_missing_file_loses_only_that_part(tmp_path):
    folder = tmp_path / "session"
    dropped = tmp_path / "gone.wav"
    sf.write(dropped, np.zeros((RATE, 1), np.float32), RATE)
    from sketchpad.core.clip import load_clip
    gone, kept = load_clip(dropped), _clip("kept")
    save_session(folder, Session(ProjectState((gone, kept), (kept,), kept)))
    dropped.unlink()
    back = load_session(folder)
    assert [c.name for c in back.state.tiles] == ["kept"] and back.state.kept[0].name == "kept"
    assert len(back.notes) == 1 and "gone" in back.notes[0] and "\n" not in back.notes[0]

    (folder / "session.json").write_text("{ not json")
    broken = load_session(folder)
    assert broken.state == ProjectState() and "could not be read" in broken.notes[0]
    (folder / "session.json").write_text(json.dumps({"format": 99, "clips": {}}))
    assert "format 99" in load_session(folder).notes[0]
    assert load_session(tmp_path / "nothing-here").notes == []


def test_blend_sources_round_trip_and_survive_alone(tmp_path):
    a, b = _clip("song A"), _clip("song B", 220.0)
    folder = tmp_path / "session"
    save_session(folder, Session(blend_sources={"A": a, "B": b},
                                 settings={"blend": {"mode": "Timeline"}}))
    back = load_session(folder)
    assert back.notes == [] and set(back.blend_sources) == {"A", "B"}
    assert back.blend_sources["A"].uid == a.uid and back.blend_sources["B"].name == "song B"
    np.testing.assert_array_equal(back.blend_sources["B"].samples, b.samples)
    assert back.settings["blend"] == {"mode": "Timeline"}
    # A clip that is both a tile and in B is stored once and comes back as one object.
    save_session(folder, Session(ProjectState((b,), (), b), blend_sources={"B": b}))
    again = load_session(folder)
    assert again.blend_sources == {"B": again.state.tiles[0]}
    assert len(list((folder / "clips").glob("*.wav"))) == 1


def test_temporaries_of_a_killed_save_are_cleaned_up_once_old(tmp_path):
    import os
    import time

    from sketchpad.core.session_store import ORPHAN_AGE_S

    folder = tmp_path / "session"
    save_session(folder, Session(ProjectState((_clip("one"),), (), None)))
    old = folder / "clips" / ".abc.wav.1234.part"
    fresh = folder / ".session.json.5678.part"  # might be another save's, still being written
    old.write_bytes(b"half a file")
    fresh.write_bytes(b"half a file")
    stale = time.time() - ORPHAN_AGE_S - 5
    os.utime(old, (stale, stale))
    save_session(folder, Session(ProjectState((_clip("two"),), (), None)))
    assert not old.exists() and fresh.exists()
    assert [c.name for c in load_session(folder).state.tiles] == ["two"]


def test_undo_history_drops_oldest_steps_beyond_its_memory_budget():
    clips = [_clip(f"c{i}") for i in range(10)]
    size = clips[0].nbytes
    history = UndoHistory(budget_bytes=3 * size, footprint=ProjectState.footprint)
    for clip in clips:
        history.record("generate", ProjectState((clip,), (), clip))
    assert history.held_bytes() <= 3 * size and len(history.states()) == 3
    # A sound every step holds is counted once, so sharing costs nothing extra.
    shared = UndoHistory(budget_bytes=3 * size, footprint=ProjectState.footprint)
    for clip in clips[:5]:
        shared.record("keep", ProjectState((clips[0],), (clip,), None))
    assert len(shared.states()) == 2
    assert history.undo(ProjectState()).clip is clips[-1]


def test_project_history_has_a_budget():
    project = Project()
    clip = _clip("x")
    project.add_tiles([clip])
    project.checkpoint("add another")
    assert project.history.held_bytes() == clip.nbytes > 0
    assert project.history.budget_bytes == 256 << 20
