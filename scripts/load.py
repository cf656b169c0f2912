"""`make load`: the contract under load against the mock, started and stopped here.

    python scripts/load.py [--users 20] [--spawn-rate 10] [--time 30s] [--workers N]
                           [--app module:factory] [--report PATH] [-- more locust options]

Serves the seeded mock (or the ASGI app of `--app`) on a free loopback port,
runs `locust -f contract_tests/locustfile.py --headless` against it with the
mock's two organizations' tokens (alone, or as one master and N workers with
`--workers N`), then checks independently that nothing of the run is left on
the server, stops the server and exits with Locust's exit code (0 the contract
held, 1 violated, 2 no verdict) or 2 if something was left behind.
Ctrl-C stops the run; the users and the final sweep still clean up.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from mock_server.testing import MockStartError, free_port, serve, serve_app

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
TOKENS = {
    "CONTRACT_TOKEN": "dev-token-org-a",
    "CONTRACT_OTHER_ORG_TOKEN": "dev-token-org-b",
}  # fixtures/seed.json


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(prog="make load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", "-u", type=int, default=20, help="simulated users (default 20)")
    parser.add_argument("--spawn-rate", "-r", type=float, default=10, help="users started per second")
    parser.add_argument("--time", "-t", default="30s", help="run time, Locust's syntax (default 30s)")
    parser.add_argument("--workers", type=int, default=0, help="run as 1 master + N local workers")
    parser.add_argument("--app", help="module:factory of an ASGI app to serve instead of the mock")
    parser.add_argument("--report", type=Path, help="write the contract summary as JSON here")
    return parser.parse_known_args(argv)


@contextmanager
def served(app: str | None, startup: float = 30.0) -> Iterator[str]:
    """The mock (or `app`, module:factory of any ASGI app, e.g. a deliberately broken mock) on a
    free loopback port until the block ends: its base URL.

    Served by uvicorn in a thread of this process, which only waits for Locust meanwhile:
    a process of its own would cost one more interpreter and import (~0.7 s of CPU a run).
    """
    if not app:
        with serve(mode="thread", timeout=startup) as mock:
            yield mock.url
        return
    module, _, name = app.partition(":")
    sys.path.insert(0, str(ROOT))
    factory = getattr(importlib.import_module(module), name)
    with serve_app(factory(), host=HOST, timeout=startup, what=app) as url:
        yield url


# `python -m locust`, with one fix: Locust times --run-time with gevent's loop clock, which stands
# still from the loop's creation (at `import locust`) until the loop first runs, so the seconds
# Locust spends importing the locustfile and setting up were counted as load: a 5 s run loaded the
# target for 4.2 s, a 3 s run on a busy machine for 0.7 s (2026-11-30). Bringing the clock up to
# date when the run is set up (the init event) makes --time the time of load.
LOCUST = (
    "import sys, gevent, locust, locust.main;"
    "locust.events.init.add_listener(lambda **_: gevent.get_hub().loop.update_now());"
    "sys.exit(locust.main.main())"
)


def locust_commands(args: argparse.Namespace, url: str, report: Path, extra: list[str]) -> list[list[str]]:
    locust = [sys.executable, "-c", LOCUST, "-f", str(ROOT / "contract_tests" / "locustfile.py")]
    run = ["--headless", "-u", str(args.users), "-r", str(args.spawn_rate), "-t", args.time, "--host", url]
    run += ["--contract-report", str(report), "--only-summary", *extra]
    if not args.workers:
        return [locust + run]
    port = free_port()  # the workers must know it before the master listens
    master = locust + run + ["--master", "--master-bind-host", HOST, "--master-bind-port", str(port)]
    master += ["--expect-workers", str(args.workers), "--expect-workers-max-wait", "60"]
    worker = [*locust, "--worker", "--master-host", HOST, "--master-port", str(port)]
    return [master] + [worker] * args.workers


def left_on_server(url: str, run_tag: str) -> int:
    """Contacts of the run still listed, in either organization: checked apart from the run itself."""
    left = 0
    for token in TOKENS.values():
        try:
            answer = httpx.get(
                f"{url}/api/v1/crm/contacts",
                params={"search": run_tag, "limit": 1},
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
            answer.raise_for_status()
        except httpx.HTTPError as error:
            print(f"make load: cannot check what is left on the server: {error}", flush=True)
            return -1
        left += int(answer.json()["total"])
    return left


def main(argv: Sequence[str]) -> int:
    args, extra = parse_args(argv)
    extra = [a for a in extra if a != "--"]
    env = {**os.environ, **TOKENS, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="make-load-")))
        report = args.report or workdir / "report.json"
        try:
            url = stack.enter_context(served(args.app))
        except MockStartError as error:
            raise SystemExit(f"make load: {error}") from None
        print(f"make load: {'app ' + args.app if args.app else 'the mock'} on {url}", flush=True)
        processes = [
            subprocess.Popen(c, cwd=ROOT, env=env) for c in locust_commands(args, url, report, extra)
        ]
        try:
            code = processes[0].wait()
        except KeyboardInterrupt:
            # The terminal sent SIGINT to the whole group; Locust stops its users, sweeps and reports.
            print("make load: interrupted; waiting for the load test to clean up", flush=True)
            code = processes[0].wait()
        for worker in processes[1:]:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=30)
        if not report.exists():
            print("make load: Locust wrote no contract report", flush=True)
            return code or 2
        run_tag = json.loads(report.read_text())["run_tag"]
        left = left_on_server(url, run_tag)
        if left >= 0:
            print(f"make load: {left} contacts of run {run_tag} left on the server", flush=True)
        return code if left == 0 else max(code, 2)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
