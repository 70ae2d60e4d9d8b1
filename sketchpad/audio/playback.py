"""Clip playback: a lock-free clip mixer and a PortAudio output engine.

Threads
-------
* UI thread: ``ClipMixer.set_clip/stop/seek/set_loop`` and every
  ``Player`` method (``play``, ``stop``, ``toggle``, ``seek``,
  ``set_loop``, ``poll``, ``close``). These prepare data and then hand it
  to the audio thread by replacing ONE attribute reference, which is atomic
  under the GIL, so no lock is needed.
* Audio thread (PortAudio's callback): only ``ClipMixer.fill``. It reads
  the latest handed-over voice, renders into the buffer it is given and
  publishes its position as plain int attributes.
* Any thread may read ``position_frames``, ``is_playing``, ``finished`` and
  ``clip_frames``.

Nothing here blocks another thread: there are no locks, the callback never
allocates, logs or does I/O (a late callback is an audible dropout), and the
UI never waits on the callback except for a few milliseconds in ``close``.

This is the only module in Sketchpad that imports sounddevice, and it does so
lazily inside the engine, so importing it works even without PortAudio.
"""

from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np

from sketchpad.audio.voices import VoiceMixer
from sketchpad.errors import AudioDeviceError

__all__ = ["ClipMixer", "Player", "available_outputs"]


class _Voice(NamedTuple):
    """What the UI wants playing; immutable, swapped in as one reference.

    clip: prepared (frames, channels) float32 read-only array, or None.
    start: frame to start from, or None for "keep the current position".
    generation: bumped by the UI on every request, so the audio thread can
        tell a new request from the one it already adopted.
    playing: False for a stopped (silent) voice.
    """

    clip: np.ndarray | None
    start: int | None
    generation: int
    playing: bool


