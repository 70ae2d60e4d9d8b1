"""Desktop integration files are valid and install for the current user."""

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

from sketchpad.engine.registry import DEFAULT_SOUND_MODEL

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


def test_wheel_installs_into_a_fresh_venv_and_runs(tmp_path):
    # The developer's smoke script, offline: python -m build (sdist + wheel),
    # both carry models/ and resources/, and the wheel installed into a new venv
    # (third-party packages shared, sketchpad itself only from the wheel) prints
    # its version, renders a prompt with the shipped models and opens its window.
    out = subprocess.run([sys.executable, str(ROOT / "packaging" / "smoke_dist.py"), "wheel",
                          "--share-deps", "--no-isolation", "--workdir", str(tmp_path)],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "smoke: all good" in out.stdout
    assert (tmp_path / "venv" / f"share/sketchpad/models/{DEFAULT_SOUND_MODEL}/weights.safetensors").exists()
    shipped = [p.name for p in (ROOT / "models").iterdir() if (p / "config.json").is_file()]
    installed = tmp_path / "venv" / "share/sketchpad/models"
    assert [n for n in shipped if not (installed / n / "weights.safetensors").exists()] == []
    assert len(list((tmp_path / "run" / "gen").glob("*.wav"))) == 2
