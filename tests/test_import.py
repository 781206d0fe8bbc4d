"""``juvenile-justice import``: bad lines reported and not written, good lines written, idempotent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from helpers import make_user, resident_id
from juvenile_justice import db
from juvenile_justice.domain.accounts import service as accounts
from juvenile_justice.domain.cases.importing import import_objects, read_jsonl

UNIT = "济宁市任城区人民检察院"


def line(n: int, **over: object) -> dict:
    base = {
        "external_id": f"t-{n}",
        "unit": UNIT,
        "case_type": "juvenile_suspect",
        "title": f"张某某盗窃案{n}",
        "offense_date": "2021-02-14",
        "received_on": "2021-03-01",
        "charges": [{"name": "盗窃罪", "article": "264"}],
        "persons": [
            {
                "ref": "p1",
                "role": "suspect",
                "name": "张三",
                "gender": "male",
                "id_number": resident_id(date(2004, 6, 1), seq=n % 90 + 10),
            },
            {
                "ref": "p2",
                "role": "legal_representative",
                "name": "张大",
                "gender": "male",
                "id_number": resident_id(date(1978, 6, 1), region="372701", seq=n % 90 + 10),
            },
        ],
        "steps": [{"kind": "受理", "occurred_on": "2021-03-01", "summary": "公安机关移送审查起诉。"}],
        "decisions": [
            {
                "person_ref": "p1",
                "kind": "non_prosecution_relative",
                "decision_date": "2021-05-01",
                "document_number": f"任检未刑不诉〔2021〕{n}号",
            }
        ],
    }
    base.update(over)
    return base


async def counts() -> dict[str, int]:
    out = {}
    for table in ("case_file", "person", "case_step", "decision", "case_charge"):
        row = await db.fetch_one(f"SELECT COUNT(*) AS n FROM {table}")
        out[table] = int(row["n"]) if row else 0
    return out


def bad_lines() -> list[tuple[str, str]]:
    """(line text, expected field) pairs, each wrong in one place, late in the line where possible."""
    good = line(90)
    bad_decision = line(91)
    bad_decision["decisions"] = [{**good["decisions"][0], "person_ref": "nobody"}]
    bad_person = line(92)
    bad_person["persons"] = [good["persons"][0], {**good["persons"][1], "gender": "female"}]
    bad_step = line(93)
    bad_step["steps"] = [{"kind": "受理", "occurred_on": "2019-01-01", "summary": "x"}]
    cnp = line(94)
    cnp["decisions"] = [{**good["decisions"][0], "kind": "conditional_non_prosecution"}]
    return [
        ("{not json", "line"),
        (json.dumps(line(95, unit="没有这个检察院")), "unit"),
        (json.dumps(line(96, charges=[{"name": "盗窃罪", "article": "999"}])), "charges.0"),
        (json.dumps({k: v for k, v in line(97).items() if k != "title"}), "title"),
        (json.dumps(bad_decision), "decisions.0.person_ref"),
        (json.dumps(bad_person), "persons.1.gender"),
        (json.dumps(bad_step), "steps.0.occurred_on"),
        (json.dumps(cnp), "decisions.0.kind"),
        (json.dumps(line(98, surprise=1)), "surprise"),
    ]


async def test_mixed_file_writes_exactly_the_good_lines() -> None:
    await accounts.ensure_unit(UNIT)
    bad = bad_lines()
    texts = [json.dumps(line(1)), bad[0][0], json.dumps(line(2))] + [t for t, _ in bad[1:]] + [json.dumps(line(3))]
    report = await import_objects(read_jsonl(texts))
    assert report.created == 3 and report.unchanged == 0
    by_line = {e.line: e.field for e in report.errors}
    expected = {2: "line"} | {i + 4: f for i, (_, f) in enumerate(bad[1:])}
    assert by_line == expected, report.errors
    assert all("张三" not in e.message and "3708" not in e.message for e in report.errors)
    assert await counts() == {"case_file": 3, "person": 6, "case_step": 3, "decision": 3, "case_charge": 3}
    again = await import_objects(read_jsonl(texts))
    assert again.created == 0 and again.unchanged == 3 and len(again.errors) == len(report.errors)
    assert await counts() == {"case_file": 3, "person": 6, "case_step": 3, "decision": 3, "case_charge": 3}


async def test_prosecutor_of_imported_case_must_be_of_the_unit() -> None:
    await make_user("pro1", "prosecutor")
    await make_user("pro_qf", "prosecutor", "曲阜市人民检察院")
    ok = await import_objects(read_jsonl([json.dumps(line(1, prosecutor="pro1"))]))
    wrong = await import_objects(read_jsonl([json.dumps(line(2, prosecutor="pro_qf"))]))
    assert ok.created == 1 and [e.field for e in wrong.errors] == ["prosecutor"]


def test_cli_import_reports_and_exits_nonzero(tmp_path: Path, data_dir: Path) -> None:
    env = dict(os.environ)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "juvenile_justice.cli",
            "users",
            "add",
            "pro1",
            "--role",
            "prosecutor",
            "--unit",
            UNIT,
            "--password-stdin",
        ],
        input="synthetic-password-1\n",
        text=True,
        env=env,
        check=True,
        capture_output=True,
    )
    path = tmp_path / "cases.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps(line(1), ensure_ascii=False),
                "{oops",
                json.dumps(line(2, case_type="adult"), ensure_ascii=False),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    cmd = [sys.executable, "-m", "juvenile_justice.cli", "import", str(path)]
    first = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert first.returncode == 1
    assert "line 2: line:" in first.stderr and "line 3: case_type:" in first.stderr
    assert "created 1, unchanged 0, refused 2 line(s)" in first.stdout
    second = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert "created 0, unchanged 1, refused 2 line(s)" in second.stdout


async def test_unreadable_lines_are_reported_not_fatal(tmp_path: Path) -> None:
    from juvenile_justice.domain.cases.importing import read_jsonl_file

    await accounts.ensure_unit(UNIT)
    good = json.dumps(line(1), ensure_ascii=False).encode()
    with_separator = json.dumps(line(2, title="张某某盗窃案\u2028补充"), ensure_ascii=False).encode()
    path = tmp_path / "odd.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + good
        + b"\n"
        + b"[" * 5000
        + b"]" * 5000
        + b"\n"
        + b'{"external_id": "x", "n": '
        + b"1" * 5000
        + b"}\n"
        + b'{"external_id": "\\ud800"}\n'
        + b"\xff\xfe not utf-8\n"
        + with_separator
        + b"\r\n"
    )
    report = await import_objects(read_jsonl(read_jsonl_file(path)))
    assert {e.line for e in report.errors} == {2, 3, 4, 5}
    assert all(e.field == "line" for e in report.errors)
    assert report.created == 2  # line 1 (after the BOM) and line 6 (U+2028 inside a string, CRLF end)


async def test_external_ids_are_normalised_and_not_shared_across_units() -> None:
    await accounts.ensure_unit(UNIT)
    await accounts.ensure_unit("曲阜市人民检察院")
    first = await import_objects(read_jsonl([json.dumps(line(1, external_id="X-1"))]))
    variant = await import_objects(read_jsonl([json.dumps(line(1, external_id="Ｘ-1 "))]))
    other_unit = await import_objects(read_jsonl([json.dumps(line(2, external_id="X-1", unit="曲阜市人民检察院"))]))
    assert first.created == 1 and variant.unchanged == 1 and variant.created == 0
    assert [e.field for e in other_unit.errors] == ["external_id"]
