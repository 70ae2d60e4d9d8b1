"""The kit: up to 16 pads of kept sounds and a 16-step pattern that plays them.

Qt-free. :class:`Kit` is the controller the kit view binds to: it owns the
pads and the pattern, announces changes through :mod:`sketchpad.core.events`,
and keeps an attached :class:`~sketchpad.audio.voices.VoiceMixer` in step
(the pads' prepared sounds and the pattern's plan), so a changed pad is heard
at its next hit.

Timing of a pattern (shared by the live sequencer and :func:`render_pattern`):
a step is a 16th note, ``sample_rate * 60 / tempo / 4`` frames; swing delays
every second step of a pair by ``(swing - 50) / 50`` of a step (MPC-style
percent: 50 straight, 66.7 a triplet feel, 75 the maximum). Step frames are
rounded to whole frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from sketchpad.audio.edits import transpose
from sketchpad.audio.io import PROJECT_RATE, resample
from sketchpad.audio.pitch import parse_note
from sketchpad.audio.voices import SequencePlan, VoiceSound, plain_sound
from sketchpad.core.clip import Clip
from sketchpad.core.events import Event

PAD_COUNT = 16
STEP_COUNT = 16
FIRST_PAD_NOTE = 36  # General MIDI's bass drum: "C1" where middle C is C3 (most DAWs)
CHOKE_GROUPS = 8
TEMPO_RANGE = (40.0, 300.0)
SWING_RANGE = (50.0, 75.0)
TUNE_RANGE = (-24.0, 24.0)
GAIN_RANGE_DB = (-60.0, 12.0)
EDGE_FADE_FRAMES = 16  # a sound that starts or ends off zero would click at every hit


def clip_root_note(clip: Clip) -> int | None:
    """The MIDI note a clip sounds at, when known (its origin, else a note in its prompt)."""
    note = clip.origin.root_note
    if note is None:
        note = parse_note(str(clip.origin.prompt or clip.name))
    return None if note is None else int(note)


@dataclass(frozen=True)
class Pad:
    """One pad. ``pan``: -1 (left) to 1 (right); ``choke_group``: 0 none, else 1-8."""

    clip: Clip | None = None
    name: str = ""
    gain_db: float = 0.0
    pan: float = 0.0
    tune_semitones: float = 0.0
    choke_group: int = 0

    @property
    def empty(self) -> bool:
        return self.clip is None

    def checked(self) -> "Pad":
        """This pad with every setting clamped into its range."""
        return replace(self, gain_db=_clamp(self.gain_db, GAIN_RANGE_DB), pan=_clamp(self.pan, (-1.0, 1.0)),
                       tune_semitones=_clamp(self.tune_semitones, TUNE_RANGE),
                       choke_group=_clamp(int(self.choke_group), (0, CHOKE_GROUPS)))

    def settings(self) -> dict:
        return {"name": self.name, "gain_db": self.gain_db, "pan": self.pan,
                "tune_semitones": self.tune_semitones, "choke_group": self.choke_group}


def _clamp(value, bounds):
    low, high = bounds
    return min(max(value, low), high)


def pad_samples(pad: Pad, sample_rate: int = PROJECT_RATE) -> np.ndarray | None:
    """What the pad plays: (frames, 2) float32 with its tuning, gain and pan applied.

    Pan is equal-power and unity at the centre. The first and last
    ``EDGE_FADE_FRAMES`` are faded so a hit never clicks. None for an empty pad.
    """
    if pad.clip is None:
        return None
    audio = np.asarray(pad.clip.samples, np.float32)
    if pad.clip.sample_rate != sample_rate:
        audio = resample(audio, pad.clip.sample_rate, sample_rate)
    if audio.ndim == 1:
        audio = audio[:, None]
    if audio.shape[1] == 1:
        audio = np.repeat(audio, 2, axis=1)
    audio = audio[:, :2]
    if pad.tune_semitones:
        audio = transpose(audio, pad.tune_semitones)
        if audio.shape[0] == 0:  # a one-sample sound tuned up
            audio = np.zeros((1, 2), np.float32)
    angle = (pad.pan + 1.0) * math.pi / 4.0
    gains = np.array([math.cos(angle), math.sin(angle)], np.float32) * np.float32(math.sqrt(2.0))
    gains *= np.float32(10.0 ** (pad.gain_db / 20.0))
    out = np.ascontiguousarray(audio * gains, dtype=np.float32)
    edge = min(EDGE_FADE_FRAMES, out.shape[0] // 2)
    if edge:
        ramp = (np.arange(edge, dtype=np.float32) / np.float32(edge))[:, None]  # 0 .. (edge-1)/edge
        out[:edge] *= ramp
        out[-edge:] *= ramp[::-1]
    return out


@dataclass(frozen=True)
class Pattern:
    """``velocity[pad][step]``: 0 for no hit, else the hit's velocity (0-1]."""

    tempo_bpm: float = 120.0
    swing: float = 50.0
    velocity: tuple[tuple[float, ...], ...] = field(
        default_factory=lambda: tuple((0.0,) * STEP_COUNT for _ in range(PAD_COUNT)))

    def step_length_frames(self, sample_rate: int = PROJECT_RATE) -> float:
        return sample_rate * 60.0 / self.tempo_bpm / 4.0

    def loop_frames(self, sample_rate: int = PROJECT_RATE) -> int:
        return int(round(STEP_COUNT * self.step_length_frames(sample_rate)))

    def step_frames(self, sample_rate: int = PROJECT_RATE) -> tuple[int, ...]:
        """First frame of each step within one loop (swing delays the odd steps)."""
        length = self.step_length_frames(sample_rate)
        delay = (self.swing - 50.0) / 50.0 * length
        return tuple(int(round(k * length + (delay if k % 2 else 0.0))) for k in range(STEP_COUNT))

    def with_hit(self, pad: int, step: int, velocity: float) -> "Pattern":
        rows = [list(row) for row in self.velocity]
        rows[pad][step] = float(min(max(velocity, 0.0), 1.0))
        return replace(self, velocity=tuple(tuple(row) for row in rows))

    def hits(self) -> list[tuple[int, int, float]]:
        """(step, pad, velocity) of every hit, by step then pad."""
        return [(step, pad, self.velocity[pad][step]) for step in range(STEP_COUNT)
                for pad in range(PAD_COUNT) if self.velocity[pad][step] > 0]

    def plan(self, sample_rate: int = PROJECT_RATE) -> SequencePlan:
        per_step = [[] for _ in range(STEP_COUNT)]
        for step, pad, velocity in self.hits():
            per_step[step].append((pad, float(velocity)))
        return SequencePlan(self.step_frames(sample_rate), tuple(tuple(h) for h in per_step),
                            self.loop_frames(sample_rate))

    def to_json(self) -> dict:
        return {"tempo_bpm": self.tempo_bpm, "swing": self.swing,
                "velocity": [list(row) for row in self.velocity]}

    @classmethod
    def from_json(cls, data: dict) -> "Pattern":
        rows = [[float(v) for v in list(row)[:STEP_COUNT]] for row in list(data.get("velocity") or [])[:PAD_COUNT]]
        rows = [row + [0.0] * (STEP_COUNT - len(row)) for row in rows]
        rows += [[0.0] * STEP_COUNT for _ in range(PAD_COUNT - len(rows))]
        return cls(tempo_bpm=_clamp(float(data.get("tempo_bpm", 120.0)), TEMPO_RANGE),
                   swing=_clamp(float(data.get("swing", 50.0)), SWING_RANGE),
                   velocity=tuple(tuple(min(max(v, 0.0), 1.0) for v in row) for row in rows))


