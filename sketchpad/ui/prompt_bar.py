"""The prompt box: type a description, Enter generates; Up/Down walk the history."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox,
                               QWidget)


class PromptBar(QWidget):
    """``generate_requested(prompt, count, seed)`` fires on Enter or the button."""

    generate_requested = Signal(str, int, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("promptBar")
        self.history: list[str] = []
        self._history_pos = -1
        self.edit = QLineEdit()
        self.edit.setObjectName("promptEdit")
        self.edit.setPlaceholderText('Describe a sound: "punchy 808 kick", "warm pad C3", "plucky bass E2"')
        self.edit.setToolTip("Enter generates; Up and Down recall earlier prompts")
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
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.edit, 1)
        for label, widget in (("count", self.count), ("seed", self.seed)):
            layout.addWidget(QLabel(label))
            layout.addWidget(widget)
        layout.addWidget(self.lock_seed)
        layout.addWidget(self.button)

    def set_ready(self, ready: bool, reason: str = "") -> None:
        self.button.setEnabled(ready)
        self.button.setText("Generate" if ready else reason or "Loading…")

    def request(self) -> None:
        prompt = " ".join(self.edit.text().split())
        if not prompt or not self.button.isEnabled():
            return
        if prompt in self.history:
            self.history.remove(prompt)
        self.history.insert(0, prompt)
        self._history_pos = -1
        self.generate_requested.emit(prompt, self.count.value(), self.seed.value())
        if not self.lock_seed.isChecked():
            self.seed.setValue((self.seed.value() + 1) % self.seed.maximum())

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
