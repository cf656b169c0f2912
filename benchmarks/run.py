"""`python -m benchmarks`: the mock side by side with a bare ceiling and Prism, at scale, and the suite.

Three sections, each on its own with --only (repeatable):

http   Throughput and p50/p99 latency over HTTP with wrk (Lua scripts in
       benchmarks/lua/ send the token and valid JSON bodies), for GET one,
       GET list (limit=50), GET list with search, PATCH and POST, each against
       (1) the mock (`python -m mock_server`, uvicorn with uvloop + httptools)
       quiet, (2) the same mock with its access log on, as `make mock` serves
       it (the cost of logging), (3) a bare Starlette app on the same uvicorn,
       quiet, answering the mock's own response bodies as fixed bytes and
       parsing the JSON body of each write (the ceiling), (4) Prism
       (`prism mock openapi.yaml`), installed with npm into benchmarks/.node
       on first use. The mocks hold the fixtures plus 20
       generated contacts per organization (`--generate 20`: 60 in the token's
       organization), so the list row answers 50 items. Servers are pinned to
       CPU 0 and the load generator to CPU 1. Rows are interleaved (every
       server for one row, then the next), writes last so the reads see the
       seed data. After each row, the quiet mock and mock+log are loaded at
       the same time for the access log's cost in CPU time per request
       (benchmarks/logcost.py: a figure a busy machine cannot skew).
       Without wrk, the documented Python generator benchmarks/pyload.py
       drives the load instead (see its docstring).
scale  The list queries (unfiltered, search, company filter) with N contacts
       in one organization seeded through the store; server-side latency
       in-process and resident memory, one fresh process per size.
suite  Wall time of `pytest contract_tests` per profile, in-process and over HTTP.

Every server the script starts it stops, also on errors and Ctrl-C. Traffic
goes to 127.0.0.1 only. The exit status is 0 when every figure was measured
(targets met or not: this is no pass/fail test), 1 when a measurement failed,
130 when interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shlex
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType
from typing import Any

from .common import (
    CONTACTS_PATH,
    FIXTURE_CONTACT,
    TOKEN_A,
    command_version,
    cpu_count,
    machine_summary,
    pin_prefix,
)
from .load import LoadError, LoadResult, run_load, wrk_path, wrk_seconds, wrk_version
from .logcost import cost as log_cpu_cost
from .logcost import load_both_at_once, slices_for
from .scale import SCALE_QUERIES, ScaleResult, run_scale
from .scenarios import SCENARIO_KEYS, SCENARIOS, Scenario, body_for
from .servers import (
    Server,
    ServerError,
    ServerPool,
    ensure_prism,
    prism_version,
    probe,
    start_bare,
    start_mock,
    start_prism,
)
from .suite import SuiteResult, run_suite
from .table import ms, num, render

SECTIONS = ("http", "scale", "suite")
PRISM_VERSION = "5.16.0"
TARGET_SIZE = 100_000  # the targets are stated at this size, against 100
GENERATED = 20  # generated contacts per organization: org A holds 40 + 20, a full page of 50
MOCK_ARGS = ("--generate", str(GENERATED))
# Issue 14: the quiet mock's throughput as a share of the quiet bare app's, per row.
BARE_TARGETS = {"get_one": 0.8, "list": 0.8, "patch": 0.6, "post": 0.6}
LOGGED = "mock+log"  # the mock with its access log on (log level info), as `make mock` serves it


@dataclass(frozen=True)
class Config:
    sections: tuple[str, ...]
    duration: float
    warmup: float
    connections: int
    threads: int
    rounds: int
    sizes: tuple[int, ...]
    scale_budget: float
    profiles: tuple[str, ...]
    suite_selection: tuple[str, ...]
    rows: tuple[str, ...]  # keys of the HTTP rows to measure (scenarios.py), in their own order
    generator: str
    skip_prism: bool
    prism_version: str
    log_level: str
    pin: bool
    tiny: bool
    json_path: Path | None


def _positive_sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(sorted({int(part.replace("_", "")) for part in text.split(",") if part.strip()}))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of integers") from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("sizes must be positive integers, e.g. 100,10000,100000")
    return sizes


def parse_args(argv: Sequence[str] | None) -> Config:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--duration", type=float, help="seconds of load per row and server (default 10)")
    parser.add_argument(
        "--warmup", type=float, help="seconds of unrecorded load before each (default: duration/5, at most 2)"
    )
    parser.add_argument("--connections", type=int, help="concurrent keep-alive connections (default 50)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1: one core for wrk)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="HTTP rounds, each with fresh servers; the table shows each row's median round (default 1)",
    )
    parser.add_argument(
        "--sizes", type=_positive_sizes, help="contacts per scale run (default 100,10000,100000)"
    )
    parser.add_argument(
        "--scale-budget", type=float, help="seconds of timing per scale query and size (default 2)"
    )
    parser.add_argument("--profiles", help="suite profiles to time, comma-separated (default quick,thorough)")
    parser.add_argument(
        "--suite-test",
        action="append",
        metavar="PATH",
        help="time only these tests (a path or node id under contract_tests; repeatable; default the "
        "whole suite, with --tiny contract_tests/test_search.py)",
    )
    parser.add_argument(
        "--rows",
        help=f"HTTP rows to measure, comma-separated, of {','.join(SCENARIO_KEYS)} (default all)",
    )
    parser.add_argument(
        "--only", action="append", choices=SECTIONS, help="run only this section (repeatable)"
    )
    parser.add_argument("--skip-prism", action="store_true", help="do not install or run Prism")
    parser.add_argument("--prism-version", default=PRISM_VERSION, help="@stoplight/prism-cli version")
    parser.add_argument(
        "--generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="load generator: wrk, the Python fallback, or auto (wrk when installed)",
    )
    parser.add_argument(
        "--server-log-level",
        default="warning",
        choices=("critical", "error", "warning", "info", "debug"),
        help="log level of the quiet mock and the bare app (default warning: no access log); "
        "the mock+log server always logs at info",
    )
    parser.add_argument(
        "--no-pin", action="store_true", help="do not pin servers to CPU 0 and the load generator to CPU 1"
    )
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="smoke run: ~1 s rows, 8 connections, sizes 100,1000, suite quick on test_search.py only",
    )
    args = parser.parse_args(argv)

    def pick(value: Any, tiny: Any, full: Any) -> Any:
        return value if value is not None else (tiny if args.tiny else full)

    duration = float(pick(args.duration, 0.5, 10.0))
    warmup = pick(args.warmup, 0.0, min(2.0, duration / 5))
    profiles = tuple(
        p.strip() for p in pick(args.profiles, "quick", "quick,thorough").split(",") if p.strip()
    )
    for profile in profiles:
        if profile not in ("quick", "thorough"):
            parser.error(f"--profiles: {profile!r} is neither quick nor thorough")
    connections = int(pick(args.connections, 8, 50))
    if duration <= 0 or warmup < 0 or connections < 1 or args.threads < 1 or args.rounds < 1:
        parser.error("--duration, --connections, --threads, --rounds must be positive, --warmup not negative")
    rows = tuple(key.strip() for key in (args.rows or ",".join(SCENARIO_KEYS)).split(",") if key.strip())
    unknown = [key for key in rows if key not in SCENARIO_KEYS]
    if unknown or not rows:
        parser.error(f"--rows: {', '.join(unknown) or 'none given'}; choose from {', '.join(SCENARIO_KEYS)}")
    if args.generator == "wrk" and wrk_path() is None:
        parser.error("--generator wrk: wrk is not installed (apt-get install wrk)")
    return Config(
        sections=tuple(s for s in SECTIONS if s in args.only) if args.only else SECTIONS,
        duration=duration,
        warmup=float(warmup),
        connections=connections,
        threads=args.threads,
        rounds=args.rounds,
        sizes=pick(args.sizes, (100, 1000), (100, 10_000, 100_000)),
        scale_budget=float(pick(args.scale_budget, 0.05, 2.0)),
        profiles=profiles,
        suite_selection=tuple(
            args.suite_test or (("contract_tests/test_search.py",) if args.tiny else ("contract_tests",))
        ),
        rows=tuple(key for key in SCENARIO_KEYS if key in rows),
        generator=args.generator if args.generator != "auto" else ("wrk" if wrk_path() else "python"),
        skip_prism=args.skip_prism,
        prism_version=args.prism_version,
        log_level=args.server_log_level,
        pin=not args.no_pin,
        tiny=args.tiny,
        json_path=args.json.resolve() if args.json else None,
    )


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- http ---------------------------------------------------------------------------------------


@dataclass
class HttpRow:
    scenario: Scenario
    runs: dict[str, list[LoadResult]] = field(default_factory=dict)  # one per round
    statuses: dict[str, int] = field(default_factory=dict)  # what each server answered a probe
    # mock+log's CPU time per request over the quiet mock's, both loaded at once (logcost.py): per slice
    log_slices: list[float] = field(default_factory=list)

    @property
    def results(self) -> dict[str, LoadResult]:
        """Per server, the round with the median throughput (errors summed over every round)."""
        chosen = {}
        for name, runs in self.runs.items():
            median = sorted(runs, key=lambda r: r.rps)[(len(runs) - 1) // 2]
            chosen[name] = replace(
                median,
                errors_status=sum(r.errors_status for r in runs),
                errors_socket=sum(r.errors_socket for r in runs),
            )
        return chosen

    def ratio(self, server: str) -> float | None:
        mock, other = self.results.get("mock"), self.results.get(server)
        if mock is None or other is None or other.rps == 0:
            return None
        return mock.rps / other.rps

    def cpu_ratio(self, server: str) -> float | None:
        """CPU time per request of `server` over the mock's (medians over rounds): the
        throughput ratio a quiet machine would show, as long as both saturate one core."""
        mock, other = self.median_cpu("mock"), self.median_cpu(server)
        if not mock or not other:
            return None
        return other / mock

    def median_cpu(self, server: str) -> float:
        values = sorted(r.cpu_us_per_request for r in self.runs.get(server, []))
        return values[(len(values) - 1) // 2] if values else 0.0

    def log_cpu_cost(self) -> float | None:
        """What the access log adds to the mock's CPU time per request (both loaded at once)."""
        return log_cpu_cost(self.log_slices)

    def log_cost(self) -> float | None:
        """The share of the quiet mock's throughput that its access log costs (one after the other)."""
        mock, logged = self.results.get("mock"), self.results.get(LOGGED)
        if mock is None or logged is None or mock.rps == 0:
            return None
        return 1 - logged.rps / mock.rps


