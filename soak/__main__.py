"""`make soak`: the quick profile, many times, against correct servers that differ.

    python -m soak [--runs 200] [--jobs N] [--variant NAME ...] [--latency-ms 40]
                   [--keep DIR] [-- extra pytest arguments]

Starts the mock once (over HTTP, on a free loopback port) and one process
serving every variant of `soak/variants.py` in front of it, then runs the
contract suite (`pytest contract_tests --profile quick`) `--runs` times, the
variants in turn, `--jobs` runs at a time (each with `--workers 1` unless
the extra arguments say otherwise; test paths or node ids among them, such as
`contract_tests/test_crud.py`, replace `contract_tests`). Every run must pass: a run that
reports a contract violation on these correct servers is a *false alarm*; a run
that ends inconclusive (exit 75) is counted apart. Prints, per variant, runs,
false alarms, inconclusive runs and the slowest run, and keeps the output of
every run that did not pass in `--keep` (default: a temporary folder, printed).
Exit status 0 only when every run passed.

Ctrl-C or SIGTERM stops it cleanly: the suite runs in flight are killed with
their workers, no new run starts, the report covers the runs that ended, and
the mock and the variant servers are stopped (exit status 130).
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
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from mock_server.testing import MockStartError, serve, wait_for_ready_file

from .variants import VARIANTS

ROOT = Path(__file__).resolve().parent.parent
TOKEN_A = "dev-token-org-a"  # fixtures/seed.json
TOKEN_B = "dev-token-org-b"
EXIT_INCONCLUSIVE = 75
EXIT_STOPPED = 130
RUN_TIMEOUT = 900.0


class Stopped(Exception):
    """Ctrl-C or SIGTERM: stop starting runs and end the ones in flight."""


class Runs:
    """The suite processes in flight, so that a stop can end them with their workers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[str]] = set()
        self.stopping = False

    def start(self, command: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
        with self._lock:
            if self.stopping:
                raise Stopped
            # A session of its own: the stop signals the run and its pytest-xdist workers at once.
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
            self._running.add(process)
            return process

    def finished(self, process: subprocess.Popen[str]) -> None:
        with self._lock:
            self._running.discard(process)

    def stop(self) -> None:
        with self._lock:
            self.stopping = True
            running = list(self._running)
        for process in running:
            _kill_group(process)


def _kill_group(process: subprocess.Popen[str]) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


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


def suite_paths(extra: list[str]) -> list[str]:
    """What each run collects: `contract_tests`, unless the extra arguments name test paths or node
    ids of their own (`contract_tests/test_crud.py`, `...::test_name`), which then replace it."""
    named = [a for a in extra if not a.startswith("-") and (ROOT / a.split("::")[0]).exists()]
    return [] if named else ["contract_tests"]


def run_suite(index: int, variant: str, url: str, keep: Path, extra: list[str], runs: Runs) -> Outcome:
    command = [sys.executable, "-m", "pytest", *suite_paths(extra), "-p", "no:cacheprovider", "-q"]
    command += ["--profile", "quick", "--base-url", url, "--token", TOKEN_A, "--other-org-token", TOKEN_B]
    # One process per run unless told otherwise: --jobs already runs suites side by side.
    command += extra if any(a.startswith("--workers") for a in extra) else ["--workers", "1", *extra]
    env = _env()
    env["HYPOTHESIS_STORAGE_DIRECTORY"] = str(keep / f".hypothesis-{index}")
    started = time.perf_counter()
    process = runs.start(command, env)
    try:
        output, _ = process.communicate(timeout=RUN_TIMEOUT)
        code = process.returncode
    except subprocess.TimeoutExpired:
        _kill_group(process)
        partial, _ = process.communicate()
        code, output = -1, f"stopped after {RUN_TIMEOUT:.0f} s\n{partial}"
    finally:
        runs.finished(process)
    if runs.stopping:
        raise Stopped
    seconds = time.perf_counter() - started
    lines = [line for line in output.strip().splitlines() if line.strip()]
    summary = lines[-1].strip("= ") if lines else f"exit {code}"
    log = None
    if code != 0:
        log = keep / f"run-{index:04d}-{variant}.log"
        log.write_text(output, encoding="utf-8")
    return Outcome(index, variant, seconds, code, summary, log)


def plan_runs(runs: int, variants: list[str]) -> list[tuple[int, str]]:
    """(index, variant) of every run: the variants in turn, so each gets its share."""
    return [(i, variants[i % len(variants)]) for i in range(runs)]


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
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        return _soak(args, variants, keep)
    except KeyboardInterrupt:
        print("soak: stopped before any run ended", file=sys.stderr)
        return EXIT_STOPPED


def _soak(args: argparse.Namespace, variants: list[str], keep: Path) -> int:
    with ExitStack() as stack:
        mock = stack.enter_context(serve(mode="subprocess", log=keep / "mock.log", env=_env()))
        upstream = mock.url
        proxy_ready = keep / "variants.ready"
        proxy_ready.unlink(missing_ok=True)  # a kept folder's earlier soak left one: its ports are gone
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
        try:
            ready = wait_for_ready_file(
                proxy_ready, proxy, log_path=keep / "variants.log", what="the variant servers"
            )
        except MockStartError as error:
            raise SystemExit(f"soak: {error}") from None
        urls: dict[str, str] = json.loads(ready)
        print(
            f"soak: mock {upstream}; variants: {', '.join(f'{v} {u}' for v, u in urls.items())}", flush=True
        )
        print(f"soak: {args.runs} runs, {args.jobs} at a time; output of failing runs in {keep}", flush=True)
        plan = plan_runs(args.runs, variants)
        started = time.perf_counter()
        outcomes, stopped = _run_all(plan, urls, keep, args)
        wall = time.perf_counter() - started
    if not outcomes:
        print("soak: stopped before any run ended")
        return EXIT_STOPPED
    text = report(outcomes, wall)
    print(text)
    if args.json:
        args.json.write_text(json.dumps([o.__dict__ | {"log": str(o.log)} for o in outcomes], indent=1))
    if stopped:
        print(f"soak: stopped after {len(outcomes)} of {args.runs} runs")
        return EXIT_STOPPED
    return 0 if all(o.verdict == "passed" for o in outcomes) else 1


def _run_all(
    plan: list[tuple[int, str]], urls: dict[str, str], keep: Path, args: argparse.Namespace
) -> tuple[list[Outcome], bool]:
    """Every planned run, `--jobs` at a time; on Ctrl-C or SIGTERM, the runs that ended and True."""
    runs = Runs()
    outcomes: list[Outcome] = []

    pool = ThreadPoolExecutor(max_workers=max(1, args.jobs))
    try:
        futures: list[Future[Outcome]] = [
            pool.submit(run_suite, i, variant, urls[variant], keep, args.pytest_args, runs)
            for i, variant in plan
        ]
        for future in futures:
            outcome = future.result()
            outcomes.append(outcome)
            head = f"  #{outcome.index:<4} {outcome.variant:<9} {outcome.verdict:<12}"
            print(f"{head} {outcome.seconds:6.1f} s  {outcome.summary}", flush=True)
        return outcomes, False
    except (KeyboardInterrupt, Stopped):
        runs.stop()
        return outcomes, True
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM ends the soak like Ctrl-C: runs killed, servers stopped


if __name__ == "__main__":
    raise SystemExit(main())
