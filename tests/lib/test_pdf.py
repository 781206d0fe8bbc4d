"""The PDF renderer (issue 5, first slice): official layout, Chinese fonts, safe fetching, isolation.

PDFs are read back with poppler (pdftotext, pdffonts, pdfdetach, pdfimages), as a reader would.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from helpers import poppler, squeeze
from juvenile_justice.lib import pdf

OFFICIAL = {
    "unit": "济宁市任城区人民检察院",
    "title": "附条件不起诉决定书",
    "document_number": "济检未不诉〔2021〕12号",
    "addressee": "王某某",
    "paragraphs": ["本院经审查认为，被附条件不起诉人王某某涉嫌盗窃罪，犯罪时未满十八周岁。"] * 40,
    "basis": "依据《中华人民共和国刑事诉讼法》第二百八十二条第一款的规定，决定对王某某附条件不起诉。",
    "issued_on": date(2021, 3, 15),
    "sealed": False,
}
HOSTILE = [
    '<link rel="attachment" href="file:///etc/passwd">',
    '<img src="http://127.0.0.1:1/x.png">',
    "<style>@import url(file:///etc/passwd); body { background: url(http://127.0.0.1:1/b.png) }</style>",
    '<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/hostname" width="9" height="9"/></svg>',
    "<script>document.write('x')</script>",
    '"><iframe src="file:///etc/passwd"></iframe>',
]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2021, 3, 15), "二〇二一年三月十五日"),
        (date(2020, 10, 1), "二〇二〇年十月一日"),
        (date(2026, 12, 31), "二〇二六年十二月三十一日"),
        (date(2019, 11, 20), "二〇一九年十一月二十日"),
    ],
)
def test_dates_are_written_as_official_documents_write_them(day: date, expected: str) -> None:
    assert pdf.chinese_date(day) == expected


def test_an_official_document_reads_back_in_chinese_with_embedded_fonts(tmp_path: Path) -> None:
    data, log = pdf.html_to_pdf(pdf.render_html("base.html", OFFICIAL))
    text = poppler("pdftotext", data, tmp_path)
    parts = [OFFICIAL["unit"], OFFICIAL["title"], OFFICIAL["document_number"], "王某某：", "二〇二一年三月十五日"]
    for part in [*parts, OFFICIAL["basis"]]:
        assert part in squeeze(text), part  # exact characters; lines wrap where the page does
    assert text.count("本院经审查认为") == 40
    pages = int(re.search(r"Pages:\s+(\d+)", poppler("pdfinfo", data, tmp_path)).group(1))  # type: ignore[union-attr]
    assert pages >= 2
    assert all(f"第{n}页共{pages}页" in text for n in range(1, pages + 1))
    fonts = poppler("pdffonts", data, tmp_path)
    cjk = [line for line in fonts.splitlines() if "CJK-SC" in line]
    assert cjk and all(" yes yes yes " in line for line in cjk), fonts  # embedded, subset, with ToUnicode
    assert "CJK-JP" not in fonts
    assert log.allowed == ["document.css"] and log.refused == []


def test_a_sealed_document_carries_the_marking_and_watermark(tmp_path: Path) -> None:
    data, _ = pdf.html_to_pdf(pdf.render_html("base.html", {**OFFICIAL, "sealed": True, "paragraphs": ["正文。"]}))
    text = squeeze(poppler("pdftotext", data, tmp_path))
    assert "封存记录" in text and "严" in text and "禁" in text


def test_hostile_case_text_renders_as_text_and_fetches_nothing(tmp_path: Path) -> None:
    context = {**OFFICIAL, "title": HOSTILE[0], "addressee": HOSTILE[1], "paragraphs": HOSTILE, "basis": HOSTILE[2]}
    data, log = pdf.html_to_pdf(pdf.render_html("base.html", context))
    text = squeeze(poppler("pdftotext", data, tmp_path, "-raw"))
    for item in HOSTILE:
        assert squeeze(item) in text, item  # shown as the characters typed
    assert log.refused == [] and log.allowed == ["document.css"]  # escaped: nothing was even asked for
    assert "No embedded files" in poppler("pdfdetach", data, tmp_path, "-list") or re.search(
        r"^0 embedded files", poppler("pdfdetach", data, tmp_path, "-list"), re.M
    )
    assert len(poppler("pdfimages", data, tmp_path, "-list").splitlines()) == 2  # the header only


def test_the_fetcher_refuses_files_networks_and_escapes_from_the_assets(tmp_path: Path) -> None:
    """Even markup that bypassed escaping (a template bug) cannot read a file or reach the network."""
    html = (
        "<html lang='zh-Hans'><body><p>正文</p>"
        + "".join(HOSTILE)
        + (
            f'<link rel="attachment" href="{(pdf.ASSETS_DIR / ".." / "base.html").as_uri()}">'
            f'<img src="{(pdf.ASSETS_DIR / "document.css").as_uri()}?x">'
        )
        + "</body></html>"
    )
    data, log = pdf.html_to_pdf(html)
    assert len(log.refused) >= 7 and log.allowed == []
    assert any("/etc/passwd" in url for url in log.refused)
    assert any(url.startswith("http://127.0.0.1:1/") for url in log.refused)
    listing = poppler("pdfdetach", data, tmp_path, "-list")
    assert re.search(r"^0 embedded files", listing, re.M), listing
    assert b"root:" not in data
    assert pdf.asset_path("file:///etc/passwd") is None
    assert pdf.asset_path((pdf.ASSETS_DIR / ".." / "base.html").as_uri()) is None
    assert pdf.asset_path("http://localhost/document.css") is None
    assert pdf.asset_path((pdf.ASSETS_DIR / "document.css").as_uri()) is not None


def test_a_symlink_in_the_assets_does_not_lead_out(tmp_path: Path) -> None:
    link = pdf.ASSETS_DIR / f"test-link-{tmp_path.name}.css"
    link.symlink_to("/etc/passwd")
    try:
        assert pdf.asset_path(link.as_uri()) is None
    finally:
        link.unlink()


async def test_documents_render_in_worker_processes_with_a_time_limit() -> None:
    renderer = pdf.Renderer(workers=1)
    try:
        data, log = await renderer.render("plain.html", {"text": "一行字"})
        assert data.startswith(b"%PDF-") and log.allowed == ["document.css"]
        slow = pdf.Renderer(workers=1, time_limit=0.001)
        with pytest.raises(pdf.RenderError, match="longer than"):
            await slow.render("base.html", OFFICIAL)
        data, _ = await renderer.render("plain.html", {"text": "又一行"})  # the other pool is unaffected
        assert data.startswith(b"%PDF-")
        with pytest.raises(pdf.RenderError, match="UndefinedError"):
            await renderer.render("base.html", {"title": "缺少字段"})
    finally:
        renderer.close()
