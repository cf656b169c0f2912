"""cli.py's developer options: parsing into MockOptions, the banner, --state-file, --ready-file."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import click.testing
import httpx
import pytest
import uvicorn
from mockkit import COLLECTION, DOCUMENTED_ID, ORG_A, TOKEN_A, Api

from mock_server import DEFAULT_FIXTURES_PATH, MockState, create_app
from mock_server.cli import ReadyServer, main
from mock_server.options import MockOptions
from mock_server.persistence import write_atomically
from mock_server.testing import serve

REPO = Path(__file__).resolve().parents[2]


class Served:
    """Stands in for ReadyServer.run: remembers the server it was asked to run."""

    def __init__(self) -> None:
        self.servers: list[ReadyServer] = []

    @property
    def server(self) -> ReadyServer:
        assert len(self.servers) == 1
        return self.servers[0]

    @property
    def state(self) -> MockState:
        state: MockState = self.server.config.app.state.mock
        return state

    @property
    def options(self) -> MockOptions:
        return self.state.options


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Served:
    recorder = Served()

    def run(self: ReadyServer, sockets: Any = None) -> None:
        recorder.servers.append(self)

    monkeypatch.setattr(ReadyServer, "run", run)
    monkeypatch.setattr(uvicorn.Server, "run", run)
    monkeypatch.setattr(
        "mock_server.cli.configure_logging", lambda level: None
    )  # leave pytest's logging alone
    monkeypatch.setattr("logging.config.dictConfig", lambda config: None)  # and uvicorn's
    return recorder


def run(*args: str) -> click.testing.Result:
    return click.testing.CliRunner().invoke(main, list(args), prog_name="contacts-mock")


def banner_options(result: click.testing.Result) -> list[str]:
    """The banner's option lines (after the tokens)."""
    lines = result.stdout.splitlines()
    return [line.strip() for line in lines if line.startswith("  ") and not line.startswith("    ")][3:]


def test_defaults(served: Served) -> None:
    result = run()
    assert result.exit_code == 0, result.output
    assert served.options == MockOptions(fixtures_path=DEFAULT_FIXTURES_PATH)
    assert banner_options(result) == [
        "CORS: any localhost origin (credentials allowed)",
        "admin API: loopback clients only",
        "request journal: the last 1000 API requests at /__admin/requests",
        "request timeout: 10 s to send a whole request",
    ]
    lines = result.stdout.splitlines()
    assert lines[1] == (
        "  docs:  http://127.0.0.1:4010/docs   spec: http://127.0.0.1:4010/openapi.yaml"
        "   admin: http://127.0.0.1:4010/__admin/health"
    )
    assert served.server.ready_file is None


def test_every_option_parses_into_mock_options(served: Served, tmp_path: Path) -> None:
    state_file, ready_file = tmp_path / "state.json", tmp_path / "ready"
    result = run(
        "--latency",
        "50..200",
        "--error-rate",
        "0.05",
        "--error-status",
        "500",
        "--cors-origins",
        "http://localhost:5173, https://app.example.com,",
        "--admin-token",
        "admin-secret-51f0",
        "--state-file",
        str(state_file),
        "--save-interval",
        "0.5",
        "--reload",
        "--validate-responses",
        "--journal-size",
        "50",
        "--ready-file",
        str(ready_file),
        "--token",
        "ci-token=org_ci",
        "--request-timeout",
        "2.5",
    )
    assert result.exit_code == 0, result.output
    assert served.options == MockOptions(
        latency_ms=(50, 200),
        error_rate=0.05,
        error_status=500,
        cors=True,
        cors_origins=("http://localhost:5173", "https://app.example.com"),
        admin_token="admin-secret-51f0",
        validate_responses=True,
        journal_size=50,
        state_file=state_file,
        save_interval=0.5,
        reload=True,
        fixtures_path=DEFAULT_FIXTURES_PATH,
        extra_tokens={"ci-token": "org_ci"},
        request_timeout=2.5,
    )
    assert served.state.journal.size == 50
    assert served.server.ready_file == ready_file
    assert banner_options(result)[:9] == [
        f"ready file: {ready_file} (written once the mock listens)",
        "latency: 50..200 ms",
        "error rate: 5.0% of API requests answered 500",
        "CORS: http://localhost:5173, https://app.example.com (credentials allowed)",
        "admin API: token required",
        f"state file: {state_file} (saved every 0.5 s while writes happen)",
        "reload: watching the spec and the fixtures",
        "validate responses: every response is checked against the spec",
        "request journal: the last 50 API requests at /__admin/requests",
    ]
    assert "admin-secret-51f0" not in result.output  # the admin token is never printed
    assert "ci-token" not in result.stdout and "org_ci" in result.stdout  # --token values are masked


