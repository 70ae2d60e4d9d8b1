import numpy as np

from sketchpad.training import captions, gm, render

RATE = 44100


def _tone(kind: str, f0: float = 220.0, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    if kind == "sine":
        x = np.sin(2 * np.pi * f0 * t)
    elif kind == "saw":
        x = 2 * ((f0 * t) % 1.0) - 1
    elif kind == "clipped_square":
        x = np.clip(4 * np.sin(2 * np.pi * f0 * t), -1, 1)
    else:
        raise ValueError(kind)
    return (0.5 * x).astype(np.float32)[:, None]


def _note_meta(midi_note: int = 57, **kw):
    meta = dict(kind="note", midi_note=midi_note, family="synth_lead", source="synthetic",
                instrument="Test", velocity=100)
    meta.update(kw)
    return meta


def test_click_is_percussive():
    x = np.zeros((RATE, 1), np.float32)
    x[100:140, 0] = np.hanning(40)
    q = captions.qualities_of({"kind": "user"}, x)
    assert "percussive" in q and "fast_decay" in q


def test_sawtooth_is_bright_sine_is_not():
    assert "bright" in captions.qualities_of(_note_meta(), _tone("saw"))
    sine = captions.qualities_of(_note_meta(), _tone("sine"))
    assert "bright" not in sine and "dark" in sine


def test_sine_not_distorted_clipped_square_distorted():
    assert "distorted" not in captions.qualities_of(_note_meta(), _tone("sine"))
    assert "distorted" in captions.qualities_of(_note_meta(), _tone("clipped_square"))
    assert "distorted" in captions.qualities_of({"kind": "user"}, _tone("clipped_square"))


def test_sustained_tone_is_not_percussive():
    q = captions.qualities_of(_note_meta(hold_seconds=1.0), _tone("sine"))
    assert "percussive" not in q and "fast_decay" not in q


def test_velocity_words():
    assert [captions.velocity_word(v) for v in (40, 80, 120)] == ["soft", "medium", "hard"]


def test_note_caption_has_family_instrument_note_velocity(timgm):
    audio = render.render_note(timgm.path, 0, 0, 60, 120, hold_seconds=1.0)
    info = gm.program_info(0)
    meta = dict(kind="note", family=info.family, source=info.source, instrument=info.name,
                midi_note=60, velocity=120, hold_seconds=1.0)
    caption, qualities = captions.describe(meta, audio)
    assert caption.startswith("acoustic keyboard, Acoustic Grand Piano, C4, hard")
    assert set(qualities) <= set(captions.QUALITIES)
    assert caption.endswith(", ".join(q.replace("_", " ") for q in qualities) or "hard")


def test_drum_caption_has_category(timgm):
    audio = render.render_note(timgm.path, 128, 0, 35, 120, hold_seconds=0.2)
    d = gm.drum_info(35)
    meta = dict(kind="drum", source="acoustic", instrument="Standard", velocity=120,
                drum_category=d.category, drum_name=d.name, hold_seconds=0.2)
    caption, qualities = captions.describe(meta, audio)
    assert caption.startswith("acoustic drum kit, Standard, kick drum (Acoustic Bass Drum), hard")
    assert "percussive" in qualities
