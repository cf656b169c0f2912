"""Data as varied as the contract allows: names, emails, notes and search needles.

The contract compares search text and names "after Unicode NFKC normalization
and case folding" and counts lengths in characters (JSON Schema's code points).
Realistic backends get this wrong in many ways (lower-casing instead of case
folding, no NFKC, LIKE or regex metacharacters left active, lengths counted in
bytes or UTF-16 units, a field searched that must not be), so the data reaches
into every corner that separates them: characters outside the BMP, combining
marks, full-width and half-width forms, letters whose case folding differs from
lower-casing (ß, ẞ, ς, İ, ı, ǅ, µ...), right-to-left scripts, and characters
that are special elsewhere (`%`, `_`, `\\`, quotes, regex metacharacters).

Where the contract's words admit several readings, the data avoids the
difference instead of asserting one (the suite asserts less rather than flag a
correct server):

- text is kept only when every plausible order of the two steps gives the same
  result (NFKC then casefold, casefold then NFKC, NFKC around casefold, from
  NFD), and when folding the joined full name equals joining the folded names;
- no format characters (ZWJ, RLM, soft hyphen, U+FEFF: NFKC_Casefold drops them,
  plain NFKC keeps them), no control characters but newline and tab in notes;
- no white space that languages disagree on (U+001C..U+001F, U+0085, U+FEFF):
  names are padded with ASCII space, tab or U+3000 only;
- nothing whose folded form lies in U+E000..U+FFFF, so code-point order (what
  the model sorts by) and UTF-16 order agree for sort=name;
- only characters assigned since Unicode 6 or earlier, so a server on older
  Unicode tables normalizes and folds them alike;
- no length bound is probed with combining sequences (code points and
  grapheme clusters would count them differently): bounds use precomposed and
  astral characters, where every reading but bytes and UTF-16 units agrees;
- needles never begin or end with white space (whether search text is trimmed
  is not pinned), and email local parts stay within 64 characters
  (`format: email` validators may enforce RFC 5321's limit).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from hypothesis import strategies as st

from .model import fold

# --------------------------------------------------------------------------- character pools

JAPANESE = [
    "山田",
    "佐藤",
    "太郎",
    "花子",
    "𠮷田",
    "髙橋",
    "さくら",
    "ブラウン",
    "ｶﾀｶﾅ",
    "ﾀﾞｲｽｹ",
    "㈱山田",
    "株式会社",
]
LATIN = [
    "Strauß",
    "Νίκος",
    "Taro",
    "emily",
    "JOHN",
    "O'Brien",
    "McDonald",
    "de la Cruz",
    "Zoë",
    "José",
    "Anne-Marie",
    "Li",
]
# Case folding is not lower-casing for these: ß/ẞ fold to "ss", ς to σ, İ to "i̇"; ǅ, µ, K (Kelvin),
# Å (Angstrom) and ﬁ are changed by NFKC first. ı has no folding at all (not "i").
CASE_FOLDING = [
    "Straße",
    "STRASSE",
    "Weiß",
    "GROẞ",
    "ﬁnance",
    "İstanbul",
    "ısık",
    "Οδυσσεύς",
    "ΣΊΣΥΦΟΣ",
    "ǅemal",
    "µ",
    "K",
    "Å",
]
COMBINING = ["Jose\u0301", "Zoe\u0308", "Ren\u00e9e", "Ame\u0301lie", "Ю\u0301лия", "n\u0303o\u0303"]
RIGHT_TO_LEFT = ["שלום", "כהן", "שָׁלוֹם", "محمد", "عبد الله", "ﻣﺤﻤﺪ"]
ASTRAL = ["𠮷", "😀", "𝐚𝐛𝐜", "𐐀𐐨", "𐌰𐌱", "🎉"]  # NFKC maps 𝐚𝐛𝐜 to abc; Deseret 𐐀 folds to 𐐨
WIDTH = ["ＴＡＲＯ", "ｔａｒｏ", "ｶﾞｰﾃﾞﾝ", "１２３", "①", "㍿", "ＡＢＣ－１"]
SPECIAL = [
    "%",
    "_",
    "\\",
    "'",
    '"',
    "`",
    "[a]",
    ".*",
    "^$",
    "(x)",
    "a+b",
    "?",
    "|",
    "{1}",
    "--",
    ";",
    "%_",
    "\\%",
    "50%",
    "a_b",
    "*",
]
POOLS: dict[str, list[str]] = {
    "japanese": JAPANESE,
    "latin": LATIN,
    "case-folding": CASE_FOLDING,
    "combining": COMBINING,
    "right-to-left": RIGHT_TO_LEFT,
    "astral": ASTRAL,
    "width": WIDTH,
    "special": SPECIAL,
}
# One character of each UTF-8 length (1 to 4 bytes; the last is 2 UTF-16 units), for length bounds.
FILLERS = ["x", "é", "漢", "𠮷"]
PADDING = ["", "", "", " ", "  ", "\u3000", "\t"]
ATEXT = "!#$%&'*+/=?^_`{|}~-"
DOMAINS = ["example.com", "Example.CO.JP", "example.org", "mail.example.net"]

# White space in any language's sense; the data never puts the ambiguous ones anywhere.
WHITE_SPACE = (
    "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff\x1c\x1d\x1e\x1f\x85"
)


def _folds(text: str) -> set[str]:
    """Every plausible reading of "after NFKC normalization and case folding"."""
    nfkc = unicodedata.normalize("NFKC", text)
    return {
        nfkc.casefold(),
        unicodedata.normalize("NFKC", text.casefold()),
        unicodedata.normalize("NFKC", nfkc.casefold()),
        unicodedata.normalize("NFKC", unicodedata.normalize("NFD", text).casefold()),
    }


def unambiguous(text: str) -> bool:
    """Do all readings of the contract's folding agree on `text`, with nothing they treat differently?"""
    if len(_folds(text)) != 1:
        return False
    if any(unicodedata.category(c) in ("Cf", "Cs", "Co", "Cn") for c in text):
        return False
    if any(c in "\x1c\x1d\x1e\x1f\x85\ufeff" or (c < " " and c not in "\n\t") for c in text):
        return False
    return not any("\ue000" <= c <= "\uffff" for c in fold(text))