@pytest.mark.parametrize(
    ("args", "options", "line"),
    [
        (["--latency", "75"], {"latency_ms": (75, 75)}, "latency: 75 ms"),
        (["--latency", " 10 .. 20 "], {"latency_ms": (10, 20)}, "latency: 10..20 ms"),
        (["--error-rate", "0.25"], {"error_rate": 0.25}, "error rate: 25.0% of API requests answered 503"),
        (
            ["--error-rate", "1", "--error-status", "429"],
            {"error_rate": 1.0, "error_status": 429},
            "error rate: 100.0% of API requests answered 429",
        ),
        (["--no-cors"], {"cors": False}, "CORS: off"),
        (
            ["--no-cors", "--cors-origins", "http://a.test"],
            {"cors": False, "cors_origins": ("http://a.test",)},
            "CORS: off",
        ),
        (
            ["--cors-origins", "http://a.test,http://b.test"],
            {"cors_origins": ("http://a.test", "http://b.test")},
            "CORS: http://a.test, http://b.test (credentials allowed)",
        ),
        (["--admin-token", "t0ken"], {"admin_token": "t0ken"}, "admin API: token required"),
        (["--reload"], {"reload": True}, "reload: watching the spec and the fixtures"),
        (
            ["--validate-responses"],
            {"validate_responses": True},
            "validate responses: every response is checked against the spec",
        ),
    ],
)
def test_each_option_and_its_banner_line(
    served: Served, args: list[str], options: dict[str, Any], line: str
) -> None:
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert served.options == MockOptions(fixtures_path=DEFAULT_FIXTURES_PATH, **options)
    assert line in banner_options(result)


def test_state_file_and_save_interval(served: Served, tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    result = run("--state-file", str(path), "--save-interval", "1.5")
    assert result.exit_code == 0, result.output
    assert served.options.state_file == path and served.options.save_interval == 1.5
    assert f"state file: {path} (saved every 1.5 s while writes happen)" in banner_options(result)
    assert "state restored" not in result.stdout  # no file yet: a fresh start


def test_journal_size_is_in_the_banner(served: Served) -> None:
    result = run("--journal-size", "5")
    assert result.exit_code == 0, result.output
    assert served.options.journal_size == 5 and served.state.journal.size == 5
    assert any("journal" in line and "5" in line for line in banner_options(result)), result.stdout


def test_ready_file_is_in_the_banner(served: Served, tmp_path: Path) -> None:
    ready = tmp_path / "ready.txt"
    result = run("--ready-file", str(ready))
    assert result.exit_code == 0, result.output
    assert str(ready) in result.stdout


def test_a_stale_ready_file_is_removed_before_start(served: Served, tmp_path: Path) -> None:
    ready = tmp_path / "ready.txt"
    ready.write_text("http://127.0.0.1:1\n", encoding="utf-8")
    assert run("--ready-file", str(ready)).exit_code == 0
    assert not ready.exists()  # only the new server, once it listens, writes it again


def test_the_options_reach_the_app(served: Served) -> None:
    result = run("--error-rate", "1", "--error-status", "502", "--no-cors")
    assert result.exit_code == 0, result.output
    api = Api(served.server.config.app)
    assert api.get(COLLECTION).status_code == 502
    assert api.get("/__admin/health", token=None).status_code == 200


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["--latency", "abc"], "--latency"),
        (["--latency", "200..50"], "--latency"),
        (["--latency", "-5"], "--latency"),
        (["--latency", "1.5"], "--latency"),
        (["--latency", ""], "--latency"),
        (["--error-rate", "1.5"], "--error-rate"),
        (["--error-rate", "-0.1"], "--error-rate"),
        (["--error-status", "200"], "--error-status"),
        (["--error-status", "600"], "--error-status"),
        (["--journal-size", "0"], "--journal-size"),
        (["--save-interval", "0"], "--save-interval"),
    ],
)
def test_bad_values_are_usage_errors(served: Served, args: list[str], name: str) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{name}'" in result.stderr
    assert served.servers == []


