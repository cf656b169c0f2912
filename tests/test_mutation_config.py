"""`make mutation` stays runnable: its scope, its equivalents and its report logic (no mutmut run here).

The full run takes minutes (docs/mutation.md); these checks take seconds and fail
when a refactor leaves the configuration behind: a skipped function that no longer
exists, an equivalent mutant whose mutation changed (mutmut renumbers mutants
when a function changes), a report that counts wrong.
"""

from __future__ import annotations

import functools
import importlib
import json
from pathlib import Path

import pytest

from mutation import report, scope

ROOT = Path(__file__).resolve().parent.parent


def test_every_mutated_file_exists_and_has_functions_in_scope() -> None:
    files = scope.mutated_files()
    assert files, "pyproject.toml [tool.mutmut] only_mutate is empty"
    for path, functions in scope.in_scope().items():
        assert (ROOT / path).is_file(), path
        assert functions, f"{path}: every function is skipped; drop the file from only_mutate instead"


def test_every_skipped_function_exists_in_a_mutated_file() -> None:
    files = set(scope.mutated_files())
    for entry in scope.skipped():
        path, _, function = entry.function.partition(":")
        assert path in files, f"scope.toml skips {entry.function}, but {path} is not mutated"
        assert function in scope.functions_in(path), f"scope.toml: {entry.function} does not exist"
        assert entry.reason.strip(), entry.function


@functools.cache
def _mutants(path: str, function: str) -> dict[str, report.Mutation]:
    """The mutants of one function; both tables below list some of the same functions."""
    return report.generate(path, function)


@pytest.mark.parametrize("table", ["equivalent", "left_open"])
def test_every_equivalent_names_an_existing_mutant_with_its_mutation(table: str) -> None:
    equivalents = report.load_equivalents(table=table)
    in_scope = scope.in_scope()
    for entry in equivalents:
        assert entry.reason.strip() and "\n" not in entry.reason, f"{entry.mutant}: one line of reason"
        module, _, _ = entry.mutant.partition(".x")
        path = module.replace(".", "/") + ".py"
        function = scope.function_of(entry.mutant)
        assert function in in_scope.get(path, []), f"{entry.mutant}: not a function in scope"
        mutants = _mutants(path, function)
        assert entry.mutant in mutants, f"{entry.mutant}: no such mutant (the function changed?)"
        assert mutants[entry.mutant].text == entry.mutation, (
            f"{entry.mutant} is now {mutants[entry.mutant].text!r}, listed as {entry.mutation!r}"
        )
    assert len({e.mutant for e in equivalents}) == len(equivalents), "a mutant is listed twice"


def test_no_mutant_is_both_equivalent_and_left_open() -> None:
    equivalent = {e.mutant for e in report.load_equivalents()}
    assert not equivalent & {e.mutant for e in report.load_equivalents(table="left_open")}


def test_generated_mutants_match_what_mutmut_names() -> None:
    # The in-memory generation the check above relies on: the same names mutmut uses.
    mutants = report.generate("mock_server/query.py", "page_slice")
    assert "mock_server.query.x_page_slice__mutmut_1" in mutants
    assert all(m.function == "page_slice" and m.line > 0 for m in mutants.values())
    assert any(
        m.before == "if offset >= total:" and m.after == "if offset > total:" for m in mutants.values()
    )


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (1, "killed"),
        (3, "killed"),
        (75, "killed"),
        (0, "survived"),
        (33, "survived"),
        (-24, "timeout"),
        (255, "killed"),
        (None, "not_checked"),
        (-11, "error"),
    ],
)
def test_verdicts(code: int | None, kind: str) -> None:
    assert report.verdict(code) == kind


