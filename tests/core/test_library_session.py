"""The Library tab's controller without Qt: import, layout, preview, open, search and map points,
on a real folder of files and the tiny real model."""

from types import SimpleNamespace

import numpy as np
import pytest

from sketchpad.core.library_session import PREVIEW_SECONDS, LibrarySession
from sketchpad.engine.text import shared_text_encoder
from tests.core.jobs_now import RunNow
from tests.sample_library import make_sample_library


@pytest.fixture(scope="module")
def text_encoder():
    return shared_text_encoder()


def _session(engine):
    session = LibrarySession(RunNow(), lambda: engine)
    log = {name: [] for name in ("busy", "points", "marked", "sound", "preview", "message")}
    for name, entries in log.items():
        getattr(session, name).connect(lambda *args, entries=entries: entries.append(args))
    return session, log


def test_a_folder_becomes_a_laid_out_map_you_can_hear_and_search(tmp_path, tiny_model, text_encoder):
    facts = make_sample_library(tmp_path / "Samples")
    session, log = _session(SimpleNamespace(model=tiny_model, text=text_encoder))
    session.import_folder(tmp_path / "Samples")
    assert len(session.library) == facts["sounds"] and session.import_job is None
    assert session.layout_done and session.layout_method in ("pca", "tsne", "umap")
    assert session.coords.shape == (facts["sounds"], 2) and len(log["points"]) == 2  # PCA, then chosen
    assert log["busy"][-1] == (session.describe(), None) and "skipped" in session.describe()
    assert sorted(set(session.categories())) == [0, 1, 2]

    session.audition(0)
    (buffer,), = log["preview"]
    assert buffer.shape[1] == 2 and buffer.shape[0] <= PREVIEW_SECONDS * 44100 + 1

    session.open(3)
    clip, scrubbing = log["sound"][-1]
    assert clip.source_path == session.library.path(3) and not scrubbing

    session.search("hat")
    assert session.matches and session.library.sounds[session.matches[0]].category == "Hats"
    assert log["marked"][-1] == (session.matches,)
    session.search("  ")
    assert log["marked"][-1] == ([],)

    session.more_like(2)
    assert len(log["marked"][-1][0]) > 0
    session.more_like(-1)
    assert log["message"][-1] == ("Click a sound on the map first.",)

    x, y = session.coords.mean(axis=0)
    session.synthesise(float(x), float(y), "mean", scrubbing=True)
    clip, scrubbing = log["sound"][-1]
    assert scrubbing and clip.name.startswith("map mean (") and clip.latents is not None
    assert " by mean from " in clip.origin.recipe and np.isfinite(clip.samples).all()


def test_no_model_yet_or_no_folder_says_so_and_imports_nothing(tmp_path, tiny_model, text_encoder):
    session, log = _session(None)
    assert session.import_folder(tmp_path) is None
    assert "still loading" in log["message"][-1][0]
    session, log = _session(SimpleNamespace(model=tiny_model, text=text_encoder))
    assert session.import_folder(tmp_path / "missing") is None
    assert log["message"][-1] == (f"Not a folder: {tmp_path / 'missing'}",)
    assert session.library is None and not session.has_sounds
