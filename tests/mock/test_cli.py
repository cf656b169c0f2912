"""cli.py: `contacts-mock` start-up, banner and refusals; uvicorn itself is never started."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import click.testing
import pytest
import uvicorn
from mockkit import COLLECTION, Api

from mock_server import DEFAULT_FIXTURES_PATH
from mock_server.cli import ReadyServer, main


class Recorder:
    """Stands in for the server's run(): remembers what it was asked to serve."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, dict[str, Any]]] = []

    def __call__(self, server: uvicorn.Server) -> None:
        config = server.config
        kwargs = {
            "host": config.host,
            "port": config.port,
            "log_level": config.log_level,
            "server_header": config.server_header,
        }
        self.calls.append((config.app, kwargs))

    @property
    def api(self) -> Api:
        assert len(self.calls) == 1
        return Api(self.calls[0][0])


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    monkeypatch.setattr(ReadyServer, "run", lambda server, sockets=None: recorder(server))
    monkeypatch.setattr(
        "mock_server.cli.configure_logging", lambda level: None
    )  # leave pytest's logging alone
    return recorder


def run(*args: str) -> click.testing.Result:
    return click.testing.CliRunner().invoke(main, list(args), prog_name="contacts-mock")


def test_default_start_prints_the_url_and_tokens(served: Recorder) -> None:
    result = run()
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == "Contacts API mock on http://127.0.0.1:4010/api/v1/crm/contacts"
    assert lines[1].split()[:2] == ["docs:", "http://127.0.0.1:4010/docs"]
    assert lines[2].startswith("  spec file: ") and lines[2].endswith("openapi.yaml")
    assert (
        lines[3] == "  tokens (send as 'Authorization: Bearer <token>' or cookie better-auth.session_token):"
    )
    assert lines[4].split() == ["dev-token-org-a", "organization", "org_blueai", "(40", "contacts)"]
    assert lines[5].split() == ["dev-token-org-b", "organization", "org_partner", "(8", "contacts)"]
    assert "CORS: any localhost origin (credentials allowed)" in result.stdout
    _app, kwargs = served.calls[0]
    assert kwargs == {"host": "127.0.0.1", "port": 4010, "log_level": "info", "server_header": False}
    assert served.api.get(COLLECTION, token="dev-token-org-b").json()["total"] == 8


@pytest.mark.parametrize(
    ("args", "url", "kwargs"),
    [
        (["--port", "4011"], "http://127.0.0.1:4011/", {"host": "127.0.0.1", "port": 4011}),
        (["--host", "0.0.0.0", "--port", "0"], "http://0.0.0.0:0/", {"host": "0.0.0.0", "port": 0}),
        (["--host", "::1"], "http://[::1]:4010/", {"host": "::1", "port": 4010}),
    ],
)
def test_host_and_port(served: Recorder, args: list[str], url: str, kwargs: dict[str, Any]) -> None:
    result = run(*args, "--log-level", "warning")
    assert result.exit_code == 0, result.output
    assert f"Contacts API mock on {url}api/v1/crm/contacts" in result.stdout
    assert served.calls[0][1] == {**kwargs, "log_level": "warning", "server_header": False}


def test_token_adds_an_empty_organization(served: Recorder) -> None:
    result = run("--token", "ci-token=org_ci")
    assert result.exit_code == 0, result.output
    token_lines = [line.split() for line in result.stdout.splitlines() if line.startswith("    ")]
    # an operator's token is masked: only its first characters and length are shown
    assert token_lines[-1] == [
        "ci-…(8",
        "chars,",
        "from",
        "--token)",
        "organization",
        "org_ci",
        "(0",
        "contacts)",
    ]
    assert "ci-token" not in result.stdout
    assert "dev-token-org-a" in result.stdout
    api = served.api
    assert api.get(COLLECTION, token="ci-token").json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    assert api.get(COLLECTION, token="dev-token-org-a").json()["total"] == 40


def test_token_for_a_seeded_organization(served: Recorder) -> None:
    result = run("--token", "second=org_blueai", "--token", "a=b=c")  # ORG is everything after the first =
    assert result.exit_code == 0, result.output
    assert "sec…(6 chars, from --token)" in result.stdout and "second" not in result.stdout
    assert "organization org_blueai (40 contacts)" in result.stdout
    assert "organization b=c (0 contacts)" in result.stdout
    assert served.api.get(COLLECTION, token="second").json()["total"] == 40


def test_empty_with_a_token(served: Recorder) -> None:
    result = run("--empty", "--token", "ci-token=org_ci")
    assert result.exit_code == 0, result.output
    assert "dev-token" not in result.stdout
    assert "ci-…(8 chars, from --token)" in result.stdout and "ci-token" not in result.stdout
    assert served.api.get(COLLECTION, token="dev-token-org-a").status_code == 401
    assert served.api.get(COLLECTION, token="ci-token").status_code == 200


@pytest.mark.parametrize("value", ["nope", "=org", "token=", "", "="])
def test_a_bad_token_value_is_a_usage_error(served: Recorder, value: str) -> None:
    result = run("--token", value)
    assert result.exit_code == 2
    assert "Invalid value for '--token'" in result.stderr
    assert f"{value!r} is not TOKEN=ORG (e.g. ci-token=org_ci)" in result.stderr
    assert served.calls == []


def test_empty_without_tokens_refuses_to_start(served: Recorder) -> None:
    result = run("--empty")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == ("contacts-mock: no tokens: every request would get 401; add --token TOKEN=ORG\n")
    assert served.calls == []


def test_a_bad_fixture_file_exits_2_with_the_fixture_error(served: Recorder, tmp_path: Path) -> None:
    raw = json.loads(DEFAULT_FIXTURES_PATH.read_text(encoding="utf-8"))
    raw["organizations"][0]["contacts"][0]["email"] = "not-an-email"
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    result = run("--fixtures", str(path))
    assert result.exit_code == 2
    assert result.stderr == (
        f"contacts-mock: cannot start: {path}: organization org_blueai, contact #0 "
        '(cont_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb): field \'email\': "not-an-email" is not a "email"\n'
    )
    assert served.calls == []


@pytest.mark.parametrize(
    ("option", "name", "message"),
    [("--fixtures", "nope.json", "no such fixture file"), ("--spec", "nope.yaml", "no such file")],
)
def test_a_missing_file_exits_2(
    served: Recorder, tmp_path: Path, option: str, name: str, message: str
) -> None:
    result = run(option, str(tmp_path / name))
    assert result.exit_code == 2
    assert result.stderr == f"contacts-mock: cannot start: {tmp_path / name}: {message}\n"
    assert served.calls == []


def test_empty_ignores_the_fixture_file(served: Recorder, tmp_path: Path) -> None:
    result = run("--empty", "--fixtures", str(tmp_path / "nope.json"), "--token", "t=o")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "args", [["--port", "70000"], ["--port", "x"], ["--log-level", "loud"], ["--bogus"], ["extra"]]
)
def test_bad_options_are_usage_errors(served: Recorder, args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert "Usage: contacts-mock [OPTIONS]" in result.stderr
    assert served.calls == []


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help(flag: str) -> None:
    result = run(flag)
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: contacts-mock [OPTIONS]")
    for option in ("--host", "--port", "--fixtures", "--empty", "--token TOKEN=ORG", "--spec", "--log-level"):
        assert option in result.stdout


def test_python_dash_m_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mock_server", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: python -m mock_server [OPTIONS]")
    assert "Serve the in-memory Contacts API mock described by openapi.yaml." in done.stdout
