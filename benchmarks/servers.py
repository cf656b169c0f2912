"""Start the servers under test and always stop them: the mock, the bare ceiling, Prism.

Every server runs in its own process group (a new session), on 127.0.0.1 only,
with stdout thrown away and stderr read by a thread that keeps only its tail
(shown when the server fails to start). The servers log every request at the
default level (uvicorn's access log goes to stdout, the mock's own to stderr):
both are written, as they would be to a terminal, and neither fills a disk.
`ServerPool` stops each one it started when the `with` block ends, on success,
on error and on Ctrl-C; the run installs a SIGTERM/SIGHUP handler so those end
the same way.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

from mock_server.testing import free_port, serve

from .common import LOOPBACK, NODE_DIR, ROOT, clean_env, cpu_seconds, pin_prefix, rss_mb

PRISM_PACKAGE = "@stoplight/prism-cli"


class ServerError(RuntimeError):
    """A server could not be started (the message says which and why)."""


class Tail:
    """Drains a pipe in a thread, keeping its last `keep` bytes (a server must never block on it)."""

    def __init__(self, stream: IO[bytes], keep: int = 16384) -> None:
        self.keep = keep
        self.data = b""
        self._thread = threading.Thread(target=self._drain, args=(stream,), daemon=True)
        self._thread.start()

    def _drain(self, stream: IO[bytes]) -> None:
        fd = stream.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            self.data = (self.data + chunk)[-self.keep :]
        stream.close()

    def text(self, lines: int = 20) -> str:
        return "\n".join(self.data.decode("utf-8", "replace").splitlines()[-lines:])


class FileTail:
    """The end of a log file (the mock's output, as mock_server.testing.serve writes it)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def text(self, lines: int = 20) -> str:
        return "\n".join(self.path.read_text("utf-8", "replace").splitlines()[-lines:])


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    stderr: Tail | FileTail
    own_group: bool = True  # started in its own session: stopped by signalling the group

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def rss_mb(self) -> tuple[float, float]:
        return rss_mb(self.process.pid)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid)

    def log_tail(self, lines: int = 20) -> str:
        return self.stderr.text(lines)


def probe(port: int, method: str, target: str, headers: Mapping[str, str], body: bytes = b"") -> int:
    """The status of one request to 127.0.0.1:port (OSError when nothing answers)."""
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=5)
    try:
        conn.request(method, target, body=body or None, headers=dict(headers))
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


class ServerPool:
    def __init__(self) -> None:
        self.servers: list[Server] = []
        self.mocks = contextlib.ExitStack()  # serve() contexts, closed after stop_all

    def __enter__(self) -> ServerPool:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop_all()
        self.mocks.close()

    def serve(self, name: str, launcher: serve) -> Server:
        """Start the mock with mock_server.testing.serve (subprocess mode, port 0 + ready file)."""
        running = self.mocks.enter_context(launcher)
        assert running.process is not None and running.port is not None and running.log_path is not None
        server = Server(name, running.process, running.port, FileTail(running.log_path), own_group=False)
        self.servers.append(server)
        return server

    def start(
        self,
        name: str,
        command: Sequence[str],
        port: int,
        *,
        ready: tuple[str, str, Mapping[str, str]],
        timeout: float = 60.0,
    ) -> Server:
        """Run `command` and wait until `ready` (method, target, headers) answers below 500."""
        process = subprocess.Popen(
            list(command),
            cwd=ROOT,
            env=clean_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: stopped as a whole
        )
        assert process.stderr is not None
        server = Server(name, process, port, Tail(process.stderr))
        self.servers.append(server)
        method, target, headers = ready
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise ServerError(
                    f"{name} exited with {process.returncode} before answering; command: "
                    f"{' '.join(command)}\n{server.log_tail()}"
                )
            try:
                if probe(port, method, target, headers) < 500:
                    return server
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop(server)
                raise ServerError(f"{name} did not answer on port {port} within {timeout:.0f} s")
            time.sleep(0.1)

    def stop(self, server: Server) -> None:
        process = server.process
        if not server.own_group:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=10)
            self.servers.remove(server)
            return
        if process.poll() is None:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal_group(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        # Prism may leave children in its group after the parent exits: end them too.
        _signal_group(process.pid, signal.SIGKILL)
        if server in self.servers:
            self.servers.remove(server)

    def stop_all(self) -> None:
        for server in list(reversed(self.servers)):
            self.stop(server)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)  # the group this pool created (start_new_session), nothing else


