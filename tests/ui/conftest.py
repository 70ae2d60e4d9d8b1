import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from sketchpad.audio.playback import Player
from sketchpad.ui.app import apply_theme
from sketchpad.ui.main_window import MainWindow


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def session_folder(tmp_path):
    return tmp_path / "session"


@pytest.fixture
def window(qtbot, settings, session_folder):
    apply_theme(QApplication.instance())
    settings.setValue("export/folder", str(session_folder.parent / "exports"))
    win = MainWindow(player=Player(), settings=settings, session_folder=session_folder)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()
