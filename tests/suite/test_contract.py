"""The suite's contract data comes from openapi.yaml, and the suite follows an edited spec."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from contract_tests import contract
from contract_tests.contract import Bounds, ContractError
from contract_tests.settings import SPEC_PATH
from mock_server.modifiers import EditSpec, build_app

from .nested import run_suite_in_process


def test_the_contract_read_from_the_spec() -> None:
    """The one pinning test: every number and name the suite reads, as the shipped spec says."""
    pinned = contract.default()
    assert pinned.collection_path == "/api/v1/crm/contacts"
    assert pinned.item_path == "/api/v1/crm/contacts/{id}"
    assert pinned.contact_path("cont_x") == "/api/v1/crm/contacts/cont_x"
    assert pinned.cookie_name == "better-auth.session_token"
    assert pinned.limit == Bounds(default=50, minimum=1, maximum=200)
    assert pinned.offset == Bounds(default=0, minimum=0, maximum=None)
    assert (pinned.sorts, pinned.default_sort) == (("created_at", "name"), "created_at")
    assert (pinned.orders, pinned.default_order) == (("asc", "desc"), "desc")
    assert pinned.max_body_bytes == 65536
    assert pinned.max_lengths == {
        "first_name": 100,
        "last_name": 100,
        "email": 254,
        "phone": 32,
        "position": 100,
        "note": 2000,
    }
    assert pinned.error_codes == {
        400: "validation_error",
        401: "unauthorized",
        404: "not_found",
        405: "method_not_allowed",
        413: "payload_too_large",
        415: "unsupported_media_type",
        431: "headers_too_large",
    }
    assert pinned.contact_id.pattern == "^cont_[0-9a-f]{32}$"
    assert pinned.location.pattern == "^/api/v1/crm/contacts/cont_[0-9a-f]{32}$"
    assert pinned.contact_fields == (
        "id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "position",
        "company_id",
        "note",
        "created_at",
        "updated_at",
    )
    assert pinned.required_fields == ("first_name", "last_name")
    assert pinned.optional_fields == ("email", "phone", "position", "company_id", "note")
    assert pinned.timestamp.match("2026-01-20T10:00:00.123Z") and not pinned.timestamp.match(
        "2026-01-20T10:00:00+00:00"
    )
    assert pinned.statuses["createContact"] == (201, 400, 401, 413, 415, 431)


def _spec() -> dict[str, Any]:
    return copy.deepcopy(contract.read_spec(SPEC_PATH))


def test_an_edited_spec_changes_the_contract() -> None:
    document = _spec()
    document["components"]["parameters"]["Limit"]["schema"]["maximum"] = 250
    for body in document["components"]["requestBodies"].values():
        body["x-max-body-bytes"] = 1024
    edited = contract.load(document)
    assert (edited.max_limit, edited.max_body_bytes) == (250, 1024)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["paths"].pop("/api/v1/crm/contacts"), "no operation listContacts, createContact"),
        (
            lambda d: d["components"]["parameters"]["Limit"]["schema"].pop("maximum"),
            "'limit' needs a maximum",
        ),
        (
            lambda d: d["components"]["requestBodies"]["UpdateContact"].update({"x-max-body-bytes": 10}),
            "one x-max-body-bytes",
        ),
        (lambda d: d["components"]["securitySchemes"].pop("sessionCookie"), "one cookie security scheme"),
    ],
    ids=["no-collection", "unbounded-limit", "two-body-limits", "no-cookie"],
)
def test_a_spec_without_what_the_suite_reads_is_a_clear_error(edit: Any, message: str) -> None:
    document = _spec()
    edit(document)
    with pytest.raises(ContractError, match=re.escape(message)):
        contract.load(document)


def test_the_suite_follows_a_spec_whose_maximum_limit_is_250(tmp_path: Path) -> None:
    """`maximum: 200` -> 250 in a copy of the spec: the mock serves it, the listing tests stay green."""
    text = SPEC_PATH.read_text(encoding="utf-8")
    assert text.count("maximum: 200") >= 1
    spec = tmp_path / "openapi.yaml"
    spec.write_text(text.replace("maximum: 200", "maximum: 250"), encoding="utf-8")
    result = run_suite_in_process(["contract_tests/test_listing.py", "--spec", str(spec), "-vv"])
    assert result.exit_code == 0, result.output[-6000:]
    # The suite tested the edited bounds, not the shipped ones.
    assert "test_limits_in_range_are_accepted_and_echoed[250]" in result.output
    assert "test_limits_out_of_range_are_rejected[251]" in result.output
    assert "test_limits_in_range_are_accepted_and_echoed[200]" not in result.output


def mock_with_limit_250() -> Any:
    """The mock serving a spec whose limit maximum is 250 (an --app factory for the test below)."""

    def edit(document: dict[str, Any]) -> None:
        document["components"]["parameters"]["Limit"]["schema"]["maximum"] = 250

    return build_app(EditSpec(edit))


def test_the_same_server_fails_against_the_shipped_spec() -> None:
    """The check above is not vacuous: judged by the shipped spec, accepting limit=201 is a violation."""
    result = run_suite_in_process(
        [
            "contract_tests/test_listing.py",
            "--app",
            "tests.suite.test_contract:mock_with_limit_250",
            "-k",
            "test_limits_out_of_range_are_rejected and 201",
        ]
    )
    assert result.exit_code == 1, result.output[-6000:]
    assert "Contract violated [limit-bounds]" in result.output, result.output[-6000:]
