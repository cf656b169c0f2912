"""Violations as people and CI see them: the admin API, log lines, reports at exit; never a token."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest

from contacts_proxy import ProxyOptions, create_app
from contacts_proxy.masking import TOKEN_VARIABLE

from .support import CONTACTS, SPEC, Rig, echo, rig, serve

SECRET = "s3cr3t-bearer-0123456789"
COOKIE_SECRET = "s3cr3t-cookie-9876543210"
# An unknown path under the contract's collection, answered 200 by the echo app with every header it
# received in the body: a violation whose request and response both carry the credentials.
LEAKY = f"{CONTACTS}/cont_x/extra"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def echo_rig() -> Iterator[Rig]:
    with rig(echo) as r:
        yield r


def leak(r: Rig) -> None:
    response = r.http.get(
        LEAKY,
        headers={"Authorization": f"Bearer {SECRET}", "Cookie": f"better-auth.session_token={COOKIE_SECRET}"},
    )
    assert SECRET in response.text  # the echo app did leak it: the proxy forwards as received
    r.settle()


def test_tokens_are_masked_everywhere(echo_rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        leak(echo_rig)
        listed = echo_rig.http.get("/__admin/violations").text
        report = echo_rig.http.get("/__admin/report").text
        junit = echo_rig.http.get("/__admin/report", params={"format": "junit"}).text
    [violation] = json.loads(listed)["violations"]
    assert violation["rule"] == "status.documented"
    for text in (
        listed,
        report,
        junit,
        caplog.text,
        json.dumps(list(echo_rig.proxy.monitor.ledger.violations)),
    ):
        assert SECRET not in text and COOKIE_SECRET not in text
    headers = dict(violation["request"]["headers"])
    assert headers["authorization"] == "Bearer ***"
    assert headers["cookie"] == "better-auth.session_token=***"
    assert f'"${TOKEN_VARIABLE}"' in violation["curl"]
    assert violation["client"].startswith("client-") and SECRET not in violation["client"]
    assert "VIOLATION status.documented: GET " + LEAKY in caplog.text


def test_the_violations_endpoint(echo_rig: Rig) -> None:
    leak(echo_rig)
    body = echo_rig.http.get("/__admin/violations").json()
    assert body["exchanges"] == 1 and len(body["violations"]) == 1
    [violation] = body["violations"]
    assert set(violation) >= {"id", "rule", "title", "detail", "request", "response", "curl", "time"}
    assert violation["request"]["method"] == "GET" and violation["request"]["target"] == LEAKY
    assert violation["response"]["status"] == 200
    assert violation["curl"].endswith(f"{echo_rig.upstream}{LEAKY}")  # reproduces against the upstream
    assert echo_rig.http.get("/__admin/violations", params={"rule": "error.code"}).json()["violations"] == []
    assert echo_rig.http.get("/__admin/violations", params={"limit": "x"}).status_code == 400
    assert echo_rig.http.delete("/__admin/violations").json() == {"cleared": 1}
    assert echo_rig.http.get("/__admin/violations").json()["violations"] == []
    health = echo_rig.http.get("/__admin/health").json()
    assert health["status"] == "ok" and health["upstream"] == echo_rig.upstream


@pytest.mark.parametrize(
    ("admin_token", "client", "headers", "status"),
    [
        (None, ("127.0.0.1", 5000), {}, 200),
        (None, ("203.0.113.9", 5000), {}, 403),
        ("adm-token-1", ("203.0.113.9", 5000), {}, 401),
        ("adm-token-1", ("203.0.113.9", 5000), {"X-Admin-Token": "adm-token-1"}, 200),
        (None, ("127.0.0.1", 5000), {"Origin": "https://evil.example"}, 403),
    ],
)
def test_the_admin_api_is_guarded_like_the_mock(
    admin_token: str | None, client: tuple[str, int], headers: dict[str, str], status: int
) -> None:
    proxy = create_app(SPEC, ProxyOptions(upstream="http://127.0.0.1:9", admin_token=admin_token))

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=proxy, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://proxy") as http:
            return await http.get("/__admin/violations", headers=headers)

    import asyncio

    assert asyncio.run(go()).status_code == status


def test_cors_as_in_the_mock(echo_rig: Rig) -> None:
    origin = {"Origin": "http://localhost:3000"}
    response = echo_rig.http.get(CONTACTS, headers=origin)
    assert response.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert response.headers["access-control-allow-credentials"] == "true"
    preflight = echo_rig.http.options(CONTACTS, headers={**origin, "Access-Control-Request-Method": "PATCH"})
    assert preflight.status_code == 200 and "PATCH" in preflight.headers["access-control-allow-methods"]
    refused = echo_rig.http.options(
        CONTACTS, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "cors_rejected"
    echo_rig.settle()
    assert echo_rig.proxy.monitor.ledger.exchanges == 1  # preflights are answered, never forwarded


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_reports_are_written_at_exit(tmp_path: Path, stop: signal.Signals) -> None:
    ready, report, junit, output = (tmp_path / n for n in ("ready", "report.json", "report.xml", "out.log"))
    with serve(echo) as upstream, output.open("wb") as log:
        command = [sys.executable, "-m", "contacts_proxy", "--upstream", upstream, "--port", "0"]
        command += ["--ready-file", str(ready), "--report", str(report), "--junit", str(junit)]
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while not ready.exists():
                assert process.poll() is None and time.monotonic() < deadline, output.read_text()
                time.sleep(0.05)
            url = ready.read_text().strip()
            with httpx.Client(base_url=url) as http:
                http.get(LEAKY, headers={"Authorization": f"Bearer {SECRET}"})
                http.get("/elsewhere", headers={"Authorization": f"Bearer {SECRET}"})  # not judged
                deadline = time.monotonic() + 10
                while http.get("/__admin/health").json()["exchanges"] < 2 and time.monotonic() < deadline:
                    time.sleep(0.02)
            process.send_signal(stop)
            assert process.wait(timeout=30) in (0, -stop, 128 + stop)  # uvicorn re-raises the signal
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    data = json.loads(report.read_text())
    assert data["exchanges"] == 2 and data["violations_total"] == 1
    assert data["violations"][0]["rule"] == "status.documented"
    suite = ElementTree.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "1"
    failed = [case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None]
    assert [name.split(":")[0] for name in failed if name] == ["status.documented"]
    everything = report.read_text() + junit.read_text() + output.read_text()
    assert SECRET not in everything
    assert "VIOLATION status.documented" in output.read_text()
    assert f"GET {LEAKY} 200 " in output.read_text()  # the access line: method, target, status, ms


def test_a_report_named_xml_is_junit(tmp_path: Path) -> None:
    from contacts_proxy.report import Ledger, write_reports

    ledger = Ledger("http://upstream")
    [path] = write_reports(ledger, tmp_path / "proxy.xml", None)
    assert ElementTree.parse(path).getroot().tag == "testsuites"
