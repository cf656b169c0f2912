"""Per-exchange checks: one request and its response against `openapi.yaml` and the contract.

Pure functions of an Exchange; nothing here does I/O or keeps state. Everything
the contract leaves open is left alone: HEAD and OPTIONS, redirects of unknown
paths, paths outside the contract's collection, 429 and gateway errors (an
operational outcome, not a verdict), header order and case, extra headers,
emails the mock's stricter ASCII pattern would refuse, names whose white space
differs between languages, and every answer to a request with a `Prefer` header
for the request-side rules (a server may honour a preference).
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jsonschema_rs
from starlette.datastructures import QueryParams

from contract_tests.contract import default as default_contract
from contract_tests.model import NAME_FIELDS
from contract_tests.model import instant as _instant
from mock_server.errors import (
    ERRORS_BY_STATUS,
    MethodNotAllowed,
    UnsupportedMediaType,
    ValidationFailed,
)
from mock_server.spec import Operation, Spec, compile_schema
from mock_server.validation import check_media_type, parse_json, parse_query, validate_body

from .records import Exchange, NotJSON

# Not a verdict on the contract: the deployment is busy, or a gateway in front of it failed.
OPERATIONAL_STATUSES = frozenset({429, 502, 503, 504})
# Characters that are white space in some languages and not in others (Python, JS, Java...).
AMBIGUOUS_SPACE = frozenset("\x1c\x1d\x1e\x1f\x85\xa0\u180e\u200b\u2028\u2029\ufeff")
# The suite's exact timestamp comparison, memoised: a page of 50 has 100 of them, mostly seen before.
instant = functools.lru_cache(maxsize=1 << 16)(_instant)
_LONG_TARGET = 8192
_CONTROL = re.compile(r"%[01][0-9a-fA-F]|%7[fF]|[\x00-\x1f\x7f]")
_CONTROL_BYTES = re.compile(rb"\\u00[01][0-9a-fA-F]|[\x00-\x08\x0b\x0c\x0e-\x1f]")  # JSON white space is fine
ERROR_CODES: dict[int, str] = {
    **{status: cls.code for status, cls in ERRORS_BY_STATUS.items()},
    MethodNotAllowed.status: MethodNotAllowed.code,
}

WRITABLE = default_contract().writable_fields  # the create body's fields, read from openapi.yaml


@dataclass(frozen=True)
class Finding:
    """A broken rule: which one, what was seen, and the earlier exchanges it depends on."""

    rule: str
    detail: str
    related: tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    template: str
    operations: Mapping[str, Operation]
    params: dict[str, str]


@dataclass(frozen=True)
class RequestVerdict:
    refused: tuple[str, ...]  # why the contract certainly refuses the request (empty: it may not)
    certainly_valid: bool  # no 400, 413 or 415 can be right


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    pattern = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{pattern}$")


class ContractChecks:
    """The per-exchange rules for one spec, compiled once."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self._routes = [(_template_regex(path), path, ops) for path, ops in spec.by_path.items()]
        paths = list(spec.by_path)
        prefix = paths[0]
        for path in paths[1:]:
            while not path.startswith(prefix):
                prefix = prefix[:-1]
        self.api_prefix = prefix.split("{", 1)[0].rstrip("/")
        self._response_validators: dict[tuple[str, int], jsonschema_rs.Validator | None] = {}
        self._lenient_bodies: dict[str, jsonschema_rs.Validator] = {}

    # Routing
    def route(self, path: str) -> Route | None:
        for regex, template, ops in self._routes:
            match = regex.match(path)
            if match:
                return Route(template, ops, match.groupdict())
        return None

    def _contact_path(self, contact_id: str) -> str:
        return self.spec.operation("getContact").path.replace("{id}", contact_id)

    def in_api(self, path: str) -> bool:
        return path == self.api_prefix or path.startswith(self.api_prefix + "/")

    # The checks
    def check(self, ex: Exchange, route: Route | None) -> list[Finding]:
        if ex.status in OPERATIONAL_STATUSES:
            return []
        if route is None:
            return self._unknown_path(ex) if self.in_api(ex.path) else []
        operation = route.operations.get(ex.method)
        if operation is None:
            return [] if ex.method in ("HEAD", "OPTIONS") else self._not_allowed(ex, route)
        return self._operation(ex, operation, route)

    def _unknown_path(self, ex: Exchange) -> list[Finding]:
        if 300 <= ex.status < 400:
            return []  # a redirect (e.g. of a trailing slash) leaves the contract unbroken
        if ex.status != 404:
            return [Finding("status.documented", f"an unknown path is 404 not_found, got {ex.status}")]
        return self._error_body(ex, 404, None)

    def _not_allowed(self, ex: Exchange, route: Route) -> list[Finding]:
        if ex.status != 405:
            allowed = ", ".join(sorted(route.operations))
            return [
                Finding(
                    "status.documented",
                    f"{ex.method} is not in the spec for {route.template} (allowed: {allowed}): "
                    f"expected 405, got {ex.status}",
                )
            ]
        findings = self._error_body(ex, 405, None)
        header = ex.response.header("allow") or ""
        listed = {m.strip().upper() for m in header.split(",") if m.strip()}
        if not (set(route.operations) <= listed and ex.method not in listed):
            findings.append(
                Finding(
                    "method.allow",
                    f"Allow is {header!r}; expected the methods {', '.join(sorted(route.operations))}",
                )
            )
        return findings

    def _operation(self, ex: Exchange, op: Operation, route: Route) -> list[Finding]:
        findings: list[Finding] = []
        prefer = ex.request.header("prefer") is not None
        verdict = None if prefer else self.request_verdict(ex, op, route)
        if verdict is not None:
            findings += self._request_rules(ex, verdict)
        if ex.status not in op.documented_statuses:
            documented = ", ".join(map(str, op.documented_statuses))
            findings.append(
                Finding(
                    "status.documented",
                    f"{ex.status} is not documented for {op.operation_id} (documented: {documented})",
                )
            )
            return findings
        if ex.status >= 400:
            return findings + self._error_body(ex, ex.status, op)
        body, problem = self._json_of(ex)
        if problem is not None:
            return [*findings, problem]
        schema_findings = self._schema(ex, op, body)
        findings += schema_findings
        if schema_findings:
            return findings  # the shape is wrong: the finer rules would only repeat it
        findings += self._contacts(ex, op, body)
        if op.operation_id == "listContacts" and verdict is not None and not verdict.refused:
            findings += self._list(ex, op, body)
        if not prefer:
            findings += self._write_echo(ex, op, body)
        return findings

    def _json_of(self, ex: Exchange) -> tuple[Any, Finding | None]:
        if ex.response.decoded is None:
            return None, None  # too large or an encoding we do not decode: forwarded, not judged
        media = ex.response.media_type
        if media != "application/json":
            return None, Finding("response.json", f"Content-Type is {ex.response.header('content-type')!r}")
        try:
            return ex.response.json(), None
        except NotJSON as exc:
            return None, Finding("response.json", f"the body is not JSON: {exc}")

    def _validator(self, op: Operation, status: int) -> jsonschema_rs.Validator | None:
        key = (op.operation_id, status)
        if key not in self._response_validators:
            content = op.responses[str(status)].get("content", {})
            schema = content.get("application/json", {}).get("schema")
            self._response_validators[key] = None if schema is None else compile_schema(schema)
        return self._response_validators[key]

    def _schema(self, ex: Exchange, op: Operation, body: Any) -> list[Finding]:
        validator = self._validator(op, ex.status)
        if validator is None or body is None or validator.is_valid(body):
            return []  # is_valid is the fast path; the errors are only listed for a broken body
        findings = []
        for error in validator.iter_errors(body):
            where = "/".join(map(str, error.instance_path)) or "body"
            timestamp = error.instance_path and error.instance_path[-1] in ("created_at", "updated_at")
            rule = "timestamp.format" if timestamp else "response.schema"
            findings.append(Finding(rule, f"{where}: {error.message}"))
        return _first_per_rule(findings)

    def _error_body(self, ex: Exchange, status: int, op: Operation | None) -> list[Finding]:
        body, problem = self._json_of(ex)
        if problem is not None:
            return [problem]
        if body is None and ex.response.decoded is None:
            return []
        error = body.get("error") if isinstance(body, dict) else None
        expected = ERROR_CODES.get(status)
        if not isinstance(error, dict):
            return [Finding("error.shape", f"no error object in {_short(body)}")]
        findings = []
        if expected is not None and error.get("code") != expected:
            findings.append(
                Finding("error.code", f"a {status} has the code {expected!r}, got {error.get('code')!r}")
            )
        if not isinstance(error.get("message"), str) or not error["message"]:
            findings.append(Finding("error.shape", "the error has no non-empty message"))
        if status == 400:
            details = error.get("details")
            if not (
                isinstance(details, list)
                and details
                and all(
                    isinstance(d, dict)
                    and isinstance(d.get("field"), str)
                    and isinstance(d.get("message"), str)
                    for d in details
                )
            ):
                findings.append(
                    Finding(
                        "error.shape",
                        f"validation errors carry details [{{field, message}}], got {_short(details)}",
                    )
                )
        if op is not None and not findings:
            validator = self._validator(op, status)
            if validator is not None:
                findings += [
                    Finding("error.shape", f"{'/'.join(map(str, e.instance_path)) or 'body'}: {e.message}")
                    for e in validator.iter_errors(body)
                ][:1]
        return findings

    def _contacts(self, ex: Exchange, op: Operation, body: Any) -> list[Finding]:
        contacts = contacts_in(body)
        findings = []
        for contact in contacts:
            created, updated = instant(contact["created_at"]), instant(contact["updated_at"])
            if updated < created:
                findings.append(
                    Finding(
                        "timestamp.order",
                        f"{contact['id']}: updated_at {contact['updated_at']} is before "
                        f"created_at {contact['created_at']}",
                    )
                )
        if ex.status == 201 and contacts:
            contact = contacts[0]
            if instant(contact["created_at"]) != instant(contact["updated_at"]):
                findings.append(
                    Finding(
                        "timestamp.order",
                        f"on a 201 updated_at equals created_at: "
                        f"{contact['updated_at']} != {contact['created_at']}",
                    )
                )
            location = ex.response.header("location") or ""
            parts = urlsplit(location)
            expected = self._contact_path(contact["id"])
            if (parts.path, parts.query) != (expected, ""):
                findings.append(
                    Finding("created.location", f"Location is {location!r}; expected {expected!r}")
                )
        return _first_per_rule(findings)

    def _list(self, ex: Exchange, op: Operation, body: Any) -> list[Finding]:
        query = parse_query(op, QueryParams(ex.query).multi_items())
        findings = []
        for name in ("limit", "offset"):
            if name in query and body.get(name) != query[name]:
                findings.append(
                    Finding("list.echo", f"{name} is {body.get(name)!r}; the request asked {query[name]!r}")
                )
        items = body["items"]
        if len(items) > body["limit"]:
            findings.append(Finding("list.page", f"{len(items)} items with limit {body['limit']}"))
        ids = [item["id"] for item in items]
        if len(ids) != len(set(ids)):
            findings.append(Finding("list.page", f"the page repeats a contact: {ids}"))
        if query.get("sort") == "created_at":
            stamps = [instant(item["created_at"]) for item in items]
            wanted = sorted(stamps, reverse=query.get("order") == "desc")
            if stamps != wanted:
                findings.append(
                    Finding(
                        "list.order",
                        f"created_at order={query.get('order')}: {[i['created_at'] for i in items]}",
                    )
                )
        return findings

    def _write_echo(self, ex: Exchange, op: Operation, body: Any) -> list[Finding]:
        if (op.operation_id, ex.status) not in (("createContact", 201), ("updateContact", 200)):
            return []
        sent = _json_object(ex)
        if sent is None or not set(sent) <= set(WRITABLE):
            return []
        contact = body["contact"]
        expected = dict(sent)
        if op.operation_id == "createContact":
            expected = {name: sent.get(name) for name in WRITABLE}
        for name, value in expected.items():
            if name in NAME_FIELDS:
                if not isinstance(value, str) or AMBIGUOUS_SPACE & set(value):
                    continue
                value = value.strip()
            if contact.get(name) != value:
                return [
                    Finding(
                        "write.echo", f"{name} was sent as {sent.get(name)!r}, answered {contact.get(name)!r}"
                    )
                ]
        return []

    # What the contract says about the request itself
    def request_verdict(self, ex: Exchange, op: Operation, route: Route) -> RequestVerdict:
        refused: list[str] = []
        for name, validator in op.path_validators.items():
            if not validator.is_valid(route.params.get(name)):
                refused.append(f"the {name} {route.params.get(name)!r} is malformed (404)")
        try:
            parse_query(op, QueryParams(ex.query).multi_items())
        except ValidationFailed as error:
            refused.append("query: " + "; ".join(f"{d.field} {d.message}" for d in error.details))
        body = op.request_body
        # Control characters and very long URLs may be refused by any HTTP layer: never "certainly valid".
        certain = not refused and len(ex.raw_target) <= _LONG_TARGET and not _CONTROL.search(ex.raw_target)
        if body is not None:
            if body.max_bytes is not None and ex.request.size > body.max_bytes:
                refused.append(f"the body has {ex.request.size} bytes, over {body.max_bytes} (413)")
            try:
                check_media_type(body, ex.request.header("content-type"))
            except UnsupportedMediaType as error:
                refused.append(f"{error.message} (415)")
            if not ex.request.complete or ex.request.header("content-encoding"):
                return RequestVerdict(tuple(refused), False)
            refused += self._body_refusals(op, ex.request.body)
            certain = (
                certain
                and not refused
                and not _CONTROL_BYTES.search(ex.request.body)
                and self._certainly_valid_body(op, ex.request.body)
            )
        return RequestVerdict(tuple(refused), certain and not refused)

    def _body_refusals(self, op: Operation, raw: bytes) -> list[str]:
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
        except UnicodeDecodeError:
            return ["the body is not UTF-8"]
        except RecursionError:
            return []
        except ValueError as exc:
            if "limit" in str(exc) and "digits" in str(exc):
                return []  # a huge integer: valid JSON that Python will not parse
            return [f"malformed JSON: {exc}"]
        if not isinstance(data, dict):
            return [f"the body is {type(data).__name__}, not a JSON object"]
        reasons = [
            f"{'.'.join(map(str, e.instance_path)) or 'body'}: {e.message}"
            for e in self._lenient_body(op).iter_errors(data)
        ]
        for name in NAME_FIELDS:
            value = data.get(name)
            if isinstance(value, str) and not value.strip(" \t\n\r\x0b\x0c"):
                reasons.append(f"{name} is empty or white space only")
        return reasons

    def _lenient_body(self, op: Operation) -> jsonschema_rs.Validator:
        """The body schema without the rules languages disagree on: the name and email patterns."""
        if op.operation_id not in self._lenient_bodies:
            assert op.request_body is not None
            schema = copy.deepcopy(op.request_body.schema)
            for name in (*NAME_FIELDS, "email"):
                field = schema.get("properties", {}).get(name)
                if isinstance(field, dict):
                    field.pop("pattern", None)
                    field.pop("format", None)
            self._lenient_bodies[op.operation_id] = jsonschema_rs.Draft202012Validator(schema)
        return self._lenient_bodies[op.operation_id]

    def _certainly_valid_body(self, op: Operation, raw: bytes) -> bool:
        assert op.request_body is not None
        try:
            data = validate_body(op.request_body, parse_json(raw))
        except ValidationFailed:
            return False
        if data.get("email") is not None:
            return False  # servers may check addresses more strictly than the contract says
        names = [data.get(name) for name in NAME_FIELDS]
        return not any(isinstance(n, str) and AMBIGUOUS_SPACE & set(n) for n in names)

    def _request_rules(self, ex: Exchange, verdict: RequestVerdict) -> list[Finding]:
        if 200 <= ex.status < 300 and verdict.refused:
            return [
                Finding(
                    "request.invalid-accepted", f"answered {ex.status}, but " + "; ".join(verdict.refused)
                )
            ]
        if ex.status in (400, 413, 415) and verdict.certainly_valid:
            return [
                Finding("request.valid-refused", f"answered {ex.status} to a request the contract accepts")
            ]
        return []


def contacts_in(body: Any) -> list[dict[str, Any]]:
    """The contacts of a schema-valid 2xx body (one, a page's items, or none)."""
    if not isinstance(body, dict):
        return []
    if isinstance(body.get("contact"), dict):
        return [body["contact"]]
    items = body.get("items")
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _json_object(ex: Exchange) -> dict[str, Any] | None:
    if not ex.request.complete or ex.request.header("content-encoding"):
        return None
    try:
        data = json.loads(ex.request.body.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def request_object(ex: Exchange) -> dict[str, Any] | None:
    """The request's JSON object body, or None."""
    return _json_object(ex)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _first_per_rule(findings: list[Finding]) -> list[Finding]:
    """One finding per rule and exchange: the first says enough, the rest are noise."""
    seen: dict[str, Finding] = {}
    for finding in findings:
        if finding.rule in seen:
            first = seen[finding.rule]
            if not first.detail.endswith(" (and more)"):
                seen[finding.rule] = Finding(first.rule, first.detail + " (and more)", first.related)
        else:
            seen[finding.rule] = finding
    return list(seen.values())


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 200 else text[:199] + "…"
