"""The command lines: `contacts-mock --generate/--seed/--ja-ratio/--scenario/--scenarios`
and `python -m mock_server.data`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import click.testing
import pytest
import uvicorn
from devkit import call
from mockkit import COLLECTION, ORG_A, ORG_B, TOKEN_A, Api

from mock_server import MockState, load_fixtures
from mock_server.cli import ReadyServer, main
from mock_server.data import main as data_main
from mock_server.spec import Spec

REPO = Path(__file__).resolve().parents[2]


class Started:
    """Stands in for ReadyServer.run: keeps the app the CLI built instead of serving it."""

    def __init__(self) -> None:
        self.servers: list[ReadyServer] = []

    def api(self) -> Api:
        return Api(self.servers[-1].config.app)

    def state(self) -> MockState:
        state: MockState = self.servers[-1].config.app.state.mock
        return state


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> Started:
    recorder = Started()

    def run(self: ReadyServer, sockets: Any = None) -> None:
        recorder.servers.append(self)

    monkeypatch.setattr(ReadyServer, "run", run)
    monkeypatch.setattr(uvicorn.Server, "run", run)
    monkeypatch.setattr("mock_server.cli.configure_logging", lambda level: None)
    monkeypatch.setattr("logging.config.dictConfig", lambda config: None)
    return recorder


def start(*args: str) -> click.testing.Result:
    return click.testing.CliRunner().invoke(main, list(args), prog_name="contacts-mock")


def totals(api: Api, *tokens: str) -> list[int]:
    return [api.get(COLLECTION, token=token).json()["total"] for token in tokens]


# (arguments, contacts of org A and org B, a banner line)
STARTS = [
    ((), (40, 8), None),
    (("--generate", "25"), (65, 33), "generated: 25 contacts per organization (seed 0, 60% Japanese names)"),
    (("--scenario", "many"), (500, 500), "scenario: many (switch: POST"),
    (("--scenario", "empty"), (0, 0), "scenario: empty"),
    (("--scenario", "edge", "--generate", "5", "--seed", "2"), (57, 8), "scenario: edge"),
    (("--scenario", "one", "--generate", "3", "--ja-ratio", "1"), (4, 4), "100% Japanese names"),
]


@pytest.mark.parametrize(("args", "expected", "line"), STARTS)
def test_start_options(
    started: Started, args: tuple[str, ...], expected: tuple[int, int], line: str | None
) -> None:
    result = start(*args)
    assert result.exit_code == 0, result.output
    assert tuple(totals(started.api(), TOKEN_A, "dev-token-org-b")) == expected
    if line is not None:
        assert line in result.stdout
    assert f"organization {ORG_A} ({expected[0]} contacts)" in result.stdout


def test_generate_fills_the_organizations_of_extra_tokens(started: Started) -> None:
    result = start("--empty", "--token", "ci=org_ci", "--generate", "12")
    assert result.exit_code == 0, result.output
    assert totals(started.api(), "ci") == [12]


def test_the_same_seed_gives_the_same_first_page_byte_for_byte(started: Started) -> None:
    pages = []
    for seed in ("7", "7", "8"):
        assert start("--generate", "300", "--seed", seed).exit_code == 0
        pages.append(started.api().get(COLLECTION, params={"limit": 50}).content)
    assert pages[0] == pages[1]
    assert pages[0] != pages[2]


def test_the_ja_ratio_reaches_the_data(started: Started) -> None:
    assert start("--scenario", "empty", "--generate", "60", "--ja-ratio", "0").exit_code == 0
    names = [c["first_name"] + c["last_name"] for c in started.api().everything()]
    assert len(names) == 60 and all(not any("\u3040" <= ch <= "\u9fff" for ch in n) for n in names)


def test_a_user_folder_at_start(started: Started, tmp_path: Path) -> None:
    (tmp_path / "demo.json").write_text('{"base": "fixtures", "generate": 2}', encoding="utf-8")
    result = start("--scenarios", str(tmp_path), "--scenario", "demo")
    assert result.exit_code == 0, result.output
    assert totals(started.api(), TOKEN_A) == [42]
    assert f"scenarios: shipped ones and {tmp_path}" in result.stdout
    switched = call(started.api().app, "POST", "/__admin/scenario/many")
    assert switched.json()["contacts"] == 1000


@pytest.mark.parametrize(
    ("args", "files", "message"),
    [
        (("--scenario", "nope"), {}, "no scenario 'nope'; known: default, edge, empty"),
        (("--scenario", "default"), {"bad.json": '{"generate": -1}'}, "bad.json: field 'generate'"),
        (("--scenario", "one"), {"x.json": '{"organizations": [{"id": "o"}]}'}, "x.json: organizations/0"),
        (("--scenario", "default"), {"-x.json": "{}"}, "not a usable scenario name"),
    ],
)
def test_start_refuses_unknown_names_and_bad_files(
    started: Started, tmp_path: Path, args: tuple[str, ...], files: dict[str, str], message: str
) -> None:
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    result = start(*args, "--scenarios", str(tmp_path))
    assert result.exit_code == 2
    assert "contacts-mock: cannot start:" in result.stderr and message in result.stderr, result.stderr
    assert started.servers == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--generate", "-1"), "--generate"),
        (("--generate", "100001"), "--generate"),
        (("--ja-ratio", "1.5"), "--ja-ratio"),
        (("--seed", "x"), "--seed"),
        (("--scenarios", "/no/such/folder"), "--scenarios"),
    ],
)
def test_bad_option_values_are_usage_errors(started: Started, args: tuple[str, ...], message: str) -> None:
    result = start(*args)
    assert result.exit_code == 2 and message in result.stderr, result.output


# --- python -m mock_server.data -------------------------------------------------------------------


def data(*args: str) -> click.testing.Result:
    return click.testing.CliRunner().invoke(data_main, list(args), prog_name="mock_server.data")


def test_data_writes_a_fixture_file_that_loads_everywhere(spec: Spec, tmp_path: Path, api: Api) -> None:
    result = data("--generate", "30", "--seed", "4")
    assert result.exit_code == 0, result.stderr
    raw = json.loads(result.stdout)
    assert [o["id"] for o in raw["organizations"]] == [ORG_A, ORG_B]
    assert all("tokens" not in o for o in raw["organizations"])
    path = tmp_path / "seed.json"
    path.write_text(result.stdout, encoding="utf-8")
    assert sum(map(len, load_fixtures(path, spec).contacts.values())) == 60  # --fixtures
    response = api.request("PUT", "/__admin/state", token=None, content=result.stdout.encode())
    assert response.status_code == 200, response.text  # PUT /__admin/state
    assert api.get(COLLECTION).json()["total"] == 30
    assert data("--generate", "30", "--seed", "4").stdout == result.stdout  # byte for byte


def test_data_matches_the_mock_generating_the_same(started: Started) -> None:
    """`many` is {"generate": 500, "seed": 3}: the file and the mock agree on every contact."""
    written = json.loads(data("--generate", "500", "--seed", "3").stdout)
    assert start("--scenario", "many").exit_code == 0
    served = started.api().everything()
    assert len(served) == 200  # one page of them, oldest first
    file_contacts = {c["id"]: c for c in written["organizations"][0]["contacts"]}
    assert all(file_contacts[c["id"]] == c for c in served)


@pytest.mark.parametrize(
    ("args", "check"),
    [
        (("--generate", "3", "--org", "org_x", "--token", "qa=org_y"), {"org_x": None, "org_y": ["qa"]}),
        (("--scenario", "edge"), {ORG_A: None, ORG_B: None}),
        (("--scenario", "default", "--token", "t=org_blueai"), {ORG_A: ["t"], ORG_B: None}),
    ],
)
def test_data_options(args: tuple[str, ...], check: dict[str, Any]) -> None:
    result = data(*args)
    assert result.exit_code == 0, result.stderr
    orgs = json.loads(result.stdout)["organizations"]
    assert {o["id"]: o.get("tokens") for o in orgs} == check


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "exactly one of --generate N and --scenario NAME"),
        (("--generate", "1", "--scenario", "one"), "exactly one of"),
        (("--scenario", "nope"), "no scenario 'nope'"),
        (("--generate", "1", "--until", "soon"), "--until"),
        (("--token", "broken"), "TOKEN=ORG"),
    ],
)
def test_data_errors(args: tuple[str, ...], message: str) -> None:
    result = data(*args)
    assert result.exit_code == 2 and message in result.stderr, result.output


@pytest.mark.parametrize("hash_seeds", [("1", "2")])
def test_data_runs_as_a_module_with_the_same_bytes_in_every_process(
    tmp_path: Path, hash_seeds: tuple[str, str]
) -> None:
    """Nothing depends on str hashing or set order: two processes, two hash seeds, one output."""
    outputs = []
    for hash_seed in hash_seeds:
        out = tmp_path / f"out-{hash_seed}.json"
        command = [sys.executable, "-m", "mock_server.data", "--generate", "40", "-o", str(out)]
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run(command, cwd=REPO, env=env, check=True, timeout=60)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert len(json.loads(outputs[0])["organizations"][0]["contacts"]) == 40