@dataclass
class HttpReport:
    rows: list[HttpRow]
    servers: list[str]
    rss: dict[str, tuple[float, float]]
    generator: str


def headers_for(scen: Scenario) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {TOKEN_A}"}
    if scen.has_body:
        headers["Content-Type"] = "application/json"
    return headers


def capture_bodies() -> dict[str, str]:
    """The mock's own answer to each row, from a fresh in-process app seeded like the served one."""
    from mock_server import MockState, create_app
    from mock_server.cli import start_scenario
    from mock_server.generate import Recipe

    from .asgi import call, http_scope

    state = MockState.default()
    start_scenario(state, "default", Recipe(GENERATED))  # as `contacts-mock --generate 20`
    app = create_app(state)
    bodies: dict[str, str] = {}
    for scen in SCENARIOS:
        body = body_for(scen, 1)
        scope = http_scope(scen.method, scen.target, list(headers_for(scen).items()), body)
        reply = asyncio.run(call(app, scope, body))
        if reply.status != scen.status:
            raise ServerError(f"the mock answered {scen.label} with {reply.status}: {reply.body[:300]!r}")
        bodies[scen.key] = reply.body.decode("utf-8")
    return bodies


def run_http(config: Config, work_dir: Path, notes: list[str], problems: list[str]) -> HttpReport:
    bodies_path = work_dir / "bodies.json"
    bodies_path.write_text(json.dumps(capture_bodies(), ensure_ascii=False), encoding="utf-8")
    ready = (f"{CONTACTS_PATH}/{FIXTURE_CONTACT}", {"Authorization": f"Bearer {TOKEN_A}"})
    prism = None if config.skip_prism else ensure_prism(config.prism_version, notes)
    if config.skip_prism:
        notes.append("Prism skipped (--skip-prism).")
    rows = [HttpRow(scen) for scen in SCENARIOS if scen.key in config.rows]
    rss: dict[str, tuple[float, float]] = {}
    names: list[str] = []
    for round_no in range(config.rounds):
        tag = f"[http] round {round_no + 1}/{config.rounds}" if config.rounds > 1 else "[http]"
        # Fresh servers each round: every round starts from the fixtures (POST adds thousands).
        with ServerPool() as pool:
            progress(f"{tag} starting the servers...")
            servers = {
                "mock": start_mock(pool, config.log_level, config.pin, ready[1], ready[0], args=MOCK_ARGS),
                LOGGED: start_mock(pool, "info", config.pin, ready[1], ready[0], name=LOGGED, args=MOCK_ARGS),
                "bare": start_bare(pool, bodies_path, config.log_level, config.pin, ready[1], ready[0]),
            }
            if prism is not None:
                try:
                    servers["prism"] = start_prism(pool, prism, config.pin, ready[1], ready[0])
                except ServerError as error:
                    notes.append(f"Prism skipped: it did not start: {error}")
                    prism = None
            names = list(servers)
            if config.warmup > 0:
                # A server just started (Prism's JIT above all) is slow at first: one longer warm-up.
                progress(f"{tag} warming up each server for {2 * config.warmup:g} s...")
                for server in servers.values():
                    args = {**_load_args(config, True), "duration": 2 * config.warmup}
                    with contextlib.suppress(LoadError):  # a failing server is reported by its rows
                        run_load(config.generator, server.base_url, SCENARIOS[0], TOKEN_A, **args)
            for row in rows:
                for name, server in servers.items():
                    _measure(config, row, name, server, tag, round_no == 0, notes, problems)
                    settle(server)
                _measure_log_cost(config, row, servers["mock"], servers[LOGGED], tag, problems)
            for name, server in servers.items():
                rss[name] = server.rss_mb()
    return HttpReport(rows, names, rss, config.generator)


