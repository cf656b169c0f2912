"""mock_server.testing: serve() in its three modes, RunningMock, MockTransport, the pytest plugin."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from mockkit import COLLECTION, ORG_A, TOKEN_A, TOKEN_B

from mock_server import create_app
from mock_server.options import MockOptions
from mock_server.testing import MockStartError, MockTransport, RunningMock, serve, wait_for_ready_file

MODES = ["thread", "in-process", "subprocess"]


@pytest.mark.parametrize("mode", MODES)
def test_serve_gives_a_seeded_mock_with_the_extra_tokens(mode: Any) -> None:
    with serve(tokens={"t-extra": "org_x"}, mode=mode) as mock:
        assert mock.tokens == {TOKEN_A: ORG_A, TOKEN_B: "org_partner", "t-extra": "org_x"}
        with mock.client("t-extra") as http:
            listing = http.get(COLLECTION)
        assert listing.status_code == 200 and listing.json()["total"] == 0  # created empty
        with mock.client(TOKEN_A) as http:
            assert http.get(COLLECTION).json()["total"] == 40
            assert http.get("/openapi.yaml").text.startswith("openapi: 3.1")


@pytest.mark.parametrize("mode", MODES)
def test_reset_and_the_journal(mode: Any) -> None:
    with serve(mode=mode) as mock, mock.client(TOKEN_A) as http:
        created = http.post(COLLECTION, json={"first_name": "Jo", "last_name": "March"})
        assert created.status_code == 201
        assert http.get(COLLECTION).json()["total"] == 41
        journal = mock.requests
        assert [(e["method"], e["path"], e["status"]) for e in journal[:2]] == [
            ("GET", COLLECTION, 200),
            ("POST", COLLECTION, 201),
        ]
        mock.reset()
        assert http.get(COLLECTION).json()["total"] == 40
        mock.clear_requests()
        assert mock.requests == []


def test_fixtures_none_is_an_empty_mock_with_only_the_given_tokens() -> None:
    with serve(fixtures=None, tokens={"ci": "org_ci"}, mode="in-process") as mock:
        assert mock.tokens == {"ci": "org_ci"}
        with mock.client(TOKEN_A) as http:
            assert http.get(COLLECTION).status_code == 401


def test_the_admin_token_is_used_by_reset_and_requests() -> None:
    with serve(mode="in-process", admin_token="s3cret") as mock:
        with mock.client() as http:
            assert http.post("/__admin/reset").status_code == 401
        mock.reset()  # sends the token
        assert mock.requests == []


def test_thread_mode_exposes_the_live_state_and_options() -> None:
    with serve(options=MockOptions(journal_size=5)) as mock:
        assert mock.mode == "thread" and mock.state is not None
        assert mock.state.journal.size == 5
        assert mock.port is not None and mock.url == f"http://127.0.0.1:{mock.port}"


def test_a_subprocess_mock_can_be_killed_and_has_a_log(tmp_path: Path) -> None:
    log = tmp_path / "mock.log"
    with serve(mode="subprocess", log=log, log_level="info") as mock:
        assert mock.process is not None
        with mock.client(TOKEN_A) as http:
            http.get(COLLECTION)
        mock.process.send_signal(signal.SIGKILL)
        assert mock.process.wait(timeout=10) == -signal.SIGKILL
        assert "Contacts API mock on http://127.0.0.1:0/" in mock.log()
    # Leaving the block after the process died is fine.


def test_a_mock_that_cannot_start_says_why(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("not: [an, openapi", encoding="utf-8")
    with pytest.raises(MockStartError, match=r"broken\.yaml"), serve(spec=broken):
        pass
    with pytest.raises(MockStartError, match="exited with 2"), serve(spec=broken, mode="subprocess"):
        pass


def test_wait_for_ready_file_waits_for_the_whole_line_and_says_who_failed(tmp_path: Path) -> None:
    """The launcher's handshake, as other servers use it (soak.servers): a half-written file is
    not ready; a process that exits first or never writes is reported by name, with its log."""
    ready, log = tmp_path / "ready", tmp_path / "server.log"
    log.write_text("bind failed\n", encoding="utf-8")
    # Half a line first, the whole line 0.3 s later (as a server that writes in two pieces).
    writer = "import pathlib, sys, time; p = pathlib.Path(sys.argv[1]); p.write_text('{1'); "
    writer += "time.sleep(0.3); p.write_text('{1}\\n'); time.sleep(30)"
    with subprocess.Popen([sys.executable, "-c", writer, str(ready)]) as process:
        try:
            assert wait_for_ready_file(ready, process, 30, what="the writer") == "{1}"
        finally:
            process.kill()
    exits = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    with exits, pytest.raises(MockStartError, match=r"(?s)the variant servers exited with 3:.*bind failed"):
        wait_for_ready_file(tmp_path / "never", exits, 30, log_path=log, what="the variant servers")
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as process:
        try:
            with pytest.raises(MockStartError, match=r"the mock wrote no ready file within 0\.2 s; see "):
                wait_for_ready_file(tmp_path / "never", process, 0.2, log_path=log)
        finally:
            process.kill()


@pytest.mark.parametrize(
    "kwargs",
    [{"mode": "nope"}, {"args": ["--reload"]}, {"mode": "subprocess", "options": MockOptions()}],
)
def test_contradictory_arguments_are_refused_at_once(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        serve(**kwargs)


def test_serve_is_a_decorator_that_passes_the_mock() -> None:
    seen: list[RunningMock] = []

    @serve(mode="in-process")
    def uses(contacts_mock: RunningMock) -> None:
        seen.append(contacts_mock)

    uses()  # type: ignore[call-arg]  # the decorator supplies it
    assert seen and seen[0].mode == "in-process"


def test_the_transport_needs_no_port() -> None:
    transport = MockTransport()
    with httpx.Client(transport=transport, base_url="http://mock") as http:
        response = http.get(COLLECTION, headers={"Authorization": f"Bearer {TOKEN_A}"})
        assert response.status_code == 200 and response.json()["total"] == 40
        posted = http.post(
            COLLECTION, json={"first_name": "A", "last_name": "B"}, headers={"Authorization": "Bearer x"}
        )
        assert posted.status_code == 401


def test_create_app_without_arguments_serves_the_seed() -> None:
    with httpx.Client(transport=MockTransport(create_app()), base_url="http://mock") as http:
        response = http.get(COLLECTION, headers={"Authorization": f"Bearer {TOKEN_A}"})
    assert response.status_code == 200 and response.json()["total"] == 40


def test_the_plugin_fixture_without_a_marker(contacts_mock: RunningMock) -> None:
    assert contacts_mock.mode == "thread"
    with contacts_mock.client(TOKEN_A) as http:
        assert http.get(COLLECTION).json()["total"] == 40


@pytest.mark.contacts_mock(fixtures=None, tokens={"only": "org_only"}, mode="in-process")
def test_the_plugin_fixture_follows_its_marker(contacts_mock: RunningMock) -> None:
    assert contacts_mock.tokens == {"only": "org_only"}
    assert contacts_mock.mode == "in-process"
