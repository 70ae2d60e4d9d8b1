"""What every pyqtgraph plot of the window shares."""

from __future__ import annotations

from PySide6.QtWidgets import QGraphicsItem


def cache_axes(plot_widget) -> None:
    """Keep the left and bottom axes (and the grid lines they draw) as cached pixmaps.

    They change only when the view's range does; uncached, every playhead move
    at 30 frames a second replayed their drawing (~1 ms an axis), and a new
    sound's first paint cost twice what it does now."""
    for name in ("left", "bottom"):
        plot_widget.getPlotItem().getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