def _measure(
    config: Config,
    row: HttpRow,
    name: str,
    server: Server,
    tag: str,
    first: bool,
    notes: list[str],
    problems: list[str],
) -> None:
    scen = row.scenario
    if first:
        try:
            answered = probe(server.port, scen.method, scen.target, headers_for(scen), body_for(scen, 0))
        except OSError as error:
            problems.append(f"{name} did not answer {scen.label}: {error}")
            return
        row.statuses[name] = answered
        if name != "prism" and answered != scen.status:
            problems.append(f"{name} answered {scen.label} with {answered}, not {scen.status}")
    try:
        if config.warmup > 0:
            run_load(config.generator, server.base_url, scen, TOKEN_A, **_load_args(config, True))
        cpu_before = server.cpu_seconds()
        result = run_load(config.generator, server.base_url, scen, TOKEN_A, **_load_args(config, False))
        result.server_cpu_s = server.cpu_seconds() - cpu_before
    except LoadError as error:
        problems.append(f"{scen.label} against {name}: {error}")
        return
    row.runs.setdefault(name, []).append(result)
    progress(
        f"{tag} {scen.label:<18} {name:<8} {num(result.rps):>9} req/s  "
        f"p50 {ms(result.p50_ms)} ms  p99 {ms(result.p99_ms)} ms  "
        f"CPU {num(result.cpu_us_per_request)} us/req  errors {result.errors}"
    )
    if result.errors:
        notes.append(
            f"{name} answered {result.errors_status} of {result.requests} {scen.label} requests "
            f"with a status >= 400 and had {result.errors_socket} socket errors/timeouts."
        )


