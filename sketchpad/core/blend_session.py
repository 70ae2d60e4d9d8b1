"""A blend of two sounds or songs: the controller the Blend tab binds to.

Qt-free. Flow: a slot's file is decoded (io lane), encoded once (model lane,
cached by file and by clip) and beat-tracked (io lane). When A and B are both
encoded, a Blender and a song-length ProgressiveRender are made. A control
change makes the view call :meth:`BlendSession.start_render` (it debounces
fast moves), which decodes from the playhead on; Play starts the player on
the render's buffer as soon as the piece under the playhead is in.

The view sets :attr:`controls`, calls the methods and listens to the events:

* ``slot(letter, state, name, text, fraction)``: state is "busy", "ready",
  "failed" or "empty";
* ``prepared(source_a)`` when a new blend (its length, A's beats) is ready;
* ``beats(letter, beats)``; ``status(text)``; ``message(text)`` for the user;
* ``result(clip)`` the finished render as a clip; ``steps(clips)`` morph steps;
* ``changed()`` when what the session file keeps changed; ``refresh()`` when
  the transport (ready, playing, result) changed.

Thread use: UI thread only; job callbacks arrive there too.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sketchpad.core import keyframes
from sketchpad.core.clip import Clip, Origin, load_clip, make_clip
from sketchpad.core.events import Event
from sketchpad.engine.blender import Blender, BlendRecipe
from sketchpad.engine.progressive import LEAD_SAMPLES, ProgressiveRender
from sketchpad.jobs import Submitter

MODES = ("Mix", "Timeline", "Steps", "Style")
LATENT_CACHE_SIZE = 8
RENDER_KIND = "blend-render"


@dataclass
class BlendSource:
    clip: Clip
    latents: np.ndarray | None = None
    beats: np.ndarray | None = None


@dataclass
class BlendControls:
    """What the Blend tab's controls ask for (alpha, detail, strength: 0-1)."""

    mode: str = "Mix"
    interpolation: str = "linear"
    alpha: float = 0.5
    detail: float = 1.0
    strength: float = 1.0
    align_beats: bool = False
    points: keyframes.Points = field(default_factory=tuple)


def cache_key(clip: Clip):
    """A file is known by its path, time and size (reopened or not); anything else by its uid."""
    path = clip.source_path
    if path is not None and Path(path).exists():
        stat = Path(path).stat()
        return (str(path), stat.st_mtime_ns, stat.st_size)
    return clip.uid