def test_state_file_with_a_saved_state_restores_it(served: Served, tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    seed = json.loads(DEFAULT_FIXTURES_PATH.read_text(encoding="utf-8"))
    org_a = seed["organizations"][0]
    documented = next(c for c in org_a["contacts"] if c["id"] == DOCUMENTED_ID)
    write_atomically(path, {"organizations": [{"id": ORG_A, "contacts": [{**documented, "note": "saved"}]}]})
    result = run("--state-file", str(path))
    assert result.exit_code == 0, result.output
    assert f"  state restored from {path}" in result.stdout.splitlines()
    token_line = next(line for line in result.stdout.splitlines() if TOKEN_A in line)
    assert token_line.split()[-2:] == ["(1", "contacts)"]
    api = Api(served.server.config.app)
    items = api.everything()
    assert [(c["id"], c["note"]) for c in items] == [(DOCUMENTED_ID, "saved")]
    assert api.get(COLLECTION, token="dev-token-org-b").json()["total"] == 0  # the saved state, whole


def test_a_corrupt_state_file_stops_the_start(served: Served, tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("{half a state", encoding="utf-8")
    result = run("--state-file", str(path))
    assert result.exit_code == 2
    assert "cannot start" in result.stderr and "state.json" in result.stderr
    assert served.servers == []
    assert path.read_text(encoding="utf-8") == "{half a state"  # never overwritten


# --- --ready-file, for real ------------------------------------------------------------------------


def wait_for(path: Path, process: subprocess.Popen[bytes], seconds: float = 20) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and path.read_text(encoding="utf-8").endswith("\n"):
            return path.read_text(encoding="utf-8").strip()
        assert process.poll() is None, "the mock exited before it was ready"
        time.sleep(0.05)
    raise AssertionError(f"{path} did not appear within {seconds} s")


def test_ready_file_in_a_real_process(tmp_path: Path) -> None:
    """`--port 0 --ready-file F`, as CI uses it: F names the port the OS chose, once it listens."""
    ready = tmp_path / "ci" / "mock.ready"
    command = [sys.executable, "-m", "mock_server", "--port", "0", "--ready-file", str(ready)]
    command += ["--log-level", "warning"]
    with subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        try:
            url = wait_for(ready, process)
            assert re.fullmatch(r"http://127\.0\.0\.1:[1-9][0-9]*", url), url
            with httpx.Client(base_url=url, timeout=5) as http:
                health = http.get("/__admin/health")
                assert health.status_code == 200 and health.json()["status"] == "ok"
                listing = http.get(COLLECTION, headers={"Authorization": f"Bearer {TOKEN_A}"})
                assert listing.json()["total"] == 40
        finally:
            process.terminate()
            out, err = process.communicate(timeout=15)
    assert process.returncode in (0, -signal.SIGTERM), err.decode()  # uvicorn re-raises the signal
    assert out.decode().startswith("Contacts API mock on http://127.0.0.1:0/")
    assert not ready.exists(), "a stopped mock is not ready"


def test_a_terminated_mock_saves_its_state_and_the_next_one_restores_it(tmp_path: Path) -> None:
    """SIGTERM (what CI and Ctrl-C-like stops send) runs the shutdown save; no interval save needed."""
    state_file = tmp_path / "state.json"
    args = ["--state-file", str(state_file), "--save-interval", "60"]
    with serve(mode="subprocess", args=args) as first, first.client(TOKEN_A) as http:
        created = http.post(COLLECTION, json={"first_name": "Saved", "last_name": "Once"})
        assert created.status_code == 201
        contact_id = created.json()["contact"]["id"]
    assert first.process is not None and first.process.returncode in (0, -signal.SIGTERM), first.log()
    assert contact_id in state_file.read_text(encoding="utf-8"), first.log()
    with serve(mode="subprocess", args=args) as second, second.client(TOKEN_A) as http:
        assert http.get(f"{COLLECTION}/{contact_id}").status_code == 200
        assert http.get(COLLECTION).json()["total"] == 41
        assert f"state restored from {state_file}" in second.log()


async def _serve_until_ready(server: ReadyServer, ready: Path) -> tuple[str, int]:
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if ready.exists() or task.done():
                break
            await asyncio.sleep(0.01)
        assert ready.exists(), "the ready file was not written"
        bound: int = server.servers[0].sockets[0].getsockname()[1]
        return ready.read_text(encoding="utf-8"), bound
    finally:
        server.should_exit = True
        await task


def in_process_server(host: str, port: int, ready: Path) -> ReadyServer:
    app = create_app(MockState.seeded(*_spec_and_seed()))
    config = uvicorn.Config(
        app, host=host, port=port, log_config=None, log_level="warning", ws="none", lifespan="on"
    )
    return ReadyServer(config, ready)


def _spec_and_seed() -> tuple[Any, Any]:
    from mock_server import load_fixtures, load_spec

    spec = load_spec()
    return spec, load_fixtures(DEFAULT_FIXTURES_PATH, spec)


def test_ready_file_with_port_0_names_the_bound_port(tmp_path: Path) -> None:
    """`--port 0 --ready-file F` is the race-free way for CI: F must name the port the OS chose."""
    ready = tmp_path / "ready"
    text, bound = asyncio.run(_serve_until_ready(in_process_server("127.0.0.1", 0, ready), ready))
    assert text == f"http://127.0.0.1:{bound}\n"


def test_ready_file_with_an_ipv6_host_is_a_valid_url(tmp_path: Path) -> None:
    """The banner writes http://[::1]:port; the ready file must too (http://::1:port is no URL)."""
    ready = tmp_path / "ready"
    text, bound = asyncio.run(_serve_until_ready(in_process_server("::1", 0, ready), ready))
    assert text == f"http://[::1]:{bound}\n"