def _measure_log_cost(
    config: Config, row: HttpRow, quiet: Server, logged: Server, tag: str, problems: list[str]
) -> None:
    """The quiet mock and mock+log loaded at the same time, in slices (see benchmarks/logcost.py)."""
    count, seconds = slices_for(config.duration)
    pair = {"mock": (quiet.base_url, quiet.cpu_seconds), LOGGED: (logged.base_url, logged.cpu_seconds)}
    label = row.scenario.label
    for _ in range(count):
        try:
            both = load_both_at_once(
                config.generator,
                row.scenario,
                pair,
                duration=seconds,
                connections=config.connections,
                threads=config.threads,
                pin=config.pin,
            )
        except LoadError as error:
            problems.append(f"{label}, mock and {LOGGED} at once: {error}")
            return
        (_q, quiet_us), (_l, logged_us) = both["mock"], both[LOGGED]
        if quiet_us > 0 and logged_us > 0:
            row.log_slices.append(logged_us / quiet_us)
    settle(quiet)
    settle(logged)
    measured = row.log_cpu_cost()
    progress(
        f"{tag} {label:<18} mock and {LOGGED} at once, {count} x {seconds:g} s: the access log adds "
        + ("-" if measured is None else f"{measured:+.1%}")
        + " CPU per request (median slice so far)"
    )