def joins_cleanly(first: str, last: str) -> bool:
    """Folding the full-name forms equals joining the folded names (no mark composes across the join)."""
    forms = [f"{last} {first}", f"{last}{first}", f"{first} {last}"]
    folded = [f"{fold(last)} {fold(first)}", f"{fold(last)}{fold(first)}", f"{fold(first)} {fold(last)}"]
    return all(unambiguous(form) and fold(form) == want for form, want in zip(forms, folded, strict=True))


def full_width(text: str) -> str:
    """ASCII as its full-width forms (NFKC maps them back)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


# --------------------------------------------------------------------------- field values


def _starts_cleanly(text: str) -> bool:
    stripped = text.strip(WHITE_SPACE)
    if not stripped or stripped != text:
        return False
    head = unicodedata.normalize("NFKC", stripped[0])[:1]
    return unicodedata.category(head)[0] != "M" and not ("\u1100" <= head <= "\u11ff")


# Strategies that depend on nothing drawn are built once: Hypothesis validates every new
# strategy object and works out its labels on first use, which cost about a tenth of the state
# machine's CPU when they were built again for every value drawn (2026-11-30).


@cache
def _one_in(one_in: int) -> st.SearchStrategy[bool]:
    return st.sampled_from([False] * (one_in - 1) + [True])


def _sometimes(draw: st.DrawFn, one_in: int) -> bool:
    """True about once in `one_in` draws (integers() would favour its bounds far more often)."""
    return bool(draw(_one_in(one_in)))


_POOL_WORDS = {pool: st.sampled_from(words) for pool, words in POOLS.items()}
_WORDS = st.sampled_from(sorted(POOLS)).flatmap(lambda pool: _POOL_WORDS[pool])
_NAME_WORDS = st.lists(_WORDS, min_size=1, max_size=3)
_NAME_GLUE = st.sampled_from(["", " ", "\u3000", "-"])
_TEXT_WORDS = st.lists(_WORDS, max_size=5)
_FILLERS = st.sampled_from(FILLERS)
_PADDING = st.sampled_from(PADDING)
_DOMAINS = st.sampled_from(DOMAINS)
_ATOMS = st.lists(
    st.text(alphabet=st.sampled_from("abcXYZ019" + ATEXT), min_size=1, max_size=6), min_size=1, max_size=3
)
_PHONES = st.one_of(st.none(), st.just(""), st.from_regex(r"\A\+?[0-9](?:[0-9 ()-]{0,29}[0-9])?\Z"))
_PRESENCE = st.sampled_from(["value", "value", "absent"])
_INDEX = st.integers(0, 2**16 - 1)


def _words() -> st.SearchStrategy[str]:
    return _WORDS


@st.composite
def person_names(draw: st.DrawFn, token: str | None, max_length: int = 100) -> str:
    """A name (unpadded): words from the pools, maybe the scope's token, sometimes exactly max_length."""
    words = draw(_NAME_WORDS)
    if token is not None:
        words.insert(draw(st.integers(0, len(words))), token)
    name = draw(_NAME_GLUE).join(words).strip(WHITE_SPACE)
    if not _starts_cleanly(name):
        name = f"{token or ''}Taro"
    if _sometimes(draw, 10):
        # At the bound in characters, filled up with a character of 1 to 4 bytes (2 UTF-16 units).
        name = (name + draw(_FILLERS) * max_length)[:max_length]
    return name[:max_length]


