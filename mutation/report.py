"""reports/mutation.json from mutmut's results (mutants/*.meta) and `equivalents.toml`.

Verdicts, from the exit status of the suite's run against the mutant:

- killed: the suite failed (1, or 3 for an internal error), could not reach a
  verdict (75, inconclusive: a CI run would not be green either; counted apart
  as `killed_inconclusive`), or crashed (255: the mutant's exception escaped
  into the suite's own cleanup, so pytest itself raised; counted apart as
  `killed_crash`);
- timeout: the run was stopped at mutmut's time limit (SIGXCPU; a hang is caught too);
- survived: the suite passed; also a mutant no selected test executes (`no_tests`);
- equivalent: a survivor listed in `equivalents.toml` (`[[equivalent]]`), whose
  mutation cannot be told apart from the original through the HTTP contract;
- left_open: a survivor listed under `[[left_open]]`: a client could tell, but a
  check for it would flag some correct server, so the suite leaves it alone on
  purpose. It counts as a survivor in the score, never as an equivalent.

score = (killed + timeout) / (mutants - equivalent).
"""

from __future__ import annotations

import json
import os
import platform
import tomllib
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import scope

EQUIVALENTS = scope.HERE / "equivalents.toml"
KILLED = {1, 3}
INCONCLUSIVE = 75
CRASH = 255  # mutmut's worker: os._exit(-1) when the test run raised
TIMEOUT = {-24, 24, 152, 36}
NO_TESTS = {5, 33}


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    function: str
    line: int
    before: str
    after: str

    @property
    def text(self) -> str:
        return f"{self.before}  ->  {self.after}"

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line} {self.function}"


@dataclass(frozen=True)
class Equivalent:
    mutant: str
    mutation: str
    reason: str


def load_equivalents(path: Path | None = None, table: str = "equivalent") -> list[Equivalent]:
    """The entries of one table of `equivalents.toml`: "equivalent" or "left_open"."""
    data = tomllib.loads((path or EQUIVALENTS).read_text(encoding="utf-8"))
    return [Equivalent(e["mutant"], e["mutation"], e["reason"]) for e in data.get(table, [])]


def verdict(exit_code: int | None) -> str:
    if exit_code is None:
        return "not_checked"
    if exit_code in KILLED or exit_code in (INCONCLUSIVE, CRASH):
        return "killed"
    if exit_code in TIMEOUT:
        return "timeout"
    if exit_code == 0 or exit_code in NO_TESTS:
        return "survived"
    return "error"  # a crash of the test process (segfault, killed): neither verdict


def mutation_of(name: str, path: str, root: Path) -> Mutation:
    """The mutation of one mutant, read from mutmut's generated file in `root`/mutants."""
    import libcst as cst
    from mutmut.mutation.diff_apply import (
        read_functions_from_index,
        read_mutant_function,
        read_mutants_module,
        read_original_function,
    )

    cwd = Path.cwd()
    os.chdir(root)
    try:
        functions = read_functions_from_index(name, path)
        if functions is None:
            module = read_mutants_module(path)
            functions = (read_original_function(module, name), read_mutant_function(module, name))
    finally:
        os.chdir(cwd)
    original, mutated = (cst.Module([f]).code.strip().splitlines() for f in functions)
    return describe(name, path, original, mutated, (root / path).read_text(encoding="utf-8"))


