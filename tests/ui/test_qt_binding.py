"""The installed Qt binding must not leak references to None.

PySide6 6.12.0 dropped a reference to None on every call of a method that
returns nothing; the tiles repaint often enough that Python 3.11 then aborted
with "deallocating None" within minutes. pyproject pins a version without it.
"""

import sys

from PySide6.QtCore import QPointF
from PySide6.QtGui import QPainterPath


def test_void_calls_keep_none_alive():
    path = QPainterPath()
    before = sys.getrefcount(None)
    for _ in range(5000):
        path.moveTo(QPointF(1.0, 2.0))
        path.lineTo(QPointF(3.0, 4.0))
    assert sys.getrefcount(None) >= before - 100
