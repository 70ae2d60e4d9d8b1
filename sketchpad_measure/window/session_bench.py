"""The child side of the cold-start and memory benchmark: a real window and a
short session in a fresh process. The parent is :mod:`sketchpad_measure.bench.app_session`,
which documents the protocol (``ready`` on stdout, then one JSON line)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sketchpad_measure.bench.app_session import peak_rss_mb


def main(folder: Path) -> int:
    from sketchpad.process_setup import set_up_process

    set_up_process()
    from PySide6.QtCore import QSettings

    from sketchpad.ui.app import create_app
    from sketchpad.ui.main_window import MainWindow
    from sketchpad.ui.event_loop import run_event_loop_until
    from sketchpad_measure.window.stall_bench import blend_job

    create_app()
    folder.mkdir(parents=True, exist_ok=True)
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, session_folder=folder / "session")
    window.show()
    run_event_loop_until(lambda: window.prompt_bar.button.isEnabled(), timeout_s=240, poll_ms=2)
    print("ready", flush=True)
    window.generate("punchy 808 kick", 8, 0)
    run_event_loop_until(lambda: len(window.project.tiles) == 8
                         and window.project.clip is window.project.tiles[0], timeout_s=120)
    names = [d.name for d in window.prompt_engine.model.directions]
    if names:
        before = window.project.clip
        window.slider_panel.slider(names[0]).setValue(150)
        run_event_loop_until(lambda: window.project.clip is not before, timeout_s=60)
    done = []
    window.pool.submit("blend", blend_job(window.prompt_engine.model, 30.0), lane="model",
                       on_result=done.append)
    run_event_loop_until(lambda: bool(done), timeout_s=120)
    window.player.stop()
    window.close()
    print(json.dumps({"peak_rss_mb": peak_rss_mb()}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
