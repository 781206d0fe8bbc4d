"""Masking of personal names for lists, exports and API answers (R-GEN-6; MPL 103; SPP-Rules 481).

:func:`mask_name` keeps at most the surname, never the given name or its length:

* Chinese name (Han characters only): surname + ``某某``. A compound surname (复姓, see
  :data:`COMPOUND_SURNAMES`) keeps both characters, but only when the name has at least three
  characters, because a two-character name such as ``欧阳`` is more likely surname ``欧`` + given
  name ``阳``: ``张三`` → ``张某某``, ``欧阳娜娜`` → ``欧阳某某``, ``欧阳`` → ``欧某某``.
* One Han character (a surname alone): that character + ``某某`` (``张`` → ``张某某``); it reveals
  nothing beyond what a surname does.
* Transliterated names with a separator dot (``阿卜杜拉·艾力``): the first character + ``某某``;
  the first part is a given name, so no "surname" is kept beyond that one character.
* Anything else (Latin letters, digits, mixed scripts): the first letter, uppercased, + ``**``
  (``John Smith`` → ``J**``, ``李Lily`` → ``李**``); when there is no letter at all, ``**``.
* Empty, whitespace only, or only ``某`` (an already anonymous ``某某``): ``某某``. Masking is
  idempotent: ``mask_name(mask_name(x)) == mask_name(x)``.

Whitespace inside the name is ignored; full-width forms are folded (NFKC) first.
"""

from __future__ import annotations

import re
import unicodedata

_SIMPLIFIED = """
万俟 司马 上官 欧阳 夏侯 诸葛 闻人 东方 赫连 皇甫 尉迟 公羊 澹台 公冶 宗政 濮阳
淳于 单于 太叔 申屠 公孙 仲孙 轩辕 令狐 钟离 宇文 长孙 慕容 鲜于 闾丘 司徒 司空
亓官 司寇 仉督 子车 颛孙 端木 巫马 公西 漆雕 乐正 壤驷 公良 拓跋 夹谷 宰父 谷梁
段干 百里 东郭 南门 呼延 归海 羊舌 微生 梁丘 左丘 东门 西门 南宫 第五
"""
_TRADITIONAL = """
司馬 歐陽 諸葛 聞人 東方 赫連 尉遲 公孫 仲孫 軒轅 鍾離 鐘離 長孫 鮮于 閭丘 顓孫
樂正 壤駟 東郭 南門 歸海 東門 西門 南宮 單于 澹臺
"""

COMPOUND_SURNAMES: frozenset[str] = frozenset(_SIMPLIFIED.split() + _TRADITIONAL.split())
"""复姓 recognised by :func:`mask_name` (百家姓 list plus traditional-character variants).

Trade-off: a name such as ``单于洋`` may really be surname ``单`` + given name ``于洋``; keeping
two characters then shows one given-name character. The 百家姓 compound surnames are kept anyway
because showing ``欧某某`` for ``欧阳娜娜`` would misidentify the person in working lists.
"""

MASK = "某某"

_HAN = r"\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_CHINESE_NAME = re.compile(f"[{_HAN}]+")
_DOTTED_NAME = re.compile(f"[{_HAN}]+(?:[\u00b7\u2022\u2027\u30fb\u2219][{_HAN}]+)+")


def mask_name(full_name: str) -> str:
    """Masked display form of a person's name; see the module docstring for every case.

    Returns:
        ``张某某``, ``欧阳某某``, ``某某`` or ``J**``-style text; never more than the surname.
    """
    name = "".join(unicodedata.normalize("NFKC", full_name or "").split())
    if not name or set(name) == {"某"}:  # empty, or already an anonymous placeholder
        return MASK
    if _CHINESE_NAME.fullmatch(name):
        if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
            return name[:2] + MASK
        return name[0] + MASK
    if _DOTTED_NAME.fullmatch(name):
        return name[0] + MASK
    letter = next((ch for ch in name if ch.isalpha()), "")
    upper = letter.upper()
    return (upper if len(upper) == 1 else letter) + "**"
