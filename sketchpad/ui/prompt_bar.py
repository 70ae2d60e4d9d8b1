"""The prompt box: type a description, Enter generates; Up/Down walk the history.

Count, seed and its lock sit beside the box; the engine, the generator's
guidance and intensity, the length and the variation amount are one click
away under "Options" so the bar stays calm.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QSpinBox, QToolButton, QVBoxLayout, QWidget)


class PromptBar(QWidget):
    """``generate_requested(prompt, count, seed)`` fires on Enter or the button.

    ``seconds()`` (None: the sound's natural length) and ``variation()`` are read
    by the window when it starts the job.
    """

    generate_requested = Signal(str, int, int)
    engine_changed = Signal(str)  # "generator" or "retrieval"
    values_changed = Signal()  # anything values() returns (the session saves it)

    def __init__(self, history: list[str] | None = None, parent=None):
        super().__init__(parent)
        self.setObjectName("promptBar")
        # Newest first; the project's list, which the window updates on generation.
        self.history: list[str] = history if history is not None else []
        self._history_pos = -1
        self.edit = QLineEdit()
        self.edit.setObjectName("promptEdit")
        self.edit.setPlaceholderText('Describe a sound: "punchy 808 kick", "warm pad C3", "plucky bass E2"')
        self.edit.setToolTip("Enter generates; Up and Down recall earlier prompts (Ctrl+L focuses)")
        self.edit.returnPressed.connect(self.request)
        self.edit.installEventFilter(self)
        self.count = QSpinBox()
        self.count.setRange(1, 16)
        self.count.setValue(8)
        self.count.setToolTip("How many sounds to generate")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("Seed: the same prompt and seed give the same sounds")
        self.lock_seed = QCheckBox("lock")
        self.lock_seed.setToolTip("Keep this seed; otherwise each generation takes the next one")
        self.button = QPushButton("Generate")
        self.button.setToolTip("Generate (Enter)")
        self.button.clicked.connect(self.request)
        self.options_button = QToolButton()
        self.options_button.setText("Options")
        self.options_button.setCheckable(True)
        self.options_button.setToolTip("Engine, length and variation")

        self.engine = QComboBox()
        self.engine.addItem("Generator", "generator")
        self.engine.addItem("Retrieval blend", "retrieval")
        self.engine.setToolTip("Generator: the trained text-to-sound model. Retrieval blend: the "
                               "prompt picks recorded sounds and blends their latents")
        self.engine.currentIndexChanged.connect(self._on_engine_changed)
        self.guidance = QDoubleSpinBox()
        self.guidance.setRange(1.0, 10.0)
        self.guidance.setSingleStep(0.5)
        self.guidance.setValue(3.0)
        self.guidance.setToolTip("Guidance: how strictly the generator follows the prompt "
                                 "(1: loose and varied, 3: default, higher: literal)")
        self.velocity = QComboBox()
        for label, value in (("any", 0), ("soft", 40), ("medium", 80), ("hard", 120)):
            self.velocity.addItem(label, value)
        self.velocity.setToolTip("Intensity: how hard the note or hit is played (generator)")
        self.length = QDoubleSpinBox()
        self.length.setRange(0.0, 10.0)
        self.length.setSingleStep(0.5)
        self.length.setSuffix(" s")
        self.length.setSpecialValueText("natural")
        self.length.setToolTip("Length of each sound; 'natural' keeps its own release")
        self.variation = QDoubleSpinBox()
        self.variation.setRange(0.0, 1.0)
        self.variation.setSingleStep(0.1)
        self.variation.setValue(0.3)
        self.variation.setToolTip("How far results stray from the sounds the prompt found "
                                  "(0: faithful, 1: adventurous)")
        self.options = QWidget()
        options = QHBoxLayout(self.options)
        options.setContentsMargins(0, 0, 0, 0)
        for label, widget in (("engine", self.engine), ("guidance", self.guidance),
                              ("intensity", self.velocity), ("length", self.length),
                              ("variation", self.variation)):
            options.addWidget(QLabel(label))
            options.addWidget(widget)
        options.addStretch(1)
        self.options.setVisible(False)
        self.options_button.toggled.connect(self.options.setVisible)
        self.edit.textChanged.connect(self.values_changed)
        for spin in (self.count, self.seed, self.guidance, self.length, self.variation):
            spin.valueChanged.connect(self.values_changed)
        self.lock_seed.toggled.connect(self.values_changed)
        self.velocity.currentIndexChanged.connect(self.values_changed)

        row = QHBoxLayout()
        row.addWidget(self.edit, 1)
        for label, widget in (("count", self.count), ("seed", self.seed)):
            row.addWidget(QLabel(label))
            row.addWidget(widget)
        row.addWidget(self.lock_seed)
        row.addWidget(self.options_button)
        row.addWidget(self.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        layout.addLayout(row)
        layout.addWidget(self.options)

    def seconds(self) -> float | None:
        return self.length.value() or None

    def engine_kind(self) -> str:
        return self.engine.currentData()

    def generator_options(self) -> dict:
        """Guidance and intensity for the generator engine."""
        options = {"guidance": self.guidance.value()}
        if self.velocity.currentData():
            options["velocity"] = int(self.velocity.currentData())
        return options

    def set_engine_kind(self, kind: str) -> None:
        """Select ``kind`` without asking for a reload (the window already loads it)."""
        index = self.engine.findData(kind)
        if index >= 0:
            self.engine.blockSignals(True)
            self.engine.setCurrentIndex(index)
            self.engine.blockSignals(False)
        self._show_engine_controls()

    def _on_engine_changed(self) -> None:
        self._show_engine_controls()
        self.engine_changed.emit(self.engine_kind())

    def _show_engine_controls(self) -> None:
        generator = self.engine_kind() == "generator"
        self.guidance.setEnabled(generator)
        self.velocity.setEnabled(generator)

    def set_ready(self, ready: bool, reason: str = "") -> None:
        self.button.setEnabled(ready)
        self.button.setText("Generate" if ready else reason or "Loading…")

    def request(self) -> None:
        prompt = " ".join(self.edit.text().split())
        if not prompt or not self.button.isEnabled():
            return
        self._history_pos = -1
        self.generate_requested.emit(prompt, self.count.value(), self.seed.value())
        if not self.lock_seed.isChecked():
            self.seed.setValue((self.seed.value() + 1) % self.seed.maximum())

    # -- session -------------------------------------------------------------------
    def values(self) -> dict:
        """The bar's state, JSON-ready, for the session file."""
        return {"prompt": self.edit.text(), "count": self.count.value(),
                "seed": self.seed.value(), "lock_seed": self.lock_seed.isChecked(),
                "length": self.length.value(), "variation": self.variation.value(),
                "guidance": self.guidance.value(), "velocity": self.velocity.currentIndex()}

    def set_values(self, values: dict) -> None:
        """Apply what :meth:`values` returned; unknown or bad entries are ignored."""
        for key, setter in (("prompt", self.edit.setText), ("count", self.count.setValue),
                            ("seed", self.seed.setValue), ("lock_seed", self.lock_seed.setChecked),
                            ("length", self.length.setValue),
                            ("variation", self.variation.setValue),
                            ("guidance", self.guidance.setValue),
                            ("velocity", self.velocity.setCurrentIndex)):
            if key in values:
                try:
                    setter(values[key])
                except (TypeError, ValueError, OverflowError):
                    pass

    def eventFilter(self, obj, event):
        if obj is self.edit and event.type() == event.Type.KeyPress and self.history:
            if event.key() == Qt.Key.Key_Up:
                self._history_pos = min(self._history_pos + 1, len(self.history) - 1)
            elif event.key() == Qt.Key.Key_Down:
                self._history_pos = max(self._history_pos - 1, -1)
            else:
                return False
            self.edit.setText(self.history[self._history_pos] if self._history_pos >= 0 else "")
            return True
        return False
