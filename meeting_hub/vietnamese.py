"""Vietnamese text helpers: folding diacritics for search, unaccented text (SMS), and sort keys."""

from __future__ import annotations

import unicodedata

# đ/Đ are letters of their own, not a d with a combining mark, so NFD does not strip them.
# Control characters fold to spaces: a search query is compared in SQL, where a NUL byte fails on PostgreSQL.
_EXTRA_FOLDS = str.maketrans({"đ": "d", "Đ": "d", **{chr(code): " " for code in (*range(32), 127)}})


def fold(text: str | None) -> str:
    """Return text lower-cased, without diacritics and with single spaces: "Hoàng Hoa Thám" -> "hoang hoa tham"."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate(_EXTRA_FOLDS))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())


_UNACCENT = str.maketrans({"đ": "d", "Đ": "D"})


def unaccent(text: str) -> str:
    """Return text without Vietnamese diacritics, keeping case: "Đảng ủy Hoàng Tân" -> "Dang uy Hoang Tan"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_UNACCENT))
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def normalize_name(text: str) -> str:
    """Return a name in NFC with single spaces, the form we store (imports come in NFD from some tools)."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def search_terms(query: str | None) -> list[str]:
    """Split a search query into folded words; every word must match."""
    return fold(query).split()


# Vietnamese collation, as Intl.Collator("vi") orders in the browsers (CLDR's Vietnamese tailoring): ă and â come after
# a, đ after d, ê after e, ô and ơ after o, ư after u, as letters of their own; tones only break ties, in the order
# none, huyền, hỏi, ngã, sắc, nặng; then lower case before upper case. SQL ORDER BY knows none of this.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER_RANK = {letter: rank for rank, letter in enumerate(_ALPHABET, start=100)}
#: Combining marks that make a letter of its own (breve, circumflex, horn).
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}
#: Tone marks, by their rank among ties: huyền, hỏi, ngã, sắc, nặng.
_TONE_RANK = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}

SortKey = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]


def _letters(text: str) -> list[tuple[str, int, bool]]:
    """Split text into (base letter with its letter marks, tone rank, upper case) triples."""
    result: list[tuple[str, int, bool]] = []
    for char in unicodedata.normalize("NFD", text):
        if char in _TONE_RANK and result:
            base, _tone, upper = result[-1]
            result[-1] = (base, _TONE_RANK[char], upper)
        elif unicodedata.combining(char) and result:
            base, tone, upper = result[-1]
            result[-1] = (base + char if char in _LETTER_MARKS else base, tone, upper)
        else:
            result.append((char.lower(), 0, char != char.lower()))
    return result


def _primary(letter: str) -> int:
    letter = unicodedata.normalize("NFC", letter)
    if letter in _LETTER_RANK:
        return _LETTER_RANK[letter]
    if letter.isspace():
        return 1
    if letter.isdigit():
        return 10 + int(letter) if letter.isascii() else 20
    if letter.isalpha():
        return 200 + ord(letter)  # letters of other alphabets, after Vietnamese ones
    return 2 + min(ord(letter), 7)  # punctuation and symbols before digits, as ICU does


def sort_key(text: str | None) -> SortKey:
    """Return a key that sorts text in Vietnamese order: "Dương" before "Đồng Lạc", "An" before "Ăn" before "Ân"."""
    letters = _letters(" ".join((text or "").split()))
    return (
        tuple(_primary(base) for base, _tone, _upper in letters),
        tuple(tone for _base, tone, _upper in letters),
        tuple(int(upper) for _base, _tone, upper in letters),
    )