class BlendSession:
    def __init__(self, jobs: Submitter, player, model_getter):
        self.jobs = jobs
        self.player = player
        self.model_getter = model_getter
        self.controls = BlendControls()
        self.sources: dict[str, BlendSource | None] = {"A": None, "B": None}
        self.blender: Blender | None = None
        self.render: ProgressiveRender | None = None
        self.result_clip: Clip | None = None
        self.cursor_seconds = 0.0  # where playing starts from when stopped
        self.first_audio_ms: float | None = None  # press of Play to the player starting
        self.play_pending = False
        self.closed = False
        self._cache: OrderedDict = OrderedDict()
        self._waiting_for_model: set[str] = set()
        self._rendering = False
        self._render_job = None
        self._render_start = 0
        self._play_pressed_at = 0.0
        for name in ("slot", "prepared", "beats", "status", "message", "result", "steps",
                     "changed", "refresh"):
            setattr(self, name, Event())

    # -- sources -------------------------------------------------------------------
    def load(self, letter: str, path) -> None:
        """Decode and encode ``path`` into slot ``letter`` in the background."""
        path = Path(path)
        self.slot.emit(letter, "busy", path.name, "decoding…", 0.0)
        self.jobs.submit(f"blend-load-{letter}", lambda ctx: load_clip(path, ctx), lane="io",
                         on_result=lambda clip: self.set_source(letter, clip),
                         on_progress=lambda f, t: self.slot.emit(letter, "busy", path.name,
                                                                 "decoding…", f),
                         on_error=lambda message: self._slot_failed(letter, message))

    def set_source(self, letter: str, clip: Clip) -> None:
        """Put an already decoded clip (a file, or a tile) into slot ``letter``."""
        self.sources[letter] = BlendSource(clip)
        self.forget_blend()
        latents = self._cache.get(cache_key(clip))
        if latents is not None:
            self._on_encoded(letter, clip, latents)
        else:
            self._encode(letter, clip)
        self._find_beats(letter, clip)
        self.refresh.emit()
        self.changed.emit()

    def encode_waiting(self) -> None:
        """Encode the sources that were waiting for the sound model (call once it loaded)."""
        waiting, self._waiting_for_model = self._waiting_for_model, set()
        for letter in sorted(waiting):
            source = self.sources[letter]
            if source is not None and source.latents is None and not self.closed:
                self._encode(letter, source.clip)

    def swap(self) -> None:
        a, b = self.sources["A"], self.sources["B"]
        self.sources = {"A": b, "B": a}
        for letter, source in self.sources.items():
            if source is None:
                self.slot.emit(letter, "empty", "", "", 0.0)
            elif source.latents is None:
                self._encode(letter, source.clip)
            else:
                self.slot.emit(letter, "ready", source.clip.name,
                               f"{source.clip.duration_seconds:.1f} s", 1.0)
        self.beats.emit("A", b.beats if b is not None else None)  # B is the new A
        self.forget_blend()
        self._prepare_blend()
        self.changed.emit()

    def source_clips(self) -> dict[str, Clip]:
        """The clips in A and B, by letter (empty slots left out)."""
        return {letter: source.clip for letter, source in self.sources.items() if source is not None}

    def _encode(self, letter: str, clip: Clip) -> None:
        model = self.model_getter()
        if model is None:
            self._waiting_for_model.add(letter)
            self.slot.emit(letter, "busy", clip.name, "waiting for the sound model…", 0.0)
            return
        self.slot.emit(letter, "busy", clip.name, "encoding…", 0.0)
        self.jobs.submit(
            f"blend-encode-{letter}",
            lambda ctx: model.encode(clip.samples, progress=lambda f: ctx.progress(f, "encoding")),
            lane="model", on_result=lambda z: self._on_encoded(letter, clip, z),
            on_progress=lambda f, t: self.slot.emit(letter, "busy", clip.name, "encoding…", f),
            on_error=lambda message: self._slot_failed(letter, message))

    def _on_encoded(self, letter: str, clip: Clip, latents: np.ndarray) -> None:
        source = self.sources[letter]
        if source is None or source.clip is not clip:
            return  # replaced meanwhile
        source.latents = latents
        self._cache[cache_key(clip)] = latents
        while len(self._cache) > LATENT_CACHE_SIZE:
            self._cache.popitem(last=False)
        channels = "stereo" if clip.samples.shape[1] > 1 else "mono"
        self.slot.emit(letter, "ready", clip.name, f"{clip.duration_seconds:.1f} s, {channels}"
                       + (", silent" if not np.any(clip.samples) else ""), 1.0)
        self._prepare_blend()

    def _find_beats(self, letter: str, clip: Clip) -> None:
        from sketchpad.audio.beats import beat_times

        self.jobs.submit(f"blend-beats-{letter}", lambda ctx: beat_times(clip.samples, clip.sample_rate),
                         lane="io", on_result=lambda beats: self._on_beats(letter, clip, beats),
                         on_error=lambda message: self.message.emit(f"Beat tracking failed: {message}"))

    def _on_beats(self, letter: str, clip: Clip, beats: np.ndarray) -> None:
        source = self.sources[letter]
        if source is None or source.clip is not clip:
            return
        source.beats = beats
        self.beats.emit(letter, beats)
        if self.controls.align_beats:
            self.apply_beat_alignment()

    def _slot_failed(self, letter: str, message: str) -> None:
        self.slot.emit(letter, "failed", "", message, 0.0)
        self.message.emit(message)

    # -- the blend -------------------------------------------------------------------
    def forget_blend(self) -> None:
        self.jobs.cancel_kind(RENDER_KIND)
        if self.playing:
            self.player.stop()
        self.blender = None
        self.render = None
        self.result_clip = None
        self._rendering = False
        self.play_pending = False
        self.refresh.emit()

    def _prepare_blend(self) -> None:
        a, b, model = self.sources["A"], self.sources["B"], self.model_getter()
        if a is None or b is None or a.latents is None or b.latents is None or model is None:
            return
        za, zb, frames = a.latents, b.latents, a.clip.frames
        clip_a, clip_b = a.clip, b.clip

        def prepare(ctx):
            # A file keeps its detail (its round-trip residual); generated sounds have none.
            files = [clip.samples if clip.source_path is not None else None for clip in (clip_a, clip_b)]
            return Blender(model, za, zb, frames, *files)

        self.jobs.submit("blend-prepare", prepare, lane="model",
                         on_result=lambda blender: self._on_blender(a, b, blender),
                         on_error=self.message.emit)

    def _on_blender(self, a: BlendSource, b: BlendSource, blender: Blender) -> None:
        if self.sources["A"] is not a or self.sources["B"] is not b or self.closed:
            return
        self.blender = blender
        self.render = ProgressiveRender(blender.frames, blender.model.samples_per_latent,
                                        channels=self.player.mixer.channels)
        self.prepared.emit(a)  # the view sizes the timeline (and may set controls.points)
        if self.controls.align_beats:
            self.apply_beat_alignment(render=False)
        self.status.emit(f"A × B ready: {blender.seconds:.1f} s")
        self.refresh.emit()
        self.start_render()

    def apply_beat_alignment(self, render: bool = True) -> None:
        if self.blender is None:
            return
        a, b = self.sources["A"], self.sources["B"]
        if not self.controls.align_beats:
            self.blender.align_beats(None, None)
        elif a.beats is None or b.beats is None:
            self.message.emit("Finding the beats of A and B…")
            return
        elif self.blender.align_beats(a.beats, b.beats):
            self.message.emit(f"B follows A's beats ({len(a.beats)} beats in A, {len(b.beats)} in B).")
        else:
            self.message.emit("Too few beats to align: A or B has no steady beat.")
        if render:
            self.start_render()

    def recipe(self) -> BlendRecipe:
        """What the controls ask for now (Steps mode plays the mix)."""
        c = self.controls
        if c.mode == "Timeline":
            return BlendRecipe("curve", interpolation=c.interpolation, points=c.points, detail=c.detail)
        if c.mode == "Style":
            return BlendRecipe("style", strength=c.strength, detail=c.detail)
        return BlendRecipe("mix", alpha=c.alpha, interpolation=c.interpolation, detail=c.detail)

    def mark_stale(self) -> bool:
        """A control moved: the audio rendered so far no longer counts (Play waits for the new
        recipe's). True when there is a blend to render again."""
        if self.blender is None:
            return False
        self.render.done[:] = False
        return True

    def start_render(self) -> None:
        """Render the current recipe, from a little ahead of the playhead when playing."""
        blender, render, model = self.blender, self.render, self.model_getter()
        if blender is None or render is None or self.closed:
            return
        recipe = self.recipe()
        start = self.position_samples()
        if self.playing:
            start += LEAD_SAMPLES
        self.jobs.cancel_kind(RENDER_KIND)
        self._render_start = start // render.samples_per_latent
        render.done[:] = False
        self.result_clip = None
        self._rendering = True
        playing = self.playing  # a change heard while playing fades in; otherwise exact
        job = self.jobs.submit(
            RENDER_KIND, lambda ctx: render.render(model, blender.latents(recipe), start, ctx,
                                                   residual=blender.residual(recipe),
                                                   crossfade=playing),
            lane="model", on_progress=lambda f, t: self._on_render_progress(render, f),
            on_result=lambda _: self._on_rendered(render, recipe),
            on_error=lambda message: self._on_render_ended(job, message),
            on_cancelled=lambda: self._on_render_ended(job))
        self._render_job = job
        self.refresh.emit()

    def _on_render_ended(self, job, message: str = "") -> None:
        if job is self._render_job:
            self._rendering = False
        if message:
            self.message.emit(message)

    def _on_render_progress(self, render: ProgressiveRender, fraction: float) -> None:
        if render is not self.render:
            return
        self.status.emit(f"Rendering {fraction * 100:.0f} %")
        if self.play_pending:
            self._start_player_if_ready()

    def _on_rendered(self, render: ProgressiveRender, recipe: BlendRecipe) -> None:
        if render is not self.render:
            return
        self._rendering = False
        if self.play_pending:
            self._start_player_if_ready()
        self.status.emit(f"Rendered: {recipe.describe()}")
        a, b = self.sources["A"], self.sources["B"]
        name = f"{a.clip.name} × {b.clip.name} ({recipe.describe()})"
        rate, model = a.clip.sample_rate, self.blender.model.name
        origin = Origin(model=model, recipe=recipe.describe())
        # The copy is made on the worker: a long song's copy would stall the UI thread.
        self.jobs.submit("blend-clip",
                         lambda ctx: make_clip(name, render.copy(), rate, origin=origin, ctx=ctx),
                         lane="io", on_result=lambda clip: self._on_result_clip(render, clip),
                         on_error=self.message.emit)

    def _on_result_clip(self, render: ProgressiveRender, clip: Clip) -> None:
        if render is not self.render or not render.done.all():
            return  # a newer render started meanwhile
        self.result_clip = clip
        self.result.emit(clip)
        self.refresh.emit()

    def make_morph_steps(self, count: int) -> None:
        """``count`` evenly spaced variants from A to B, as clips (``steps`` event)."""
        blender = self.blender
        if blender is None:
            self.message.emit("Drop a sound into A and into B first.")
            return
        interpolation, detail = self.controls.interpolation, self.controls.detail
        a, b = self.sources["A"].clip, self.sources["B"].clip
        rate, model = a.sample_rate, blender.model.name

        def run(ctx):
            clips = []
            for i, (alpha, audio) in enumerate(blender.steps(count, interpolation, ctx, detail)):
                clips.append(make_clip(f"{a.name} → {b.name} {i + 1}/{count}", audio, rate,
                                       origin=Origin(model=model, recipe=f"step {i + 1}/{count}, "
                                                                    f"alpha {alpha:.3f}")))
            return clips

        self.status.emit(f"Making {count} morph steps…")
        self.jobs.submit("blend-steps", run, lane="model",
                         on_progress=lambda f, t: self.status.emit(f"{t} ({f * 100:.0f} %)"),
                         on_result=self._on_steps, on_error=self.message.emit)

    def _on_steps(self, clips: list[Clip]) -> None:
        self.status.emit(f"{len(clips)} morph steps are in the tiles above.")
        self.steps.emit(clips)

    # -- playback --------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return (self.render is not None and self.player.is_playing
                and self.player.mixer.clip is self.render.view)

    @property
    def active(self) -> bool:
        """Playing, or waiting for the audio under the playhead to start playing."""
        return self.playing or self.play_pending

    def playhead_seconds(self) -> float | None:
        """Where the blend plays now, None when it does not."""
        if not self.playing:
            return None
        return self.player.mixer.position_frames / self.blender.model.sample_rate

    def position_samples(self) -> int:
        if self.render is None:
            return 0
        if self.playing:
            position = self.player.mixer.position_frames
        else:
            position = int(self.cursor_seconds * self.blender.model.sample_rate)
        return position if position < self.render.frames - 1 else 0

    def toggle_play(self) -> None:
        if self.active:
            self.play_pending = False
            self.player.stop()
            self.refresh.emit()
            return
        if self.render is None:
            self.message.emit("Drop a sound into A and into B first.")
            return
        self._play_pressed_at = time.perf_counter()
        self.play_pending = True
        start_latent = self.position_samples() // self.render.samples_per_latent
        if not self._start_player_if_ready() and not (self._rendering
                                                      and self._render_start == start_latent):
            self.start_render()  # render from the playhead now, not wherever the last one began
        self.refresh.emit()

    def _start_player_if_ready(self) -> bool:
        render = self.render
        start = self.position_samples()
        if render is None or not render.done[start // render.samples_per_latent]:
            return False
        self.play_pending = False
        if not self.player.play(render.view, start_frame=start, loop=self.player.mixer.loop):
            self.message.emit(self.player.status_text)
        self.first_audio_ms = (time.perf_counter() - self._play_pressed_at) * 1000
        self.refresh.emit()
        return True

    def seek(self, seconds: float) -> None:
        self.cursor_seconds = seconds
        if self.render is None or not self.playing:
            return
        frame = int(seconds * self.blender.model.sample_rate)
        self.player.seek(frame)
        if not self.render.done[min(frame // self.render.samples_per_latent, self.render.done.size - 1)]:
            self.start_render()

    def close(self) -> None:
        """Nothing more gets scheduled (the window is closing)."""
        self.closed = True
        self.blender = None
