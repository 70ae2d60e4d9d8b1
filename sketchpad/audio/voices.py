"""Polyphonic one-shot voices and a step sequencer, mixed in the audio callback.

Threads
-------
* Producers (the UI thread, the MIDI input thread, a benchmark): ``note_on``,
  ``note_off``, ``all_notes_off``, ``set_sounds``, ``set_plan``, ``start``,
  ``stop_sequence``. Note events are immutable records put into a bounded ring
  of slots; producers take a lock among themselves, the audio thread never
  does. Sounds and the sequencer plan are handed over by replacing one
  reference, as :class:`~sketchpad.audio.playback.ClipMixer` does.
* Audio thread: :meth:`VoiceMixer.mix_into` only. It drains the ring at the
  start of each block, fires the sequencer's steps at their exact frame inside
  the block, and adds every sounding voice into the buffer.

Sounds arrive prepared (:class:`VoiceSound`: gain, pan and tuning already in
the samples, read-only float32), so the callback only copies, scales by the
velocity and adds: no resampling, no allocation of buffers, no I/O, no locks.

Click-free by construction: a released, choked or stolen voice fades out
linearly (``release_frames`` or ``cut_frames``) instead of stopping dead.
"""

from __future__ import annotations

import threading
import time
from typing import Hashable, NamedTuple

import numpy as np

__all__ = ["VoiceMixer", "VoiceSound", "SequencePlan"]

_ON, _OFF, _ALL_OFF = 0, 1, 2


class VoiceSound(NamedTuple):
    """A sound ready for the callback.

    buffer: (frames, channels) float32, C-contiguous, read-only, with the
        pad's gain, pan and tuning applied.
    choke_group: 0 for none; a new note in group g cuts the sounding notes of g.
    """

    buffer: np.ndarray
    choke_group: int = 0


class SequencePlan(NamedTuple):
    """One loop of a pattern in frames (immutable; build it outside the callback).

    step_frames: the first frame of each step within the loop, ascending.
    hits: for each step, a tuple of (sound index, velocity gain) pairs.
    loop_frames: length of the loop.
    """

    step_frames: tuple[int, ...]
    hits: tuple[tuple[tuple[int, float], ...], ...]
    loop_frames: int


class _Event(NamedTuple):
    kind: int
    key: Hashable
    sound: VoiceSound | None
    gain: float
    gated: bool  # released by note_off (keys); a one-shot (pads) plays to its end
    posted: float  # time.perf_counter() when posted, for the latency figures


def read_only_frames(samples, channels: int, *, clip_to_full_scale: bool = False) -> np.ndarray:
    """A private float32 (frames, ``channels``) C-contiguous read-only copy of ``samples``
    ((frames,) or (frames, c)): mono is repeated, extra channels are dropped. The audio
    callback reads such buffers without copying, and nobody can change them under it."""
    a = np.asarray(samples, dtype=np.float32)
    if a.ndim == 1:
        a = a[:, None]
    if a.shape[1] != channels:
        a = np.repeat(a[:, :1], channels, axis=1) if a.shape[1] == 1 else a[:, :channels]
    buffer = np.array(a, dtype=np.float32, order="C", copy=True)
    if clip_to_full_scale:
        np.clip(buffer, -1.0, 1.0, out=buffer)
    buffer.flags.writeable = False
    return buffer


def plain_sound(samples, channels: int = 2, choke_group: int = 0) -> VoiceSound:
    """``samples`` ((frames,) or (frames, c)) as a read-only VoiceSound of ``channels``."""
    return VoiceSound(read_only_frames(samples, channels), int(choke_group))