class ClipMixer:
    """Plays one clip at a time with click-free switching; no sounddevice.

    Crossfade: every voice change (new clip, seek, stop) is a LINEAR
    crossfade over ``fade_frames`` frames, frame k of the fade giving
    ``old * (1 - k/F) + new * (k/F)`` with both gains rounded to float32
    (``F = fade_frames``; stopped/ended voices count as silence). Linear
    gains sum to 1, so identical or DC material passes through unchanged.
    Starting from silence at frame 0 does not fade in, so attacks stay sharp.
    A request made during a fade is adopted when that fade ends (at most
    ``fade_frames`` later), so only two voices ever sound together.
    """

    def __init__(self, channels: int = 2, fade_frames: int = 256, max_block_frames: int = 16384):
        if channels < 1 or fade_frames < 0 or max_block_frames < 1:
            raise ValueError("channels and max_block_frames must be >= 1, fade_frames >= 0")
        self.channels = int(channels)
        self.fade_frames = int(fade_frames)
        self.max_block_frames = int(max_block_frames)
        # Everything fill() touches is allocated here, never in the callback.
        k = np.arange(self.fade_frames, dtype=np.float64) / max(self.fade_frames, 1)
        # Ramps are (F, channels), not (F, 1): a broadcasting multiply makes
        # numpy allocate a temporary, an equal-shape one does not.
        ch = self.channels
        self._ramp_in = np.ascontiguousarray(np.repeat(k.astype(np.float32)[:, None], ch, axis=1))
        self._ramp_out = np.ascontiguousarray(np.repeat((1.0 - k).astype(np.float32)[:, None], ch, axis=1))
        self._scratch = np.zeros((self.fade_frames, self.channels), np.float32)  # old voice during a fade
        self._loop = False
        # UI-owned: the latest request (read by the audio thread).
        self._voice = _Voice(None, 0, 0, False)
        self._retired: list[np.ndarray] = []
        # Audio-thread-owned state; the UI only reads _position/_active_gen/_ended_gen.
        self._cur_clip: np.ndarray | None = None
        self._cur_pos = 0
        self._cur_playing = False
        self._old_clip: np.ndarray | None = None
        self._old_pos = 0
        self._fade_k = self.fade_frames  # == F: no fade in progress
        self._active_gen = 0
        self._ended_gen = -1
        self._position = 0

    # ---------------------------------------------------------------- UI thread
    def set_clip(self, samples, *, start_frame: int = 0, loop: bool | None = None) -> None:
        """Start playing ``samples`` from ``start_frame`` (UI thread).

        samples: (frames,) mono or (frames, c) array; converted here (outside
        the callback) to a private read-only float32 (frames, channels) copy:
        mono is duplicated to every channel, multichannel into a mono mixer is
        averaged. A read-only float32 C-contiguous array of the right shape
        (such as ``Clip.playback``) is adopted without a copy, so a ten-minute
        clip starts without stalling the UI thread.
        loop: None keeps the current loop setting.
        """
        clip = samples if samples is self._voice.clip else self._prepare(samples)
        if loop is not None:
            self._loop = bool(loop)
        start = max(0, min(int(start_frame), clip.shape[0]))
        self._swap(_Voice(clip, start, self._voice.generation + 1, True))

    def stop(self) -> None:
        """Fade out over fade_frames, then silence; the position is kept (UI thread)."""
        v = self._voice
        if v.playing:
            self._swap(_Voice(v.clip, None, v.generation + 1, False))

    def seek(self, frame: int) -> None:
        """Jump to ``frame`` (clamped to the clip), crossfading if playing (UI thread).

        When stopped or finished it only moves the position for the next start.
        """
        v = self._voice
        if v.clip is None:
            return
        frame = max(0, min(int(frame), v.clip.shape[0]))
        self._swap(_Voice(v.clip, frame, v.generation + 1, self.is_playing))

    def set_loop(self, loop: bool) -> None:
        """Loop the clip from its end back to frame 0 (any thread; takes effect next block)."""
        self._loop = bool(loop)

    def _prepare(self, samples) -> np.ndarray:
        if (isinstance(samples, np.ndarray) and samples.dtype == np.float32
                and samples.ndim == 2 and samples.shape[1] == self.channels
                and samples.flags.c_contiguous and not samples.flags.writeable):
            return samples  # immutable already: nobody can change it under the callback
        a = np.asarray(samples, dtype=np.float32)
        if a.ndim == 1:
            a = a[:, None]
        if a.ndim != 2:
            raise ValueError(f"samples must be (frames,) or (frames, channels), got shape {a.shape}")
        if a.shape[1] != self.channels:
            if a.shape[1] == 1:
                a = np.repeat(a, self.channels, axis=1)
            elif self.channels == 1:
                a = a.mean(axis=1, keepdims=True, dtype=np.float32)
            else:
                raise ValueError(f"cannot play {a.shape[1]} channels on a {self.channels}-channel output")
        # Our own copy: the caller may reuse its writable array while we play it.
        clip = np.array(a, dtype=np.float32, order="C", copy=True)
        clip.flags.writeable = False
        return clip

    def _swap(self, voice: _Voice) -> None:
        old = self._voice.clip
        self._voice = voice  # the hand-over: one atomic reference assignment
        # Keep clips the audio thread may still be playing referenced from here,
        # so the callback does not end up freeing a large buffer.
        if old is not None and old is not voice.clip:
            self._retired.append(old)
        busy = (self._cur_clip, self._old_clip)
        self._retired = [c for c in self._retired if any(c is b for b in busy)]

    # ------------------------------------------------------------- any thread
    @property
    def position_frames(self) -> int:
        """Current frame of the playing (or stopped-at) clip."""
        v = self._voice
        if v.generation != self._active_gen and v.start is not None:
            return v.start  # requested but not yet picked up by the audio thread
        return self._position

    @property
    def is_playing(self) -> bool:
        v = self._voice
        return v.playing and self._ended_gen != v.generation

    @property
    def finished(self) -> bool:
        """True once the current (non-looping) clip has played to its end."""
        v = self._voice
        return v.playing and self._ended_gen == v.generation

    @property
    def clip_frames(self) -> int:
        clip = self._voice.clip
        return 0 if clip is None else clip.shape[0]

    @property
    def clip(self) -> np.ndarray | None:
        """The prepared (frames, channels) float32 clip, read-only, or None."""
        return self._voice.clip

    @property
    def loop(self) -> bool:
        return self._loop

    # ------------------------------------------------------------ audio thread
    def fill(self, out: np.ndarray) -> None:
        """Render the next ``out.shape[0]`` frames into ``out`` (audio thread).

        out: (n, channels) float32, written completely (zeros where silent).
        Allocates no buffers: only views, in-place copies and ufuncs into
        preallocated scratch. Works in segments of at most max_block_frames,
        split at the end of a fade so each segment is fading or not.
        """
        n = out.shape[0]
        F = self.fade_frames
        i = 0
        while i < n:
            if self._fade_k >= F:
                v = self._voice
                if v.generation != self._active_gen:
                    self._adopt(v)
            m = min(n - i, self.max_block_frames)
            if self._fade_k < F:
                m = min(m, F - self._fade_k)
            self._render(out[i:i + m])
            i += m

    def _adopt(self, v: _Voice) -> None:
        # The current voice becomes the fading-out one (if it is audible).
        old_audible = self._cur_playing
        self._old_clip = self._cur_clip if old_audible else None
        self._old_pos = self._cur_pos
        pos = self._cur_pos if v.start is None else v.start
        self._cur_clip = v.clip
        self._cur_pos = pos
        self._cur_playing = v.playing and v.clip is not None
        self._active_gen = v.generation
        # From silence at frame 0 the clip starts as it is; anything else fades.
        fade = old_audible or (self._cur_playing and pos > 0)
        self._fade_k = 0 if fade else self.fade_frames
        self._position = pos

    def _render(self, out: np.ndarray) -> None:
        m = out.shape[0]
        loop = self._loop
        if self._cur_playing:
            if self._copy(self._cur_clip, self._cur_pos, loop, out, True):
                self._cur_playing = False
                self._ended_gen = self._active_gen
        else:
            out.fill(0.0)
        k = self._fade_k
        if k < self.fade_frames:
            np.multiply(out, self._ramp_in[k:k + m], out=out)
            if self._old_clip is not None:
                s = self._scratch[:m]
                if self._copy(self._old_clip, self._old_pos, loop, s, False):
                    self._old_clip = None
                np.multiply(s, self._ramp_out[k:k + m], out=s)
                np.add(out, s, out=out)
            self._fade_k = k + m
            if self._fade_k >= self.fade_frames:
                self._old_clip = None
        self._position = self._cur_pos

    def _copy(self, clip: np.ndarray, pos: int, loop: bool, dst: np.ndarray, cur: bool) -> bool:
        """Copy clip frames from pos into dst (wrapping if loop), zero-pad; True if it ended.

        Stores the advanced position in _cur_pos or _old_pos (a tuple return
        would be an allocation per call).
        """
        n = dst.shape[0]
        length = clip.shape[0]
        i = 0
        ended = False
        while i < n:
            if pos >= length:
                if loop and length > 0:
                    pos = 0
                else:
                    dst[i:].fill(0.0)
                    ended = True
                    break
            k = min(n - i, length - pos)
            dst[i:i + k] = clip[pos:pos + k]
            i += k
            pos += k
        if pos >= length:
            if loop and length > 0:
                pos = 0
            else:
                ended = True
        if cur:
            self._cur_pos = pos
        else:
            self._old_pos = pos
        return ended


