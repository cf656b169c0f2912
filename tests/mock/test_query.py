"""query.py: folding, search forms and matching, name keys, pagination — pure functions."""

from __future__ import annotations

import pytest

from mock_server.query import (
    ListQuery,
    fold,
    haystack,
    in_order,
    matches_search,
    name_sort_key,
    page_slice,
    searchable_forms,
)

TARO = ("太郎", "山田", "taro@example.com")  # first, last, email
TARO_FORMS = ("山田 太郎", "山田太郎", "太郎 山田", "taro@example.com")


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("ＴＡＲＯ", "taro"),  # full width (NFKC) and upper case (casefold)
        ("ß", "ss"),  # full case folding, not lower()
        ("Straße", "strasse"),
        ("ﬁ", "fi"),  # compatibility ligature
        ("ｶﾀｶﾅ", "カタカナ"),  # half-width katakana
        ("①", "1"),
        ("Ǆ", "dž"),
        ("山田 太郎", "山田 太郎"),
        ("\u3000", " "),  # ideographic space is NFKC-equivalent to a space
        ("", ""),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("first", "last", "email", "forms"),
    [
        (*TARO, TARO_FORMS),
        ("太郎", "山田", None, TARO_FORMS[:3]),
        ("太郎", "山田", "", TARO_FORMS[:3]),
        (
            "ＴＡＲＯ",
            "Yamada",
            "TARO@Example.COM",
            ("yamada taro", "yamadataro", "taro yamada", "taro@example.com"),
        ),
        ("Jürgen", "MÜLLER", None, ("müller jürgen", "müllerjürgen", "jürgen müller")),
    ],
)
def test_searchable_forms(first: str, last: str, email: str | None, forms: tuple[str, ...]) -> None:
    assert searchable_forms(first, last, email) == forms


def test_haystack_joins_the_forms_with_nul() -> None:
    assert haystack(TARO_FORMS) == "\x00".join(TARO_FORMS)


def test_haystack_keeps_the_forms_apart_when_a_name_holds_nul() -> None:
    forms = searchable_forms("a\x00b", "c", None)
    assert haystack(forms) == forms


@pytest.mark.parametrize(
    ("needle", "found"),
    [
        ("山田", True),
        ("太郎", True),
        ("田太", True),  # inside "lastfirst"
        ("山田 太郎", True),  # last first
        ("山田太郎", True),  # lastfirst
        ("太郎 山田", True),  # first last
        ("taro@", True),
        ("example.com", True),
        ("", True),  # an empty needle is the store's "no filter"; matching it is harmless
        ("太郎山田", False),  # firstlast is not a form
        ("山田  太郎", False),
        ("hanako", False),
        # A NUL in the needle never matches across two forms, though the joined string holds it.
        ("太郎\x00山田", False),
        ("山田\x00太郎 山田", False),
        ("山田\x00taro", False),
        ("\x00", False),
        ("com\x00", False),
    ],
)
def test_matches_search(needle: str, found: bool) -> None:
    hay = haystack(TARO_FORMS)
    assert matches_search(needle, hay) is found
    assert found is (not needle or any(needle in form for form in TARO_FORMS))


@pytest.mark.parametrize(
    ("needle", "found"),
    [
        ("a\x00b", True),  # the name's own NUL
        ("c a\x00b", True),
        ("a\x00b c", True),
        ("b", True),
        ("a\x00b\x00c", False),  # would span "c a\x00b" and the next form "ca\x00b"
        ("a\x00bc\x00", False),
    ],
)
def test_matches_search_in_a_name_holding_nul(needle: str, found: bool) -> None:
    forms = searchable_forms("a\x00b", "c", None)  # ("c a\x00b", "ca\x00b", "a\x00b c")
    assert matches_search(needle, haystack(forms)) is found


