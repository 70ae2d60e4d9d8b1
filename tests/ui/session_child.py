"""The child side of the SIGKILL test: a real window that keeps changing its session.

``python -m tests.ui.session_child FOLDER SEED`` opens the app on ``FOLDER``,
prints ``{"restored": DIGEST}`` once the last session is back, then makes random
edits (prompts, generations, keeps, auditions, slider moves, A/B slots, blend
controls, keyframes) until it is killed, printing ``{"now": DIGEST}`` whenever
what the session holds changes. The parent kills it at random moments.
"""

import json
import random
import sys
from pathlib import Path


def digest(session) -> dict:
    """What a session holds, by clip uid: equal digests mean the same session."""
    state = session.state
    sliders = state.clip.origin.sliders if state.clip is not None else None
    return {"tiles": [c.uid for c in state.tiles], "kept": [c.uid for c in state.kept],
            "current": state.clip.uid if state.clip is not None else None,
            "sliders": repr(sliders), "prompt_bar": session.settings.get("prompt_bar"),
            "blend": session.settings.get("blend"),
            "sources": {k: c.uid for k, c in sorted(session.blend_sources.items())}}


def main(folder: Path, seed: int) -> None:
    from PySide6.QtCore import QSettings, QTimer

    from sketchpad.ui.app import create_app
    from sketchpad.ui.main_window import MainWindow
    from sketchpad.ui.event_loop import run_event_loop_until

    app = create_app()
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, session_folder=folder / "session")
    window.show()
    run_event_loop_until(lambda: window.session_restored and window.prompt_engine is not None,
                         timeout_s=120)
    last = digest(window.session())
    print(json.dumps({"restored": last}), flush=True)
    rng = random.Random(seed)
    words = ["kick", "warm pad C3", "snare", "plucky bass E2", "bell", "hat"]

    def report() -> None:
        nonlocal last
        now = digest(window.session())
        if now != last:
            last = now
            print(json.dumps({"now": now}), flush=True)

    def act() -> None:
        tiles, panel = window.project.tiles, window.blend_panel
        choice = rng.randrange(9) if tiles else 0
        if choice == 0:
            window.prompt_bar.edit.setText(rng.choice(words))
            window.generate(window.prompt_bar.edit.text(), 4, rng.randrange(100))
        elif choice == 1:
            window.toggle_keep(rng.choice(tiles))
        elif choice == 2:
            window.audition(rng.choice(tiles))
        elif choice == 3 and window.prompt_engine.model.directions:
            name = window.prompt_engine.model.directions[0].name
            window.slider_panel.slider(name).setValue(rng.randrange(-200, 201, 25))
        elif choice == 4:
            window.blend_with(rng.choice(tiles), rng.choice("AB"))
        elif choice == 5:
            panel.alpha.setValue(rng.randrange(101))
        elif choice == 6:
            panel.mode_group.button(rng.randrange(4)).click()
        elif choice == 7:
            duration = panel.editor.duration
            points = sorted({round(rng.uniform(0, duration), 2) for _ in range(3)} | {0.0})
            panel.editor._commit(tuple((t, round(rng.random(), 2)) for t in points))
        else:
            window.prompt_bar.edit.setText(rng.choice(words) + " " + str(rng.randrange(10)))
        QTimer.singleShot(rng.randrange(50, 400), act)

    watcher = QTimer()
    watcher.timeout.connect(report)
    watcher.start(20)
    QTimer.singleShot(0, act)
    app.exec()


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
