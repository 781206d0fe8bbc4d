"""Tests for juvenile_justice.lib.names.mask_name (R-GEN-6)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from juvenile_justice.lib.names import COMPOUND_SURNAMES, MASK, mask_name

PROPS = settings(database=None, deadline=None, max_examples=300)


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张某某"),
        ("李小明", "李某某"),
        ("欧阳娜娜", "欧阳某某"),
        ("司马光", "司马某某"),
        ("诸葛亮", "诸葛某某"),
        ("上官婉儿", "上官某某"),
        ("歐陽修", "歐陽某某"),
        ("欧阳", "欧某某"),  # two characters: surname 欧 + given name 阳
        ("张", "张某某"),
        ("  王 五 ", "王某某"),
        ("", MASK),
        ("   \t", MASK),
        ("阿卜杜拉·艾力", "阿某某"),
        ("阿卜杜拉・艾力", "阿某某"),
        ("John Smith", "J**"),
        ("mary", "M**"),
        ("李Lily", "李**"),
        ("12345", "**"),
        ("张三（化名）", "张**"),
        ("某某", MASK),
        ("张某某", "张某某"),
        ("欧阳某某", "欧阳某某"),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_required_compound_surnames_are_listed() -> None:
    required = {
        "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
        "夏侯", "轩辕", "令狐", "钟离", "端木", "澹台", "公羊", "呼延", "南宫", "西门", "万俟", "闻人",
        "赫连", "申屠", "东郭",
    }  # fmt: skip
    assert set(required) <= COMPOUND_SURNAMES
    assert all(len(s) == 2 for s in COMPOUND_SURNAMES)


han = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
han_names = st.text(alphabet=han, min_size=1, max_size=6)


@PROPS
@given(name=han_names)
def test_chinese_names_keep_only_the_surname(name: str) -> None:
    masked = mask_name(name)
    assert masked.endswith(MASK)
    kept = masked[: -len(MASK)]
    if set(name) == {"某"}:
        assert kept == ""  # an anonymous placeholder stays anonymous
        return
    assert kept in (name[:1], name[:2])
    if len(kept) == 2:
        assert kept in COMPOUND_SURNAMES and len(name) >= 3


@PROPS
@given(
    surname=st.sampled_from(sorted(COMPOUND_SURNAMES)),
    given_name=st.text(alphabet=han, min_size=1, max_size=3),
)
def test_compound_surnames_are_kept_whole(surname: str, given_name: str) -> None:
    assert mask_name(surname + given_name) == surname + MASK


@PROPS
@given(name=st.text(max_size=20))
def test_any_text_is_masked_safely_and_idempotently(name: str) -> None:
    masked = mask_name(name)
    assert masked.endswith((MASK, "**"))
    assert len(masked) <= 4
    assert mask_name(masked) == masked
