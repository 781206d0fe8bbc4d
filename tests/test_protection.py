"""Sealed personal fields in the running service (issue 3): storage, blind index, fail closed.

Real database, real keys, real HTTP. Values are tampered with by raw SQL, as someone with write
access to the database (or a restored backup) could.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest

from helpers import ENGINE, OTHER_PROCURATORATE, SAMPLE_CASE, auth, make_user, resident_id, session
from juvenile_justice import db
from juvenile_justice import protection as pf
from juvenile_justice.lib.crypto import FieldCrypto, is_envelope
from juvenile_justice.lib.keyring import Keyring

CASE = SAMPLE_CASE
NAME_A, NAME_B = "司马青鸾", "上官明月"
ID_A = resident_id(date(2005, 4, 1), seq=31)
ID_B = resident_id(date(2005, 6, 2), seq=32, male=False)


@pytest.fixture(autouse=True)
async def no_tampered_rows_left() -> AsyncIterator[None]:
    """Tampered rows go with the test (a server or command started next checks a sample at start)."""
    yield
    await db.execute_script(["DELETE FROM decision", "DELETE FROM case_step", "DELETE FROM person"])


@pytest.fixture
async def pro(client: httpx.AsyncClient) -> dict[str, str]:
    await make_user("pro_enc", "prosecutor")
    return await auth(client, "pro_enc")


async def _case_with_two(client: httpx.AsyncClient, pro: dict[str, str]) -> tuple[int, int, int]:
    case = (await client.post("/api/cases", json=CASE, headers=pro)).json()
    ids = []
    for name, number, gender in ((NAME_A, ID_A, "male"), (NAME_B, ID_B, "female")):
        r = await client.post(
            f"/api/cases/{case['id']}/persons",
            json={
                "role": "suspect",
                "name": name,
                "gender": gender,
                "id_number": number,
                "phone": "13800000000",
                "address": "济宁市任城区某街道某号",
            },
            headers=pro,
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return case["id"], ids[0], ids[1]


async def _raw(sql: str, *args: object) -> list[dict]:
    return await db.fetch(sql, *args)


async def _add_step(client: httpx.AsyncClient, pro: dict[str, str], case_id: int, summary: str) -> int:
    step = {"kind": "讯问", "occurred_on": "2021-03-11", "summary": summary}
    r = await client.post(f"/api/cases/{case_id}/steps", json=step, headers=pro)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def test_personal_fields_are_stored_sealed(client: httpx.AsyncClient, pro: dict[str, str]) -> None:
    case_id, a, _ = await _case_with_two(client, pro)
    step_id = await _add_step(client, pro, case_id, "第一次讯问，监护人到场。")
    [row] = await _raw("SELECT * FROM person WHERE id = {}", a)
    for col in ("name", "id_number", "phone", "address"):
        assert is_envelope(row[col]), col
    assert NAME_A not in str(row) and ID_A not in str(row) and "13800000000" not in str(row)
    key_id, _, bits = row["id_number_index"].partition(":")
    assert len(key_id) == 8 and len(bits) == 4  # 16-bit blind index
    [srow] = await _raw("SELECT summary FROM case_step WHERE id = {}", step_id)
    assert is_envelope(srow["summary"]) and "讯问" not in srow["summary"]
    got = (await client.get(f"/api/persons/{a}", headers=pro)).json()
    assert (got["name"], got["id_number"], got["phone"]) == (NAME_A, ID_A, "13800000000")
    steps = (await client.get(f"/api/cases/{case_id}/steps", headers=pro)).json()["items"]
    assert steps[0]["summary"] == "第一次讯问，监护人到场。"


async def test_the_database_refuses_plaintext(client: httpx.AsyncClient, pro: dict[str, str]) -> None:
    _, a, _ = await _case_with_two(client, pro)
    for sql in (
        "UPDATE person SET name = '张三' WHERE id = {}",
        "UPDATE person SET phone = '13900000000' WHERE id = {}",
        "UPDATE person SET id_number_index = NULL WHERE id = {}",
        "UPDATE person SET name = 'SkUB欧阳测试甲' WHERE id = {}",  # the prefix alone is not an envelope
        f"UPDATE person SET id_number = 'SkUB{ID_A}' WHERE id = {{}}",
        f"UPDATE person SET id_number_index = '{ID_A}' WHERE id = {{}}",
        f"UPDATE person SET id_number_digest = '{ID_A}' WHERE id = {{}}",
        "UPDATE person SET address = 'SkUB' || address || '=x' WHERE id = {}",
        # SQLite reads TEXT up to a NUL: an envelope-shaped prefix must not carry plaintext behind it
        "UPDATE person SET address = substr(address, 1, 48) || char(0) || '张三370811' WHERE id = {}",
        "UPDATE person SET id_number_index = id_number_index || char(0) || 'x' WHERE id = {}",
    ):
        with pytest.raises(Exception, match=r"(?i)sealed|check|null|0x00|char"):
            async with db.transaction():
                await _raw(sql.replace("char(0)", "chr(0)") if ENGINE == "postgresql" else sql, a)
    with pytest.raises(Exception, match=r"(?i)sealed|check"):
        async with db.transaction():
            await _raw("UPDATE case_step SET summary = 'plain'")
            await _raw(
                "INSERT INTO case_step (case_file, kind, occurred_on, summary, created_at) "
                "SELECT id, 'x', offense_date, 'plain', created_at FROM case_file"
            )


def _problem_is_integrity(r: httpx.Response, *secrets: str) -> None:
    assert r.status_code == 500, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["title"] == "integrity"
    for secret in secrets:
        assert secret not in r.text


async def test_a_row_moved_to_another_units_case_does_not_open(client: httpx.AsyncClient, pro: dict[str, str]) -> None:
    case_id, a, _ = await _case_with_two(client, pro)
    step_id = await _add_step(client, pro, case_id, "第一次讯问。")
    await make_user("pro_other", "prosecutor", OTHER_PROCURATORATE)
    other = await auth(client, "pro_other")
    theirs = (await client.post("/api/cases", json=CASE, headers=other)).json()["id"]
    async with db.transaction():
        await _raw("UPDATE person SET case_file = {} WHERE id = {}", theirs, a)
        await _raw("UPDATE case_step SET case_file = {} WHERE id = {}", theirs, step_id)
    _problem_is_integrity(await client.get(f"/api/persons/{a}", headers=other), NAME_A, ID_A)
    _problem_is_integrity(await client.get(f"/api/cases/{theirs}/steps", headers=other), "第一次讯问")
    _problem_is_integrity(await client.post("/api/persons/lookup", json={"id_number": ID_A}, headers=other), NAME_A)


@pytest.mark.parametrize("kind", ["row_swap", "column_copy", "truncated", "bit_flip", "other_keyring"])
async def test_tampered_values_fail_closed_on_every_read_path(
    client: httpx.AsyncClient, pro: dict[str, str], kind: str
) -> None:
    case_id, a, b = await _case_with_two(client, pro)
    [ra] = await _raw("SELECT name, id_number, address FROM person WHERE id = {}", a)
    [rb] = await _raw("SELECT name FROM person WHERE id = {}", b)
    column, value = "name", ""
    if kind == "row_swap":
        value = rb["name"]  # B's sealed name moved onto A
    elif kind == "column_copy":
        column, value = "address", ra["name"]  # A's sealed name copied into A's address
    elif kind == "truncated":
        value = ra["name"][:-8]
    elif kind == "bit_flip":
        value = ra["name"][:20] + ("A" if ra["name"][20] != "A" else "B") + ra["name"][21:]
    else:
        foreign = FieldCrypto(Keyring.generate())
        value = foreign.encrypt_field(NAME_A, table="person", column="name", row_id=pf.case_row(case_id, a))
    async with db.transaction():
        await _raw(f"UPDATE person SET {column} = {{}} WHERE id = {{}}", value, a)
    secrets = (NAME_A, NAME_B, ID_A, value)
    _problem_is_integrity(await client.get(f"/api/persons/{a}", headers=pro), *secrets)
    _problem_is_integrity(await client.get(f"/api/cases/{case_id}/persons", headers=pro), *secrets)
    page = await client.get(f"/cases/{case_id}", headers=(await session(client, "pro_enc"))[0])
    assert page.status_code == 500 and "integrity" in page.text
    for secret in secrets:
        assert secret not in page.text
    if column == "name":
        # the ID number still matches: the lookup opens the candidate, then the whole person
        _problem_is_integrity(await client.post("/api/persons/lookup", json={"id_number": ID_A}, headers=pro), *secrets)
    # B is untouched and still readable
    assert (await client.get(f"/api/persons/{b}", headers=pro)).json()["name"] == NAME_B


async def test_swapped_id_numbers_fail_the_lookup(client: httpx.AsyncClient, pro: dict[str, str]) -> None:
    _, a, b = await _case_with_two(client, pro)
    rows = {r["id"]: r for r in await _raw("SELECT id, id_number, id_number_index FROM person")}
    async with db.transaction():
        # swap the sealed ID numbers but leave the blind indexes: each index now leads to a foreign cell
        await _raw("UPDATE person SET id_number = {} WHERE id = {}", rows[b]["id_number"], a)
        await _raw("UPDATE person SET id_number = {} WHERE id = {}", rows[a]["id_number"], b)
    _problem_is_integrity(await client.post("/api/persons/lookup", json={"id_number": ID_A}, headers=pro), ID_A, ID_B)


@pytest.fixture
async def unguarded_person_table() -> AsyncIterator[None]:
    """The person table without its seal guard (as if an attacker or an old version wrote to it)."""
    if ENGINE == "postgresql":
        [c] = await _raw("SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'person_sealed'")
        restore = f"ALTER TABLE person ADD CONSTRAINT person_sealed {c['def']}"
        await db.execute_script(["ALTER TABLE person DROP CONSTRAINT person_sealed"])
    else:
        [t] = await _raw("SELECT sql FROM sqlite_master WHERE name = 'person_sealed_update'")
        restore = t["sql"]
        await db.execute_script(["DROP TRIGGER person_sealed_update"])
    yield
    await db.execute_script(["DELETE FROM decision", "DELETE FROM person", restore])


@pytest.mark.usefixtures("unguarded_person_table")
async def test_plaintext_in_a_sealed_column_is_never_returned(client: httpx.AsyncClient, pro: dict[str, str]) -> None:
    case_id, a, _ = await _case_with_two(client, pro)
    async with db.transaction():
        await _raw("UPDATE person SET name = {}, address = NULL WHERE id = {}", "明文姓名", a)
    _problem_is_integrity(await client.get(f"/api/persons/{a}", headers=pro), "明文姓名")
    _problem_is_integrity(await client.get(f"/api/cases/{case_id}/persons", headers=pro), "明文姓名")
    page = await client.get(f"/cases/{case_id}", headers=(await session(client, "pro_enc"))[0])
    assert page.status_code == 500 and "明文姓名" not in page.text


async def test_lookup_opens_only_candidates(
    client: httpx.AsyncClient, pro: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    case = (await client.post("/api/cases", json=CASE, headers=pro)).json()
    numbers = [resident_id(date(2004, 1, 1 + i % 28), seq=100 + i) for i in range(40)]
    for i, number in enumerate(numbers):
        r = await client.post(
            f"/api/cases/{case['id']}/persons",
            json={"role": "witness", "name": f"证人{i:02d}", "gender": "male", "id_number": number},
            headers=pro,
        )
        assert r.status_code == 201, r.text
    opened: list[str] = []
    original = FieldCrypto.decrypt_field

    def counting(self: FieldCrypto, envelope: str, *, table: str, column: str, row_id: object) -> str:
        opened.append(f"{table}.{column}")
        return original(self, envelope, table=table, column=column, row_id=row_id)  # type: ignore[arg-type]

    monkeypatch.setattr(FieldCrypto, "decrypt_field", counting)
    r = await client.post("/api/persons/lookup", json={"id_number": numbers[7]}, headers=pro)
    assert r.status_code == 200 and len(r.json()["items"]) == 1
    # one candidate (40 rows, 16-bit index): its ID number, then that person's four fields
    assert opened.count("person.id_number") <= 3 and len(opened) <= 8, opened


async def test_duplicate_person_is_refused_by_the_digest(client: httpx.AsyncClient, pro: dict[str, str]) -> None:
    case_id, a, _ = await _case_with_two(client, pro)
    again = {"role": "suspect", "name": NAME_A, "gender": "male", "id_number": ID_A}
    r = await client.post(f"/api/cases/{case_id}/persons", json=again, headers=pro)
    assert r.status_code == 409
    # the unique index holds without the service's check (concurrent inserts on PostgreSQL)
    [row] = await _raw("SELECT * FROM person WHERE id = {}", a)
    with pytest.raises(Exception, match=r"(?i)unique"):
        async with db.transaction():
            [new_id] = await db.reserve_ids("person", 1)
            copy = {k: v for k, v in row.items() if k != "id"}
            for col in ("name", "id_number"):
                copy[col] = pf.seal("person", col, new_id, "x")
            cols = ", ".join(["id", *copy])
            await _raw(
                f"INSERT INTO person ({cols}) VALUES ({', '.join('{}' for _ in range(len(copy) + 1))})",
                new_id,
                *copy.values(),
            )
    # as a guardian the same person may be added
    guardian = await client.post(f"/api/cases/{case_id}/persons", json={**again, "role": "witness"}, headers=pro)
    assert guardian.status_code == 201


async def test_row_ids_are_reserved_before_sealing(client: httpx.AsyncClient, pro: dict[str, str]) -> None:
    await _case_with_two(client, pro)
    async with db.transaction():
        first = await db.reserve_ids("person", 3)
    assert len(set(first)) == 3 and min(first) > 0
    rows = await _raw("SELECT id FROM person")
    assert not {r["id"] for r in rows} & set(first)
    with pytest.raises(ValueError):
        await db.reserve_ids("person; DROP TABLE x", 1)


async def test_failed_log_ins_store_no_typed_text(client: httpx.AsyncClient) -> None:
    for typed in (NAME_A, ID_A, "pro_enc"):
        r = await client.post("/api/auth/token", json={"username": typed, "password": "wrong-password-1"})
        assert r.status_code == 401
    rows = await _raw("SELECT username FROM login_attempt")
    assert len(rows) == 3
    for row in rows:
        key_id, _, digest = row["username"].partition(":")
        assert len(key_id) == 8 and len(digest) == 32
        assert NAME_A not in row["username"] and ID_A not in row["username"]