def describe(name: str, path: str, original: list[str], mutated: list[str], source: str) -> Mutation:
    import difflib

    before: list[str] = []
    after: list[str] = []
    first = -1
    matcher = difflib.SequenceMatcher(a=original, b=mutated, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag != "equal":
            first = a0 if first < 0 else first
            before += [line.strip() for line in original[a0:a1]]
            after += [line.strip() for line in mutated[b0:b1]]
    line = 0
    header = original[0].strip()
    for number, text in enumerate(source.splitlines(), start=1):
        if text.strip() == header:
            line = number + max(first, 0)
            break
    return Mutation(name, path, scope.function_of(name), line, " / ".join(before), " / ".join(after))


def results(root: Path = scope.ROOT) -> dict[str, tuple[str, int | None, float | None]]:
    """mutant name -> (source path, exit status, seconds), for the mutants in scope."""
    in_scope = scope.in_scope(root)
    found: dict[str, tuple[str, int | None, float | None]] = {}
    for path in in_scope:
        meta = root / "mutants" / f"{path}.meta"
        if not meta.exists():
            continue
        data = json.loads(meta.read_text(encoding="utf-8"))
        for name, code in data["exit_code_by_key"].items():
            if scope.is_in_scope(name, path, in_scope):
                found[name] = (path, code, data["durations_by_key"].get(name))
    return found


def costs(root: Path = scope.ROOT) -> dict[str, tuple[float, float]]:
    """mutant name -> (CPU seconds, wall seconds) of its last run (`mutation.plugin` writes them)."""
    path = root / "mutants" / "mutation-times.jsonl"
    found: dict[str, tuple[float, float]] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line cut short by an interrupted run
            found[entry["mutant"]] = (float(entry["cpu"]), float(entry["wall"]))
    return found


def cost_summary(found: dict[str, tuple[str, int | None, float | None]], root: Path) -> dict[str, Any]:
    """CPU time of the mutants' own processes, by verdict, and what it projects on an idle machine."""
    spent = costs(root)
    by_kind: dict[str, list[float]] = {}
    for name, (_, code, _) in found.items():
        if name in spent:
            by_kind.setdefault(verdict(code), []).append(spent[name][0])
    total = sum(sum(v) for v in by_kind.values())
    cores = os.cpu_count() or 1
    return {
        "measured_mutants": sum(len(v) for v in by_kind.values()),
        "cpu_seconds": round(total, 1),
        "cpu_seconds_mean": {k: round(sum(v) / len(v), 2) for k, v in sorted(by_kind.items())},
        # Mutant processes only (mutmut's statistics and clean runs come on top): on an idle
        # machine with one job per core the mutants take their CPU time divided by the cores.
        "projected_idle_seconds": round(total / min(2, cores), 1),
    }


def build(root: Path = scope.ROOT, seconds: float | None = None) -> dict[str, Any]:
    """The report as a JSON-ready dict (raises nothing on stale equivalents: they are listed)."""
    found = results(root)
    equivalents = {e.mutant: e for e in load_equivalents()}
    left_open = {e.mutant: e for e in load_equivalents(table="left_open")}
    counts: Counter[str] = Counter()
    per_file: dict[str, Counter[str]] = {}
    survivors: list[dict[str, Any]] = []
    listed: list[dict[str, Any]] = []
    kept_open: list[dict[str, Any]] = []
    stale: list[dict[str, Any]] = []
    inconclusive = crashed = no_tests = not_checked = not_run = 0
    for name, (path, code, _) in sorted(found.items()):
        kind = verdict(code)
        if kind == "not_checked":
            not_checked += 1
            continue
        entry = equivalents.get(name) or left_open.get(name)
        mutation = mutation_of(name, path, root) if kind == "survived" or entry else None
        if entry is not None and mutation is not None and mutation.text != entry.mutation:
            stale.append({"mutant": name, "listed": entry.mutation, "now": mutation.text})
            entry = None
        if kind == "survived" and entry is not None and mutation is not None:
            kind = "left_open" if name in left_open else "equivalent"
            (kept_open if kind == "left_open" else listed).append(
                {"mutant": name, "where": mutation.where, "mutation": mutation.text, "reason": entry.reason}
            )
        elif kind == "survived" and mutation is not None:
            survivors.append(
                {
                    "mutant": name,
                    "where": mutation.where,
                    "mutation": mutation.text,
                    "no_tests": code in NO_TESTS,
                }
            )
        elif entry is not None:
            stale.append({"mutant": name, "listed": entry.mutation, "now": f"{kind}, not a survivor"})
        not_run += kind in ("equivalent", "left_open") and code == 5  # mutation.plugin deselected its tests
        inconclusive += code == INCONCLUSIVE
        crashed += code == CRASH
        no_tests += code in NO_TESTS
        counts[kind] += 1
        per_file.setdefault(path, Counter())[kind] += 1
    entries = equivalents | left_open
    missing = sorted(set(entries) - set(found))
    stale += [{"mutant": name, "listed": entries[name].mutation, "now": "no such mutant"} for name in missing]
    total = sum(counts.values())
    judged = total - counts["equivalent"]
    detected = counts["killed"] + counts["timeout"]
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
        "seconds": round(seconds, 1) if seconds is not None else None,
        "mutants": total,
        "killed": counts["killed"],
        "survived": counts["survived"] + counts["left_open"],
        "left_open": counts["left_open"],
        "timeout": counts["timeout"],
        "equivalent": counts["equivalent"],
        "errors": counts["error"],
        "killed_inconclusive": inconclusive,
        "killed_crash": crashed,
        "not_checked": not_checked,  # an interrupted run: mutants in scope without a verdict
        "no_tests": no_tests - not_run,
        "equivalent_not_run": not_run,
        "cost": cost_summary(found, root),
        "score": round(100 * detected / judged, 2) if judged else None,
        "equivalent_share": round(100 * counts["equivalent"] / total, 2) if total else None,
        "files": {
            path: {k: c[k] for k in ("killed", "survived", "left_open", "timeout", "equivalent", "error")}
            | {"mutants": sum(c.values())}
            for path, c in sorted(per_file.items())
        },
        "survivors": survivors,
        "equivalents": listed,
        "left_open_survivors": kept_open,
        "stale_equivalents": stale,
        "skipped_functions": [{"function": s.function, "reason": s.reason} for s in scope.skipped()],
    }


