"""QR codes for the printed book's related-video blocks, so a reader can go from page to screen.

The code is a one-bit PNG with one pixel per module and the standard four-module quiet zone;
print.css scales it up without smoothing, so every printer and resolution gets sharp edges and
the PDF needs nothing fetched at build time (it is a data: URL).
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

import segno

QUIET_ZONE = 4  # modules of white around the code, as ISO/IEC 18004 asks


@lru_cache(maxsize=1024)  # a build renders each volume's parts again while page numbers move
def qr_code(url: str) -> str:
    """A data: URL of the QR code for `url` (error correction M: survives a scuffed page)."""
    return segno.make(url, error="m", micro=False).png_data_uri(scale=1, border=QUIET_ZONE)


def short_url(url: str) -> str:
    """The address as a reader would type it: no scheme, no 'www.', no trailing slash."""
    parts = urlsplit(url)
    host = parts.netloc.removeprefix("www.")
    rest = parts.path.rstrip("/") + (f"?{parts.query}" if parts.query else "")
    return host + rest
