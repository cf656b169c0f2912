"""What one run found: violations by rule, target errors, cleanup; the summary and the exit code.

A process keeps one `Report`. In a distributed run each worker sends
`snapshot()` (cumulative, small) to the master, which keeps the latest per
worker and adds them up with `merge()`; the master's summary is the whole run's.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .rules import RULES, TARGET_KINDS

EXIT_CLEAN = 0
EXIT_VIOLATED = 1  # a contract rule broke (Locust's own code for failures)
EXIT_INCOMPLETE = 2  # no violation, but no clean verdict: target errors, leftovers, errors in users


@dataclass(frozen=True)
class Example:
    """One occurrence of a violated rule, enough to reproduce it."""

    rule: str
    invariant: str
    detail: str
    request: str  # "METHOD URL"
    curl: str  # tokens appear as $CONTRACT_TOKEN / $CONTRACT_OTHER_ORG_TOKEN

    def as_dict(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "invariant": self.invariant,
            "detail": self.detail,
            "request": self.request,
            "curl": self.curl,
        }


@dataclass
class Report:
    violations: Counter[str] = field(default_factory=Counter)
    examples: dict[str, Example] = field(default_factory=dict)
    target_errors: Counter[str] = field(default_factory=Counter)
    checked: int = 0  # answers checked against the contract
    created: int = 0  # contacts the run's creates were acknowledged for
    deleted_by_users: int = 0
    removed_at_end: int = 0
    left_behind: list[str] = field(default_factory=list)
    user_errors: int = 0  # exceptions in the load test itself (never a verdict on the target)

    def violation(self, example: Example) -> None:
        self.violations[example.rule] += 1
        self.examples.setdefault(example.rule, example)

    def target_error(self, kind: str) -> None:
        self.target_errors[kind] += 1

    @property
    def violated(self) -> bool:
        return bool(self.violations)

    # -- distributed: worker snapshots, merged on the master

    def snapshot(self) -> dict[str, Any]:
        return {
            "violations": dict(self.violations),
            "examples": [e.as_dict() for e in self.examples.values()],
            "target_errors": dict(self.target_errors),
            "checked": self.checked,
            "created": self.created,
            "deleted_by_users": self.deleted_by_users,
            "removed_at_end": self.removed_at_end,
            "left_behind": list(self.left_behind),
            "user_errors": self.user_errors,
        }

    def merge(self, snapshot: dict[str, Any]) -> None:
        self.violations.update(snapshot.get("violations", {}))
        for raw in snapshot.get("examples", []):
            self.examples.setdefault(raw["rule"], Example(**raw))
        self.target_errors.update(snapshot.get("target_errors", {}))
        for name in ("checked", "created", "deleted_by_users", "removed_at_end", "user_errors"):
            setattr(self, name, getattr(self, name) + int(snapshot.get(name, 0)))
        self.left_behind.extend(snapshot.get("left_behind", []))

    @classmethod
    def combined(cls, *parts: dict[str, Any]) -> Report:
        total = cls()
        for part in parts:
            total.merge(part)
        return total

    # -- the end of the run

    def exit_code(self) -> int:
        if self.violated:
            return EXIT_VIOLATED
        if self.left_behind or sum(self.target_errors.values()) or self.user_errors:
            return EXIT_INCOMPLETE
        return EXIT_CLEAN

    def verdict(self) -> str:
        code = self.exit_code()
        if code == EXIT_VIOLATED:
            rules = ", ".join(rule for rule in RULES if rule in self.violations)
            return f"contract VIOLATED: {rules} (exit code {code})"
        if code == EXIT_INCOMPLETE:
            return f"no violation seen, but the run was not clean (see above) (exit code {code})"
        return f"contract held: {self.checked:,} answers checked, 0 violations (exit code 0)"

    def summary(self, run_tag: str) -> str:
        lines = [
            f"Contract under load (run tag {run_tag}): {self.checked:,} answers checked, "
            f"{sum(self.violations.values()):,} violations of {len(self.violations)} rules"
        ]
        for rule in RULES:
            if rule not in self.violations:
                continue
            example = self.examples[rule]
            lines += [
                f"  [{rule}] {self.violations[rule]:,}x  {RULES[rule]}",
                f"    violated: {example.invariant.removeprefix(rule + ': ')}",
                *(f"      {line}" for line in example.detail.splitlines()),
                f"    request:  {example.request}",
            ]
            if example.curl:
                lines.append(f"    reproduce: {example.curl}")
        errors = ", ".join(f"{self.target_errors.get(kind, 0):,} {kind}" for kind in TARGET_KINDS)
        lines.append(f"  target errors (counted apart, no contract verdict): {errors}")
        if self.user_errors:
            lines.append(f"  errors in the load test itself: {self.user_errors} (see the log)")
        lines.append(
            f"  cleanup: created {self.created:,} contacts; {self.deleted_by_users:,} deleted by the users, "
            f"{self.removed_at_end:,} removed by the final sweep, {len(self.left_behind)} left behind"
            + (" (" + ", ".join(self.left_behind[:10]) + ")" if self.left_behind else "")
        )
        lines.append(f"  verdict: {self.verdict()}")
        return "\n".join(lines)

    def as_json(self, run_tag: str, workers: int = 0) -> dict[str, Any]:
        """The summary for machines; `workers`: how many workers' final reports it includes."""
        return {"run_tag": run_tag, "exit_code": self.exit_code(), "workers": workers, **self.snapshot()}
