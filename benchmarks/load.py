"""Load generators: wrk (the real one) and benchmarks/pyload.py (the documented fallback).

Both run in their own process, on the other core than the servers when pinning
is on, for a fixed time, and report the same figures: requests, duration,
bytes, p50/p99 latency and errors (status >= 400, socket errors, timeouts).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from typing import Any

from .common import LUA_DIR, ROOT, clean_env, command_version, pin_prefix
from .scenarios import Scenario


class LoadError(RuntimeError):
    """The load generator failed (not the server being slow)."""


@dataclass
class LoadResult:
    generator: str
    requests: int
    seconds: float
    bytes: int
    p50_ms: float
    p99_ms: float
    errors_status: int  # answers with a status >= 400
    errors_socket: int  # connect/read/write errors and timeouts
    server_cpu_s: float = 0.0  # CPU time the server used during the run (user + system)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def bytes_per_response(self) -> float:
        return self.bytes / self.requests if self.requests else 0.0

    @property
    def cpu_us_per_request(self) -> float:
        return self.server_cpu_s / self.requests * 1e6 if self.requests else 0.0

    @property
    def errors(self) -> int:
        return self.errors_status + self.errors_socket

    def as_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "rps": round(self.rps, 1),
            "cpu_us_per_request": round(self.cpu_us_per_request, 1),
        }


def wrk_path() -> str | None:
    return shutil.which("wrk")


def wrk_version() -> str:
    path = wrk_path()
    if path is None:
        return "not installed"
    text = command_version([path, "-v"])  # "wrk debian/4.1.0-3+b2 [epoll] Copyright ..."
    return " ".join(text.split()[:2])


def wrk_seconds(duration: float) -> int:
    """How long wrk runs for `duration`: it takes whole seconds, at least one (`-d 0s` is refused)."""
    return max(1, round(duration))


def run_wrk(
    base_url: str,
    scenario: Scenario,
    token: str,
    *,
    duration: float,
    connections: int,
    threads: int,
    pin: bool,
) -> LoadResult:
    path = wrk_path()
    if path is None:
        raise LoadError("wrk is not installed (apt-get install wrk)")
    seconds = wrk_seconds(duration)
    command = [
        *pin_prefix(1, pin),
        path,
        "-t",
        str(max(1, min(threads, connections))),
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        "5s",
        "-s",
        str(LUA_DIR / scenario.script),
        base_url + scenario.target,
        "--",
        token,
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    except subprocess.TimeoutExpired:
        raise LoadError(f"wrk did not finish: {' '.join(command)}") from None
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise LoadError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    raw = json.loads(line.removeprefix("WRK_JSON "))
    return LoadResult(
        generator="wrk",
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        bytes=raw["bytes"],
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        errors_status=raw["errors_status"],
        errors_socket=raw["errors_connect"]
        + raw["errors_read"]
        + raw["errors_write"]
        + raw["errors_timeout"],
    )


def run_python(
    base_url: str,
    scenario: Scenario,
    token: str,
    *,
    duration: float,
    connections: int,
    pin: bool,
) -> LoadResult:
    command = [
        *pin_prefix(1, pin),
        sys.executable,
        "-m",
        "benchmarks.pyload",
        "--url",
        base_url,
        "--scenario",
        scenario.key,
        "--token",
        token,
        "--connections",
        str(connections),
        "--duration",
        str(duration),
    ]
    try:
        done = subprocess.run(
            command,
            cwd=ROOT,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=duration + 60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise LoadError(f"the Python load generator did not finish: {' '.join(command)}") from None
    if done.returncode != 0:
        raise LoadError(
            f"the Python load generator failed ({done.returncode}): {done.stderr.strip()[-2000:]}"
        )
    raw = json.loads(done.stdout.strip().splitlines()[-1])
    return LoadResult(generator="python", **raw)


def run_load(
    generator: str,
    base_url: str,
    scenario: Scenario,
    token: str,
    *,
    duration: float,
    connections: int,
    threads: int,
    pin: bool,
) -> LoadResult:
    if generator == "wrk":
        return run_wrk(
            base_url,
            scenario,
            token,
            duration=duration,
            connections=connections,
            threads=threads,
            pin=pin,
        )
    return run_python(base_url, scenario, token, duration=duration, connections=connections, pin=pin)
