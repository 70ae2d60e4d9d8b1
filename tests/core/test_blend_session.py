"""The blend session without Qt: sources, encodes, renders, steps and Play, on a real
(tiny, untrained) model and a real PortAudio stream on the null ALSA device."""

import numpy as np
import pytest

from sketchpad.audio.playback import Player
from sketchpad.core.blend_session import BlendSession
from sketchpad.core.clip import make_clip
from tests.core.jobs_now import RunNow

RATE = 44100


def _tone(hz, seconds, name):
    t = np.arange(int(RATE * seconds)) / RATE
    return make_clip(name, (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)[:, None], RATE)


@pytest.fixture
def player():
    out = Player()
    yield out
    out.close()


def _session(tiny_model, player, model=True):
    jobs = RunNow()
    holder = {"model": tiny_model if model else None}
    session = BlendSession(jobs, player, lambda: holder["model"])
    events = {name: [] for name in ("slot", "prepared", "result", "steps", "message", "beats")}
    for name, log in events.items():
        getattr(session, name).connect(lambda *args, log=log: log.append(args))
    return session, jobs, holder, events


def test_two_sources_make_a_blend_that_renders_to_a_clip_of_a_length(tiny_model, player):
    session, jobs, _, events = _session(tiny_model, player)
    a, b = _tone(220, 1.0, "a"), _tone(330, 0.5, "b")
    session.set_source("A", a)
    assert session.blender is None  # B is missing
    session.set_source("B", b)
    assert session.blender is not None and len(events["prepared"]) == 1
    assert session.result_clip is not None and events["result"][-1] == (session.result_clip,)
    assert session.result_clip.frames == a.frames  # A's length; B is padded with silence
    assert "mix 0.50" in session.result_clip.name
    assert [kind for kind in jobs.kinds if kind.startswith("blend-encode")] == \
        ["blend-encode-A", "blend-encode-B"]
    assert events["slot"][-1][:2] == ("B", "ready")


def test_controls_change_what_renders_and_latents_are_cached(tiny_model, player):
    session, jobs, _, _ = _session(tiny_model, player)
    a, b = _tone(220, 1.0, "a"), _tone(330, 1.0, "b")
    session.set_source("A", a)
    session.set_source("B", b)
    mixed = session.result_clip
    session.controls.alpha = 1.0
    assert session.mark_stale() and not session.render.done.any()
    session.start_render()
    assert "mix 1.00" in session.result_clip.name
    assert not np.allclose(session.result_clip.samples, mixed.samples)
    session.controls.mode = "Style"
    session.start_render()
    assert "style" in session.result_clip.name
    encodes = sum(kind.startswith("blend-encode") for kind in jobs.kinds)
    session.set_source("A", a)  # the same clip again: its latents come from the cache
    assert sum(kind.startswith("blend-encode") for kind in jobs.kinds) == encodes


def test_swap_and_steps(tiny_model, player):
    session, _, _, events = _session(tiny_model, player)
    a, b = _tone(220, 1.0, "a"), _tone(330, 0.6, "b")
    session.set_source("A", a)
    session.set_source("B", b)
    session.swap()
    assert session.sources["A"].clip is b and session.blender.frames == b.frames
    session.make_morph_steps(3)
    (clips,), = events["steps"]
    assert len(clips) == 3 and all(c.frames == b.frames for c in clips)


def test_sources_wait_for_the_model_then_encode(tiny_model, player):
    session, _, holder, events = _session(tiny_model, player, model=False)
    session.set_source("A", _tone(220, 0.5, "a"))
    assert events["slot"][-1][:2] == ("A", "busy") and "waiting" in events["slot"][-1][3]
    holder["model"] = tiny_model
    session.encode_waiting()
    assert session.sources["A"].latents is not None and events["slot"][-1][:2] == ("A", "ready")


def test_play_starts_on_the_rendered_buffer_and_stops(tiny_model, player):
    session, _, _, events = _session(tiny_model, player)
    session.toggle_play()
    assert events["message"][-1] == ("Drop a sound into A and into B first.",)
    session.set_source("A", _tone(220, 1.0, "a"))
    session.set_source("B", _tone(330, 1.0, "b"))
    session.toggle_play()
    assert session.playing and player.mixer.clip is session.render.view
    assert session.first_audio_ms is not None
    session.toggle_play()
    assert not session.active
