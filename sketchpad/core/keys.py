"""Playing sounds from a MIDI keyboard or the computer keyboard.

Qt-free. :class:`Keys` turns note numbers into voices: in ``"sound"`` mode the
selected sound plays chromatically (transposed from its root note, gated:
it stops with a short release when the key is let go); in ``"kit"`` mode each
note from 36 up plays one pad (a one-shot, General MIDI drum layout).

The computer keyboard follows the DAW habit: A W S E D F T G Y H U J K play a
chromatic octave from C, Z and X move the octave down and up, C and V lower
and raise the velocity.

Threads: ``note_on``/``note_off`` may be called from the UI thread and from the
MIDI input thread at once (the voice mixer's ring takes both). Transposed
copies are cached per (sound, semitones); a miss costs about a millisecond.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from sketchpad.audio.edits import transpose
from sketchpad.audio.voices import VoiceSound, plain_sound
from sketchpad.core.clip import Clip
from sketchpad.core.kit import Kit, clip_root_note

COMPUTER_KEYS = "awsedftgyhujk"  # semitones 0-12 from the octave's C
OCTAVE_DOWN, OCTAVE_UP = "z", "x"
VELOCITY_DOWN, VELOCITY_UP = "c", "v"
DEFAULT_ROOT = 60  # where a sound of unknown pitch is played untransposed
MODES = ("sound", "kit")
_CACHE_SIZE = 64


class Keys:
    """Notes to voices. ``mixer``: a VoiceMixer, or a callable returning one (or None)."""

    def __init__(self, kit: Kit, mixer):
        self.kit = kit
        self._mixer = mixer
        self.mode = "sound"
        self.octave = 4  # the computer keyboard's A plays C4 (MIDI 60); in kit mode, pad 1
        self.velocity = 100
        self._clip: Clip | None = None
        self._base: VoiceSound | None = None
        self._root = DEFAULT_ROOT
        self._cache: OrderedDict[tuple[str, int], VoiceSound] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._held: dict[str, int] = {}  # computer key -> note it started

    @property
    def mixer(self):
        return self._mixer() if callable(self._mixer) else self._mixer

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.mode = mode

    def set_sound(self, clip: Clip | None) -> None:
        """The sound ``"sound"`` mode plays (UI thread)."""
        if clip is self._clip:
            return
        self._clip = clip
        self._base = None if clip is None else plain_sound(clip.playback, 2)
        root = clip_root_note(clip) if clip is not None else None
        self._root = DEFAULT_ROOT if root is None else root
        with self._cache_lock:
            self._cache.clear()

    # -- notes (UI or MIDI thread) ----------------------------------------------------
    def note_on(self, note: int, velocity: int = 100, at: float | None = None) -> bool:
        """Start ``note`` (MIDI number) at ``velocity`` (1-127); False if nothing plays.

        at: time.perf_counter() when the note reached the app (for latency figures)."""
        mixer = self.mixer
        if mixer is None or not 0 <= note <= 127:
            return False
        gain = max(0.0, min(1.0, velocity / 127.0))
        if self.mode == "kit":
            pad = self.kit.pad_of_note(note)
            sound = self.kit.sound(pad) if pad is not None else None
            return sound is not None and mixer.note_on(("pad", pad), sound, gain, at=at)
        sound = self._transposed(note - self._root)
        return sound is not None and mixer.note_on(("key", note), sound, gain, gated=True, at=at)

    def note_off(self, note: int) -> None:
        mixer = self.mixer
        if mixer is not None and self.mode == "sound":
            mixer.note_off(("key", note))

    def _transposed(self, semitones: int) -> VoiceSound | None:
        base, clip = self._base, self._clip
        if base is None or clip is None:
            return None
        if semitones == 0:
            return base
        key = (clip.uid, int(semitones))
        with self._cache_lock:
            sound = self._cache.get(key)
            if sound is not None:
                self._cache.move_to_end(key)
                return sound
        sound = plain_sound(transpose(base.buffer, semitones), 2)
        with self._cache_lock:
            self._cache[key] = sound
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return sound

    def warm(self, low: int = -12, high: int = 12) -> None:
        """Prepare the transposed copies of an octave each way (worker thread)."""
        for semitones in range(low, high + 1):
            self._transposed(semitones)

    def warm_in_background(self, jobs) -> None:
        """:meth:`warm` as a job through ``jobs`` (a Submitter), so the first notes played
        cost no resampling on the MIDI thread; a newer request replaces a waiting one."""
        jobs.submit("warm-keys", lambda ctx: self.warm(), lane="io")

    # -- computer keyboard (UI thread) --------------------------------------------------
    def base_note(self) -> int:
        """The note the A key plays: C of the current octave (pad 1 in kit mode, octave 0)."""
        if self.mode == "kit":
            return Kit.note_of_pad(0) + 12 * (self.octave - 4)
        return 12 * (self.octave + 1)

    def key_down(self, char: str) -> bool:
        """A computer key went down; True if it is one of ours (so the window eats it)."""
        char = char.lower()
        if len(char) != 1:
            return False
        if char in (OCTAVE_DOWN, OCTAVE_UP):
            self.octave = max(0, min(8, self.octave + (1 if char == OCTAVE_UP else -1)))
            return True
        if char in (VELOCITY_DOWN, VELOCITY_UP):
            self.velocity = max(1, min(127, self.velocity + (20 if char == VELOCITY_UP else -20)))
            return True
        offset = COMPUTER_KEYS.find(char)
        if offset < 0:
            return False
        if char in self._held:
            return True  # auto-repeat
        note = self.base_note() + offset
        self._held[char] = note
        self.note_on(note, self.velocity)
        return True

    def key_up(self, char: str) -> bool:
        note = self._held.pop(char.lower(), None)
        if note is None:
            return char.lower() in COMPUTER_KEYS + OCTAVE_DOWN + OCTAVE_UP + VELOCITY_DOWN + VELOCITY_UP
        self.note_off(note)
        return True

    def release_all(self) -> None:
        """Let go of every held computer key (the window lost focus)."""
        for char in list(self._held):
            self.key_up(char)
