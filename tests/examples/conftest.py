"""Fixtures of the client-recipe tests: the mock in a subprocess on a free port, and run()."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from mock_server.testing import serve

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache" / "examples"  # git-ignored; kept between runs so installs happen once
TOKEN = "dev-token-org-a"


@pytest.fixture(scope="session")
def mock_url() -> Iterator[str]:
    """The seeded mock, as a developer runs it (`contacts-mock --port 0`), for the whole session."""
    with serve(mode="subprocess") as mock:
        yield mock.url


def run(
    command: Sequence[str | Path],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 600,
) -> str:
    """Run one step of a recipe; its output is the failure message when it fails."""
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(map(str, command))} exited {result.returncode}:\n{output}"
    return result.stdout


def journal(mock_url: str, path: str) -> list[dict[str, Any]]:
    """The mock's request journal for `path` (a prefix), oldest first."""
    with urllib.request.urlopen(f"{mock_url}/__admin/requests?path={path}", timeout=10) as response:
        entries: list[dict[str, Any]] = json.load(response)["requests"]
    return entries[::-1]


def check_demo_output(stdout: str, mock_url: str) -> None:
    """The demo's steps, and the mock's own record of them (not only what the program says)."""
    lines = dict(line.split(": ", 1) for line in stdout.splitlines() if ": " in line)
    assert stdout.rstrip().endswith("OK"), stdout
    assert lines["list"].startswith("search=山田 total=") and "first=山田" in lines["list"]
    assert "phone=None" in lines["patch"] or "phone=null" in lines["patch"]
    assert lines["get-after-delete"] == "404 not_found"
    contact_id = lines["create"].split()[0].removeprefix("id=")
    path = f"/api/v1/crm/contacts/{contact_id}"
    seen = [(e["method"], e["status"]) for e in journal(mock_url, path)]
    assert seen == [("PATCH", 200), ("GET", 200), ("DELETE", 200), ("GET", 404)]
    created = [e for e in journal(mock_url, "/api/v1/crm/contacts") if e["method"] == "POST"]
    assert created and created[-1]["status"] == 201
