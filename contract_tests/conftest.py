"""The suite's pytest plugin: options, the target, clients, cleanup and the coverage report."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, settings

from . import contract
from .client import ApiClient, Throttle
from .coverage import SpecCoverage, operations_of
from .failures import Exchange, register_secret
from .invariants import check_exchange
from .ledger import CleanupReport, RunLedger
from .settings import OPTIONS, Settings, SettingsError
from .strategies import Scope
from .target import Target, build_target

# Hypothesis budgets per profile; the schemathesis budgets live in test_schema.py.
PROFILES = {
    "quick": {"max_examples": 12, "stateful_step_count": 12},
    "thorough": {"max_examples": 100, "stateful_step_count": 40},
}


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
            self.throttle = Throttle(self.settings.rate_limit)
        observers: list[Callable[[Exchange], None]] = [self.observe] if observed else []
        client = ApiClient(self.get_target(), token, style, self.throttle, self.settings.timeout, observers)
        self.clients.append(client)
        return client

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
    config.stash[RUN_KEY] = Run(run_settings, document, spec_contract, SpecCoverage(operations_of(document)))
    _CURRENT.append(config.stash[RUN_KEY])


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(RUN_KEY, None)
    if run is not None:
        contract.deactivate(run.contract)
        _CURRENT[:] = [other for other in _CURRENT if other is not run]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    run = config.stash[RUN_KEY]
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


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash.get(RUN_KEY, None)
    if run is None or run.target is None:
        return
    if not run.settings.read_only:
        # Unobserved client: the cleanup's own deletes must not count as the tests' deletes.
        cleaner = run.client(run.target.token, run.settings.styles[0], observed=False)
        run.cleanup = run.ledger.cleanup(cleaner)
        cleaner.close()
        if run.cleanup.left_behind and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
    selected_all = not session.config.getoption("keyword") and not session.config.getoption("markexpr")
    thorough_gap = run.settings.profile == "thorough" and selected_all and run.coverage.missing()
    if thorough_gap and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    run.target.close()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    run = config.stash.get(RUN_KEY, None)
    if run is None or run.target is None:
        return
    tr = terminalreporter
    tr.section("contract suite")
    tr.write_line(
        f"target: {run.target.description}; run tag: {run.ledger.tag}; profile: {run.settings.profile}"
    )
    if run.cleanup is not None:
        tr.write_line(run.cleanup.summary())
    elif run.settings.read_only:
        tr.write_line("read-only run: nothing was created")
    tr.write_line("spec coverage (documented statuses provoked by this run):")
    for line in run.coverage.table().splitlines():
        tr.write_line("  " + line)
    missing = run.coverage.missing()
    if missing:
        listed = ", ".join(f"{op} {status}" for op, status in missing)
        verdict = "FAILS the thorough profile" if run.settings.profile == "thorough" else "reported"
        tr.write_line(f"documented statuses no test provoked ({verdict}): {listed}")
