"""`contacts-proxy` (also `python -m contacts_proxy`): the validating proxy, served with uvicorn."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click
import httpx
import uvicorn

from mock_server.cli import ReadyServer
from mock_server.errors import MockServerError
from mock_server.logs import configure as configure_logging
from mock_server.spec import DEFAULT_SPEC_PATH, load_spec

from .app import ProxyOptions, create_app


def _upstream(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL as error:
        raise click.BadParameter(f"{value!r}: {error}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise click.BadParameter(f"{value!r} is not an http(s) URL, e.g. https://staging.example.com")
    if url.query or url.fragment:
        raise click.BadParameter(f"{value!r}: give the base URL without a query or fragment")
    return str(url).rstrip("/")


@click.command(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.option(
    "--upstream", required=True, callback=_upstream, metavar="URL", help="The backend to forward to."
)
@click.option("--host", default="127.0.0.1", help="Interface to bind.")
@click.option("--port", default=4011, type=click.IntRange(0, 65535), help="TCP port (0: any free port).")
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the violations here at exit: JSON, or JUnit XML when the name ends in .xml.",
)
@click.option(
    "--junit", type=click.Path(dir_okay=False, path_type=Path), help="Also write JUnit XML here at exit."
)
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_SPEC_PATH,
    help="The OpenAPI document to check against.",
)
@click.option(
    "--timeout", type=click.FloatRange(0.1, 3600), default=60.0, help="Seconds to wait for the upstream."
)
@click.option(
    "--preserve-host", is_flag=True, help="Send the client's Host header upstream (default: the upstream's)."
)
@click.option("--no-cors", is_flag=True, help="Turn the proxy's CORS off (preflights then go upstream).")
@click.option(
    "--cors-origins", default="", metavar="ORIGINS", help="Comma-separated origins allowed by CORS."
)
@click.option("--admin-token", default=None, help="Require this token for /__admin (needed beyond loopback).")
@click.option(
    "--check/--no-check",
    default=True,
    help="--no-check forwards and counts only (to measure what the checks cost).",
)
@click.option(
    "--max-violations", type=click.IntRange(1, 10_000_000), default=10_000, help="Violations kept in memory."
)
@click.option(
    "--ready-file", type=click.Path(dir_okay=False, path_type=Path), help="Written once the proxy listens."
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    help="info: one line per request; warning: one line per violation only.",
)
def main(
    upstream: str,
    host: str,
    port: int,
    report: Path | None,
    junit: Path | None,
    spec_path: Path,
    timeout: float,
    preserve_host: bool,
    no_cors: bool,
    cors_origins: str,
    admin_token: str | None,
    check: bool,
    max_violations: int,
    ready_file: Path | None,
    log_level: str,
) -> None:
    """Forward every request to UPSTREAM byte for byte and check every exchange against the contract."""
    try:
        spec = load_spec(spec_path)
    except MockServerError as error:
        click.echo(f"contacts-proxy: cannot start: {error}", err=True)
        sys.exit(2)
    options = ProxyOptions(
        upstream=upstream,
        timeout=timeout,
        preserve_host=preserve_host,
        cors=not no_cors,
        cors_origins=tuple(o.strip() for o in cors_origins.split(",") if o.strip()),
        admin_token=admin_token,
        report=report,
        junit=junit,
        capacity=max_violations,
        check=check,
    )
    if ready_file is not None:
        ready_file.unlink(missing_ok=True)
    shown_host = f"[{host}]" if ":" in host else host
    base = f"http://{shown_host}:{port}"
    lines = [
        f"contacts-proxy on {base} -> {upstream}",
        f"  violations: {base}/__admin/violations   docs: {base}/docs",
        f"  spec file: {spec.source}",
        "  reports at exit: " + (", ".join(str(p) for p in (report, junit) if p) or "none (--report FILE)"),
        "  CORS: " + ("off" if no_cors else (", ".join(options.cors_origins) or "any localhost origin")),
        "  checks: " + ("every exchange" if check else "OFF (--no-check: forwarding only)"),
        "  admin API: " + ("token required" if admin_token else "loopback clients only"),
    ]
    click.echo("\n".join(lines))
    configure_logging(log_level)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is ours, not httpx's
    config = uvicorn.Config(
        create_app(spec, options),
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        server_header=False,  # the upstream's Server and Date headers go back as they were
        date_header=False,
        lifespan="on",
    )
    try:
        ReadyServer(config, ready_file).run()  # the reports are written as it shuts down
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl-C once it has shut down cleanly
        sys.exit(130)
