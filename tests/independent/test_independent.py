"""The second implementation stays independent and different, and the suite stays silent on it.

The contract suite must pass against any correct server, not only against our mock.
`tests/independent/app.py` is a correct server written from the docs alone that makes
the other choice wherever the contract is silent; these tests keep it that way (no
code shared with the mock, its different choices still in place) and run the suite's
quick profile against it served over real HTTP, as a QA engineer runs the suite against
a deployment (docs/independent.md). The whole quick profile over HTTP, every time
against a fresh server, is the soak's `independent` variant (`make soak ARGS="--variant
independent"`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from contract_tests.target import InProcessTransport
from mock_server.testing import serve_app
from tests.selections import GENERATED_MODULES
from tests.suite.over_http import assert_clean_pass, run_suite_over_http

from .app import create_app

HERE = Path(__file__).resolve().parent
COLLECTION = "/api/v1/crm/contacts"
AUTH = {"Authorization": "Bearer dev-token-org-a"}
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z$")


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    transport = InProcessTransport(create_app())
    with httpx.Client(transport=transport, base_url="http://contacts.test") as test_client:
        yield test_client
    transport.close()


def _imports(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


@pytest.mark.parametrize("module", ["app.py", "__main__.py"])
def test_it_shares_no_code_with_the_mock_or_the_suite(module: str) -> None:
    imported = _imports(HERE / module)
    assert not {m for m in imported if m.split(".")[0] in ("mock_server", "contract_tests")}, imported


def test_newer_contacts_get_smaller_ids(client: httpx.Client) -> None:
    first = client.post(COLLECTION, json={"first_name": "a", "last_name": "b"}, headers=AUTH)
    second = client.post(COLLECTION, json={"first_name": "a", "last_name": "b"}, headers=AUTH)
    assert first.status_code == second.status_code == 201
    ids = [first.json()["contact"]["id"], second.json()["contact"]["id"]]
    assert all(re.fullmatch(r"cont_[0-9a-f]{32}", i) for i in ids)
    assert ids[1][:17] <= ids[0][:17]  # the millisecond part counts down


def test_answers_carry_fields_and_headers_the_schema_allows(client: httpx.Client) -> None:
    created = client.post(COLLECTION, json={"first_name": "a", "last_name": "b"}, headers=AUTH)
    contact = created.json()["contact"]
    assert TIMESTAMP.match(contact["created_at"]), contact["created_at"]
    assert created.headers["location"] == f"{COLLECTION}/{contact['id']}"
    assert "x-request-id" in created.headers
    page = client.get(COLLECTION, params={"limit": 1}, headers=AUTH).json()
    assert page["has_more"] is True
    deleted = client.delete(f"{COLLECTION}/{contact['id']}", headers=AUTH).json()
    assert deleted == {"success": True, "deleted_id": contact["id"]}
    error = client.get(COLLECTION, params={"limit": 0}, headers=AUTH).json()
    assert "request_id" in error and error["error"]["details"][0]["code"] == "invalid"


def test_japanese_text_is_ascii_escaped(client: httpx.Client) -> None:
    answer = client.get(f"{COLLECTION}/cont_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", headers=AUTH)
    assert answer.json()["contact"]["last_name"] == "山田"
    assert "\\u5c71\\u7530" in answer.text


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("HEAD", COLLECTION, 405),
        ("OPTIONS", COLLECTION, 405),
        ("POST", COLLECTION + "/", 404),
        ("GET", COLLECTION + "/x/y", 404),
    ],
)
def test_what_the_document_lacks_is_refused(
    client: httpx.Client, method: str, path: str, status: int
) -> None:
    assert client.request(method, path, headers=AUTH).status_code == status


def test_a_non_bearer_authorization_header_leaves_the_cookie_to_decide(client: httpx.Client) -> None:
    headers = {"Authorization": "Basic dXNlcjpwYXNz", "Cookie": "better-auth.session_token=dev-token-org-a"}
    assert client.get(COLLECTION, headers=headers).status_code == 200
    headers["Authorization"] = "Bearer wrong"
    assert client.get(COLLECTION, headers=headers).status_code == 401


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    """The independent implementation served by uvicorn in a thread of this process, on a free port."""
    # As `python -m tests.independent` serves it: h11's default head limit (16 KiB) would answer 400
    # before the app could count the header bytes itself (the contract's 431).
    with serve_app(create_app(), what="the independent app", h11_max_incomplete_event_size=1 << 20) as url:
        yield url


@pytest.mark.slow
def test_the_suite_passes_against_the_independent_implementation_over_http(served: str) -> None:
    """The quick profile's hand-written tests and one state-machine shard, over HTTP, against it.

    Over real HTTP like the mock's own run (tests/test_suite_over_http.py): `--base-url` and
    the tokens as a QA engineer passes them, a real HTTP client, a second organization, the
    cleanup ledger, against a server that is not ours.

    Kept to about 10 s of CPU (`make test`'s budget): schemathesis's per-operation
    fuzzing (test_schema.py, judged by the same per-response rules every other test
    applies to every answer) and two of the three state-machine shards (58% of the
    rest's time together) are left to the soak's `independent` variant, which runs
    the whole quick profile over HTTP.
    """
    schema, _ = GENERATED_MODULES
    machine = "contract_tests/test_stateful.py::test_the_server_behaves_like_the_model"
    result = run_suite_over_http(
        served,
        "contract_tests",
        f"--ignore={schema}",
        f"--deselect={machine}[2]",
        f"--deselect={machine}[3]",
        *("--profile", "quick"),
        token="dev-token-org-a",
        other_org_token="dev-token-org-b",
    )
    assert_clean_pass(result, served)
