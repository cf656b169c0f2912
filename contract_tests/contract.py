"""The contract's data, read from ``openapi.yaml``: the one place the suite learns its numbers.

Paths, the session cookie's name, the list parameters' bounds, defaults and
enums, the body-size limit (``x-max-body-bytes``), the error code of each
status, the id pattern, the Location pattern and the contact's field set are
all read from the spec here; nothing else in the suite (or in ``tests/``)
writes them down again. Edit the spec and the suite follows.

What OpenAPI cannot say (search forms, folding, ordering, PATCH rules, the
precedence of errors) is the behavioural oracle, hand-written in ``model.py``.

A run tests one spec (``--spec`` / CONTRACT_SPEC, default: the kit's own); the
suite's plugin makes its contract the active one for the session, and
:func:`active` returns it. Code outside a run gets :func:`default`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .settings import SPEC_PATH

# The operations by their operationId: ids are part of the contract, paths are read from it.
LIST, CREATE, GET, UPDATE, DELETE = (
    "listContacts",
    "createContact",
    "getContact",
    "updateContact",
    "deleteContact",
)
# 405 is no operation's documented response (an operation cannot document a method it lacks);
# the spec states its code in this top-level extension.
METHOD_NOT_ALLOWED = "x-method-not-allowed"


class ContractError(ValueError):
    """The spec lacks something the suite reads from it; the message names what and where."""


@dataclass(frozen=True)
class Bounds:
    """An integer query parameter: its default and inclusive bounds (maximum None: unbounded)."""

    default: int
    minimum: int
    maximum: int | None


@dataclass(frozen=True)
class Contract:
    """Everything the suite reads from the spec, as plain values."""

    collection_path: str  # /api/v1/crm/contacts
    item_path: str  # /api/v1/crm/contacts/{id}
    cookie_name: str
    limit: Bounds
    offset: Bounds
    sorts: tuple[str, ...]
    orders: tuple[str, ...]
    default_sort: str
    default_order: str
    max_body_bytes: int  # x-max-body-bytes of the request bodies
    error_codes: Mapping[int, str]  # status -> error.code
    contact_id: re.Pattern[str]
    company_id: re.Pattern[str]
    location: re.Pattern[str]  # the Location header of a 201
    contact_fields: tuple[str, ...]  # exactly these, every one present
    required_fields: tuple[str, ...]  # of a create body
    optional_fields: tuple[str, ...]  # of a create body: null or absent means unset
    timestamp: re.Pattern[str]
    statuses: Mapping[str, tuple[int, ...]]  # operationId -> documented statuses
    max_lengths: Mapping[str, int]  # a stored text field -> its maxLength in the Contact schema

    @property
    def max_limit(self) -> int:
        assert self.limit.maximum is not None  # load() requires it
        return self.limit.maximum

    def contact_path(self, contact_id: str) -> str:
        return self.item_path.replace("{id}", contact_id)

    @property
    def writable_fields(self) -> tuple[str, ...]:
        return (*self.required_fields, *self.optional_fields)


def resolve(node: Any, document: Mapping[str, Any]) -> Any:
    """`node` with its local `$ref`s followed (through chains of them) in `document`."""
    while isinstance(node, Mapping) and "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _operations(document: Mapping[str, Any]) -> dict[str, tuple[str, str, Mapping[str, Any]]]:
    found = {}
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if isinstance(operation, Mapping) and "operationId" in operation:
                found[operation["operationId"]] = (path, method, operation)
    return found


def _query_parameter(document: Mapping[str, Any], operation: Mapping[str, Any], name: str) -> Any:
    for parameter in operation.get("parameters", []):
        resolved = resolve(parameter, document)
        if resolved.get("in") == "query" and resolved.get("name") == name:
            return resolve(resolved["schema"], document)
    raise ContractError(f"{LIST} has no query parameter {name!r}")


def _bounds(schema: Mapping[str, Any], name: str) -> Bounds:
    if not isinstance(schema.get("default"), int) or not isinstance(schema.get("minimum"), int):
        raise ContractError(f"the query parameter {name!r} needs an integer default and minimum")
    return Bounds(schema["default"], schema["minimum"], schema.get("maximum"))


def _error_code(schema: Any, document: Mapping[str, Any]) -> str | None:
    error = resolve(resolve(schema, document).get("properties", {}).get("error", {}), document)
    code = resolve(error.get("properties", {}).get("code", {}), document)
    value = code.get("const")
    if value is None and len(code.get("enum", ())) == 1:
        value = code["enum"][0]
    return value if isinstance(value, str) else None


def _error_codes(document: Mapping[str, Any], operations: Mapping[str, Any]) -> dict[int, str]:
    codes: dict[int, str] = {}
    for _, _, operation in operations.values():
        for status, response in operation.get("responses", {}).items():
            if not str(status).isdigit() or int(status) < 400:
                continue
            media = resolve(response, document).get("content", {}).get("application/json", {})
            code = _error_code(media.get("schema", {}), document)
            if code is None:
                raise ContractError(f"the {status} response has no error code (error.code const)")
            if codes.setdefault(int(status), code) != code:
                raise ContractError(f"status {status} has two error codes: {codes[int(status)]}, {code}")
    method_not_allowed = document.get(METHOD_NOT_ALLOWED)
    if isinstance(method_not_allowed, Mapping) and isinstance(method_not_allowed.get("code"), str):
        codes.setdefault(int(method_not_allowed.get("status", 405)), method_not_allowed["code"])
    return dict(sorted(codes.items()))


def _pattern(schema: Any, document: Mapping[str, Any], what: str) -> re.Pattern[str]:
    pattern = resolve(schema, document).get("pattern")
    if not isinstance(pattern, str):
        raise ContractError(f"{what} has no pattern")
    return re.compile(pattern)


def load(document: Mapping[str, Any]) -> Contract:
    """The contract's data from a parsed spec; ContractError names anything missing."""
    try:
        return _load(document)
    except (KeyError, TypeError, IndexError) as exc:
        raise ContractError(f"the spec lacks what the suite reads from it: {exc!r}") from None


