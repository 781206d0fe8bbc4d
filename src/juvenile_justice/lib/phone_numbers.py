"""Mainland mobile phone numbers in text that must never hold one (user names, filters, printed reasons)."""

from __future__ import annotations

import re
import unicodedata

_MOBILE = re.compile(r"(?<![0-9])(?:\+?(?:00)?86)?1[3-9][0-9]{9}(?![0-9])")


def contains_mobile_number(text: str) -> bool:
    """True when ``text`` holds a mainland mobile number (11 digits, 13x–19x), also with the country code
    (86, +86, 0086), in full-width digits, or split by ``-``, ``.``, ``_``, ``/`` or white space."""
    return bool(_MOBILE.search(re.sub(r"[-._/\s]", "", unicodedata.normalize("NFKC", text))))
