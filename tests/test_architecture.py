"""ARCHITECTURE.md stays true: the modules it names exist, layers import only downwards, no import cycles."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "cmtk"

LAYERS = {
    "errors": 1, "findings": 1, "dates": 1, "messages": 1,
    "store": 2, "team": 2,
    "forms": 3, "smart": 3,
    "casework": 4,
    "index": 5,
    "output": 6, "dev": 6,
    "cli": 7,
}  # fmt: skip
# Upward imports ARCHITECTURE.md names, each for a reason written there.
REACHING_FURTHER = {"cmtk.store.doctor", "cmtk.team.conflicts", "cmtk.forms.editing"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        found[name] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """cmtk modules a file imports when it is loaded (top level, not under `if TYPE_CHECKING`)."""
    wanted = set()
    for node in ast.parse(path.read_text("utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "cmtk":
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                wanted.add(sub if sub in modules else node.module)
        elif isinstance(node, ast.Import):
            wanted.update(a.name for a in node.names if a.name.split(".")[0] == "cmtk")
    return wanted & set(modules)


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


def test_every_module_the_map_names_exists():
    text = (REPO / "ARCHITECTURE.md").read_text("utf-8")
    named = set(re.findall(r"`((?:cmtk|bench|tests)/[\w/]+\.py)", text))
    assert len(named) > 40
    assert sorted(n for n in named if not (REPO / n).is_file()) == []


def test_every_module_is_on_the_map():
    text = (REPO / "ARCHITECTURE.md").read_text("utf-8")
    unnamed = [
        str(path.relative_to(REPO))
        for path in PACKAGE.rglob("*.py")
        if path.name not in ("__init__.py", "__main__.py")
        and path.parent.name != "cli"  # the CLI is named as a whole: one module per command group
        and str(path.relative_to(REPO)) not in text
    ]
    assert unnamed == []


def test_layers_import_only_downwards():
    modules = _modules()
    upward = []
    for name, path in modules.items():
        here = _layer(name)
        if here is None or name in REACHING_FURTHER:
            continue
        for target in _imports(path, modules):
            there = _layer(target)
            if there is not None and there > here:
                upward.append(f"{name} -> {target}")
    assert sorted(upward) == []


def test_no_import_cycles():
    modules = _modules()
    graph = {name: _imports(path, modules) for name, path in modules.items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append(" -> ".join(trail[trail.index(target) :] + [target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []
