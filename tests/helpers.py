"""Shared helpers for tests: users, tokens, synthetic ID numbers, a live server."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx

from juvenile_justice import db
from juvenile_justice.domain.accounts import service as accounts
from juvenile_justice.lib.resident_id import check_digit

ENGINE = "postgresql" if os.environ.get("JJ_DATABASE_URL", "").startswith("postgres") else "sqlite"

TABLES = [
    "query_request",
    "unseal_request",
    "sealing_task",
    "sealed_record",
    "document_copy",
    "issued_document",
    "document_counter",
    "decision",
    "case_step",
    "person",
    "case_assignment",
    "case_charge",
    "case_file",
    "case_counter",
    "login_attempt",
    "auth_token",
    "app_user",
    "unit",
    "calendar_year",
]

PROSECUTORATE = "济宁市任城区人民检察院"
OTHER_PROCURATORATE = "曲阜市人民检察院"
COURT = "济宁市任城区人民法院"
PASSWORD = "synthetic-password-1"
SAMPLE_CASE = {
    "case_type": "juvenile_suspect",
    "title": "某某盗窃案",
    "offense_date": "2021-03-02",
    "received_on": "2021-03-10",
    "charges": [{"name": "盗窃罪", "article": "264"}],
}
"""A valid ``POST /api/cases`` body."""


IMMUTABLE_TABLES = (
    "issued_document",
    "document_copy",
    "document_counter",
    "sealed_record",
    "query_request",
    "unseal_request",
)
"""Tables whose rows the database refuses to change or delete (issued documents, number counters)."""


async def behind_the_guards(*statements: str) -> None:
    """Run SQL past the guards of :data:`IMMUTABLE_TABLES`, as the database's owner could (PostgreSQL:
    triggers disabled; SQLite: dropped and re-made): the tests' clean-up, and an intruder's view."""
    if db.is_postgres():
        await db.execute_script(
            [f"ALTER TABLE {t} DISABLE TRIGGER USER" for t in IMMUTABLE_TABLES]
            + list(statements)
            + [f"ALTER TABLE {t} ENABLE TRIGGER USER" for t in IMMUTABLE_TABLES]
        )
        return
    marks = ", ".join("{}" for _ in IMMUTABLE_TABLES)
    guards = await db.fetch(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({marks})", *IMMUTABLE_TABLES
    )
    await db.execute_script(
        [f"DROP TRIGGER {g['name']}" for g in guards] + list(statements) + [str(g["sql"]) for g in guards]
    )


async def truncate_all() -> None:
    """Empty every application table (not the migration table); issued documents past their guards."""
    if db.is_postgres():
        await behind_the_guards(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    else:
        await behind_the_guards(*[f"DELETE FROM {t}" for t in TABLES], "DELETE FROM sqlite_sequence")


def resident_id(birth: date, *, region: str = "370811", seq: int = 12, male: bool = True) -> str:
    """A synthetic, valid 18-character resident ID number (GB 11643)."""
    sex_digit = seq % 5 * 2 + (1 if male else 0)
    body = f"{region}{birth:%Y%m%d}{seq // 10 % 100:02d}{sex_digit}"
    return body + check_digit(body)


async def make_user(username: str, role: str, unit: str | None = None, *, chief: bool = False) -> str:
    """Create a user with :data:`PASSWORD` (judges in :data:`COURT`, others in :data:`PROSECUTORATE` by
    default); returns the user name."""
    unit = unit or (COURT if role == "judge" else PROSECUTORATE)
    await accounts.add_user(
        username, role=role, unit=unit, password=PASSWORD, capabilities=frozenset({"chief"}) if chief else frozenset()
    )
    return username


async def auth(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    """Bearer header for a user created by :func:`make_user`."""
    r = await client.post("/api/auth/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


CANARY_NAMES = ("欧阳娜娜", "王五", "李四", "张大", "司马青鸾", "上官明月", "证人00004", "端木晨曦")
"""Synthetic names the tests store as persons; none may appear in plaintext in a database file or log."""

_ID_PATTERN = re.compile(rb"(?<![0-9])[1-9][0-9]{16}[0-9X](?![0-9])")


def plaintext_leaks(data: bytes) -> list[str]:
    """Canary names and valid resident ID numbers (check digit right) found in ``data``."""
    found = [name for name in CANARY_NAMES if name.encode() in data]
    for match in _ID_PATTERN.finditer(data):
        number = match.group().decode()
        if check_digit(number[:17]) == number[17] and not _inside_hex_digest(data, match.start(), match.end()):
            found.append(number)
    return found


def _inside_hex_digest(data: bytes, start: int, end: int) -> bool:
    """True when data[start:end] lies in a run of 32 or more hex digits (a hash, such as the access log's)."""
    hexdigits = b"0123456789abcdefABCDEF"
    while start > 0 and data[start - 1] in hexdigits:
        start -= 1
    while end < len(data) and data[end] in hexdigits:
        end += 1
    return end - start >= 32


async def session(client: httpx.AsyncClient, username: str) -> tuple[dict[str, str], str]:
    """A browser session for pages: (headers with the session and CSRF cookies, CSRF form token)."""
    issued = await accounts.log_in(username, PASSWORD, "session")
    form = await client.get("/login")
    csrf = form.text.split('name="_csrf_token" value="')[1].split('"')[0]
    cookie = f"jj_session={issued.token}; jj_csrf={form.cookies['jj_csrf']}"
    return {"Cookie": cookie}, csrf


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def run_server(workers: int = 1) -> Iterator[str]:
    """Run ``juvenile-justice serve`` in a subprocess with the test environment; yields its URL."""
    port = free_port()
    cmd = [sys.executable, "-m", "juvenile_justice.cli", "serve", "--port", str(port), "--workers", str(workers)]
    log_path = Path(os.environ["JJ_DATA_DIR"]) / f"server-{port}.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(cmd, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("server did not start within 60 s")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def poppler(tool: str, data: bytes, tmp_path: Path, *args: str) -> str:
    """Run a poppler tool (pdftotext, pdffonts, pdfinfo, pdfdetach, pdfimages) on PDF bytes; its output."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    extra = ["-"] if tool == "pdftotext" else []
    return subprocess.run([tool, *args, str(path), *extra], capture_output=True, text=True, check=True).stdout


def squeeze(text: str) -> str:
    """Text without white space (PDF text wraps where the page does)."""
    return re.sub(r"\s+", "", text)
