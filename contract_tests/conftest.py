"""The suite's pytest plugin: options, the target, clients, cleanup and the end-of-run report.

Outcomes: a test passes, finds a contract violated, or is *inconclusive* (see
`outcomes.py`): no verdict because the target or the testing machinery failed.
Exit status: 0 all passed; 1 a contract violation (or anything left behind);
75 (`EXIT_INCONCLUSIVE`) inconclusive tests and no violation. Once the target is
declared down (the client's breaker: several requests in a row failed without an
answer) no further test starts: the run stops, cleans up and says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, settings
from schemathesis.core.failures import FailureGroup

from . import contract, workers
from .cases import ClientSession
from .client import ApiClient, Breaker, Throttle
from .coverage import SpecCoverage, operations_of
from .failures import ContractViolation, Exchange, forget_violations, register_secret, seen_violations
from .invariants import check_exchange
from .ledger import CleanupReport, RunLedger
from .outcomes import EXIT_INCONCLUSIVE, classify, leaves, seen_verdict, verdict_line
from .settings import OPTIONS, Settings, SettingsError
from .stats import PhaseClock, RequestStats
from .strategies import Scope
from .target import Target, build_target

# Hypothesis budgets per profile; the schemathesis budgets live in test_schema.py. The model-based
# state machine (test_stateful.py, split in shards) gets max_examples runs of stateful_step_count
# steps in all: it is the suite's strongest oracle (docs/trust.md has the measurements).
PROFILES = {
    "quick": {"max_examples": 12, "stateful_step_count": 12},
    "thorough": {"max_examples": 100, "stateful_step_count": 40},
}
STATE_MACHINE_RUNS = {"quick": 36, "thorough": 150}


@dataclass
class Run:
    """Everything one pytest session shares."""

    settings: Settings
    document: dict[str, Any]
    contract: contract.Contract
    coverage: SpecCoverage
    ledger: RunLedger = field(default_factory=RunLedger)
    target: Target | None = None
    throttle: Throttle | None = None
    cleanup: CleanupReport | None = None
    clients: list[ApiClient] = field(default_factory=list)
    share: int = 1  # processes sharing the run (pytest-xdist workers): each sends 1/share of the rate
    breaker: Breaker = field(default_factory=Breaker)
    stats: RequestStats = field(default_factory=RequestStats)
    clock: PhaseClock = field(default_factory=PhaseClock)
    workers_note: str = ""
    outcomes: dict[str, list[tuple[str, str]]] = field(
        default_factory=lambda: {"violation": [], "inconclusive": []}
    )
    worker_reports: list[dict[str, Any]] = field(default_factory=list)
    exit_status: int = 0
    stopped: str = ""  # why the run stopped starting tests ('' : it did not); from a worker too
    collected: int = 0  # tests selected for the run
    ran: int = 0  # tests that ran (each ends with one teardown report; schemathesis's share a node id)
    _session: ClientSession | None = None

    @property
    def rate_limit(self) -> float | None:
        """This process's share of --rate-limit."""
        return self.settings.rate_limit / self.share if self.settings.rate_limit else None

    def __repr__(self) -> str:
        # Short: Hypothesis prints the arguments of a failing example, fixtures included.
        return f"Run(tag={self.ledger.tag!r}, profile={self.settings.profile!r})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis pretty-prints dataclasses field by field (80 kB here); use the short repr.
        printer.text(repr(self))

    def get_target(self) -> Target:
        if self.target is None:
            self.target = build_target(self.settings)
            register_secret(self.target.token, "CONTRACT_TOKEN")
            register_secret(self.target.other_org_token, "CONTRACT_OTHER_ORG_TOKEN")
        return self.target

    def client(self, token: str | None, style: str, *, observed: bool = True) -> ApiClient:
        if self.throttle is None:
            self.throttle = Throttle(self.rate_limit)
        observers: list[Callable[[Exchange], None]] = [self.observe] if observed else []
        client = ApiClient(
            self.get_target(),
            token,
            style,
            self.throttle,
            self.settings.timeout,
            observers,
            self.breaker,
            self.stats,
            int(self.settings.max_response_mb * 1024 * 1024),
        )
        self.clients.append(client)
        return client

    def case_session(self) -> ClientSession:
        """The requests session schemathesis sends through (its test records coverage itself)."""
        if self._session is None:
            self._session = ClientSession(self.client(None, "none", observed=False))
        return self._session

    def observe(self, exchange: Exchange) -> None:
        request = exchange.request
        self.coverage.record(request.method, request.url.path, exchange.status, request.url.params.keys())
        self.ledger.observe(exchange)
        # Every response the tests receive obeys every per-response rule (rules.py), whatever the test.
        check_exchange(self.contract, exchange)


