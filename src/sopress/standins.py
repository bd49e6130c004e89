"""Stand-ins for page numbers not known yet when a part of a volume is laid out.

A part that cites a later page is laid out once, with a stand-in of as many digits as the number
will likely have between two WORD JOINERs (zero width, no break), and kept in its worker; once
the number is known it takes the stand-in's place and the part is drawn. The theme's figures are
tabular, so the number fits where its stand-in was (the writer checks the width, and a part whose
number would not fit is laid out again).
"""

from __future__ import annotations

import re

MARK = "\u2060"
STAND_IN = re.compile(f"{MARK}[0-9]+{MARK}")


def stand_in(code: int, digits: int) -> str | None:
    """The `code`-th stand-in of `digits` digits; None when there are no more of that width."""
    return f"{MARK}{code:0{digits}d}{MARK}" if code < 10**digits else None


def fill_in(text: str, numbers: dict[str, str]) -> str:
    """`text` with every stand-in of `numbers` replaced by its number."""
    return STAND_IN.sub(lambda match: numbers.get(match.group(), match.group()), text)
