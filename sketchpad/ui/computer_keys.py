"""The computer keyboard as a note keyboard, while the user has it switched on.

An application-wide event filter: the letter keys of :mod:`sketchpad.core.keys`'s
layout play notes instead of reaching shortcuts, except while a text field
(the prompt box, a pad name, a spin box) has the focus. A key is consumed the
first time the filter sees it, so it plays once; auto-repeat is ignored, and
every held note is released when the application loses the keyboard, so no
note hangs.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (QAbstractSpinBox, QApplication, QComboBox, QLineEdit, QPlainTextEdit,
                               QTextEdit)

from sketchpad.core.keys import COMPUTER_KEYS, OCTAVE_DOWN, OCTAVE_UP, VELOCITY_DOWN, VELOCITY_UP, Keys

_OUR_KEYS = set(COMPUTER_KEYS + OCTAVE_DOWN + OCTAVE_UP + VELOCITY_DOWN + VELOCITY_UP)
_TEXT_INPUTS = (QLineEdit, QTextEdit, QPlainTextEdit, QAbstractSpinBox)
_KEY_EVENTS = (QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.ShortcutOverride)


class ComputerKeys(QObject):
    """Switch on with ``set_enabled(True)``; our letters go to ``keys.key_down/key_up``."""

    def __init__(self, keys: Keys, parent=None):
        super().__init__(parent)
        self.keys = keys
        self.enabled = False

    def set_enabled(self, enabled: bool) -> None:
        app = QApplication.instance()
        if enabled == self.enabled or app is None:
            return
        self.enabled = enabled
        if enabled:
            app.installEventFilter(self)
        else:
            app.removeEventFilter(self)
            self.keys.release_all()

    def eventFilter(self, watched, event) -> bool:
        kind = event.type()
        if kind == QEvent.Type.ApplicationDeactivate:
            self.keys.release_all()
            return False
        if kind not in _KEY_EVENTS:
            return False
        char = event.text().lower()
        if char not in _OUR_KEYS or event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier:
            return False
        focus = QApplication.focusWidget()
        if isinstance(focus, _TEXT_INPUTS) or (isinstance(focus, QComboBox) and focus.isEditable()):
            return False
        if kind == QEvent.Type.ShortcutOverride:
            event.accept()  # keeps K (keep) and the like from firing as shortcuts
            return True
        if event.isAutoRepeat():
            return True
        if kind == QEvent.Type.KeyPress:
            self.keys.key_down(char)
        else:
            self.keys.key_up(char)
        return True