def render_pattern(sounds, pattern: Pattern, *, loops: int = 1, sample_rate: int = PROJECT_RATE,
                   cut_frames: int = 88, tail: bool = True) -> np.ndarray:
    """The pattern played ``loops`` times from ``sounds`` (one (frames, 2) array or None per pad).

    Offline and straightforward: every hit is added at its step frame, scaled by
    its velocity; a hit in a choke group fades the group's earlier hits out
    linearly over ``cut_frames`` (frame j of the fade at gain 1 - (j+1)/cut_frames).
    ``sounds`` may be VoiceSounds (their choke group is used) or plain arrays.
    With ``tail`` the last hits ring out past the loop. Returns (frames, 2) float32.
    """
    buffers = [None if s is None else (s.buffer if isinstance(s, VoiceSound) else np.asarray(s, np.float32))
               for s in sounds]
    chokes = [s.choke_group if isinstance(s, VoiceSound) else 0 for s in sounds]
    loop = pattern.loop_frames(sample_rate)
    steps = pattern.step_frames(sample_rate)
    notes = []  # [start, pad, velocity, end]: end is where a choke silences it
    for n in range(loops):
        for step, pad, velocity in pattern.hits():
            if pad < len(buffers) and buffers[pad] is not None:
                notes.append([n * loop + steps[step], pad, velocity, None])
    notes.sort(key=lambda note: note[0])
    for i, (start, pad, _, _) in enumerate(notes):
        if chokes[pad]:
            for earlier in notes[:i]:
                if chokes[earlier[1]] == chokes[pad] and earlier[3] is None and earlier[0] <= start:
                    earlier[3] = start
    length = loops * loop
    if tail:
        length = max([length] + [s + buffers[p].shape[0] for s, p, _, _ in notes])
    out = np.zeros((length, 2), np.float32)
    fade = 1.0 - np.arange(1, cut_frames + 1, dtype=np.float64) / cut_frames
    for start, pad, velocity, end in notes:
        audio = buffers[pad].astype(np.float64) * velocity
        if end is not None:
            cut = end - start
            audio = audio[:cut + cut_frames].copy()
            audio[cut:cut + cut_frames] *= fade[:max(0, audio.shape[0] - cut), None]
        stop = min(length, start + audio.shape[0])
        out[start:stop] += audio[:stop - start].astype(np.float32)
    return out


