"""No two mnistlab modules import each other, directly or round a loop.

Imports are read from the source (``ast``), module-level ones and those inside functions alike, but not the
ones under ``if TYPE_CHECKING:``, which never run. Nothing is imported, so this needs no TensorFlow.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def modules_under(root: Path, package: str = "mnistlab") -> dict[str, Path]:
    """Dotted module name -> source file, for every module of ``package`` under ``root``."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of ``modules`` that the file imports (``from pkg import mod`` counts as ``pkg.mod``)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module:
                found.add(child.module)
                found.update(f"{child.module}.{alias.name}" for alias in child.names)
            visit(child)

    visit(ast.parse(path.read_text()))
    return {name for name in found if name in modules}


def cycles(modules: dict[str, Path]) -> list[list[str]]:
    """Import loops among ``modules``, each as the path round it (a package importing its own submodules, as
    ``__init__`` files do, is not a loop)."""
    graph = {
        name: {m for m in imports_of(path, modules) if m != name and not name.startswith(m + ".")}
        for name, path in modules.items()
    }
    state: dict[str, str] = {}
    path: list[str] = []
    found = []

    def walk(node: str) -> None:
        state[node] = "on the path"
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "on the path":
                found.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                walk(nxt)
        path.pop()
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            walk(name)
    return found


def test_no_import_cycles_among_mnistlab_modules():
    modules = modules_under(ROOT)
    assert "mnistlab.files" in modules and "mnistlab.sweeps.store" in modules
    assert cycles(modules) == []


def test_the_check_finds_a_loop_through_an_import_inside_a_function(tmp_path):
    (tmp_path / "mnistlab").mkdir()
    (tmp_path / "mnistlab" / "__init__.py").write_text("")
    (tmp_path / "mnistlab" / "a.py").write_text("from mnistlab import b\n")
    (tmp_path / "mnistlab" / "b.py").write_text("def f():\n    from mnistlab.a import x\n")
    (tmp_path / "mnistlab" / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from mnistlab import a\n"
    )
    assert cycles(modules_under(tmp_path)) == [["mnistlab.a", "mnistlab.b", "mnistlab.a"]]
