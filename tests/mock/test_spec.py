"""spec.py: openapi.yaml turned into operations, parameters and bodies; bad specs refused."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from contract_tests.contract import default as contract
from mock_server import DEFAULT_SPEC_PATH, MockState, SpecError, create_app, load_spec
from mock_server.spec import Spec, is_json_media_type, parse_spec

COLLECTION = "/api/v1/crm/contacts"
ITEM = "/api/v1/crm/contacts/{id}"


def test_load_spec_reads_the_shipped_contract(spec: Spec) -> None:
    assert spec.source == DEFAULT_SPEC_PATH
    assert spec.document["openapi"] == "3.1.0"
    assert "$ref" not in repr(spec.document)  # every reference is inlined


def test_five_operations(spec: Spec) -> None:
    assert sorted((op.operation_id, op.method, op.path) for op in spec.operations) == [
        ("createContact", "POST", COLLECTION),
        ("deleteContact", "DELETE", ITEM),
        ("getContact", "GET", ITEM),
        ("listContacts", "GET", COLLECTION),
        ("updateContact", "PATCH", ITEM),
    ]


def test_operations_by_path(spec: Spec) -> None:
    assert {path: sorted(ops) for path, ops in spec.by_path.items()} == {
        COLLECTION: ["GET", "POST"],
        ITEM: ["DELETE", "GET", "PATCH"],
    }


@pytest.mark.parametrize(
    ("operation_id", "statuses"),
    [
        ("listContacts", (200, 400, 401, 431)),
        ("createContact", (201, 400, 401, 413, 415, 431)),
        ("getContact", (200, 401, 404, 431)),
        ("updateContact", (200, 400, 401, 404, 413, 415, 431)),
        ("deleteContact", (200, 401, 404, 431)),
    ],
)
def test_documented_statuses(spec: Spec, operation_id: str, statuses: tuple[int, ...]) -> None:
    assert spec.operation(operation_id).documented_statuses == statuses


def test_query_parameters_and_defaults_come_from_the_spec(spec: Spec) -> None:
    params = spec.operation("listContacts").parameters_in("query")
    assert [(p.name, p.required, p.default) for p in params] == [
        ("limit", False, 50),
        ("offset", False, 0),
        ("search", False, None),
        ("company_id", False, None),
        ("sort", False, "created_at"),
        ("order", False, "desc"),
    ]
    declared = spec.document["components"]["parameters"]
    assert params[0].schema == declared["Limit"]["schema"]
    assert params[0].schema == {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}
    assert spec.operation("listContacts").query_schema["required"] == []


def test_query_defaults_follow_an_edited_spec(spec: Spec) -> None:
    raw = copy.deepcopy(dict(spec.document))
    raw["paths"][COLLECTION]["get"]["parameters"][0]["schema"]["default"] = 25
    edited = parse_spec(raw)
    assert edited.operation("listContacts").parameters_in("query")[0].default == 25


@pytest.mark.parametrize("operation_id", ["createContact", "updateContact"])
def test_request_bodies(spec: Spec, operation_id: str) -> None:
    body = spec.operation(operation_id).request_body
    assert body is not None
    assert body.max_bytes == contract().max_body_bytes  # x-max-body-bytes, as the suite reads it
    assert body.media_types == ("application/json",)
    assert body.required is True
    assert body.schema["additionalProperties"] is False


@pytest.mark.parametrize("operation_id", ["listContacts", "getContact", "deleteContact"])
def test_operations_without_a_body(spec: Spec, operation_id: str) -> None:
    assert spec.operation(operation_id).request_body is None


def test_body_without_a_size_limit(spec: Spec) -> None:
    raw = copy.deepcopy(dict(spec.document))
    del raw["paths"][COLLECTION]["post"]["requestBody"]["x-max-body-bytes"]
    body = parse_spec(raw).operation("createContact").request_body
    assert body is not None and body.max_bytes is None


@pytest.mark.parametrize(
    ("contact_id", "valid"),
    [
        ("cont_" + "b" * 32, True),
        ("cont_" + "0123456789abcdef" * 2, True),
        ("cont_" + "B" * 32, False),
        ("cont_" + "b" * 31, False),
        ("cont_" + "b" * 33, False),
        ("comp_" + "b" * 32, False),
        ("cont_" + "b" * 32 + "\n", False),
        ("", False),
    ],
)
@pytest.mark.parametrize("operation_id", ["getContact", "updateContact", "deleteContact"])
def test_path_id_validators(spec: Spec, operation_id: str, contact_id: str, valid: bool) -> None:
    validators = spec.operation(operation_id).path_validators
    assert list(validators) == ["id"]
    assert validators["id"].is_valid(contact_id) is valid


def test_lookups_of_missing_names_raise_spec_error(spec: Spec) -> None:
    with pytest.raises(SpecError, match="the spec has no operation 'nope'"):
        spec.operation("nope")
    with pytest.raises(SpecError, match=r"the spec has no schema components\.schemas\.Nope"):
        spec.schema("Nope")
    assert spec.schema("Contact")["required"][0] == "id"


def minimal(**overrides: Any) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/x": {"get": {"operationId": "x", "responses": {"200": {"description": "ok"}}}}},
        **overrides,
    }


def test_minimal_spec_parses() -> None:
    parsed = parse_spec(minimal())
    assert [(op.operation_id, op.method, op.path) for op in parsed.operations] == [("x", "GET", "/x")]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (minimal(openapi="3.0.3"), "api.yaml: not an OpenAPI 3.1 document"),
        ({"swagger": "2.0"}, "api.yaml: not an OpenAPI 3.1 document"),
        ([], "api.yaml: not an OpenAPI 3.1 document"),
        (None, "api.yaml: not an OpenAPI 3.1 document"),
        (minimal(paths={}), "api.yaml: the spec has no operations"),
        ({"openapi": "3.1.0"}, "api.yaml: the spec has no operations"),
        (
            minimal(paths={"/x": {"get": {"operationId": "x", "responses": {"200": {"$ref": "#/nope"}}}}}),
            "api.yaml: unresolvable $ref: ",
        ),
        (
            minimal(paths={"/x": {"$ref": "#/components/pathItems/missing"}}),
            "api.yaml: unresolvable $ref: ",
        ),
        (
            minimal(paths={"/x": {"get": {"operationId": "x", "responses": {"$ref": "other.yaml#/r"}}}}),
            "api.yaml: unresolvable $ref: ",
        ),
        (
            minimal(paths={"/x": {"get": {"responses": {"200": {"description": "ok"}}}}}),
            "api.yaml: GET /x has no operationId",
        ),
    ],
)
def test_parse_spec_refuses_bad_input(raw: Any, message: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec(raw, source=Path("api.yaml"))
    assert str(caught.value).startswith(message)


def test_parse_spec_names_an_unknown_source() -> None:
    with pytest.raises(SpecError, match=r"^<spec>: not an OpenAPI 3\.1 document$"):
        parse_spec({})


def test_load_spec_of_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    with pytest.raises(SpecError) as caught:
        load_spec(missing)
    assert str(caught.value) == f"{missing}: no such file"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"openapi: [3.1", "cannot read the spec: "),
        (b"\xff\xfe not utf-8", "cannot read the spec: "),
        (b"openapi: 3.0.3\n", "not an OpenAPI 3.1 document"),
        (b"", "not an OpenAPI 3.1 document"),
    ],
)
def test_load_spec_of_a_bad_file(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "openapi.yaml"
    path.write_bytes(content)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert str(caught.value).startswith(f"{path}: {message}")


def test_load_spec_of_a_directory(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read the spec"):
        load_spec(tmp_path)


def test_create_app_refuses_an_operation_without_a_handler() -> None:
    with pytest.raises(SpecError, match="the spec's operation 'x' has no handler"):
        create_app(MockState.seeded(parse_spec(minimal()), None))


@pytest.mark.parametrize(
    ("media_type", "is_json"),
    [
        ("application/json", True),
        ("APPLICATION/JSON", True),
        (" application/json ", True),
        ("application/merge-patch+json", True),
        ("application/vnd.api+json", True),
        ("application/problem+json", True),
        ("application/vnd.example.v1+json", True),
        ("application/jsonx", False),
        ("application/json; charset=utf-8", False),  # parameters are the caller's to strip
        ("application/+json", False),
        ("application/json+xml", False),
        ("text/json", False),
        ("text/plain", False),
        ("multipart/form-data", False),
        ("application/x-www-form-urlencoded", False),
        ("json", False),
        ("", False),
    ],
)
def test_is_json_media_type(media_type: str, is_json: bool) -> None:
    assert is_json_media_type(media_type) is is_json
