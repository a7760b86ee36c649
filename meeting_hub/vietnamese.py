"""Vietnamese text helpers: folding diacritics for search, and sort keys."""

from __future__ import annotations

import unicodedata

# đ/Đ are letters of their own, not a d with a combining mark, so NFD does not strip them.
_EXTRA_FOLDS = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str | None) -> str:
    """Return text lower-cased, without diacritics and with single spaces: "Hoàng Hoa Thám" -> "hoang hoa tham"."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate(_EXTRA_FOLDS))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())


def normalize_name(text: str) -> str:
    """Return a name in NFC with single spaces, the form we store (imports come in NFD from some tools)."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def search_terms(query: str | None) -> list[str]:
    """Split a search query into folded words; every word must match."""
    return fold(query).split()