def summary(report: dict[str, Any]) -> str:
    r = report
    lines = [
        f"mutation testing: {r['mutants']} mutants, {r['killed']} killed, {r['timeout']} timeout, "
        f"{r['survived']} survived ({r['left_open']} of them left open on purpose), "
        f"{r['equivalent']} equivalent ({r['equivalent_share']}% of all)",
        f"score: {r['score']}% of the non-equivalent mutants killed"
        + (f"; run time {r['seconds']:.0f} s" if r["seconds"] else ""),
    ]
    cost = r["cost"]
    if cost["measured_mutants"]:
        lines.append(
            f"cost: {cost['cpu_seconds']:.0f} s of CPU in {cost['measured_mutants']} mutant processes "
            f"(mean by verdict {cost['cpu_seconds_mean']}); idle-machine projection "
            f"{cost['projected_idle_seconds'] / 60:.1f} min plus mutmut's statistics and clean runs"
        )
    if r["equivalent_not_run"]:
        lines.append(
            f"{r['equivalent_not_run']} listed equivalents and left-open survivors not run (entries checked)"
        )
    if r["not_checked"]:
        lines.append(f"INCOMPLETE: {r['not_checked']} mutants in scope have no verdict yet (--resume)")
    for path, counts in report["files"].items():
        lines.append(f"  {path}: {counts}")
    if report["survivors"]:
        lines.append("survivors (neither killed nor listed in mutation/equivalents.toml):")
        lines += [f"  {s['mutant']}  {s['where']}: {s['mutation']}" for s in report["survivors"]]
    if report["stale_equivalents"]:
        lines.append("STALE entries in mutation/equivalents.toml (the mutant changed or is gone):")
        lines += [
            f"  {s['mutant']}: listed {s['listed']!r}, now {s['now']!r}" for s in report["stale_equivalents"]
        ]
    return "\n".join(lines)


def generate(path: str, function: str, root: Path = scope.ROOT) -> dict[str, Mutation]:
    """The mutants of one function, generated in memory (no run, no mutants/ folder needed).

    mutmut numbers mutants inside each function, so generating the function alone (a method
    inside a bare class of its name) gives the same names as generating the whole file.
    Patterns of [tool.mutmut] are read from `root`/pyproject.toml.

    Each mutant and the unmutated copy are read out of mutmut's generated code by the line
    spans mutmut records while rendering it (what `mutmut show` reads), not by parsing that
    code again and rendering every function once more (the same names and texts for all 1,318
    mutants in scope; 5.6 instead of 11.8 s of CPU for all of them, 2026-11-30).
    """
    import ast

    from mutmut.mutation.file_mutation import mutate_file_contents

    source = (root / path).read_text(encoding="utf-8")
    lines = source.splitlines(keepends=True)
    owner, _, name = function.rpartition(".")
    tree = ast.parse(source)
    nodes = tree.body
    if owner:
        nodes = next(n.body for n in tree.body if isinstance(n, ast.ClassDef) and n.name == owner)
    node = next(n for n in nodes if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name)
    start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
    code = "".join(lines[start : node.end_lineno])
    if owner:
        code = f"class {owner}:\n{code}"
    cwd = Path.cwd()
    os.chdir(root)  # mutmut reads its configuration from the current folder
    try:
        generated = mutate_file_contents(path, code)
    finally:
        os.chdir(cwd)
    rendered = generated.code.splitlines()
    spans = generated.line_span_by_function_name

    def read(generated_name: str) -> list[str]:
        """One generated function as its own lines, under the name of the function it copies."""
        span = spans[generated_name]
        text = "\n".join(rendered[span.start - 1 : span.end]).strip()
        return text.replace(f"def {generated_name}(", f"def {name}(", 1).splitlines()

    found: dict[str, Mutation] = {}
    if not generated.mutant_names:
        return found
    original = read(f"{scope.mangled(function)}__mutmut_orig")
    for generated_name in generated.mutant_names:
        key = f"{scope.module_of(path)}.{generated_name}"
        found[key] = describe(key, path, original, read(generated_name), source)
    return found
