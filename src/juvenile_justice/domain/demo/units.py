"""Jining City (济宁市, Shandong) units and geography used by the demo data.

Everything here is public administrative fact: the names of the procuratorates
and courts, the courts' case-number codes (法院代字, e.g. 鲁0811), township names
and the administrative-division codes that prefix resident ID numbers.  The
validity years of the division codes mirror ``stdnum/cn/loc.dat`` of
python-stdnum 2.2, which is what ``stdnum.cn.ric.validate`` checks against: a
code is only accepted for people *born* within its validity years.  No Jining
code of the 3708xx series is valid before 1983, so people born earlier carry the
former 济宁地区 codes (3727xx) that the same table lists for those years.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

UnitKind = Literal["procuratorate", "court"]

PROVINCE_CODE = "370000"
CITY_PROCURATORATE = "济宁市人民检察院"
INTERMEDIATE_COURT = "济宁市中级人民法院"


@dataclass(frozen=True, slots=True)
class UnitSpec:
    """A procuratorate or court as the application's unit registry knows it."""

    name: str
    kind: UnitKind
    parent: str | None
    province_code: str = PROVINCE_CODE
    doc_prefix: str | None = None


@dataclass(frozen=True, slots=True)
class RegionCode:
    """A 6-digit division code and the birth years (inclusive) it is valid for."""

    code: str
    first_year: int | None
    last_year: int | None
    label: str

    def valid_for(self, year: int) -> bool:
        return (self.first_year is None or year >= self.first_year) and (
            self.last_year is None or year <= self.last_year
        )


@dataclass(frozen=True, slots=True)
class County:
    """Where people live: address prefix, townships and ID-number codes."""

    name: str
    towns: tuple[str, ...]
    codes: tuple[RegionCode, ...]


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    """A procuratorate with its document prefix, trial court, area and case share."""

    procuratorate: str
    doc_prefix: str
    court: str
    counties: tuple[str, ...]
    weight: float


def _rc(code: str, first: int | None, last: int | None, label: str) -> RegionCode:
    return RegionCode(code, first, last, label)


_RENCHENG_CODES = (
    _rc("372701", None, 1983, "济宁市(济宁地区)"),
    _rc("372721", None, 1983, "济宁县"),
    _rc("370802", 1983, 2013, "市中区"),
    _rc("370811", 1983, None, "郊区/任城区"),
)

COUNTIES: dict[str, County] = {
    c.name: c
    for c in (
        County(
            "任城区",
            (
                "古槐街道",
                "阜桥街道",
                "越河街道",
                "济阳街道",
                "南苑街道",
                "仙营街道",
                "金城街道",
                "唐口街道",
                "安居街道",
                "李营街道",
                "喻屯镇",
                "长沟镇",
            ),
            _RENCHENG_CODES,
        ),
        County(
            "兖州区",
            (
                "鼓楼街道",
                "龙桥街道",
                "酒仙桥街道",
                "兴隆庄街道",
                "大安镇",
                "新驿镇",
                "颜店镇",
                "漕河镇",
                "小孟镇",
            ),
            (
                _rc("372722", None, 1983, "兖州县"),
                _rc("370822", 1983, 1992, "兖州县"),
                _rc("370882", 1992, 2013, "兖州市"),
                _rc("370812", 2013, None, "兖州区"),
            ),
        ),
        County(
            "曲阜市",
            (
                "鲁城街道",
                "书院街道",
                "时庄街道",
                "小雪街道",
                "吴村镇",
                "姚村镇",
                "陵城镇",
                "尼山镇",
                "息陬镇",
                "王庄镇",
            ),
            (
                _rc("372723", None, 1983, "曲阜县"),
                _rc("370823", 1983, 1986, "曲阜县"),
                _rc("370881", 1989, None, "曲阜市"),
            ),
        ),
        County(
            "邹城市",
            (
                "钢山街道",
                "千泉街道",
                "凫山街道",
                "峄山镇",
                "太平镇",
                "中心店镇",
                "唐村镇",
                "北宿镇",
                "郭里镇",
                "城前镇",
                "香城镇",
            ),
            (
                _rc("372725", None, 1983, "邹县"),
                _rc("370825", 1983, 1992, "邹县"),
                _rc("370883", 1992, None, "邹城市"),
            ),
        ),
        County(
            "微山县",
            ("夏镇街道", "昭阳街道", "傅村街道", "韩庄镇", "欢城镇", "南阳镇", "鲁桥镇", "两城镇", "马坡镇"),
            (_rc("372726", None, 1983, "微山县"), _rc("370826", 1983, None, "微山县")),
        ),
        County(
            "鱼台县",
            ("谷亭街道", "滨湖街道", "王庙镇", "李阁镇", "唐马镇", "老砦镇", "王鲁镇", "张黄镇", "清河镇"),
            (_rc("372727", None, 1983, "鱼台县"), _rc("370827", 1983, None, "鱼台县")),
        ),
        County(
            "金乡县",
            (
                "金乡街道",
                "高河街道",
                "王丕街道",
                "鱼山街道",
                "羊山镇",
                "胡集镇",
                "鸡黍镇",
                "卜集镇",
                "化雨镇",
                "霄云镇",
            ),
            (_rc("372728", None, 1983, "金乡县"), _rc("370828", 1983, None, "金乡县")),
        ),
        County(
            "嘉祥县",
            (
                "嘉祥街道",
                "卧龙山街道",
                "纸坊镇",
                "梁宝寺镇",
                "马村镇",
                "金屯镇",
                "大张楼镇",
                "孟姑集镇",
                "满硐镇",
                "仲山镇",
            ),
            (_rc("372729", None, 1983, "嘉祥县"), _rc("370829", 1983, None, "嘉祥县")),
        ),
        County(
            "汶上县",
            (
                "汶上街道",
                "中都街道",
                "南站镇",
                "次丘镇",
                "寅寺镇",
                "郭楼镇",
                "康驿镇",
                "苑庄镇",
                "义桥镇",
                "杨店镇",
            ),
            (_rc("372730", None, 1983, "汶上县"), _rc("370830", 1985, None, "汶上县")),
        ),
        County(
            "泗水县",
            (
                "济河街道",
                "泉林镇",
                "星村镇",
                "柘沟镇",
                "金庄镇",
                "苗馆镇",
                "中册镇",
                "杨柳镇",
                "泗张镇",
                "圣水峪镇",
            ),
            (
                _rc("372724", None, 1983, "泗水县"),
                _rc("370824", 1983, 1983, "泗水县"),
                _rc("370831", 1985, None, "泗水县"),
            ),
        ),
        County(
            "梁山县",
            (
                "水泊街道",
                "梁山街道",
                "拳铺镇",
                "杨营镇",
                "韩岗镇",
                "馆驿镇",
                "小路口镇",
                "黑虎庙镇",
                "寿张集镇",
                "小安山镇",
            ),
            # 梁山 belonged to 菏泽地区 until 1989; earlier births fall back to other
            # Jining codes (see generator), keeping every ID within Jining.
            (_rc("370832", 1989, None, "梁山县"),),
        ),
        County("高新区", ("黄屯街道", "王因街道", "洸河街道", "柳行街道", "接庄街道"), _RENCHENG_CODES),
        County("太白湖新区", ("许庄街道", "石桥镇", "南张街道"), _RENCHENG_CODES),
    )
}

