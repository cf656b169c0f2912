"""Realistic contacts at any size: Faker's name data drawn with one seeded RNG.

Guarantees (docs/scenarios.md says the same to users):

- Deterministic: the records depend only on the `Recipe`, the organization id,
  how many contacts the organization already holds and the installed Faker
  version (its name lists are the pools). No clock, no global random state.
- Contract-shaped: every record has the spec's `Contact` fields; callers run them
  through the fixture validation path (`fixtures.parse_fixtures`) like any seed.
- Japanese and Latin names mixed (`ja_ratio`): Japanese names in kanji (most),
  katakana or hiragana (a few, as some people register them), with romanised
  emails; Latin names from en_US (most), fr_FR, de_DE and es_ES, accents included.
  Kana readings are not a field of the contract; some Japanese contacts carry
  theirs in `note` ("読み: ヤマダ タロウ"), as CRMs without a reading field do.
- Safe to load anywhere: every email is under a reserved domain (`*.example`,
  `example.com`, `example.jp`...), so staging can never mail a real person.
- Companies: contacts with a company are spread over generated company ids so
  that each company holds 5 to 50 contacts (when there are at least 5 to spread).
- Timestamps within the year before `until` (a fixed instant, so the same seed
  gives the same data on any day), millisecond precision, `updated_at` later
  than `created_at` for about 40%, and a few import batches sharing one `created_at`.

Speed: Faker's providers are slow per call, so the name lists are read once into
tuples (`_pools`) and every draw is a plain `random.Random` call.
"""

from __future__ import annotations

import bisect
import functools
import random
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate
from typing import Any, TypeVar

from .store import parse_timestamp

_T = TypeVar("_T")

DEFAULT_UNTIL = "2026-06-01T00:00:00Z"
DEFAULT_JA_RATIO = 0.6
MAX_GENERATE = 100_000  # per organization and recipe; 10,000 takes well under a second
YEAR_MS = 365 * 24 * 3600 * 1000

# Shares of the optional fields' three states: (null, "", a value); email is never "".
_EMAIL_NULL = 0.07
_PHONE = (0.12, 0.04)
_POSITION = (0.12, 0.04)
_COMPANY_NULL = 0.15
_NOTE = (0.50, 0.06)
_UPDATED_LATER = 0.4
_IN_IMPORT_BATCH = 0.06


@dataclass(frozen=True)
class Recipe:
    """What to generate per organization: `count` contacts from `seed`."""

    count: int
    seed: int = 0
    ja_ratio: float = DEFAULT_JA_RATIO  # share of Japanese names, 0..1
    until: str = DEFAULT_UNTIL  # the window is the year before this instant

    def __post_init__(self) -> None:
        if not 0 <= self.count <= MAX_GENERATE:
            raise ValueError(f"count must be from 0 to {MAX_GENERATE}, not {self.count}")
        if not 0.0 <= self.ja_ratio <= 1.0:
            raise ValueError(f"ja_ratio must be from 0 to 1, not {self.ja_ratio}")
        parse_timestamp(self.until)  # ValueError if it is not RFC 3339 UTC


@dataclass(frozen=True)
class _Pools:
    ja_first: tuple[tuple[str, str, str], ...]  # (kanji, katakana, romaji)
    ja_last: tuple[tuple[str, str, str], ...]
    ja_last_weights: tuple[float, ...]  # cumulative, by how common the family name is
    latin_first: tuple[tuple[str, ...], ...]  # one tuple per locale
    latin_last: tuple[tuple[str, ...], ...]
    latin_locale_weights: tuple[float, ...]  # cumulative
    en_jobs: tuple[str, ...]


@functools.cache
def _pools() -> _Pools:
    from faker.providers.job.en_US import Provider as EnJobs
    from faker.providers.person.de_DE import Provider as De
    from faker.providers.person.en_US import Provider as En
    from faker.providers.person.es_ES import Provider as Es
    from faker.providers.person.fr_FR import Provider as Fr
    from faker.providers.person.ja_JP import Provider as Ja

    last_pairs = list(Ja.last_name_pairs.items())
    return _Pools(
        ja_first=tuple(Ja.first_name_pairs),
        ja_last=tuple(pair for pair, _ in last_pairs),
        ja_last_weights=tuple(accumulate(float(weight) for _, weight in last_pairs)),
        latin_first=tuple(tuple(p.first_names) for p in (En, Fr, De, Es)),
        latin_last=tuple(tuple(p.last_names) for p in (En, Fr, De, Es)),
        latin_locale_weights=tuple(accumulate((0.7, 0.1, 0.1, 0.1))),
        en_jobs=tuple(job for job in EnJobs.jobs if len(job) <= 100),
    )


