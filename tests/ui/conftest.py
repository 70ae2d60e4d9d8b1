import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from sketchpad.audio.playback import PlaybackEngine
from sketchpad.ui.app import apply_theme
from sketchpad.ui.main_window import MainWindow


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings):
    apply_theme(QApplication.instance())
    win = MainWindow(engine=PlaybackEngine(), settings=settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()
