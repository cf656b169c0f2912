"""Named scenarios: whole data sets the mock starts with or switches to at run time.

A scenario is one JSON file named `<name>.json`, in one of two shapes (or both):

- the fixtures' layout, `{"organizations": [{"id": ..., "contacts": [...]}]}`,
  contacts checked against the spec's Contact schema like any fixture file;
- a recipe, `{"base": "fixtures" | "empty", "generate": N, "seed": S}`
  (`ja_ratio` and `until` too): N generated contacts for every organization that
  has a token or contacts, added to the base (the `--fixtures` contacts or none).

`organizations` and `generate` combine (listed contacts, then N generated each);
`organizations` and `base` do not. `description` is free text for the listing.
Scenario files never carry tokens: who may call comes from `--fixtures` and
`--token` only, so a switch never locks anyone out or lets anyone new in.

The shipped scenarios are package data (importlib.resources); `--scenarios DIR`
adds a folder whose files shadow shipped ones of the same name (the listing says
so), so a team can redefine `default` for everyone who uses its folder.
Files are read on every switch: edit one, switch to it again, see the edit.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import FixtureError, MockServerError
from .fixtures import Seed, parse_fixtures
from .generate import DEFAULT_JA_RATIO, DEFAULT_UNTIL, MAX_GENERATE, Recipe, generate
from .spec import Spec, compile_schema

if TYPE_CHECKING:
    from .state import MockState

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
DEFAULT = "default"

_LAYOUT = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "description": {"type": "string"},
        "base": {"enum": ["fixtures", "empty"]},
        "organizations": {"type": "array"},
        "generate": {"type": "integer", "minimum": 0, "maximum": MAX_GENERATE},
        "seed": {"type": "integer"},
        "ja_ratio": {"type": "number", "minimum": 0, "maximum": 1},
        "until": {
            "type": "string",
            "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$",
        },
    },
}


class UnknownScenario(MockServerError):
    """No scenario of that name (the message lists the known ones)."""


class ScenarioError(FixtureError):
    """A scenario file is unusable; the message names the file and the field."""


@dataclass(frozen=True)
class ScenarioFile:
    name: str
    origin: str  # "shipped" or "user"
    location: str  # for messages: a path, or mock_server/scenarios/<name>.json
    resource: Traversable
    shadows: bool = False  # a user file hiding the shipped scenario of the same name

    def read(self) -> dict[str, Any]:
        """The file's JSON, its layout checked (contacts are checked when built)."""
        try:
            raw = json.loads(self.resource.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ScenarioError(f"{self.location}: no such scenario file (removed?)") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ScenarioError(f"{self.location}: not a readable JSON file: {exc}") from None
        for error in compile_schema(_LAYOUT).iter_errors(raw):
            path = "/".join(str(p) for p in error.instance_path)
            where = f"field {path!r}" if path else "top level"
            raise ScenarioError(f"{self.location}: {where}: {error.message}")
        if "organizations" in raw and "base" in raw:
            raise ScenarioError(f"{self.location}: field 'base': not allowed with 'organizations'")
        if "until" in raw:
            try:
                Recipe(0, until=raw["until"])
            except ValueError as exc:
                raise ScenarioError(f"{self.location}: field 'until': {exc}") from None
        result: dict[str, Any] = raw
        return result

    def describe(self) -> dict[str, Any]:
        """One row of `GET /__admin/scenarios`."""
        try:
            raw = self.read()
            description, problem = raw.get("description", ""), None
        except ScenarioError as error:
            description, problem = "", str(error)
        row: dict[str, Any] = {"name": self.name, "origin": self.origin, "description": description}
        if self.origin == "user":
            row["file"] = self.location
            row["shadows_shipped"] = self.shadows
        if problem is not None:
            row["error"] = problem
        return row


def _shipped() -> dict[str, ScenarioFile]:
    folder = resources.files("mock_server") / "scenarios"
    found = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".json"):
            name = entry.name[: -len(".json")]
            found[name] = ScenarioFile(name, "shipped", f"mock_server/scenarios/{entry.name}", entry)
    return found


