"""The Qt-free core must stay Qt-free: import it in a fresh interpreter and check."""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "sketchpad"
CORE_PACKAGES = ["audio", "core", "engine", "training"]
UI_ONLY = ("PySide6", "pyqtgraph", "shiboken6")


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_core_sources_never_import_qt():
    offenders = []
    for name in CORE_PACKAGES:
        for path in (PACKAGE / name).rglob("*.py"):
            for module in _imports(path):
                if module.split(".")[0] in UI_ONLY or module.startswith("sketchpad.ui"):
                    offenders.append(f"{path.relative_to(PACKAGE)}: {module}")
    assert offenders == []


def test_importing_core_loads_no_qt():
    modules = [f"sketchpad.{name}.{p.stem}" for name in CORE_PACKAGES
               for p in sorted((PACKAGE / name).glob("*.py")) if p.stem != "__init__"]
    code = ("import sys\n" + "".join(f"import {m}\n" for m in modules)
            + f"bad = [m for m in sys.modules if m.split('.')[0] in {UI_ONLY!r}]\n"
            "print('QT_MODULES=' + ','.join(bad))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # Libraries may print their own lines on import; read only ours.
    marker = [line for line in out.stdout.splitlines() if line.startswith("QT_MODULES=")]
    assert marker == ["QT_MODULES="]


def test_only_the_playback_engine_imports_sounddevice():
    users = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
             if "sounddevice" in {m.split(".")[0] for m in _imports(p)}]
    assert users == ["audio/playback.py"]


def test_only_the_ui_package_imports_qt_itself():
    # The CLI and the benchmark may call into sketchpad.ui, but Qt calls stay inside it.
    offenders = [f"{p.relative_to(PACKAGE)}: {m}" for p in PACKAGE.rglob("*.py")
                 if "ui" not in p.relative_to(PACKAGE).parts[:1]
                 for m in _imports(p) if m.split(".")[0] in UI_ONLY]
    assert offenders == []
