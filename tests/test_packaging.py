"""Desktop integration files are valid and install for the current user."""

import os
import subprocess
from pathlib import Path

from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parent.parent
APP = "io.sketchpad.Sketchpad"


def test_desktop_entry_is_valid():
    out = subprocess.run(["desktop-file-validate", str(ROOT / "packaging" / f"{APP}.desktop")],
                         capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "", out.stdout


def test_metainfo_is_valid():
    out = subprocess.run(["appstreamcli", "validate", "--no-net",
                          str(ROOT / "packaging" / f"{APP}.metainfo.xml")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_icons_exist_in_every_size():
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        image = QImage(str(ROOT / "resources/icons/hicolor" / f"{size}x{size}/apps/{APP}.png"))
        assert (image.width(), image.height()) == (size, size)


def test_install_script_installs_and_removes(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "share")}
    script = ROOT / "packaging" / "install-desktop.sh"
    subprocess.run(["bash", str(script)], env=env, check=True, capture_output=True)
    desktop = tmp_path / "share" / "applications" / f"{APP}.desktop"
    text = desktop.read_text()
    assert "MimeType=audio/wav;" in text and "Exec=/" in text  # absolute path to this install
    assert (tmp_path / "share/icons/hicolor/256x256/apps" / f"{APP}.png").exists()
    assert (tmp_path / "share/metainfo" / f"{APP}.metainfo.xml").exists()
    subprocess.run(["bash", str(script), "--uninstall"], env=env, check=True, capture_output=True)
    assert not desktop.exists()