_JA_DEPARTMENTS = (
    "営業部",
    "第二営業部",
    "開発部",
    "技術本部",
    "人事部",
    "経理部",
    "総務部",
    "マーケティング部",
    "情報システム部",
    "経営企画室",
    "カスタマーサクセス部",
    "購買部",
)
_JA_TITLES = ("部長", "副部長", "課長", "係長", "主任", "マネージャー", "リーダー", "担当")
_JA_EXECUTIVES = ("代表取締役社長", "取締役", "執行役員", "CTO", "CFO", "社長室長")
_JA_NOTES = (
    "展示会で名刺交換。",
    "次回はオンラインで打ち合わせ予定。",
    "見積書を送付済み。来月フォローアップ。",
    "紹介経由。決裁者は上長とのこと。",
    "導入事例の共有を希望。",
    "担当変更あり。前任者から引き継ぎ。",
    "請求書の宛先は経理部。",
    "平日午前は会議が多いので午後に連絡。",
    "ウェビナー参加者。資料ダウンロード済み。",
    "契約更新の時期を確認する。\n担当者の異動予定あり。",
)
_EN_NOTES = (
    "Met at the trade show; wants a demo.",
    "Prefers email over phone calls.",
    "Budget approval expected next quarter.",
    "Introduced by a partner. Decision maker is their VP.",
    "Asked for the security whitepaper.",
    "Took over the account from a colleague.",
    "Follow up after the renewal call.\nSend the updated pricing first.",
    "Webinar attendee; downloaded the case study.",
    "Invoices go to accounts payable, not to this contact.",
)
_JA_COMPANY_SUFFIXES = ("shoji", "sangyo", "kogyo", "denki", "systems", "holdings", "soft", "tech")
_EN_COMPANY_SUFFIXES = ("group", "labs", "partners", "systems", "works", "digital", "inc")
# Reserved for examples (RFC 2606 / RFC 6761; JPRS reserves example.jp and example.co.jp).
_FREE_DOMAINS = ("example.com", "example.net", "example.org", "example.jp", "example.co.jp")


@dataclass(frozen=True)
class _Company:
    id: str
    domain: str


