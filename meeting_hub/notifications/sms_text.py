"""The text of one SMS: unaccented when the gateway needs it, and cut to the parts a message may take.

A GSM-7 SMS carries 160 characters, or 153 per part once it is split (the rest of each part says how to join them);
a text with any character outside GSM-7 (Vietnamese letters with diacritics) goes as UCS-2: 70, or 67 per part.
"""

from __future__ import annotations

from meeting_hub.vietnamese import unaccent

#: GSM 03.38 basic character set (one septet each).
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: The extension table: two septets each (an escape, then the character).
_GSM_EXTENDED = set("^{}\\[~]|€\f")
#: Typography phones send as UCS-2 although a plain form exists: replaced in unaccented texts.
_PLAIN_FORMS = str.maketrans({"…": "...", "–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "\u00a0": " "})


def is_gsm7(text: str) -> bool:
    """Tell whether the text fits the GSM-7 alphabet."""
    return all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in text)


def length_units(text: str) -> int:
    """Return the text's length in its encoding's units (septets for GSM-7, UTF-16 code units for UCS-2)."""
    if is_gsm7(text):
        return sum(2 if ch in _GSM_EXTENDED else 1 for ch in text)
    return len(text.encode("utf-16-le")) // 2


def parts_needed(text: str) -> int:
    """Return how many SMS parts the text takes."""
    single, per_part = (160, 153) if is_gsm7(text) else (70, 67)
    units = length_units(text)
    return 1 if units <= single else -(-units // per_part)


def _limit(text: str, max_parts: int) -> int:
    single, per_part = (160, 153) if is_gsm7(text) else (70, 67)
    return single if max_parts == 1 else per_part * max_parts


def sms_body(text: str, *, unaccented: bool, max_parts: int) -> str:
    """Return the text an SMS carries: unaccented if asked, on one line per paragraph, cut at a word to fit."""
    body = "\n".join(" ".join(line.split()) for line in text.strip().splitlines() if line.strip())
    if unaccented:
        body = unaccent(body).translate(_PLAIN_FORMS)
    if length_units(body) <= _limit(body, max_parts):
        return body
    ellipsis = "..." if is_gsm7(body) else "…"
    room = _limit(body, max_parts) - length_units(ellipsis)
    cut = body
    while cut and length_units(cut) > room:
        space = cut.rstrip().rfind(" ")
        # A single word longer than the room (a long link) is cut inside it rather than dropped.
        cut = cut[:space].rstrip() if space > 0 else cut[: max(len(cut) - 1, 0)]
    return cut.rstrip(" ,.;:-") + ellipsis