@pytest.mark.parametrize(
    ("first", "last", "key"),
    [
        ("太郎", "山田", ("山田", "太郎")),
        ("Taro", "YAMADA", ("yamada", "taro")),
        ("ＴＡＲＯ", "ＹＡＭＡＤＡ", ("yamada", "taro")),
        ("Jürgen", "Müller", ("müller", "jürgen")),
    ],
)
def test_name_sort_key(first: str, last: str, key: tuple[str, str]) -> None:
    assert name_sort_key(first, last) == key


def test_name_sort_key_orders_by_last_then_first() -> None:
    names = [("b", "Yamada"), ("A", "ｙａｍａｄａ"), ("z", "Abe"), ("a", "yamada")]
    ordered = sorted(names, key=lambda n: name_sort_key(*n))
    assert ordered == [("z", "Abe"), ("A", "ｙａｍａｄａ"), ("a", "yamada"), ("b", "Yamada")]


TEN = list(range(10))


@pytest.mark.parametrize(
    ("offset", "limit", "descending", "expected"),
    [
        (0, 3, False, [0, 1, 2]),
        (3, 3, False, [3, 4, 5]),
        (9, 3, False, [9]),  # partial last page
        (8, 200, False, [8, 9]),
        (10, 3, False, []),  # offset at the end
        (50, 3, False, []),  # offset beyond the end
        (0, 200, False, TEN),
        (0, 3, True, [9, 8, 7]),
        (3, 3, True, [6, 5, 4]),
        (9, 3, True, [0]),  # partial last page
        (8, 200, True, [1, 0]),
        (10, 3, True, []),
        (50, 3, True, []),
        (0, 200, True, TEN[::-1]),
    ],
)
def test_page_slice(offset: int, limit: int, descending: bool, expected: list[int]) -> None:
    assert page_slice(TEN, offset, limit, descending) == expected


@pytest.mark.parametrize("descending", [False, True])
def test_page_slice_agrees_with_slicing_the_ordered_list(descending: bool) -> None:
    ordered = TEN[::-1] if descending else TEN
    for size in (0, 1, 7, 10):
        for offset in range(12):
            for limit in range(1, 12):
                got = page_slice(TEN[:size], offset, limit, descending)
                walked = ordered if size == 10 else list(in_order(TEN[:size], descending))
                assert got == walked[offset : offset + limit]


def test_page_slice_of_nothing() -> None:
    assert page_slice([], 0, 50, False) == []
    assert page_slice([], 0, 50, True) == []


@pytest.mark.parametrize(("descending", "expected"), [(False, [1, 2, 3]), (True, [3, 2, 1])])
def test_in_order(descending: bool, expected: list[int]) -> None:
    assert list(in_order([1, 2, 3], descending)) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"limit": 50, "offset": 0, "sort": "created_at", "order": "desc"},
            ListQuery(50, 0, "created_at", "desc", "", ""),
        ),
        (
            {
                "limit": 5,
                "offset": 10,
                "sort": "name",
                "order": "asc",
                "search": "ＴＡＲＯ",
                "company_id": "",
            },
            ListQuery(5, 10, "name", "asc", "taro", ""),
        ),
        (
            {"limit": 1, "offset": 0, "sort": "name", "order": "asc", "search": "", "company_id": "comp_x"},
            ListQuery(1, 0, "name", "asc", "", "comp_x"),
        ),
    ],
)
def test_list_query_from_params(params: dict[str, object], expected: ListQuery) -> None:
    assert ListQuery.from_params(params) == expected


@pytest.mark.parametrize(
    ("search", "company_id", "filtered"),
    [("", "", False), ("x", "", True), ("", "comp_x", True), ("x", "comp_x", True)],
)
def test_list_query_filtered(search: str, company_id: str, filtered: bool) -> None:
    assert ListQuery(50, 0, "created_at", "desc", search, company_id).filtered is filtered


@pytest.mark.parametrize(("order", "descending"), [("asc", False), ("desc", True)])
def test_list_query_descending(order: str, descending: bool) -> None:
    assert ListQuery(50, 0, "name", order).descending is descending
