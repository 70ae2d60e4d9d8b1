"""Latent sliders: the model's named directions plus amplify, noise and smoothing.

The panel only edits a SliderState and emits ``changed(state)``; the window
turns that into a superseding decode job, so a drag never piles up work.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QGridLayout, QHBoxLayout, QLabel, QPushButton, QSlider,
                               QToolButton, QVBoxLayout, QWidget)

from sketchpad.engine.latent_ops import SliderState

STEPS = 100  # slider ticks per unit


class _Row:
    def __init__(self, label: str, low: float, high: float, neutral: float, tip: str):
        self.neutral = neutral
        self.label = QLabel(label)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(int(low * STEPS), int(high * STEPS))
        self.slider.setValue(int(neutral * STEPS))
        self.slider.setToolTip(tip)
        self.value_label = QLabel()
        self.value_label.setMinimumWidth(40)
        self.reset = QToolButton()
        self.reset.setText("↺")
        self.reset.setToolTip(f"Reset {label}")
        self.reset.clicked.connect(lambda: self.slider.setValue(int(self.neutral * STEPS)))

    @property
    def value(self) -> float:
        return self.slider.value() / STEPS


class SliderPanel(QWidget):
    changed = Signal(object)  # SliderState

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("sliderPanel")
        self._rows: dict[str, _Row] = {}
        self._direction_names: list[str] = []
        self._seed = 0
        self._quiet = False
        self._grid = QGridLayout()
        buttons = QHBoxLayout()
        self.reset_all = QPushButton("Reset all")
        self.reset_all.clicked.connect(self.reset)
        self.randomise = QPushButton("Randomise")
        self.randomise.setToolTip("Move every direction slider to a random position")
        self.randomise.clicked.connect(self.randomise_directions)
        buttons.addWidget(self.reset_all)
        buttons.addWidget(self.randomise)
        layout = QVBoxLayout(self)
        layout.addLayout(self._grid)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.set_directions([])

    def set_directions(self, names: list[str]) -> None:
        """Rebuild the rows: one per direction, then the latent operations."""
        while self._grid.count():
            item = self._grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self._rows.clear()
        self._direction_names = list(names)
        specs = [(name, -3.0, 3.0, 0.0, f"Move along the model's '{name}' direction "
                  "(standard deviations)") for name in names]
        specs += [("Amplify", 0.0, 2.0, 1.0, "Scale the latent: below 1 attenuates, above amplifies"),
                  ("Noise", 0.0, 1.0, 0.0, "Add Gaussian noise to the latent"),
                  ("Smoothing", 0.0, 1.0, 0.0, "Average neighbouring latent frames"),
                  ("Detail", 0.0, 1.0, 1.0, "How much of a file's own detail (what the model's "
                   "round trip loses) is kept: 100 % keeps its transients and harmonics; "
                   "generated sounds have none")]
        for row_index, (name, low, high, neutral, tip) in enumerate(specs):
            row = _Row(name, low, high, neutral, tip)
            row.slider.valueChanged.connect(self._emit)
            for col, widget in enumerate((row.label, row.slider, row.value_label, row.reset)):
                self._grid.addWidget(widget, row_index, col)
            self._rows[name] = row
        self._refresh_labels()
        self.setEnabled(bool(names))

    def state(self) -> SliderState:
        return SliderState(
            directions={n: self._rows[n].value for n in self._direction_names},
            gain=self._rows["Amplify"].value, noise=self._rows["Noise"].value,
            smoothing=self._rows["Smoothing"].value, noise_seed=self._seed,
            detail=self._rows["Detail"].value)

    def slider(self, name: str) -> QSlider:
        return self._rows[name].slider

    def reset(self) -> None:
        self._set_all(lambda row: int(row.neutral * STEPS))

    def set_state(self, state: SliderState | None) -> None:
        """Show ``state`` (None: neutral); emits one ``changed`` unless signals are blocked."""
        state = state or SliderState()
        values = {**state.directions, "Amplify": state.gain, "Noise": state.noise,
                  "Smoothing": state.smoothing, "Detail": state.detail}
        self._seed = state.noise_seed
        self._set_all(lambda row: int(round(values.get(row.label.text(), row.neutral) * STEPS)))

    def randomise_directions(self) -> None:
        self._seed += 1
        rng = np.random.default_rng(self._seed)
        names = set(self._direction_names)
        self._set_all(lambda row: int(np.clip(rng.normal(0, 1.0), -3, 3) * STEPS)
                      if row.label.text() in names else row.slider.value())

    def _set_all(self, value_of) -> None:
        # One change signal for the whole move, not one per slider.
        self._quiet = True
        for row in self._rows.values():
            row.slider.setValue(value_of(row))
        self._quiet = False
        self._emit()

    def _refresh_labels(self) -> None:
        for row in self._rows.values():
            if row.label.text() == "Detail":
                row.value_label.setText(f"{row.value:.0%}")
            else:
                row.value_label.setText(f"{row.value:+.2f}" if row.neutral == 0 else f"×{row.value:.2f}")

    def _emit(self, *_):
        self._refresh_labels()
        if not self._quiet:
            self.changed.emit(self.state())
