"""Smoke tests for what we distribute: the wheel, the sdist and the PyInstaller app.

    python packaging/smoke_dist.py wheel [--share-deps]   build sdist + wheel, install the
                                                           wheel in a fresh venv, run it
    python packaging/smoke_dist.py app dist/sketchpad/sketchpad   run a built app

Every check runs the installed ``sketchpad`` from an empty folder with a
scratch home, so it can only find the models and resources it carries:
``--version``, a prompt rendered to WAV files (shipped models + text encoder)
and a screenshot of the real window, offscreen. ``--share-deps`` gives the
fresh venv this venv's third-party packages instead of downloading PyTorch
again; the wheel itself is still installed from the file, without the checkout.
"""

from __future__ import annotations

import argparse
import os
import struct
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

from sketchpad.engine.registry import DEFAULT_SOUND_MODEL
from sketchpad.engine.vocoder import DEFAULT_VOCODER

ROOT = Path(__file__).resolve().parent.parent

# Paths every distribution must carry, relative to the data root.
REQUIRED_DATA = (
    f"models/{DEFAULT_SOUND_MODEL}/config.json",
    f"models/{DEFAULT_SOUND_MODEL}/weights.safetensors",
    f"models/{DEFAULT_SOUND_MODEL}-retrieval/config.json",
    f"models/{DEFAULT_SOUND_MODEL}-retrieval/weights.safetensors",
    f"models/{DEFAULT_SOUND_MODEL}-flow/config.json",
    f"models/{DEFAULT_SOUND_MODEL}-flow/weights.safetensors",
    f"models/{DEFAULT_VOCODER}/config.json",
    f"models/{DEFAULT_VOCODER}/weights.safetensors",
    "resources/theme/dark.qss",
    "resources/icons/sketchpad.svg",
    "resources/sounds/demo-groove.flac",
)


def _run(cmd: list, **kwargs) -> subprocess.CompletedProcess:
    started = time.perf_counter()
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"smoke: '{' '.join(map(str, cmd))}' failed ({done.returncode}):\n"
                         f"{done.stdout[-2000:]}{done.stderr[-4000:]}")
    shown = ' '.join(map(str, cmd[1:3]))[:60]
    print(f"  ok  {Path(str(cmd[0])).name} {shown}  ({took:.1f} s)")
    return done


def build_dists(outdir: Path, *, isolated: bool) -> tuple[Path, Path]:
    """``python -m build``: the sdist and the wheel, into ``outdir``."""
    cmd = [sys.executable, "-m", "build", "--outdir", outdir, ROOT]
    if not isolated:
        cmd.insert(3, "--no-isolation")
    _run(cmd)
    (wheel,) = outdir.glob("sketchpad-*.whl")
    (sdist,) = outdir.glob("sketchpad-*.tar.gz")
    return wheel, sdist


def check_contents(wheel: Path, sdist: Path) -> None:
    """Both archives carry the shipped models and resources."""
    in_wheel = zipfile.ZipFile(wheel).namelist()
    with tarfile.open(sdist) as tar:
        in_sdist = tar.getnames()
    for rel in REQUIRED_DATA:
        if not any(name.endswith(".data/data/share/sketchpad/" + rel) for name in in_wheel):
            raise SystemExit(f"smoke: the wheel lacks share/sketchpad/{rel}")
        if not any(name.endswith("/" + rel) for name in in_sdist):
            raise SystemExit(f"smoke: the sdist lacks {rel}")
    print(f"  ok  {wheel.name} ({wheel.stat().st_size / 1e6:.1f} MB) and {sdist.name} "
          f"({sdist.stat().st_size / 1e6:.1f} MB) carry models/ and resources/")


def install_in_fresh_venv(wheel: Path, venv: Path, *, share_deps: bool) -> Path:
    """A new virtualenv with the wheel installed; returns its ``sketchpad``."""
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    pip = [sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "-q"]
    if share_deps:
        # Only a path line: the .pth files in that folder (among them the checkout's
        # editable install) are not processed, so `sketchpad` comes from the wheel.
        site = Path(sysconfig.get_paths(vars={"base": str(venv)})["purelib"])
        site.mkdir(parents=True, exist_ok=True)
        (site / "zz-shared-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        _run(pip + ["--no-deps", wheel])
    else:
        _run(pip + [wheel])
    return venv / "bin" / "sketchpad"


def check_installed_paths(venv: Path) -> None:
    """The venv's sketchpad, models and resources all come from the wheel."""
    probe = ("import sketchpad; from sketchpad import paths; "
             "print(sketchpad.__file__, paths.models_dir(), paths.resources_dir(), sep='\\n')")
    lines = _run([venv / "bin" / "python", "-c", probe], cwd=venv).stdout.split()
    outside = [line for line in lines if not Path(line).resolve().is_relative_to(venv.resolve())]
    if outside:
        raise SystemExit(f"smoke: the fresh venv uses files outside it: {outside}")
    print(f"  ok  package, models and resources all load from {venv}")


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"smoke: {path} is not a PNG")
    return struct.unpack(">II", head[16:24])


def smoke_app(command: list, scratch: Path) -> None:
    """Run an installed Sketchpad where only what it carries can be found."""
    scratch.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env.update(HOME=str(scratch), SKETCHPAD_HOME=str(scratch / "home"),
               XDG_CONFIG_HOME=str(scratch / "config"), QT_QPA_PLATFORM="offscreen")
    env.pop("VIRTUAL_ENV", None)
    run = dict(cwd=scratch, env=env, timeout=600)

    version = _run(command + ["--version"], **run).stdout.strip()
    if not version.startswith("sketchpad "):
        raise SystemExit(f"smoke: --version printed {version!r}")
    _run(command + ["generate", "punchy 808 kick", "--count", "2", "--out", scratch / "gen"], **run)
    wavs = sorted((scratch / "gen").glob("*.wav"))
    if len(wavs) != 2:
        raise SystemExit(f"smoke: generate wrote {len(wavs)} WAV files, not 2")
    shot = scratch / "window.png"
    _run(command + ["screenshot", shot], **run)
    width, height = _png_size(shot)
    if width < 640 or height < 400:
        raise SystemExit(f"smoke: the window screenshot is only {width}x{height}")
    print(f"  ok  {version}; 2 one-shots generated; window screenshot {shot}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    wheel = sub.add_parser("wheel", help="build sdist + wheel, install in a fresh venv, run it")
    wheel.add_argument("--share-deps", action="store_true",
                       help="reuse this venv's packages instead of downloading them")
    wheel.add_argument("--no-isolation", action="store_true",
                       help="build with this venv's setuptools (offline)")
    app = sub.add_parser("app", help="run a built PyInstaller app")
    app.add_argument("executable", type=Path)
    for command in (wheel, app):
        command.add_argument("--workdir", type=Path, default=None, help="keep everything here")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="sketchpad-smoke-") as tmp:
        work = args.workdir or Path(tmp)
        if args.what == "wheel":
            print("Building the sdist and the wheel")
            wheel_path, sdist_path = build_dists(work / "dist", isolated=not args.no_isolation)
            check_contents(wheel_path, sdist_path)
            print("Installing the wheel into a fresh virtualenv")
            exe = install_in_fresh_venv(wheel_path, work / "venv", share_deps=args.share_deps)
            check_installed_paths(work / "venv")
            smoke_app([exe], work / "run")
        else:
            smoke_app([args.executable.resolve()], work / "run")
    print("smoke: all good")
    return 0


if __name__ == "__main__":
    sys.exit(main())