RUN_KEY = pytest.StashKey[Run]()
_CURRENT: list[Run] = []


def current_run() -> Run:
    """The session's Run, for modules that must build things at import (schemathesis)."""
    if not _CURRENT:
        raise RuntimeError("the contract suite's plugin is not configured (run it with pytest)")
    return _CURRENT[-1]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contract", "Contacts API contract suite")
    for option, variable, help_text in OPTIONS:
        if option == "--read-only":
            group.addoption(option, action="store_true", default=False, help=f"{help_text} [{variable}]")
        else:
            group.addoption(option, default=None, help=f"{help_text} [{variable}]")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "writes: the test creates, changes or deletes contacts")
    config.addinivalue_line("markers", "isolation: the test needs a token of a second organization")
    options = {opt.lstrip("-").replace("-", "_"): config.getoption(opt) for opt, _, _ in OPTIONS}
    try:
        run_settings = Settings.from_sources(options)
    except SettingsError as error:
        raise pytest.UsageError(f"contract suite: {error}") from None
    budget = PROFILES[run_settings.profile]
    settings.register_profile(
        "contract",
        max_examples=budget["max_examples"],
        stateful_step_count=budget["stateful_step_count"],
        deadline=None,  # a live deployment may be slow; speed is not the contract
        database=None if run_settings.live else settings().database,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        print_blob=True,
    )
    settings.load_profile("contract")
    try:
        document = contract.read_spec(run_settings.spec)
        spec_contract = contract.load(document)
    except (OSError, yaml.YAMLError, contract.ContractError) as error:
        raise pytest.UsageError(f"contract suite: {run_settings.spec}: {error}") from None
    contract.activate(spec_contract)
    run = Run(run_settings, document, spec_contract, SpecCoverage(operations_of(document)))
    run.share = workers.worker_count(config)
    if not workers.is_worker(config):
        count, why = workers.resolve(run_settings)
        if workers.distribute(config, count):
            run.workers_note = f"workers: {config.getoption('numprocesses')} ({why})"
        else:
            run.workers_note = (
                f"workers: 1 ({why})" if count == 1 else f"workers: 1 ({why}; pytest-xdist off)"
            )
    config.stash[RUN_KEY] = run
    _CURRENT.append(run)


def pytest_unconfigure(config: pytest.Config) -> None:
    workers.restore_environment(config)
    run = config.stash.get(RUN_KEY, None)
    if run is not None:
        contract.deactivate(run.contract)
        _CURRENT[:] = [other for other in _CURRENT if other is not run]


@pytest.hookimpl(hookwrapper=True)
def pytest_sessionstart(session: pytest.Session) -> Generator[None, None, None]:
    yield  # pytest-xdist has started its workers by now
    workers.restore_environment(session.config)


