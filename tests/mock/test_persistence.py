"""--state-file: atomic writes, loading and validation, the saver, and a restart through the app."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest
from devkit import AUTH_A
from mockkit import COLLECTION, DOCUMENTED_ID, ORG_A, TOKEN_A, TOKEN_B, Api, item
from starlette.applications import Starlette

from mock_server import FixtureError, MockState, create_app, persistence
from mock_server.fixtures import Seed
from mock_server.options import MockOptions
from mock_server.persistence import StateSaver, load_state, write_atomically
from mock_server.spec import Spec
from mock_server.store import Store

NEW = {"first_name": "Emily", "last_name": "Carter", "note": "saved across restarts"}


# --- write_atomically ------------------------------------------------------------------------------


def test_write_atomically_creates_folders_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "state.json"
    write_atomically(path, {"organizations": []})
    assert json.loads(path.read_text(encoding="utf-8")) == {"organizations": []}
    assert [p.name for p in path.parent.iterdir()] == ["state.json"]


def test_write_atomically_replaces_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    write_atomically(path, {"big": ["x" * 100] * 1000})
    write_atomically(path, {"small": "日本語"})
    assert path.read_text(encoding="utf-8") == '{"small":"日本語"}'
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_failing_write_leaves_the_old_file_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "state.json"
    write_atomically(path, {"version": 1})
    old = path.read_bytes()

    def crash(*args: Any, **kwargs: Any) -> NoReturn:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(json, "dump", crash)  # the module persistence.py writes with
    with pytest.raises(OSError, match="No space left"):
        write_atomically(path, {"version": 2})
    assert path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_an_unserializable_state_leaves_the_old_file_intact(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    write_atomically(path, {"version": 1})
    with pytest.raises(TypeError):
        write_atomically(path, {"version": object()})
    assert json.loads(path.read_text(encoding="utf-8")) == {"version": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


# --- load_state ------------------------------------------------------------------------------------


def test_load_state_is_none_when_there_is_no_file(tmp_path: Path, spec: Spec) -> None:
    assert load_state(tmp_path / "missing.json", spec) is None


@pytest.mark.parametrize(
    "content",
    [b"{garbage", b"", b"\xff\xfe\x00", b"[]", b'{"organizations": "no"}', b'{"organizations": [], "x": 1}'],
)
def test_load_state_refuses_garbage(tmp_path: Path, spec: Spec, content: bytes) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(content)
    with pytest.raises(FixtureError, match=r"state\.json"):
        load_state(path, spec)


def test_load_state_validates_contacts_and_refuses_tokens(tmp_path: Path, spec: Spec, api: Api) -> None:
    snapshot = api.store.snapshot()
    path = tmp_path / "state.json"
    bad = json.loads(json.dumps(snapshot))
    bad["organizations"][0]["contacts"][0]["email"] = "nope"
    path.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(FixtureError, match="email"):
        load_state(path, spec)
    with_tokens = json.loads(json.dumps(snapshot))
    with_tokens["organizations"][0]["tokens"] = [TOKEN_A]
    path.write_text(json.dumps(with_tokens), encoding="utf-8")
    with pytest.raises(FixtureError, match="tokens"):
        load_state(path, spec)


def test_load_state_reads_a_snapshot(tmp_path: Path, spec: Spec, api: Api) -> None:
    path = tmp_path / "state.json"
    write_atomically(path, api.store.snapshot())
    loaded = load_state(path, spec)
    assert loaded is not None and loaded.tokens == {}
    assert sum(map(len, loaded.contacts.values())) == 48


# --- StateSaver ------------------------------------------------------------------------------------


def test_saver_saves_only_when_the_store_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    written: list[Any] = []
    real = persistence.write_atomically

    def counting(path: Path, data: Any) -> None:
        written.append(data)
        real(path, data)

    monkeypatch.setattr(persistence, "write_atomically", counting)
    store = Store()
    org = store.organization(ORG_A)
    path = tmp_path / "state.json"
    saver = StateSaver(store, path, interval=60)

    asyncio.run(saver.save_if_changed())
    assert not path.exists() and saver.saves == 0 and written == []

    org.create({"first_name": "A", "last_name": "B"})
    asyncio.run(saver.save_if_changed())
    assert saver.saves == 1 and len(written) == 1
    assert json.loads(path.read_text(encoding="utf-8")) == store.snapshot()

    asyncio.run(saver.save_if_changed())
    asyncio.run(saver.save_if_changed())
    assert saver.saves == 1 and len(written) == 1  # nothing new: no write

    contact = next(iter(org))
    org.update(contact.id, {"first_name": "A"})  # the same value: not a change
    asyncio.run(saver.save_if_changed())
    assert saver.saves == 1

    org.delete(contact.id)
    asyncio.run(saver.save_if_changed())
    assert saver.saves == 2
    assert json.loads(path.read_text(encoding="utf-8")) == {"organizations": [{"id": ORG_A, "contacts": []}]}


def test_saver_runs_in_the_background_and_saves_on_stop(tmp_path: Path) -> None:
    store = Store()
    org = store.organization(ORG_A)
    path = tmp_path / "state.json"

    async def scenario() -> None:
        saver = StateSaver(store, path, interval=0.02)
        saver.start()
        org.create({"first_name": "A", "last_name": "B"})
        for _ in range(200):
            if path.exists():
                break
            await asyncio.sleep(0.01)
        assert path.exists()
        org.create({"first_name": "C", "last_name": "D"})
        await saver.stop()  # the last write is saved even if the interval did not pass

    asyncio.run(scenario())
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert [c["first_name"] for c in saved["organizations"][0]["contacts"]] == ["A", "C"]


# --- end to end: through the app and its lifespan --------------------------------------------------


def make_app(spec: Spec, seed: Seed, path: Path, interval: float = 60.0) -> Starlette:
    options = MockOptions(state_file=path, save_interval=interval)
    return create_app(MockState.seeded(spec, seed, options=options))


def restarted(spec: Spec, seed: Seed, path: Path) -> Api:
    """What the CLI does on start with --state-file: seed, then the saved state over it."""
    state = MockState.seeded(spec, seed, options=MockOptions(state_file=path))
    saved = load_state(path, spec)
    assert saved is not None
    state.store.load(saved.contacts, keep=state.tokens.organizations())
    return Api(create_app(state))


def test_writes_survive_a_restart(tmp_path: Path, spec: Spec, seed: Seed) -> None:
    path = tmp_path / "state.json"
    app = make_app(spec, seed, path)

    async def scenario() -> str:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://mock", headers=AUTH_A) as http:
                created = await http.post(COLLECTION, json=NEW)
                assert created.status_code == 201
                assert (await http.delete(item(DOCUMENTED_ID))).status_code == 200
                patched = await http.patch(
                    item("cont_d82519c5c6938c4d5f7d2219b5842c96"),
                    json={"position": "課長"},
                    headers={"Authorization": f"Bearer {TOKEN_B}"},
                )
                assert patched.status_code == 200
                contact_id: str = created.json()["contact"]["id"]
                return contact_id

    contact_id = asyncio.run(scenario())
    text = path.read_text(encoding="utf-8")
    assert contact_id in text and DOCUMENTED_ID not in text and "課長" in text
    for token in (TOKEN_A, TOKEN_B):
        assert token not in text  # the file never holds a secret

    before_a = Api(app).everything()
    before_b = Api(app).everything(TOKEN_B)
    again = restarted(spec, seed, path)
    assert again.everything() == before_a
    assert again.everything(TOKEN_B) == before_b
    assert again.get(item(contact_id)).json()["contact"]["note"] == NEW["note"]
    assert again.get(item(DOCUMENTED_ID)).status_code == 404


def test_the_state_file_is_saved_while_running(tmp_path: Path, spec: Spec, seed: Seed) -> None:
    path = tmp_path / "state.json"
    app = make_app(spec, seed, path, interval=0.05)

    async def scenario() -> None:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://mock", headers=AUTH_A) as http:
                created = (await http.post(COLLECTION, json=NEW)).json()["contact"]["id"]
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline:
                if path.exists() and created in path.read_text(encoding="utf-8"):
                    return
                await asyncio.sleep(0.02)
            raise AssertionError("the state file did not get the write while the mock ran")

    asyncio.run(scenario())


def test_no_write_no_file(tmp_path: Path, spec: Spec, seed: Seed) -> None:
    path = tmp_path / "state.json"
    app = make_app(spec, seed, path, interval=0.01)

    async def scenario() -> None:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://mock", headers=AUTH_A) as http:
                assert (await http.get(COLLECTION)).status_code == 200
            await asyncio.sleep(0.05)

    asyncio.run(scenario())
    assert not path.exists()


def test_admin_reset_and_state_put_are_saved_too(tmp_path: Path, spec: Spec, seed: Seed) -> None:
    path = tmp_path / "state.json"
    app = make_app(spec, seed, path)

    async def scenario() -> None:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://mock") as http:
                state = (await http.get("/__admin/state")).json()
                for org in state["organizations"]:
                    org["contacts"] = [c for c in org["contacts"] if c["id"] == DOCUMENTED_ID]
                assert (await http.put("/__admin/state", json=state)).status_code == 200

    asyncio.run(scenario())
    loaded = load_state(path, spec)
    assert loaded is not None
    assert [c.id for contacts in loaded.contacts.values() for c in contacts] == [DOCUMENTED_ID]


def test_loading_removes_temporary_files_of_interrupted_saves(tmp_path: Path) -> None:
    from mock_server import load_spec
    from mock_server.persistence import load_state, write_atomically

    state = tmp_path / "state.json"
    write_atomically(state, {"organizations": []})
    leftover = tmp_path / ".state.json.abc123.tmp"
    leftover.write_text('{"organizations": [', encoding="utf-8")  # a save cut off by a crash
    assert load_state(state, load_spec()) is not None
    assert not leftover.exists()
    assert state.exists()
