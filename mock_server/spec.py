"""Load ``openapi.yaml`` once and turn it into what the server needs.

The spec is the single source of truth: routes, parameters, their types,
defaults and bounds, body schemas, accepted media types and body size limits
are all read from it here. Nothing else in the package repeats them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

from .errors import SpecError
from .resources import data_file

# libyaml's loader when PyYAML has it: the pure-Python one takes ~50 ms for our spec.
YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

DEFAULT_SPEC_PATH = data_file("openapi.yaml")
DEFAULT_MAX_HEADER_BYTES = 16384  # when the spec states no `x-max-header-bytes`
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

Schema = dict[str, Any]


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # "query" | "path" | "header" | "cookie"
    required: bool
    schema: Schema
    # `x-well-formed`: the values that can name something. The schema itself stays open
    # (a plain string) where the contract answers a malformed value like an unknown one
    # (404), so spec-driven validators do not answer 400/422 instead.
    well_formed: Schema | None = None

    @property
    def default(self) -> Any:
        return self.schema.get("default")


@dataclass(frozen=True)
class RequestBody:
    schema: Schema
    media_types: tuple[str, ...]
    required: bool
    max_bytes: int | None

    @cached_property
    def validator(self) -> jsonschema_rs.Validator:
        return compile_schema(self.schema)

    @cached_property
    def media_type_verdicts(self) -> dict[str | None, str]:
        """Content-Type header -> why it is refused ("": accepted); filled by validation.py."""
        return {}


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str  # upper case, as on the wire
    path: str
    parameters: tuple[Parameter, ...]
    request_body: RequestBody | None
    responses: Mapping[str, Any]

    def parameters_in(self, location: str) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.location == location)

    @cached_property
    def query_parameters(self) -> dict[str, Parameter]:
        return {p.name: p for p in self.parameters_in("query")}

    @cached_property
    def query_defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.parameters_in("query") if p.default is not None}

    @cached_property
    def query_schema(self) -> Schema:
        """All query parameters as one object schema, validated in one pass."""
        params = self.parameters_in("query")
        return {
            "type": "object",
            "properties": {p.name: p.schema for p in params},
            "required": [p.name for p in params if p.required],
        }

    @cached_property
    def query_validator(self) -> jsonschema_rs.Validator:
        return compile_schema(self.query_schema)

    @cached_property
    def path_validators(self) -> dict[str, jsonschema_rs.Validator]:
        """Per path parameter: does a value fit `x-well-formed` (else the schema)?"""
        return {p.name: compile_schema(p.well_formed or p.schema) for p in self.parameters_in("path")}

    @property
    def documented_statuses(self) -> tuple[int, ...]:
        return tuple(sorted(int(code) for code in self.responses if code.isdigit()))

    @cached_property
    def success_status(self) -> int:
        return next(code for code in self.documented_statuses if 200 <= code < 300)

    @cached_property
    def _response_validators(self) -> dict[int, jsonschema_rs.Validator]:
        validators = {}
        for code in self.documented_statuses:
            content = self.responses[str(code)].get("content", {})
            schema = content.get("application/json", {}).get("schema")
            if schema is not None:
                validators[code] = compile_schema(schema)
        return validators

    def response_problems(self, status: int, body: Any) -> list[str]:
        """What is wrong with a response of this operation, per the spec (empty: nothing)."""
        if status not in self.documented_statuses:
            return [f"status {status} is not documented for {self.operation_id}"]
        validator = self._response_validators.get(status)
        if validator is None:
            return []
        return [
            f"{'/'.join(map(str, e.instance_path)) or 'body'}: {e.message}"
            for e in validator.iter_errors(body)
        ]


@dataclass(frozen=True)
class Spec:
    document: Mapping[str, Any]  # every $ref inlined
    source: Path | None = None
    operations: tuple[Operation, ...] = field(default=())

    @cached_property
    def by_id(self) -> dict[str, Operation]:
        return {op.operation_id: op for op in self.operations}

    @cached_property
    def by_path(self) -> dict[str, dict[str, Operation]]:
        paths: dict[str, dict[str, Operation]] = {}
        for op in self.operations:
            paths.setdefault(op.path, {})[op.method] = op
        return paths

    @cached_property
    def max_header_bytes(self) -> int:
        """`x-max-header-bytes`: the most header bytes a request may send (431 beyond)."""
        limit = self.document.get("x-max-header-bytes", DEFAULT_MAX_HEADER_BYTES)
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1024:
            raise SpecError(f"x-max-header-bytes must be an integer of at least 1024, not {limit!r}")
        return limit

    def operation(self, operation_id: str) -> Operation:
        try:
            return self.by_id[operation_id]
        except KeyError:
            raise SpecError(f"the spec has no operation {operation_id!r}") from None

    def schema(self, name: str) -> Schema:
        try:
            schema: Schema = self.document["components"]["schemas"][name]
        except KeyError:
            raise SpecError(f"the spec has no schema components.schemas.{name}") from None
        return schema


def compile_schema(schema: Schema) -> jsonschema_rs.Validator:
    # OpenAPI 3.1 schemas are JSON Schema 2020-12. jsonschema-rs uses ECMA-262-like
    # regexes, so `$` never matches before a trailing newline (Python's `re` would).
    # Formats are asserted (`email`), as schema-driven clients and testers expect.
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


def load_spec(path: Path | str = DEFAULT_SPEC_PATH) -> Spec:
    """The spec at `path` (default: the packaged openapi.yaml); SpecError says what is wrong."""
    path = Path(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
    except FileNotFoundError:
        raise SpecError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SpecError(f"{path}: cannot read the spec: {exc}") from None
    return parse_spec(raw, source=path)


def parse_spec(raw: Any, *, source: Path | None = None) -> Spec:
    """A spec from an already parsed OpenAPI 3.1 document ($refs are inlined here)."""
    where = str(source or "<spec>")
    if not isinstance(raw, dict) or not str(raw.get("openapi", "")).startswith("3.1"):
        raise SpecError(f"{where}: not an OpenAPI 3.1 document")
    try:
        document = jsonschema_rs.dereference(raw, offline=True)
    except (jsonschema_rs.ReferencingError, ValueError) as exc:  # ValueError: a dangling `#/...` pointer
        raise SpecError(f"{where}: unresolvable $ref: {exc}") from None
    operations = tuple(_operations(document, where))
    if not operations:
        raise SpecError(f"{where}: the spec has no operations")
    return Spec(document=document, source=source, operations=operations)


def _operations(document: Mapping[str, Any], where: str) -> list[Operation]:
    operations = []
    for path, item in (document.get("paths") or {}).items():
        shared = item.get("parameters", [])
        for method in HTTP_METHODS:
            op = item.get(method)
            if op is None:
                continue
            if "operationId" not in op:
                raise SpecError(f"{where}: {method.upper()} {path} has no operationId")
            params = {(p["name"], p["in"]): p for p in [*shared, *op.get("parameters", [])]}
            operations.append(
                Operation(
                    operation_id=op["operationId"],
                    method=method.upper(),
                    path=path,
                    parameters=tuple(
                        Parameter(
                            name=p["name"],
                            location=p["in"],
                            required=bool(p.get("required", False)),
                            schema=p.get("schema", {}),
                            well_formed=p.get("x-well-formed"),
                        )
                        for p in params.values()
                    ),
                    request_body=_request_body(op.get("requestBody")),
                    responses=op.get("responses", {}),
                )
            )
    return operations


def _request_body(body: Mapping[str, Any] | None) -> RequestBody | None:
    if body is None:
        return None
    content = body.get("content", {})
    json_types = [t for t in content if is_json_media_type(t)]
    schema = content[json_types[0]].get("schema", {}) if json_types else {}
    max_bytes = body.get("x-max-body-bytes")
    return RequestBody(
        schema=schema,
        media_types=tuple(content),
        required=bool(body.get("required", False)),
        max_bytes=int(max_bytes) if max_bytes is not None else None,
    )


_JSON_TYPE = re.compile(r"^application/(?:[\w.+-]+\+)?json$")


def is_json_media_type(media_type: str) -> bool:
    """`application/json` or any `application/*+json` (RFC 6839 structured suffix)."""
    return bool(_JSON_TYPE.match(media_type.strip().lower()))
