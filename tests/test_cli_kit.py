"""`sketchpad kit` as a user runs it: real processes, real files, the shipped models."""

import mido
import numpy as np
import pytest
import soundfile as sf

from sketchpad.audio.export import read_wav_metadata
from tests.test_cli import run


@pytest.fixture
def hits(tmp_path):
    paths = []
    for i, freq in enumerate((60.0, 180.0, 5000.0)):
        t = np.arange(int(0.3 * 48000)) / 48000
        path = tmp_path / f"hit {i}.wav"
        sf.write(path, (0.5 * np.sin(2 * np.pi * freq * t) * np.exp(-t * 8)).astype(np.float32), 48000)
        paths.append(path)
    return paths


def test_a_kit_from_files_and_a_prompt_with_a_pattern(tmp_path, hits):
    out = run("kit", "--wav", hits[0], "--wav", hits[1], "--wav", hits[2], "--prompt", "punchy 808 kick",
              "--pad", "3:choke=1,gain=-3,tune=2", "--pattern", "1:x...x...x...x...",
              "--pattern", "4:..o.......x.....", "--tempo", "174", "--swing", "58",
              "--name", "Breaks", "--out", tmp_path / "kits")
    assert out.returncode == 0, out.stderr
    folder = tmp_path / "kits" / "Breaks"
    assert out.stdout.strip() == str(folder)
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["01 hit 0.wav", "02 hit 1.wav", "03 hit 2.wav", "04 punchy 808 kick.wav",
                     "Breaks.mid", "Breaks.sfz"]
    assert "group=1 off_by=1" in (folder / "Breaks.sfz").read_text()
    assert "prompt: punchy 808 kick" in read_wav_metadata(folder / "04 punchy 808 kick.wav")["ICMT"]
    audio, rate = sf.read(folder / "01 hit 0.wav")
    assert rate == 44100 and audio.shape[1] == 2
    song = mido.MidiFile(folder / "Breaks.mid")
    notes = [m for m in song.tracks[1] if m.type == "note_on"]
    assert [(m.note, m.velocity) for m in notes] == [(36, 127), (39, 64), (36, 127), (36, 127),
                                                      (39, 127), (36, 127)]


@pytest.mark.parametrize("args, message", [
    ([], "needs sounds"),
    (["--wav", "missing.wav"], "does not exist"),
    (["--wav", "HIT", "--pattern", "1:x..x"], "16 steps"),
    (["--wav", "HIT", "--pattern", "17:x...x...x...x..."], "1 to 16"),
    (["--wav", "HIT", "--pad", "1:volume=3"], "unknown setting"),
    (["--wav", "HIT", "--pad", "2:gain=-3"], "no sound"),
    (["--wav", "HIT", "--tempo", "900"], "--tempo"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, hits, args, message):
    args = [hits[0] if a == "HIT" else a for a in args]
    out = run("kit", *args, "--out", tmp_path / "kits")
    assert out.returncode == 2
    assert message in out.stderr and out.stderr.count("\n") == 1
    assert not (tmp_path / "kits" / "Sketchpad kit").exists()
