"""The Blend tab: two slots, four modes, and a blend that plays while it renders.

The widgets bind to a :class:`~sketchpad.core.blend_session.BlendSession`,
which owns the sources, the encodes, the blend, its renders and the player
calls; this view shows its events, debounces control moves into renders and
keeps the timeline editor. Morph steps become tiles in the grid above.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QFileDialog, QHBoxLayout,
                               QLabel, QPushButton, QSlider, QSpinBox, QStackedWidget,
                               QVBoxLayout, QWidget)

from sketchpad.audio.io import SUPPORTED_EXTENSIONS
from sketchpad.core import keyframes
from sketchpad.core.blend_session import MODES, BlendSession
from sketchpad.core.clip import Clip
from sketchpad.ui.blend_slot import BlendSlot
from sketchpad.ui.keyframe_editor import KeyframeEditor
from sketchpad.ui.waveform_view import WaveformView

RENDER_DELAY_MS = 30  # controls moving faster than this make one render
PLAYHEAD_MS = 33
MODEL_WAIT_MS = 500  # how often a slot waiting for the sound model tries again


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
        self.player = player
        self.session = BlendSession(pool, player, model_getter)
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
        session = self.session
        session.slot.connect(self._show_slot)
        session.prepared.connect(self._on_prepared)
        session.beats.connect(self._on_beats)
        session.status.connect(self.status.setText)
        session.message.connect(self.message.emit)
        session.result.connect(self.waveform.set_clip)
        session.steps.connect(lambda clips: self.tiles_ready.emit(clips, "Morph steps"))
        session.changed.connect(self.changed.emit)
        session.refresh.connect(self._refresh)
        self._refresh()

    # What tests, benches and the window read.
    sources = property(lambda self: self.session.sources)
    blender = property(lambda self: self.session.blender)
    render = property(lambda self: self.session.render)
    result_clip = property(lambda self: self.session.result_clip)
    first_audio_ms = property(lambda self: self.session.first_audio_ms)
    playing = property(lambda self: self.session.playing)

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
        self.session.load(letter, path)

    def set_source(self, letter: str, clip: Clip) -> None:
        """Put an already decoded clip (a file, or a tile) into slot ``letter``."""
        self.session.set_source(letter, clip)

    def swap(self) -> None:
        self.session.swap()

    def _show_slot(self, letter: str, state: str, name: str, text: str, fraction: float) -> None:
        slot = self.slots[letter]
        if state == "busy":
            slot.set_busy(name, text, fraction)
            if text.startswith("waiting"):
                QTimer.singleShot(MODEL_WAIT_MS, self._encode_waiting)
        elif state == "ready":
            slot.set_ready(name, text)
        elif state == "failed":
            slot.set_failed(text)
        else:
            slot.set_empty()

    def _encode_waiting(self) -> None:
        if self._playhead_timer.isActive():  # not shut down meanwhile
            self.session.encode_waiting()

    def _on_beats(self, letter: str, beats) -> None:
        if letter == "A":
            self.editor.set_beats(beats)

    # -- the session file ------------------------------------------------------------------
    def source_clips(self) -> dict[str, Clip]:
        """The clips in A and B, by letter (empty slots left out)."""
        return self.session.source_clips()

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
            if letter in self.session.sources:
                self.set_source(letter, clip)

    # -- the blend -------------------------------------------------------------------
    def _on_prepared(self, a) -> None:
        self.waveform.set_clip(a.clip)  # the time axis until the blend itself is rendered
        duration = self.session.blender.seconds
        restored, self._restored_curve = self._restored_curve, None
        if restored is not None and abs(restored[0] - duration) <= 1e-3:
            self.editor.set_duration(duration)
            self.editor.set_points(restored[1])
        elif abs(self.editor.duration - duration) > 1e-3:
            self.editor.set_duration(duration)
            self.editor.set_points(keyframes.default_points(duration))
            self.changed.emit()  # the timeline the session keeps is a new one
        self.editor.set_beats(a.beats)
        self._read_controls()

    def _read_controls(self) -> None:
        c = self.session.controls
        c.mode = MODES[self.mode_group.checkedId()]
        c.interpolation = self.interpolation.currentData()
        c.alpha = self.alpha.value() / 100
        c.detail = self.detail.value() / 100
        c.strength = self.strength.value() / 100
        c.align_beats = self.align_beats.isChecked()
        c.points = self.editor.points
        if not self.session.playing:
            self.session.cursor_seconds = self.waveform.playhead.value()

    def schedule_render(self, *_args) -> None:
        self._read_controls()
        if self.session.mark_stale():  # Play must wait for the new recipe's audio
            self._render_timer.start()

    def start_render(self) -> None:
        """Render the current recipe now (the debounce timer calls this)."""
        self._render_timer.stop()
        self._read_controls()
        self.session.start_render()

    def _apply_beat_alignment(self, *_args) -> None:
        self._read_controls()
        self.session.apply_beat_alignment()

    def make_morph_steps(self) -> None:
        self._read_controls()
        self.session.make_morph_steps(self.step_count.value())

    # -- playback --------------------------------------------------------------------
    def toggle_play(self) -> None:
        self._read_controls()
        self.session.toggle_play()

    def seek(self, seconds: float) -> None:
        if self.session.render is None:
            return
        self.session.seek(seconds)
        self.waveform.set_playhead(seconds)
        self.editor.set_playhead(seconds)

    def _follow_playhead(self) -> None:
        seconds = self.session.playhead_seconds()
        if seconds is not None:
            self.waveform.set_playhead(seconds)
            self.editor.set_playhead(seconds)
        if self.play_button.isChecked() != self.session.active:
            self._refresh()

    def shutdown(self) -> None:
        """Stop the timers before the pool closes (the window is closing)."""
        self._render_timer.stop()
        self._playhead_timer.stop()
        self.session.close()

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
        session = self.session
        ready = session.render is not None
        self.play_button.setEnabled(ready)
        self.play_button.setCheckable(True)
        active = session.active
        self.play_button.setChecked(active)
        self.play_button.setText("■ Stop" if active else "▶ Play")
        self.make_steps.setEnabled(session.blender is not None)
        for button in (self.to_tiles_button, self.export_button):
            button.setEnabled(session.result_clip is not None)
        if not ready and session.sources["A"] is None and session.sources["B"] is None:
            self.status.setText("Drop two sounds or songs into A and B")