def _load(document: Mapping[str, Any]) -> Contract:
    operations = _operations(document)
    missing = [op for op in (LIST, CREATE, GET, UPDATE, DELETE) if op not in operations]
    if missing:
        raise ContractError(f"the spec has no operation {', '.join(missing)}")
    collection_path, _, list_op = operations[LIST]
    item_path, _, _ = operations[GET]
    _, _, create_op = operations[CREATE]
    schemes = document["components"]["securitySchemes"].values()
    cookies = [s["name"] for s in schemes if s.get("type") == "apiKey" and s.get("in") == "cookie"]
    if len(cookies) != 1:
        raise ContractError(f"expected one cookie security scheme, found {cookies}")
    limit = _bounds(_query_parameter(document, list_op, "limit"), "limit")
    if limit.maximum is None:
        raise ContractError("the query parameter 'limit' needs a maximum")
    sort = _query_parameter(document, list_op, "sort")
    order = _query_parameter(document, list_op, "order")
    limits = {
        int(body["x-max-body-bytes"])
        for _, _, op in operations.values()
        if (body := resolve(op.get("requestBody"), document)) is not None
    }
    if len(limits) != 1:
        raise ContractError(f"expected one x-max-body-bytes for every request body, found {sorted(limits)}")
    created = resolve(create_op["responses"]["201"], document)
    contact = resolve(document["components"]["schemas"]["Contact"], document)
    create_body = resolve(create_op["requestBody"], document)["content"]["application/json"]["schema"]
    create_schema = resolve(create_body, document)
    required = tuple(create_schema.get("required", ()))
    path_parameter = next(resolve(p, document) for p in document["paths"][item_path].get("parameters", ()))
    return Contract(
        collection_path=collection_path,
        item_path=item_path,
        cookie_name=cookies[0],
        limit=limit,
        offset=_bounds(_query_parameter(document, list_op, "offset"), "offset"),
        sorts=tuple(sort["enum"]),
        orders=tuple(order["enum"]),
        default_sort=sort["default"],
        default_order=order["default"],
        max_body_bytes=limits.pop(),
        error_codes=_error_codes(document, operations),
        # The path parameter is a plain string (a malformed id is 404, not 400); the ids that
        # can name a contact are its `x-well-formed` (else its schema, for older specs).
        contact_id=_pattern(
            path_parameter.get("x-well-formed", path_parameter["schema"]), document, "the contact id"
        ),
        company_id=_pattern(contact["properties"]["company_id"], document, "the company id"),
        location=_pattern(created["headers"]["Location"]["schema"], document, "the 201's Location"),
        contact_fields=tuple(contact["properties"]),
        required_fields=required,
        optional_fields=tuple(f for f in create_schema["properties"] if f not in required),
        timestamp=_pattern(contact["properties"]["created_at"], document, "a timestamp"),
        statuses={
            op_id: tuple(sorted(int(s) for s in op.get("responses", {}) if str(s).isdigit()))
            for op_id, (_, _, op) in operations.items()
        },
        max_lengths={
            name: int(schema["maxLength"])
            for name, field in contact["properties"].items()
            if "maxLength" in (schema := resolve(field, document))
        },
    )


# libyaml when PyYAML has it: the pure-Python parser costs ~0.1 s of CPU per read of openapi.yaml,
# and every nested suite run of the self-tests (tests/suite) reads it afresh.
_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_spec(path: Path) -> dict[str, Any]:
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    if not isinstance(document, dict):
        raise ContractError(f"{path}: not an OpenAPI document")
    return document


@cache
def default() -> Contract:
    """The contract of the kit's own openapi.yaml."""
    return load(read_spec(SPEC_PATH))


_ACTIVE: list[Contract] = []


def activate(contract: Contract) -> None:
    """Make `contract` the one :func:`active` returns (the suite's plugin, per session)."""
    _ACTIVE.append(contract)


def deactivate(contract: Contract) -> None:
    for index in range(len(_ACTIVE) - 1, -1, -1):
        if _ACTIVE[index] is contract:
            del _ACTIVE[index]
            return


def active() -> Contract:
    """The contract of the running session (nested sessions stack), else the default one."""
    return _ACTIVE[-1] if _ACTIVE else default()
