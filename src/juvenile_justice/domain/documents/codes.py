"""Document numbers and verification codes.

- **Number** (文号): unit prefix + type code + 〔year〕 + serial + 号, e.g. 任检未摘〔2026〕3号
  (../shared/domain/documents.md "Common to all"). Serials restart each year per unit and type.
- **Verification code** (验证码): 80 random bits as 16 characters of Crockford's base32 (no I, L, O, U),
  printed in groups of four (``7KQ2-M9XD-4TPA-HC3W``). Typing is forgiving: full-width forms (a Chinese
  input method), case, white space and dashes are ignored, and I/L read as 1, O as 0.
"""

from __future__ import annotations

import secrets
import unicodedata

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16
_TYPED = str.maketrans({"I": "1", "L": "1", "O": "0"})


def document_number(doc_prefix: str | None, unit_id: int, type_code: str, year: int, serial: int) -> str:
    """The document number; a unit without a prefix numbers as ``U<unit id>`` (as case numbers do)."""
    return f"{doc_prefix or f'U{unit_id}'}{type_code}〔{year}〕{serial}号"


def new_verification_code() -> str:
    """A fresh random verification code (16 characters, 80 bits)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str | None:
    """The code as stored from what someone typed or scanned, or None when it cannot be a code."""
    if len(text) > 64:
        return None
    folded = unicodedata.normalize("NFKC", text).upper()
    code = "".join(c for c in folded if not c.isspace() and c not in "-‐‑‒–—―－").translate(_TYPED)
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def grouped(code: str) -> str:
    """The code as printed: four groups of four."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))
