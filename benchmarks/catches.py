"""What each contract test catches, and what it costs: the suite against every planted bug.

    python -m benchmarks.catches [--profile quick] [--only BUG ...] [--json PATH]
                                 [--deselect EXPR] [--jobs N]

Runs the whole suite (the chosen profile, no ``-x``, ``-k`` only with
``--deselect``) once against the reference mock, to time every test, and once
against each planted bug of ``tests/suite/bugs.py`` (``--app``), reading
pytest's JUnit XML: which test functions fail and with which outcome. It
prints, per bug, the tests that caught it, and per test function its cost
against the correct mock (seconds), the bugs it catches, the bugs only it
catches, and catches per second. Hypothesis does not shrink in these runs
(`benchmarks/noshrink.py`): the cost of a catch is the cost of finding it.
``--deselect test_x`` answers "what would the profile miss without test_x":
the bugs no remaining test catches.

Only failures that name a contract invariant count as catches (a
``ContractViolation`` or an assertion from schemathesis's checks); errors of
the test machinery are listed separately, never as catches.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.suite import bugs  # noqa: E402  (the table of planted bugs)

REFERENCE = "(reference mock)"


@dataclass
class SuiteOutcome:
    """One run of the suite: seconds, exit code, and per test function: seconds and failures."""

    target: str
    seconds: float
    returncode: int
    cost: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    failed: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # function -> kinds

    def caught_by(self) -> set[str]:
        return {name for name, kinds in self.failed.items() if any(k == "violation" for k in kinds)}

    def machinery(self) -> set[str]:
        return {name for name, kinds in self.failed.items() if any(k != "violation" for k in kinds)}


def _function(testcase: ET.Element) -> str:
    name = testcase.get("name", "")
    return name.split("[", 1)[0]


MACHINERY = ("Flaky", "Unsatisfiable", "FailedHealthCheck", "DeadlineExceeded", "Inconclusive", "TargetError")


def _kind(element: ET.Element) -> str:
    """'violation' for a failed invariant, else what went wrong in the machinery or the target."""
    text = (element.get("message") or "") + "\n" + (element.text or "")
    if element.tag == "failure" and not any(word in text for word in MACHINERY):
        return "violation"
    return next((word for word in MACHINERY if word in text), element.tag)


def run_once(target: str, profile: str, deselect: list[str], extra: list[str], scratch: Path) -> SuiteOutcome:
    junit = scratch / f"{target}.xml"
    command = [sys.executable, "-m", "pytest", "contract_tests", "-p", "no:cacheprovider", "-q"]
    command += ["--profile", profile, f"--junitxml={junit}", "-p", "benchmarks.noshrink", *extra]
    if target != REFERENCE:
        command += ["--app", f"tests.suite.bugs:{target}"]
    if deselect:
        command += ["-k", " and ".join(f"not {expr}" for expr in deselect)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTRACT_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["HYPOTHESIS_STORAGE_DIRECTORY"] = str(scratch / f"hypothesis-{target}")
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    outcome = SuiteOutcome(target, time.perf_counter() - started, done.returncode)
    if not junit.exists():
        outcome.failed["(no report)"].append(done.stdout[-400:] + done.stderr[-400:])
        return outcome
    for testcase in ET.parse(junit).getroot().iter("testcase"):
        name = _function(testcase)
        outcome.cost[name] += float(testcase.get("time") or 0)
        for child in testcase:
            if child.tag in ("failure", "error"):
                outcome.failed[name].append(_kind(child))
    return outcome


def report(reference: SuiteOutcome, runs: list[SuiteOutcome]) -> str:
    lines = [f"reference mock: {reference.seconds:.1f} s, exit {reference.returncode}"]
    if reference.failed:
        lines.append(f"  FAILED on the reference mock (false alarm): {sorted(reference.failed)}")
    catches: dict[str, set[str]] = defaultdict(set)
    lines.append("")
    lines.append("bug | exit | s | caught by")
    for run in runs:
        caught = run.caught_by()
        for name in caught:
            catches[name].add(run.target)
        extra = f"  machinery: {sorted(run.machinery())}" if run.machinery() else ""
        lines.append(
            f"{run.target} | {run.returncode} | {run.seconds:.1f} | {', '.join(sorted(caught)) or 'NOTHING'}"
            + extra
        )
    missed = [run.target for run in runs if not run.caught_by()]
    lines.append("")
    lines.append(f"bugs caught: {len(runs) - len(missed)}/{len(runs)}; missed: {missed or 'none'}")
    lines.append("")
    lines.append("test function | s (reference) | bugs caught | only this test | catches/s")
    names = sorted(set(reference.cost) | set(catches), key=lambda n: -reference.cost.get(n, 0))
    for name in names:
        seconds = reference.cost.get(name, 0.0)
        found = catches.get(name, set())
        unique = [bug for bug in found if all(bug not in other for n, other in catches.items() if n != name)]
        rate = f"{len(found) / seconds:.1f}" if seconds > 0 else "-"
        lines.append(f"{name} | {seconds:.2f} | {len(found)} | {len(unique)} {sorted(unique)} | {rate}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--only", action="append", default=[], help="this bug only (repeatable)")
    parser.add_argument("--deselect", action="append", default=[], help="leave out tests matching EXPR")
    parser.add_argument("--jobs", type=int, default=1, help="suite runs at the same time (default 1)")
    parser.add_argument("--json", type=Path, help="also write the raw outcomes here")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)
    targets = args.only or list(bugs.BUGS)
    with tempfile.TemporaryDirectory(prefix="catches-") as scratch:
        scratch_path = Path(scratch)
        reference = run_once(REFERENCE, args.profile, args.deselect, args.pytest_args, scratch_path)
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            runs = list(
                pool.map(
                    lambda bug: run_once(bug, args.profile, args.deselect, args.pytest_args, scratch_path),
                    targets,
                )
            )
    print(report(reference, runs))
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {"target": r.target, "seconds": r.seconds, "returncode": r.returncode, "cost": r.cost}
                    | {"failed": r.failed}
                    for r in [reference, *runs]
                ],
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
