"""Values near the current ones: the same text in another case, width or normalization form.

A backend decides "did this PATCH change anything?" and "which contacts match?"
somewhere: in application code, in SQL under a column's collation, in an index.
Where that place folds case or width (a `_ci` collation, `lower()` on both
sides, a normalizing ORM field), values that differ only in case, width or
Unicode normalization form are taken for equal. The contract compares stored
values as strings: `Taro` and `taro` are two values, and a PATCH from one to the
other is a real change (stored, `updated_at` moved). Values drawn at random from
pools almost never land next to the current ones; these are drawn from them.

Only what a correct server must accept is sent: ASCII case changes in emails
(the spec's pattern admits either case), any form of a name, position or note
that stays within its length bound; surrounding spaces on positions, notes and
phones (only names are trimmed; the phone pattern admits spaces), never on names
(whether a padded copy of a name is a change is not pinned).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from hypothesis import strategies as st

from .alphabet import WHITE_SPACE, full_width, joins_cleanly, unambiguous
from .contract import active

SHOWINGS: dict[str, Callable[[str], str]] = {
    "swapcase": str.swapcase,
    "upper": str.upper,
    "lower": str.lower,
    "casefold": str.casefold,
    "title": str.title,
    "full-width": full_width,
    "NFD": lambda text: unicodedata.normalize("NFD", text),
    "NFC": lambda text: unicodedata.normalize("NFC", text),
    "NFKC": lambda text: unicodedata.normalize("NFKC", text),
    # Only names are trimmed: surrounding white space elsewhere is part of the value.
    "padded": lambda text: f" {text} ",
    "leading": lambda text: f" {text}",
    "trailing": lambda text: f"{text} ",
}
CASE_ONLY = ("swapcase", "upper", "lower", "title")
PADDINGS = ("padded", "leading", "trailing")
FORMS = tuple(how for how in SHOWINGS if how not in PADDINGS)
SHOWN_AS = {
    "first_name": FORMS,
    "last_name": FORMS,
    "email": CASE_ONLY,
    "phone": PADDINGS,
    "position": (*FORMS, *PADDINGS),
    "note": (*FORMS, *PADDINGS),
}
TOKEN_FIELDS = ("first_name", "last_name", "email")  # the fields the run's final sweep searches


def near_value(name: str, value: Any, how: str) -> str | None:
    """`value` of field `name` shown `how` (a key of SHOWINGS), if that is a valid value other
    than `value` and a correct server must store it as sent; else None."""
    bound = active().max_lengths.get(name)
    if not isinstance(value, str) or bound is None or how not in SHOWN_AS.get(name, ()):
        return None
    shown = SHOWINGS[how](value)
    if name == "email" and not shown.isascii():
        return None
    if shown == value or len(shown) > bound:
        return None
    if name in ("first_name", "last_name") and (shown != shown.strip(WHITE_SPACE) or not shown.strip()):
        return None
    if name in TOKEN_FIELDS and not unambiguous(shown):
        return None  # searched and sorted on: only text every reading of the folding agrees on
    return shown


def near_values(name: str, value: Any) -> list[str]:
    """Every valid value of field `name` that differs from `value` only in case, width, form or
    (outside the names) surrounding spaces."""
    shown = (near_value(name, value, how) for how in SHOWN_AS.get(name, ()))
    return list(dict.fromkeys(text for text in shown if text is not None))


@st.composite
def near_patches(draw: st.DrawFn, current: Mapping[str, Any], token: str) -> dict[str, Any]:
    """A PATCH of one to three fields, each to a value near its current one. One of the fields
    that hold the run's `token` is left as it is (the final sweep finds the contact by it). Names are
    changed only where the full-name forms still fold as the single names do (`joins_cleanly`)."""
    holders = [name for name in TOKEN_FIELDS if token in (current.get(name) or "")]
    keep = draw(st.sampled_from(holders)) if holders else None
    options = {name: near_values(name, current.get(name)) for name in SHOWN_AS if name != keep}
    options = {name: values for name, values in options.items() if values}
    if not options:
        return {}
    chosen = draw(st.lists(st.sampled_from(sorted(options)), min_size=1, max_size=3, unique=True))
    patch = {name: draw(st.sampled_from(options[name])) for name in chosen}
    after = {**current, **patch}
    if not joins_cleanly(after["first_name"], after["last_name"]):
        patch.pop("first_name", None)
        patch.pop("last_name", None)
    return patch
