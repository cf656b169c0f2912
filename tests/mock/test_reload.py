"""--reload: edits to the spec and the fixtures are picked up; the state is kept while it still fits."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from mockkit import COLLECTION, DOCUMENTED_ID, TOKEN_A, TOKEN_B, Api, assert_error, item

from mock_server import DEFAULT_FIXTURES_PATH, DEFAULT_SPEC_PATH, MockState, create_app, load_fixtures, reload
from mock_server.options import MockOptions
from mock_server.reload import Watcher
from mock_server.spec import load_spec

LIMIT_200 = "minimum: 1\n        maximum: 200\n        default: 50"
LIMIT_100 = "minimum: 1\n        maximum: 100\n        default: 50"
NOTE_2000 = "      maxLength: 2000\n      examples: [展示会で名刺交換。]"
NOTE_40 = "      maxLength: 40\n      examples: [展示会で名刺交換。]"


@dataclass
class Reloadable:
    spec_path: Path
    fixtures_path: Path
    state: MockState
    api: Api
    watcher: Watcher

    def edit_spec(self, old: str, new: str) -> None:
        text = self.spec_path.read_text(encoding="utf-8")
        assert text.count(old) == 1, old
        self.spec_path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def mock(tmp_path: Path) -> Reloadable:
    spec_path = Path(shutil.copy(DEFAULT_SPEC_PATH, tmp_path / "openapi.yaml"))
    fixtures_path = Path(shutil.copy(DEFAULT_FIXTURES_PATH, tmp_path / "seed.json"))
    spec = load_spec(spec_path)
    options = MockOptions(reload=True, fixtures_path=fixtures_path, extra_tokens={"ci-token": "org_ci"})
    state = MockState.seeded(spec, load_fixtures(fixtures_path, spec), {"ci-token": "org_ci"}, options)
    app = create_app(state)
    return Reloadable(spec_path, fixtures_path, state, Api(app), Watcher(state, app.state.on_reload))


def test_a_spec_edit_changes_the_behaviour_and_keeps_the_contacts(
    mock: Reloadable, caplog: pytest.LogCaptureFixture
) -> None:
    api = mock.api
    assert api.get(COLLECTION, params={"limit": 150}).status_code == 200
    created = api.create(note="created before the reload")
    mock.edit_spec(LIMIT_200, LIMIT_100)
    with caplog.at_level(logging.INFO, logger="mock_server"):
        mock.watcher.reload()
    error = assert_error(api.get(COLLECTION, params={"limit": 150}), 400, "validation_error")
    assert [d["field"] for d in error["details"]] == ["limit"]
    assert api.get(COLLECTION, params={"limit": 100}).status_code == 200
    assert api.get(item(created["id"])).json()["contact"] == created
    assert api.get(COLLECTION).json()["total"] == 41
    assert mock.watcher.reloads == 1
    assert any("reloaded" in r.getMessage() and "state kept" in r.getMessage() for r in caplog.records)
    assert LIMIT_100 in api.get("/openapi.yaml", token=None).text  # the docs follow the spec


def test_a_broken_spec_keeps_the_running_mock(mock: Reloadable, caplog: pytest.LogCaptureFixture) -> None:
    api = mock.api
    created = api.create()
    mock.spec_path.write_text("openapi: 3.1.0\npaths: {\n", encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="mock_server"):
        mock.watcher.reload()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "reload skipped" in errors[0].getMessage() and "openapi.yaml" in errors[0].getMessage()
    assert api.get(COLLECTION, params={"limit": 150}).status_code == 200  # the old spec still runs
    assert api.get(item(created["id"])).status_code == 200
    assert mock.watcher.reloads == 0


def test_a_spec_without_operations_keeps_the_running_mock(
    mock: Reloadable, caplog: pytest.LogCaptureFixture
) -> None:
    mock.spec_path.write_text("openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths: {}\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="mock_server"):
        mock.watcher.reload()
    assert any("reload skipped" in r.getMessage() for r in caplog.records)
    assert mock.api.get(COLLECTION).status_code == 200


def test_broken_fixtures_keep_the_running_mock(mock: Reloadable, caplog: pytest.LogCaptureFixture) -> None:
    created = mock.api.create()
    mock.fixtures_path.write_text('{"organizations": [', encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="mock_server"):
        mock.watcher.reload()
    assert any("reload skipped" in r.getMessage() and "seed.json" in r.getMessage() for r in caplog.records)
    assert mock.api.get(item(created["id"])).status_code == 200
    assert mock.api.post("/__admin/reset", token=None).json()["contacts"] == 48  # the old seed


def test_a_spec_edit_the_contacts_no_longer_fit_resets_to_the_fixtures(
    mock: Reloadable, caplog: pytest.LogCaptureFixture
) -> None:
    api = mock.api
    fixtures = api.everything()
    created = api.create(note="x" * 100)
    mock.edit_spec(NOTE_2000, NOTE_40)  # the fixtures' notes are at most 33 characters
    with caplog.at_level(logging.INFO, logger="mock_server"):
        mock.watcher.reload()
    assert any(r.levelno == logging.WARNING and "no longer fit" in r.getMessage() for r in caplog.records), (
        caplog.text
    )
    assert any("state reset" in r.getMessage() for r in caplog.records)
    assert api.get(item(created["id"])).status_code == 404
    assert api.everything() == fixtures
    assert_error(
        api.post(COLLECTION, json={"first_name": "A", "last_name": "B", "note": "y" * 41}),
        400,
        "validation_error",
    )
    assert (
        api.post(COLLECTION, json={"first_name": "A", "last_name": "B", "note": "y" * 40}).status_code == 201
    )


def test_a_fixture_edit_keeps_the_state_and_becomes_the_reset_target(mock: Reloadable) -> None:
    api = mock.api
    created = api.create()
    seed = json.loads(mock.fixtures_path.read_text(encoding="utf-8"))
    seed["organizations"][0]["contacts"][0]["first_name"] = "再読込"
    mock.fixtures_path.write_text(json.dumps(seed, ensure_ascii=False), encoding="utf-8")
    mock.watcher.reload()
    assert api.get(item(created["id"])).status_code == 200  # state kept
    assert api.get(item(DOCUMENTED_ID)).json()["contact"]["first_name"] == "太郎"
    assert api.post("/__admin/reset", token=None).status_code == 200
    assert api.get(item(created["id"])).status_code == 404
    assert api.get(item(DOCUMENTED_ID)).json()["contact"]["first_name"] == "再読込"


def test_a_token_added_to_the_fixtures_works_after_a_reload(mock: Reloadable) -> None:
    seed = json.loads(mock.fixtures_path.read_text(encoding="utf-8"))
    seed["organizations"][1]["tokens"].append("dev-token-org-b2")
    mock.fixtures_path.write_text(json.dumps(seed, ensure_ascii=False), encoding="utf-8")
    mock.watcher.reload()
    assert mock.api.get(COLLECTION, token="dev-token-org-b2").json()["total"] == 8
    assert mock.api.get(COLLECTION, token=TOKEN_B).json()["total"] == 8
    assert mock.api.get(COLLECTION, token="ci-token").json()["total"] == 0  # --token ones stay


def test_a_token_removed_from_the_fixtures_stops_working_after_a_reload(mock: Reloadable) -> None:
    seed = json.loads(mock.fixtures_path.read_text(encoding="utf-8"))
    seed["organizations"][0]["tokens"] = ["dev-token-org-a-rotated"]
    mock.fixtures_path.write_text(json.dumps(seed, ensure_ascii=False), encoding="utf-8")
    mock.watcher.reload()
    assert mock.api.get(COLLECTION, token="dev-token-org-a-rotated").json()["total"] == 40
    assert mock.api.get(COLLECTION, token="ci-token").status_code == 200  # --token ones stay
    old = mock.api.get(COLLECTION, token=TOKEN_A)
    assert old.status_code == 401, f"{TOKEN_A} was removed from the fixtures but still works after a reload"
    assert_error(old, 401, "unauthorized")


def test_changed_sees_edits_by_modification_time(mock: Reloadable) -> None:
    assert mock.watcher.paths == [mock.spec_path, mock.fixtures_path]
    assert not mock.watcher.changed()
    stat = mock.spec_path.stat()
    os.utime(mock.spec_path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert mock.watcher.changed()
    assert not mock.watcher.changed()
    stat = mock.fixtures_path.stat()
    os.utime(mock.fixtures_path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert mock.watcher.changed()


def test_the_running_mock_polls_and_reloads(mock: Reloadable, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the app's lifespan, as `--reload` runs it."""
    monkeypatch.setattr(reload, "POLL_SECONDS", 0.02)
    app = mock.api.app

    async def scenario() -> None:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            headers = {"Authorization": f"Bearer {TOKEN_A}"}
            async with httpx.AsyncClient(
                transport=transport, base_url="http://mock", headers=headers
            ) as http:
                assert (await http.get(COLLECTION, params={"limit": 150})).status_code == 200
                mock.edit_spec(LIMIT_200, LIMIT_100)
                stat = mock.spec_path.stat()
                os.utime(mock.spec_path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline:
                    if (await http.get(COLLECTION, params={"limit": 150})).status_code == 400:
                        return
                    await asyncio.sleep(0.02)
                raise AssertionError("the running mock did not pick up the spec edit")

    asyncio.run(scenario())