@st.composite
def emails(draw: st.DrawFn, token: str | None) -> str:
    """An address the spec's pattern admits: atext specials, mixed case, sometimes 254 characters long."""
    atoms = draw(_ATOMS)
    if token is not None:
        atoms.insert(draw(st.integers(0, len(atoms))), token)
    local = ".".join(atoms)[:63].strip(".")
    domain = draw(_DOMAINS)
    if _sometimes(draw, 8):
        # 254 characters exactly (the maximum): labels of at most 63 in front of the domain.
        missing, labels = 254 - len(local) - 1 - len(domain), []
        while missing > 1:
            size = min(63, missing - 1)
            labels.append("d" * size)
            missing -= size + 1
        local += "x" * missing
        domain = ".".join([*labels, domain])
    return f"{local}@{domain}"


@st.composite
def free_texts(draw: st.DrawFn, max_length: int) -> str:
    """A position or note: words from every pool, newlines and tabs in notes, sometimes at the bound."""
    words = draw(_TEXT_WORDS)
    glue = draw(st.sampled_from([" ", "", "\n", "、"] if max_length > 100 else [" ", "", "・"]))
    text = glue.join(words)[:max_length]
    if _sometimes(draw, 10):
        text = (text + draw(_FILLERS) * max_length)[:max_length]
    return text


_POSITIONS = st.one_of(st.none(), free_texts(100))
_NOTES = st.one_of(st.none(), free_texts(2000))


@st.composite
def varied_names(draw: st.DrawFn, token: str | None, max_length: int = 100) -> tuple[str, str]:
    """(first, last), unambiguous to fold and joining cleanly; the token in one of them, if given."""
    in_first = draw(st.booleans())
    first = draw(person_names(token if in_first else None, max_length))
    last = draw(person_names(None if in_first else token, max_length))
    if not joins_cleanly(first, last):
        first, last = ("Taro", f"Yamada{token or ''}")
    return first, last


# --------------------------------------------------------------------------- request bodies


def carries(contact: Mapping[str, Any], token: str) -> bool:
    """Does a searchable field hold the token (so the run's final sweep by tag finds the contact)?"""
    return any(token in (contact.get(name) or "") for name in ("first_name", "last_name", "email"))


