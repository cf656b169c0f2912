"""`contacts-mock` (also `python -m mock_server`): serve the mock with uvicorn."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import uvicorn

from .app import create_app
from .errors import MockServerError
from .fixtures import DEFAULT_FIXTURES_PATH, load_fixtures
from .generate import DEFAULT_JA_RATIO, MAX_GENERATE, Recipe
from .logs import configure as configure_logging
from .options import MockOptions, parse_latency, token_pairs
from .persistence import load_state
from .protocol import guarded_protocol
from .scenarios import Scenarios, scenario_seed, switch
from .spec import DEFAULT_SPEC_PATH, load_spec
from .state import MockState


def _latency(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    try:
        return parse_latency(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


class ReadyServer(uvicorn.Server):
    """Writes --ready-file once the socket listens, so CI can wait for it."""

    def __init__(self, config: uvicorn.Config, ready_file: Path | None) -> None:
        super().__init__(config)
        self.ready_file = ready_file

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets=sockets)
        if self.ready_file is not None and self.started:
            port = self.config.port
            if self.servers and self.servers[0].sockets:
                port = self.servers[0].sockets[0].getsockname()[1]  # the bound one, for --port 0
            host = f"[{self.config.host}]" if ":" in self.config.host else self.config.host
            self.ready_file.parent.mkdir(parents=True, exist_ok=True)
            self.ready_file.write_text(f"http://{host}:{port}\n", encoding="utf-8")

    async def shutdown(self, sockets: Any = None) -> None:
        if self.ready_file is not None:
            self.ready_file.unlink(missing_ok=True)  # a stopped mock is not ready
        await super().shutdown(sockets=sockets)


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
    callback=token_pairs,
    help="Accept TOKEN for organization ORG (repeatable); ORG is created empty if it has no fixtures.",
)
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_SPEC_PATH,
    help="The OpenAPI document that drives the mock.",
)
@click.option("--latency", callback=_latency, metavar="MS|LOW..HIGH", help="Hold every API response (ms).")
@click.option("--error-rate", type=click.FloatRange(0, 1), default=0.0, help="Share of API requests to fail.")
@click.option(
    "--error-status", type=click.IntRange(400, 599), default=503, help="Status of injected failures."
)
@click.option("--no-cors", is_flag=True, help="Turn CORS off (on by default for any localhost origin).")
@click.option(
    "--cors-origins", default="", metavar="ORIGINS", help="Comma-separated origins allowed by CORS."
)
@click.option("--admin-token", default=None, help="Require this token for /__admin (needed beyond loopback).")
@click.option(
    "--state-file", type=click.Path(dir_okay=False, path_type=Path), help="Keep the state across restarts."
)
@click.option(
    "--save-interval", type=click.FloatRange(0.01, 60), default=0.2, help="Seconds between state saves."
)
@click.option("--reload", is_flag=True, help="Pick up edits to the spec and fixtures, keeping the state.")
@click.option(
    "--validate-responses", is_flag=True, help="Check every response against the spec; log violations."
)
@click.option(
    "--journal-size", type=click.IntRange(1, 1_000_000), default=1000, help="Requests kept in the journal."
)
@click.option(
    "--request-timeout",
    type=click.FloatRange(0, 3600),
    default=10.0,
    help="Seconds a client has to send a whole request (headers and body); then it is dropped. 0: no limit.",
)
@click.option(
    "--scenario",
    default="default",
    metavar="NAME",
    help="Start with this named scenario (default, empty, one, few, many, large, edge, or yours).",
)
@click.option(
    "--scenarios",
    "scenarios_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="A folder of your own scenario files (NAME.json); they shadow shipped ones of the same name.",
)
@click.option(
    "--generate",
    type=click.IntRange(0, MAX_GENERATE),
    default=0,
    metavar="N",
    help="Add N realistic generated contacts to every organization (see docs/scenarios.md).",
)
@click.option("--seed", "generate_seed", type=int, default=0, help="Seed of --generate (same data).")
@click.option(
    "--ja-ratio",
    type=click.FloatRange(0, 1),
    default=DEFAULT_JA_RATIO,
    help="Share of Japanese names among generated contacts (the rest are Latin).",
)
@click.option(
    "--ready-file", type=click.Path(dir_okay=False, path_type=Path), help="Written once the mock listens."
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    help="Log level (info shows one access line per request).",
)
def main(
    host: str,
    port: int,
    fixtures_path: Path,
    empty: bool,
    tokens: dict[str, str],
    spec_path: Path,
    latency: tuple[int, int] | None,
    error_rate: float,
    error_status: int,
    no_cors: bool,
    cors_origins: str,
    admin_token: str | None,
    state_file: Path | None,
    save_interval: float,
    reload: bool,
    validate_responses: bool,
    journal_size: int,
    request_timeout: float,
    scenario: str,
    scenarios_dir: Path | None,
    generate: int,
    generate_seed: int,
    ja_ratio: float,
    ready_file: Path | None,
    log_level: str,
) -> None:
    """Serve the in-memory Contacts API mock described by openapi.yaml."""
    options = MockOptions(
        latency_ms=latency,
        error_rate=error_rate,
        error_status=error_status,
        cors=not no_cors,
        cors_origins=tuple(o.strip() for o in cors_origins.split(",") if o.strip()),
        admin_token=admin_token,
        validate_responses=validate_responses,
        journal_size=journal_size,
        state_file=state_file,
        save_interval=save_interval,
        reload=reload,
        fixtures_path=None if empty else fixtures_path,
        extra_tokens=tokens,
        scenarios_dir=scenarios_dir,
        request_timeout=request_timeout,
    )
    try:
        spec = load_spec(spec_path)
        seed = None if empty else load_fixtures(fixtures_path, spec)
        saved = load_state(state_file, spec) if state_file else None
    except MockServerError as error:
        click.echo(f"contacts-mock: cannot start: {error}", err=True)
        sys.exit(2)
    state = MockState.seeded(spec, seed, tokens, options)
    if not len(state.tokens):
        click.echo("contacts-mock: no tokens: every request would get 401; add --token TOKEN=ORG", err=True)
        sys.exit(2)
    generated = Recipe(generate, seed=generate_seed, ja_ratio=ja_ratio)
    try:
        start_scenario(state, scenario, generated)
    except (MockServerError, ValueError) as error:
        click.echo(f"contacts-mock: cannot start: {error}", err=True)
        sys.exit(2)
    if saved is not None:
        state.store.load(saved.contacts, keep=state.tokens.organizations())
    if ready_file is not None:
        ready_file.unlink(missing_ok=True)
    click.echo(
        banner(
            state,
            host,
            port,
            seed_tokens=seed.tokens if seed else {},
            extra=tokens,
            restored=saved is not None,
            ready_file=ready_file,
            generated=generated,
        )
    )
    configure_logging(log_level)
    config = uvicorn.Config(
        create_app(state),
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        server_header=False,
        http=guarded_protocol(state.spec.max_header_bytes, options.request_timeout),
    )
    ReadyServer(config, ready_file).run()


def mask(token: str) -> str:
    return f"{token[:3]}…({len(token)} chars, from --token)"


def banner(
    state: MockState,
    host: str,
    port: int,
    *,
    seed_tokens: dict[str, str],
    extra: dict[str, str],
    restored: bool = False,
    ready_file: Path | None = None,
    generated: Recipe | None = None,
) -> str:
    shown_host = f"[{host}]" if ":" in host else host
    base = f"http://{shown_host}:{port}"
    lines = [
        f"Contacts API mock on {base}/api/v1/crm/contacts",
        f"  docs:  {base}/docs   spec: {base}/openapi.yaml   admin: {base}/__admin/health",
        f"  spec file: {state.spec.source}",
        "  tokens (send as 'Authorization: Bearer <token>' or cookie better-auth.session_token):",
    ]
    for token, org in {**seed_tokens, **extra}.items():
        org_store = state.store.organization(org)
        # Fixture tokens are development credentials, shown so people can use them; a
        # --token value came from the operator (often a CI secret) and stays out of the logs.
        shown = token if token in seed_tokens and token not in extra else mask(token)
        lines.append(f"    {shown:<24} organization {org} ({len(org_store)} contacts)")
    if state.scenario != "default":
        lines.append(f"  scenario: {state.scenario} (switch: POST {base}/__admin/scenario/NAME)")
    if generated is not None and generated.count:
        lines.append(
            f"  generated: {generated.count} contacts per organization (seed {generated.seed}, "
            f"{generated.ja_ratio:.0%} Japanese names)"
        )
    if restored:
        lines.append(f"  state restored from {state.options.state_file}")
    if ready_file is not None:
        lines.append(f"  ready file: {ready_file} (written once the mock listens)")
    lines += [f"  {line}" for line in state.options.describe()]
    return "\n".join(lines)


def start_scenario(state: MockState, name: str, generated: Recipe) -> None:
    """The data the mock starts with: the scenario, plus `--generate` contacts if asked."""
    library = Scenarios(state.options.scenarios_dir)
    library.check(state.spec)  # a broken user file stops start-up, named
    if name == "default" and not generated.count and library.get(name).origin == "shipped":
        return  # the fixtures as loaded: nothing to build
    switch(state, name, scenario_seed(state, name, generated))
