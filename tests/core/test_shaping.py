"""The shaping session without Qt: newest move wins, one undo step per gesture."""

import numpy as np
import pytest

from sketchpad.core import shaping
from sketchpad.core.clip import Origin, make_clip
from sketchpad.core.project import Project
from sketchpad.core.shaping import ShapeSession
from sketchpad.engine.latent_ops import SliderState


class HeldJobs:
    """A Submitter that runs nothing until told: jobs finish in the order a test chooses."""

    def __init__(self):
        self.waiting = []

    def submit(self, kind, fn, *, lane="io", on_result=None, on_error=None, **callbacks):
        self.waiting.append((kind, fn, on_result, on_error))

    def cancel_kind(self, kind):
        self.waiting = [job for job in self.waiting if job[0] != kind]

    def finish(self, index=0):
        kind, fn, on_result, on_error = self.waiting.pop(index)
        on_result(fn(None))


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture
def fake_reshape(monkeypatch):
    calls = []

    def reshape(model, source, state, ctx, latents=None, residual=None, draft=False):
        calls.append(latents)
        amount = state.directions.get("bright", 0.0)
        return make_clip(f"{source.name} shaped", source.samples * (1 + amount), source.sample_rate,
                         origin=Origin(source=source, sliders=state),
                         latents=np.full((1, 2, 3), amount, np.float32))

    monkeypatch.setattr(shaping, "reshape_clip", reshape)
    return calls


def _setup(clock=None):
    project = Project()
    sound = make_clip("pad", np.full((4410, 1), 0.1, np.float32), 44100)
    project.set_tiles([sound])
    project.set_clip(sound)
    jobs = HeldJobs()
    session = ShapeSession(project, jobs, clock=clock or Clock())
    return project, sound, jobs, session


def _bright(amount):
    return SliderState(directions={"bright": amount})


def test_only_the_newest_move_is_shown_and_one_gesture_is_one_undo_step(fake_reshape):
    project, sound, jobs, session = _setup()
    shown = []
    session.shown.connect(shown.append)
    session.move(_bright(1.0), model="m")
    session.move(_bright(2.0), model="m")
    jobs.finish(0)  # the older move's sound comes back last-but-one: it must not land
    assert project.clip is sound and shown == []
    jobs.finish(0)
    assert project.clip.origin.sliders == _bright(2.0) and shown == [project.clip]
    assert project.tiles == [project.clip]
    assert project.history.undo_label == "Shape"
    assert project.undo() and project.clip is sound
    assert project.history.undo_label is None  # both moves were one step


def test_a_pause_starts_a_new_gesture(fake_reshape):
    clock = Clock()
    project, sound, jobs, session = _setup(clock)
    session.move(_bright(1.0), model="m")
    jobs.finish()
    first = project.clip
    clock.now += 2 * shaping.GESTURE_SECONDS
    session.move(_bright(2.0), model="m")
    jobs.finish()
    assert project.undo() and project.clip is first
    assert project.undo() and project.clip is sound


def test_a_slow_result_still_gets_its_undo_step(fake_reshape):
    clock = Clock()
    project, sound, jobs, session = _setup(clock)
    session.move(_bright(1.0), model="m")
    clock.now += 10.0  # the model took ten seconds
    jobs.finish()
    assert project.history.undo_label == "Shape"
    assert project.undo() and project.clip is sound


def test_neutral_shows_the_source_itself_and_shapes_from_it(fake_reshape):
    project, sound, jobs, session = _setup()
    session.move(_bright(1.0), model="m")
    jobs.finish()
    session.move(SliderState(), model="m")
    assert project.clip is sound and jobs.waiting == []
    session.move(_bright(0.5), model="m")
    jobs.finish()
    assert project.clip.origin.source is sound  # never a shaped sound's shape
    assert fake_reshape[-1] is not None  # the source's latents came from the cache


def test_forget_drops_results_in_flight_and_another_sound_is_left_alone(fake_reshape):
    project, sound, jobs, session = _setup()
    session.move(_bright(1.0), model="m")
    session.forget()
    assert jobs.waiting == []
    session.move(_bright(1.0), model="m")
    other = make_clip("other", np.zeros((100, 1), np.float32), 44100)
    project.set_clip(other)  # the user picked another sound meanwhile
    jobs.finish()
    assert project.clip is other and project.history.undo_label is None


def test_nothing_on_show_or_no_model_does_nothing(fake_reshape):
    project, sound, jobs, session = _setup()
    session.move(_bright(1.0), model=None)
    project.set_clip(None)
    session.move(_bright(1.0), model="m")
    assert jobs.waiting == [] and project.history.undo_label is None
