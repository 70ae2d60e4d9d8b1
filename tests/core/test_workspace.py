"""The workspace without Qt: files open into the project, sounds and kits write out, the session
round-trips through disk, and a clip's typed origin survives it."""

import json

import numpy as np
import soundfile as sf

from sketchpad.core.clip import Origin, make_clip
from sketchpad.core.kit import Kit
from sketchpad.core.project import Project
from sketchpad.core.session_store import Session
from sketchpad.core.workspace import Workspace, format_time
from sketchpad.engine.latent_ops import SliderState
from tests.core.jobs_now import RunNow

RATE = 44100


def _tone(path, seconds=0.5, channels=1):
    t = np.arange(int(RATE * seconds)) / RATE
    wave = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    sf.write(path, np.repeat(wave[:, None], channels, axis=1), RATE, subtype="PCM_16")
    return path


def _workspace(tmp_path):
    project = Project()
    workspace = Workspace(project, RunNow(), tmp_path / "session")
    log = {"message": [], "failed": [], "session_loaded": [], "before_adding": []}
    for name, entries in log.items():
        getattr(workspace, name).connect(lambda *args, entries=entries: entries.append(args))
    return project, workspace, log


def test_opened_files_become_tiles_as_one_undo_step_and_a_bad_one_costs_only_itself(tmp_path):
    project, workspace, log = _workspace(tmp_path)
    good = _tone(tmp_path / "tone.wav", channels=2)
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF nonsense")
    workspace.open([good, bad])
    assert [t.name for t in project.tiles] == ["tone"] and project.clip is project.tiles[0]
    assert project.clip.samples.shape == (RATE // 2, 2)
    assert len(log["failed"]) == 1 and "broken.wav" in log["failed"][0][0]
    assert log["before_adding"] == [()] and not workspace.is_loading
    assert project.undo() and project.tiles == []


def test_times_read_as_minutes_seconds_and_milliseconds():
    assert format_time(61.5) == "1:01.500" and format_time(-1) == "0:00.000"


def test_export_adds_the_wav_suffix_and_writes_the_chosen_format(tmp_path):
    project, workspace, log = _workspace(tmp_path)
    workspace.open([_tone(tmp_path / "tone.wav")])
    assert log["message"][-1][0].startswith("Loaded tone: 0:00.500, 1 ch")
    workspace.export_wav(project.clip, tmp_path / "out", bit_depth="pcm24", rate=48000)
    info = sf.info(tmp_path / "out.wav")
    assert (info.samplerate, info.subtype) == (48000, "PCM_24")
    assert log["message"][-1] == (f"Exported {tmp_path / 'out.wav'}",)


def test_an_export_into_a_missing_folder_fails_with_one_line(tmp_path):
    project, workspace, log = _workspace(tmp_path)
    workspace.open([_tone(tmp_path / "tone.wav")])
    workspace.export_wav(project.clip, tmp_path / "missing" / "out.wav", bit_depth="pcm16", rate=44100)
    assert len(log["failed"]) == 1 and "\n" not in log["failed"][0][0]


def test_the_kit_exports_into_a_folder_it_creates(tmp_path):
    project, workspace, log = _workspace(tmp_path)
    workspace.open([_tone(tmp_path / "tone.wav")])
    kit = Kit()
    kit.assign(0, project.clip)
    workspace.export_kit(kit.state(), tmp_path / "exports", bit_depth="pcm16", rate=44100)
    folders = list((tmp_path / "exports").iterdir())
    assert len(folders) == 1 and log["message"][-1] == (f"Kit exported to {folders[0]}",)
    assert any(p.suffix == ".sfz" for p in folders[0].iterdir())


def test_a_session_with_a_shaped_sound_comes_back_with_its_origin(tmp_path):
    project, workspace, log = _workspace(tmp_path)
    wave = np.zeros((4410, 1), np.float32)
    source = make_clip("pad #1", wave, RATE, origin=Origin(prompt="pad", seed=3, root_note=48),
                       latents=np.ones((1, 4, 5), np.float32))
    sliders = SliderState(directions={"bright": 1.5}, detail=0.5)
    shaped = make_clip("pad #1", wave + 0.1, RATE,
                       origin=Origin(prompt="pad", seed=3, root_note=48, sliders=sliders, source=source))
    project.set_tiles([shaped])
    workspace.autosave(Session(project.state(), ["pad"], {}))
    saved = json.loads((tmp_path / "session" / "session.json").read_text())
    assert saved["clips"][shaped.uid]["origin"]["source"] == source.uid

    _, again, log = _workspace(tmp_path)
    again.restore_session()
    (session,), = log["session_loaded"]
    tile = session.state.tiles[0]
    assert tile.origin.sliders == sliders and tile.origin.source.origin.prompt == "pad"
    assert (tile.origin.seed, tile.origin.root_note) == (3, 48)
    np.testing.assert_array_equal(tile.origin.source.latents, source.latents)


def test_origins_saved_before_the_record_had_fields_still_read():
    origin = Origin.from_json({"model": "m", "blend": "mix 30 %", "map_point": [0.1, 0.2],
                               "sliders": {"gain": 2.0}, "semitones": None})
    assert origin == Origin(model="m", recipe="mix 30 %")  # sliders without their source drop


def test_an_unreadable_session_arrives_empty_with_a_note(tmp_path):
    _, workspace, log = _workspace(tmp_path)
    (tmp_path / "session").mkdir()
    (tmp_path / "session" / "session.json").write_text("{ not json")
    workspace.restore_session()
    (session,), = log["session_loaded"]
    assert not session.state.tiles and session.notes
