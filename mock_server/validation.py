"""Turn raw request parts into validated values, or a ValidationFailed.

Types, bounds, patterns, defaults and the accepted media types all come from
the operation in the spec; this module only knows how HTTP carries them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import jsonschema_rs

from .errors import FieldError, UnsupportedMediaType, ValidationFailed
from .spec import Operation, RequestBody, Schema, is_json_media_type

_INTEGER = re.compile(r"-?[0-9]+")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_MAX_SHOWN = 40  # characters of a bad value quoted back in a message


def parse_query(operation: Operation, items: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The operation's query parameters, typed, validated, defaults filled in.

    Unknown parameters are ignored; a repeated one counts with its first value.
    """
    known = operation.query_parameters
    raw: dict[str, str] = {}
    for name, value in items:
        if name in known and name not in raw:
            raw[name] = value
    values = {name: coerce(value, known[name].schema) for name, value in raw.items()}
    if (values or operation.query_schema["required"]) and not operation.query_validator.is_valid(values):
        errors = details(operation.query_validator, operation.query_schema, values)
        raise ValidationFailed("Invalid query parameters.", details=errors)
    return {**operation.query_defaults, **values}


def coerce(value: str, schema: Schema) -> Any:
    """A query string value as the type its schema wants; left a string if it isn't one.

    Strict on purpose: `int()` would take ` 5`, `+5` and `5_0`, none of which is
    an integer in a URL. A value left as a string fails the schema's `type`.
    """
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    if "integer" in types and _INTEGER.fullmatch(value):
        return _int(value)
    if "number" in types and _NUMBER.fullmatch(value):
        return float(value) if any(c in value for c in ".eE") else _int(value)
    if "boolean" in types and value in ("true", "false"):
        return value == "true"
    return value


def _int(value: str) -> int | str:
    """`int(value)`, or `value` itself past Python's 4300-digit limit (a string fails `type`)."""
    sign, digits = ("-", value[1:]) if value.startswith("-") else ("", value)
    try:
        return int(sign + (digits.lstrip("0") or "0"))
    except ValueError:
        return value


def check_media_type(body: RequestBody, content_type: str | None) -> None:
    # Clients send the same one or two Content-Types again and again: the verdict is remembered.
    verdicts = body.media_type_verdicts
    refusal = verdicts.get(content_type)
    if refusal is None:
        refusal = _media_type_refusal(body, content_type)
        if len(verdicts) < _MAX_VERDICTS:
            verdicts[content_type] = refusal
    if refusal:
        raise UnsupportedMediaType(refusal)


_MAX_VERDICTS = 64