class Scenarios:
    """The shipped scenarios and, shadowing them, those of a user folder."""

    def __init__(self, user_dir: Path | None = None) -> None:
        self.user_dir = user_dir

    def files(self) -> dict[str, ScenarioFile]:
        found = _shipped()
        if self.user_dir is not None:
            try:
                entries = sorted(self.user_dir.iterdir())
            except OSError as exc:
                raise ScenarioError(f"{self.user_dir}: cannot read the scenario folder: {exc}") from None
            for path in entries:
                if path.suffix != ".json" or not path.is_file():
                    continue
                if not NAME.match(path.stem):
                    raise ScenarioError(
                        f"{path}: not a usable scenario name (letters, digits, '_', '-', '.'; "
                        "at most 64 characters, starting with a letter or digit)"
                    )
                found[path.stem] = ScenarioFile(path.stem, "user", str(path), path, path.stem in found)
        return dict(sorted(found.items()))

    def get(self, name: str) -> ScenarioFile:
        files = self.files()
        if name not in files:
            raise UnknownScenario(f"no scenario {name!r}; known: {', '.join(files)}")
        return files[name]

    def check(self, spec: Spec) -> None:
        """Check every user file now, so a broken one stops start-up rather than a later switch."""
        for scenario in self.files().values():
            if scenario.origin == "user":
                raw = scenario.read()
                if "organizations" in raw:
                    layout = {"organizations": raw["organizations"]}
                    parse_fixtures(layout, spec, source=scenario.location, allow_tokens=False)

    def build(
        self,
        name: str,
        spec: Spec,
        fixtures: Seed | None,
        organizations: set[str],
        extra: Recipe | None = None,
    ) -> Seed:
        """The scenario's contacts (checked like fixtures) and the fixtures' tokens and names.

        `extra` adds generated contacts on top (`--generate` at start).
        """
        scenario = self.get(name)
        raw = scenario.read()
        listed: list[dict[str, Any]] = []
        if "organizations" in raw:
            listed = raw["organizations"]
        elif raw.get("base", "empty") == "fixtures" and fixtures is not None:
            listed = [
                {"id": org, "contacts": [c.to_json() for c in contacts]}
                for org, contacts in fixtures.contacts.items()
            ]
        # The file's own records first, so that an error names the file's record.
        own = parse_fixtures({"organizations": listed}, spec, source=scenario.location, allow_tokens=False)
        recipes = []
        if raw.get("generate"):
            recipes.append(
                Recipe(
                    raw["generate"],
                    seed=raw.get("seed", 0),
                    ja_ratio=raw.get("ja_ratio", DEFAULT_JA_RATIO),
                    until=raw.get("until", DEFAULT_UNTIL),
                )
            )
        if extra is not None and extra.count:
            recipes.append(extra)
        if not recipes:
            seed = own
        else:
            merged: dict[str, list[dict[str, Any]]] = {}
            for org in listed:
                merged.setdefault(org["id"], []).extend(org["contacts"])
            for org_id in sorted(organizations | set(merged)):
                contacts = merged.setdefault(org_id, [])
                for recipe in recipes:
                    contacts.extend(generate(org_id, recipe, already=len(contacts)))
            layout = {"organizations": [{"id": org, "contacts": items} for org, items in merged.items()]}
            seed = parse_fixtures(layout, spec, source=f"{scenario.location} (generated)", allow_tokens=False)
        if fixtures is not None:
            seed.tokens = dict(fixtures.tokens)
            seed.names = {**fixtures.names, **seed.names}
        return seed


def scenario_seed(state: MockState, name: str, extra: Recipe | None = None) -> Seed:
    """Build `name` for this mock: its organizations are those of the tokens."""
    library = Scenarios(state.options.scenarios_dir)
    return library.build(name, state.spec, state.fixtures, set(state.tokens.organizations()), extra)


def switch(state: MockState, name: str, seed: Seed) -> None:
    """Serve `seed` (built by `scenario_seed`) from now on; tokens and the journal stay."""
    state.seed = seed
    state.scenario = name
    state.reset()


def summary(state: MockState) -> dict[str, Any]:
    organizations = state.store.organizations
    return {
        "scenario": state.scenario,
        "organizations": len(organizations),
        "contacts": sum(len(org) for org in organizations.values()),
    }