@functools.lru_cache(maxsize=8192)  # names come from finite pools: fold each once
def _ascii_slug(text: str) -> str:
    """`Zoé O'Brien-Núñez` -> `zoeobrien-nunez`: what fits in the local part of an email."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(ch for ch in folded if ch.isalnum() or ch == "-").strip("-")


def _hiragana(katakana: str) -> str:
    return "".join(chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch for ch in katakana)


def _pick(rng: random.Random, items: Sequence[_T]) -> _T:
    """rng.choice, without its per-call overhead (the hot loop draws a lot)."""
    return items[int(rng.random() * len(items))]


def _hex_id(rng: random.Random, prefix: str) -> str:
    return f"{prefix}{rng.getrandbits(128):032x}"


def _company_sizes(rng: random.Random, total: int) -> list[int]:
    """Sizes summing to `total`, each from 5 to 50 (one company below 5 only if total < 5)."""
    if total <= 0:
        return []
    if total < 10:
        return [total]
    count = max(1, round(total / 20))
    sizes = [5] * count
    for _ in range(total - 5 * count):
        # a random company with room; Pareto-ish weights make some companies big
        if rng.random() < 0.3:
            index = min(int(rng.paretovariate(1.2)) - 1, count - 1)
        else:
            index = rng.randrange(count)
        while sizes[index] >= 50:
            index = (index + 1) % count
        sizes[index] += 1
    return sizes


def _companies(rng: random.Random, sizes: Sequence[int], ja_ratio: float, pools: _Pools) -> list[_Company]:
    companies = []
    for _ in sizes:
        if rng.random() < ja_ratio:
            family = pools.ja_last[int(rng.random() * len(pools.ja_last))][2]
            stem = family.lower() + "-" + _pick(rng, _JA_COMPANY_SUFFIXES)
            tld = "example.jp" if rng.random() < 0.5 else "example.co.jp"
            domain = f"{stem}.{tld}"
        else:
            stem = _ascii_slug(_pick(rng, pools.latin_last[0])) + "-" + _pick(rng, _EN_COMPANY_SUFFIXES)
            domain = f"{stem}.example"
        companies.append(_Company(_hex_id(rng, "comp_"), domain))
    return companies


def _email(rng: random.Random, first: str, last: str, domain: str) -> str:
    first, last = _ascii_slug(first) or "contact", _ascii_slug(last) or "person"
    shape = rng.random()
    if shape < 0.45:
        local = f"{first}.{last}"
    elif shape < 0.6:
        local = f"{first[0]}.{last}"
    elif shape < 0.72:
        local = f"{last}.{first}"
    elif shape < 0.82:
        local = f"{first}_{last}"
    elif shape < 0.9:
        local = f"{first}{last}{rng.randrange(1, 100)}"
    else:
        local = first
    return f"{local}@{domain}"


def _digits(rng: random.Random, count: int) -> str:
    return f"{int(rng.random() * 10**count):0{count}d}"


def _ja_phone(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.35:  # mobile
        number = f"{_pick(rng, ('090', '080', '070'))}-{_digits(rng, 4)}-{_digits(rng, 4)}"
    elif kind < 0.6:  # Tokyo / Osaka landline
        number = f"{_pick(rng, ('03', '06'))}-{_digits(rng, 4)}-{_digits(rng, 4)}"
    elif kind < 0.8:  # other area codes
        area = _pick(rng, ("045", "052", "011", "092", "075", "022"))
        number = f"{area}-{_digits(rng, 3)}-{_digits(rng, 4)}"
    elif kind < 0.87:
        number = f"0120-{_digits(rng, 3)}-{_digits(rng, 3)}"
    elif kind < 0.95:  # international, as printed on English business cards
        return f"+81 {_pick(rng, ('90', '80', '3', '6'))}-{_digits(rng, 4)}-{_digits(rng, 4)}"
    else:
        number = f"{_pick(rng, ('090', '03'))}{_digits(rng, 8)}"  # typed without dashes
    return number


def _intl_phone(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.35:  # 555-01xx: the North American numbers reserved for fiction
        return f"+1 {_pick(rng, ('212', '415', '617', '312'))}-555-01{_digits(rng, 2)}"
    if kind < 0.55:
        return f"({_pick(rng, ('212', '646', '415'))}) 555-01{_digits(rng, 2)}"
    if kind < 0.7:  # Ofcom's drama range
        return f"+44 20 7946 0{_digits(rng, 3)}"
    if kind < 0.8:
        return f"+33 1 {_digits(rng, 2)} {_digits(rng, 2)} {_digits(rng, 2)} {_digits(rng, 2)}"
    if kind < 0.9:
        return f"+49 30 {_digits(rng, 8)}"
    return f"+34 91 {_digits(rng, 3)} {_digits(rng, 2)} {_digits(rng, 2)}"


def _tristate(rng: random.Random, shares: tuple[float, float]) -> str | None:
    """None, "" or "value" (the caller then draws the value): the field's three states."""
    roll = rng.random()
    if roll < shares[0]:
        return None
    return "" if roll < shares[0] + shares[1] else "value"


_EPOCH = datetime(1970, 1, 1)
DAY_MS = 24 * 3600 * 1000


@functools.lru_cache(maxsize=1024)
def _day(days: int) -> str:
    return (_EPOCH + timedelta(days=days)).date().isoformat()