@st.composite
def varied_create_bodies(draw: st.DrawFn, token: str, companies: Sequence[str]) -> dict[str, Any]:
    """A valid create body from the whole range; the token in a name, the email or both.

    The token keeps the contact findable by the run's final sweep (cleanup), wherever it is;
    the needles of the read paths are drawn from all of the data, not from the token. The
    company is one of the scope's most of the time, or none.
    """
    email_token = draw(st.sampled_from([token, None]))
    email = draw(st.one_of(st.none(), emails(email_token)))
    named = token if email is None or email_token is None else draw(st.sampled_from([token, None]))
    first, last = draw(varied_names(named))
    body: dict[str, Any] = {
        "first_name": draw(_PADDING) + first + draw(_PADDING),
        "last_name": draw(_PADDING) + last + draw(_PADDING),
    }
    if email is not None or draw(st.booleans()):
        body["email"] = email
    values: dict[str, st.SearchStrategy[Any]] = {
        "phone": _PHONES,
        "position": _POSITIONS,
        "company_id": st.one_of(
            st.sampled_from(list(companies)), st.sampled_from(list(companies)), st.none()
        ),
        "note": _NOTES,
    }
    for name, strategy in values.items():
        if draw(_PRESENCE) == "value":
            body[name] = draw(strategy)
    return body


@st.composite
def varied_patch_bodies(
    draw: st.DrawFn, token: str, companies: Sequence[str], current: Mapping[str, Any]
) -> dict[str, Any]:
    """A partial update that often changes what search, the company filter and sort=name look at.

    It never leaves the contact without the token in a name or the email (see `carries`).
    """
    fresh = draw(varied_create_bodies(token, companies))
    fresh.update({name: fresh.get(name) for name in ("email", "phone", "position", "company_id", "note")})
    fields = ["first_name", "last_name", "email", "company_id", "note", "position", "phone"]
    chosen = draw(st.sets(st.sampled_from([*fields, "first_name", "last_name"]), max_size=4))
    patch = {}
    for name in sorted(chosen):
        value = fresh[name]
        if _sometimes(draw, 5) or (isinstance(value, str) and value.strip(WHITE_SPACE) == current[name]):
            # The same value again: not a change (a padded copy of a name would be sent bare,
            # since whether it counts as a change is not pinned).
            value = current[name]
        patch[name] = value
    if not carries({**current, **patch}, token):
        patch["last_name"] = draw(person_names(token))
    after = {**current, **patch}
    if not joins_cleanly(after["first_name"].strip(WHITE_SPACE), after["last_name"].strip(WHITE_SPACE)):
        patch.pop("first_name", None)
        patch["last_name"] = f"Yamada{token}"
    return patch


# --------------------------------------------------------------------------- needles

# Ways a needle is shown to the server: the contract folds all of them alike (or the model says not).
SHOWN = ("as-is", "upper", "lower", "casefold", "full-width", "swapcase")
# Metacharacters of LIKE, GLOB and regular expressions, put into a needle where the data has none;
# LIKE's three (its wildcards and its escape character) twice as often as the others.
WILDCARDS = ("%", "_", "\\", "%", "_", "\\", ".", ".*", "*", "?", "[", "^", "$")


_SHOWINGS = st.sampled_from((*SHOWN, "unaccented"))
_FOLD_SHOWINGS = st.sampled_from(("upper", "casefold"))
_WILDCARDS = st.sampled_from(WILDCARDS)


def _shown(text: str, how: str) -> str:
    if how == "upper":
        return text.upper()
    if how == "lower":
        return text.lower()
    if how == "casefold":
        return text.casefold()
    if how == "full-width":
        return full_width(text)
    if how == "swapcase":
        return text.swapcase()
    return text


def searched_forms(contact: Mapping[str, Any]) -> list[str]:
    """The contract's search forms of a contact (unfolded)."""
    first, last = contact["first_name"], contact["last_name"]
    forms = [first, last, f"{last} {first}", f"{last}{first}", f"{first} {last}"]
    if contact.get("email"):
        forms.append(contact["email"])
    return forms


