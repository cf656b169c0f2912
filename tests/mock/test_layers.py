"""The mock's modules depend on each other one way: no cycles, and the app is the top.

Read from the sources (every `from .x import` and `import mock_server.x`, at run
time or under TYPE_CHECKING alike), so a new upward import fails here, not in a
later refactor.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "mock_server"
# Entry points and the public surface: they may import anything, nothing imports them.
TOP = {"__init__", "__main__", "cli", "testing", "pytest_plugin", "modifiers"}  # modifiers: build_app()
# Who may import the app: only the entry points.
APP_USERS = TOP


def imports_of(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                found.add(node.module.split(".")[0])
            elif node.level == 1:
                found.update(alias.name for alias in node.names)
            elif node.module and node.module.startswith("mock_server."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("mock_server."))
    return found & MODULES


MODULES = {path.stem for path in PACKAGE.glob("*.py")}
GRAPH = {module: imports_of(module) for module in MODULES}


@pytest.mark.parametrize("module", sorted(MODULES - TOP))
def test_no_library_module_imports_an_entry_point(module: str) -> None:
    assert not GRAPH[module] & TOP, f"{module} imports {GRAPH[module] & TOP}"


@pytest.mark.parametrize("module", sorted(MODULES - APP_USERS - {"app"}))
def test_only_entry_points_import_the_app(module: str) -> None:
    assert "app" not in GRAPH[module], f"{module} imports app.py: move what it needs below the app"


def test_the_state_sits_below_routes_endpoints_admin_and_reload() -> None:
    above = {"app", "routes", "endpoint", "admin", "reload", "docs", "cors", "middleware"}
    assert not GRAPH["state"] & above


def test_there_is_no_import_cycle() -> None:
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        if module in path:
            cycle = (*path[path.index(module) :], module)
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if module in done:
            return
        for imported in sorted(GRAPH[module]):
            visit(imported, (*path, module))
        done.add(module)

    for module in sorted(MODULES):
        visit(module, ())


def test_the_fast_path_sits_between_the_app_and_the_endpoints() -> None:
    """fastpath.py routes the spec's paths to endpoint.py; only the app builds it, and it
    knows nothing above the endpoints (no Starlette app, no admin, no docs)."""
    assert {module for module, imported in GRAPH.items() if "fastpath" in imported} <= {"app"}
    assert not GRAPH["fastpath"] & {"app", "routes", "admin", "docs", "cors", "reload", "middleware"}
    assert "endpoint" in GRAPH["fastpath"]


def test_the_served_protocol_is_used_by_entry_points_only() -> None:
    """protocol.py (uvicorn's protocol with the head limit and the request deadline) is a
    server concern: the launchers use it, the app and everything below never do."""
    assert {module for module, imported in GRAPH.items() if "protocol" in imported} <= TOP
    assert GRAPH["protocol"] <= {"errors"}