def settle(server: Server, quiet: float = 0.02, most: float = 5.0) -> None:
    """Wait until `server` stops using CPU after its load (at most `most` seconds).

    Every server shares CPU 0: Prism (node) keeps collecting garbage for a while
    after wrk stops, and without this pause that work lands on the next server's
    row, which is always the mock's.
    """
    deadline = time.monotonic() + most
    before = server.cpu_seconds()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = server.cpu_seconds()
        if now - before <= quiet:
            return
        before = now


def _load_args(config: Config, warmup: bool) -> dict[str, Any]:
    return {
        "duration": config.warmup if warmup else config.duration,
        "connections": config.connections,
        "threads": config.threads,
        "pin": config.pin,
    }


def http_table(report: HttpReport) -> str:
    rows: list[list[str]] = []
    for row in report.rows:
        for i, name in enumerate(report.servers):
            result = row.results.get(name)
            status = str(row.statuses.get(name, "-"))
            if result is None:
                cells = [status, "-", "-", "-", "-", "-", "-"]
            else:
                cells = [
                    status,
                    num(result.rps),
                    ms(result.p50_ms),
                    ms(result.p99_ms),
                    num(result.bytes_per_response),
                    num(row.median_cpu(name)),
                    num(result.errors),
                ]
            ratios = ["", "", "", "", ""]
            if name == "mock":
                bare, prism, cost = row.ratio("bare"), row.ratio("prism"), row.log_cost()
                cpu, log_cpu = row.cpu_ratio("bare"), row.log_cpu_cost()
                ratios = [
                    f"{bare:.2f}" if bare is not None else "-",
                    f"{cpu:.2f}" if cpu is not None else "-",
                    f"{prism:.2f}" if prism is not None else "-",
                    f"{cost:.0%}" if cost is not None else "-",
                    f"{log_cpu:.0%}" if log_cpu is not None else "-",
                ]
            rows.append([row.scenario.label if i == 0 else "", name, *cells, *ratios])
    title = f"HTTP: throughput and latency ({report.generator})"
    headers = ["row", "server", "status", "req/s", "p50 ms", "p99 ms", "resp B", "CPU us/req", "errors"]
    ratios = ["mock/bare", "mock/bare CPU", "mock/Prism", "log cost", "log CPU"]
    table = render(title, [*headers, *ratios], rows, left=2)
    return (
        table + "\nlog cost: 1 - mock+log / mock throughput, one after the other; log CPU: mock+log's CPU "
        "time per request over the mock's - 1, both loaded at once on the same core (median slice): "
        "the figure a busy machine cannot fake"
    )


