"""How the suite spreads its tests over pytest-xdist workers (contract_tests/workers.py)."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from contract_tests import workers
from contract_tests.settings import Settings
from mock_server.testing import serve

PACKAGE = Path(workers.__file__).resolve().parent


def _hypothesis_test() -> None: ...


_hypothesis_test.is_hypothesis_test = True  # type: ignore[attr-defined]


def item(name: str, *, generative: bool = False, path: Path = PACKAGE / "test_x.py") -> Any:
    function = _hypothesis_test if generative else (lambda: None)
    return SimpleNamespace(name=name, originalname=name.split("[", 1)[0], obj=function, path=path)


SCHEMA = [item(f"test_operation_conforms_to_the_spec[{op}]") for op in ("GET", "POST", "PATCH")]
MACHINE = [item(f"test_the_server_behaves_like_the_model[{n}]") for n in (1, 2, 3)]
GIVEN = [item("test_patch_changes_only_what_it_sends", generative=True)]
SHORT = [item(f"test_short_{n}") for n in range(6)]


@pytest.mark.parametrize(
    ("test", "weight"),
    [(SCHEMA[0], 3), (MACHINE[0], 2), (GIVEN[0], 1), (SHORT[0], 0)],
)
def test_weight_ranks_long_chains_of_requests(test: Any, weight: int) -> None:
    assert workers.weight(test) == weight


def test_schedule_starts_the_longest_chains_first_one_per_worker() -> None:
    items = [*SHORT[:3], *MACHINE, *GIVEN, *SCHEMA, *SHORT[3:]]
    order = workers.schedule(items, 3)
    # xdist queues two tests per worker: each of the first three pairs is one long chain and one
    # short test, so no two long chains wait behind each other at the start.
    assert order[:6] == [SCHEMA[0], SHORT[5], SCHEMA[1], SHORT[4], SCHEMA[2], SHORT[3]]
    assert order[6:] == [*MACHINE, *GIVEN, *SHORT[:3]]
    assert sorted(map(id, order)) == sorted(map(id, items))  # a permutation: nothing lost or doubled


def test_schedule_is_deterministic() -> None:
    items = [*SHORT, *SCHEMA, *MACHINE]
    assert workers.schedule(items, 4) == workers.schedule(list(items), 4)


def test_schedule_with_more_workers_than_long_chains() -> None:
    items = [*SHORT[:2], GIVEN[0]]
    assert workers.schedule(items, 8) == [GIVEN[0], SHORT[1], SHORT[0]]


def test_worker_options_drop_assertion_rewriting_and_other_tools_plugins() -> None:
    options = workers.worker_options()
    assert options[0] == "--assert=plain"
    assert [options[i + 1] for i, option in enumerate(options) if option == "-p"] == [
        f"no:{name}" for name in workers.UNUSED_PLUGINS
    ]


def config_for(args: list[str], base: Path) -> Any:
    return SimpleNamespace(
        args=args,
        invocation_params=SimpleNamespace(dir=base),
        stash=pytest.Stash(),
    )


@pytest.mark.parametrize(
    ("args", "only"),
    [
        (["contract_tests"], True),
        (["contract_tests/test_crud.py::test_create_then_get_round_trip"], True),
        (["contract_tests", "tests/mock"], False),
        (["tests"], False),
        ([], False),
    ],
)
def test_workers_are_lightened_only_for_a_run_of_this_suite_alone(args: list[str], only: bool) -> None:
    assert workers._only_this_suite(config_for(args, PACKAGE.parent)) is only


@pytest.mark.parametrize("before", [None, "-x"])
def test_worker_options_reach_the_workers_environment_and_are_undone(
    monkeypatch: pytest.MonkeyPatch, before: str | None
) -> None:
    if before is None:
        monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    else:
        monkeypatch.setenv("PYTEST_ADDOPTS", before)
    config = config_for(["contract_tests"], PACKAGE.parent)
    workers._lighten_workers(config)
    expected = " ".join(workers.worker_options())
    assert os.environ["PYTEST_ADDOPTS"] == (f"{before} {expected}" if before else expected)
    workers.restore_environment(config)
    assert os.environ.get("PYTEST_ADDOPTS") == before
    workers.restore_environment(config)  # twice: nothing more to undo
    assert os.environ.get("PYTEST_ADDOPTS") == before


def test_only_a_run_of_this_suite_alone_is_reordered() -> None:
    assert workers.ours([*SHORT, *SCHEMA])
    assert not workers.ours([*SHORT, item("test_elsewhere", path=PACKAGE.parent / "tests" / "test_y.py")])


def live(url: str, **raw: Any) -> Settings:
    """Settings of a run against a live target at `url`."""
    return Settings.parse({"base_url": url, "token": "dev-token-org-a", **raw})


def test_auto_asks_for_workers_by_the_measured_round_trip() -> None:
    # The automatic choice against a live target (`--workers` left out): the nested runs of
    # `make test` pass `--workers 1`, so this is where it runs.
    with serve() as mock:
        count, why = workers.resolve(live(mock.url))
    assert why.startswith("auto: round trip ") and why.endswith(" ms"), why
    assert 1 <= count <= workers.MAX_AUTO_WORKERS


def test_auto_is_one_worker_when_the_probe_gets_no_answer() -> None:
    with socket.socket() as held:  # bound, never listening: every connection is refused
        held.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{held.getsockname()[1]}"
        assert workers.resolve(live(url)) == (1, "auto: in-process or no answer to the probe")


def test_an_explicit_count_is_never_probed() -> None:
    assert workers.resolve(live("http://127.0.0.1:9", workers="3")) == (3, "--workers")
