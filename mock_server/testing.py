"""Run the mock from tests: one launcher, three ways to run it.

```python
from mock_server.testing import serve

with serve(tokens={"t": "org_x"}) as mock:
    httpx.get(mock.url + "/api/v1/crm/contacts", headers={"Authorization": "Bearer t"})
    mock.reset()
    mock.requests  # the journal, newest first
```

- ``mode="thread"`` (default): uvicorn in a thread of this process, on a free port.
- ``mode="subprocess"``: ``python -m mock_server --port 0 --ready-file ...``, for
  tests that kill it, restart it or read its log.
- ``mode="in-process"``: no socket at all; ``mock.client()`` talks to the app
  through :class:`MockTransport`.

The port is always chosen by the operating system (port 0) and read back once
the mock listens: no free-port guessing, no race. ``serve`` is a context manager
and a decorator (a decorated function that takes ``contacts_mock`` gets the
:class:`RunningMock`); the pytest plugin gives the same object as the
``contacts_mock`` fixture.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, TypeVar

import anyio.from_thread
import httpx
import uvicorn

from .app import create_app
from .errors import MockServerError
from .fixtures import DEFAULT_FIXTURES_PATH, load_fixtures
from .options import MockOptions
from .protocol import guarded_protocol
from .spec import DEFAULT_SPEC_PATH, load_spec
from .state import MockState

__all__ = [
    "MockStartError",
    "MockTransport",
    "RunningMock",
    "free_port",
    "serve",
    "serve_app",
    "wait_for_ready_file",
]

Mode = Literal["thread", "subprocess", "in-process"]
F = TypeVar("F", bound=Callable[..., Any])
HOST = "127.0.0.1"
IN_PROCESS_URL = "http://contacts-mock.local"


def free_port(host: str = HOST) -> int:
    """A port free on `host` right now, for programs that cannot bind port 0 and report it.

    Racy by nature (another process may take it before the caller binds it): the mock
    itself never needs it, `serve()` binds port 0 and reads the port back. Locust's
    master, Prism and the benchmarks' bare app do.
    """
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class MockStartError(MockServerError):
    """The mock did not start (bad spec or fixtures, a crash, or no answer in time)."""


class MockTransport(httpx.BaseTransport):
    """A synchronous httpx transport that calls the mock's ASGI app in this process.

    No socket, no port: ``httpx.Client(transport=MockTransport(), base_url="http://mock")``.
    The app runs on an event loop in a helper thread (anyio's blocking portal);
    requests come from ``client`` (a loopback peer, so /__admin answers).
    For async code, ``httpx.ASGITransport(app=create_app())`` does the same.
    """

    def __init__(self, app: Any = None, *, client: tuple[str, int] = (HOST, 50000)) -> None:
        self.app = app if app is not None else create_app()
        self._asgi = httpx.ASGITransport(app=self.app, client=client)
        self._portal_cm: contextlib.AbstractContextManager[Any] | None = None
        self._portal: Any = None
        self._lock = threading.Lock()

    def _started_portal(self) -> Any:
        with self._lock:
            if self._portal is None:
                self._portal_cm = anyio.from_thread.start_blocking_portal()
                self._portal = self._portal_cm.__enter__()
            return self._portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()

        async def call() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            inner = httpx.Request(request.method, request.url, headers=request.headers, content=body)
            response = await self._asgi.handle_async_request(inner)
            content = await response.aread()
            return response.status_code, response.headers.raw, content

        status, headers, content = self._started_portal().call(call)
        return httpx.Response(status, headers=headers, content=content, request=request)

    def close(self) -> None:
        with self._lock:
            if self._portal_cm is not None:
                self._portal_cm.__exit__(None, None, None)
                self._portal_cm = self._portal = None


@dataclass
class RunningMock:
    """A mock that is serving: where it is, which tokens it takes, and handles on it."""

    url: str
    tokens: dict[str, str]  # token -> organization
    mode: Mode
    admin_token: str | None = None
    state: MockState | None = None  # thread and in-process modes: the live state
    process: subprocess.Popen[bytes] | None = None  # subprocess mode
    log_path: Path | None = None  # subprocess mode: its stdout and stderr
    transport: httpx.BaseTransport | None = field(default=None, repr=False)  # in-process mode

    @property
    def port(self) -> int | None:
        return httpx.URL(self.url).port

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.Client:
        """An httpx client on the mock; with `token`, it sends ``Authorization: Bearer <token>``."""
        headers = dict(kwargs.pop("headers", None) or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.Client(
            base_url=self.url, transport=self.transport, headers=headers, timeout=30.0, **kwargs
        )

    def _admin(self, method: str, path: str) -> Any:
        headers = {"X-Admin-Token": self.admin_token} if self.admin_token else {}
        with self.client() as http:
            response = http.request(method, "/__admin" + path, headers=headers)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        """Back to the fixtures (POST /__admin/reset); the journal is kept."""
        self._admin("POST", "/reset")

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The request journal (GET /__admin/requests), newest first."""
        entries: list[dict[str, Any]] = self._admin("GET", "/requests")["requests"]
        return entries

    def clear_requests(self) -> None:
        """Empty the request journal."""
        self._admin("DELETE", "/requests")

    def log(self) -> str:
        """Subprocess mode: everything the mock wrote so far."""
        if self.log_path is None:
            raise MockServerError("only a subprocess mock has a log (serve(mode='subprocess'))")
        return self.log_path.read_text(encoding="utf-8", errors="replace")


class serve(contextlib.ContextDecorator):
    """Serve the mock until the block ends; yields a :class:`RunningMock`.

    tokens: extra ``{token: organization}`` pairs (organizations are created empty).
    fixtures: the seed file; ``None`` starts with no contacts and no fixture tokens.
    spec: the OpenAPI document. options: :class:`MockOptions` (thread and
    in-process modes). args: extra ``contacts-mock`` options (subprocess mode).
    log: where a subprocess writes its output (default: a temporary file).
    env: the subprocess's whole environment (default: this one's). prefix: a
    command before ``python`` (e.g. ``["taskset", "-c", "0"]``).
    """

    def __init__(
        self,
        *,
        tokens: Mapping[str, str] | None = None,
        fixtures: Path | str | None = DEFAULT_FIXTURES_PATH,
        spec: Path | str = DEFAULT_SPEC_PATH,
        mode: Mode = "thread",
        options: MockOptions | None = None,
        admin_token: str | None = None,
        args: Sequence[str] = (),
        log: Path | None = None,
        log_level: str = "warning",
        host: str = HOST,
        env: Mapping[str, str] | None = None,
        prefix: Sequence[str] = (),
        timeout: float = 30.0,
    ) -> None:
        if mode not in ("thread", "subprocess", "in-process"):
            raise ValueError(f"mode must be thread, subprocess or in-process, not {mode!r}")
        if args and mode != "subprocess":
            raise ValueError("args are contacts-mock options: use them with mode='subprocess'")
        if options is not None and mode == "subprocess":
            raise ValueError("options= is for thread and in-process modes; pass args= to a subprocess")
        self.tokens = dict(tokens or {})
        self.fixtures = None if fixtures is None else Path(fixtures)
        self.spec = Path(spec)
        self.mode: Mode = mode
        self.options = options or MockOptions()
        self.admin_token = admin_token if admin_token is not None else self.options.admin_token
        self.args = list(args)
        self.log = log
        self.log_level = log_level
        self.host = host
        self.env = env
        self.prefix = list(prefix)
        self.timeout = timeout
        self._stack: list[contextlib.ExitStack] = []

    # -- context manager and decorator

    def __enter__(self) -> RunningMock:
        stack = contextlib.ExitStack()
        try:
            running = stack.enter_context(self._run())
        except BaseException:
            stack.close()
            raise
        self._stack.append(stack)
        return running

    def __exit__(self, *exc_info: object) -> None:
        self._stack.pop().close()

    def __call__(self, func: F) -> F:
        wants_mock = "contacts_mock" in inspect.signature(func).parameters

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self as mock:
                if wants_mock:
                    kwargs["contacts_mock"] = mock
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    # -- the three modes

    def _run(self) -> contextlib.AbstractContextManager[RunningMock]:
        if self.mode == "subprocess":
            return self._subprocess()
        state = self.build_state()
        if self.mode == "in-process":
            return self._in_process(state)
        return self._thread(state)

    def build_state(self) -> MockState:
        """The state the mock starts with, as `contacts-mock` would build it."""
        try:
            spec = load_spec(self.spec)
            seed = load_fixtures(self.fixtures, spec) if self.fixtures is not None else None
        except MockServerError as error:
            raise MockStartError(f"cannot start the mock: {error}") from error
        options = replace(
            self.options,
            fixtures_path=self.options.fixtures_path or self.fixtures,
            extra_tokens={**self.options.extra_tokens, **self.tokens},
        )
        if self.admin_token is not None:
            options = replace(options, admin_token=self.admin_token)
        return MockState.seeded(spec, seed, options.extra_tokens, options)

    @contextlib.contextmanager
    def _in_process(self, state: MockState) -> Iterator[RunningMock]:
        transport = MockTransport(create_app(state))
        try:
            yield RunningMock(
                IN_PROCESS_URL,
                _tokens_of(state),
                "in-process",
                self.admin_token,
                state=state,
                transport=transport,
            )
        finally:
            transport.close()

    @contextlib.contextmanager
    def _thread(self, state: MockState) -> Iterator[RunningMock]:
        with serve_app(
            create_app(state),
            host=self.host,
            timeout=self.timeout,
            log_level=self.log_level,
            server_header=False,
            http=guarded_protocol(state.spec.max_header_bytes, state.options.request_timeout),
        ) as url:
            yield RunningMock(url, _tokens_of(state), "thread", self.admin_token, state=state)

    def command(self, ready_file: Path) -> list[str]:
        """The `python -m mock_server` command line of subprocess mode."""
        command = [*self.prefix, sys.executable, "-m", "mock_server", "--host", self.host, "--port", "0"]
        command += ["--ready-file", str(ready_file), "--log-level", self.log_level, "--spec", str(self.spec)]
        command += ["--empty"] if self.fixtures is None else ["--fixtures", str(self.fixtures)]
        for token, org in self.tokens.items():
            command += ["--token", f"{token}={org}"]
        if self.admin_token is not None:
            command += ["--admin-token", self.admin_token]
        return command + self.args

    @contextlib.contextmanager
    def _subprocess(self) -> Iterator[RunningMock]:
        with contextlib.ExitStack() as stack:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="contacts-mock-")))
            ready_file = workdir / "ready"
            log_path = self.log or workdir / "mock.log"
            log = stack.enter_context(log_path.open("ab"))
            process = subprocess.Popen(
                self.command(ready_file),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=dict(self.env) if self.env is not None else None,
            )
            stack.callback(_stop, process)
            url = wait_for_ready_file(ready_file, process, self.timeout, log_path=log_path)
            yield RunningMock(
                url,
                self._expected_tokens(),
                "subprocess",
                self.admin_token,
                process=process,
                log_path=log_path,
            )

    def _expected_tokens(self) -> dict[str, str]:
        tokens: dict[str, str] = {}
        if self.fixtures is not None:
            tokens.update(load_fixtures(self.fixtures, load_spec(self.spec)).tokens)
        return {**tokens, **self.tokens}


