"""validation.py: query strings, media types, JSON bodies and body fields as the spec says."""

from __future__ import annotations

from typing import Any

import pytest

from mock_server.errors import FieldError, UnsupportedMediaType, ValidationFailed
from mock_server.spec import RequestBody, Spec
from mock_server.validation import check_media_type, coerce, parse_json, parse_query, validate_body

INTEGER = {"type": "integer"}
DEFAULTS = {"limit": 50, "offset": 0, "sort": "created_at", "order": "desc"}
NAME_RULE = (
    "1 to 100 characters after trimming leading and trailing white space, and not\n"
    "white space only. Stored trimmed."
)
EMAIL_RULE = "A valid email address of at most 254 characters (ASCII, with a dotted domain), or null (unset)."


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5),
        ("0", 0),
        ("-3", -3),
        ("-0", 0),
        ("200", 200),
        ("007", 7),
        ("0" * 5000 + "7", 7),  # leading zeros do not count toward Python's 4300-digit limit
        ("9" * 30, 10**30 - 1),
        ("1" * 5000, "1" * 5000),  # past the limit: left a string, so the schema says 400
        (" 5", " 5"),  # int() would take all of these; a URL would not
        ("5 ", "5 "),
        ("+5", "+5"),
        ("5_0", "5_0"),
        ("1.0", "1.0"),
        ("1.5", "1.5"),
        ("1e3", "1e3"),
        ("0x10", "0x10"),
        ("٣", "٣"),  # a non-ASCII digit
        ("5\n", "5\n"),
        ("-", "-"),
        ("", ""),
        ("abc", "abc"),
    ],
)
def test_coerce_integer(value: str, expected: Any) -> None:
    coerced = coerce(value, INTEGER)
    assert coerced == expected and type(coerced) is type(expected)


@pytest.mark.parametrize(
    ("value", "schema", "expected"),
    [
        ("5", {"type": "string"}, "5"),
        ("5", {"type": ["integer", "null"]}, 5),
        ("5", {}, "5"),
        ("1.5", {"type": "number"}, 1.5),
        ("2", {"type": "number"}, 2),
        ("-2e3", {"type": "number"}, -2000.0),
        ("1.", {"type": "number"}, "1."),
        ("true", {"type": "boolean"}, True),
        ("false", {"type": "boolean"}, False),
        ("True", {"type": "boolean"}, "True"),
        ("1", {"type": "boolean"}, "1"),
    ],
)
def test_coerce_other_types(value: str, schema: dict[str, Any], expected: Any) -> None:
    coerced = coerce(value, schema)
    assert coerced == expected and type(coerced) is type(expected)


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([], DEFAULTS),
        ([("limit", "5")], {**DEFAULTS, "limit": 5}),
        ([("foo", "bar"), ("LIMIT", "abc")], DEFAULTS),  # unknown (and case-different) names ignored
        ([("limit", "5"), ("limit", "abc")], {**DEFAULTS, "limit": 5}),  # the first value counts
        ([("limit", "5"), ("limit", "7")], {**DEFAULTS, "limit": 5}),
        ([("order", "asc"), ("order", "x")], {**DEFAULTS, "order": "asc"}),
        (
            [("limit", "1"), ("offset", "10"), ("sort", "name"), ("order", "asc")],
            {"limit": 1, "offset": 10, "sort": "name", "order": "asc"},
        ),
        ([("limit", "200"), ("offset", "0")], {**DEFAULTS, "limit": 200}),
        ([("search", ""), ("company_id", "")], {**DEFAULTS, "search": "", "company_id": ""}),
        (
            [("search", "山田 太郎"), ("company_id", "comp_" + "a" * 32)],
            {**DEFAULTS, "search": "山田 太郎", "company_id": "comp_" + "a" * 32},
        ),
    ],
)
def test_parse_query(spec: Spec, items: list[tuple[str, str]], expected: dict[str, Any]) -> None:
    assert parse_query(spec.operation("listContacts"), items) == expected


