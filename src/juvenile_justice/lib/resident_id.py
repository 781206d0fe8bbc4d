"""公民身份号码 (citizen identity number, GB 11643-1999): parse and validate, never echo.

Shape of a number (18 characters): 6-digit region code (行政区划代码, GB/T 2260), 8-digit birth
date ``YYYYMMDD``, 3-digit sequence code whose last digit is odd for men and even for women, and
one ISO 7064 MOD 11-2 check character (``0``–``9`` or ``X``).

Wraps ``stdnum.cn.ric`` (python-stdnum 2.2) and closes its gaps: it can raise ``KeyError`` for a
code whose province exists but whose county does not (e.g. ``119999``), it accepts birth dates in
the future, and its ``calc_check_digit`` expects 18 characters. The number is personal data
(R-GEN-6, MPL 103): error messages and ``repr`` never contain it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Literal

from stdnum import numdb
from stdnum.cn import ric

EARLIEST_BIRTH = date(1900, 1, 1)
"""Birth dates before this are refused as implausible."""

Sex = Literal["male", "female"]

_MESSAGES: dict[str, str] = {
    "type": "公民身份号码必须为文本 / the resident ID number must be text",
    "length": "公民身份号码应为18位 / the resident ID number must have 18 characters",
    "format": "公民身份号码前17位应为数字、末位为数字或X / the first 17 characters must be digits "
    "and the last a digit or X",
    "checksum": "公民身份号码校验码错误 / the check digit of the resident ID number is wrong",
    "birth_date": "公民身份号码中的出生日期无效 / the birth date in the resident ID number is not a real date",
    "birth_future": "公民身份号码中的出生日期晚于当前日期 / the birth date in the resident ID number is in the future",
    "birth_too_early": "公民身份号码中的出生日期早于1900年 / the birth date in the resident ID number is before 1900",
    "region": "公民身份号码中的行政区划代码无效或与出生年份不符 / the region code of the resident ID "
    "number is unknown or was not in use in the birth year",
}

_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_BODY = re.compile(r"[0-9]{17}")


class InvalidResidentId(ValueError):
    """A resident ID number failed validation.

    ``reason`` is one of ``type``, ``length``, ``format``, ``checksum``, ``birth_date``,
    ``birth_future``, ``birth_too_early`` or ``region``; the message is short Chinese + English and
    never contains the number.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(_MESSAGES[reason])
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ResidentId:
    """A valid resident ID number and what it encodes.

    Attributes:
        number: normalised 18 characters (trimmed, full-width characters folded, ``X`` uppercase).
            Excluded from ``repr``.
        birth_date: the encoded birth date.
        sex: ``"male"`` when the 17th digit is odd, else ``"female"`` (GB 11643-1999 §5.3).
        region_code: the first 6 digits (行政区划代码 of the place of first registration).
    """

    number: str = field(repr=False)
    birth_date: date
    sex: Sex
    region_code: str

    @property
    def masked(self) -> str:
        """Display form hiding the birth date and sequence: ``370811********001X`` → first 6, last 4."""
        return f"{self.number[:6]}{'*' * 8}{self.number[-4:]}"


def normalise(value: str) -> str:
    """Trim, fold full-width characters (NFKC) and uppercase ``x``; no validation."""
    return unicodedata.normalize("NFKC", value).strip().upper()


def check_digit(body17: str) -> str:
    """ISO 7064 MOD 11-2 check character (``0``–``9`` or ``X``) for the first 17 digits.

    ``stdnum.cn.ric.calc_check_digit`` needs all 18 characters and ignores the last one, so the
    body is padded with ``0`` before the call.

    Raises:
        InvalidResidentId: ``body17`` is not exactly 17 ASCII digits (reason ``format``).
    """
    if not isinstance(body17, str) or not _BODY.fullmatch(body17):
        raise InvalidResidentId("format")
    return ric.calc_check_digit(body17 + "0")


@lru_cache(maxsize=4096)
def region_in_use_since(region_code: str, birth_year: int) -> bool:
    """True when ``region_code`` names a county-level division that was in use in ``birth_year`` or later.

    A number is issued after birth (first-generation IDs from 1984), under the codes in force at issue,
    so a person born in 1980 in 任城 carries 370811 (in use from 1983) although the code did not
    exist in 1980. python-stdnum's own check (the code in use in the birth year) would refuse such
    real numbers; its table of codes and their years of use is what this function reads.
    """
    try:
        results = numdb.get("cn/loc").info(region_code)
    except KeyError:
        return False
    info = {k: v for _, props in results for k, v in props.items()}
    for county in info.get("county", "").split(","):
        if not county:
            continue
        if not county.startswith("["):
            return True
        period = county[1:].split("]")[0]
        _, _, end = period.partition("-")
        if not end or int(end) >= birth_year:
            return True
    return False


def parse_resident_id(value: str, *, today: date) -> ResidentId:
    """Validate a 公民身份号码 and return its parts (GB 11643-1999).

    Checks, in order: 18 characters; 17 digits then a digit or ``X``; the check character; a real
    birth date, not after ``today`` and not before 1900; a region code that ``stdnum``'s table knows
    and that was in use at some time in or after the birth year (:func:`region_in_use_since`; e.g.
    370882 兖州市 was in use 1992–2013, so nobody born after 2013 carries it).

    Raises:
        InvalidResidentId: with ``reason`` set; the message never contains the number.
    """
    if not isinstance(value, str):
        raise InvalidResidentId("type")
    number = normalise(value)
    if len(number) != 18:
        raise InvalidResidentId("length")
    if not _SHAPE.fullmatch(number):
        raise InvalidResidentId("format")
    if check_digit(number[:17]) != number[17]:
        raise InvalidResidentId("checksum")
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidResidentId("birth_date") from None
    if birth > today:
        raise InvalidResidentId("birth_future")
    if birth < EARLIEST_BIRTH:
        raise InvalidResidentId("birth_too_early")
    if not region_in_use_since(number[:6], birth.year):
        raise InvalidResidentId("region")
    sex: Sex = "male" if int(number[16]) % 2 == 1 else "female"
    return ResidentId(number=number, birth_date=birth, sex=sex, region_code=number[:6])
