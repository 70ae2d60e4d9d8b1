"""MIDI keyboards: listing input ports and receiving notes (mido + python-rtmidi).

On Linux any ALSA sequencer port works (hardware keyboards, virtual ports of
other programs). Without a MIDI system (no ``/dev/snd/seq``, no rtmidi) every
function here says so in one line instead of raising, and the app plays from
the computer keyboard.

Threads: ``MidiInput``'s callback runs on rtmidi's own thread. It must be
quick: it only decodes the message and calls the note handlers, which hand
the note to the voice mixer without blocking.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Callable

from sketchpad.errors import AudioDeviceError

CLIENT_NAME = "Sketchpad"


def midi_unavailable_reason() -> str | None:
    """Why MIDI input cannot work here (one line), or None when it can."""
    if sys.platform.startswith("linux") and not os.path.exists("/dev/snd/seq"):
        return "no ALSA sequencer on this machine (/dev/snd/seq is missing)"
    try:
        import mido
        import rtmidi  # noqa: F401  (mido's backend)

        mido.set_backend("mido.backends.rtmidi", load=True)
    except Exception as exc:  # ImportError, OSError (libasound missing)
        return f"MIDI support is not installed ({exc})"
    return None


def input_ports() -> list[str]:
    """Names of the MIDI inputs present now; [] when there is no MIDI system."""
    if midi_unavailable_reason() is not None:
        return []
    try:
        import mido

        return [name for name in mido.get_input_names() if CLIENT_NAME not in name]
    except Exception:  # the sequencer went away, or refused a client
        return []


class MidiInput:
    """One open input port that forwards note messages.

    ``on_note_on(note, velocity, received_at)`` and ``on_note_off(note)`` run on
    the MIDI thread; ``received_at`` is time.perf_counter() when the message
    reached the app, so latency figures start there. A note-on with velocity 0
    is a note-off (running status habit).
    """

    def __init__(self, on_note_on: Callable[[int, int, float], object],
                 on_note_off: Callable[[int], object]):
        self._on_note_on = on_note_on
        self._on_note_off = on_note_off
        self._port = None
        self.port_name: str | None = None

    def open(self, name: str | None = None, *, virtual: bool = False) -> str:
        """Open input ``name`` (None: the first one), or a virtual port others can connect to.

        Returns the opened port's name; raises AudioDeviceError (one line) if it cannot."""
        reason = midi_unavailable_reason()
        if reason is not None:
            raise AudioDeviceError(f"No MIDI input: {reason}.")
        import mido

        self.close()
        try:
            if virtual:
                port = mido.open_input(name or CLIENT_NAME, virtual=True, callback=self._received)
            else:
                ports = input_ports()
                if not ports:
                    raise AudioDeviceError("No MIDI input: no MIDI keyboard or port is connected.")
                if name is not None and name not in ports:
                    raise AudioDeviceError(f"No MIDI input: '{name}' is not connected.")
                port = mido.open_input(name or ports[0], callback=self._received)
        except AudioDeviceError:
            raise
        except Exception as exc:
            raise AudioDeviceError(f"No MIDI input: {exc}") from None
        self._port = port
        self.port_name = port.name
        return port.name

    def _received(self, message) -> None:  # MIDI thread
        received_at = time.perf_counter()
        kind = message.type
        if kind == "note_on" and message.velocity > 0:
            self._on_note_on(message.note, message.velocity, received_at)
        elif kind in ("note_on", "note_off"):
            self._on_note_off(message.note)

    @property
    def is_open(self) -> bool:
        return self._port is not None

    def close(self) -> None:
        port, self._port = self._port, None
        self.port_name = None
        if port is not None:
            try:
                port.close()
            except Exception:
                pass
