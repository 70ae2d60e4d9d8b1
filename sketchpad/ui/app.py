"""Application start-up: Qt application, theme, main window, crash safety net."""

from __future__ import annotations

import logging
import os
import sys
import traceback

from sketchpad import PROJECT_NAME
from sketchpad.paths import resources_dir
from sketchpad.errors import SketchpadError

log = logging.getLogger(__name__)


def _check_display() -> None:
    # Qt aborts the process when it cannot reach a display; say why first.
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
        or os.environ.get("QT_QPA_PLATFORM")
    ):
        raise SketchpadError(
            "No display found (DISPLAY is not set): run Sketchpad in a desktop session, "
            "or use a subcommand such as 'sketchpad info' for headless work.")


def apply_theme(app) -> None:
    """Fusion style with the dark palette and the bundled style sheet."""
    import pyqtgraph as pg
    from PySide6.QtGui import QColor, QIcon, QPalette

    app.setStyle("Fusion")
    palette = QPalette()
    colors = {
        QPalette.ColorRole.Window: "#1b1d23", QPalette.ColorRole.WindowText: "#e4e6eb",
        QPalette.ColorRole.Base: "#15171c", QPalette.ColorRole.AlternateBase: "#23262e",
        QPalette.ColorRole.Text: "#e4e6eb", QPalette.ColorRole.Button: "#2b2f38",
        QPalette.ColorRole.ButtonText: "#e4e6eb", QPalette.ColorRole.Highlight: "#5ec8f2",
        QPalette.ColorRole.HighlightedText: "#101216", QPalette.ColorRole.ToolTipBase: "#2b2f38",
        QPalette.ColorRole.ToolTipText: "#e4e6eb",
    }
    for role, color in colors.items():
        palette.setColor(role, QColor(color))
    app.setPalette(palette)
    qss = resources_dir() / "theme" / "dark.qss"
    if qss.exists():
        app.setStyleSheet(qss.read_text(encoding="utf-8"))
    icon = resources_dir() / "icons" / "sketchpad.svg"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    pg.setConfigOptions(background="#15171c", foreground="#a9adb8", antialias=False)


def create_app(argv: list[str] | None = None):
    """The QApplication, created once and themed."""
    from PySide6.QtWidgets import QApplication

    from sketchpad.threads import favour_interactive_threads

    favour_interactive_threads()
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv or [sys.argv[0]])
        app.setApplicationName(PROJECT_NAME)
        app.setOrganizationName(PROJECT_NAME)
        apply_theme(app)
    return app


def _install_excepthook(window) -> None:
    """A bug in a slot shows up in the status bar and the log; the app keeps running."""

    def hook(exc_type, exc, tb):
        log.error("unhandled error:\n%s", "".join(traceback.format_exception(exc_type, exc, tb)))
        try:
            window.show_error(f"Internal error: {exc_type.__name__}: {exc}")
        except Exception:  # noqa: BLE001 - the window may be gone during shutdown
            pass

    sys.excepthook = hook


def run_app(files: list[str]) -> int:
    _check_display()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = create_app()
    from sketchpad.ui.main_window import MainWindow

    window = MainWindow()
    _install_excepthook(window)
    window.show()
    if files:
        window.open_files(files)
    return app.exec()
