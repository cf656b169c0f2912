"""What `make mutation` mutates: the files of [tool.mutmut], minus the functions of `scope.toml`.

Mutant names follow mutmut's scheme: `<module>.x_<function>__mutmut_<n>` for a
function, `<module>.xǁ<Class>ǁ<method>__mutmut_<n>` for a method.
"""

from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
SEPARATOR = "ǁ"  # mutmut's class separator in mangled names


@dataclass(frozen=True)
class Skip:
    function: str  # path:function or path:Class.method
    reason: str


def mutated_files(root: Path = ROOT) -> list[str]:
    """`only_mutate` of [tool.mutmut] in pyproject.toml: the one list of mutated files."""
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]
    return list(config["only_mutate"])


def skipped(path: Path = HERE / "scope.toml") -> list[Skip]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [Skip(entry["function"], entry["reason"]) for entry in data.get("skip", [])]


def module_of(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def mangled(function: str) -> str:
    """`fold` -> `x_fold`; `Organization.update` -> `xǁOrganizationǁupdate`."""
    owner, _, name = function.rpartition(".")
    return f"x{SEPARATOR}{owner}{SEPARATOR}{name}" if owner else f"x_{name}"


def function_of(mutant_name: str) -> str:
    """`mock_server.store.xǁOrganizationǁupdate__mutmut_3` -> `Organization.update`."""
    mangled_name = mutant_name.partition("__mutmut_")[0].rpartition(".")[2]
    if mangled_name.startswith("x" + SEPARATOR):
        owner, name = mangled_name[2:].split(SEPARATOR)
        return f"{owner}.{name}"
    return mangled_name.removeprefix("x_")


def functions_in(path: str, root: Path = ROOT) -> list[str]:
    """The functions mutmut can mutate in a file: top-level functions and methods, not decorated
    (but for staticmethod and classmethod), as `name` or `Class.name`."""
    tree = ast.parse((root / path).read_text(encoding="utf-8"))
    found = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _mutable(node):
            found.append(node.name)
        elif isinstance(node, ast.ClassDef):
            found += [
                f"{node.name}.{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and _mutable(item)
            ]
    return found


def _mutable(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    if not node.decorator_list:
        return True
    only = node.decorator_list[0] if len(node.decorator_list) == 1 else None
    return isinstance(only, ast.Name) and only.id in ("staticmethod", "classmethod")


def in_scope(root: Path = ROOT) -> dict[str, list[str]]:
    """Per mutated file, the functions that are mutated (skipped ones left out)."""
    skip = {entry.function for entry in skipped()}
    return {
        path: [f for f in functions_in(path, root) if f"{path}:{f}" not in skip]
        for path in mutated_files(root)
    }


def patterns(root: Path = ROOT) -> list[str]:
    """mutmut name patterns of every function in scope (`mutmut run` takes them)."""
    return [
        f"{module_of(path)}.{mangled(function)}__mutmut_*"
        for path, functions in in_scope(root).items()
        for function in functions
    ]


def is_in_scope(mutant_name: str, path: str, scope: dict[str, list[str]]) -> bool:
    return function_of(mutant_name) in scope.get(path, [])