def pytest_collection_finish(session: pytest.Session) -> None:
    run = session.config.stash.get(RUN_KEY, None)
    if run is not None:
        run.collected = max(run.collected, len(session.items))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    """pytest-xdist's controller collects nothing itself: the workers say how many tests there are."""
    if _CURRENT:
        _CURRENT[-1].collected = max(_CURRENT[-1].collected, len(ids))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    run = config.stash[RUN_KEY]
    if workers.is_worker(config) and workers.ours(items):
        items[:] = workers.schedule(items, workers.worker_count(config))
    if not run.settings.read_only:
        return
    skip = pytest.mark.skip(reason="read-only run (--read-only / CONTRACT_READ_ONLY): no writes")
    for item in items:
        if item.get_closest_marker("writes"):
            item.add_marker(skip)


def _run(request: pytest.FixtureRequest) -> Run:
    return request.config.stash[RUN_KEY]


@pytest.fixture(scope="session")
def run(request: pytest.FixtureRequest) -> Run:
    return _run(request)


@pytest.fixture(scope="session")
def contract_settings(run: Run) -> Settings:
    return run.settings


@pytest.fixture(scope="session")
def target(run: Run) -> Target:
    return run.get_target()


@pytest.fixture(scope="session")
def api(run: Run, target: Target) -> ApiClient:
    """Organization A, with the run's primary credential style."""
    return run.client(target.token, run.settings.styles[0])


@pytest.fixture(scope="session", params=["bearer", "cookie"])
def api_each_style(request: pytest.FixtureRequest, run: Run, target: Target) -> ApiClient:
    """Organization A with each credential style the run exercises."""
    style = request.param
    if style not in run.settings.styles:
        pytest.skip(f"--auth {run.settings.auth}: the {style} style is not exercised")
    return run.client(target.token, style)


@pytest.fixture(scope="session")
def other_api(run: Run, target: Target) -> ApiClient:
    """Organization B (isolation tests)."""
    if not target.other_org_token:
        pytest.skip("isolation tests need a token of a second organization: set CONTRACT_OTHER_ORG_TOKEN")
    return run.client(target.other_org_token, run.settings.styles[0])


@pytest.fixture(scope="session")
def anonymous(run: Run) -> ApiClient:
    return run.client(None, "none")


@pytest.fixture
def scope(run: Run) -> Scope:
    """A fresh token and companies for the data of one test."""
    return Scope(run.ledger.family())


@pytest.fixture(scope="session")
def document(run: Run) -> dict[str, Any]:
    return run.document


@pytest.fixture(scope="session", autouse=True)
def _close_clients(run: Run) -> Iterator[None]:
    yield
    for client in run.clients:
        client.close()


def pytest_runtest_logstart(nodeid: str, location: Any) -> None:
    forget_violations()
    if _CURRENT:
        _CURRENT[-1].clock.test_started()


