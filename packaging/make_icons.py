"""Render the SVG application icon into the PNG sizes desktops look for.

    .venv/bin/python packaging/make_icons.py

Writes resources/icons/hicolor/<N>x<N>/apps/io.sketchpad.Sketchpad.png.
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
APP_ID = "io.sketchpad.Sketchpad"


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    app = QGuiApplication(sys.argv[:1])  # noqa: F841 - Qt needs an application for painting
    renderer = QSvgRenderer(str(root / "resources" / "icons" / "sketchpad.svg"))
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        out = root / "resources" / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        image.save(str(out))
        print(out.relative_to(root))
    return 0


if __name__ == "__main__":
    sys.exit(main())
