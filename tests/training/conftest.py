"""Shared fixture: the small TimGM6mb font (always present with pretty_midi)."""

import pytest

from sketchpad.training import soundfonts


@pytest.fixture(scope="session")
def timgm():
    fonts = [f for f in soundfonts.available_soundfonts() if f.name == "TimGM6mb"]
    # pretty_midi is a declared dependency, so its font must be there: fail, never skip.
    assert fonts, "TimGM6mb (shipped inside pretty_midi) not found"
    return fonts[0]
