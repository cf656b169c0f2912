"""`python -m benchmarks.generate`: how long generated data takes to be ready (issue 15).

Two tables, printed, never asserted (the machine is shared and noisy):

phases   For N generated contacts per organization (the shipped fixtures' two
         organizations, so 2 x N in all), one fresh process per size: Faker's
         pools (first use only), generating, checking every record through the
         fixture validation path, and indexing into the store. "ready" is their
         sum (wall clock), the figure the issue's target (10,000 per
         organization < 2 s) is about; "CPU s" is the process CPU time of the
         same work, the steadier figure when other jobs share the cores.
start    `contacts-mock --generate N` from launch until its --ready-file says it
         listens, side by side with a plain `contacts-mock` start (the ratio is
         what --generate adds), median of --repeat runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from .common import ROOT, machine_summary
from .table import num, render

TARGET_S = 2.0
TARGET_SIZE = 10_000

# Runs in a fresh interpreter per size, so the first-use costs (imports, pools) are counted.
_PHASES = r"""
import json, sys, time
t0 = time.perf_counter()
from mock_server import DEFAULT_FIXTURES_PATH, MockState, load_fixtures, load_spec
from mock_server.generate import Recipe, _pools, generate
from mock_server.fixtures import parse_fixtures
spec = load_spec()
fixtures = load_fixtures(DEFAULT_FIXTURES_PATH, spec)
state = MockState.seeded(spec, fixtures)
t1 = time.perf_counter()
c1 = time.process_time()
_pools()
t2 = time.perf_counter()
count = int(sys.argv[1])
layout = {"organizations": []}
for org, contacts in sorted(fixtures.contacts.items()):  # what Scenarios.build does for --generate
    records = [c.to_json() for c in contacts]
    records += generate(org, Recipe(count, seed=1), already=len(records))
    layout["organizations"].append({"id": org, "contacts": records})
t3 = time.perf_counter()
seed = parse_fixtures(layout, spec, source="generated", allow_tokens=False)
t4 = time.perf_counter()
state.store.load(seed.contacts, keep=state.tokens.organizations())
t5 = time.perf_counter()
c5 = time.process_time()
print(json.dumps({"startup": t1 - t0, "pools": t2 - t1, "generate": t3 - t2, "validate": t4 - t3,
                  "index": t5 - t4, "ready": t5 - t1, "cpu": c5 - c1,
                  "contacts": sum(len(o) for o in state.store.organizations.values())}))
"""


def run_phases(count: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", _PHASES, str(count)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


def time_start(args: Sequence[str]) -> float:
    """Seconds from launching contacts-mock until its ready file appears."""
    with tempfile.TemporaryDirectory() as tmp:
        ready = Path(tmp) / "ready"
        command = [sys.executable, "-m", "mock_server", "--port", "0", "--ready-file", str(ready)]
        command += ["--log-level", "warning", *args]
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL
        )
        try:
            while not ready.exists():
                if process.poll() is not None:
                    raise RuntimeError(f"contacts-mock {' '.join(args)} exited with {process.returncode}")
                if time.perf_counter() - started > 120:
                    raise RuntimeError("contacts-mock did not get ready in 120 s")
                time.sleep(0.005)
            return time.perf_counter() - started
        finally:
            process.terminate()
            process.wait(timeout=30)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.generate", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--sizes", default="500,10000,50000", help="contacts per organization, comma-separated"
    )
    parser.add_argument("--repeat", type=int, default=3, help="starts per row of the start table (median)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    for line in machine_summary():
        print(line)
    print(f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    rows = []
    for size in sizes:
        phases = run_phases(size)
        verdict = ""
        if size == TARGET_SIZE:
            verdict = "met" if phases["ready"] < TARGET_S else "MISSED"
        rows.append(
            [
                num(size),
                num(phases["contacts"]),
                f"{phases['pools']:.2f}",
                f"{phases['generate']:.2f}",
                f"{phases['validate']:.2f}",
                f"{phases['index']:.2f}",
                f"{phases['ready']:.2f}",
                f"{phases['cpu']:.2f}",
                verdict,
            ]
        )
        print(f"  phases: {size} per organization done", file=sys.stderr)
    headers = ["per org", "contacts", "pools s", "generate s", "validate s", "index s", "ready s", "CPU s"]
    headers.append(f"< {TARGET_S:g} s at {num(TARGET_SIZE)}")
    print(render("Generated data: seconds until ready (one fresh process per size)", headers, rows))
    plain = statistics.median(time_start([]) for _ in range(args.repeat))
    start_rows = [["contacts-mock (fixtures)", f"{plain:.2f}", "1.00"]]
    for size in sizes:
        took = statistics.median(time_start(["--generate", str(size)]) for _ in range(args.repeat))
        start_rows.append([f"contacts-mock --generate {size}", f"{took:.2f}", f"{took / plain:.2f}"])
    print()
    print(
        render(f"Start until ready, median of {args.repeat}", ["command", "seconds", "vs plain"], start_rows)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