# --- scale --------------------------------------------------------------------------------------


def run_scales(config: Config, problems: list[str]) -> list[ScaleResult]:
    results = []
    for size in config.sizes:
        progress(f"[scale] {size:,} contacts (fresh process)...")
        try:
            results.append(run_scale(size, config.scale_budget, config.pin))
        except (RuntimeError, OSError, ValueError) as error:
            problems.append(str(error))
    return results


def scale_tables(results: list[ScaleResult]) -> str:
    base = results[0] if results else None
    rows: list[list[str]] = []
    for key, label, _query in SCALE_QUERIES:
        for i, result in enumerate(results):
            q = result.queries[key]
            ratio = q["app_p50_ms"] / base.queries[key]["app_p50_ms"] if base else 0.0
            rows.append(
                [
                    label if i == 0 else "",
                    num(result.size),
                    num(q["total"]),
                    ms(q["app_p50_ms"]),
                    ms(q["app_p99_ms"]),
                    f"{ratio:.2f}",
                    ms(q["store_p50_ms"]),
                    num(q["app_n"]),
                ]
            )
    base_label = f"× {base.size:,}" if base else "×"
    latency = render(
        "Scale: list queries, server-side latency in-process (app = direct ASGI call; "
        "store = Organization.page)",
        ["query", "contacts", "matches", "app p50 ms", "app p99 ms", base_label, "store p50 ms", "samples"],
        rows,
    )
    memory = render(
        "Scale: resident memory of a fresh process holding the mock (spec, app, store)",
        ["contacts", "RSS MB", "peak RSS MB", "RSS empty MB", "seed s"],
        [
            [num(r.size), num(r.rss_mb, 1), num(r.rss_peak_mb, 1), num(r.rss_empty_mb, 1), f"{r.seed_s:.2f}"]
            for r in results
        ],
        left=0,
    )
    return latency + "\n\n" + memory


# --- suite --------------------------------------------------------------------------------------


def run_suites(config: Config, problems: list[str]) -> list[SuiteResult]:
    results = []
    for profile in config.profiles:
        for mode in ("in-process", "over HTTP"):
            progress(f"[suite] {profile} {mode}...")
            try:
                result = run_suite(profile, mode, list(config.suite_selection), config.log_level)
            except ServerError as error:
                problems.append(f"suite {profile} {mode}: {error}")
                continue
            results.append(result)
            progress(f"[suite] {profile} {mode}: {result.seconds:.1f} s ({result.summary})")
            if not result.ok:
                problems.append(f"suite {profile} {mode} failed ({result.returncode}): {result.summary}")
    return results


def suite_table(results: list[SuiteResult], selection: Sequence[str]) -> str:
    rows = []
    for profile in dict.fromkeys(r.profile for r in results):
        cells = [profile]
        for mode in ("in-process", "over HTTP"):
            found = [r for r in results if r.profile == profile and r.mode == mode]
            if not found:
                cells.append("-")
            else:
                r = found[0]
                cells.append(f"{r.seconds:.1f} s ({r.summary}{'' if r.ok else ', FAILED'})")
        rows.append(cells)
    title = f"Contract suite: wall time of `pytest {' '.join(selection)} --profile P`"
    return render(title, ["profile", "in-process", "over HTTP"], rows, left=3)