def pytest_runtest_logfinish(nodeid: str, location: Any) -> None:
    if _CURRENT:
        _CURRENT[-1].clock.test_finished()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    """An error that is no verdict (target, Hypothesis machinery) becomes an inconclusive report."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    _stop_if_target_down(item)
    if call.excinfo is None or not report.failed:
        return
    found = classify(call.excinfo.value)
    text = seen_verdict(found, seen_violations() if call.when == "call" else [])
    if text is not None:
        report.longrepr = text
        report.contract_longrepr = report.longrepr  # type: ignore[attr-defined]
        return
    if found is None:
        _compact_violations(report, call.excinfo.value)
        if isinstance(report.longrepr, str):
            report.contract_longrepr = report.longrepr  # type: ignore[attr-defined]
        return
    kind, message = found
    report.contract_outcome = kind  # type: ignore[attr-defined]  # survives pytest-xdist's serialization
    report.user_properties.append(("outcome", kind))
    report.longrepr = "Inconclusive (no verdict, not a contract violation):\n  " + message.replace(
        "\n", "\n  "
    )
    report.contract_longrepr = report.longrepr  # type: ignore[attr-defined]


def _stop_if_target_down(item: pytest.Item) -> None:
    """Start no further test once the client has declared the target down.

    Every test after that would end inconclusive at its first request, one by one, after
    Hypothesis and schemathesis have built its examples: minutes of a run against a
    deployment that is down, for no verdict. `session.shouldfail` ends the run after this
    test in one process and in a pytest-xdist worker alike (the worker stops and the
    controller shuts the others down; each worker has its own breaker besides). The
    cleanup still runs; a violation seen before still decides the verdict.
    """
    run = item.config.stash.get(RUN_KEY, None)
    if run is None or run.stopped or item.session.shouldfail or item.session.shouldstop:
        return
    down = run.breaker.down
    if down:
        run.stopped = f"the target is down: {down}"
        item.session.shouldfail = (
            f"contract suite: stopped after {item.nodeid}: the target is down "
            f"({Breaker.threshold} requests in a row failed without an answer); no further test starts"
        )


def _compact_violations(report: pytest.TestReport, error: BaseException) -> None:
    """Contract violations are shown as their own story (invariant, exchange, curl), no stack trace.

    Hypothesis's notes (the falsifying example, how to reproduce it) are kept.
    """
    if isinstance(error, FailureGroup):  # schemathesis's checks: its message is the whole report
        notes = [str(note) for note in getattr(error, "__notes__", [])]
        report.longrepr = "\n".join([error.message, *notes])
        return
    found = list(leaves(error))
    if not found or not all(isinstance(leaf, ContractViolation) for leaf in found):
        return
    parts: list[str] = []
    for leaf in found:
        parts.append(str(leaf))
        parts += [str(note) for note in getattr(leaf, "__notes__", [])]
    if error not in found:
        parts += [str(note) for note in getattr(error, "__notes__", [])]
    report.longrepr = "\n".join(dict.fromkeys(part for part in parts if part))


@pytest.hookimpl(trylast=True)
def pytest_exception_interact(node: Any, call: pytest.CallInfo[Any], report: Any) -> None:
    """Keep our readable report: schemathesis's plugin rewrites exception groups' reports here."""
    text = getattr(report, "contract_longrepr", None)
    if text:
        report.longrepr = text


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> Any:
    if report.failed and getattr(report, "contract_outcome", None) == "inconclusive":
        return "inconclusive", "I", "INCONCLUSIVE"
    return None


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    run = _CURRENT[-1] if _CURRENT else None
    if run is None:
        return
    if report.when == "teardown":
        run.ran += 1
    if not report.failed:
        return
    kind = "inconclusive" if getattr(report, "contract_outcome", None) == "inconclusive" else "violation"
    text = str(report.longrepr) if kind == "inconclusive" else ""
    run.outcomes[kind].append((report.nodeid, text))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist: a worker finished; keep what it reports for the run's summary."""
    output = getattr(node, "workeroutput", {}).get("contract")
    if output and _CURRENT:
        _CURRENT[-1].worker_reports.append(output)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash.get(RUN_KEY, None)
    if run is None:
        return
    run.clock.close(run.stats)
    if run.target is not None and not run.settings.read_only:
        # Unobserved client: the cleanup's own deletes must not count as the tests' deletes.
        run.breaker.reset()  # the cleanup tries again, whatever happened to the tests
        cleaner = run.client(run.target.token, run.settings.styles[0], observed=False)
        started = time.perf_counter()
        run.cleanup = run.ledger.cleanup(cleaner)
        run.stats.add_phase("cleanup", time.perf_counter() - started)
        cleaner.close()
    if workers.is_worker(session.config):
        session.config.workeroutput["contract"] = {  # type: ignore[attr-defined]
            "target": run.target.description if run.target else "",
            "tag": run.ledger.tag,
            "cleanup": run.cleanup.as_dict() if run.cleanup else None,
            "coverage": run.coverage.as_dict(),
            "stats": run.stats.as_dict(),
            "stopped": run.stopped,
        }
    _merge_workers(run)
    if run.stopped and session.exitstatus == pytest.ExitCode.INTERRUPTED:
        # Under pytest-xdist a worker's stop reaches the controller as an interruption: it is ours.
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    if run.cleanup is not None and run.cleanup.left_behind and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    selected_all = not session.config.getoption("keyword") and not session.config.getoption("markexpr")
    thorough_gap = run.settings.profile == "thorough" and selected_all and run.coverage.missing()
    if thorough_gap and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    if (
        session.exitstatus == pytest.ExitCode.TESTS_FAILED
        and run.outcomes["inconclusive"]
        and not run.outcomes["violation"]
        and not (run.cleanup and run.cleanup.left_behind and not _target_down(run.cleanup))
        and not thorough_gap
    ):
        session.exitstatus = EXIT_INCONCLUSIVE
    run.exit_status = int(session.exitstatus)
    if run.target is not None:
        run.target.close()


