"""Spectrogram pictures of the sound engine's stages, side by side, as one PNG.

Rows are evaluation items, columns are codecs (original, Griffin-Lim, vocoder,
round trip). Each cell is an STFT magnitude in dB (2048-point Hann, hop 256),
on a log-frequency axis from 40 Hz to 16 kHz, so smeared attacks (vertical
edges going soft) and lost or hazy harmonics (horizontal lines) show. Lives in
``ui`` because it draws with Qt; runs offscreen.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

CELL_WIDTH, CELL_HEIGHT = 360, 200
LABEL_WIDTH, HEADER_HEIGHT = 170, 28
FLOOR_DB = -90.0
LOW_HZ, HIGH_HZ = 40.0, 16000.0


def spectrogram_cell(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """(CELL_HEIGHT, CELL_WIDTH) values in 0..1 (dB from FLOOR_DB to 0, low frequencies at the bottom)."""
    n_fft, hop = 2048, 256
    x = np.asarray(audio, np.float32).ravel()
    x = np.pad(x, (n_fft // 2, n_fft))
    frames = max(1, (len(x) - n_fft) // hop)
    window = np.hanning(n_fft).astype(np.float32)
    index = np.arange(frames)[:, None] * hop + np.arange(n_fft)[None, :]
    magnitude = np.abs(np.fft.rfft(x[index] * window, axis=1)) / (window.sum() / 2)
    db = 20 * np.log10(np.maximum(magnitude, 1e-9))
    freqs = np.fft.rfftfreq(n_fft, 1 / sample_rate)
    rows = np.geomspace(LOW_HZ, HIGH_HZ, CELL_HEIGHT)
    bins = np.clip(np.searchsorted(freqs, rows), 0, len(freqs) - 1)
    columns = np.clip((np.arange(CELL_WIDTH) * frames / CELL_WIDTH).astype(int), 0, frames - 1)
    cell = db[columns][:, bins].T[::-1]  # (height, width), high frequencies on top
    return np.clip((cell - FLOOR_DB) / -FLOOR_DB, 0.0, 1.0)


def write_stage_pictures(path, rows: list[tuple[str, dict[str, np.ndarray]]], sample_rate: int = 44100) -> Path:
    """``rows``: (item name, {codec name: mono audio}) with the same codecs in each row."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # a picture needs no display
    import pyqtgraph as pg
    from PySide6.QtCore import QRect, Qt
    from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 - fonts need an application
    codecs = list(rows[0][1])
    width = LABEL_WIDTH + CELL_WIDTH * len(codecs)
    height = HEADER_HEIGHT + CELL_HEIGHT * len(rows)
    lut = pg.colormap.get("inferno").getLookupTable(nPts=256, alpha=False).astype(np.uint8)
    image = QImage(width, height, QImage.Format.Format_RGB888)
    image.fill(QColor(20, 20, 24))
    painter = QPainter(image)
    painter.setPen(QColor(235, 235, 235))
    for c, codec in enumerate(codecs):
        painter.drawText(QRect(LABEL_WIDTH + c * CELL_WIDTH, 0, CELL_WIDTH, HEADER_HEIGHT),
                         Qt.AlignmentFlag.AlignCenter, codec)
    for r, (name, audios) in enumerate(rows):
        top = HEADER_HEIGHT + r * CELL_HEIGHT
        painter.drawText(QRect(4, top, LABEL_WIDTH - 8, CELL_HEIGHT),
                         Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap, name)
        for c, codec in enumerate(codecs):
            rgb = np.ascontiguousarray(lut[(spectrogram_cell(audios[codec], sample_rate) * 255).astype(np.uint8)])
            cell = QImage(rgb.data, CELL_WIDTH, CELL_HEIGHT, 3 * CELL_WIDTH, QImage.Format.Format_RGB888)
            painter.drawImage(LABEL_WIDTH + c * CELL_WIDTH, top, cell.copy())
    painter.end()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(path)):
        raise OSError(f"could not write {path}")
    return path
