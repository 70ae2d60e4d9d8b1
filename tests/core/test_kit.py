"""Tests for the kit: pads, the pattern's timing, the live render against the offline one,
the session store and the export (WAVs, an SFZ read back by sfzlint, a MIDI file read back by mido)."""

from dataclasses import replace

import mido
import numpy as np
import pytest
import soundfile as sf
from sfzlint.parser import validate as parse_sfz

from sketchpad.audio.export import read_wav_metadata
from sketchpad.audio.voices import VoiceMixer
from sketchpad.core.clip import Origin, make_clip
from sketchpad.core.kit import FIRST_PAD_NOTE, Kit, KitState, Pad, Pattern, pad_samples, render_pattern
from sketchpad.core.kit_export import export_kit
from sketchpad.core.session_store import Session, load_session, save_session
from sketchpad.errors import AudioFileError

RATE = 44100


def tone_clip(name, seconds=0.3, freq=220.0, prompt=None):
    t = np.arange(int(seconds * RATE)) / RATE
    wave = (0.5 * np.sin(2 * np.pi * freq * t) * np.exp(-t * 4)).astype(np.float32)
    return make_clip(name, wave, RATE, origin=Origin(prompt=prompt) if prompt else None)


def dominant_hz(samples):
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.shape[0])))
    return np.argmax(spectrum) * RATE / samples.shape[0]


@pytest.fixture
def kit():
    kit = Kit()
    for i, (name, freq, seconds) in enumerate([("kick", 60, 0.5), ("snare", 200, 0.3),
                                               ("closed hat", 4000, 0.1), ("open hat", 5000, 0.6)]):
        kit.assign(i, tone_clip(name, seconds, freq))
    kit.update_pad(1, gain_db=-6.0, pan=-0.5)
    kit.update_pad(2, choke_group=1, tune_semitones=3)
    kit.update_pad(3, choke_group=1)
    pattern = replace(Pattern(), tempo_bpm=174.0, swing=62.0)
    for step in (0, 6, 10):
        pattern = pattern.with_hit(0, step, 1.0)
    for step in (4, 12):
        pattern = pattern.with_hit(1, step, 0.8)
    for step in range(0, 16, 2):
        pattern = pattern.with_hit(2, step, 0.5)
    for step in (7, 15):
        pattern = pattern.with_hit(3, step, 1.0)  # open hats, choked by the next closed one
    kit.set_pattern(pattern)
    return kit


def test_pad_sound_applies_pan_law_gain_and_tuning():
    clip = tone_clip("tone", 1.0, 440.0)
    centre = pad_samples(Pad(clip))
    np.testing.assert_allclose(centre[1000:-1000, 0], clip.samples[1000:-1000, 0], atol=1e-6)
    np.testing.assert_allclose(centre[:, 0], centre[:, 1])
    left = pad_samples(Pad(clip, pan=-1.0))
    assert np.abs(left[:, 1]).max() < 1e-6
    np.testing.assert_allclose(left[1000:-1000, 0], clip.samples[1000:-1000, 0] * np.sqrt(2), rtol=1e-5)
    quiet = pad_samples(Pad(clip, gain_db=-6.0))
    np.testing.assert_allclose(quiet[1000:-1000], centre[1000:-1000] * 10 ** (-6 / 20), rtol=1e-5, atol=1e-7)
    octave_up = pad_samples(Pad(clip, tune_semitones=12.0))
    assert abs(octave_up.shape[0] - clip.frames / 2) < 50
    assert abs(dominant_hz(octave_up[:, 0]) - 880.0) < 10.0
    assert centre[0, 0] == 0.0 and centre[-1, 0] == 0.0  # edges faded: no click at a hit


