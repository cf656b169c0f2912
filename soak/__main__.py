"""`make soak`: the quick profile, many times, against correct servers that differ.

    python -m soak [--runs 200] [--jobs N] [--variant NAME ...] [--latency-ms 40]
                   [--keep DIR] [-- extra pytest arguments]

Starts the mock once (over HTTP, on a free loopback port) and one process
serving every variant of `soak/variants.py` in front of it, then runs the
contract suite (`pytest contract_tests --profile quick`) `--runs` times, the
variants in turn, `--jobs` runs at a time (each with `--workers 1` unless
the extra arguments say otherwise). Every run must pass: a run that
reports a contract violation on these correct servers is a *false alarm*; a run
that ends inconclusive (exit 75) is counted apart. Prints, per variant, runs,
false alarms, inconclusive runs and the slowest run, and keeps the output of
every run that did not pass in `--keep` (default: a temporary folder, printed).
Exit status 0 only when every run passed.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from mock_server.testing import serve

from .variants import VARIANTS

ROOT = Path(__file__).resolve().parent.parent
TOKEN_A = "dev-token-org-a"  # fixtures/seed.json
TOKEN_B = "dev-token-org-b"
EXIT_INCONCLUSIVE = 75
RUN_TIMEOUT = 900.0


@dataclass
class Outcome:
    index: int
    variant: str
    seconds: float
    returncode: int
    summary: str
    log: Path | None

    @property
    def verdict(self) -> str:
        if self.returncode == 0:
            return "passed"
        if self.returncode == EXIT_INCONCLUSIVE:
            return "inconclusive"
        return "FALSE ALARM"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTRACT_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def _wait_for(path: Path, process: subprocess.Popen[bytes], what: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text(encoding="utf-8").strip():
            return path.read_text(encoding="utf-8").strip()
        if process.poll() is not None:
            raise SystemExit(f"soak: {what} exited with {process.returncode} before it was ready")
        time.sleep(0.05)
    raise SystemExit(f"soak: {what} was not ready within {timeout:.0f} s")


@contextmanager
def _process(command: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=_env(), stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def run_suite(index: int, variant: str, url: str, keep: Path, extra: list[str]) -> Outcome:
    command = [sys.executable, "-m", "pytest", "contract_tests", "-p", "no:cacheprovider", "-q"]
    command += ["--profile", "quick", "--base-url", url, "--token", TOKEN_A, "--other-org-token", TOKEN_B]
    # One process per run unless told otherwise: --jobs already runs suites side by side.
    command += extra if any(a.startswith("--workers") for a in extra) else ["--workers", "1", *extra]
    env = _env()
    env["HYPOTHESIS_STORAGE_DIRECTORY"] = str(keep / f".hypothesis-{index}")
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False
        )
        code, output = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as exc:
        partial = exc.stdout.decode("utf-8", "replace") if isinstance(exc.stdout, bytes) else exc.stdout or ""
        code, output = -1, f"stopped after {RUN_TIMEOUT:.0f} s\n{partial}"
    seconds = time.perf_counter() - started
    lines = [line for line in output.strip().splitlines() if line.strip()]
    summary = lines[-1].strip("= ") if lines else f"exit {code}"
    log = None
    if code != 0:
        log = keep / f"run-{index:04d}-{variant}.log"
        log.write_text(output, encoding="utf-8")
    return Outcome(index, variant, seconds, code, summary, log)


def report(outcomes: list[Outcome], wall: float) -> str:
    by_variant: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_variant[outcome.variant].append(outcome)
    lines = ["variant | runs | false alarms | inconclusive | median s | slowest s"]
    for variant, runs in by_variant.items():
        alarm_count = sum(o.verdict == "FALSE ALARM" for o in runs)
        inconclusive_count = sum(o.verdict == "inconclusive" for o in runs)
        seconds = [o.seconds for o in runs]
        lines.append(
            f"{variant} | {len(runs)} | {alarm_count} | {inconclusive_count} | "
            f"{statistics.median(seconds):.1f} | {max(seconds):.1f}"
        )
    alarms = [o for o in outcomes if o.verdict == "FALSE ALARM"]
    inconclusive = [o for o in outcomes if o.verdict == "inconclusive"]
    slowest = max(outcomes, key=lambda o: o.seconds)
    lines.append("")
    lines.append(
        f"false alarms: {len(alarms)} in {len(outcomes)} runs; inconclusive: {len(inconclusive)}; "
        f"slowest run: {slowest.seconds:.1f} s (#{slowest.index}, {slowest.variant}); wall time {wall:.0f} s"
    )
    for outcome in [*alarms, *inconclusive]:
        lines.append(
            f"  #{outcome.index} {outcome.variant}: {outcome.verdict}: {outcome.summary} ({outcome.log})"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m soak", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=200, help="suite runs in all (default 200)")
    parser.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 2) // 2), help="runs at a time")
    parser.add_argument(
        "--variant", action="append", choices=VARIANTS, default=[], help="only these (repeatable)"
    )
    parser.add_argument("--latency-ms", type=float, default=40.0, help="added delay of the latency variant")
    parser.add_argument("--keep", type=Path, help="folder for the output of runs that did not pass")
    parser.add_argument("--json", type=Path, help="also write every run's outcome here")
    parser.add_argument("pytest_args", nargs="*", help="extra arguments for every suite run (after --)")
    args = parser.parse_args(argv)
    variants = args.variant or list(VARIANTS)
    keep = args.keep or Path(tempfile.mkdtemp(prefix="soak-"))
    keep.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        mock = stack.enter_context(serve(mode="subprocess", log=keep / "mock.log", env=_env()))
        upstream = mock.url
        proxy_ready = keep / "variants.ready"
        command = [
            sys.executable,
            "-m",
            "soak.servers",
            "--upstream",
            upstream,
            "--ready-file",
            str(proxy_ready),
        ]
        command += ["--latency-ms", str(args.latency_ms)]
        for variant in variants:
            command += ["--variant", variant]
        proxy = stack.enter_context(_process(command, keep / "variants.log"))
        urls: dict[str, str] = json.loads(_wait_for(proxy_ready, proxy, "the variant servers"))
        print(
            f"soak: mock {upstream}; variants: {', '.join(f'{v} {u}' for v, u in urls.items())}", flush=True
        )
        print(f"soak: {args.runs} runs, {args.jobs} at a time; output of failing runs in {keep}", flush=True)
        plan = [(i, variants[i % len(variants)]) for i in range(args.runs)]
        started = time.perf_counter()
        outcomes: list[Outcome] = []
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = [
                pool.submit(run_suite, i, variant, urls[variant], keep, args.pytest_args)
                for i, variant in plan
            ]
            for future in futures:
                outcome = future.result()
                outcomes.append(outcome)
                head = f"  #{outcome.index:<4} {outcome.variant:<9} {outcome.verdict:<12}"
                print(f"{head} {outcome.seconds:6.1f} s  {outcome.summary}", flush=True)
        wall = time.perf_counter() - started
    text = report(outcomes, wall)
    print(text)
    if args.json:
        args.json.write_text(json.dumps([o.__dict__ | {"log": str(o.log)} for o in outcomes], indent=1))
    return 0 if all(o.verdict == "passed" for o in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