def unsearched_fields(contact: Mapping[str, Any]) -> list[str]:
    """Fields search must never look at (a needle from them finds the contact only by coincidence)."""
    return [contact[name] for name in ("note", "position", "phone", "company_id", "id") if contact.get(name)]


def _pick(draw: st.DrawFn, size: int) -> int:
    """An index below `size`, drawn the same way whatever `size` is.

    The sources of a needle hold the scope's token and server-made ids, whose lengths differ
    between machine runs; a draw whose bounds follow them would make Hypothesis see "inconsistent
    data generation" for the same choices.
    """
    return int(draw(_INDEX)) % max(1, size)


LIKE_AND_REGEX = set("%_\\[]*.?^$+(){}|")


def telling(c: str) -> bool:
    """Does `c` separate readings of the contract: folding vs lower-casing, NFKC, a combining mark,
    a character outside the BMP, or a metacharacter of LIKE or regular expressions?"""
    return (
        fold(c) != c.lower()
        or unicodedata.normalize("NFKC", c) != c
        or unicodedata.combining(c) > 0
        or ord(c) > 0xFFFF
        or c in LIKE_AND_REGEX
    )


def _unaccented(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


@st.composite
def needles(draw: st.DrawFn, *groups: Sequence[str]) -> str:
    """A random substring of a source (a group is drawn first, then a source in it), shown folded
    or not, sometimes with a wildcard put in or its accents taken off.

    Half the sources are drawn among those of the group that hold a telling character
    (`telling`), where readings of the contract differ, and three cuts in four are placed around
    one of them, shown so that the readings part: folded or upper-cased where folding is not
    lower-casing, half the time without accents where the character has one. Falls back to the
    whole source when the cut or the showing is ambiguous to fold.
    """
    sources = [group for group in groups if group]
    group = sources[_pick(draw, len(sources))] if sources else ["x"]
    telling_sources = [text for text in group if any(telling(c) for c in text)]
    if telling_sources and bool(draw(st.booleans())):
        source = telling_sources[_pick(draw, len(telling_sources))]
    else:
        source = group[_pick(draw, len(group))]
    marks = [i for i, c in enumerate(source) if telling(c)]
    aimed = not _sometimes(draw, 4)
    if marks and aimed:
        at = marks[_pick(draw, len(marks))]
        start = max(0, at - _pick(draw, 4))
        end = min(len(source), at + 1 + _pick(draw, 4))
    else:
        start = _pick(draw, len(source))
        end = start + 1 + _pick(draw, min(len(source) - start, 24))
    cut = source[start:end]
    how = draw(_SHOWINGS)
    if marks and aimed:
        mark = source[at]
        if fold(mark) != mark.lower():
            # ß, ẞ, ς, final Σ: only a showing that changes them (SS, ss, σ) tells folding from lower().
            how = draw(_FOLD_SHOWINGS)
        elif _unaccented(mark) != mark and draw(st.booleans()):
            how = "unaccented"  # é, ë, a combining mark: an accent-insensitive collation finds it bare
    needle = (_unaccented(cut) if how == "unaccented" else _shown(cut, how)).strip(WHITE_SPACE)
    if _sometimes(draw, 4) and needle:
        # A metacharacter in place of, or between, the needle's characters: a literal search finds
        # only text that has it; LIKE, GLOB or a regex would also find the text around it.
        at = _pick(draw, len(needle) + 1)
        wildcard = draw(_WILDCARDS)
        replace = draw(st.booleans()) and at < len(needle)
        needle = needle[:at] + wildcard + needle[at + (1 if replace else 0) :]
    if not needle or not unambiguous(needle) or needle != needle.strip(WHITE_SPACE):
        needle = source.strip(WHITE_SPACE)
    if not needle or not unambiguous(needle):
        return "x"
    return needle