def test_step_frames_are_sixteenths_and_swing_delays_every_second_step():
    straight = Pattern(tempo_bpm=120.0)
    assert straight.step_frames()[:4] == (0, 5512, 11025, 16538)
    assert straight.loop_frames() == 2 * RATE
    swung = Pattern(tempo_bpm=120.0, swing=75.0)
    frames = swung.step_frames()
    assert frames[0] == 0 and frames[2] == 11025
    assert frames[1] == round(5512.5 * 1.5)  # 75 %: the off-beat 16th lands on the triplet-ish spot


def test_pattern_json_round_trips_and_clamps_what_is_out_of_range():
    pattern = Pattern(tempo_bpm=174.0, swing=60.0).with_hit(3, 5, 0.7)
    assert Pattern.from_json(pattern.to_json()) == pattern
    wild = Pattern.from_json({"tempo_bpm": 5000, "swing": 10, "velocity": [[2.0] * 20]})
    assert wild.tempo_bpm == 300.0 and wild.swing == 50.0
    assert wild.velocity[0] == (1.0,) * 16 and wild.velocity[1] == (0.0,) * 16


@pytest.mark.parametrize("block", [64, 512, 1000])
def test_the_live_sequencer_matches_the_offline_render(kit, block):
    mixer = VoiceMixer(2)
    kit.attach(mixer)
    mixer.start()
    loops = 3
    frames = kit.pattern.loop_frames() * loops
    live = np.zeros((frames, 2), np.float32)
    for i in range(0, frames, block):
        mixer.mix_into(live[i:i + block])
    offline = kit.render(loops, tail=False)[:frames]
    assert np.abs(offline).max() > 0.3
    np.testing.assert_allclose(live, offline, atol=1e-4)


def test_a_choke_silences_the_open_hat_at_the_next_closed_one(kit):
    sounds = kit.sounds()
    solo = Pattern(tempo_bpm=120.0).with_hit(3, 0, 1.0).with_hit(2, 4, 1.0)
    out = render_pattern(sounds, solo, tail=True)
    closed_at = solo.step_frames()[4]
    closed_len = sounds[2].buffer.shape[0]
    after = out[closed_at + 100:closed_at + closed_len]
    expected = sounds[2].buffer[100:]
    np.testing.assert_allclose(after, expected, atol=1e-6)  # only the closed hat is left


def test_kit_events_and_an_attached_mixer_follow_changes(kit):
    changed, pads = [], []
    kit.changed.connect(lambda: changed.append(1))
    kit.pad_changed.connect(pads.append)
    mixer = VoiceMixer(2)
    kit.attach(mixer)
    kit.assign(5, tone_clip("new", 0.2))
    assert pads[-1] == 5 and changed
    assert mixer._sounds[5] is kit.sound(5)
    kit.toggle_step(5, 3)
    assert kit.pattern.velocity[5][3] == 1.0 and mixer._plan_wanted == kit.pattern.plan()
    before = kit.sound(5)
    kit.update_pad(5, name="renamed")
    assert kit.sound(5) is before  # a name change prepares nothing
    kit.update_pad(5, tune_semitones=99)
    assert kit.pads[5].tune_semitones == 24.0
    assert kit.hit(5) and not kit.hit(9)


def test_the_session_keeps_the_kit(tmp_path, kit):
    save_session(tmp_path, Session(kit=kit.state()))
    restored = load_session(tmp_path)
    assert not restored.notes
    again = Kit()
    again.restore(restored.kit)
    for old, new in zip(kit.pads, again.pads):
        assert old.settings() == new.settings()
        assert (old.clip is None) == (new.clip is None)
        if old.clip is not None:
            np.testing.assert_allclose(new.clip.samples, old.clip.samples)
    assert again.pattern == kit.pattern


def test_a_damaged_kit_entry_costs_only_the_kit(tmp_path, kit):
    save_session(tmp_path, Session(kit=kit.state()))
    path = tmp_path / "session.json"
    path.write_text(path.read_text().replace('"pads": [', '"pads": 7, "x": ['))
    restored = load_session(tmp_path)
    assert all(pad.clip is None for pad in restored.kit.pads)
    assert restored.notes and "kit" in restored.notes[0]


