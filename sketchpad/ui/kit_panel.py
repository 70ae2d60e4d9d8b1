"""The Kit tab: 16 pads, the selected pad's settings and a 16-step pattern.

A view of :class:`sketchpad.core.kit.Kit`: it follows the kit's change events
and writes edits back to it; sound goes through the kit's voice mixer. Loading
dropped files and exporting are the window's jobs (``files_dropped``,
``export_requested``, ``drag_requested``), so this widget runs no work itself.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QApplication, QCheckBox, QComboBox, QDoubleSpinBox, QFrame, QGridLayout,
                               QHBoxLayout, QLabel, QLineEdit, QPushButton, QSlider, QSpinBox,
                               QVBoxLayout, QWidget)

from sketchpad.core.kit import (CHOKE_GROUPS, PAD_COUNT, STEP_COUNT, SWING_RANGE, TEMPO_RANGE, Kit)
from sketchpad.ui.blend_slot import dropped_audio_path
from sketchpad.ui.wav_out import CLIP_MIME, DragHandle

STEP_POLL_MS = 30


class ElidedLabel(QLabel):
    """A one-line label that shortens its text with an ellipsis to fit (the tooltip has it all)."""

    def __init__(self, text: str = "", parent=None):
        super().__init__(parent)
        self._full = ""
        self.setMinimumWidth(20)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self._full = text
        self._elide()

    def text(self) -> str:  # noqa: N802
        return self._full

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, max(20, self.width()))
        super().setText(shown)


class PadButton(QFrame):
    """One pad: click plays it and selects it; drop a sound or a file on it."""

    pressed = Signal(int)
    dropped = Signal(int, object)  # index, QMimeData

    def __init__(self, index: int, parent=None):
        super().__init__(parent)
        self.index = index
        self.setObjectName("padButton")
        self.setAcceptDrops(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumSize(80, 46)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.number = QLabel(f"{index + 1}  ·  note {Kit.note_of_pad(index)}")
        self.number.setObjectName("padNumber")
        self.title = ElidedLabel("empty")
        self.title.setObjectName("padTitle")
        column = QVBoxLayout(self)
        column.setContentsMargins(6, 4, 6, 4)
        column.setSpacing(1)
        column.addWidget(self.number)
        column.addWidget(self.title, 1)

    def show_pad(self, name: str, filled: bool, selected: bool) -> None:
        self.title.setText(name if filled else "empty")
        self.setProperty("filled", filled)
        self.setProperty("selected", selected)
        self.setToolTip(f"Pad {self.index + 1} (MIDI note {Kit.note_of_pad(self.index)}): "
                        + (f"{name}. Click to play; drop a sound to replace it" if filled else
                           "drop a tile, a kept sound or a file here, or press P with a sound on show"))
        self.style().unpolish(self)
        self.style().polish(self)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.pressed.emit(self.index)

    def dragEnterEvent(self, event) -> None:
        mime = event.mimeData()
        if mime.hasFormat(CLIP_MIME) or dropped_audio_path(mime) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        event.acceptProposedAction()
        self.dropped.emit(self.index, event.mimeData())


class StepCell(QPushButton):
    def __init__(self, pad: int, step: int, parent=None):
        super().__init__(parent)
        self.pad, self.step = pad, step
        self.setObjectName("stepCell")
        self.setCheckable(True)
        self.setFixedSize(20, 16)
        self.setProperty("beat", step % 4 == 0)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)


class KitPanel(QWidget):
    """Signals: ``files_dropped(pad, paths)``, ``clip_dropped(pad, uid)``,
    ``export_requested()``, ``drag_requested(widget)``, ``message(text)``."""

    files_dropped = Signal(int, list)
    clip_dropped = Signal(int, str)
    export_requested = Signal()
    drag_requested = Signal(object)
    message = Signal(str)

    def __init__(self, kit: Kit, player, parent=None):
        super().__init__(parent)
        self.kit = kit
        self.player = player
        self.selected = 0
        self.pads = [PadButton(i) for i in range(PAD_COUNT)]
        pad_grid = QGridLayout()
        pad_grid.setSpacing(4)
        for i, pad in enumerate(self.pads):
            # Pad 1 bottom left, as on hardware pad controllers.
            pad_grid.addWidget(pad, 3 - i // 4, i % 4)
            pad.pressed.connect(self._pad_pressed)
            pad.dropped.connect(self._pad_dropped)
        self._build_pad_editor()
        left = QVBoxLayout()
        left.addLayout(pad_grid)
        left.addWidget(self.editor)

        steps = self._build_step_grid()
        self.play_button = QPushButton("▶ Play pattern")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Loop the pattern through the pads (Shift+Space)")
        self.play_button.toggled.connect(self._play_toggled)
        self.tempo = QDoubleSpinBox()
        self.tempo.setRange(*TEMPO_RANGE)
        self.tempo.setDecimals(1)
        self.tempo.setSuffix(" BPM")
        self.tempo.setKeyboardTracking(False)
        self.tempo.valueChanged.connect(self.kit.set_tempo)
        self.swing = QSlider(Qt.Orientation.Horizontal)
        self.swing.setRange(int(SWING_RANGE[0]), int(SWING_RANGE[1]))
        self.swing.setFixedWidth(90)
        self.swing.valueChanged.connect(self.kit.set_swing)
        self.swing_label = QLabel()
        clear = QPushButton("Clear")
        clear.setToolTip("Remove every step of the pattern")
        clear.clicked.connect(self.kit.clear_pattern)
        export = QPushButton("Export Kit…")
        export.setToolTip("Write the kit as a folder: one WAV per pad, an SFZ instrument and "
                          "the pattern as a MIDI file, into the export folder")
        export.clicked.connect(self.export_requested.emit)
        self.drag_handle = DragHandle(self.drag_requested.emit, text="⠿ Drag kit",
                                      tip="Drag the kit folder (WAVs, SFZ, MIDI pattern) into your "
                                      "DAW or a file manager")
        transport = QHBoxLayout()
        for widget in (self.play_button, QLabel("Tempo"), self.tempo, QLabel("Swing"), self.swing,
                       self.swing_label, clear):
            transport.addWidget(widget)
        transport.addStretch(1)
        take_away = QHBoxLayout()
        take_away.addStretch(1)
        take_away.addWidget(export)
        take_away.addWidget(self.drag_handle)
        self.keys_mode = QComboBox()
        self.keys_mode.addItem("Keys play the sound on show", "sound")
        self.keys_mode.addItem("Keys play the kit (a pad per note)", "kit")
        self.keys_mode.setToolTip("What a MIDI keyboard and the computer keyboard play")
        self.computer_keys = QCheckBox("Computer keyboard (Ctrl+K)")
        self.computer_keys.setToolTip("A W S E D F T G Y H U J K: an octave from C; Z/X octave "
                                      "down/up; C/V velocity. While on, K does not keep a sound.")
        self.midi_label = QLabel("MIDI: not connected")
        self.midi_label.setObjectName("midiLabel")
        keys_row = QHBoxLayout()
        keys_row.addWidget(self.computer_keys)
        keys_row.addStretch(1)
        keys_row.addWidget(self.midi_label)
        left.addWidget(self.keys_mode)
        left.addLayout(keys_row)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addLayout(transport)
        right.addLayout(steps)
        right.addStretch(1)
        right.addLayout(take_away)
        row = QHBoxLayout(self)
        row.addLayout(left, 0)
        row.addLayout(right, 1)

        self._step_timer = QTimer(self)
        self._step_timer.setInterval(STEP_POLL_MS)
        self._step_timer.timeout.connect(self._show_current_step)
        self._shown_step = -1
        kit.pad_changed.connect(self._show_pad)
        kit.pattern_changed.connect(self._show_pattern)
        for i in range(PAD_COUNT):
            self._show_pad(i)
        self._show_pattern()

    def _build_step_grid(self) -> QGridLayout:
        self.cells = [[StepCell(p, s) for s in range(STEP_COUNT)] for p in range(PAD_COUNT)]
        self.row_labels = [ElidedLabel() for _ in range(PAD_COUNT)]
        # One light per step shows where the pattern is (cheaper to restyle than a column of cells).
        self.step_lights = [QLabel() for _ in range(STEP_COUNT)]
        steps = QGridLayout()
        steps.setHorizontalSpacing(2)
        steps.setVerticalSpacing(2)
        for s, light in enumerate(self.step_lights):
            light.setObjectName("stepLight")
            light.setFixedSize(20, 5)
            steps.addWidget(light, 0, s + 1)
        for p in range(PAD_COUNT):
            self.row_labels[p].setObjectName("stepRowLabel")
            self.row_labels[p].setFixedWidth(96)
            steps.addWidget(self.row_labels[p], p + 1, 0)
            for s, cell in enumerate(self.cells[p]):
                steps.addWidget(cell, p + 1, s + 1)
                cell.clicked.connect(lambda _=False, p=p, s=s: self._step_clicked(p, s))
        steps.setColumnStretch(STEP_COUNT + 1, 1)
        return steps

    def _build_pad_editor(self) -> None:
        self.editor = QFrame()
        self.editor.setObjectName("padEditor")
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("pad name")
        self.name_edit.editingFinished.connect(
            lambda: self.kit.update_pad(self.selected, name=self.name_edit.text().strip()))
        self.gain = QDoubleSpinBox()
        self.gain.setRange(-60.0, 12.0)
        self.gain.setSingleStep(0.5)
        self.gain.setSuffix(" dB")
        self.gain.setKeyboardTracking(False)
        self.gain.valueChanged.connect(lambda v: self.kit.update_pad(self.selected, gain_db=v))
        self.pan = QSlider(Qt.Orientation.Horizontal)
        self.pan.setRange(-100, 100)
        self.pan.setToolTip("Pan (double-click the label to centre)")
        self.pan.valueChanged.connect(lambda v: self.kit.update_pad(self.selected, pan=v / 100.0))
        self.tune = QSpinBox()
        self.tune.setRange(-24, 24)
        self.tune.setSuffix(" st")
        self.tune.setKeyboardTracking(False)
        self.tune.valueChanged.connect(lambda v: self.kit.update_pad(self.selected, tune_semitones=float(v)))
        self.choke = QComboBox()
        self.choke.addItem("none", 0)
        for group in range(1, CHOKE_GROUPS + 1):
            self.choke.addItem(f"group {group}", group)
        self.choke.setToolTip("Pads in one choke group cut each other off (open and closed hi-hat)")
        self.choke.currentIndexChanged.connect(
            lambda _: self.kit.update_pad(self.selected, choke_group=int(self.choke.currentData())))
        clear = QPushButton("Clear pad")
        clear.clicked.connect(lambda: self.kit.assign(self.selected, None))
        self.editor_title = QLabel()
        self.editor_title.setObjectName("sectionLabel")
        grid = QGridLayout(self.editor)
        grid.setContentsMargins(4, 4, 4, 4)
        grid.addWidget(self.editor_title, 0, 0, 1, 4)
        grid.addWidget(QLabel("Name"), 1, 0)
        grid.addWidget(self.name_edit, 1, 1, 1, 3)
        grid.addWidget(QLabel("Gain"), 2, 0)
        grid.addWidget(self.gain, 2, 1)
        grid.addWidget(QLabel("Tune"), 2, 2)
        grid.addWidget(self.tune, 2, 3)
        grid.addWidget(QLabel("Pan"), 3, 0)
        grid.addWidget(self.pan, 3, 1)
        grid.addWidget(QLabel("Choke"), 3, 2)
        grid.addWidget(self.choke, 3, 3)
        grid.addWidget(clear, 4, 3)

    # -- pads ---------------------------------------------------------------------------
    def select_pad(self, index: int) -> None:
        old, self.selected = self.selected, index
        self._show_pad(old)
        self._show_pad(index)

    def _pad_pressed(self, index: int) -> None:
        self.select_pad(index)
        if not self.kit.pads[index].empty:
            if not self.player.open():
                self.message.emit(self.player.status_text)
            self.kit.hit(index)

    def _pad_dropped(self, index: int, mime) -> None:
        self.select_pad(index)
        if mime.hasFormat(CLIP_MIME):
            self.clip_dropped.emit(index, bytes(mime.data(CLIP_MIME)).decode())
            return
        path = dropped_audio_path(mime)
        if path is not None:
            self.files_dropped.emit(index, [path])

    def _show_pad(self, index: int) -> None:
        pad = self.kit.pads[index]
        self.pads[index].show_pad(pad.name, not pad.empty, index == self.selected)
        self.row_labels[index].setText(f"{index + 1} {pad.name}" if not pad.empty else f"{index + 1}")
        self.row_labels[index].setEnabled(not pad.empty)
        if index == self.selected:
            self._show_editor()

    def _show_editor(self) -> None:
        pad = self.kit.pads[self.selected]
        self.editor_title.setText(f"Pad {self.selected + 1} · MIDI note {Kit.note_of_pad(self.selected)}")
        widgets = (self.name_edit, self.gain, self.pan, self.tune, self.choke)
        for widget in widgets:
            widget.blockSignals(True)
            widget.setEnabled(not pad.empty)
        self.name_edit.setText(pad.name)
        self.gain.setValue(pad.gain_db)
        self.pan.setValue(int(round(pad.pan * 100)))
        self.tune.setValue(int(round(pad.tune_semitones)))
        self.choke.setCurrentIndex(pad.choke_group)
        for widget in widgets:
            widget.blockSignals(False)

    # -- pattern ------------------------------------------------------------------------
    def _step_clicked(self, pad: int, step: int) -> None:
        soft = QApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier
        self.kit.toggle_step(pad, step, 0.5 if soft else 1.0)

    def _show_pattern(self) -> None:
        pattern = self.kit.pattern
        for p in range(PAD_COUNT):
            for s in range(STEP_COUNT):
                cell = self.cells[p][s]
                velocity = pattern.velocity[p][s]
                cell.blockSignals(True)
                cell.setChecked(velocity > 0)
                cell.blockSignals(False)
                soft = 0 < velocity < 0.75
                if cell.property("soft") != soft:
                    cell.setProperty("soft", soft)
                    cell.style().unpolish(cell)
                    cell.style().polish(cell)
        for widget, value in ((self.tempo, pattern.tempo_bpm), (self.swing, int(round(pattern.swing)))):
            widget.blockSignals(True)
            widget.setValue(value)
            widget.blockSignals(False)
        self.swing_label.setText(f"{pattern.swing:.0f} %")

    def toggle_pattern(self) -> None:
        self.play_button.toggle()

    def _play_toggled(self, on: bool) -> None:
        voices = self.player.voices
        if on:
            if not self.player.open():
                self.message.emit(self.player.status_text)
                self.play_button.setChecked(False)
                return
            voices.start()
            self._step_timer.start()
        else:
            voices.stop_sequence()
            self._step_timer.stop()
            self._light_step(-1)
        self.play_button.setText("■ Stop pattern" if on else "▶ Play pattern")

    def _show_current_step(self) -> None:
        self._light_step(self.player.voices.current_step)

    def _light_step(self, step: int) -> None:
        if step == self._shown_step:
            return
        for s in (self._shown_step, step):
            if 0 <= s < STEP_COUNT:
                light = self.step_lights[s]
                light.setProperty("now", s == step)
                light.style().unpolish(light)
                light.style().polish(light)
        self._shown_step = step

    def set_midi_text(self, text: str) -> None:
        self.midi_label.setText(text)

    def shutdown(self) -> None:
        self._step_timer.stop()
        self.player.voices.stop_sequence()

