"""Planted-bug runs, side by side: one subprocess per row as before, and in process as now.

    python -m benchmarks.planted_bugs [--rows N] [--match NAME] [--repeat R]

For each of the first N registry rows (tests/suite/bugs.py), alternately:

- ``subprocess``: ``python -m pytest contract_tests --app tests.suite.bugs:<bug> -k <expr>``,
  the whole suite collected (so the schemathesis schema is built) and Hypothesis
  shrinking on, as the self-test ran each row before;
- ``in-process``: the nested run the self-test uses now (only the row's file
  collected, no shrinking; ``tests/suite/nested.py``).

Prints the wall time of each and the ratio; both must report the row's invariant id.
Measured side by side in one run, so a busy machine slows both alike.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _subprocess_row(bug: str, keyword: str, options: tuple[str, ...]) -> tuple[float, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTRACT_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    command = [sys.executable, "-m", "pytest", "contract_tests", "-p", "no:cacheprovider", "-q", "-x"]
    command += ["--app", f"tests.suite.bugs:{bug}", "-k", keyword, *options]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, result.stdout + result.stderr


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=6, help="how many registry rows (default 6)")
    parser.add_argument("--match", default="", help="only rows whose bug name contains this")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each row and way (default 1)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tests.suite import bugs
    from tests.suite.nested import run_suite_in_process
    from tests.suite.test_planted_bugs import reported

    # Outside a pytest session the suite's plugins (anyio's) are imported before pytest.main.
    outside_pytest = ["-W", "ignore::pytest.PytestAssertRewriteWarning"]
    print(f"{'row':<60} {'subprocess s':>13} {'in-process s':>13} {'ratio':>7}")
    totals = [0.0, 0.0]
    for bug, catch in [row for row in bugs.rows() if args.match in row[0].name][: args.rows]:
        for _ in range(args.repeat):
            old, old_output = _subprocess_row(bug.name, catch.keyword, catch.options)
            started = time.perf_counter()
            new_result = run_suite_in_process(
                [
                    *outside_pytest,
                    "-x",
                    f"contract_tests/{catch.file}",
                    "--app",
                    f"tests.suite.bugs:{bug.name}",
                    "-k",
                    catch.keyword,
                    *catch.options,
                ]
            )
            new = time.perf_counter() - started
            both = reported(old_output, catch.rule) and reported(new_result.output, catch.rule)
            totals[0] += old
            totals[1] += new
            label = f"{bug.name} by {catch.label}"[:60]
            print(f"{label:<60} {old:>13.1f} {new:>13.1f} {old / new:>6.1f}x{'' if both else '  (!)'}")
    print(f"{'total':<60} {totals[0]:>13.1f} {totals[1]:>13.1f} {totals[0] / totals[1]:>6.1f}x")
    print("(!): a run did not report the row's invariant id")
    return 0


if __name__ == "__main__":
    sys.exit(main())