def test_the_report_counts_and_checks_equivalents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fake run: four mutants of page_slice with made-up verdicts, one listed as equivalent, one
    as left open (a survivor in the score)."""
    for path in ("pyproject.toml", "mock_server/query.py"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text((ROOT / path).read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(scope, "mutated_files", lambda root=tmp_path: ["mock_server/query.py"])
    generated = report.generate("mock_server/query.py", "page_slice", tmp_path)
    names = sorted(generated)[:4]
    equivalent, kept_open = generated[names[0]], generated[names[3]]
    listing = tmp_path / "equivalents.toml"
    listing.write_text(
        f'[[equivalent]]\nmutant = "{equivalent.name}"\n'
        f'mutation = {json.dumps(equivalent.text)}\nreason = "x"\n'
        '[[equivalent]]\nmutant = "mock_server.query.x_page_slice__mutmut_999"\n'
        'mutation = "a -> b"\nreason = "y"\n'
        f'[[left_open]]\nmutant = "{kept_open.name}"\n'
        f'mutation = {json.dumps(kept_open.text)}\nreason = "z"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(report, "EQUIVALENTS", listing)
    monkeypatch.setattr(report, "mutation_of", lambda name, path, root: generated[name])
    meta = tmp_path / "mutants" / "mock_server" / "query.py.meta"
    meta.parent.mkdir(parents=True)
    codes = dict(zip(names, [5, 0, 1, 5], strict=True))  # 5: listed, so the plugin did not run it
    meta.write_text(json.dumps({"exit_code_by_key": codes, "durations_by_key": {}}), encoding="utf-8")
    times = [{"mutant": names[1], "cpu": 20.0, "wall": 30.0}, {"mutant": names[2], "cpu": 2.0, "wall": 3.0}]
    (tmp_path / "mutants" / "mutation-times.jsonl").write_text(
        "".join(json.dumps(t) + "\n" for t in times) + '{"cut sh', encoding="utf-8"
    )

    built = report.build(tmp_path, seconds=12.0)

    assert (built["mutants"], built["killed"], built["survived"], built["equivalent"]) == (4, 1, 2, 1)
    assert built["left_open"] == 1 and built["score"] == 33.33  # left open: a survivor, not an equivalent
    assert (built["equivalent_not_run"], built["no_tests"]) == (2, 0)
    assert [s["reason"] for s in built["left_open_survivors"]] == ["z"]
    assert built["cost"]["cpu_seconds"] == 22.0 and built["cost"]["projected_idle_seconds"] == 11.0
    assert built["cost"]["cpu_seconds_mean"] == {"killed": 2.0, "survived": 20.0}
    assert [s["mutant"] for s in built["survivors"]] == [names[1]]
    assert built["equivalents"][0]["reason"] == "x"
    assert [s["mutant"] for s in built["stale_equivalents"]] == ["mock_server.query.x_page_slice__mutmut_999"]
    assert "STALE" in report.summary(built)


def test_the_mutation_run_loads_its_plugin_and_the_suite() -> None:
    """[tool.mutmut]: the plugin it names exists, mutmut copies it, and the suite is the test."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]
    args = config["pytest_add_cli_args"]
    plugin = args[args.index("mutation.plugin") - 1 : args.index("mutation.plugin") + 1]
    assert plugin == ["-p", "mutation.plugin"]
    assert "mutation" in config["also_copy"] and "contract_tests" in config["also_copy"]
    assert config["pytest_add_cli_args_test_selection"][0] == "contract_tests"
    importlib.import_module("mutation.plugin")


def _draws_of_a_machine(seed: int | None) -> list[int]:
    """The integers a toy state machine draws in one derandomized run, seeded or not."""
    from hypothesis import settings, strategies
    from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

    from mutation.plugin import seeded

    drawn: list[int] = []

    class Toy(RuleBasedStateMachine):
        @rule(value=strategies.integers())
        def draw(self, value: int) -> None:
            drawn.append(value)

    run = settings(derandomize=True, database=None, max_examples=5, stateful_step_count=5)
    if seed is None:
        run_state_machine_as_test(Toy, settings=run)
    else:
        with seeded(Toy, seed):
            run_state_machine_as_test(Toy, settings=run)
        assert not hasattr(Toy, "_hypothesis_internal_use_seed"), "the seed outlives its shard"
    return drawn


def test_a_seeded_shard_of_the_state_machine_draws_other_choices() -> None:
    """The plugin's shards 2 and 3 explore apart only while Hypothesis honours the seed it sets."""
    plain = _draws_of_a_machine(None)
    assert plain == _draws_of_a_machine(None), "derandomized runs repeat themselves"
    assert _draws_of_a_machine(1002) == _draws_of_a_machine(1002), "a seeded run repeats itself"
    assert _draws_of_a_machine(1002) != plain, "a seeded machine draws what the derandomized one draws"
    assert _draws_of_a_machine(1003) != _draws_of_a_machine(1002)
