"""The command line as a user meets it: real processes, real files."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sketchpad import __version__

SKETCHPAD = Path(sys.executable).with_name("sketchpad")


def run(*args, env=None, entry="script"):
    cmd = [str(SKETCHPAD)] if entry == "script" else [sys.executable, "-m", "sketchpad"]
    return subprocess.run(cmd + [str(a) for a in args], capture_output=True, text=True,
                          timeout=120, env=env)


@pytest.fixture
def tone(tmp_path):
    t = np.arange(48000) / 48000
    path = tmp_path / "tone 48k.flac"
    sf.write(path, (0.4 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 48000)
    return path


@pytest.mark.parametrize("entry", ["script", "module"])
def test_version_and_help(entry):
    out = run("--version", entry=entry)
    assert out.returncode == 0 and out.stdout.strip() == f"sketchpad {__version__}"
    out = run("--help", entry=entry)
    assert out.returncode == 0
    for word in ("gui", "info", "convert", "bench"):
        assert word in out.stdout


def test_info_describes_the_loaded_audio(tone):
    out = run("info", tone)
    assert out.returncode == 0, out.stderr
    assert "1.000 s, 1 ch, 44100 Hz" in out.stdout and "resampled" in out.stdout.lower()


def test_convert_writes_wav(tone, tmp_path):
    dest = tmp_path / "out.wav"
    out = run("convert", tone, "--out", dest, "--bit-depth", "pcm16", "--rate", "48000")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(dest)
    info = sf.info(dest)
    assert (info.samplerate, info.subtype, info.channels) == (48000, "PCM_16", 1)


@pytest.mark.parametrize("make_input", ["missing", "folder", "empty", "text", "truncated"])
def test_bad_input_exits_2_with_one_line(tmp_path, tone, make_input):
    path = tmp_path / "input.wav"
    if make_input == "folder":
        path.mkdir()
    elif make_input == "empty":
        path.write_bytes(b"")
    elif make_input == "text":
        path.write_text("hello, not audio\n" * 20)
    elif make_input == "truncated":
        sf.write(path, np.zeros(44100, np.float32), 44100)
        path.write_bytes(path.read_bytes()[:60])
    out = run("convert", path, "--out", tmp_path / "x.wav")
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    lines = [line for line in out.stderr.splitlines() if line.startswith("sketchpad:")]
    assert len(lines) == 1 and "input.wav" in lines[0]
    assert not (tmp_path / "x.wav").exists()


def test_export_to_missing_folder_exits_2(tone, tmp_path):
    out = run("convert", tone, "--out", tmp_path / "no" / "such" / "dir" / "x.wav")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.startswith("sketchpad:")


def test_gui_without_display_explains_instead_of_aborting():
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = run(env=env)
    assert out.returncode == 2
    assert "No display found" in out.stderr and "Traceback" not in out.stderr


def test_screenshot_writes_a_png_and_refuses_bad_options(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = run("screenshot", tmp_path / "shot.jpg", env=env)
    assert out.returncode == 2 and "png" in out.stderr and out.stderr.count("\n") == 1
    out = run("screenshot", tmp_path / "shot.png", "--size", "big", env=env)
    assert out.returncode == 2 and "--size" in out.stderr
    out = run("screenshot", tmp_path / "shot.png", "--size", "1000x700", env=env)
    assert out.returncode == 0, out.stderr
    from PySide6.QtGui import QImage

    image = QImage(str(tmp_path / "shot.png"))
    assert (image.width(), image.height()) == (1000, 700)


def test_a_bug_is_one_line_with_exit_1_and_the_traceback_in_the_log(tmp_path, monkeypatch, capsys):
    from sketchpad import cli

    def broken(args):
        raise ZeroDivisionError("division by zero\nsecond line")

    def out_of_memory(args):
        raise MemoryError

    monkeypatch.setenv("SKETCHPAD_HOME", str(tmp_path))
    monkeypatch.setitem(cli._COMMANDS, "info", broken)
    assert cli.main(["info", "x.wav"]) == cli.EXIT_BUG
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("sketchpad: internal error (ZeroDivisionError")
    assert str(tmp_path / "crash.log") in err
    assert "Traceback" in (tmp_path / "crash.log").read_text() and "broken" in (tmp_path / "crash.log").read_text()

    monkeypatch.setitem(cli._COMMANDS, "info", out_of_memory)
    assert cli.main(["info", "x.wav"]) == cli.EXIT_USAGE
    assert capsys.readouterr().err.startswith("sketchpad: not enough memory")


def test_a_missing_extra_gets_one_line_and_exit_2(monkeypatch, capsys):
    from sketchpad import cli

    def needs_visqol(args):
        raise ModuleNotFoundError("No module named 'visqol'", name="visqol")

    monkeypatch.setitem(cli._COMMANDS, "info", needs_visqol)
    assert cli.main(["info", "x.wav"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "'eval' extra" in err and "pip install -e '.[eval]'" in err