# --- targets ------------------------------------------------------------------------------------


def targets(http: HttpReport | None, scale: list[ScaleResult]) -> list[list[str]]:
    rows: list[list[str]] = []

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    if http is not None:
        for row in http.rows:
            floor = BARE_TARGETS.get(row.scenario.key)
            if floor is None:
                continue
            label = f"{row.scenario.label}: mock >= {floor:.0%} of bare throughput (both quiet)"
            ratio = row.ratio("bare")
            cpu = row.cpu_ratio("bare")
            if ratio is None:
                rows.append([label, "-", "not measured"])
            else:
                shown = f"{ratio:.2f}" + (f" (CPU time: {cpu:.2f})" if cpu is not None else "")
                rows.append([label, shown, verdict(ratio >= floor)])
        for row in http.rows:
            prism = row.results.get("prism")
            label = f"{row.scenario.label}: mock >= 3x Prism throughput"
            ratio = row.ratio("prism")
            if prism is None or ratio is None:
                rows.append([label, "-", "Prism not run"])
            elif prism.errors_status:
                rows.append([label, f"{ratio:.1f}x", "n/a: Prism answered errors"])
            else:
                rows.append([label, f"{ratio:.1f}x", verdict(ratio >= 3)])
        for row in http.rows:
            cpu, cost = row.log_cpu_cost(), row.log_cost()
            label = f"{row.scenario.label}: the access log costs < 15% (server CPU per request, at once)"
            if cpu is None:
                rows.append([label, "-", "not measured"])
            else:
                shown = f"{cpu:.0%}" + (f" (throughput: {cost:.0%})" if cost is not None else "")
                rows.append([label, shown, verdict(cpu < 0.15)])
    if scale:
        sizes = {r.size: r for r in scale}
        big, small = sizes.get(TARGET_SIZE), sizes.get(100)
        if big is None or small is None:
            rows.append(["scale targets (stated at 100 and 100,000 contacts)", "-", "sizes not run"])
        else:
            ratio = big.queries["list"]["app_p50_ms"] / small.queries["list"]["app_p50_ms"]
            rows.append(
                ["unfiltered list p50 at 100,000 <= 1.5x at 100", f"{ratio:.2f}x", verdict(ratio <= 1.5)]
            )
            for key, name in (("search", "search"), ("company", "company_id filter")):
                p50 = big.queries[key]["app_p50_ms"]
                rows.append(
                    [f"{name} p50 at 100,000 < 20 ms server-side", f"{ms(p50)} ms", verdict(p50 < 20)]
                )
            rows.append(
                [
                    "memory at 100,000 < 300 MB (peak RSS)",
                    f"{big.rss_peak_mb:.0f} MB",
                    verdict(big.rss_peak_mb < 300),
                ]
            )
    return rows


