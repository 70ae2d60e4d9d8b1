"""The prompt session without Qt: an engine loads, prompts become tiles as one undo step."""

from types import SimpleNamespace

import numpy as np

from sketchpad.core.project import Project
from sketchpad.core.prompting import NOT_LOADED, PromptSession
from sketchpad.engine.generated import GeneratedSound
from tests.core.jobs_now import RunNow


class ToneEngine:
    """A prompt engine that plays a tone per result (its pitch from the seed), so the
    plumbing is tested without a model; the real engines have their own tests."""

    name = "retrieval"
    model = SimpleNamespace(name="tones", sample_rate=44100, refines=False)

    def generate(self, prompt, *, count, seed, seconds=None, variation=0.3, draft=False):
        t = np.arange(4410) / 44100
        return [GeneratedSound((0.2 * np.sin(2 * np.pi * (200 + seed + i) * t)).astype(np.float32),
                               np.zeros((1, 2, 3), np.float32), seed, prompt, ())
                for i in range(count)]


def _session():
    project = Project()
    loads = []
    session = PromptSession(project, RunNow(), lambda name, kind: loads.append((name, kind)) or ToneEngine())
    log = {"ready": [], "failed": [], "results": []}
    for name, entries in log.items():
        getattr(session, name).connect(lambda *args, entries=entries: entries.append(args))
    return project, session, loads, log


def test_prompts_wait_for_an_engine_then_become_tiles_as_one_undo_step():
    project, session, loads, log = _session()
    assert session.generate("kick", count=2, seed=1) is None and log["failed"] == [(NOT_LOADED,)]
    session.load("tones", "retrieval")
    assert loads == [("tones", "retrieval")] and isinstance(session.engine, ToneEngine)
    assert len(log["ready"]) == 1
    session.generate("warm pad", count=3, seed=7)
    assert [c.origin.prompt for c in project.tiles] == ["warm pad"] * 3
    assert log["results"][-1][1] == "Generate" and project.prompt_history[-1] == "warm pad"
    assert project.history.undo_label == "Generate"
    assert project.undo() and project.tiles == []


def test_a_failing_load_says_why():
    project = Project()
    session = PromptSession(project, RunNow(), lambda name, kind: 1 / 0)
    messages = []
    session.load_failed.connect(messages.append)
    session.load(None, None)
    assert session.engine is None and "division by zero" in messages[0]
