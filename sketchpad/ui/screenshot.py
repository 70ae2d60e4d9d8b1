"""A screenshot of the real window mid-session, for reviewers and the README.

Runs offscreen (no display needed) with a scratch session: generates sounds
for a prompt, keeps one, nudges a slider so the views show a shaped sound, then
saves the window as a PNG. ``scale`` renders as a high-DPI screen would
(2 = a 4K screen at 200 %).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def take_screenshot(path: Path, *, prompt: str = "warm pad C3", scale: float = 1.0,
                    width: int = 1280, height: int = 800) -> Path:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if scale != 1.0:
        os.environ["QT_SCALE_FACTOR"] = f"{scale:g}"
    from PySide6.QtCore import QSettings

    from sketchpad.audio.playback import Player
    from sketchpad.errors import SketchpadError
    from sketchpad.ui.app import create_app
    from sketchpad.ui.main_window import MainWindow
    from sketchpad.ui.event_loop import run_event_loop_until

    create_app()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        settings = QSettings(str(scratch / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(player=Player(), settings=settings,
                            session_folder=scratch / "session")
        window.resize(width, height)
        window.show()
        run_event_loop_until(lambda: window.prompt_engine is not None and window.session_restored,
                             timeout_s=120)
        if window.prompt_engine is None:
            raise SketchpadError("The shipped models did not load; no screenshot taken.")
        window.prompt_bar.edit.setText(prompt)
        window.prompt_bar.request()
        run_event_loop_until(lambda: len(window.project.tiles) > 0, timeout_s=120)
        window.toggle_keep(window.project.tiles[0])
        window.tile_grid.activate(2)
        names = [d.name for d in window.prompt_engine.model.directions]
        if names:
            before = window.project.clip
            window.slider_panel.slider(names[0]).setValue(120)
            run_event_loop_until(lambda: window.project.clip is not before, timeout_s=60)
        window.player.stop()
        run_event_loop_until(lambda: False, timeout_s=0.5)  # let every view draw
        image = window.grab()
        path = Path(path)
        if not image.save(str(path)):
            raise SketchpadError(f"Can't write the screenshot to '{path}'.")
        window.close()
    return path