# --- main ---------------------------------------------------------------------------------------


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def header_lines(config: Config, argv: Sequence[str]) -> list[str]:
    lines = [f"command: python -m benchmarks {shlex.join(argv)}".rstrip(), *machine_summary()]
    tools = [f"load generator: {config.generator}"]
    if config.generator == "wrk":
        tools.append(wrk_version())
    if "http" in config.sections and not config.skip_prism:
        tools.append(
            f"Prism {prism_version() or config.prism_version}, node {command_version(['node', '-v'])}"
        )
    lines.append("tools: " + "; ".join(tools))
    if "http" in config.sections:
        pinned = bool(pin_prefix(0, config.pin))
        lines.append(
            f"http: {config.duration:g} s per row and server"
            + (
                f" (wrk takes whole seconds: {wrk_seconds(config.duration)} s)"
                if config.generator == "wrk" and wrk_seconds(config.duration) != config.duration
                else ""
            )
            + f" after {config.warmup:g} s of warm-up, {config.connections} connections"
            + ("" if config.rows == SCENARIO_KEYS else f", rows {','.join(config.rows)} only")
            + (f", median of {config.rounds} rounds (fresh servers each)" if config.rounds > 1 else "")
            + (f", {config.threads} wrk thread(s)" if config.generator == "wrk" else "")
            + (
                "; servers pinned to CPU 0, load generator to CPU 1"
                if pinned
                else f"; not pinned ({cpu_count()} cores)"
            )
            + f"; mock and bare app at log level {config.log_level}, {LOGGED} at info (its access log "
            "to a file, PYTHONUNBUFFERED=1: every write reaches the OS at once, as at a terminal)"
            + f"; the mocks run with --generate {GENERATED} (60 contacts in the token's organization)"
            + ("" if config.skip_prism else "; Prism with its defaults (static examples, log level info)")
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    config = parse_args(argv)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    notes: list[str] = []
    problems: list[str] = []
    if config.generator == "python" and "http" in config.sections:
        notes.append(
            "wrk not used: the Python load generator (benchmarks/pyload.py) drove the load; it kept up "
            "with wrk where it was written, but its latencies include its own scheduling. Install wrk "
            "(apt-get install wrk) for the figures to publish."
        )
    http: HttpReport | None = None
    scale: list[ScaleResult] = []
    suite: list[SuiteResult] = []
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="contacts-bench-") as tmp:
            if "http" in config.sections:
                try:
                    http = run_http(config, Path(tmp), notes, problems)
                except ServerError as error:
                    problems.append(str(error))
            if "scale" in config.sections:
                scale = run_scales(config, problems)
            if "suite" in config.sections:
                suite = run_suites(config, problems)
    except KeyboardInterrupt:
        progress("\ninterrupted: every server this run started has been stopped.")
        return 130

    out = [*header_lines(config, argv), ""]
    if http is not None:
        out += [http_table(http), ""]
        rss = ", ".join(f"{name} {now:.0f} MB (peak {peak:.0f})" for name, (now, peak) in http.rss.items())
        out += [f"server RSS after the HTTP rows: {rss}", ""]
    if scale:
        out += [scale_tables(scale), ""]
    if suite:
        out += [suite_table(suite, config.suite_selection), ""]
    target_rows = targets(http, scale)
    if target_rows:
        out += [
            render("Targets (issues 5 and 14)", ["target", "measured", "verdict"], target_rows, left=1),
            "",
        ]
    if config.tiny:
        notes.append("--tiny: a smoke run; its figures mean nothing.")
    if http is not None and "prism" in http.servers:
        notes.append(
            "Prism answers from the spec's examples (a one-item list, ~340 bytes) whatever the query, and "
            "stores nothing; the mock searches, pages and writes."
        )
    for note in notes:
        out.append(f"note: {note}")
    for problem in problems:
        out.append(f"PROBLEM: {problem}")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    out.append(f"total time: {time.monotonic() - started:.0f} s; load average {load} at the end")
    print("\n".join(out), flush=True)
    if config.json_path is not None:
        config.json_path.write_text(
            json.dumps(
                {
                    "header": header_lines(config, argv),
                    "http": None
                    if http is None
                    else {
                        row.scenario.key: {
                            "statuses": row.statuses,
                            "results": {k: v.as_json() for k, v in row.results.items()},
                            "mock_over_bare": row.ratio("bare"),
                            "mock_over_bare_cpu": row.cpu_ratio("bare"),
                            "log_cost": row.log_cost(),
                            "log_cpu_cost": row.log_cpu_cost(),
                            "log_cpu_slices": row.log_slices,
                            "mock_over_prism": row.ratio("prism"),
                        }
                        for row in http.rows
                    },
                    "scale": [r.as_json() for r in scale],
                    "suite": [r.as_json() for r in suite],
                    "targets": target_rows,
                    "notes": notes,
                    "problems": problems,
                },
                ensure_ascii=False,
                indent=2,
            ),
            encoding="utf-8",
        )
    return 1 if problems else 0
