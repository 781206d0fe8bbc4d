"""Tests for juvenile_justice.domain.cases.criminal_law (Criminal Law Part II table)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from juvenile_justice.domain.cases.criminal_law import (
    CHAPTERS,
    ArticleInfo,
    UnknownCharge,
    all_articles,
    articles_for_crime,
    check_charge,
    lookup_article,
    normalize_article,
)

PROPS = settings(database=None, deadline=None, max_examples=200)

CN = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """Independent converter to the legal style (一百零二, 二百一十四, 四百五十一)."""
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    text = CN[hundreds] + "百"
    if tens:
        text += CN[tens] + "十"
    elif ones:
        text += "零"
    if ones:
        text += CN[ones]
    return text


SUB_ARTICLES = {
    "120-1", "120-2", "120-3", "120-4", "120-5", "120-6", "133-1", "133-2", "134-1", "135-1",
    "139-1", "142-1", "162-1", "162-2", "169-1", "175-1", "177-1", "185-1", "205-1", "210-1",
    "219-1", "224-1", "234-1", "236-1", "244-1", "253-1", "260-1", "262-1", "262-2", "276-1",
    "280-1", "280-2", "284-1", "286-1", "287-1", "287-2", "291-1", "291-2", "293-1", "299-1",
    "307-1", "308-1", "334-1", "336-1", "342-1", "344-1", "355-1", "388-1", "390-1", "399-1",
    "408-1",
}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Table shape


def test_every_article_102_to_451_and_the_inserted_articles() -> None:
    keys = [info.article for info in all_articles()]
    assert {k for k in keys if "-" not in k} == {str(n) for n in range(102, 452)}
    assert {k for k in keys if "-" in k} == SUB_ARTICLES
    assert len(keys) == 350 + 51
    assert keys.index("120") < keys.index("120-1") < keys.index("120-6") < keys.index("121")


def test_the_482_current_crime_names() -> None:
    names = {name for info in all_articles() for name in info.crime_names}
    assert len(names) == 482  # 483 current names minus 骗购外汇罪 (NPCSC decision, not the CL)
    assert "嫖宿幼女罪" not in names  # repealed by Amendment IX
    assert "徇私舞弊低价折股、出售公司、企业资产罪" in names  # Supplementary Provisions (8), 2024


@pytest.mark.parametrize(
    ("article", "chapter"),
    [
        ("102", 1), ("113", 1), ("114", 2), ("120-6", 2), ("139-1", 2), ("140", 3), ("231", 3),
        ("232", 4), ("262-2", 4), ("263", 5), ("276-1", 5), ("277", 6), ("367", 6), ("368", 7),
        ("381", 7), ("382", 8), ("396", 8), ("397", 9), ("419", 9), ("420", 10), ("451", 10),
    ],
)  # fmt: skip
def test_chapter_boundaries(article: str, chapter: int) -> None:
    info = lookup_article(article)
    assert info is not None
    assert info.chapter == chapter
    assert info.chapter_title == CHAPTERS[chapter]


def test_chapter_titles_and_labels() -> None:
    assert CHAPTERS[1] == "危害国家安全罪"
    assert CHAPTERS[4] == "侵犯公民人身权利、民主权利罪"
    assert CHAPTERS[10] == "军人违反职责罪"
    info = lookup_article("264")
    assert info is not None
    assert info.chapter_label == "第五章 侵犯财产罪"
    assert info.label == "第264条"
    sub = lookup_article("133-1")
    assert sub is not None and sub.label == "第133条之一"
    last = lookup_article("420")
    assert last is not None and last.chapter_label == "第十章 军人违反职责罪"


@pytest.mark.parametrize(
    ("article", "section", "title"),
    [
        ("140", 1, "生产、销售伪劣商品罪"), ("150", 1, "生产、销售伪劣商品罪"), ("151", 2, "走私罪"),
        ("169-1", 3, "妨害对公司、企业的管理秩序罪"), ("191", 4, "破坏金融管理秩序罪"),
        ("192", 5, "金融诈骗罪"), ("212", 6, "危害税收征管罪"), ("231", 8, "扰乱市场秩序罪"),
        ("277", 1, "扰乱公共秩序罪"), ("304", 1, "扰乱公共秩序罪"), ("312", 2, "妨害司法罪"),
        ("322", 3, "妨害国（边）境管理罪"), ("347", 7, "走私、贩卖、运输、制造毒品罪"),
        ("362", 8, "组织、强迫、引诱、容留、介绍卖淫罪"), ("367", 9, "制作、贩卖、传播淫秽物品罪"),
        ("264", None, None), ("420", None, None),
    ],
)  # fmt: skip
def test_sections(article: str, section: int | None, title: str | None) -> None:
    info = lookup_article(article)
    assert info is not None
    assert (info.section, info.section_title) == (section, title)


@PROPS
@given(a=st.integers(min_value=102, max_value=451), b=st.integers(min_value=102, max_value=451))
def test_chapter_is_monotone_in_the_article_number(a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    info_lo, info_hi = lookup_article(str(lo)), lookup_article(str(hi))
    assert info_lo is not None and info_hi is not None
    assert info_lo.chapter <= info_hi.chapter


# ---------------------------------------------------------------------------------------------
# Normalisation


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("264", "264"), (" 264 ", "264"), ("264条", "264"), ("第264条", "264"),
        ("第二百六十四条", "264"), ("二百六十四", "264"), ("第一百零二条", "102"),
        ("第一百一十四条", "114"), ("第四百五十一条", "451"), ("133-1", "133-1"),
        ("133之一", "133-1"), ("第133条之一", "133-1"), ("第一百三十三条之二", "133-2"),
        ("133条之1", "133-1"), ("１３３－１", "133-1"), ("133—1", "133-1"),
        ("第一百二十条之六", "120-6"), ("刑法第237条第三款", "237"), ("《中华人民共和国刑法》第264条", "264"),
        ("第二百三十七条第3款第1项", "237"), ("第 264 条", "264"),
    ],
)  # fmt: skip
def test_normalize_article(text: str, key: str) -> None:
    assert normalize_article(text) == key
    info = lookup_article(text)
    assert info is not None and info.article == key


@pytest.mark.parametrize("text", ["", "条", "abc", "二二", "一百百", "第264条之", "264-0", "264-10", "§264", "百"])
def test_normalize_article_rejects_garbage(text: str) -> None:
    assert normalize_article(text) is None
    assert lookup_article(text) is None


@pytest.mark.parametrize("text", ["101", "452", "1", "第一条", "264-1", "133-3", "第三百条之一"])
def test_articles_outside_the_table(text: str) -> None:
    assert normalize_article(text) is not None
    assert lookup_article(text) is None


@PROPS
@given(n=st.integers(min_value=102, max_value=451))
def test_chinese_numeral_articles(n: int) -> None:
    info = lookup_article(f"第{cn_number(n)}条")
    assert info is not None and info.article == str(n)


def test_every_inserted_article_in_chinese() -> None:
    for key in SUB_ARTICLES:
        base, sub = key.split("-")
        info = lookup_article(f"第{cn_number(int(base))}条之{CN[int(sub)]}")
        assert info is not None and info.article == key


# ---------------------------------------------------------------------------------------------
# Charges


JUVENILE_CHARGES = [
    ("盗窃罪", "264"), ("寻衅滋事罪", "293"), ("故意伤害罪", "234"), ("抢劫罪", "263"),
    ("聚众斗殴罪", "292"), ("诈骗罪", "266"), ("强奸罪", "236"), ("强制猥亵、侮辱罪", "237"),
    ("猥亵儿童罪", "237"), ("故意杀人罪", "232"), ("抢夺罪", "267"), ("敲诈勒索罪", "274"),
    ("帮助信息网络犯罪活动罪", "287-2"), ("掩饰、隐瞒犯罪所得、犯罪所得收益罪", "312"),
    ("非法拘禁罪", "238"), ("绑架罪", "239"), ("拐卖儿童罪", "240"), ("交通肇事罪", "133"),
    ("危险驾驶罪", "133-1"), ("放火罪", "114"), ("贩卖毒品罪", "347"), ("组织卖淫罪", "358"),
    ("负有照护职责人员性侵罪", "236-1"), ("虐待罪", "260"), ("虐待被监护、看护人罪", "260-1"),
    ("遗弃罪", "261"), ("拐骗儿童罪", "262"), ("组织未成年人进行违反治安管理活动罪", "262-2"),
    ("非法侵入住宅罪", "245"), ("侵犯公民个人信息罪", "253-1"), ("职务侵占罪", "271"),
    ("妨害公务罪", "277"), ("袭警罪", "277"), ("开设赌场罪", "303"), ("非法持有毒品罪", "348"),
    ("容留他人吸毒罪", "354"), ("故意毁坏财物罪", "275"), ("信用卡诈骗罪", "196"),
    ("传播淫秽物品牟利罪", "363"), ("窝藏罪", "310"), ("包庇罪", "310"), ("高空抛物罪", "291-2"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "article"), JUVENILE_CHARGES)
def test_common_juvenile_charges(name: str, article: str) -> None:
    info = check_charge(name, article)
    assert isinstance(info, ArticleInfo)
    assert info.article == article


@pytest.mark.parametrize(
    ("name", "article"),
    [
        ("走私、贩卖、运输、制造毒品罪", "347"), ("贩卖、运输毒品罪", "347"), ("运输毒品罪", "347"),
        ("拐卖妇女、儿童罪", "240"), ("强制猥亵罪", "237"), ("强制侮辱罪", "237"),
        ("掩饰、隐瞒犯罪所得罪", "312"), ("隐瞒犯罪所得收益罪", "312"),
        ("非法买卖枪支罪", "125"), ("非法持有枪支罪", "128"), ("伪造身份证件罪", "280"),
        ("买卖国家机关证件罪", "280"), ("盗窃尸体罪", "302"), ("容留卖淫罪", "359"),
        ("生产、销售有毒、有害食品罪", "144"), ("销售有毒食品罪", "144"), ("收买被拐卖的儿童罪", "241"),
        ("编造虚假恐怖信息罪", "291-1"), ("使用虚假身份证件罪", "280-1"), ("包庇罪", "362"),
    ],
)  # fmt: skip
def test_selective_names_may_be_charged_in_part(name: str, article: str) -> None:
    assert check_charge(name, article).article == article


@pytest.mark.parametrize(
    ("name", "article"),
    [
        ("运输、贩卖毒品罪", "347"),  # order reversed
        ("贩卖毒品", "264"),
        ("盗窃枪支罪", "264"),
        ("盗窃罪", "127"),
        ("侮辱罪", "237"),  # 侮辱罪 is Art 246; 237 is 强制侮辱
        ("毒品罪", "347"),
    ],
)
def test_wrong_selections_are_refused(name: str, article: str) -> None:
    with pytest.raises(UnknownCharge):
        check_charge(name, article)


def test_conversion_articles_accept_the_applied_crime() -> None:
    assert check_charge("抢劫罪", "269").article == "269"
    assert check_charge("抢劫罪", "267").article == "267"  # 携带凶器抢夺
    assert check_charge("故意伤害罪", "292").article == "292"  # 聚众斗殴致人重伤
    assert check_charge("故意杀人罪", "238").article == "238"
    assert check_charge("贪污罪", "183").article == "183"


def test_name_comparison_is_lenient_about_form() -> None:
    assert check_charge(" 盗窃 ", "第二百六十四条").article == "264"
    assert check_charge("掩饰,隐瞒犯罪所得罪", "312").article == "312"
    assert check_charge("掩饰，隐瞒犯罪所得罪", "312").article == "312"
    assert check_charge("吸收客户资金不入账罪", "187").article == "187"
    assert check_charge("组织他人偷越国(边)境罪", "318").article == "318"


def test_former_names() -> None:
    assert check_charge("强制猥亵妇女罪", "237").article == "237"
    info = check_charge("非法获取公民个人信息罪", "253-1")
    assert "非法获取公民个人信息罪" in info.former_names
    assert "侵犯公民个人信息罪" in info.crime_names
    assert check_charge("窝藏赃物罪", "312").article == "312"
    with pytest.raises(UnknownCharge):
        check_charge("强制猥亵妇女罪", "237", allow_former_names=False)


def test_unknown_article_message() -> None:
    with pytest.raises(UnknownCharge, match="102–451") as info:
        check_charge("盗窃罪", "452")
    assert "第102–451条" in str(info.value)
    with pytest.raises(UnknownCharge, match="102–451"):
        check_charge("盗窃罪", "not an article")
    assert isinstance(info.value, ValueError)


def test_wrong_crime_for_the_article_message_names_both_parts() -> None:
    with pytest.raises(UnknownCharge) as info:
        check_charge("盗窃罪", "263")
    text = str(info.value)
    assert "第263条" in text and "盗窃罪" in text and "抢劫罪" in text
    assert "第264条" in text  # where 盗窃罪 is defined
    assert "not defined in Art 263" in text


def test_repealed_article_and_empty_name() -> None:
    with pytest.raises(UnknownCharge, match="已被删除"):
        check_charge("集资诈骗罪", "199")
    info = lookup_article("199")
    assert info is not None and info.repealed and info.crime_names == ()
    with pytest.raises(UnknownCharge, match="不能为空"):
        check_charge("  ", "264")


def test_articles_without_own_crime_accept_any_name() -> None:
    for key in ("106", "113", "200", "287", "420", "451"):
        info = lookup_article(key)
        assert info is not None and info.crime_names == ()
        assert check_charge("任意罪名", key).article == key


def test_articles_for_crime() -> None:
    assert articles_for_crime("盗窃罪") == ("196", "210", "253", "264", "265")
    assert articles_for_crime("贩卖毒品罪") == ("347",)
    assert articles_for_crime("强制猥亵妇女罪") == ()
    assert articles_for_crime("强制猥亵妇女罪", include_former=True) == ("237",)


def test_every_canonical_name_is_accepted_by_its_own_article() -> None:
    for info in all_articles():
        for name in info.crime_names + info.former_names:
            assert check_charge(name, info.article) is info
            assert info.article in articles_for_crime(name, include_former=True)
        assert len(set(info.crime_names)) == len(info.crime_names)
        assert all(name.endswith("罪") for name in info.crime_names)
