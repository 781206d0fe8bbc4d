"""PDF renderer benchmark (issue 5): render time per document and for a batch, against a one-line document.

    .venv/bin/python bench/bench_documents.py [--repeats 8] [--batch 100] [--workers 2] [--quick]

Measures, in one process, the median render time of a two-page official decision (``base.html``) and of a
one-line plain document (``plain.html``, the baseline), through ``lib/pdf.html_to_pdf`` (WeasyPrint in this
process); then a batch of ``--batch`` decisions through ``pdf.Renderer`` (the worker pool the service
uses) against the same batch of one-line documents; and the peak resident memory of this process and of
the pool's workers. Aim: the decision costs at most three times the one-line document.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c

TAG = "bench_documents"
PARAGRAPH = (
    "本院经审查认为，被附条件不起诉人王某某涉嫌盗窃罪，犯罪时未满十八周岁，有悔罪表现，可能判处一年有期徒刑以下刑罚。"
)


def decision(paragraphs: int) -> dict[str, Any]:
    return {
        "unit": "济宁市任城区人民检察院",
        "title": "附条件不起诉决定书",
        "document_number": "济检未不诉〔2021〕12号",
        "addressee": "王某某",
        "paragraphs": [PARAGRAPH] * paragraphs,
        "basis": "依据《中华人民共和国刑事诉讼法》第二百八十二条第一款的规定，决定对王某某附条件不起诉。",
        "issued_on": date(2021, 3, 15),
        "sealed": False,
    }


def _pages(data: bytes) -> int:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(data)
        fh.flush()
        info = subprocess.run(["pdfinfo", fh.name], capture_output=True, text=True, check=True).stdout
    return int(info.split("Pages:")[1].split()[0])


def _two_page_paragraphs() -> int:
    """The most paragraphs that still fit on two pages (so the decision is exactly two pages)."""
    from juvenile_justice.lib import pdf

    best = 1
    for n in range(2, 40):
        data, _ = pdf.html_to_pdf(pdf.render_html("base.html", decision(n)))
        if _pages(data) > 2:
            break
        best = n
    return best


def _median_ms(template: str, context: dict[str, Any], repeats: int) -> float:
    from juvenile_justice.lib import pdf

    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        pdf.html_to_pdf(pdf.render_html(template, context))
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


async def _batch(template: str, context: dict[str, Any], n: int, workers: int) -> float:
    from juvenile_justice.lib import pdf

    renderer = pdf.Renderer(workers=workers)
    try:
        await renderer.render("plain.html", {"text": "预热"})  # start the workers outside the timing
        t0 = time.perf_counter()
        await asyncio.gather(*[renderer.render(template, context) for _ in range(n)])
        return time.perf_counter() - t0
    finally:
        renderer.close()


def _children_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def run(args: argparse.Namespace) -> dict[str, Any]:
    from juvenile_justice.lib import pdf

    pdf.html_to_pdf(pdf.render_html("plain.html", {"text": "预热"}))  # the first render loads fonts
    paragraphs = _two_page_paragraphs()
    context = decision(paragraphs)
    one_ms = _median_ms("plain.html", {"text": "一行字"}, args.repeats)
    two_ms = _median_ms("base.html", context, args.repeats)
    batch_one = asyncio.run(_batch("plain.html", {"text": "一行字"}, args.batch, args.workers))
    batch_two = asyncio.run(_batch("base.html", context, args.batch, args.workers))
    return {
        "paragraphs_on_two_pages": paragraphs,
        "one_line_ms": one_ms,
        "decision_ms": two_ms,
        "decision_vs_one_line": two_ms / one_ms,
        "batch": args.batch,
        "workers": args.workers,
        "batch_one_line_s": batch_one,
        "batch_decision_s": batch_two,
        "batch_ratio": batch_two / batch_one,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_worker_rss_mb": _children_peak_mb(),
        "code": c.describe_code(None),
    }


def report(r: dict[str, Any]) -> str:
    """Human-readable results."""
    aim = "met" if r["decision_vs_one_line"] <= 3 else "MISSED"
    return "\n".join(
        [
            f"documents (load {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; {r['code']})",
            f"  one document: two-page decision ({r['paragraphs_on_two_pages']} paragraphs) {r['decision_ms']:.0f} ms; "
            f"one-line document {r['one_line_ms']:.0f} ms; ratio {r['decision_vs_one_line']:.2f} (aim ≤ 3: {aim})",
            f"  batch of {r['batch']} through the worker pool ({r['workers']} workers): decisions "
            f"{r['batch_decision_s']:.1f} s, one-line {r['batch_one_line_s']:.1f} s; ratio {r['batch_ratio']:.2f}",
            f"  peak memory: this process {r['peak_rss_mb']:.0f} MB, largest worker {r['peak_worker_rss_mb']:.0f} MB",
        ]
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=8)
    p.add_argument("--batch", type=int, default=None, help="documents per batch (default 100; quick 10)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--engine", default="both", help=argparse.SUPPRESS)  # run.py passes it; no database here
    c.add_tree_arguments(p)
    p.add_argument("--json-out", help="write the results as JSON here")
    args = p.parse_args(argv)
    if args.batch is None:
        args.batch = 10 if args.quick else 100
    if args.quick:
        args.repeats = min(args.repeats, 3)
    if args.at_rev or args.tree:
        c.log(TAG, "--at-rev/--tree are not supported here: measuring the working tree")
    result = run(args)
    print(report(result), flush=True)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, ensure_ascii=False, indent=2))
    return result


if __name__ == "__main__":
    os.chdir(c.REPO)
    main()
