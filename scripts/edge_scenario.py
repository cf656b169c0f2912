"""Write mock_server/scenarios/edge.json: the data a contacts screen finds hardest.

Run it after changing the cases below (`python scripts/edge_scenario.py`); the
JSON file is what ships, this script is how it was made. Every record stays
inside the spec's limits (the mock loads the file through the fixture checks).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "mock_server" / "scenarios" / "edge.json"
SAME_INSTANT = "2026-01-20T10:00:00Z"
BIG_COMPANY = "comp_" + "e" * 32
OTHER_COMPANY = "comp_" + "d" * 32

# 寿限無: the famously endless name of the rakugo story, cut to the 100-character limit.
JUGEMU = (
    "寿限無寿限無五劫の擦り切れ海砂利水魚の水行末雲来末風来末食う寝る処に住む処"
    "やぶら小路の藪柑子パイポパイポパイポのシューリンガンシューリンガンのグーリンダイ"
    "グーリンダイのポンポコピーのポンポコナーの長久命の長助"
)
LATIN_LONG = (
    "Wolfeschlegelsteinhausenbergerdorffwelchevoralternwarengewissenhaftschaferswessen"
    "schafewarenwohlgepflegeundsorgfaltigkeit"
)


def _id(prefix: str, key: str) -> str:
    return prefix + hashlib.sha256(key.encode()).hexdigest()[:32]


def _exactly(text: str, size: int) -> str:
    assert len(text) >= size, (len(text), size)
    result = text[:size]
    assert result == result.strip(), "the cut must not end in white space"
    return result


def _long_note() -> str:
    paragraph = (
        "長文メモ: 打ち合わせの記録。Long note with line breaks,\tтабуляция, "
        "emoji 👩‍💻🇯🇵, RTL שלום عليكم, and <b>markup</b> that must stay text.\n"
    )
    return _exactly(paragraph * 40, 2000)


def _email_254() -> str:
    local = "a" * 64
    labels = ["b" * 63, "c" * 63, "d" * 53]  # 64 + 1 + 63 + 1 + 63 + 1 + 53 + 8 (".example") = 254
    email = f"{local}@{'.'.join(labels)}.example"
    assert len(email) == 254, len(email)
    return email


CASES: list[dict[str, Any]] = [
    # longest allowed values everywhere
    {
        "first_name": _exactly(JUGEMU, 100),
        "last_name": _exactly(JUGEMU[::-1], 100),
        "email": _email_254(),
        "phone": "+81 (0)90 1234-5678 (123) 4567-8",
        "position": _exactly("代表取締役社長兼最高経営責任者 " * 10, 100),
        "company_id": BIG_COMPANY,
        "note": _long_note(),
    },
    {"first_name": _exactly(LATIN_LONG, 100), "last_name": _exactly(LATIN_LONG.upper(), 100)},
    # every optional field null, then every optional string ""
    {"first_name": "Null", "last_name": "Everything"},
    {"first_name": "空", "last_name": "文字列", "phone": "", "position": "", "note": ""},
    # one character names
    {"first_name": "A", "last_name": "B"},
    {"first_name": "一", "last_name": "乙"},
    # astral characters (outside the BMP: two UTF-16 units each)
    {"first_name": "𠮷野", "last_name": "𠀋𡈽𡌛", "email": "yoshino@example.jp", "note": "𠮷 is not 吉."},
    {"first_name": "𝓜𝓪𝓻𝓲𝓪", "last_name": "😀👩‍👩‍👧‍👦", "note": "Emoji ZWJ sequence 👩‍👩‍👧‍👦 and flag 🇯🇵"},
    # right-to-left names, and a note mixing directions
    {"first_name": "محمد", "last_name": "عبد الله", "email": "mohammed.abdullah@example.com"},
    {"first_name": "שרה", "last_name": "כהן", "note": "פגישה ב-10:00 with Sarah, 山田さん同席"},
    {"first_name": "فاطمة", "last_name": "الزهراء", "position": "مديرة المبيعات"},
    # combining marks, full width, white space inside, punctuation
    {"first_name": "Jose\u0301", "last_name": "Nun\u0303ez", "email": "jose.nunez@example.com"},
    {"first_name": "Ｔａｒｏ", "last_name": "ＹＡＭＡＤＡ", "note": "Full-width Latin letters."},
    {"first_name": "Mary Ann", "last_name": "O'Brien-Smith", "email": "o'brien@example.com"},
    {"first_name": "ｶﾀｶﾅ", "last_name": "ﾊﾝｶｸ", "note": "Half-width katakana."},
    {"first_name": "Zoë", "last_name": "Ångström", "email": "zoe@example.org"},
    # duplicate names (same person twice? different people?)
    {"first_name": "太郎", "last_name": "山田", "email": "taro@example.co.jp", "company_id": BIG_COMPANY},
    {"first_name": "太郎", "last_name": "山田", "email": "yamada.t@example.jp", "company_id": OTHER_COMPANY},
    {"first_name": "太郎", "last_name": "山田"},
    {"first_name": "John", "last_name": "Smith", "email": "john.smith@example.com"},
    {"first_name": "John", "last_name": "Smith", "email": "john.smith@example.com"},
    # markup and quotes are text
    {
        "first_name": "<script>alert(1)</script>",
        "last_name": '"Quoted" & \\Escaped\\',
        "note": "{{ not a template }}",
    },
]


def build() -> dict[str, Any]:
    contacts = []
    for index, case in enumerate(CASES):
        contact = {
            "id": _id("cont_", f"edge-{index}"),
            "first_name": case["first_name"],
            "last_name": case["last_name"],
            **{f: case.get(f) for f in ("email", "phone", "position", "company_id", "note")},
            "created_at": f"2025-{index % 12 + 1:02d}-{index % 27 + 1:02d}T08:{index % 60:02d}:00Z",
            "updated_at": f"2026-{index % 5 + 1:02d}-01T00:00:00.{(index + 1) * 1001:06d}Z",
        }
        contacts.append(contact)
    # Many contacts with the same created_at: sorting must fall back to the id, pages must not skip.
    for index in range(30):
        contacts.append(
            {
                "id": _id("cont_", f"edge-same-instant-{index}"),
                "first_name": f"同時{index + 1}",
                "last_name": "インポート",
                "email": f"import{index + 1}@example.jp",
                "phone": None,
                "position": None,
                "company_id": BIG_COMPANY,
                "note": None,
                "created_at": SAME_INSTANT,
                "updated_at": SAME_INSTANT,
            }
        )
    # The other organization: a few of the same shapes, with its own ids.
    partner = [
        {**contacts[0], "id": _id("cont_", "edge-partner-long")},
        {**contacts[2], "id": _id("cont_", "edge-partner-null")},
        {**contacts[8], "id": _id("cont_", "edge-partner-rtl")},
    ]
    return {
        "description": (
            "Hard cases: longest names, notes and emails; every optional field null or empty; "
            "astral characters and emoji; right-to-left names; duplicate names; "
            "30 contacts with one created_at."
        ),
        "organizations": [
            {"id": "org_blueai", "contacts": contacts},
            {"id": "org_partner", "contacts": partner},
        ],
    }


if __name__ == "__main__":
    OUT.write_text(json.dumps(build(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