def _target_down(cleanup: CleanupReport) -> bool:
    """Everything left behind was left because the target failed (no verdict on deletes)."""
    return all("Target" in item for item in cleanup.left_behind)


def _merge_workers(run: Run) -> None:
    """On the pytest-xdist controller: one coverage, cleanup and request count for all workers."""
    if not run.worker_reports:
        return
    for report in run.worker_reports:
        run.coverage.merge(report["coverage"])
        run.stats.merge(report["stats"])
        run.stopped = run.stopped or str(report.get("stopped", ""))
    cleanups = [r["cleanup"] for r in run.worker_reports if r["cleanup"] is not None]
    if cleanups:
        run.cleanup = CleanupReport.combine(cleanups)
    run.stats.phases["cleanup"] = max(
        float(r["stats"]["phases"].get("cleanup", 0.0)) for r in run.worker_reports
    )


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    run = config.stash.get(RUN_KEY, None)
    if run is None or (run.target is None and not run.worker_reports):
        return
    tr = terminalreporter
    if run.outcomes["inconclusive"]:
        tr.section("inconclusive (no verdict: the target or the testing machinery failed)", yellow=True)
        for nodeid, text in run.outcomes["inconclusive"]:
            tr.write_line(f"{nodeid}")
            for line in text.splitlines()[1:]:
                tr.write_line(line)
    tr.section("contract suite")
    if run.target is not None:
        description, tags = run.target.description, run.ledger.tag
    else:
        description = run.worker_reports[0]["target"]
        tags = ", ".join(sorted(r["tag"] for r in run.worker_reports))
    tr.write_line(f"target: {description}; run tag: {tags}; profile: {run.settings.profile}")
    if run.workers_note:
        tr.write_line(run.workers_note)
    if run.cleanup is not None:
        tr.write_line(run.cleanup.summary())
    elif run.settings.read_only:
        tr.write_line("read-only run: nothing was created")
    tr.write_line(run.stats.summary())
    tr.write_line(run.stats.phases_summary())
    if run.stopped:
        not_run = f" ({_not_run(run)})" if _not_run(run) else ""
        tr.write_line(f"run stopped: {run.stopped}; no further test started{not_run}")
    verdict = _verdict(run, run.exit_status)
    if verdict:
        tr.write_line(verdict)
    tr.write_line("spec coverage (documented statuses provoked by this run):")
    for line in run.coverage.table().splitlines():
        tr.write_line("  " + line)
    missing = run.coverage.missing()
    if missing:
        listed = ", ".join(f"{op} {status}" for op, status in missing)
        verdict = "FAILS the thorough profile" if run.settings.profile == "thorough" else "reported"
        tr.write_line(f"documented statuses no test provoked ({verdict}): {listed}")


def _not_run(run: Run) -> str:
    """'N of M tests did not run' (or '' when the count is unknown)."""
    if not run.collected:
        return ""
    missing = max(0, run.collected - run.ran)
    return f"{missing} of {run.collected} tests did not run"


def _verdict(run: Run, exitstatus: int) -> str:
    return verdict_line(
        exitstatus, len(run.outcomes["inconclusive"]), stopped=bool(run.stopped), not_run=_not_run(run)
    )
