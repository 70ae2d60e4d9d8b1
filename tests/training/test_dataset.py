import json
import time

import numpy as np
import pytest
import soundfile as sf

from sketchpad.audio.export import write_wav
from sketchpad.engine.library import caption_from_path
from sketchpad.training import dataset


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, timgm):
    root = tmp_path_factory.mktemp("tiny")
    calls = []
    manifest = dataset.build_dataset(root, soundfont=timgm, limit=20, phrases=2,
                                     progress=lambda f, t: calls.append(f))
    return root, manifest, calls


def test_tiny_build_writes_flacs_manifest_summary(tiny):
    root, manifest, calls = tiny
    kinds = {it.kind for it in manifest}
    assert {"note", "drum", "phrase"} <= kinds
    assert len(manifest.of_kind("phrase")) == 2
    assert 10 <= len(manifest.of_kind("note", "drum")) <= 20
    for it in manifest:
        info = sf.info(str(root / it.path))
        assert info.format == "FLAC" and info.subtype == "PCM_16" and info.samplerate == 44100
        assert abs(info.duration - it.seconds) < 0.01 and it.seconds > 0
        assert it.caption and it.soundfont == "TimGM6mb"
    lines = (root / "manifest.jsonl").read_text().splitlines()
    assert [json.loads(x)["id"] for x in lines] == [it.id for it in manifest]
    summary = json.loads((root / "dataset.json").read_text())
    assert summary["status"] == "complete" and summary["items"] == len(manifest)
    assert sum(summary["counts_by_kind"].values()) == len(manifest)
    assert summary["parameters"]["limit"] == 20 and summary["soundfont"] == "TimGM6mb"
    assert calls[0] == 0.0 and calls[-1] == 1.0 and calls == sorted(calls)


def test_note_items_have_fields(tiny):
    _, manifest, _ = tiny
    note = manifest.of_kind("note")[0]
    assert note.bank == 0 and note.program is not None and note.velocity in (40, 80, 120)
    assert note.instrument in note.caption and note.family.replace("_", " ") in note.caption
    drum = manifest.of_kind("drum")[0]
    assert drum.bank == 128 and "drum kit" in drum.caption


def test_rebuild_reuses_items(tiny, timgm):
    root, manifest, _ = tiny
    start = time.perf_counter()
    again = dataset.build_dataset(root, soundfont=timgm, limit=20, phrases=2)
    assert time.perf_counter() - start < 5.0
    assert again.items == manifest.items
    assert json.loads((root / "dataset.json").read_text())["rendered"] == 0
    assert dataset.Manifest.load(root).items == manifest.items


def test_resume_after_cancel(tmp_path, timgm):
    def cancel_after_five(fraction, text, seen=[]):
        seen.append(text)
        if len(seen) > 5:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        dataset.build_dataset(tmp_path, soundfont=timgm, limit=12, phrases=0, progress=cancel_after_five)
    assert len(dataset.Manifest.load(tmp_path)) == 5
    full = dataset.build_dataset(tmp_path, soundfont=timgm, limit=12, phrases=0)
    assert json.loads((tmp_path / "dataset.json").read_text())["reused"] == 5
    assert len(full) + json.loads((tmp_path / "dataset.json").read_text())["skipped_silent"] == 12


def test_split_is_deterministic(tiny):
    _, manifest, _ = tiny
    train, val = manifest.split(0.3)
    assert len(train) + len(val) == len(manifest)
    assert (train, val) == manifest.split(0.3)
    assert {it.id for it in train}.isdisjoint({it.id for it in val})


def test_caption_from_path():
    assert caption_from_path("Drums/Kicks/808 Boom.wav") == "drums kicks 808 boom"
    assert caption_from_path("pads/Warm_Pad-02.flac") == "pads warm pad 02"


def test_user_folder(tmp_path):
    src = tmp_path / "My Samples"
    (src / "Drums" / "Kicks").mkdir(parents=True)
    t = np.arange(22050) / 44100
    kick = (np.sin(2 * np.pi * 60 * t) * np.exp(-t * 20)).astype(np.float32)
    write_wav(src / "Drums" / "Kicks" / "808 Boom.wav", kick[:, None])
    (src / "notes.txt").write_text("not audio")
    (src / "broken.wav").write_bytes(b"RIFF0000WAVEjunk")
    out = tmp_path / "data"
    manifest = dataset.add_user_folder(out, src)
    users = manifest.of_kind("user")
    assert [u.caption for u in users] == ["drums kicks 808 boom"]
    item = users[0]
    data, rate = sf.read(str(out / item.path))
    assert rate == 44100 and abs(len(data) - 22050) <= 1 and data.ndim == 1
    assert json.loads((out / "dataset.json").read_text())["user_unreadable"] == 1
    again = dataset.add_user_folder(out, src)
    assert again.items == manifest.items


def test_write_flac_mono_rule(tmp_path):
    x = np.random.default_rng(0).uniform(-0.5, 0.5, (1000, 1)).astype(np.float32)
    dataset.write_flac(tmp_path / "m.flac", np.repeat(x, 2, axis=1))
    assert sf.info(str(tmp_path / "m.flac")).channels == 1
    y = np.concatenate([x, -x], axis=1)
    dataset.write_flac(tmp_path / "s.flac", y)
    assert sf.info(str(tmp_path / "s.flac")).channels == 2
