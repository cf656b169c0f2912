"""Schema-valid random data for `Prefer: dynamic=true`.

Covers the JSON Schema the spec uses (objects, arrays, strings with patterns
and lengths, integers, booleans, const, enum, nullable type lists); patterns
are expanded by `rstr`. Every result is checked against its schema.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import rstr

from .spec import Schema, compile_schema

_WORDS = ["太郎", "花子", "山田", "佐藤", "Emily", "Carter", "部長", "営業部", "Tokyo", "note"]


def synthesize(schema: Schema, rng: random.Random | None = None, *, attempts: int = 20) -> Any:
    rng = rng or random.Random()
    validator = compile_schema(schema)
    for _ in range(attempts):
        value = _value(schema, rng, depth=0)
        if validator.is_valid(value):
            return value
    raise ValueError("could not generate a value for this schema")


def _value(schema: Schema, rng: random.Random, depth: int) -> Any:
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return rng.choice(schema["enum"])
    types = schema.get("type", "object")
    if isinstance(types, list):
        # mostly the non-null branch, so generated data looks filled in
        non_null = [t for t in types if t != "null"]
        types = rng.choice(non_null) if non_null and rng.random() < 0.8 else "null"
    if types == "null":
        return None
    if types == "object":
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        return {
            name: _value(sub, rng, depth + 1)
            for name, sub in props.items()
            if name in required or rng.random() < 0.5
        }
    if types == "array":
        count = rng.randint(schema.get("minItems", 0), min(schema.get("maxItems", 3), 3 if depth < 2 else 1))
        return [_value(schema.get("items", {}), rng, depth + 1) for _ in range(count)]
    if types == "integer":
        low = schema.get("minimum", 0)
        return rng.randint(low, schema.get("maximum", low + 100))
    if types == "boolean":
        return rng.random() < 0.5
    return _string(schema, rng)


def _string(schema: Schema, rng: random.Random) -> str:
    fmt = schema.get("format")
    if fmt == "date-time":
        moment = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randint(0, 60_000_000))
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if fmt == "email":
        return f"{rng.choice(['taro', 'hanako', 'emily.carter', 'sales'])}{rng.randint(1, 999)}@example.com"
    if "pattern" in schema:
        return str(rstr.xeger(schema["pattern"]))
    low, high = schema.get("minLength", 1), min(schema.get("maxLength", 40), 40)
    text = rng.choice(_WORDS)
    while len(text) < low:
        text += rng.choice(_WORDS)
    return text[: max(high, low)]
