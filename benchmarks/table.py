"""Plain-text tables, aligned for a terminal (CJK characters count as two columns)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, size: int, right: bool) -> str:
    gap = " " * (size - width(text))
    return gap + text if right else text + gap


def render(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> str:
    """`title`, then the table; the first `left` columns are left-aligned, the rest right-aligned."""
    sizes = [width(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            sizes[i] = max(sizes[i], width(cell))
    lines = [title]
    head = "  ".join(_pad(h, sizes[i], i >= left) for i, h in enumerate(headers))
    lines += [head.rstrip(), "  ".join("-" * s for s in sizes)]
    for row in rows:
        lines.append("  ".join(_pad(cell, sizes[i], i >= left) for i, cell in enumerate(row)).rstrip())
    return "\n".join(lines)


def num(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def ms(value: float) -> str:
    """Milliseconds: 3 decimals below 1 ms, 2 below 10 ms, 1 above."""
    if value < 1:
        return f"{value:.3f}"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"
