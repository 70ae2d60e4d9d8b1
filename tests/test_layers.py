"""The layer contract: which package may import which, and no import cycles.

    cli            (the command line: may use everything)
    sketchpad_measure   (benchmarks and evaluations: everything but the cli)
    ui             -> core, training, engine, audio
    core           -> engine, audio
    training       -> engine, audio
    engine         -> audio
    audio          -> (foundation only)

The foundation (``sketchpad`` itself, ``errors``, ``atomic``, ``threads``,
``allocator``, ``process_setup``, ``paths``, ``jobs``) is importable from every
layer and imports none of them.
Imports inside functions count too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOUNDATION = {"sketchpad", "sketchpad.errors", "sketchpad.atomic", "sketchpad.threads",
              "sketchpad.allocator", "sketchpad.process_setup", "sketchpad.paths", "sketchpad.jobs"}
ALLOWED = {
    "foundation": {"foundation"},
    "audio": {"foundation", "audio"},
    "engine": {"foundation", "audio", "engine"},
    "core": {"foundation", "audio", "engine", "core"},
    "training": {"foundation", "audio", "engine", "training"},
    "ui": {"foundation", "audio", "engine", "training", "core", "ui"},
    "measure": {"foundation", "audio", "engine", "training", "core", "ui", "measure"},
    "cli": {"foundation", "audio", "engine", "training", "core", "ui", "measure", "cli"},
}


def layer_of(module: str) -> str | None:
    """The layer of a ``sketchpad``/``sketchpad_measure`` module name, None for others."""
    if module == "sketchpad_measure" or module.startswith("sketchpad_measure."):
        return "measure"
    if module in FOUNDATION:
        return "foundation"
    parts = module.split(".")
    if parts[0] != "sketchpad":
        return None
    top = parts[1]
    if top in ("cli", "cli_kit", "__main__"):
        return "cli"
    if top in ALLOWED:
        return top
    return "unknown"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, module: str, *, top_level_only: bool = False):
    """Absolute names of the project modules ``path`` imports (``from a import b`` gives a.b
    when that is a module, else a)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else ast.walk(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in nodes:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def project_modules(root: Path) -> dict[str, Path]:
    found = {}
    for package in ("sketchpad", "sketchpad_measure"):
        for path in (root / package).rglob("*.py"):
            found[module_name(path, root)] = path
    return found


def layer_violations(root: Path) -> list[str]:
    modules = project_modules(root)
    problems = []
    for name, path in sorted(modules.items()):
        own = layer_of(name)
        if own == "unknown":
            problems.append(f"{name}: not in any layer")
            continue
        for target in set(imports_of(path, name)):
            if target not in modules:
                continue
            other = layer_of(target)
            if other not in ALLOWED[own]:
                problems.append(f"{name} ({own}) imports {target} ({other})")
    return problems


def import_cycles(root: Path) -> list[list[str]]:
    """Cycles among module-level imports (the ones that run when a module is imported)."""
    modules = project_modules(root)
    graph = {name: sorted({t for t in imports_of(path, name, top_level_only=True)
                           if t in modules and t != name})
             for name, path in modules.items()}
    cycles, state, stack = [], {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    # A package importing its own submodules in __init__ is not a cycle to report.
    return [c for c in cycles if not all(m.startswith(c[0] + ".") or m == c[0] for m in c)]


def test_every_import_respects_the_layers():
    assert layer_violations(ROOT) == []


def test_no_import_cycles():
    assert import_cycles(ROOT) == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_the_contract_catches_an_import_up_the_layers(tmp_path):
    root = _tree(tmp_path, {
        "sketchpad/__init__.py": "",
        "sketchpad/engine/__init__.py": "",
        "sketchpad/engine/model.py": "def f():\n    from sketchpad.ui.window import W\n",
        "sketchpad/ui/__init__.py": "",
        "sketchpad/ui/window.py": "from sketchpad.engine import model\n",
        "sketchpad_measure/__init__.py": "",
        "sketchpad_measure/bench.py": "import sketchpad.ui.window\n",
    })
    assert layer_violations(root) == [
        "sketchpad.engine.model (engine) imports sketchpad.ui.window (ui)"]
    # and the product importing the measurement package
    (root / "sketchpad/ui/window.py").write_text("from ..engine import model\nimport sketchpad_measure.bench\n")
    assert layer_violations(root)[-1] == "sketchpad.ui.window (ui) imports sketchpad_measure.bench (measure)"


def test_the_contract_catches_a_cycle(tmp_path):
    root = _tree(tmp_path, {
        "sketchpad/__init__.py": "",
        "sketchpad/audio/__init__.py": "",
        "sketchpad/audio/a.py": "from sketchpad.audio import b\n",
        "sketchpad/audio/b.py": "import sketchpad.audio.a\n",
        "sketchpad_measure/__init__.py": "",
    })
    assert import_cycles(root) == [["sketchpad.audio.a", "sketchpad.audio.b", "sketchpad.audio.a"]]