_B = "人民法院"
JURISDICTIONS: tuple[Jurisdiction, ...] = (
    Jurisdiction(CITY_PROCURATORATE, "济检未", INTERMEDIATE_COURT, tuple(COUNTIES), 1.0),
    Jurisdiction("济宁市任城区人民检察院", "任检未", "济宁市任城区" + _B, ("任城区",), 18.0),
    Jurisdiction("济宁市兖州区人民检察院", "兖检未", "济宁市兖州区" + _B, ("兖州区",), 7.5),
    Jurisdiction("曲阜市人民检察院", "曲检未", "曲阜市" + _B, ("曲阜市",), 7.5),
    Jurisdiction("邹城市人民检察院", "邹检未", "邹城市" + _B, ("邹城市",), 13.0),
    Jurisdiction("微山县人民检察院", "微检未", "微山县" + _B, ("微山县",), 7.0),
    Jurisdiction("鱼台县人民检察院", "鱼检未", "鱼台县" + _B, ("鱼台县",), 5.0),
    Jurisdiction("金乡县人民检察院", "金检未", "金乡县" + _B, ("金乡县",), 7.5),
    Jurisdiction("嘉祥县人民检察院", "嘉检未", "嘉祥县" + _B, ("嘉祥县",), 9.0),
    Jurisdiction("汶上县人民检察院", "汶检未", "汶上县" + _B, ("汶上县",), 8.0),
    Jurisdiction("泗水县人民检察院", "泗检未", "泗水县" + _B, ("泗水县",), 6.5),
    Jurisdiction("梁山县人民检察院", "梁检未", "梁山县" + _B, ("梁山县",), 8.5),
    Jurisdiction("济宁高新技术产业开发区人民检察院", "高新检未", "济宁高新技术产业开发区" + _B, ("高新区",), 3.0),
    Jurisdiction("济宁太白湖新区人民检察院", "太白湖检未", "济宁市任城区" + _B, ("太白湖新区",), 2.0),
    Jurisdiction("济宁经济技术开发区人民检察院", "经开检未", "嘉祥县" + _B, ("嘉祥县", "任城区"), 2.0),
)

# Case-number codes of the courts, as printed in e.g. (2021)鲁0811刑初123号.
COURT_CODES: dict[str, str] = {
    INTERMEDIATE_COURT: "鲁08",
    "济宁市任城区" + _B: "鲁0811",
    "济宁市兖州区" + _B: "鲁0812",
    "曲阜市" + _B: "鲁0881",
    "邹城市" + _B: "鲁0883",
    "微山县" + _B: "鲁0826",
    "鱼台县" + _B: "鲁0827",
    "金乡县" + _B: "鲁0828",
    "嘉祥县" + _B: "鲁0829",
    "汶上县" + _B: "鲁0830",
    "泗水县" + _B: "鲁0831",
    "梁山县" + _B: "鲁0832",
    "济宁高新技术产业开发区" + _B: "鲁0891",
}

UNITS: list[UnitSpec] = [
    UnitSpec(CITY_PROCURATORATE, "procuratorate", None, doc_prefix="济检未"),
    *(
        UnitSpec(j.procuratorate, "procuratorate", CITY_PROCURATORATE, doc_prefix=j.doc_prefix)
        for j in JURISDICTIONS
        if j.procuratorate != CITY_PROCURATORATE
    ),
    UnitSpec(INTERMEDIATE_COURT, "court", None),
    *(UnitSpec(court, "court", INTERMEDIATE_COURT) for court in COURT_CODES if court != INTERMEDIATE_COURT),
]

UNIT_NAMES: frozenset[str] = frozenset(u.name for u in UNITS)