class VoiceMixer:
    """Up to ``polyphony`` notes at once, plus the notes fading out; no sounddevice.

    Voice stealing: a note beyond ``polyphony`` fades the oldest sounding one
    out over ``cut_frames``. There are twice as many voice slots as notes, so
    fading voices never block a new one; if every slot is busy, the slot
    closest to silence is reused.
    """

    def __init__(self, channels: int = 2, *, polyphony: int = 16, release_frames: int = 441,
                 cut_frames: int = 88, max_block_frames: int = 16384, queue_size: int = 256,
                 latency_records: int = 4096):
        if channels < 1 or polyphony < 1 or release_frames < 1 or cut_frames < 1:
            raise ValueError("channels, polyphony, release_frames and cut_frames must be >= 1")
        self.channels = int(channels)
        self.polyphony = int(polyphony)
        self.max_block_frames = int(max_block_frames)
        slots = 2 * self.polyphony
        self._release = self._ramp(release_frames)
        self._cut = self._ramp(cut_frames)
        self._scratch = np.zeros((self.max_block_frames, self.channels), np.float32)
        # Voice slots, owned by the audio thread (plain lists: no per-block allocation).
        self._buf: list[np.ndarray | None] = [None] * slots
        self._pos = [0] * slots
        self._gain = [1.0] * slots
        self._key: list[Hashable] = [None] * slots
        self._choke = [0] * slots
        self._gated = [False] * slots
        self._delay = [0] * slots  # frames into the current block before the voice starts
        self._fade: list[np.ndarray | None] = [None] * slots  # ramp while fading out
        self._fade_at = [0] * slots
        self._order = [0] * slots  # start counter, for stealing the oldest
        self._started = 0
        # Event ring: producers write slots and advance _written (under _producer_lock);
        # the audio thread advances _read. Neither index is written by both sides.
        self._events: list[_Event | None] = [None] * int(queue_size)
        self._written = 0
        self._read = 0
        self._producer_lock = threading.Lock()
        self.dropped_events = 0
        # Sequencer: requested state (any producer) and adopted state (audio thread).
        self._sounds: tuple[VoiceSound | None, ...] = ()
        self._plan_wanted: SequencePlan | None = None
        self._run_wanted = False
        self._restart_wanted = 0
        self._plan: SequencePlan | None = None
        self._running = False
        self._restart_seen = 0
        self._seq_pos = 0
        self.current_step = -1  # published for the UI (-1: stopped)
        # Note-on to first rendered sample, seconds (ring of the last latency_records).
        self._latency = np.zeros(int(latency_records), np.float64)
        self._latency_count = 0

    def _ramp(self, frames: int) -> np.ndarray:
        down = 1.0 - np.arange(1, frames + 1, dtype=np.float64) / frames
        return np.ascontiguousarray(np.repeat(down.astype(np.float32)[:, None], self.channels, axis=1))

    # ------------------------------------------------------------------ producers
    def note_on(self, key: Hashable, sound: VoiceSound, velocity: float = 1.0, *,
                gated: bool = False, at: float | None = None) -> bool:
        """Start ``sound`` at the next block; ``key`` names the note for ``note_off``.

        velocity: 0-1, a linear gain. gated: the note stops (with a release fade)
        at ``note_off``; otherwise it plays to its end. at: time.perf_counter()
        when the note reached the app (default: now), for :meth:`latencies_ms`.
        Returns False if the event ring was full (the note is dropped and counted).
        """
        if sound.buffer.ndim != 2 or sound.buffer.shape[1] != self.channels:
            raise ValueError(f"sound must be (frames, {self.channels}), got {sound.buffer.shape}")
        return self._post(_Event(_ON, key, sound, float(max(0.0, velocity)), bool(gated),
                                 time.perf_counter() if at is None else float(at)))

    def note_off(self, key: Hashable) -> bool:
        """Release the gated notes named ``key`` (one-shots ignore it)."""
        return self._post(_Event(_OFF, key, None, 0.0, True, time.perf_counter()))

    def all_notes_off(self) -> bool:
        """Fade every voice out (panic, or leaving a view)."""
        return self._post(_Event(_ALL_OFF, None, None, 0.0, False, time.perf_counter()))

    def _post(self, event: _Event) -> bool:
        with self._producer_lock:
            if self._written - self._read >= len(self._events):
                self.dropped_events += 1
                return False
            self._events[self._written % len(self._events)] = event
            self._written += 1  # publishes the slot: the audio thread reads up to here
        return True

    def set_sounds(self, sounds) -> None:
        """The sounds the sequencer's hits refer to by index (None: an empty pad).

        Takes effect at the next hit; notes already sounding keep their sound."""
        self._sounds = tuple(sounds)

    def set_plan(self, plan: SequencePlan | None) -> None:
        """Replace the pattern; playback keeps its place in the bar (scaled to a new length)."""
        self._plan_wanted = plan

    def start(self, *, from_start: bool = True) -> None:
        """Run the sequencer (from its first step unless ``from_start`` is False)."""
        if from_start:
            self._restart_wanted += 1
        self._run_wanted = True

    def stop_sequence(self) -> None:
        """Stop firing steps; sounding notes play out."""
        self._run_wanted = False

    @property
    def sequence_running(self) -> bool:
        return self._run_wanted

    def latencies_ms(self) -> np.ndarray:
        """Note-on to first rendered sample of the recorded notes, in ms (oldest first)."""
        n = min(self._latency_count, self._latency.shape[0])
        start = self._latency_count - n
        idx = np.arange(start, start + n) % self._latency.shape[0]
        return self._latency[idx] * 1000.0

    @property
    def active_voices(self) -> int:
        """Voices sounding (including fading ones); approximate from other threads."""
        return sum(b is not None for b in self._buf)

    # --------------------------------------------------------------- audio thread
    def mix_into(self, out: np.ndarray) -> None:
        """Add the next ``out.shape[0]`` frames of every voice into ``out`` (audio thread).

        out: (n, channels) float32, already holding other audio (it is added to)."""
        n = out.shape[0]
        i = 0
        while i < n:
            m = min(n - i, self.max_block_frames)
            self._block(out[i:i + m])
            i += m

    def _block(self, out: np.ndarray) -> None:
        n = out.shape[0]
        now = time.perf_counter()
        while self._read < self._written:
            event = self._events[self._read % len(self._events)]
            self._read += 1
            if event.kind == _ON:
                self._start_voice(event.key, event.sound, event.gain, event.gated, 0)
                k = self._latency_count % self._latency.shape[0]
                self._latency[k] = now - event.posted
                self._latency_count += 1
            elif event.kind == _OFF:
                for v, key in enumerate(self._key):
                    if key == event.key and self._gated[v] and self._fade[v] is None:
                        self._fade_voice(v, self._release)
            else:
                for v in range(len(self._buf)):
                    if self._buf[v] is not None and self._fade[v] is None:
                        self._fade_voice(v, self._release)
        self._sequence(n)
        for v in range(len(self._buf)):
            if self._buf[v] is not None:
                self._render(v, out)

    def _sequence(self, n: int) -> None:
        if self._restart_wanted != self._restart_seen:
            self._restart_seen = self._restart_wanted
            self._seq_pos = 0
        wanted = self._plan_wanted
        if wanted is not self._plan:
            old = self._plan
            if old is not None and wanted is not None and old.loop_frames > 0:
                self._seq_pos = int(self._seq_pos * wanted.loop_frames / old.loop_frames)
            self._plan = wanted
        self._running = self._run_wanted
        plan = self._plan
        if not self._running or plan is None or plan.loop_frames <= 0:
            self.current_step = -1
            return
        sounds = self._sounds
        length = plan.loop_frames
        pos = self._seq_pos % length
        done = 0
        while done < n:  # one pass per loop wrap inside this block
            span = min(n - done, length - pos)
            for step, frame in enumerate(plan.step_frames):
                if pos <= frame < pos + span:
                    for index, gain in plan.hits[step]:
                        sound = sounds[index] if index < len(sounds) else None
                        if sound is not None:
                            self._start_voice(("step", index), sound, gain, False,
                                              done + frame - pos)
            done += span
            pos = (pos + span) % length
        self._seq_pos = pos
        step = 0
        for s, frame in enumerate(plan.step_frames):
            if frame <= pos:
                step = s
        self.current_step = step

    def _start_voice(self, key, sound: VoiceSound, gain: float, gated: bool, delay: int) -> None:
        choke = sound.choke_group
        sounding = 0
        oldest, oldest_order = -1, None
        for v, buf in enumerate(self._buf):
            if buf is None or self._fade[v] is not None:
                continue
            if choke and self._choke[v] == choke:
                self._fade_voice(v, self._cut, delay)
                continue
            if gated and self._gated[v] and self._key[v] == key:
                self._fade_voice(v, self._cut, delay)  # a repeated key restarts its note
                continue
            sounding += 1
            if oldest_order is None or self._order[v] < oldest_order:
                oldest, oldest_order = v, self._order[v]
        if sounding >= self.polyphony and oldest >= 0:
            self._fade_voice(oldest, self._cut, delay)
        slot = -1
        for v, buf in enumerate(self._buf):
            if buf is None:
                slot = v
                break
        if slot < 0:  # every slot busy: reuse the one nearest the end of its fade
            best = None
            for v in range(len(self._buf)):
                fade = self._fade[v]
                left = fade.shape[0] - self._fade_at[v] if fade is not None else 1 << 30
                if best is None or left < best:
                    slot, best = v, left
        self._buf[slot] = sound.buffer
        self._pos[slot] = 0
        self._gain[slot] = gain
        self._key[slot] = key
        self._choke[slot] = choke
        self._gated[slot] = gated
        self._delay[slot] = delay
        self._fade[slot] = None
        self._fade_at[slot] = 0
        self._started += 1
        self._order[slot] = self._started

    def _fade_voice(self, v: int, ramp: np.ndarray, delay: int = 0) -> None:
        """Fade voice v out with ``ramp``, starting ``delay`` frames into this block."""
        self._fade[v] = ramp
        # Negative: frames at full level before the fade begins, counted from where
        # the voice renders in this block (a voice started in this block waits its delay).
        self._fade_at[v] = -max(0, delay - self._delay[v])

    def _render(self, v: int, out: np.ndarray) -> None:
        n = out.shape[0]
        buf = self._buf[v]
        start = self._delay[v]
        self._delay[v] = 0
        if start >= n:
            self._delay[v] = start - n
            return
        pos = self._pos[v]
        frames = min(n - start, buf.shape[0] - pos)
        fade = self._fade[v]
        seg = self._scratch[:frames]
        np.multiply(buf[pos:pos + frames], self._gain[v], out=seg)
        if fade is not None:
            at = self._fade_at[v]
            hold = max(0, -at)  # frames still at full level before the fade starts
            begin = max(0, at)
            frames = min(frames, hold + fade.shape[0] - begin)  # silent after the ramp
            k = frames - hold
            if k > 0:
                np.multiply(seg[hold:frames], fade[begin:begin + k], out=seg[hold:frames])
            self._fade_at[v] = at + frames
        dst = out[start:start + frames]
        np.add(dst, seg[:frames], out=dst)
        pos += frames
        self._pos[v] = pos
        if pos >= buf.shape[0] or (fade is not None and self._fade_at[v] >= fade.shape[0]):
            self._buf[v] = None
            self._key[v] = None
            self._fade[v] = None
