from sketchpad.audio import pitch
from sketchpad.training import gm, soundfonts


def test_timgm_presets_read_from_phdr(timgm):
    presets = soundfonts.read_presets(timgm.path)
    assert len(soundfonts.melodic_presets(timgm.path)) == 128
    kits = soundfonts.drum_kits(timgm.path)
    assert kits and kits[0].program == 0 and all(k.bank == 128 for k in kits)
    assert len(set(presets)) == len(presets)


def test_training_and_held_out_fonts_differ():
    train = soundfonts.default_training_soundfont()
    held = soundfonts.held_out_soundfont()
    if soundfonts.FLUIDR3_PATH.is_file():
        assert train.name == "FluidR3_GM" and held is not None and held.name == "TimGM6mb"
    if held is not None:
        assert held.path != train.path


def test_gm_tables():
    assert len(gm.PROGRAM_NAMES) == 128
    assert gm.program_info(0).family == "keyboard" and gm.program_info(0).source == "acoustic"
    assert gm.program_info(33).family == "bass" and gm.program_info(81).family == "synth_lead"
    assert {gm.program_info(p).family for p in range(128)} <= set(gm.FAMILIES)
    assert gm.DRUM_NOTES[0] == 35 and gm.DRUM_NOTES[-1] == 81 and len(gm.DRUM_NOTES) == 47
    assert gm.drum_info(36).category == "kick" and gm.drum_info(42).category == "hi-hat"
    assert {gm.drum_info(n).category for n in gm.DRUM_NOTES} == set(gm.DRUM_CATEGORIES)
    for p in range(128):
        low, high = gm.program_info(p).note_range
        assert 0 <= low < high <= 127


def test_note_names_use_c4_as_middle_c():
    assert pitch.note_name(60) == "C4" and pitch.note_name(48) == "C3" and pitch.note_name(69) == "A4"
    assert pitch.note_name(61) == "C#4"
    assert 60 in gm.playable_notes(0, 3) and all((n - 60) % 3 == 0 for n in gm.playable_notes(0, 3))
