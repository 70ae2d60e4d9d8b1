"""User-facing errors: each carries one line a producer can act on.

The CLI turns them into exit status 2 with the message on stderr; the GUI
shows the message and keeps running. Anything else is a bug.
"""


class SketchpadError(Exception):
    """Base class for problems caused by input or environment, not by a bug."""

    def __init__(self, message: str):
        # Keep it to a single line so it fits a status bar and a terminal.
        super().__init__(" ".join(str(message).split()))


class AudioFileError(SketchpadError):
    """An audio file could not be read or written."""


class AudioDeviceError(SketchpadError):
    """No usable audio output device."""
