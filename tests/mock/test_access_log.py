"""The one-line access log: method, path (with query), status, milliseconds; never a token."""

from __future__ import annotations

import logging
import re

import pytest
from mockkit import COLLECTION, COOKIE, TOKEN_A, TOKEN_B, UNKNOWN_ID, Api, item

LINE = re.compile(r"^(?P<method>[A-Z]+) (?P<target>\S+) (?P<status>\d{3}) (?P<ms>\d+\.\d)ms$")


def lines(caplog: pytest.LogCaptureFixture) -> list[re.Match[str]]:
    records = [r for r in caplog.records if r.name == "mock_server.access"]
    matches = [LINE.match(r.getMessage()) for r in records]
    assert all(matches), [r.getMessage() for r in records]
    assert all(r.levelno == logging.INFO for r in records)
    return [m for m in matches if m is not None]


def test_one_line_per_request(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="mock_server.access"):
        api.get(COLLECTION, params={"limit": 1, "search": "山田"})
        api.get(item(UNKNOWN_ID))
        api.post(COLLECTION, json={"first_name": "A", "last_name": "B"})
        api.get("/__admin/health", token=None)
        api.get("/nowhere", token=None)
    logged = [(m["method"], m["target"], m["status"]) for m in lines(caplog)]
    assert logged == [
        ("GET", f"{COLLECTION}?limit=1&search=%E5%B1%B1%E7%94%B0", "200"),
        ("GET", item(UNKNOWN_ID), "404"),
        ("POST", COLLECTION, "201"),
        ("GET", "/__admin/health", "200"),
        ("GET", "/nowhere", "404"),
    ]


def test_the_time_is_measured(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="mock_server.access"):
        api.get(COLLECTION, headers={"Prefer": "delay=100"})
    (line,) = lines(caplog)
    assert float(line["ms"]) >= 100


def test_tokens_never_reach_the_log(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        api.get(COLLECTION)
        api.get(COLLECTION, token=None, headers={"Cookie": f"{COOKIE}={TOKEN_B}"})
        api.get(COLLECTION, token="wrong-token-0c1d")
    assert len(lines(caplog)) == 3
    for secret in (TOKEN_A, TOKEN_B, "wrong-token-0c1d"):
        assert secret not in caplog.text
