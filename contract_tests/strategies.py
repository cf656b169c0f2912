"""Hypothesis strategies for valid inputs, always scoped to the run's own data.

Every generated contact carries a family token (which contains the run tag) in
both names and the email, and uses the scope's own company ids; every list
query generated either searches for text that contains the token or filters
by one of those companies. So the expected answer depends only on what the
run created, whatever else the deployment holds.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from .contract import active
from .model import fold

FAMILY_NAMES = [
    "山田",
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "中村",
    "小林",
    "加藤",
    "ブラウン",
    "さとう",
]
GIVEN_NAMES = ["太郎", "花子", "一郎", "美咲", "健太", "さくら", "翔", "マイケル", "ゆき", "陽菜"]
LATIN_FAMILY = [
    "Yamada",
    "Smith",
    "McDonald",
    "O'Brien",
    "Müller",
    "Lefèvre",
    "Álvarez",
    "de la Cruz",
    "ＫＩＭ",
]
LATIN_GIVEN = ["Taro", "emily", "JOHN", "Zoë", "José", "Jürgen", "Anne-Marie", "ＫＥＮ", "Li"]
POSITIONS = ["部長", "課長", "営業部 主任", "代表取締役", "Head of Sales", "CTO", "", None]
PADDING = ["", "", "", " ", "  ", "\u3000", "\t"]  # trimmed by every sane definition of white space
DOMAINS = ["example.com", "example.co.jp", "example.org"]


def new_company_id() -> str:
    return "comp_" + secrets.token_hex(16)


@dataclass
class Scope:
    """The data one test (or one state machine run) owns: a token and its companies."""

    token: str
    companies: list[str] = field(default_factory=lambda: [new_company_id() for _ in range(3)])


def full_width(text: str) -> str:
    """ASCII as its full-width forms (NFKC maps them back)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


# Built once, not for every value drawn: Hypothesis validates each new strategy object and works
# out its labels on first use (alphabet.py says what that cost).
_NAMES = st.one_of(
    st.tuples(st.sampled_from(GIVEN_NAMES), st.sampled_from(FAMILY_NAMES)),
    st.tuples(st.sampled_from(LATIN_GIVEN), st.sampled_from(LATIN_FAMILY)),
)
_PHONES = st.one_of(
    st.none(),
    st.just(""),
    st.from_regex(r"\A(\+81 )?0[0-9]{1,3}-[0-9]{2,4}-[0-9]{4}\Z"),
    st.just("+1 (415) 555-0134"),
)
_NOTE_TEXTS = st.one_of(
    st.none(), st.sampled_from(["展示会で名刺交換。", "Prefers email.", "", "メモ: 来週フォロー"])
)
_PADDING = st.sampled_from(PADDING)
_LOCAL_PARTS = st.sampled_from(["taro", "e.carter", "sales", "j-smith", "info+crm"])
_EMAIL_DOMAINS = st.one_of(st.none(), st.sampled_from(DOMAINS))
_POSITIONS = st.sampled_from(POSITIONS)
_PRESENCE = st.sampled_from(["absent", "value", "value"])


def names() -> st.SearchStrategy[tuple[str, str]]:
    return _NAMES


def phones() -> st.SearchStrategy[str | None]:
    return _PHONES


@st.composite
def notes(draw: st.DrawFn, scope: Scope) -> str | None:
    text = draw(_NOTE_TEXTS)
    return None if text is None else f"{text} [contract-suite {scope.token}]"


@st.composite
def create_bodies(draw: st.DrawFn, scope: Scope) -> dict[str, Any]:
    given, family = draw(_NAMES)
    body: dict[str, Any] = {
        "first_name": draw(_PADDING) + f"{given}{scope.token}" + draw(_PADDING),
        "last_name": draw(_PADDING) + f"{family}{scope.token}" + draw(_PADDING),
    }
    local = draw(_LOCAL_PARTS)

    def email() -> str | None:
        domain = draw(_EMAIL_DOMAINS)
        return None if domain is None else f"{local}.{scope.token}@{domain}"

    optional: dict[str, Callable[[], Any]] = {
        "email": email,
        "phone": lambda: draw(_PHONES),
        "position": lambda: draw(_POSITIONS),
        "company_id": lambda: draw(st.one_of(st.none(), st.sampled_from(scope.companies))),
        "note": lambda: draw(notes(scope)),
    }
    for name in active().optional_fields:
        # Absent and explicit null both mean unset; send each form.
        choice = draw(_PRESENCE)
        if choice == "value":
            body[name] = optional[name]()
    return body


def _pads(value: Any, current: Any) -> bool:
    return isinstance(value, str) and value != current and value.strip() == current


@st.composite
def patch_bodies(draw: st.DrawFn, scope: Scope, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """A partial update: any subset of fields, new values, nulls, or the current values again."""
    fresh = draw(create_bodies(scope))
    fresh.update({name: fresh.get(name) for name in active().optional_fields})
    chosen = draw(st.sets(st.sampled_from(list(fresh)), max_size=4))
    patch = {}
    for name in sorted(chosen):
        same = current is not None and draw(st.booleans()) and draw(st.booleans())
        if current is not None and (same or _pads(fresh[name], current[name])):
            # The same value: not a change. A padded copy of the current name is sent bare,
            # since whether it counts as a change is not pinned by the contract.
            patch[name] = current[name]
        else:
            patch[name] = fresh[name]
    return patch


@st.composite
def search_texts(draw: st.DrawFn, contact: dict[str, Any], scope: Scope) -> str:
    """Text that the contract says finds `contact`: a window of one of its forms that holds the token."""
    first, last = contact["first_name"], contact["last_name"]
    forms = [first, last, f"{last} {first}", f"{last}{first}", f"{first} {last}"]
    if contact.get("email"):
        forms.append(contact["email"])
    form = draw(st.sampled_from(forms))
    at = fold(form).find(scope.token)
    start = draw(st.integers(0, at)) if at >= 0 else 0
    end = draw(st.integers(at + len(scope.token), len(form))) if at >= 0 else len(form)
    text = form[start:end] if fold(form[start:end]) == fold(form)[start:end] else form
    variants = [text, text.upper(), text.lower(), full_width(text), full_width(text.upper())]
    return str(draw(st.sampled_from(variants)))


@st.composite
def list_queries(draw: st.DrawFn, scope: Scope, size: int) -> dict[str, Any]:
    """Parameters of a scoped list request; defaults are sometimes left out to test them."""
    search = draw(
        st.sampled_from(
            [scope.token, scope.token.upper(), full_width(scope.token), f"{scope.token}-none", ""]
        )
    )
    company = draw(st.sampled_from(["", *scope.companies]))
    if not search and not company:
        company = scope.companies[0]
    params: dict[str, Any] = {"search": search, "company_id": company}
    params["sort"] = draw(st.sampled_from([None, "created_at", "name"]))
    params["order"] = draw(st.sampled_from([None, "asc", "desc"]))
    limit, offset = active().limit, active().offset
    params["limit"] = draw(
        st.one_of(st.none(), st.integers(limit.minimum, 5), st.integers(limit.minimum, active().max_limit))
    )
    params["offset"] = draw(st.one_of(st.none(), st.integers(offset.minimum, size + 2)))
    return {k: v for k, v in params.items() if v is not None and v != ""}
