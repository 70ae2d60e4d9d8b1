"""Time to first audio of the blend view, measured in the real window (offscreen).

Used by ``sketchpad evaluate-blend``; Qt stays inside the ui package.
"""

from __future__ import annotations

import random


def measure_window_first_audio(song_a_path, song_b_path, presses: int = 5) -> list[float]:
    """Milliseconds from Play to the player starting, in the real window (offscreen).

    Each press comes right after a new mix amount and a new playhead spot, so nothing
    under the playhead is rendered yet: the render starts there and Play waits for it.
    """
    import os
    import tempfile

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from sketchpad.ui.main_window import MainWindow
    from sketchpad.ui.event_loop import run_event_loop_until

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as home:
        settings = QSettings(f"{home}/settings.ini", QSettings.Format.IniFormat)
        window = MainWindow(settings=settings, session_folder=f"{home}/session")
        window.show()
        panel = window.blend_panel
        try:
            run_event_loop_until(lambda: window.prompt_engine is not None, 120)
            panel.load("A", song_a_path)
            panel.load("B", song_b_path)
            run_event_loop_until(lambda: panel.result_clip is not None, 300)
            times, rng = [], random.Random(1)
            for _ in range(presses):
                # A new amount and a new spot, then Play at once: nothing there is rendered yet.
                panel.alpha.setValue(rng.randrange(0, 101))
                panel.waveform.set_playhead(rng.uniform(0, panel.blender.seconds - 1))
                panel.toggle_play()
                run_event_loop_until(lambda: panel.first_audio_ms is not None and panel.playing
                                     or not panel.session.play_pending, 30)
                times.append(panel.first_audio_ms)
                panel.toggle_play()
                panel.session.first_audio_ms = None
                run_event_loop_until(lambda: panel.result_clip is not None, 300)
        finally:
            window.close()
            app.processEvents()
    return times
