"""How the real map widget copes with many dots: frame times while panning and
zooming, and hover hit-test times (offscreen). Used by ``sketchpad evaluate-map``."""

from __future__ import annotations

import os
import time

import numpy as np


def measure_map_frames(coords: np.ndarray, colours: np.ndarray, frames: int = 60) -> dict:
    """Milliseconds per repaint while panning/zooming, and microseconds per hover test."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QPointF

    from sketchpad.ui.app import create_app
    from sketchpad.ui.latent_map import LatentMapView

    app = create_app()
    view = LatentMapView()
    view.resize(1000, 520)
    view.show()
    started = time.perf_counter()
    view.set_points(coords, colours)
    app.processEvents()
    load_ms = 1000 * (time.perf_counter() - started)
    view.grab()  # first paint builds the symbol atlas
    box = view.plotItem.vb
    paint = []
    for i in range(frames):
        if i % 2:
            box.translateBy(x=0.02, y=-0.01)
        else:
            box.scaleBy((0.97, 0.97) if i % 4 == 0 else (1 / 0.97, 1 / 0.97))
        started = time.perf_counter()
        app.processEvents()
        view.grab()
        paint.append(1000 * (time.perf_counter() - started))
    rng = np.random.default_rng(0)
    hover = []
    for x, y in rng.uniform(-1, 1, (1000, 2)):
        started = time.perf_counter()
        view.dot_at(QPointF(float(x), float(y)))
        hover.append(1e6 * (time.perf_counter() - started))
    view.close()
    return {"points": len(coords), "set_points_ms": load_ms, "frame_ms": paint, "hover_us": hover}