def _media_type_refusal(body: RequestBody, content_type: str | None) -> str:
    """Why `content_type` is refused ("" when it is accepted)."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    accepted = {t.lower() for t in body.media_types}
    json_ok = any(is_json_media_type(t) for t in accepted) and is_json_media_type(media_type)
    if media_type in accepted or json_ok:
        return ""
    shown = f"'{media_type}'" if media_type else "missing"
    return f"Content-Type is {shown}; send {' or '.join(sorted(accepted))}."


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# What json.loads(text, parse_constant=_reject_constant) builds on every call, built once.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
# What json.dumps(value, ensure_ascii=False) builds on every call: raises on a lone surrogate
# only when its text is encoded.
_ENCODER = json.JSONEncoder(ensure_ascii=False)
# The detail of every refusal of the body as a whole that is not JSON (wording: the contract
# pins the empty `field`, not the message).
MALFORMED = "malformed JSON"


def parse_json(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            f"The body is not valid UTF-8 (byte {exc.start}).",
            details=[FieldError("", "not valid UTF-8")],
        ) from None
    try:
        if text.startswith("\ufeff"):  # as json.loads refuses it, message and all
            raise ValueError("Unexpected UTF-8 BOM (decode using utf-8-sig) at line 1 column 1")
        value = _DECODER.decode(text)
        # A `\ud800` escape decodes to a lone surrogate: not text, and unencodable later.
        if _SURROGATE_ESCAPE.search(text):
            _ENCODER.encode(value).encode()
        if _too_deep(text, value):
            raise RecursionError
        return value
    except (ValueError, RecursionError) as exc:  # also NaN/Infinity, 4300+ digit ints, deep nesting
        message = _malformed_message(exc)  # wording only: not mutated (pyproject.toml)
        raise ValidationFailed(message, details=[FieldError("", MALFORMED)]) from None


def _malformed_message(exc: Exception) -> str:
    """Why the body is not JSON, in words (UnicodeEncodeError and JSONDecodeError are ValueErrors)."""
    if isinstance(exc, UnicodeEncodeError):
        return "Malformed JSON: a \\u escape is a lone surrogate, not a character."
    if isinstance(exc, json.JSONDecodeError):
        return f"Malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}."
    reason = f"nested deeper than {MAX_DEPTH} levels" if isinstance(exc, RecursionError) else str(exc)
    return f"Malformed JSON: {reason}."


# No request body of this API nests; deep nesting only ever costs the validator's stack.
MAX_DEPTH = 32


def _too_deep(text: str, value: Any) -> bool:
    """Nested deeper than MAX_DEPTH. Nesting needs at least that many brackets; most bodies have one."""
    return text.count("{") + text.count("[") > MAX_DEPTH and _depth(value) > MAX_DEPTH


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(node, dict):
            stack.extend((child, level + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, level + 1) for child in node)
    return deepest


def validate_body(body: RequestBody, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValidationFailed(
            "The body must be a JSON object.",
            details=[FieldError("", f"expected an object, got {_json_type(data)}")],
        )
    if not body.validator.is_valid(data):  # is_valid is the fast path; details only on failure
        raise ValidationFailed("Invalid request body.", details=details(body.validator, body.schema, data))
    return data


def details(validator: jsonschema_rs.Validator, schema: Schema, instance: Any) -> list[FieldError]:
    """Every schema violation as a FieldError, worded for people, values shortened."""
    found: list[FieldError] = []
    for error in validator.iter_errors(instance):
        found.extend(_field_errors(error, schema))
    return sorted(set(found), key=lambda e: (e.field, e.message))


def _field_errors(error: jsonschema_rs.ValidationError, schema: Schema) -> list[FieldError]:
    kind = error.kind.as_dict()
    name = type(error.kind).__name__
    path = ".".join(str(p) for p in error.instance_path)
    if name == "AdditionalProperties":
        return [FieldError(_join(path, f), "unknown field") for f in kind["unexpected"]]
    if name == "Required":
        return [FieldError(_join(path, kind["property"]), "is required")]
    return [FieldError(path, _message(name, kind, error, schema))]


def _message(name: str, kind: Mapping[str, Any], error: Any, schema: Schema) -> str:
    if name == "Type":
        return f"must be {' or '.join(_TYPE_WORDS.get(t, t) for t in kind['types'])}"
    if name == "MaxLength":
        return f"must be at most {kind['limit']} characters"
    if name == "MinLength":
        return f"must be at least {kind['limit']} characters"
    if name == "Maximum":
        return f"must be at most {kind['limit']}"
    if name == "Minimum":
        return f"must be at least {kind['limit']}"
    if name == "Enum":
        return f"must be one of: {', '.join(map(str, kind['options']))}"
    if name == "Const":
        return f"must be {json.dumps(kind.get('expected_value'))}"
    if name == "Pattern":
        rule = _subschema(schema, error.schema_path[:-1]).get("description", "")
        shown = _shorten(error.instance)
        return f"{shown} is not valid" + (f": {rule.strip()}" if rule else "")
    return "is not valid"


_TYPE_WORDS = {
    "string": "a string",
    "null": "null",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "an array",
}


def _subschema(schema: Schema, path: Sequence[Any]) -> Schema:
    node: Any = schema
    for step in path:
        node = node[step]
    return node if isinstance(node, dict) else {}


def _shorten(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array"}[
        type(value)
    ]
