"""Named scenarios: the shipped ones, user folders, the admin switch, and what survives it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from devkit import OUTSIDER, build, call
from mockkit import COLLECTION, ORG_A, ORG_B, TOKEN_A, TOKEN_B, Api, assert_error, item

from mock_server import MockState, create_app, load_fixtures
from mock_server.errors import FixtureError
from mock_server.fixtures import Seed
from mock_server.options import MockOptions
from mock_server.reload import Watcher
from mock_server.scenarios import ScenarioError, Scenarios, UnknownScenario
from mock_server.spec import Spec

EDGE_FILE = Path(__file__).resolve().parents[2] / "mock_server" / "scenarios" / "edge.json"
SHIPPED = ["default", "edge", "empty", "few", "large", "many", "one"]

# name -> contacts of org A and org B once switched to it (the shipped seed has 40 and 8)
COUNTS = [
    ("default", 40, 8),
    ("empty", 0, 0),
    ("one", 1, 1),
    ("few", 5, 5),
    ("many", 500, 500),
    ("edge", 52, 3),
]


def admin(api: Api, method: str, path: str, **kwargs: Any) -> Any:
    return api.request(method, path, token=None, **kwargs)


def switch(api: Api, name: str) -> Any:
    return admin(api, "POST", f"/__admin/scenario/{name}")


def counts(api: Api) -> tuple[int, int]:
    a = api.get(COLLECTION, token=TOKEN_A).json()["total"]
    b = api.get(COLLECTION, token=TOKEN_B).json()["total"]
    return a, b


def test_the_shipped_scenarios_are_package_data() -> None:
    assert list(Scenarios().files()) == SHIPPED
    assert all(f.origin == "shipped" for f in Scenarios().files().values())


@pytest.mark.parametrize(("name", "org_a", "org_b"), COUNTS)
def test_switching_serves_the_scenario(api: Api, name: str, org_a: int, org_b: int) -> None:
    response = switch(api, name)
    assert response.status_code == 200, response.text
    assert response.json() == {"scenario": name, "organizations": 2, "contacts": org_a + org_b}
    assert counts(api) == (org_a, org_b)
    assert admin(api, "GET", "/__admin/scenarios").json()["current"] == name


def test_tokens_and_the_journal_survive_a_switch(api: Api) -> None:
    created = api.create(first_name="Before")
    api.get(COLLECTION, token=TOKEN_B)
    before = admin(api, "GET", "/__admin/requests").json()
    assert before["total"] == 2
    assert switch(api, "many").status_code == 200
    after = admin(api, "GET", "/__admin/requests").json()
    assert after["requests"] == before["requests"]  # admin calls are not journaled; nothing lost
    assert api.get(item(created["id"])).status_code == 404  # a switch replaces the data
    assert counts(api) == (500, 500)  # both tokens still work, each on its own organization
    assert api.get(COLLECTION, token="not-a-token").status_code == 401
    assert switch(api, "default").status_code == 200
    assert counts(api) == (40, 8)
    assert admin(api, "GET", "/__admin/requests").json()["total"] == 2 + 6  # the API calls above


def test_reset_goes_back_to_the_current_scenario(api: Api) -> None:
    switch(api, "few")
    api.create(first_name="Extra")
    assert counts(api) == (6, 5)
    assert admin(api, "POST", "/__admin/reset").status_code == 200
    assert counts(api) == (5, 5)


def test_switching_twice_gives_the_same_bytes(api: Api) -> None:
    switch(api, "many")
    first = api.get(COLLECTION, params={"limit": 100}).content
    api.create(first_name="Noise")
    switch(api, "default")
    switch(api, "many")
    assert api.get(COLLECTION, params={"limit": 100}).content == first


def test_organizations_of_extra_tokens_get_generated_contacts(spec: Spec, seed: Seed) -> None:
    api = build(spec, seed, tokens={"ci-token": "org_ci"})
    assert switch(api, "many").json()["organizations"] == 3
    assert api.get(COLLECTION, token="ci-token").json()["total"] == 500
    assert switch(api, "edge").status_code == 200
    assert api.get(COLLECTION, token="ci-token").json()["total"] == 0  # edge lists org A and B only


def test_the_listing(api: Api) -> None:
    body = admin(api, "GET", "/__admin/scenarios").json()
    assert body["current"] == "default"
    assert [row["name"] for row in body["scenarios"]] == SHIPPED
    for row in body["scenarios"]:
        assert set(row) == {"name", "origin", "description"} and row["description"]


def test_an_unknown_scenario_is_a_404_that_lists_the_known_ones(api: Api) -> None:
    response = switch(api, "nope")
    error = assert_error(response, 404, "not_found")
    assert "'nope'" in error["message"] and "default, edge, empty" in error["message"]
    assert counts(api) == (40, 8)


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/__admin/scenarios"), ("POST", "/__admin/scenario/empty")]
)
def test_the_admin_rules_apply(spec: Spec, seed: Seed, method: str, path: str) -> None:
    api = build(spec, seed)
    assert_error(call(api.app, method, path, client=OUTSIDER), 403, "forbidden")
    guarded = build(spec, seed, admin_token="admin-secret-1")
    assert_error(call(guarded.app, method, path), 401, "unauthorized")
    ok = call(guarded.app, method, path, headers={"X-Admin-Token": "admin-secret-1"})
    assert ok.status_code == 200
    foreign = call(api.app, method, path, headers={"Origin": "https://evil.example"})
    assert_error(foreign, 403, "forbidden")
    assert counts(api) == (40, 8)


def test_other_methods_are_405(api: Api) -> None:
    response = admin(api, "GET", "/__admin/scenario/many")
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "POST"


# --- edge ------------------------------------------------------------------------------------------


@pytest.fixture
def edge() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(EDGE_FILE.read_text(encoding="utf-8"))
    return raw


def test_edge_covers_the_hard_cases(edge: dict[str, Any]) -> None:
    contacts = edge["organizations"][0]["contacts"]
    names = [(c["first_name"], c["last_name"]) for c in contacts]
    assert max(len(c["first_name"]) for c in contacts) == 100
    assert max(len(c["last_name"]) for c in contacts) == 100
    assert max(len(c["note"] or "") for c in contacts) == 2000
    assert max(len(c["email"] or "") for c in contacts) == 254
    assert max(len(c["phone"] or "") for c in contacts) == 32
    assert max(len(c["position"] or "") for c in contacts) == 100
    optional = ("email", "phone", "position", "company_id", "note")
    assert any(all(c[f] is None for f in optional) for c in contacts)
    assert any(c["phone"] == "" and c["position"] == "" and c["note"] == "" for c in contacts)
    assert any(ord(ch) > 0xFFFF for c in contacts for ch in c["first_name"] + c["last_name"])
    assert any("\u0600" <= ch <= "\u06ff" for first, last in names for ch in first + last)  # Arabic
    assert any("\u0590" <= ch <= "\u05ff" for first, last in names for ch in first + last)  # Hebrew
    assert len(names) - len(set(names)) >= 3  # duplicate names
    created = [c["created_at"] for c in contacts]
    assert max(created.count(stamp) for stamp in created) >= 30


def test_edge_is_served_exactly_as_written(api: Api, edge: dict[str, Any]) -> None:
    assert switch(api, "edge").status_code == 200
    for org, token in zip(edge["organizations"], (TOKEN_A, TOKEN_B), strict=True):
        for contact in org["contacts"]:
            response = api.get(item(contact["id"]), token=token)
            assert response.status_code == 200, response.text
            assert response.json() == {"contact": contact}
    assert {c["id"] for c in edge["organizations"][0]["contacts"]} == {c["id"] for c in api.everything()}


@pytest.mark.parametrize(("order", "limit"), [("asc", 7), ("desc", 7), ("desc", 30)])
def test_edge_pages_through_ties_without_gaps_or_repeats(api: Api, order: str, limit: int) -> None:
    switch(api, "edge")
    seen: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = api.get(COLLECTION, params={"limit": limit, "offset": offset, "order": order}).json()
        seen += page["items"]
        offset += limit
        if offset >= page["total"]:
            break
    ids = [c["id"] for c in seen]
    assert len(ids) == len(set(ids)) == 52
    keys = [(c["created_at"], c["id"]) for c in seen]
    assert keys == sorted(keys, reverse=order == "desc")


@pytest.mark.parametrize(
    ("search", "expected"), [("محمد", 1), ("𠮷", 1), ("山田", 3), ("smith", 3), ("שרה", 1)]
)
def test_edge_names_are_searchable(api: Api, search: str, expected: int) -> None:
    switch(api, "edge")
    assert api.get(COLLECTION, params={"search": search}).json()["total"] == expected


# --- user folders ---------------------------------------------------------------------------------


def write(folder: Path, name: str, content: Any) -> Path:
    path = folder / f"{name}.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def test_user_scenarios_are_listed_and_shadow_shipped_ones(spec: Spec, seed: Seed, tmp_path: Path) -> None:
    write(tmp_path, "default", {"description": "ours", "generate": 3, "seed": 1})
    write(tmp_path, "demo", {"description": "demo day", "base": "fixtures", "generate": 2})
    (tmp_path / "notes.txt").write_text("not a scenario", encoding="utf-8")
    api = build(spec, seed, scenarios_dir=tmp_path)
    rows = {row["name"]: row for row in admin(api, "GET", "/__admin/scenarios").json()["scenarios"]}
    assert list(rows) == sorted([*SHIPPED, "demo"])
    assert rows["default"] == {
        "name": "default",
        "origin": "user",
        "description": "ours",
        "file": str(tmp_path / "default.json"),
        "shadows_shipped": True,
    }
    assert rows["demo"]["shadows_shipped"] is False
    assert switch(api, "default").json()["contacts"] == 6
    assert switch(api, "demo").json()["contacts"] == 48 + 4


def test_an_edited_file_is_read_again_on_the_next_switch(spec: Spec, seed: Seed, tmp_path: Path) -> None:
    write(tmp_path, "mine", {"generate": 2})
    api = build(spec, seed, scenarios_dir=tmp_path)
    assert switch(api, "mine").json()["contacts"] == 4
    write(tmp_path, "mine", {"generate": 7})
    assert switch(api, "mine").json()["contacts"] == 14


def _contact(**changes: Any) -> dict[str, Any]:
    return {
        "id": "cont_" + "1" * 32,
        "first_name": "A",
        "last_name": "B",
        "email": None,
        "phone": None,
        "position": None,
        "company_id": None,
        "note": None,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        **changes,
    }


# (file content, what the error must mention besides the file)
BAD_FILES = [
    ("{not json", "not a readable JSON file"),
    ([], "top level"),
    ({"generate": "500"}, "field 'generate'"),
    ({"generate": 100_001}, "field 'generate'"),
    ({"ja_ratio": 2}, "field 'ja_ratio'"),
    ({"base": "everything"}, "field 'base'"),
    ({"until": "yesterday"}, "field 'until'"),
    ({"until": "2026-02-30T00:00:00Z"}, "field 'until'"),
    ({"surprise": 1}, "surprise"),
    ({"base": "empty", "organizations": []}, "field 'base'"),
    ({"organizations": [{"id": ORG_A, "tokens": ["t"], "contacts": []}]}, "tokens cannot be set here"),
    ({"organizations": [{"id": ORG_A, "contacts": [_contact(email="nope")]}]}, "field 'email'"),
    ({"organizations": [{"id": ORG_A, "contacts": [_contact(first_name="x" * 101)]}]}, "field 'first_name'"),
    (
        {"organizations": [{"id": ORG_A, "contacts": [_contact(updated_at="2025-01-01T00:00:00Z")]}]},
        "field 'updated_at'",
    ),
    ({"organizations": [{"id": ORG_B, "contacts": [_contact(), _contact()]}]}, "id is already used"),
]


@pytest.mark.parametrize(("content", "mention"), BAD_FILES)
def test_a_bad_user_file_is_a_400_naming_file_and_field(
    spec: Spec, seed: Seed, tmp_path: Path, content: Any, mention: str
) -> None:
    path = write(tmp_path, "bad", content)
    api = build(spec, seed, scenarios_dir=tmp_path)
    error = assert_error(switch(api, "bad"), 400, "validation_error")
    assert str(path) in error["message"] and mention in error["message"], error["message"]
    assert error["details"][0]["field"] == "name"
    assert counts(api) == (40, 8)  # a rejected switch changes nothing
    assert admin(api, "GET", "/__admin/scenarios").json()["current"] == "default"
    row = next(r for r in admin(api, "GET", "/__admin/scenarios").json()["scenarios"] if r["name"] == "bad")
    assert mention in row.get("error", mention)  # a contact error shows only when switching


@pytest.mark.parametrize(("content", "mention"), BAD_FILES)
def test_check_at_start_names_the_file_and_field(
    spec: Spec, tmp_path: Path, content: Any, mention: str
) -> None:
    path = write(tmp_path, "bad", content)
    with pytest.raises(FixtureError) as caught:
        Scenarios(tmp_path).check(spec)
    assert str(path) in str(caught.value) and mention in str(caught.value)


def test_a_badly_named_file_and_an_unknown_name(tmp_path: Path) -> None:
    write(tmp_path, "-dash", {})
    with pytest.raises(ScenarioError, match="not a usable scenario name"):
        Scenarios(tmp_path).files()
    with pytest.raises(UnknownScenario, match="known: default, edge"):
        Scenarios().get("nothing")


def test_a_fixture_reload_rebuilds_the_current_scenario(
    spec: Spec, seed_json: dict[str, Any], tmp_path: Path
) -> None:
    fixtures_path = tmp_path / "seed.json"
    fixtures_path.write_text(json.dumps(seed_json), encoding="utf-8")
    folder = tmp_path / "scenarios"
    folder.mkdir()
    write(folder, "plus", {"base": "fixtures", "generate": 2})
    options = MockOptions(fixtures_path=fixtures_path, scenarios_dir=folder, reload=True)
    state = MockState.seeded(spec, load_fixtures(fixtures_path, spec), options=options)
    app = create_app(state)
    api = Api(app)
    assert switch(api, "plus").json()["contacts"] == 48 + 4
    edited = json.loads(json.dumps(seed_json))
    edited["organizations"][0]["contacts"].pop()
    fixtures_path.write_text(json.dumps(edited), encoding="utf-8")
    Watcher(state, app.state.on_reload).reload()
    assert state.scenario == "plus"
    admin(api, "POST", "/__admin/reset")
    assert counts(api) == (39 + 2, 8 + 2)
