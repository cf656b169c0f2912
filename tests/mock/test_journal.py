"""The request journal on its own: newest first, filters, bounded size, clearing, JSON form."""

from __future__ import annotations

import re

import pytest

from mock_server.journal import Entry, Journal


def filled(size: int = 100) -> Journal:
    journal = Journal(size)
    journal.record("GET", "/api/v1/crm/contacts", "limit=1", 200, 1.23456, "org_a")
    journal.record("POST", "/api/v1/crm/contacts", "", 201, 2.0, "org_a")
    journal.record("GET", "/api/v1/crm/contacts/cont_1", "", 404, 0.5, "org_b")
    journal.record("DELETE", "/api/v1/crm/contacts/cont_2", "", 200, 0.7, "org_b")
    journal.record("GET", "/api/v1/crm/contacts", "", 401, 0.1, None)
    return journal


def test_empty() -> None:
    journal = Journal()
    assert len(journal) == 0 and journal.query() == [] and journal.size == 1000


def test_newest_first_with_increasing_ids() -> None:
    entries = filled().query()
    assert [e.id for e in entries] == [5, 4, 3, 2, 1]
    assert [e.method for e in entries] == ["GET", "DELETE", "GET", "POST", "GET"]
    assert entries[-1].duration_ms == 1.235
    assert entries[-1].query == "limit=1" and entries[-1].organization == "org_a"
    assert entries[0].organization is None


def test_bounded_keeps_the_newest() -> None:
    journal = filled(size=3)
    assert len(journal) == 3 and journal.size == 3
    assert [e.id for e in journal.query()] == [5, 4, 3]


@pytest.mark.parametrize("size", [0, -5])
def test_a_size_below_one_keeps_one(size: int) -> None:
    journal = filled(size=size)
    assert journal.size == 1 and [e.id for e in journal.query()] == [5]


def test_filter_by_method_is_case_insensitive() -> None:
    journal = filled()
    assert [e.id for e in journal.query(method="GET")] == [5, 3, 1]
    assert [e.id for e in journal.query(method="get")] == [5, 3, 1]
    assert journal.query(method="PATCH") == []


def test_filter_by_path_prefix() -> None:
    journal = filled()
    assert len(journal.query(path="/api/v1/crm/contacts")) == 5
    assert [e.id for e in journal.query(path="/api/v1/crm/contacts/")] == [4, 3]
    assert [e.id for e in journal.query(path="/api/v1/crm/contacts/cont_1")] == [3]
    assert journal.query(path="/other") == []


def test_filter_by_status() -> None:
    journal = filled()
    assert [e.id for e in journal.query(status=200)] == [4, 1]
    assert [e.id for e in journal.query(status=404)] == [3]
    assert journal.query(status=0) == []


def test_filters_combine() -> None:
    journal = filled()
    assert [e.id for e in journal.query(method="GET", path="/api/v1/crm/contacts/", status=404)] == [3]
    assert journal.query(method="POST", status=404) == []


def test_empty_filters_mean_no_filter() -> None:
    assert len(filled().query(method="", path="", status=None)) == 5


def test_clear_returns_the_count_and_ids_keep_growing() -> None:
    journal = filled()
    assert journal.clear() == 5
    assert len(journal) == 0 and journal.query() == [] and journal.clear() == 0
    journal.record("GET", "/api/x", "", 200, 1.0, None)
    assert [e.id for e in journal.query()] == [6]  # a client never confuses old and new entries


def test_query_returns_a_list_that_does_not_follow_later_records() -> None:
    journal = filled()
    snapshot = journal.query()
    journal.record("GET", "/api/x", "", 200, 1.0, None)
    assert len(snapshot) == 5


def test_entry_to_json() -> None:
    entry = Entry(7, 1_700_000_000.123, "GET", "/api/v1/crm/contacts", "q=1", 200, 1.5, "org_a")
    assert entry.to_json() == {
        "id": 7,
        "time": "2023-11-14T22:13:20.123Z",
        "method": "GET",
        "path": "/api/v1/crm/contacts",
        "query": "q=1",
        "status": 200,
        "duration_ms": 1.5,
        "organization": "org_a",
        "prefer_ignored": None,
    }


@pytest.mark.parametrize(
    ("moment", "text"),
    [(0.0, "1970-01-01T00:00:00.000Z"), (1_700_000_000.9996, "2023-11-14T22:13:20.999Z")],
)
def test_entry_time_format(moment: float, text: str) -> None:
    assert Entry(1, moment, "GET", "/api", "", 200, 0.0, None).to_json()["time"] == text


def test_recorded_time_is_now() -> None:
    journal = Journal()
    journal.record("GET", "/api", "", 200, 0.0, None)
    text = journal.query()[0].to_json()["time"]
    assert re.fullmatch(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", text)
