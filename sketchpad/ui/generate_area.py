"""The Generate tab: the prompt bar over the grid of generated tiles and the kept tray."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from sketchpad.ui.prompt_bar import PromptBar
from sketchpad.ui.tile_grid import TileGrid


class GenerateArea(QWidget):
    """``prompt_bar``, ``tile_grid`` (the project's tiles) and ``kept_grid`` (its kept sounds)."""

    def __init__(self, prompt_history: list[str], parent=None):
        super().__init__(parent)
        self.prompt_bar = PromptBar(prompt_history)
        self.prompt_bar.set_ready(False)
        self.tile_grid = TileGrid(empty_text="Generated sounds appear here: click one or press 1–8")
        self.kept_grid = TileGrid(columns=8, empty_text="☆ Star a sound (K) to keep it here "
                                                        "across generations")
        self.kept_grid.setObjectName("keptGrid")
        kept_label = QLabel("Kept")
        kept_label.setObjectName("sectionLabel")
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(self.prompt_bar)
        column.addWidget(self.tile_grid, 3)
        column.addWidget(kept_label)
        column.addWidget(self.kept_grid, 1)

    def show_selected(self, clip) -> None:
        self.tile_grid.show_selected(clip)
        self.kept_grid.show_selected(clip)

    def show_kept(self, kept, selected) -> None:
        """The kept tray shows ``kept``, and both grids star them."""
        self.kept_grid.set_clips(kept)
        self.kept_grid.set_kept(kept)
        self.kept_grid.show_selected(selected)
        self.tile_grid.set_kept(kept)