@pytest.mark.parametrize(
    ("items", "details"),
    [
        ([("limit", "abc"), ("limit", "5")], [FieldError("limit", "must be an integer")]),
        ([("limit", "0")], [FieldError("limit", "must be at least 1")]),
        ([("limit", "201")], [FieldError("limit", "must be at most 200")]),
        ([("limit", "1.5")], [FieldError("limit", "must be an integer")]),
        ([("limit", "")], [FieldError("limit", "must be an integer")]),
        ([("offset", "-1")], [FieldError("offset", "must be at least 0")]),
        ([("offset", "x")], [FieldError("offset", "must be an integer")]),
        ([("sort", "x")], [FieldError("sort", "must be one of: created_at, name")]),
        ([("sort", "")], [FieldError("sort", "must be one of: created_at, name")]),
        ([("order", "DESC")], [FieldError("order", "must be one of: asc, desc")]),
        ([("company_id", "comp_x")], [FieldError("company_id", '"comp_x" is not valid')]),
        (
            [("limit", "abc"), ("offset", "-1"), ("sort", "x"), ("order", "y"), ("company_id", "z")],
            [
                FieldError("company_id", '"z" is not valid'),
                FieldError("limit", "must be an integer"),
                FieldError("offset", "must be at least 0"),
                FieldError("order", "must be one of: asc, desc"),
                FieldError("sort", "must be one of: created_at, name"),
            ],
        ),
    ],
)
def test_parse_query_lists_every_error(
    spec: Spec, items: list[tuple[str, str]], details: list[FieldError]
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_query(spec.operation("listContacts"), items)
    assert caught.value.message == "Invalid query parameters."
    assert list(caught.value.details) == details


def test_long_bad_values_are_shortened_in_messages(spec: Spec) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_query(spec.operation("listContacts"), [("company_id", "x" * 500)])
    assert caught.value.details == (FieldError("company_id", '"' + "x" * 38 + "… is not valid"),)


@pytest.fixture
def body(spec: Spec) -> RequestBody:
    request_body = spec.operation("createContact").request_body
    assert request_body is not None
    return request_body


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        "APPLICATION/JSON",
        " application/json ",
        "application/merge-patch+json",
        "application/vnd.api+json",
        "application/vnd.api+json; ext=bulk",
    ],
)
def test_check_media_type_accepts_json(body: RequestBody, content_type: str) -> None:
    check_media_type(body, content_type)


@pytest.mark.parametrize(
    ("content_type", "message"),
    [
        (None, "Content-Type is missing; send application/json."),
        ("", "Content-Type is missing; send application/json."),
        ("text/plain", "Content-Type is 'text/plain'; send application/json."),
        ("text/json", "Content-Type is 'text/json'; send application/json."),
        ("application/jsonx", "Content-Type is 'application/jsonx'; send application/json."),
        ("application/x-json", "Content-Type is 'application/x-json'; send application/json."),
        ("application/xml", "Content-Type is 'application/xml'; send application/json."),
        ("Multipart/Form-Data; boundary=x", "Content-Type is 'multipart/form-data'; send application/json."),
        (
            "application/x-www-form-urlencoded",
            "Content-Type is 'application/x-www-form-urlencoded'; send application/json.",
        ),
    ],
)
def test_check_media_type_rejects_the_rest(body: RequestBody, content_type: str | None, message: str) -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        check_media_type(body, content_type)
    assert (caught.value.status, caught.value.code, caught.value.message) == (
        415,
        "unsupported_media_type",
        message,
    )


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (b"{}", {}),
        (b' {"first_name": "\xe5\xa4\xaa\xe9\x83\x8e"} ', {"first_name": "太郎"}),
        (b'{"a": "\\ud83d\\ude00"}', {"a": "😀"}),  # a surrogate pair is one character
        (b"[]", []),
        (b"null", None),
        (b'"x"', "x"),
        (b'{"a": ' + b"1" * 4000 + b"}", {"a": int("1" * 4000)}),
    ],
)
def test_parse_json_accepts_json(raw: bytes, value: Any) -> None:
    assert parse_json(raw) == value


def test_parse_json_accepts_moderate_nesting() -> None:
    parsed = parse_json(b"[" * 32 + b"]" * 32)
    for _ in range(31):
        assert isinstance(parsed, list) and len(parsed) == 1
        parsed = parsed[0]
    assert parsed == []


def test_parse_json_refuses_nesting_past_32_levels() -> None:
    with pytest.raises(ValidationFailed, match="nested deeper than 32 levels"):
        parse_json(b"[" * 33 + b"]" * 33)