def _tokens_of(state: MockState) -> dict[str, str]:
    return {**(state.seed.tokens if state.seed else {}), **state.options.extra_tokens}


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


@contextlib.contextmanager
def serve_app(
    app: Any, *, host: str = HOST, timeout: float = 30.0, what: str = "the mock", **config: Any
) -> Iterator[str]:
    """Any ASGI `app` served by uvicorn in a thread of this process, on a port the OS chose, until
    the block ends: its base URL.

    The one "serve in a thread and wait until it listens" of this project (the mock's thread
    mode, `make load --app`, the tests' other servers). `config`: more `uvicorn.Config` options
    (quiet by default: log level warning, no access log, the host's logging left alone). Raises
    :class:`MockStartError` naming `what` when the server thread ends first or after `timeout` s.
    """
    options: dict[str, Any] = {"log_level": "warning", "log_config": None, "access_log": False, **config}
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=0, **options))
    thread = threading.Thread(target=server.run, name=f"serve_app: {what}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    try:
        while not server.started:
            if not thread.is_alive():
                raise MockStartError(f"{what}'s server thread ended before it listened")
            if time.monotonic() > deadline:
                raise MockStartError(f"{what} did not listen within {timeout} s")
            time.sleep(0.005)
        yield f"http://{_url_host(host)}:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def wait_for_ready_file(
    ready_file: Path,
    process: subprocess.Popen[bytes],
    timeout: float = 60.0,
    *,
    log_path: Path | None = None,
    what: str = "the mock",
) -> str:
    """The text of `ready_file` once `process` has written it whole (ending in a newline), stripped.

    The one "started and listening" handshake of this project: a server binds its port(s) (port 0),
    then writes its ready file ending in "\\n" (`python -m mock_server --ready-file`, `python -m
    soak.servers`); whoever started it waits here. Raises :class:`MockStartError` naming `what`
    when the process exits first (with the tail of `log_path`, if given) or after `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(FileNotFoundError):
            text = ready_file.read_text(encoding="utf-8")
            if text.endswith("\n"):  # written whole
                return text.strip()
        if process.poll() is not None:
            tail = log_path.read_text(encoding="utf-8", errors="replace")[-2000:] if log_path else ""
            raise MockStartError(f"{what} exited with {process.returncode}:\n{tail}".rstrip())
        if time.monotonic() > deadline:
            see = f"; see {log_path}" if log_path else ""
            raise MockStartError(f"{what} wrote no ready file within {timeout} s{see}")
        time.sleep(0.02)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
