"""`python -m mock_server.data`: write generated or scenario data as a fixture file.

    python -m mock_server.data --generate 500 --seed 3 > seed.json
    python -m mock_server.data --scenario edge > edge.json

The output is in the fixtures' layout, checked against the spec before it is
written, and byte-for-byte the same for the same options (and Faker version).
Without `--token` it holds no tokens, so it fits `PUT /__admin/state` as is;
for `contacts-mock --fixtures FILE` add `--token` here or when starting the mock.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from .errors import MockServerError
from .fixtures import DEFAULT_FIXTURES_PATH, Seed, load_fixtures, parse_fixtures
from .generate import DEFAULT_JA_RATIO, DEFAULT_UNTIL, MAX_GENERATE, Recipe, fixture_file
from .options import token_pairs
from .scenarios import Scenarios
from .spec import DEFAULT_SPEC_PATH, load_spec
from .store import Contact

# The shipped fixtures' organizations, so the file matches the mock's dev tokens.
DEFAULT_ORGANIZATIONS = ("org_blueai", "org_partner")


def seed_to_json(seed: Seed, tokens: dict[str, str]) -> dict[str, Any]:
    """A built seed in the fixtures' layout, contacts oldest first, tokens only if given."""
    organizations = []
    for org_id in sorted(set(seed.contacts) | set(tokens.values())):
        entry: dict[str, Any] = {"id": org_id}
        org_tokens = sorted(t for t, org in tokens.items() if org == org_id)
        if org_tokens:
            entry["tokens"] = org_tokens
        contacts: list[Contact] = sorted(seed.contacts.get(org_id, []), key=lambda c: (c.created_us, c.id))
        entry["contacts"] = [c.to_json() for c in contacts]
        organizations.append(entry)
    return {"organizations": organizations}


@click.command(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.option(
    "--generate", type=click.IntRange(0, MAX_GENERATE), metavar="N", help="Contacts per organization."
)
@click.option("--seed", type=int, default=0, help="Same seed, same data.")
@click.option(
    "--ja-ratio", type=click.FloatRange(0, 1), default=DEFAULT_JA_RATIO, help="Share of Japanese names."
)
@click.option("--until", default=DEFAULT_UNTIL, help="Timestamps fall in the year before this instant (UTC).")
@click.option(
    "--org",
    "organizations",
    multiple=True,
    metavar="ORG",
    help=f"Organization to fill (repeatable) [default: {', '.join(DEFAULT_ORGANIZATIONS)}]",
)
@click.option(
    "--token",
    "tokens",
    multiple=True,
    metavar="TOKEN=ORG",
    callback=token_pairs,
    help="Write TOKEN for ORG into the file (for --fixtures; PUT /__admin/state refuses tokens).",
)
@click.option("--scenario", metavar="NAME", help="Write this named scenario instead of --generate.")
@click.option(
    "--scenarios",
    "scenarios_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="A folder of your own scenario files.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here instead of standard output.",
)
def main(
    generate: int | None,
    seed: int,
    ja_ratio: float,
    until: str,
    organizations: tuple[str, ...],
    tokens: dict[str, str],
    scenario: str | None,
    scenarios_dir: Path | None,
    output: Path | None,
) -> None:
    """Write contacts as a fixture file: N generated per organization, or a named scenario."""
    if (generate is None) == (scenario is None):
        raise click.UsageError("give exactly one of --generate N and --scenario NAME")
    orgs = set(organizations or DEFAULT_ORGANIZATIONS) | set(tokens.values())
    try:
        spec = load_spec(DEFAULT_SPEC_PATH)
        if scenario is not None:
            fixtures = load_fixtures(DEFAULT_FIXTURES_PATH, spec)
            built = Scenarios(scenarios_dir).build(scenario, spec, fixtures, orgs)
            data = seed_to_json(built, tokens)
        else:
            assert generate is not None
            try:
                recipe = Recipe(generate, seed=seed, ja_ratio=ja_ratio, until=until)
            except ValueError as error:
                raise click.BadParameter(str(error), param_hint="--until") from None
            data = fixture_file(orgs, recipe, tokens=tokens)
        parse_fixtures(data, spec, source="generated data")  # what we write loads, or we say why
    except MockServerError as error:
        click.echo(f"mock_server.data: {error}", err=True)
        sys.exit(2)
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        sys.stdout.buffer.write(text.encode("utf-8"))  # UTF-8 whatever the terminal's locale
        sys.stdout.flush()
    else:
        output.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