def test_export_writes_wavs_an_sfz_and_a_midi_file_that_other_parsers_read_back(tmp_path, kit):
    folder = export_kit(kit.state(), tmp_path, "Jungle", bit_depth="float32")
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["01 kick.wav", "02 snare.wav", "03 closed hat.wav", "04 open hat.wav",
                     "Jungle.mid", "Jungle.sfz"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    errors = []
    sfz = parse_sfz(folder / "Jungle.sfz", err_cb=lambda *e: errors.append(e))
    assert errors == []
    regions = [{str(k): str(v) for k, v in region.items()} for region in sfz.regions]
    assert [r["key"] for r in regions] == [str(FIRST_PAD_NOTE + i) for i in range(4)]
    for index, region in enumerate(regions):
        assert (folder / region["sample"]).is_file()
        pad = kit.pads[index]
        assert region.get("group", "0") == str(pad.choke_group)
        if pad.choke_group:
            assert region["off_by"] == str(pad.choke_group)
        audio, rate = sf.read(folder / region["sample"], dtype="float32", always_2d=True)
        assert rate == RATE
        np.testing.assert_array_equal(audio, kit.sound(index).buffer)
        assert read_wav_metadata(folder / region["sample"])["root_note"] == FIRST_PAD_NOTE + index
    song = mido.MidiFile(folder / "Jungle.mid")
    tempo = next(m.tempo for m in song.tracks[0] if m.type == "set_tempo")
    assert abs(mido.tempo2bpm(tempo) - kit.pattern.tempo_bpm) < 0.01
    step_ticks = song.ticks_per_beat // 4
    hits, tick = {}, 0
    for message in song.tracks[1]:
        tick += message.time
        if message.type == "note_on" and message.velocity > 0:
            hits[(message.note - FIRST_PAD_NOTE, tick // step_ticks)] = message.velocity
    expected = {(pad, step): round(v * 127) for step, pad, v in kit.pattern.hits()}
    assert hits == expected


def test_the_pattern_rendered_from_the_exported_files_matches_the_app(tmp_path, kit):
    folder = export_kit(kit.state(), tmp_path, "Kit", bit_depth="float32")
    files = sorted(folder.glob("*.wav"))
    sounds = [None] * 16
    for index, path in enumerate(files):
        audio, _ = sf.read(path, dtype="float32", always_2d=True)
        sounds[index] = audio
    chokes = [pad.choke_group for pad in kit.pads]
    # Choke groups as the SFZ states them: build the render's sounds with them.
    from sketchpad.audio.voices import VoiceSound

    from_files = [None if s is None else VoiceSound(s, chokes[i]) for i, s in enumerate(sounds)]
    mixer = VoiceMixer(2)
    kit.attach(mixer)
    mixer.start()
    frames = kit.pattern.loop_frames() * 2
    live = np.zeros((frames, 2), np.float32)
    for i in range(0, frames, 512):
        mixer.mix_into(live[i:i + 512])
    np.testing.assert_allclose(render_pattern(from_files, kit.pattern, loops=2, tail=False)[:frames],
                               live, atol=1e-4)


def test_export_never_overwrites_and_fails_cleanly(tmp_path, kit, monkeypatch):
    first = export_kit(kit.state(), tmp_path, "Kit")
    second = export_kit(kit.state(), tmp_path, "Kit")
    assert first.name == "Kit" and second.name == "Kit 2"
    with pytest.raises(AudioFileError, match="empty"):
        export_kit(KitState(tuple(Pad() for _ in range(16))), tmp_path, "Nothing")

    import sketchpad.core.kit_export as kit_export

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(kit_export, "atomic_write_text", full_disk)
    with pytest.raises(AudioFileError, match="disk space"):
        export_kit(kit.state(), tmp_path, "Broken")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Kit", "Kit 2"]