@pytest.mark.parametrize(
    ("raw", "message", "detail"),
    [
        (b'{"a": "\xff"}', "The body is not valid UTF-8 (byte 7).", "not valid UTF-8"),
        (b'{"a": "\xed\xa0\x80"}', "The body is not valid UTF-8 (byte 7).", "not valid UTF-8"),  # CESU
        (
            b'{"first_name": "a"',
            "Malformed JSON: Expecting ',' delimiter at line 1 column 19.",
            "malformed JSON",
        ),
        (b"", "Malformed JSON: Expecting value at line 1 column 1.", "malformed JSON"),
        (  # a UTF-8 byte order mark, refused in json.loads's words (the decoder is reused)
            b'\xef\xbb\xbf{"first_name": "a"}',
            "Malformed JSON: Unexpected UTF-8 BOM (decode using utf-8-sig) at line 1 column 1.",
            "malformed JSON",
        ),
        (b"{'a': 1}", None, "malformed JSON"),
        (b'{"a": 1,}', None, "malformed JSON"),
        (b'{"a": 1} {"b": 2}', None, "malformed JSON"),
        (b'{"a": NaN}', "Malformed JSON: NaN is not valid JSON.", "malformed JSON"),
        (b'{"a": Infinity}', "Malformed JSON: Infinity is not valid JSON.", "malformed JSON"),
        (b'{"a": -Infinity}', "Malformed JSON: -Infinity is not valid JSON.", "malformed JSON"),
        (b'{"a": ' + b"1" * 10000 + b"}", None, "malformed JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "Malformed JSON: nested deeper than 32 levels.", "malformed JSON"),
        (
            b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
            "Malformed JSON: nested deeper than 32 levels.",
            "malformed JSON",
        ),
        (
            b'{"first_name": "\\ud800", "last_name": "x"}',
            "Malformed JSON: a \\u escape is a lone surrogate, not a character.",
            "malformed JSON",
        ),
        (
            b'{"\\udc00": 1}',
            "Malformed JSON: a \\u escape is a lone surrogate, not a character.",
            "malformed JSON",
        ),
    ],
)
def test_parse_json_refuses_what_is_not_json(raw: bytes, message: str | None, detail: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_json(raw)
    error = caught.value
    assert (error.status, error.code) == (400, "validation_error")
    assert error.details == (FieldError("", detail),)
    if message is not None:
        assert error.message == message
    else:
        assert error.message.startswith("Malformed JSON: ")


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ([], "expected an object, got an array"),
        ([{"first_name": "a"}], "expected an object, got an array"),
        ("x", "expected an object, got a string"),
        (1, "expected an object, got a number"),
        (1.5, "expected an object, got a number"),
        (True, "expected an object, got a boolean"),
        (None, "expected an object, got null"),
    ],
)
def test_validate_body_wants_an_object(body: RequestBody, value: Any, detail: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_body(body, value)
    assert caught.value.message == "The body must be a JSON object."
    assert caught.value.details == (FieldError("", detail),)


@pytest.mark.parametrize(
    ("data", "details"),
    [
        ({"first_name": "a", "last_name": "b", "nickname": "x"}, [FieldError("nickname", "unknown field")]),
        ({"last_name": "b"}, [FieldError("first_name", "is required")]),
        ({}, [FieldError("first_name", "is required"), FieldError("last_name", "is required")]),
        ({"first_name": None, "last_name": "b"}, [FieldError("first_name", "must be a string")]),
        ({"first_name": "a", "last_name": " "}, [FieldError("last_name", f'" " is not valid: {NAME_RULE}')]),
        (
            {"first_name": "a", "last_name": "b", "email": "nope"},
            [FieldError("email", f'"nope" is not valid: {EMAIL_RULE}'), FieldError("email", "is not valid")],
        ),
        (
            {"first_name": "a", "last_name": "b", "note": "x" * 2001},
            [FieldError("note", "must be at most 2000 characters")],
        ),
        (
            {"first_name": "a", "last_name": "b", "phone": 5, "id": "cont_x", "created_at": "x"},
            [
                FieldError("created_at", "unknown field"),
                FieldError("id", "unknown field"),
                FieldError("phone", "must be null or a string"),
            ],
        ),
    ],
)
def test_validate_body_names_every_bad_field(
    body: RequestBody, data: dict[str, Any], details: list[FieldError]
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_body(body, data)
    assert caught.value.message == "Invalid request body."
    assert list(caught.value.details) == details


@pytest.mark.parametrize(
    "data",
    [
        {"first_name": "a", "last_name": "b"},
        {"first_name": " " * 50 + "a" * 100, "last_name": "\u3000b\u3000"},
        {"first_name": "😀" * 100, "last_name": "b"},  # lengths count characters, not UTF-16 units
        {"first_name": "a", "last_name": "b", "email": None, "phone": "", "position": "", "note": ""},
        {
            "first_name": "a",
            "last_name": "b",
            "phone": "+81 (90) 1234-5678",
            "company_id": "comp_" + "a" * 32,
        },
    ],
)
def test_validate_body_accepts_valid_bodies(body: RequestBody, data: dict[str, Any]) -> None:
    assert validate_body(body, data) is data


def test_update_body_takes_nothing_but_refuses_null_names(spec: Spec) -> None:
    update = spec.operation("updateContact").request_body
    assert update is not None
    assert validate_body(update, {}) == {}
    assert validate_body(update, {"email": None, "phone": None}) == {"email": None, "phone": None}
    with pytest.raises(ValidationFailed) as caught:
        validate_body(update, {"first_name": None, "last_name": ""})
    assert list(caught.value.details) == [
        FieldError("first_name", "must be a string"),
        FieldError("last_name", f'"" is not valid: {NAME_RULE}'),
    ]