def _timestamp(ms: int) -> str:
    """store.format_timestamp for whole milliseconds, at a fraction of its cost."""
    days, rest = divmod(ms, DAY_MS)
    seconds, millis = divmod(rest, 1000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    fraction = f".{millis:03d}Z" if millis else "Z"
    return f"{_day(days)}T{hours:02d}:{minutes:02d}:{seconds:02d}{fraction}"


def generate(org_id: str, recipe: Recipe, already: int = 0) -> list[dict[str, Any]]:
    """`recipe.count` contacts for one organization, as the API shows them (JSON-ready).

    `already` is how many contacts the organization holds before these; it is part
    of the RNG's seed, so generating twice into one organization never repeats ids.
    """
    pools = _pools()
    rng = random.Random(f"contacts-mock:{recipe.seed}:{org_id}:{already}")
    count = recipe.count
    with_company = [rng.random() >= _COMPANY_NULL for _ in range(count)]
    sizes = _company_sizes(rng, sum(with_company))
    companies = _companies(rng, sizes, recipe.ja_ratio, pools)
    slots = [company for company, size in zip(companies, sizes, strict=True) for _ in range(size)]
    rng.shuffle(slots)
    until_ms = parse_timestamp(recipe.until) // 1000
    batches = [until_ms - 1 - rng.randrange(YEAR_MS) for _ in range(max(1, count // 150))]
    ja_last = rng.choices(pools.ja_last, cum_weights=pools.ja_last_weights, k=count)
    records = []
    taken_emails: set[str] = set()
    for index in range(count):
        company = slots.pop() if with_company[index] else None
        japanese = rng.random() < recipe.ja_ratio
        note_reading = None
        if japanese:
            first_t, last_t = pools.ja_first[int(rng.random() * len(pools.ja_first))], ja_last[index]
            script = rng.random()
            column = 0 if script < 0.86 else 1  # kanji, else katakana (and some of those hiragana)
            first, last = first_t[column], last_t[column]
            if column == 1 and script >= 0.95:
                first, last = _hiragana(first), _hiragana(last)
            if column == 0 and rng.random() < 0.25:
                note_reading = f"読み: {last_t[1]} {first_t[1]}"
            romaji_first, romaji_last = first_t[2], last_t[2]
        else:
            locale = bisect.bisect(pools.latin_locale_weights, rng.random() * pools.latin_locale_weights[-1])
            first = romaji_first = _pick(rng, pools.latin_first[locale])
            last = romaji_last = _pick(rng, pools.latin_last[locale])
        email = None
        if rng.random() >= _EMAIL_NULL:
            domain = company.domain if company else _pick(rng, _FREE_DOMAINS)
            email = _email(rng, romaji_first, romaji_last, domain)
            while email in taken_emails:  # people in one CRM rarely share an address
                local, _, domain_part = email.partition("@")
                email = f"{local}{rng.randrange(2, 1000)}@{domain_part}"
            taken_emails.add(email)
        phone = _tristate(rng, _PHONE)
        if phone:
            phone = _ja_phone(rng) if japanese else _intl_phone(rng)
        position = _tristate(rng, _POSITION)
        if position:
            position = _position(rng, japanese, pools)
        note = _tristate(rng, _NOTE)
        if note:
            note = _pick(rng, _JA_NOTES if japanese else _EN_NOTES)
        if note_reading is not None:
            note = note_reading if not note else f"{note_reading}\n{note}"
        if rng.random() < _IN_IMPORT_BATCH:
            created_ms = batches[int(rng.random() * len(batches))]  # a CSV import: many contacts, one instant
        else:
            created_ms = until_ms - 1 - int(rng.random() * YEAR_MS)
        updated_ms = created_ms
        if rng.random() < _UPDATED_LATER:
            updated_ms = created_ms + 1 + int(rng.random() * max(1, until_ms - created_ms - 1))
        records.append(
            {
                "id": _hex_id(rng, "cont_"),
                "first_name": first,
                "last_name": last,
                "email": email,
                "phone": phone,
                "position": position,
                "company_id": company.id if company else None,
                "note": note,
                "created_at": _timestamp(created_ms),
                "updated_at": _timestamp(updated_ms),
            }
        )
    return records


def _position(rng: random.Random, japanese: bool, pools: _Pools) -> str:
    if not japanese:
        return _pick(rng, pools.en_jobs)
    if rng.random() < 0.08:
        return _pick(rng, _JA_EXECUTIVES)
    title = _pick(rng, _JA_TITLES)
    return title if rng.random() < 0.25 else f"{_pick(rng, _JA_DEPARTMENTS)} {title}"


def fixture_file(
    organizations: Iterable[str],
    recipe: Recipe,
    *,
    tokens: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Generated contacts in the fixtures' layout (for `--fixtures` and `PUT /__admin/state`).

    `tokens` (token -> organization) are written only when given: a state upload refuses them.
    """
    org_ids = sorted(set(organizations) | set((tokens or {}).values()))
    result: list[dict[str, Any]] = []
    for org_id in org_ids:
        entry: dict[str, Any] = {"id": org_id}
        org_tokens = sorted(t for t, org in (tokens or {}).items() if org == org_id)
        if org_tokens:
            entry["tokens"] = org_tokens
        contacts = generate(org_id, recipe)
        contacts.sort(key=lambda c: (parse_timestamp(c["created_at"]), c["id"]))
        entry["contacts"] = contacts
        result.append(entry)
    return {"organizations": result}
