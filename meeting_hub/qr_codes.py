"""QR codes of links, as SVG for pages and PNG for print (segno)."""

from __future__ import annotations

import io
from typing import Any

import segno


def _qr(url: str) -> Any:
    # Error level M survives a smudged print; micro=False because phones' camera apps do not read Micro QR.
    return segno.make(url, error="m", micro=False)


def qr_svg(url: str) -> str:
    """Return the QR code of a URL as a scalable SVG document (no fixed size, so CSS sets it)."""
    buffer = io.BytesIO()
    _qr(url).save(buffer, kind="svg", xmldecl=False, omitsize=True, border=4, title=url)
    return buffer.getvalue().decode("utf-8")


def qr_png(url: str, scale: int = 10) -> bytes:
    """Return the QR code of a URL as a PNG large enough to print."""
    buffer = io.BytesIO()
    _qr(url).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
