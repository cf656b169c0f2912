"""Violations: what is kept, the log line of each, and the reports written at exit (JSON, JUnit XML)."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from .checks import Finding
from .masking import curl_line
from .records import Exchange
from .rules import RULES

logger = logging.getLogger("contacts_proxy")


def iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int(seconds * 1000) % 1000:03d}Z"


def violation_json(
    number: int, ex: Exchange, finding: Finding, upstream: str, operation: str | None
) -> dict[str, Any]:
    """One violation as the admin API and the report show it; the exchange is already masked."""
    url = upstream.rstrip("/") + ex.raw_target
    return {
        "id": number,
        "rule": finding.rule,
        "title": RULES[finding.rule],
        "detail": finding.detail,
        "related": list(finding.related),
        "operation": operation,
        "client": ex.client,
        "time": iso(ex.wall_time),
        "request": {
            "method": ex.method,
            "target": ex.raw_target,
            "headers": [list(h) for h in ex.request.headers],
            "body": ex.request.shown(),
        },
        "response": {
            "status": ex.status,
            "headers": [list(h) for h in ex.response.headers],
            "body": ex.response.shown(),
        },
        "curl": curl_line(
            ex.method, url, ex.request.headers, ex.request.body if ex.request.complete else b""
        ),
    }


@dataclass
class Ledger:
    """The proxy's counters and the violations it found (the newest `capacity` kept)."""

    upstream: str
    capacity: int = 10_000
    started: float = field(default_factory=time.time)
    exchanges: int = 0
    checked: int = 0  # exchanges on the contract's paths
    operational: int = 0  # 429 and gateway errors from upstream: not a verdict
    proxy_errors: int = 0  # the proxy's own 502/504 (upstream unreachable or silent)
    total: int = 0
    by_rule: Counter[str] = field(default_factory=Counter)
    violations: deque[dict[str, Any]] = field(default_factory=deque)

    def __post_init__(self) -> None:
        self.violations = deque(maxlen=self.capacity)

    def add(self, ex: Exchange, finding: Finding, operation: str | None) -> dict[str, Any]:
        self.total += 1
        self.by_rule[finding.rule] += 1
        entry = violation_json(self.total, ex, finding, self.upstream, operation)
        self.violations.append(entry)
        logger.warning(
            "VIOLATION %s: %s %s -> %d: %s", finding.rule, ex.method, ex.raw_target, ex.status, finding.detail
        )
        return entry

    def clear(self) -> int:
        cleared = len(self.violations)
        self.violations.clear()
        self.by_rule.clear()
        self.total = 0
        return cleared

    def summary(self) -> dict[str, Any]:
        return {
            "upstream": self.upstream,
            "started": iso(self.started),
            "exchanges": self.exchanges,
            "checked": self.checked,
            "operational": self.operational,
            "proxy_errors": self.proxy_errors,
            "violations_total": self.total,
            "by_rule": dict(sorted(self.by_rule.items())),
        }

    def report(self) -> dict[str, Any]:
        return {**self.summary(), "finished": iso(time.time()), "violations": list(self.violations)}


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def junit_xml(ledger: Ledger) -> str:
    """One test case per rule: failed with each violation's story, or passed."""
    suite = ElementTree.Element(
        "testsuite",
        name="contacts-proxy",
        tests=str(len(RULES)),
        failures=str(sum(1 for rule in RULES if ledger.by_rule[rule])),
        errors="0",
        timestamp=iso(ledger.started),
    )
    ElementTree.SubElement(
        ElementTree.SubElement(suite, "properties"),
        "property",
        name="exchanges",
        value=str(ledger.exchanges),
    )
    for rule, title in RULES.items():
        case = ElementTree.SubElement(
            suite, "testcase", classname="contacts-proxy." + rule.split(".")[0], name=f"{rule}: {title}"
        )
        count = ledger.by_rule[rule]
        if count:
            mine = [v for v in ledger.violations if v["rule"] == rule]
            failure = ElementTree.SubElement(
                case, "failure", message=f"{count} violation(s) of {rule}", type=rule
            )
            failure.text = "\n\n".join(
                f"{v['request']['method']} {v['request']['target']} -> {v['response']['status']}: "
                f"{v['detail']}\n  reproduce: {v['curl']}"
                for v in mine
            )
    root = ElementTree.Element("testsuites")
    root.append(suite)
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"


def write_reports(ledger: Ledger, json_path: Path | None, junit_path: Path | None) -> list[Path]:
    """The reports asked for; a --report path ending in .xml is JUnit XML."""
    written = []
    for path in (json_path, junit_path):
        if path is None:
            continue
        is_xml = path is junit_path or path.suffix.lower() == ".xml"
        text = (
            junit_xml(ledger) if is_xml else json.dumps(ledger.report(), ensure_ascii=False, indent=2) + "\n"
        )
        write_atomically(path, text)
        written.append(path)
    return written
