"""The contract document itself: valid OpenAPI 3.1, examples that fit their schemas."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest
import yaml
from openapi_spec_validator import validate

from mock_server import DEFAULT_SPEC_PATH, load_spec

RAW = yaml.safe_load(DEFAULT_SPEC_PATH.read_text(encoding="utf-8"))
SPEC = load_spec()


def test_the_spec_is_valid_openapi_3_1() -> None:
    validate(RAW)


def test_the_five_documented_operations_are_there() -> None:
    assert {(op.operation_id, op.method, op.path) for op in SPEC.operations} == {
        ("listContacts", "GET", "/api/v1/crm/contacts"),
        ("createContact", "POST", "/api/v1/crm/contacts"),
        ("getContact", "GET", "/api/v1/crm/contacts/{id}"),
        ("updateContact", "PATCH", "/api/v1/crm/contacts/{id}"),
        ("deleteContact", "DELETE", "/api/v1/crm/contacts/{id}"),
    }


def _examples() -> list[tuple[str, dict[str, Any], Any]]:
    found = []
    for path, item in SPEC.document["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            bodies = [("request", op.get("requestBody", {}))]
            bodies += [(status, response) for status, response in op["responses"].items()]
            for where, holder in bodies:
                for media in holder.get("content", {}).values():
                    named = media.get("examples", {})
                    values = [(name, ex["value"]) for name, ex in named.items()]
                    if "example" in media:
                        values.append(("example", media["example"]))
                    for name, value in values:
                        found.append((f"{method.upper()} {path} {where} {name}", media["schema"], value))
    return found


@pytest.mark.parametrize(("where", "schema", "value"), _examples(), ids=[e[0] for e in _examples()])
def test_every_example_fits_its_schema(where: str, schema: dict[str, Any], value: Any) -> None:
    errors = [
        e.message
        for e in jsonschema_rs.Draft202012Validator(schema, validate_formats=True).iter_errors(value)
    ]
    assert errors == [], f"{where}: {errors}"


def test_every_error_status_is_documented_with_the_error_shape() -> None:
    for op in SPEC.operations:
        for status, response in op.responses.items():
            if status.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                assert "error" in schema["required"], (op.operation_id, status)


def test_create_links_to_get_update_and_delete() -> None:
    links = SPEC.operation("createContact").responses["201"]["links"]
    assert {link["operationId"] for link in links.values()} == {
        "getContact",
        "updateContact",
        "deleteContact",
    }


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(value) for value in node))
    return set()


def test_every_component_is_used() -> None:
    # An unused schema becomes a dead type in every generated client.
    refs = _refs(RAW)
    unused = [
        f"#/components/{kind}/{name}"
        for kind, members in RAW["components"].items()
        if kind != "securitySchemes"  # used by name in `security`, not by $ref
        for name in members
        if f"#/components/{kind}/{name}" not in refs
    ]
    assert unused == []


def test_the_id_path_parameter_is_open_and_names_its_well_formed_ids() -> None:
    # The contract answers a malformed id 404, so the parameter's schema must not refuse it
    # (spec-driven validators would answer 400/422); `x-well-formed` carries the id rule.
    parameter = RAW["components"]["parameters"]["ContactIdPath"]
    assert parameter["schema"] == {"type": "string"}
    assert parameter["x-well-formed"] == {"$ref": "#/components/schemas/ContactId"}
