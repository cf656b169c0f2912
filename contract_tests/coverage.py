"""Spec coverage: which operation × documented status (and list parameter) a run provoked."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

HTTP_METHODS = ("get", "put", "post", "delete", "patch")

# Documented statuses the suite does not provoke on purpose, with the reason. They are shown as
# "n/a" and never fail the thorough profile: a correct deployment cannot make them appear.
NOT_PROVOKED = {
    431: (
        "a gateway in front of a live deployment refuses an oversized request head first, in its own "
        "status and shape (nginx: 400 or 494), so the suite sends none; the mock's own tests cover it"
    ),
}


@dataclass(frozen=True)
class OperationInfo:
    operation_id: str
    method: str
    path: str
    pattern: re.Pattern[str]
    statuses: tuple[int, ...]
    query_parameters: tuple[str, ...]


def operations_of(document: Mapping[str, Any]) -> list[OperationInfo]:
    found = []
    for path, item in document.get("paths", {}).items():
        regex = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
        for method in HTTP_METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = [*item.get("parameters", []), *op.get("parameters", [])]
            found.append(
                OperationInfo(
                    operation_id=op["operationId"],
                    method=method.upper(),
                    path=path,
                    pattern=regex,
                    statuses=tuple(sorted(int(s) for s in op.get("responses", {}) if s.isdigit())),
                    query_parameters=tuple(
                        _param_name(p, document) for p in params if _in(p, document) == "query"
                    ),
                )
            )
    return found


def _resolve(node: Mapping[str, Any], document: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = node.get("$ref")
    if not ref:
        return node
    target: Any = document
    for part in ref.lstrip("#/").split("/"):
        target = target[part]
    return _resolve(target, document)


def _param_name(param: Mapping[str, Any], document: Mapping[str, Any]) -> str:
    return str(_resolve(param, document)["name"])


def _in(param: Mapping[str, Any], document: Mapping[str, Any]) -> str:
    return str(_resolve(param, document)["in"])


@dataclass
class SpecCoverage:
    operations: list[OperationInfo]
    seen: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    undocumented: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    parameters: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def operation_for(self, method: str, path: str) -> OperationInfo | None:
        for op in self.operations:
            if op.method == method.upper() and op.pattern.match(path):
                return op
        return None

    def record(self, method: str, path: str, status: int, query: Iterable[str] = ()) -> None:
        op = self.operation_for(method, path)
        if op is None:
            return
        (self.seen if status in op.statuses else self.undocumented)[op.operation_id].add(status)
        if 200 <= status < 300:
            self.parameters[op.operation_id].update(q for q in query if q in op.query_parameters)

    def as_dict(self) -> dict[str, Any]:
        """What this process saw, as plain data (pytest-xdist sends it to the controller)."""
        return {
            name: {op: sorted(values) for op, values in getattr(self, name).items()}
            for name in ("seen", "undocumented", "parameters")
        }

    def merge(self, data: Mapping[str, Any]) -> None:
        for name in ("seen", "undocumented", "parameters"):
            mine = getattr(self, name)
            for op, values in data.get(name, {}).items():
                mine[op].update(values)

    def missing(self) -> list[tuple[str, int]]:
        return [
            (op.operation_id, status)
            for op in self.operations
            for status in op.statuses
            if status not in self.seen[op.operation_id] and status not in NOT_PROVOKED
        ]

    def missing_parameters(self) -> list[tuple[str, str]]:
        return [
            (op.operation_id, name)
            for op in self.operations
            for name in op.query_parameters
            if name not in self.parameters[op.operation_id]
        ]

    def table(self) -> str:
        statuses = sorted({s for op in self.operations for s in op.statuses})
        header = f"{'operation':<16}" + "".join(f"{s:>6}" for s in statuses)
        rows = [header, "-" * len(header)]
        for op in self.operations:
            cells = []
            for s in statuses:
                if s not in op.statuses:
                    cells.append(f"{'':>6}")
                elif s in NOT_PROVOKED and s not in self.seen[op.operation_id]:
                    cells.append(f"{'n/a':>6}")
                else:
                    cells.append(f"{'yes' if s in self.seen[op.operation_id] else 'NO':>6}")
            rows.append(f"{op.operation_id:<16}" + "".join(cells))
        for op in self.operations:
            if op.query_parameters:
                used = [
                    f"{n}{'' if n in self.parameters[op.operation_id] else ' (NO)'}"
                    for n in op.query_parameters
                ]
                rows.append(f"{op.operation_id} parameters with a 2xx answer: {', '.join(used)}")
            if self.undocumented[op.operation_id]:
                rows.append(
                    f"{op.operation_id} answered undocumented statuses: "
                    f"{', '.join(map(str, sorted(self.undocumented[op.operation_id])))}"
                )
        rows.extend(f"n/a: {status}: not provoked on purpose: {why}" for status, why in NOT_PROVOKED.items())
        return "\n".join(rows)