# --- the three kinds of server -------------------------------------------------------------------


def bare_command(port: int, bodies: Path, log_level: str, pin: bool) -> list[str]:
    return [
        *pin_prefix(0, pin),
        sys.executable,
        "-m",
        "benchmarks.bare_app",
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--bodies",
        str(bodies),
        "--log-level",
        log_level,
    ]


def prism_command(prism: Path, port: int, pin: bool) -> list[str]:
    """`prism mock openapi.yaml -p PORT` with Prism's defaults (static examples, info log)."""
    return [
        *pin_prefix(0, pin),
        str(prism),
        "mock",
        str(ROOT / "openapi.yaml"),
        "-p",
        str(port),
        "-h",
        LOOPBACK,
    ]


def prism_version() -> str | None:
    manifest = NODE_DIR / "node_modules" / "@stoplight" / "prism-cli" / "package.json"
    try:
        version = json.loads(manifest.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None
    return str(version)


def ensure_prism(version: str, notes: list[str]) -> Path | None:
    """Prism's executable, installed with npm into benchmarks/.node on first use; None to skip."""
    binary = NODE_DIR / "node_modules" / ".bin" / "prism"
    if binary.exists() and prism_version() == version:
        return binary
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        notes.append(
            "Prism skipped: npm/node not found (apt-get install npm, then run again; or pass --skip-prism)."
        )
        return None
    print(
        f"installing {PRISM_PACKAGE}@{version} with npm into {NODE_DIR.relative_to(ROOT)}/ "
        "(once; git-ignored)...",
        file=sys.stderr,
        flush=True,
    )
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            [
                npm,
                "install",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                "--prefix",
                str(NODE_DIR),
                f"{PRISM_PACKAGE}@{version}",
            ],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    except subprocess.TimeoutExpired:
        notes.append("Prism skipped: npm install did not finish within 15 minutes.")
        return None
    if done.returncode != 0 or not binary.exists():
        tail = " ".join((done.stderr or done.stdout).split()[-40:])
        notes.append(f"Prism skipped: npm install failed ({done.returncode}): {tail}")
        return None
    return binary


def start_mock(
    pool: ServerPool,
    log_level: str,
    pin: bool,
    headers: Mapping[str, str],
    target: str,
    *,
    name: str = "mock",
    args: Sequence[str] = (),
) -> Server:
    # The mock as the README serves it: `contacts-mock` = `python -m mock_server` (uvicorn).
    launcher = serve(
        mode="subprocess",
        host=LOOPBACK,
        log_level=log_level,
        prefix=pin_prefix(0, pin),
        env=clean_env(),
        args=args,
    )
    server = pool.serve(name, launcher)
    method, path, sent = "GET", target, headers
    if probe(server.port, method, path, sent) >= 500:
        raise ServerError(f"the mock answers {path} with a 5xx\n{server.log_tail()}")
    return server


def start_bare(
    pool: ServerPool, bodies: Path, log_level: str, pin: bool, headers: Mapping[str, str], target: str
) -> Server:
    port = free_port()
    return pool.start(
        "bare", bare_command(port, bodies, log_level, pin), port, ready=("GET", target, headers)
    )


def start_prism(pool: ServerPool, prism: Path, pin: bool, headers: Mapping[str, str], target: str) -> Server:
    port = free_port()
    return pool.start(
        "prism", prism_command(prism, port, pin), port, ready=("GET", target, headers), timeout=120
    )
