"""Ties the checks together: every exchange is counted, checked, remembered, and its violations kept."""

from __future__ import annotations

import logging

from mock_server.spec import Spec

from .behaviour import Behaviour
from .checks import OPERATIONAL_STATUSES, ContractChecks
from .records import Exchange
from .report import Ledger

logger = logging.getLogger("contacts_proxy")


class Monitor:
    def __init__(self, spec: Spec, upstream: str, capacity: int = 10_000) -> None:
        self.checks = ContractChecks(spec)
        self.behaviour = Behaviour()
        self.ledger = Ledger(upstream, capacity)

    def record(self, ex: Exchange) -> None:
        """Judge one finished exchange. Never raises: a bug here must not break forwarding."""
        ledger = self.ledger
        try:
            route = self.checks.route(ex.path)
            if route is None and not self.checks.in_api(ex.path):
                return
            ledger.checked += 1
            if ex.status in OPERATIONAL_STATUSES:
                ledger.operational += 1
            findings = self.checks.check(ex, route)
            for finding in findings:
                ledger.add(ex, finding, self._operation_id(ex))
            for earlier, finding in self.behaviour.observe(ex, route, findings):
                ledger.add(earlier, finding, self._operation_id(earlier))
        except Exception:
            logger.exception(
                "contacts-proxy: checking %s %s failed (the exchange was forwarded)", ex.method, ex.path
            )
        finally:
            # Counted once judged, not before: whoever waits until `exchanges` reaches what was sent
            # (tests/proxy/support.py's settle) must find this exchange's violations in the ledger.
            ledger.exchanges += 1

    def count(self, ex: Exchange) -> None:
        """--no-check: forwarded, counted, not judged."""
        self.ledger.exchanges += 1

    def _operation_id(self, ex: Exchange) -> str | None:
        route = self.checks.route(ex.path)
        operation = route.operations.get(ex.method) if route else None
        return operation.operation_id if operation else None

    def proxy_error(self) -> None:
        self.ledger.exchanges += 1
        self.ledger.proxy_errors += 1

    def reset(self) -> int:
        self.behaviour.reset()
        cleared = self.ledger.clear()
        self.ledger.exchanges = self.ledger.checked = self.ledger.operational = self.ledger.proxy_errors = 0
        return cleared