def available_outputs() -> list[str]:
    """Names of output-capable devices; [] if PortAudio is missing or fails."""
    try:
        import sounddevice as sd

        return [d["name"] for d in sd.query_devices() if d["max_output_channels"] > 0]
    except Exception:  # ImportError/OSError (no PortAudio), PortAudioError
        return []


class Player:
    """A ClipMixer and a VoiceMixer driven by one sounddevice OutputStream (UI thread).

    The clip mixer plays the sound on show; the voices (``voices``) play pads,
    keys and the pattern on top of it, from any producer thread.

    The stream opens on the first ``play`` and then runs continuously
    (rendering silence when stopped), so stop/seek/switch are just mixer
    requests with fades and never touch the device. Device problems never
    raise: ``play`` returns False and ``status_text`` explains in one line.
    """

    # Periods of device buffer asked for. The callback runs Python, which can wait for
    # the GIL while the window repaints; more periods ride that out at the cost of
    # latency (`sketchpad bench --kit-only` counts underruns for each choice).
    BUFFER_CHOICES = (2, 4, 8)
    BUFFER_PERIODS = 4

    def __init__(self, sample_rate: int = 44100, channels: int = 2, device: int | str | None = None,
                 blocksize: int = 512, buffer_periods: int = BUFFER_PERIODS):
        self.sample_rate = int(sample_rate)
        self.channels = int(channels)
        self.device = device
        self.blocksize = int(blocksize)
        self.buffer_periods = int(buffer_periods)
        self.mixer = ClipMixer(channels=self.channels)
        self.voices = VoiceMixer(channels=self.channels)
        self.status_text = "not opened yet (opens on first play)"
        self.output_name: str | None = None  # device name while a stream is open
        self._stream = None
        self._stream_died = False
        self._underruns = 0

    # Audio thread: exactly what the brief allows and nothing more.
    def _callback(self, outdata, frames, time_info, status) -> None:
        if status.output_underflow:
            self._underruns += 1
        self.mixer.fill(outdata)
        self.voices.mix_into(outdata)
        np.clip(outdata, -1.0, 1.0, out=outdata)  # many voices can sum past full scale

    # PortAudio thread, when the stream stops for any reason.
    def _on_stream_finished(self) -> None:
        self._stream_died = True

    def _fail(self, reason: str) -> bool:
        self.output_name = None
        # AudioDeviceError collapses the message to a single line.
        self.status_text = str(AudioDeviceError(f"No audio output: {reason}"))
        return False

    @property
    def latency_s(self) -> float:
        """The device buffer asked for, in seconds."""
        return self.buffer_periods * self.blocksize / self.sample_rate

    def set_buffer_periods(self, periods: int) -> None:
        """Change the device buffer; an open output is reopened with it (the sound stops)."""
        periods = int(periods)
        if periods == self.buffer_periods:
            return
        self.buffer_periods = periods
        if self._stream is not None:
            self.mixer.stop()
            self._close_stream()
            self._open()

    def open(self) -> bool:
        """Open the output now (keys and pads need it before any clip plays).

        Returns False (and sets status_text) when no output can be opened."""
        return self._open()

    def _open(self) -> bool:
        if self._stream is not None:
            return True
        try:
            import sounddevice as sd
        except (ImportError, OSError) as exc:  # OSError: PortAudio library not found
            return self._fail(f"PortAudio unavailable ({exc})")
        self._stream_died = False
        stream = None
        try:
            stream = sd.OutputStream(
                samplerate=self.sample_rate, channels=self.channels, dtype="float32",
                device=self.device, blocksize=self.blocksize, latency=self.latency_s,
                callback=self._callback, finished_callback=self._on_stream_finished)
            stream.start()
        except Exception as exc:  # ValueError (no such device), PortAudioError (busy, bad rate), ...
            if stream is not None:
                try:
                    stream.close(ignore_errors=True)
                except Exception:
                    pass
            return self._fail(str(exc) or type(exc).__name__)
        try:
            name = sd.query_devices(stream.device)["name"]
        except Exception:
            name = str(self.device) if self.device is not None else "default"
        self._stream = stream
        self.output_name = name
        self.status_text = name
        return True

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        self.output_name = None
        if stream is not None:
            try:
                stream.close(ignore_errors=True)  # aborts if still running
            except Exception:
                pass

    def play(self, samples, *, start_frame: int = 0, loop: bool = False) -> bool:
        """Play samples ((frames,) or (frames, c), at sample_rate) from start_frame.

        Returns False (and sets status_text) when no output can be opened.
        """
        if not self._open():
            return False
        self.mixer.set_clip(samples, start_frame=start_frame, loop=loop)
        return True

    def stop(self) -> None:
        """Fade out and keep the position (the stream keeps running, silent)."""
        self.mixer.stop()

    def toggle(self) -> bool:
        """Stop if playing, else resume the last clip (from the start if it had finished).

        Returns whether it is playing now.
        """
        if self.is_playing:
            self.stop()
            return False
        clip = self.mixer.clip
        if clip is None:
            return False
        start = self.mixer.position_frames
        if self.mixer.finished or start >= clip.shape[0]:
            start = 0
        return self.play(clip, start_frame=start, loop=self.mixer.loop)

    def seek(self, frame: int) -> None:
        """Move to ``frame`` (samples at sample_rate), crossfading if playing."""
        self.mixer.seek(frame)

    def set_loop(self, loop: bool) -> None:
        self.mixer.set_loop(loop)

    @property
    def position_seconds(self) -> float:
        return self.mixer.position_frames / self.sample_rate

    @property
    def is_playing(self) -> bool:
        return self._stream is not None and self.mixer.is_playing

    @property
    def underruns(self) -> int:
        """Callbacks PortAudio flagged with output underflow since the engine was made."""
        return self._underruns

    def poll(self) -> bool:
        """Check the stream is still alive (UI, ~1/s); True if an output is open.

        A stream that stopped on its own (device unplugged, callback error)
        is closed and reported; the next ``play`` opens a fresh one.
        """
        stream = self._stream
        if stream is None:
            return False
        try:
            alive = stream.active and not self._stream_died
        except Exception:
            alive = False
        if alive:
            return True
        name = self.output_name or "device"
        self._close_stream()
        self.mixer.stop()
        self.voices.all_notes_off()
        self.status_text = str(AudioDeviceError(
            f"Audio output stopped unexpectedly ({name}); press play to retry"))
        return False

    def close(self) -> None:
        """Fade out if playing and release the device; play reopens it."""
        if self._stream is not None and self.mixer.is_playing:
            self.mixer.stop()
            # Give the callback a moment to render the fade-out (bounded, ~10-40 ms).
            time.sleep(min(0.05, (self.mixer.fade_frames + 2 * self.blocksize) / self.sample_rate))
        else:
            self.mixer.stop()
        self._close_stream()
        self.status_text = "closed"

    available_outputs = staticmethod(available_outputs)