class Kit:
    """Pads and pattern, with change events; optionally drives a VoiceMixer.

    Events: ``pad_changed(index)``, ``pattern_changed()``, ``changed()`` after either
    (for autosave). All methods: UI thread.
    """

    def __init__(self, sample_rate: int = PROJECT_RATE):
        self.sample_rate = int(sample_rate)
        self.pads: list[Pad] = [Pad() for _ in range(PAD_COUNT)]
        self.pattern = Pattern()
        self.pad_changed = Event()
        self.pattern_changed = Event()
        self.changed = Event()
        self._sounds: list[VoiceSound | None] = [None] * PAD_COUNT
        self._mixer = None

    # -- pads --------------------------------------------------------------------
    def set_pad(self, index: int, pad: Pad) -> None:
        pad = pad.checked()
        if pad.clip is not None and not pad.name:
            pad = replace(pad, name=pad.clip.name)
        old = self.pads[index]
        self.pads[index] = pad
        same_sound = (old.clip is pad.clip and old.gain_db == pad.gain_db and old.pan == pad.pan
                      and old.tune_semitones == pad.tune_semitones and old.choke_group == pad.choke_group)
        if not same_sound:
            samples = pad_samples(pad, self.sample_rate)
            self._sounds[index] = None if samples is None else plain_sound(samples, 2, pad.choke_group)
            self._push_sounds()
        self.pad_changed.emit(index)
        self.changed.emit()

    def assign(self, index: int, clip: Clip | None) -> None:
        """Put ``clip`` on pad ``index`` (its settings are kept; the name becomes the clip's)."""
        self.set_pad(index, replace(self.pads[index], clip=clip, name=clip.name if clip else ""))

    def update_pad(self, index: int, **settings) -> None:
        self.set_pad(index, replace(self.pads[index], **settings))

    def first_empty_pad(self) -> int | None:
        return next((i for i, pad in enumerate(self.pads) if pad.empty), None)

    def sound(self, index: int) -> VoiceSound | None:
        """The pad's prepared sound (what the voices play), or None."""
        return self._sounds[index]

    def sounds(self) -> list[VoiceSound | None]:
        return list(self._sounds)

    @staticmethod
    def note_of_pad(index: int) -> int:
        return FIRST_PAD_NOTE + index

    @staticmethod
    def pad_of_note(note: int) -> int | None:
        index = int(note) - FIRST_PAD_NOTE
        return index if 0 <= index < PAD_COUNT else None

    # -- pattern -----------------------------------------------------------------
    def set_pattern(self, pattern: Pattern) -> None:
        self.pattern = Pattern.from_json(pattern.to_json())  # clamps tempo, swing, velocities
        if self._mixer is not None:
            self._mixer.set_plan(self.pattern.plan(self.sample_rate))
        self.pattern_changed.emit()
        self.changed.emit()

    def toggle_step(self, pad: int, step: int, velocity: float = 1.0) -> None:
        on = self.pattern.velocity[pad][step] > 0
        self.set_pattern(self.pattern.with_hit(pad, step, 0.0 if on else velocity))

    def set_tempo(self, bpm: float) -> None:
        self.set_pattern(replace(self.pattern, tempo_bpm=float(bpm)))

    def set_swing(self, percent: float) -> None:
        self.set_pattern(replace(self.pattern, swing=float(percent)))

    def clear_pattern(self) -> None:
        self.set_pattern(Pattern(tempo_bpm=self.pattern.tempo_bpm, swing=self.pattern.swing))

    # -- playing -----------------------------------------------------------------
    def attach(self, mixer) -> None:
        """Drive ``mixer`` (a VoiceMixer): it gets the pads' sounds and the pattern's plan."""
        self._mixer = mixer
        self._push_sounds()
        mixer.set_plan(self.pattern.plan(self.sample_rate))

    def _push_sounds(self) -> None:
        if self._mixer is not None:
            self._mixer.set_sounds(self._sounds)

    def hit(self, index: int, velocity: float = 1.0) -> bool:
        """Play pad ``index`` now (a one-shot); False if it is empty or nothing is attached."""
        sound = self._sounds[index]
        if sound is None or self._mixer is None:
            return False
        return self._mixer.note_on(("pad", index), sound, velocity)

    def render(self, loops: int = 1, *, tail: bool = True) -> np.ndarray:
        """The pattern rendered offline from the pads (see :func:`render_pattern`)."""
        return render_pattern(self._sounds, self.pattern, loops=loops, sample_rate=self.sample_rate,
                              tail=tail)

    # -- session -----------------------------------------------------------------
    def clips(self) -> list[Clip]:
        return [pad.clip for pad in self.pads if pad.clip is not None]

    def state(self) -> "KitState":
        return KitState(tuple(self.pads), self.pattern)

    def restore(self, state: "KitState") -> None:
        for index in range(PAD_COUNT):
            self.set_pad(index, state.pads[index] if index < len(state.pads) else Pad())
        self.set_pattern(state.pattern)


@dataclass(frozen=True)
class KitState:
    """What the session store keeps of a kit."""

    pads: tuple[Pad, ...] = ()
    pattern: Pattern = field(default_factory=Pattern)

    def to_json(self) -> dict:
        return {"pads": [None if p.clip is None else {"clip": p.clip.uid, **p.settings()} for p in self.pads],
                "pattern": self.pattern.to_json()}

    @classmethod
    def from_json(cls, data: dict, clips: dict[str, Clip]) -> "KitState":
        pads = []
        for entry in list(data.get("pads") or [])[:PAD_COUNT]:
            clip = clips.get(entry.get("clip")) if isinstance(entry, dict) else None
            if clip is None:
                pads.append(Pad())
                continue
            pads.append(Pad(clip=clip, name=str(entry.get("name") or clip.name),
                            gain_db=float(entry.get("gain_db", 0.0)), pan=float(entry.get("pan", 0.0)),
                            tune_semitones=float(entry.get("tune_semitones", 0.0)),
                            choke_group=int(entry.get("choke_group", 0))).checked())
        return cls(tuple(pads), Pattern.from_json(dict(data.get("pattern") or {})))

