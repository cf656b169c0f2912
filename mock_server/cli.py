"""`contacts-mock` (also `python -m mock_server`): serve the mock with uvicorn."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click
import uvicorn

from .app import MockState, create_app
from .errors import MockServerError
from .fixtures import DEFAULT_FIXTURES_PATH, load_fixtures
from .spec import DEFAULT_SPEC_PATH, load_spec


def _token_pair(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        token, sep, org = value.partition("=")
        if not sep or not token or not org:
            raise click.BadParameter(f"{value!r} is not TOKEN=ORG (e.g. ci-token=org_ci)")
        pairs[token] = org
    return pairs


@click.command(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.option(
    "--host", default="127.0.0.1", help="Interface to bind (0.0.0.0 exposes the mock to the network)."
)
@click.option("--port", default=4010, type=click.IntRange(0, 65535), help="TCP port.")
@click.option(
    "--fixtures",
    "fixtures_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_FIXTURES_PATH,
    help="Seed data: organizations, tokens and contacts (JSON).",
)
@click.option("--empty", is_flag=True, help="Start with no contacts and no fixture tokens (use --token).")
@click.option(
    "--token",
    "tokens",
    multiple=True,
    metavar="TOKEN=ORG",
    callback=_token_pair,
    help="Accept TOKEN for organization ORG (repeatable); ORG is created empty if it has no fixtures.",
)
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_SPEC_PATH,
    help="The OpenAPI document that drives the mock.",
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    help="Server log level.",
)
def main(
    host: str,
    port: int,
    fixtures_path: Path,
    empty: bool,
    tokens: dict[str, str],
    spec_path: Path,
    log_level: str,
) -> None:
    """Serve the in-memory Contacts API mock described by openapi.yaml."""
    try:
        spec = load_spec(spec_path)
        seed = None if empty else load_fixtures(fixtures_path, spec)
    except MockServerError as error:
        click.echo(f"contacts-mock: cannot start: {error}", err=True)
        sys.exit(2)
    state = MockState.seeded(spec, seed, tokens)
    if not len(state.tokens):
        click.echo("contacts-mock: no tokens: every request would get 401; add --token TOKEN=ORG", err=True)
        sys.exit(2)
    click.echo(banner(state, host, port, seed_tokens=seed.tokens if seed else {}, extra=tokens))
    logging.basicConfig(level=log_level.upper(), format="%(message)s")
    uvicorn.run(create_app(state), host=host, port=port, log_level=log_level, server_header=False)


def banner(
    state: MockState, host: str, port: int, *, seed_tokens: dict[str, str], extra: dict[str, str]
) -> str:
    shown_host = f"[{host}]" if ":" in host else host
    lines = [
        f"Contacts API mock on http://{shown_host}:{port}/api/v1/crm/contacts",
        f"  spec: {state.spec.source}",
        "  tokens (send as 'Authorization: Bearer <token>' or cookie better-auth.session_token):",
    ]
    for token, org in {**seed_tokens, **extra}.items():
        org_store = state.store.organization(org)
        lines.append(f"    {token:<24} organization {org} ({len(org_store)} contacts)")
    return "\n".join(lines)
