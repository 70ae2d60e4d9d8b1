"""Preferences: the export format and folder used by every export, the MIDI input and the
audio buffer."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QLineEdit, QPushButton, QWidget)

from sketchpad.audio.export import EXPORT_FORMATS, EXPORT_RATES
from sketchpad.audio.playback import Player

FORMAT_LABELS = {"pcm16": "16-bit PCM", "pcm24": "24-bit PCM", "float32": "32-bit float"}
DEFAULT_BIT_DEPTH = "pcm24"
DEFAULT_RATE = 44100


def default_export_folder() -> Path:
    music = Path.home() / "Music"
    return (music if music.is_dir() else Path.home()) / "Sketchpad"


BUFFER_SETTING = "audio/buffer_periods"
BUFFER_LABELS = {2: "lowest latency", 4: "default", 8: "safest on a busy machine"}


def audio_buffer_periods(settings: QSettings) -> int:
    """The device buffer chosen in Preferences, in periods of 512 frames."""
    try:
        value = int(settings.value(BUFFER_SETTING, Player.BUFFER_PERIODS))
    except (TypeError, ValueError):
        value = Player.BUFFER_PERIODS
    return value if value in Player.BUFFER_CHOICES else Player.BUFFER_PERIODS


class ExportSettings:
    """Typed access to the export preferences stored in QSettings."""

    def __init__(self, settings: QSettings):
        self.settings = settings

    @property
    def bit_depth(self) -> str:
        value = str(self.settings.value("export/bit_depth", DEFAULT_BIT_DEPTH))
        return value if value in EXPORT_FORMATS else DEFAULT_BIT_DEPTH

    @property
    def rate(self) -> int:
        try:
            value = int(self.settings.value("export/rate", DEFAULT_RATE))
        except (TypeError, ValueError):
            value = DEFAULT_RATE
        return value if value in EXPORT_RATES else DEFAULT_RATE

    @property
    def folder(self) -> Path:
        return Path(str(self.settings.value("export/folder", default_export_folder())))

    def save(self, bit_depth: str, rate: int, folder) -> None:
        self.settings.setValue("export/bit_depth", bit_depth)
        self.settings.setValue("export/rate", int(rate))
        self.settings.setValue("export/folder", str(folder))


class PreferencesDialog(QDialog):
    """``midi``: (ports present, the chosen port, why MIDI is unavailable or None), to pick
    the MIDI input; "" means the first port connected and "(none)" no MIDI input."""

    def __init__(self, export: ExportSettings, parent=None, *, midi=None):
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.export = export
        self.depth = QComboBox()
        for depth in EXPORT_FORMATS:
            self.depth.addItem(FORMAT_LABELS[depth], depth)
        self.depth.setCurrentIndex(EXPORT_FORMATS.index(export.bit_depth))
        self.rate = QComboBox()
        for rate in EXPORT_RATES:
            self.rate.addItem(f"{rate / 1000:g} kHz", rate)
        self.rate.setCurrentIndex(list(EXPORT_RATES).index(export.rate))
        self.folder = QLineEdit(str(export.folder))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        folder_row = QWidget()
        row = QHBoxLayout(folder_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("WAV format", self.depth)
        form.addRow("Sample rate", self.rate)
        form.addRow("Export folder (Ctrl+E)", folder_row)
        self.midi = QComboBox()
        ports, chosen, unavailable = midi or ([], "", None)
        self.midi.addItem("First connected keyboard", "")
        self.midi.addItem("None", "(none)")
        for port in ports:
            self.midi.addItem(port, port)
        if chosen and self.midi.findData(chosen) < 0:
            self.midi.addItem(f"{chosen} (not connected)", chosen)
        self.midi.setCurrentIndex(max(0, self.midi.findData(chosen)))
        if unavailable:
            self.midi.setToolTip(f"No MIDI system: {unavailable}")
        form.addRow("MIDI input", self.midi)
        self.buffer = QComboBox()
        for periods in Player.BUFFER_CHOICES:
            self.buffer.addItem(f"{periods * 512 / 44100 * 1000:.0f} ms ({BUFFER_LABELS[periods]})", periods)
        self.buffer.setCurrentIndex(Player.BUFFER_CHOICES.index(audio_buffer_periods(export.settings)))
        self.buffer.setToolTip("A longer buffer rides out busy moments (no dropouts) but keys and "
                               "pads answer later")
        form.addRow("Audio buffer", self.buffer)
        form.addRow(buttons)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export folder", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def midi_port(self) -> str:
        return str(self.midi.currentData())

    def accept(self) -> None:
        self.export.settings.setValue(BUFFER_SETTING, int(self.buffer.currentData()))
        self.export.save(self.depth.currentData(), self.rate.currentData(),
                         self.folder.text().strip() or default_export_folder())
        super().accept()
