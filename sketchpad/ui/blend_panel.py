"""The blend view: two slots, four modes, and a blend that plays while it renders.

Flow: a slot's file is decoded (io lane), encoded once (model lane, cached by
file and by clip) and beat-tracked (io lane). When A and B are both encoded, a
Blender and a song-length ProgressiveRender are made. Every control change
schedules a render job that decodes from the playhead on; Play starts the
player on the render's buffer as soon as the piece under the playhead is in.
Morph steps become tiles in the grid above, where they can be auditioned,
kept and exported like any sound.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QFileDialog, QHBoxLayout,
                               QLabel, QPushButton, QSlider, QSpinBox, QStackedWidget,
                               QVBoxLayout, QWidget)

from sketchpad.audio.io import SUPPORTED_EXTENSIONS
from sketchpad.core import keyframes
from sketchpad.core.clip import Clip, load_clip, make_clip
from sketchpad.engine.blender import Blender, BlendRecipe
from sketchpad.engine.progressive import LEAD_SAMPLES, ProgressiveRender
from sketchpad.ui.blend_slot import BlendSlot
from sketchpad.ui.keyframe_editor import KeyframeEditor
from sketchpad.ui.waveform_view import WaveformView

MODES = ("Mix", "Timeline", "Steps", "Style")
RENDER_DELAY_MS = 30  # controls moving faster than this make one render
PLAYHEAD_MS = 33
LATENT_CACHE_SIZE = 8


@dataclass
class _Source:
    clip: Clip
    latents: np.ndarray | None = None
    beats: np.ndarray | None = None


def _cache_key(clip: Clip):
    path = clip.source_path
    if path is not None and Path(path).exists():
        stat = Path(path).stat()
        return (str(path), stat.st_mtime_ns, stat.st_size)
    return clip.uid


def _slider(tip: str, value: int) -> QSlider:
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setRange(0, 100)
    slider.setValue(value)
    slider.setToolTip(tip)
    return slider


class BlendPanel(QWidget):
    """Signals: ``tiles_ready(clips, label)`` morph steps for the grid;
    ``clip_ready(clip)`` a finished blend the user wants as a tile;
    ``export_requested(clip)``; ``message(text)`` for the status bar;
    ``changed()`` when anything the session keeps (sources, controls) changes."""

    tiles_ready = Signal(list, str)
    clip_ready = Signal(object)
    export_requested = Signal(object)
    message = Signal(str)
    changed = Signal()

    def __init__(self, pool, player, model_getter, parent=None):
        super().__init__(parent)
        self.setObjectName("blendPanel")
        self.pool = pool
        self.player = player
        self._model_getter = model_getter
        self.sources: dict[str, _Source | None] = {"A": None, "B": None}
        self._latent_cache: OrderedDict = OrderedDict()
        self.blender: Blender | None = None
        self.render: ProgressiveRender | None = None
        self.result_clip: Clip | None = None
        self._rendering = False
        self._render_job = None
        self._render_start = 0
        self._play_pending = False
        self._play_pressed_at = 0.0
        self.first_audio_ms: float | None = None  # press of Play to the player starting
        self._restored_curve: tuple[float, keyframes.Points] | None = None  # (duration, points)
        self._build()
        self._render_timer = QTimer(self)
        self._render_timer.setSingleShot(True)
        self._render_timer.setInterval(RENDER_DELAY_MS)
        self._render_timer.timeout.connect(self.start_render)
        self._playhead_timer = QTimer(self)
        self._playhead_timer.setInterval(PLAYHEAD_MS)
        self._playhead_timer.timeout.connect(self._follow_playhead)
        self._playhead_timer.start()
        self._refresh()

    # -- construction --------------------------------------------------------------
    def _build(self) -> None:
        self.slots = {letter: BlendSlot(letter) for letter in "AB"}
        for letter, slot in self.slots.items():
            slot.file_dropped.connect(lambda path, l=letter: self.load(l, path))
            slot.open_requested.connect(lambda l=letter: self._open_dialog(l))
        swap = QPushButton("⇄")
        swap.setObjectName("swapButton")
        swap.setToolTip("Swap A and B")
        swap.setFixedWidth(34)
        swap.clicked.connect(self.swap)
        slots_row = QHBoxLayout()
        slots_row.addWidget(self.slots["A"], 1)
        slots_row.addWidget(swap)
        slots_row.addWidget(self.slots["B"], 1)

        self.mode_group = QButtonGroup(self)
        mode_row = QHBoxLayout()
        mode_row.setSpacing(0)
        tips = ("One blend of A and B", "Morph from A to B over time with keyframes",
                "Evenly spaced variants from A to B, as tiles", "A's notes and timing with B's timbre")
        for i, (name, tip) in enumerate(zip(MODES, tips)):
            button = QPushButton(name)
            button.setCheckable(True)
            button.setObjectName("modeButton")
            button.setToolTip(tip)
            self.mode_group.addButton(button, i)
            mode_row.addWidget(button)
        self.mode_group.button(0).setChecked(True)
        self.mode_group.idClicked.connect(self._on_mode)
        self.mode_group.idClicked.connect(self.changed)
        self.interpolation = QComboBox()
        self.interpolation.addItem("Linear", "linear")
        self.interpolation.addItem("Spherical", "slerp")
        self.interpolation.setToolTip("How latent frames are interpolated")
        self.interpolation.currentIndexChanged.connect(self.schedule_render)
        self.interpolation.currentIndexChanged.connect(self.changed)
        self.align_beats = QCheckBox("Align beats")
        self.align_beats.setToolTip("Stretch B in time so its beats fall on A's (beat tracking)")
        self.align_beats.toggled.connect(self._apply_beat_alignment)
        self.align_beats.toggled.connect(self.changed)
        mode_row.addSpacing(12)
        mode_row.addWidget(QLabel("Interpolation"))
        mode_row.addWidget(self.interpolation)
        mode_row.addWidget(self.align_beats)
        self.detail = _slider("Detail: how much of A's and B's own detail (what the model's "
                              "round trip loses) is kept. At 100 %, Mix 0 % is A itself and "
                              "100 % is B itself", 100)
        self.detail.setMaximumWidth(120)
        self.detail_label = QLabel()
        self.detail.valueChanged.connect(self._on_detail)
        self.detail.valueChanged.connect(self.changed)
        mode_row.addSpacing(12)
        mode_row.addWidget(QLabel("Detail"))
        mode_row.addWidget(self.detail)
        mode_row.addWidget(self.detail_label)
        mode_row.addStretch(1)

        self.alpha = _slider("Blend amount: A at the left, B at the right", 50)
        self.alpha_label = QLabel()
        self.alpha.valueChanged.connect(self._on_alpha)
        self.alpha.valueChanged.connect(self.changed)
        mix_page = self._row(QLabel("A"), self.alpha, QLabel("B"), self.alpha_label)
        self.snap = QCheckBox("Snap to beats")
        self.snap.setToolTip("Keyframes snap to A's beats")
        self.snap.toggled.connect(self._on_snap)
        self.snap.toggled.connect(self.changed)
        reset_curve = QPushButton("Reset curve")
        reset_curve.clicked.connect(self._reset_curve)
        curve_page = self._row(QLabel("Double-click the curve below to add a keyframe, drag to "
                                      "move, right-click to delete."), self.snap, reset_curve, None)
        self.step_count = QSpinBox()
        self.step_count.setRange(2, 16)
        self.step_count.setValue(5)
        self.step_count.setToolTip("How many variants from A to B (both ends included)")
        self.step_count.valueChanged.connect(self.changed)
        self.make_steps = QPushButton("Make steps")
        self.make_steps.clicked.connect(self.make_morph_steps)
        steps_page = self._row(QLabel("Steps"), self.step_count, self.make_steps,
                               QLabel("They appear as tiles above: click to hear, K keeps, "
                                      "Ctrl+E exports."), None)
        self.strength = _slider("Style strength: how much of B's timbre", 100)
        self.strength_label = QLabel()
        self.strength.valueChanged.connect(self._on_strength)
        self.strength.valueChanged.connect(self.changed)
        style_page = self._row(QLabel("Strength"), self.strength, self.strength_label)
        self.pages = QStackedWidget()
        for page in (mix_page, curve_page, steps_page, style_page):
            self.pages.addWidget(page)
        self.pages.setMaximumHeight(40)

        self.play_button = QPushButton("▶ Play")
        self.play_button.setToolTip("Play the blend (Space); it starts while the rest renders")
        self.play_button.clicked.connect(self.toggle_play)
        self.to_tiles_button = QPushButton("Add to tiles")
        self.to_tiles_button.setToolTip("Put the rendered blend in the tiles, to keep, drag or export")
        self.to_tiles_button.clicked.connect(lambda: self.result_clip and self.clip_ready.emit(self.result_clip))
        self.export_button = QPushButton("Export WAV…")
        self.export_button.clicked.connect(
            lambda: self.result_clip and self.export_requested.emit(self.result_clip))
        self.status = QLabel()
        self.status.setObjectName("blendStatus")
        transport = self._row(self.play_button, self.status, None, self.to_tiles_button,
                              self.export_button)

        self.waveform = WaveformView()
        self.waveform.seek_requested.connect(self.seek)
        self.editor = KeyframeEditor()
        self.editor.setXLink(self.waveform)
        self.editor.points_changed.connect(lambda _: self.schedule_render())
        self.editor.points_changed.connect(lambda _: self.changed.emit())
        self.editor.setMinimumHeight(90)
        self.editor.setMaximumHeight(140)

        column = QVBoxLayout(self)
        column.setContentsMargins(6, 4, 6, 4)
        column.setSpacing(4)
        column.addLayout(slots_row)
        column.addLayout(mode_row)
        column.addWidget(self.pages)
        column.addWidget(transport)
        column.addWidget(self.waveform, 2)
        column.addWidget(self.editor, 1)
        self._on_alpha(self.alpha.value())
        self._on_strength(self.strength.value())
        self._on_detail(self.detail.value())
        self._on_mode(0)

    @staticmethod
    def _row(*widgets) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in widgets:
            if widget is None:
                layout.addStretch(1)
            else:
                layout.addWidget(widget, 1 if isinstance(widget, QSlider) else 0)
        return row

    # -- inputs --------------------------------------------------------------------
    def _open_dialog(self, letter: str) -> None:
        patterns = " ".join(f"*{ext}" for ext in sorted(SUPPORTED_EXTENSIONS))
        path, _ = QFileDialog.getOpenFileName(self, f"Open sound {letter}", "",
                                              f"Audio ({patterns})")
        if path:
            self.load(letter, Path(path))

    def load(self, letter: str, path) -> None:
        """Decode and encode ``path`` into slot ``letter`` in the background."""
        path = Path(path)
        slot = self.slots[letter]
        slot.set_busy(path.name, "decoding…", 0.0)
        self.pool.submit(f"blend-load-{letter}", lambda ctx: load_clip(path, ctx), lane="io",
                         on_result=lambda clip: self.set_source(letter, clip),
                         on_progress=lambda f, t: slot.set_busy(path.name, "decoding…", f),
                         on_error=lambda message: self._slot_failed(letter, message))

    def set_source(self, letter: str, clip: Clip) -> None:
        """Put an already decoded clip (a file, or a tile) into slot ``letter``."""
        self.sources[letter] = _Source(clip)
        self._forget_blend()
        latents = self._latent_cache.get(_cache_key(clip))
        if latents is not None:
            self._on_encoded(letter, clip, latents)
        else:
            self._encode(letter, clip)
        self._find_beats(letter, clip)
        self._refresh()
        self.changed.emit()

    def _encode(self, letter: str, clip: Clip) -> None:
        model = self._model_getter()
        slot = self.slots[letter]
        if model is None:
            slot.set_busy(clip.name, "waiting for the sound model…", 0.0)
            QTimer.singleShot(500, lambda: self._encode_if_current(letter, clip))
            return
        slot.set_busy(clip.name, "encoding…", 0.0)
        self.pool.submit(
            f"blend-encode-{letter}",
            lambda ctx: model.encode(clip.samples, progress=lambda f: ctx.progress(f, "encoding")),
            lane="model", on_result=lambda z: self._on_encoded(letter, clip, z),
            on_progress=lambda f, t: slot.set_busy(clip.name, "encoding…", f),
            on_error=lambda message: self._slot_failed(letter, message))

    def _encode_if_current(self, letter: str, clip: Clip) -> None:
        source = self.sources[letter]
        if (source is not None and source.clip is clip and source.latents is None
                and self._playhead_timer.isActive()):  # not shut down meanwhile
            self._encode(letter, clip)

    def _on_encoded(self, letter: str, clip: Clip, latents: np.ndarray) -> None:
        source = self.sources[letter]
        if source is None or source.clip is not clip:
            return  # replaced meanwhile
        source.latents = latents
        self._latent_cache[_cache_key(clip)] = latents
        while len(self._latent_cache) > LATENT_CACHE_SIZE:
            self._latent_cache.popitem(last=False)
        channels = "stereo" if clip.samples.shape[1] > 1 else "mono"
        self.slots[letter].set_ready(clip.name, f"{clip.duration_seconds:.1f} s, {channels}"
                                     + (", silent" if not np.any(clip.samples) else ""))
        self._prepare_blend()

    def _find_beats(self, letter: str, clip: Clip) -> None:
        from sketchpad.audio.beats import beat_times

        self.pool.submit(f"blend-beats-{letter}", lambda ctx: beat_times(clip.samples, clip.sample_rate),
                         lane="io", on_result=lambda beats: self._on_beats(letter, clip, beats),
                         on_error=lambda message: self.message.emit(f"Beat tracking failed: {message}"))

    def _on_beats(self, letter: str, clip: Clip, beats: np.ndarray) -> None:
        source = self.sources[letter]
        if source is None or source.clip is not clip:
            return
        source.beats = beats
        if letter == "A":
            self.editor.set_beats(beats)
        if self.align_beats.isChecked():
            self._apply_beat_alignment()

    def _slot_failed(self, letter: str, message: str) -> None:
        self.slots[letter].set_failed(message)
        self.message.emit(message)

    def swap(self) -> None:
        a, b = self.sources["A"], self.sources["B"]
        self.sources = {"A": b, "B": a}
        for letter, source in self.sources.items():
            if source is None:
                self.slots[letter].set_empty()
            elif source.latents is None:
                self._encode(letter, source.clip)
            else:
                self.slots[letter].set_ready(source.clip.name, f"{source.clip.duration_seconds:.1f} s")
        self.editor.set_beats(b.beats if b is not None else None)  # B is the new A
        self._forget_blend()
        self._prepare_blend()
        self.changed.emit()

    # -- the session ---------------------------------------------------------------------
    def source_clips(self) -> dict[str, Clip]:
        """The clips in A and B, by letter (empty slots left out)."""
        return {letter: source.clip for letter, source in self.sources.items() if source is not None}

    def controls(self) -> dict:
        """The controls' state, JSON-ready, for the session file."""
        return {"mode": MODES[self.mode_group.checkedId()],
                "interpolation": self.interpolation.currentData(),
                "align_beats": self.align_beats.isChecked(), "alpha": self.alpha.value(),
                "snap": self.snap.isChecked(), "steps": self.step_count.value(),
                "strength": self.strength.value(), "duration": self.editor.duration,
                "points": [[float(t), float(a)] for t, a in self.editor.points]}

    def restore(self, sources: dict[str, Clip], controls: dict) -> None:
        """Put back what :meth:`source_clips` and :meth:`controls` returned.

        Bad or unknown entries are ignored. The timeline's keyframes are applied
        once A and B are encoded again and the blend has the saved length.
        """
        def apply(key, kind, setter):
            value = controls.get(key)
            if type(value) is kind:  # exact: JSON's true is not taken for an int
                setter(value)

        mode = controls.get("mode")
        if mode in MODES:
            self.mode_group.button(MODES.index(mode)).setChecked(True)
            self._on_mode(MODES.index(mode))
        index = self.interpolation.findData(controls.get("interpolation"))
        if index >= 0:
            self.interpolation.setCurrentIndex(index)
        apply("align_beats", bool, self.align_beats.setChecked)
        apply("snap", bool, self.snap.setChecked)
        apply("alpha", int, self.alpha.setValue)
        apply("steps", int, self.step_count.setValue)
        apply("strength", int, self.strength.setValue)
        try:
            points = tuple((float(t), keyframes.clamp_alpha(float(a))) for t, a in controls["points"])
            duration = float(controls["duration"])
        except (KeyError, TypeError, ValueError):
            points = ()
        if len(points) >= 2 and duration > 0:
            self._restored_curve = (duration, points)
            self.editor.set_duration(duration)
            self.editor.set_points(points)
        for letter, clip in sources.items():
            if letter in self.sources:
                self.set_source(letter, clip)

    # -- the blend -------------------------------------------------------------------
    def _forget_blend(self) -> None:
        self.pool.cancel_kind("blend-render")
        if self.playing:
            self.player.stop()
        self.blender = None
        self.render = None
        self.result_clip = None
        self._rendering = False
        self._play_pending = False
        self._refresh()

    def _prepare_blend(self) -> None:
        a, b, model = self.sources["A"], self.sources["B"], self._model_getter()
        if a is None or b is None or a.latents is None or b.latents is None or model is None:
            return
        za, zb, frames = a.latents, b.latents, a.clip.frames
        clip_a, clip_b = a.clip, b.clip

        def prepare(ctx):
            # A file keeps its detail (its round-trip residual); generated sounds have none.
            files = [clip.samples if clip.source_path is not None else None for clip in (clip_a, clip_b)]
            return Blender(model, za, zb, frames, *files)

        self.pool.submit("blend-prepare", prepare, lane="model",
                         on_result=lambda blender: self._on_blender(a, b, blender),
                         on_error=self.message.emit)

    def _on_blender(self, a: _Source, b: _Source, blender: Blender) -> None:
        if self.sources["A"] is not a or self.sources["B"] is not b:
            return
        self.blender = blender
        self.render = ProgressiveRender(blender.frames, blender.model.samples_per_latent,
                                        channels=self.player.mixer.channels)
        self.waveform.set_clip(a.clip)  # the time axis until the blend itself is rendered
        duration = blender.seconds
        restored, self._restored_curve = self._restored_curve, None
        if restored is not None and abs(restored[0] - duration) <= 1e-3:
            self.editor.set_duration(duration)
            self.editor.set_points(restored[1])
        elif abs(self.editor.duration - duration) > 1e-3:
            self.editor.set_duration(duration)
            self.editor.set_points(keyframes.default_points(duration))
            self.changed.emit()  # the timeline the session keeps is a new one
        self.editor.set_beats(a.beats)
        if self.align_beats.isChecked():
            self._apply_beat_alignment(render=False)
        self.status.setText(f"A × B ready: {duration:.1f} s")
        self._refresh()
        self.start_render()

    def _apply_beat_alignment(self, *_args, render: bool = True) -> None:
        if self.blender is None:
            return
        a, b = self.sources["A"], self.sources["B"]
        if not self.align_beats.isChecked():
            self.blender.align_beats(None, None)
        elif a.beats is None or b.beats is None:
            self.message.emit("Finding the beats of A and B…")
            return
        elif self.blender.align_beats(a.beats, b.beats):
            self.message.emit(f"B follows A's beats ({len(a.beats)} beats in A, {len(b.beats)} in B).")
        else:
            self.message.emit("Too few beats to align: A or B has no steady beat.")
        if render:
            self.schedule_render()

    def recipe(self) -> BlendRecipe:
        """What the controls ask for now (Steps mode plays the mix)."""
        interpolation = self.interpolation.currentData()
        mode = MODES[self.mode_group.checkedId()]
        detail = self.detail.value() / 100
        if mode == "Timeline":
            return BlendRecipe("curve", interpolation=interpolation, points=self.editor.points,
                               detail=detail)
        if mode == "Style":
            return BlendRecipe("style", strength=self.strength.value() / 100, detail=detail)
        return BlendRecipe("mix", alpha=self.alpha.value() / 100, interpolation=interpolation,
                           detail=detail)

    def schedule_render(self, *_args) -> None:
        if self.blender is not None:
            self.render.done[:] = False  # stale now: Play must wait for the new recipe's audio
            self._render_timer.start()

    def start_render(self) -> None:
        """Render the current recipe, from a little ahead of the playhead when playing."""
        self._render_timer.stop()
        blender, render, model = self.blender, self.render, self._model_getter()
        if blender is None or render is None:
            return
        recipe = self.recipe()
        start = self.position_samples()
        if self.playing:
            start += LEAD_SAMPLES
        self.pool.cancel_kind("blend-render")
        self._render_start = start // render.samples_per_latent
        render.done[:] = False
        self.result_clip = None
        self._rendering = True
        playing = self.playing  # a change heard while playing fades in; otherwise exact
        job = self.pool.submit(
            "blend-render", lambda ctx: render.render(model, blender.latents(recipe), start, ctx,
                                                      residual=blender.residual(recipe),
                                                      crossfade=playing),
            lane="model", on_progress=lambda f, t: self._on_render_progress(render, f),
            on_result=lambda _: self._on_rendered(render, recipe),
            on_error=lambda message: self._on_render_ended(job, message),
            on_cancelled=lambda: self._on_render_ended(job))
        self._render_job = job
        self._refresh()

    def _on_render_ended(self, job, message: str = "") -> None:
        if job is self._render_job:
            self._rendering = False
        if message:
            self.message.emit(message)

    def _on_render_progress(self, render: ProgressiveRender, fraction: float) -> None:
        if render is not self.render:
            return
        self.status.setText(f"Rendering {fraction * 100:.0f} %")
        if self._play_pending:
            self._start_player_if_ready()

    def _on_rendered(self, render: ProgressiveRender, recipe: BlendRecipe) -> None:
        if render is not self.render:
            return
        self._rendering = False
        if self._play_pending:
            self._start_player_if_ready()
        self.status.setText(f"Rendered: {recipe.describe()}")
        a, b = self.sources["A"], self.sources["B"]
        name = f"{a.clip.name} × {b.clip.name} ({recipe.describe()})"
        rate, model = a.clip.sample_rate, self.blender.model.name
        origin = {"model": model, "blend": recipe.describe()}
        # The copy is made on the worker: a long song's copy would stall the UI thread.
        self.pool.submit("blend-clip",
                         lambda ctx: make_clip(name, render.copy(), rate, origin=origin, ctx=ctx),
                         lane="io", on_result=lambda clip: self._on_result_clip(render, clip),
                         on_error=self.message.emit)

    def _on_result_clip(self, render: ProgressiveRender, clip: Clip) -> None:
        if render is not self.render or not render.done.all():
            return  # a newer render started meanwhile
        self.result_clip = clip
        self.waveform.set_clip(clip)
        self._refresh()

    # -- steps -----------------------------------------------------------------------
    def make_morph_steps(self) -> None:
        blender = self.blender
        if blender is None:
            self.message.emit("Drop a sound into A and into B first.")
            return
        count, interpolation = self.step_count.value(), self.interpolation.currentData()
        detail = self.detail.value() / 100
        a, b = self.sources["A"].clip, self.sources["B"].clip
        rate, model = a.sample_rate, blender.model.name

        def run(ctx):
            clips = []
            for i, (alpha, audio) in enumerate(blender.steps(count, interpolation, ctx, detail)):
                clips.append(make_clip(f"{a.name} → {b.name} {i + 1}/{count}", audio, rate,
                                       origin={"model": model, "blend": f"step {i + 1}/{count}, "
                                               f"alpha {alpha:.3f}"}))
            return clips

        self.status.setText(f"Making {count} morph steps…")
        self.pool.submit("blend-steps", run, lane="model",
                         on_progress=lambda f, t: self.status.setText(f"{t} ({f * 100:.0f} %)"),
                         on_result=lambda clips: self._on_steps(clips), on_error=self.message.emit)

    def _on_steps(self, clips: list[Clip]) -> None:
        self.status.setText(f"{len(clips)} morph steps are in the tiles above.")
        self.tiles_ready.emit(clips, "Morph steps")

    # -- playback --------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return (self.render is not None and self.player.is_playing
                and self.player.mixer.clip is self.render.view)

    def position_samples(self) -> int:
        if self.render is None:
            return 0
        if self.playing:
            position = self.player.mixer.position_frames
        else:
            position = int(self.waveform.playhead.value() * self.blender.model.sample_rate)
        return position if position < self.render.frames - 1 else 0

    def toggle_play(self) -> None:
        if self.playing or self._play_pending:
            self._play_pending = False
            self.player.stop()
            self._refresh()
            return
        if self.render is None:
            self.message.emit("Drop a sound into A and into B first.")
            return
        self._play_pressed_at = time.perf_counter()
        self._play_pending = True
        start_latent = self.position_samples() // self.render.samples_per_latent
        if not self._start_player_if_ready() and not (self._rendering
                                                      and self._render_start == start_latent):
            self.start_render()  # render from the playhead now, not wherever the last one began
        self._refresh()

    def _start_player_if_ready(self) -> bool:
        render = self.render
        start = self.position_samples()
        if render is None or not render.done[start // render.samples_per_latent]:
            return False
        self._play_pending = False
        if not self.player.play(render.view, start_frame=start, loop=self.player.mixer.loop):
            self.message.emit(self.player.status_text)
        self.first_audio_ms = (time.perf_counter() - self._play_pressed_at) * 1000
        self._refresh()
        return True

    def seek(self, seconds: float) -> None:
        if self.render is None:
            return
        frame = int(seconds * self.blender.model.sample_rate)
        if self.playing:
            self.player.seek(frame)
            if not self.render.done[min(frame // self.render.samples_per_latent,
                                        self.render.done.size - 1)]:
                self.start_render()
        self.waveform.set_playhead(seconds)
        self.editor.set_playhead(seconds)

    def _follow_playhead(self) -> None:
        if self.playing:
            seconds = self.player.mixer.position_frames / self.blender.model.sample_rate
            self.waveform.set_playhead(seconds)
            self.editor.set_playhead(seconds)
        if self.play_button.isChecked() != (self.playing or self._play_pending):
            self._refresh()

    def shutdown(self) -> None:
        """Stop the timers before the pool closes (the window is closing)."""
        self._render_timer.stop()
        self._playhead_timer.stop()
        self.blender = None  # nothing more gets scheduled

    # -- control handlers ---------------------------------------------------------------
    def _on_mode(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        self.editor.setVisible(MODES[index] == "Timeline")
        self.interpolation.setEnabled(MODES[index] != "Style")
        if MODES[index] != "Steps":
            self.schedule_render()

    def _on_alpha(self, value: int) -> None:
        self.alpha_label.setText(f"{value} % B")
        self.schedule_render()

    def _on_detail(self, value: int) -> None:
        self.detail_label.setText(f"{value} %")
        self.schedule_render()

    def _on_strength(self, value: int) -> None:
        self.strength_label.setText(f"{value} %")
        self.schedule_render()

    def _on_snap(self, on: bool) -> None:
        self.editor.snap_to_beats = on

    def _reset_curve(self) -> None:
        self.editor.set_points(keyframes.default_points(self.editor.duration))
        self.schedule_render()
        self.changed.emit()

    def _refresh(self) -> None:
        ready = self.render is not None
        self.play_button.setEnabled(ready)
        self.play_button.setCheckable(True)
        active = self.playing or self._play_pending
        self.play_button.setChecked(active)
        self.play_button.setText("■ Stop" if active else "▶ Play")
        self.make_steps.setEnabled(self.blender is not None)
        for button in (self.to_tiles_button, self.export_button):
            button.setEnabled(self.result_clip is not None)
        if not ready and self.sources["A"] is None and self.sources["B"] is None:
            self.status.setText("Drop two sounds or songs into A and B")
