"""List semantics as pure functions: normalize, match, order, paginate.

Nothing here knows about HTTP or about how the store keeps its indexes; the
store feeds these functions and they answer. Every rule is the contract's
(see the ``search``, ``sort`` and ``order`` parameters in ``openapi.yaml``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

# Separates the searchable forms inside one haystack string. A search text that
# contains it falls back to checking each form on its own, so it can never match
# across two forms.
_SEP = "\x00"


def fold(text: str) -> str:
    """Unicode NFKC, then full case folding: `ＴＡＲＯ` and `taro` fold alike."""
    return unicodedata.normalize("NFKC", text).casefold()


def searchable_forms(first_name: str, last_name: str, email: str | None) -> tuple[str, ...]:
    """Every string a search may be a substring of, folded.

    `last first`, `lastfirst` and `first last` contain the single names too, so
    they need no forms of their own.
    """
    first, last = fold(first_name), fold(last_name)
    forms = (f"{last} {first}", f"{last}{first}", f"{first} {last}")
    return (*forms, fold(email)) if email else forms


# One string (one substring test) in the usual case; the forms themselves when a
# name holds the separator, since splitting the joined string would cut that name.
Haystack = str | tuple[str, ...]


def haystack(forms: Sequence[str]) -> Haystack:
    """The forms joined by the separator (`forms` is never empty: searchable_forms gives three or four)."""
    joined = _SEP.join(forms)
    if joined.count(_SEP) != len(forms) - 1:  # a form holds the separator itself
        return tuple(forms)
    return joined


def matches_search(needle: str, hay: Haystack) -> bool:
    """Does the folded `needle` occur in one of the forms joined into `hay`?"""
    if isinstance(hay, tuple):
        return any(needle in form for form in hay)
    if _SEP in needle:
        return any(needle in form for form in hay.split(_SEP))
    return needle in hay


def search_hits(
    needle: str,
    joined: Mapping[str, str],
    split: Mapping[str, Haystack],
    candidates: Iterable[str] | None = None,
) -> set[str]:
    """The ids whose haystack holds the folded `needle` (among `candidates`, if given).

    `joined` holds the usual one-string haystacks, `split` the rare ones kept as
    separate forms. In the usual case this is one plain substring test per
    contact in a set comprehension, with no Python call per contact.
    """
    if candidates is not None:
        return {cid for cid in candidates if matches_search(needle, joined.get(cid) or split[cid])}
    if _SEP in needle:
        hits = {cid for cid, hay in joined.items() if matches_search(needle, hay)}
    else:
        hits = {cid for cid, hay in joined.items() if needle in hay}
    hits.update(cid for cid, hay in split.items() if matches_search(needle, hay))
    return hits


def ordered_hits(
    hits: set[str], index: Sequence[tuple[Any, ...]], key_of: Mapping[str, tuple[Any, ...]], descending: bool
) -> list[str]:
    """`hits` in the index's order (keys end with the id, so ties are broken by id).

    Few hits: sort just their keys. Many: one ordered walk over the index is cheaper.
    """
    if len(hits) * 8 < len(index):
        keys = sorted((key_of[cid] for cid in hits), reverse=descending)
    else:
        keys = [key for key in in_order(index, descending) if key[-1] in hits]
    return [key[-1] for key in keys]


def name_sort_key(first_name: str, last_name: str) -> tuple[str, str]:
    return fold(last_name), fold(first_name)


@dataclass(frozen=True)
class ListQuery:
    """The validated parameters of `listContacts`, defaults already applied."""

    limit: int
    offset: int
    sort: str
    order: str
    search: str = ""
    company_id: str = ""

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> ListQuery:
        return cls(
            limit=params["limit"],
            offset=params["offset"],
            sort=params["sort"],
            order=params["order"],
            search=fold(search) if (search := params.get("search")) else "",
            company_id=params.get("company_id") or "",
        )

    @property
    def descending(self) -> bool:
        return self.order == "desc"

    @property
    def filtered(self) -> bool:
        return bool(self.search or self.company_id)


@dataclass(frozen=True)
class Page:
    items: Sequence[Any]
    total: int
    limit: int
    offset: int


def in_order(ordered: Sequence[T], descending: bool) -> Iterable[T]:
    """An ascending sequence walked in the requested direction (ties included)."""
    return reversed(ordered) if descending else ordered


def page_slice(ordered: Sequence[T], offset: int, limit: int, descending: bool) -> list[T]:
    """Items [offset, offset+limit) of `ordered` read in the requested direction.

    Costs O(limit), not O(len(ordered)): the unfiltered list never copies the index.
    """
    total = len(ordered)
    if offset >= total:
        return []
    if not descending:
        return list(ordered[offset : offset + limit])
    stop = total - offset
    start = max(stop - limit, 0)
    return list(reversed(ordered[start:stop]))
