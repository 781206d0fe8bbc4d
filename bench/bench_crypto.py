"""Field-level encryption costs (issue 3): envelope vs bare AEAD, person read, ID lookup, rewrap.

For each engine (own worker process, fresh temporary data dir and keyring / recreated ``jj_bench_crypto``):

1. ``field``: ``encrypt_field`` + ``decrypt_field`` of a 12-character name, both suites, against a bare
   ``AESGCM.encrypt`` + ``decrypt`` of the same bytes with a fixed key object and a fresh
   ``os.urandom(12)`` nonce (the in-run baseline; the fixed-nonce figure is printed too), and the
   binary envelope (no base64) and decryption alone, to show where the time goes.
2. ``seed``: ``--people`` persons (10 per case, one unit) sealed as the repository seals them (name, ID
   number, blind index, per-case digest), bulk-loaded (COPY on PostgreSQL).
3. ``lookup``: ``--lookups`` ID numbers of seeded persons: the blind-index SQL alone (database time,
   client-side round trip) and the whole ``persons_by_id_number`` (candidates opened and compared);
   p50/p95 against ``SELECT 1`` in the same run.
4. ``person read``: ``GET /api/persons/{id}`` over HTTP (real server) vs ``GET /health``, and the
   time the same read spends opening its four sealed fields (measured in-process on the same row):
   crypto's share of the request.
5. ``rewrap``: rotate the keys, then ``keys rewrap``'s pass over every person (rows/s), and a second
   pass that finds nothing to do (the read-and-check cost alone).

    .venv/bin/python bench/bench_crypto.py [--engine sqlite|postgres|both] [--people 1000000] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c

TAG = "bench_crypto"
UNIT = "济宁市任城区人民检察院"
USERNAME = "bench_prosecutor"
OFFENSE, RECEIVED = date(2021, 3, 2), date(2021, 3, 10)
READER_ID_BODY = "37088320040101999"
"""The person read over HTTP (邹城市; no seeded person has this region)."""


# --------------------------------------------------------------------------- 1. field


def _per_call_us(fn: Any, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n * 1e6


def _field(n: int) -> dict[str, Any]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from juvenile_justice.lib.crypto import FieldCrypto, Suite
    from juvenile_justice.lib.keyring import Keyring

    plain = "司马青鸾司马青鸾司马青鸾"
    data = plain.encode()
    aead = AESGCM(AESGCM.generate_key(bit_length=256))
    nonce = os.urandom(12)
    aad = b"x" * 60

    def bare() -> None:
        fresh = os.urandom(12)  # every correct use of GCM draws a new nonce
        aead.decrypt(fresh, aead.encrypt(fresh, data, aad), aad)

    def bare_fixed_nonce() -> None:
        aead.decrypt(nonce, aead.encrypt(nonce, data, aad), aad)

    out: dict[str, Any] = {}
    for _ in range(2):  # warm-up round, then the measured one (interleaved)
        out["bare_us"] = _per_call_us(bare, n)
        out["bare_fixed_nonce_us"] = _per_call_us(bare_fixed_nonce, n)
        for suite in (Suite.AES, Suite.SM):
            fc = FieldCrypto(Keyring.generate(suite))

            def text(fc: FieldCrypto = fc) -> None:
                e = fc.encrypt_field(plain, table="person", column="name", row_id=123456)
                fc.decrypt_field(e, table="person", column="name", row_id=123456)

            def binary(fc: FieldCrypto = fc) -> None:
                e = fc.encrypt_bytes(data, table="person", column="name", row_id=123456)
                fc.decrypt_bytes(e, table="person", column="name", row_id=123456)

            stored = fc.encrypt_field(plain, table="person", column="name", row_id=123456)
            out[f"{suite.value}_text_us"] = _per_call_us(text, n)
            out[f"{suite.value}_binary_us"] = _per_call_us(binary, n)
            out[f"{suite.value}_decrypt_only_us"] = _per_call_us(
                lambda fc=fc, stored=stored: fc.decrypt_field(stored, table="person", column="name", row_id=123456),
                n,
            )
    for suite in ("aes", "sm"):
        out[f"{suite}_text_ratio"] = out[f"{suite}_text_us"] / out["bare_us"]
        out[f"{suite}_binary_ratio"] = out[f"{suite}_binary_us"] / out["bare_us"]
    return out


# --------------------------------------------------------------------------- 2. seed


def _ids(n: int) -> list[str]:
    from juvenile_justice.lib.resident_id import check_digit

    regions = ["370811", "370812", "370826", "370827", "370828", "370829", "370830", "370831", "370832"]
    out = []
    start = date(2004, 1, 1)
    i = 0
    while len(out) < n:
        day = start + timedelta(days=i % 3650)
        region = regions[(i // 3650) % len(regions)]
        seq = (i // (3650 * len(regions))) % 1000
        body = f"{region}{day:%Y%m%d}{seq:03d}"
        out.append(body + check_digit(body))
        i += 1
    return out


async def _seed(people: int, password: str) -> dict[str, Any]:
    from juvenile_justice import db
    from juvenile_justice import protection as pf
    from juvenile_justice.domain.accounts import service as accounts
    from juvenile_justice.domain.accounts.repository import unit_by_name
    from juvenile_justice.domain.keys.service import ensure_keyring

    await ensure_keyring()
    await db.migrate()
    user_id = await accounts.add_user(USERNAME, role="prosecutor", unit=UNIT, password=password)
    unit = await unit_by_name(UNIT)
    assert unit is not None
    fc = pf.field_crypto()
    now = datetime.now(UTC)
    numbers = _ids(people)
    cases = (people + 9) // 10
    t0 = time.perf_counter()
    case_rows = [
        (i, unit.id, f"任检未受〔2021〕{i}号", "juvenile_suspect", "某某案", OFFENSE, RECEIVED, user_id, 1, now, now)
        for i in range(1, cases + 1)
    ]
    person_rows = []
    for i, number in enumerate(numbers, start=1):
        case_id = (i - 1) // 10 + 1
        person_rows.append(
            (
                i,
                case_id,
                "suspect",
                fc.encrypt_field(f"证人{i:07d}", table="person", column="name", row_id=pf.case_row(case_id, i)),
                fc.encrypt_field(number, table="person", column="id_number", row_id=pf.case_row(case_id, i)),
                "male",
                date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
                17,
                True,
                None,
                None,
                None,
                1,
                now,
                pf.id_number_index(number),
                pf.id_number_digest(case_id, number),
            )
        )
    sealed_s = time.perf_counter() - t0
    case_cols = [
        "id",
        "unit",
        "case_number",
        "case_type",
        "title",
        "offense_date",
        "received_on",
        "created_by",
        "version",
        "created_at",
        "updated_at",
    ]
    person_cols = [
        "id",
        "case_file",
        "role",
        "name",
        "id_number",
        "gender",
        "birth_date",
        "age_at_offense",
        "minor_at_offense",
        "phone",
        "address",
        "spp_approval_document",
        "version",
        "created_at",
        "id_number_index",
        "id_number_digest",
    ]
    t1 = time.perf_counter()
    engine = db.engine()
    if db.is_postgres():
        async with engine.pool.acquire() as conn:  # type: ignore[attr-defined]
            await conn.copy_records_to_table("case_file", records=case_rows, columns=case_cols)
            await conn.copy_records_to_table("person", records=person_rows, columns=person_cols)
            for table in ("case_file", "person"):
                sequence = f"pg_get_serial_sequence('{table}', 'id')"
                await conn.execute(f"SELECT setval({sequence}, (SELECT max(id) FROM {table}))")
            await conn.execute("ANALYZE")
    else:
        import sqlite3

        conn = sqlite3.connect(engine.connection_kwargs["database"])  # type: ignore[attr-defined]
        with conn:
            conn.executemany(
                f"INSERT INTO case_file ({', '.join(case_cols)}) VALUES ({', '.join('?' * len(case_cols))})",
                [tuple(v.isoformat() if isinstance(v, date | datetime) else v for v in r) for r in case_rows],
            )
            conn.executemany(
                f"INSERT INTO person ({', '.join(person_cols)}) VALUES ({', '.join('?' * len(person_cols))})",
                [tuple(v.isoformat() if isinstance(v, date | datetime) else v for v in r) for r in person_rows],
            )
        conn.execute("ANALYZE")
        conn.close()
    return {
        "people": people,
        "cases": cases,
        "seal_s": sealed_s,
        "load_s": time.perf_counter() - t1,
        "unit_id": unit.id,
        "numbers_sample": random.Random(7).sample(numbers, min(len(numbers), 2000)),
    }


# --------------------------------------------------------------------------- 3. lookup


async def _lookup(facts: dict[str, Any], n: int) -> dict[str, Any]:
    from juvenile_justice import db
    from juvenile_justice import protection as pf
    from juvenile_justice.domain.cases import repository as repo

    sample = facts["numbers_sample"][:n]
    unit_id = facts["unit_id"]
    base, sql_ms, full_ms, candidates = [], [], [], []
    for number in sample:
        t0 = time.perf_counter()
        await db.fetch("SELECT 1 AS one")
        base.append((time.perf_counter() - t0) * 1e3)
        indexes = pf.id_number_indexes(number)
        marks = ", ".join("{}" for _ in indexes)
        t0 = time.perf_counter()
        rows = await db.fetch(
            "SELECT p.*, c.case_number FROM person p JOIN case_file c ON c.id = p.case_file "
            f"WHERE p.id_number_index IN ({marks}) AND c.unit = {{}} ORDER BY p.id",
            *indexes,
            unit_id,
        )
        sql_ms.append((time.perf_counter() - t0) * 1e3)
        candidates.append(len(rows))
        t0 = time.perf_counter()
        hits = await repo.persons_by_id_number(unit_id, number)
        full_ms.append((time.perf_counter() - t0) * 1e3)
        assert len(hits) == 1, number
    plan = ""
    if db.is_postgres():
        indexes = pf.id_number_indexes(sample[0])
        rows = await db.fetch(
            "EXPLAIN (ANALYZE, BUFFERS) SELECT p.*, c.case_number FROM person p JOIN case_file c ON c.id = p.case_file "
            "WHERE p.id_number_index IN ({}) AND c.unit = {} ORDER BY p.id",
            indexes[0],
            unit_id,
        )
        plan = "\n".join(str(next(iter(r.values()))) for r in rows)

    def stats(values: list[float]) -> dict[str, float]:
        return {**c.summary(values), "p95": c.percentile(values, 95)}

    return {
        "select1": stats(base),
        "sql": stats(sql_ms),
        "full": stats(full_ms),
        "candidates_mean": sum(candidates) / len(candidates),
        "candidates_max": max(candidates),
        "plan": plan,
    }


# --------------------------------------------------------------------------- 4. person read


async def _person_crypto_us(person_id: int, n: int) -> dict[str, float]:
    from juvenile_justice import db
    from juvenile_justice.domain.cases import repository as repo

    row = (await db.fetch("SELECT * FROM person WHERE id = {}", person_id))[0]
    full = _per_call_us(lambda: repo._person(row), n)
    return {"open_fields_us": full}


async def _make_reader_person() -> int:
    from juvenile_justice import db
    from juvenile_justice.domain.cases import repository as repo
    from juvenile_justice.lib.clock import now_utc
    from juvenile_justice.lib.resident_id import check_digit

    [case] = await db.fetch("SELECT id FROM case_file ORDER BY id LIMIT 1")
    return await repo.insert_person(
        {
            "case_file": case["id"],
            "role": "victim",
            "name": "上官明月",
            "id_number": READER_ID_BODY + check_digit(READER_ID_BODY),
            "gender": "female",
            "birth_date": date(2004, 1, 1),
            "age_at_offense": 17,
            "minor_at_offense": True,
            "phone": "13800000000",
            "address": "济宁市任城区某街道某小区某号楼某单元",
            "spp_approval_document": None,
            "version": 1,
            "created_at": now_utc(),
        }
    )


def _person_read(url: str, password: str, person_id: int, requests: int) -> dict[str, Any]:
    import httpx

    with httpx.Client(base_url=url, timeout=60) as client:
        token = client.post("/api/auth/token", json={"username": USERNAME, "password": password}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        got = client.get(f"/api/persons/{person_id}", headers=headers)
        assert got.status_code == 200 and got.json()["name"] == "上官明月", got.text
        times: dict[str, list[float]] = {"health": [], "person": []}
        for i in range(requests + 20):
            for name, path in random.sample([("health", "/health"), ("person", f"/api/persons/{person_id}")], 2):
                t0 = time.perf_counter()
                r = client.get(path, headers=headers if name == "person" else None)
                elapsed = (time.perf_counter() - t0) * 1e3
                assert r.status_code == 200
                if i >= 20:
                    times[name].append(elapsed)
    return {name: c.summary(v) for name, v in times.items()}


# --------------------------------------------------------------------------- 5. rewrap


async def _rewrap() -> dict[str, Any]:
    from juvenile_justice import protection as pf
    from juvenile_justice.domain.keys import service
    from juvenile_justice.lib.crypto import Purpose

    service.rotate([Purpose.DATA, Purpose.INDEX])
    pf.reset()
    rows = await service.count_rows(service.PERSON)
    t0 = time.perf_counter()
    first = await service.protect_table(service.PERSON, batch_size=1000)
    first_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    second = await service.protect_table(service.PERSON, batch_size=1000)
    second_s = time.perf_counter() - t0
    assert first.rewritten == rows and second.rewritten == 0, (first, second)
    return {
        "rows": rows,
        "rewrap_s": first_s,
        "rewrap_rows_per_s": rows / first_s,
        "check_s": second_s,
        "check_rows_per_s": rows / second_s,
    }


# --------------------------------------------------------------------------- worker


def worker(args: argparse.Namespace) -> None:
    engine = args.worker
    password = secrets.token_urlsafe(18)
    people = args.people if engine == "postgres" else args.sqlite_people
    with c.temp_data_dir(f"jj-bench-crypto-{engine}-") as data_dir:
        env = c.configure_environment(engine, data_dir, args.pg_db)
        c.log(TAG, f"{engine}: {env['JJ_DATABASE_URL']}; juvenile_justice from {c.imported_from()}")
        from bench_case_list import _start_server, _stop_server

        from juvenile_justice import db

        result: dict[str, Any] = {"engine": engine}
        try:
            result["field"] = _field(args.field_n)
            c.log(TAG, f"{engine}: field done; sealing and loading {people} persons")

            async def seed_and_lookup() -> tuple[dict[str, Any], dict[str, Any], int, dict[str, float]]:
                await db.start()
                try:
                    facts = await _seed(people, password)
                    c.log(TAG, f"{engine}: seeded in {facts['seal_s']:.1f} + {facts['load_s']:.1f} s; lookups")
                    lookup = await _lookup(facts, args.lookups)
                    person_id = await _make_reader_person()
                    crypto = await _person_crypto_us(person_id, 2000)
                    return facts, lookup, person_id, crypto
                finally:
                    await db.stop()

            facts, lookup, person_id, crypto = asyncio.run(seed_and_lookup())
            facts.pop("numbers_sample")
            result.update(seed=facts, lookup=lookup, crypto=crypto)
            proc, url, logfile = _start_server(data_dir)
            try:
                result["person_read"] = _person_read(url, password, person_id, args.requests)
            finally:
                _stop_server(proc, logfile)
            c.log(TAG, f"{engine}: rewrap of {people} persons")

            async def rewrap() -> dict[str, Any]:
                await db.start()
                try:
                    return await _rewrap()
                finally:
                    await db.stop()

            result["rewrap"] = asyncio.run(rewrap())
        finally:
            if engine == "postgres" and not args.keep_db:
                c.drop_pg_db(args.pg_db)
    c.write_result(args.result_file, result)


def report(results: dict[str, dict[str, Any]]) -> str:
    """Human-readable results."""
    lines = ["", "== field-level encryption (issue 3) =="]
    for engine, r in results.items():
        if "field" not in r:
            lines.append(f"-- {engine}: {r.get('skipped') or r.get('error')}")
            continue
        f = r["field"]
        lines.append(f"-- {engine}: field encrypt+decrypt, µs per value (ratio to bare AES-GCM encrypt+decrypt)")
        rows = [
            ["bare AES-GCM, fresh os.urandom(12) nonce", f"{f['bare_us']:.2f}", "1.00"],
            ["bare AES-GCM, one fixed nonce (unsafe)", f"{f['bare_fixed_nonce_us']:.2f}", "-"],
        ]
        for suite in ("aes", "sm"):
            rows.append([f"{suite} text envelope", f"{f[f'{suite}_text_us']:.2f}", f"{f[f'{suite}_text_ratio']:.2f}"])
            rows.append(
                [f"{suite} binary envelope", f"{f[f'{suite}_binary_us']:.2f}", f"{f[f'{suite}_binary_ratio']:.2f}"]
            )
            rows.append([f"{suite} decrypt only (text)", f"{f[f'{suite}_decrypt_only_us']:.2f}", "-"])
        lines.append(c.table(["what", "µs", "ratio"], rows))
        if "person_read" in r:
            pr, crypto = r["person_read"], r["crypto"]["open_fields_us"]
            share = crypto / (pr["person"]["p50"] * 1e3)
            lines.append(
                f"person read over HTTP: p50 {pr['person']['p50']:.2f} ms (health {pr['health']['p50']:.2f} ms); "
                f"opening its 4 sealed fields {crypto:.1f} µs = {share * 100:.2f} % of the request"
            )
        if "lookup" in r:
            lk, s = r["lookup"], r["seed"]
            lines.append(
                f"ID lookup at {s['people']:,} persons ({s['cases']:,} cases, one unit; candidates mean "
                f"{lk['candidates_mean']:.1f}, max {lk['candidates_max']}), ms:"
            )
            lines.append(
                c.table(
                    ["what", "p50", "p95", "p99", "p95/SELECT 1"],
                    [
                        [
                            name,
                            f"{lk[key]['p50']:.2f}",
                            f"{lk[key]['p95']:.2f}",
                            f"{lk[key]['p99']:.2f}",
                            f"{lk[key]['p95'] / lk['select1']['p95']:.2f}",
                        ]
                        for name, key in (
                            ("SELECT 1 (baseline)", "select1"),
                            ("blind-index SQL", "sql"),
                            ("whole lookup", "full"),
                        )
                    ],
                )
            )
            if lk.get("plan"):
                lines.append(lk["plan"])
        if "rewrap" in r:
            rw = r["rewrap"]
            lines.append(
                f"rewrap: {rw['rows']:,} persons in {rw['rewrap_s']:.1f} s = {rw['rewrap_rows_per_s']:,.0f} rows/s; "
                f"second pass (nothing to do) {rw['check_rows_per_s']:,.0f} rows/s"
            )
        lines.append(f"code: {r.get('code')}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--people", type=int, default=None, help="persons on PostgreSQL (default 1,000,000; quick 50,000)")
    p.add_argument("--sqlite-people", type=int, default=None, help="persons on SQLite (default 100,000; quick 20,000)")
    p.add_argument("--lookups", type=int, default=500)
    p.add_argument("--requests", type=int, default=300, help="timed person reads over HTTP")
    p.add_argument("--field-n", type=int, default=50_000, help="field encryptions per measurement")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--pg-db", default="jj_bench_crypto", help="bench database (dropped and recreated)")
    p.add_argument("--keep-db", action="store_true")
    p.add_argument("--json-out", help="write the results as JSON here")
    c.add_tree_arguments(p)
    p.add_argument("--worker", choices=c.ENGINES, help=argparse.SUPPRESS)
    p.add_argument("--result-file", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.people is None:
        args.people = 50_000 if args.quick else 1_000_000
    if args.sqlite_people is None:
        args.sqlite_people = 20_000 if args.quick else 100_000
    if args.quick:
        args.field_n = min(args.field_n, 10_000)
        args.lookups = min(args.lookups, 200)
        args.requests = min(args.requests, 100)
    return args


def main(argv: list[str] | None = None) -> dict[str, dict[str, Any]]:
    args = parse_args(argv)
    if args.worker:
        worker(args)
        return {}
    extra = [
        f"--people={args.people}",
        f"--sqlite-people={args.sqlite_people}",
        f"--lookups={args.lookups}",
        f"--requests={args.requests}",
        f"--field-n={args.field_n}",
        f"--pg-db={args.pg_db}",
        *(["--keep-db"] if args.keep_db else []),
    ]
    with c.exported_tree(args.at_rev) as exported:
        tree = exported or (args.tree.resolve() if args.tree else None)
        results = c.run_workers(Path(__file__).resolve(), c.engines_for(args.engine), extra, tree)
    print(report(results), flush=True)
    c.write_result(args.json_out, results)
    return results


if __name__ == "__main__":
    os.chdir(c.REPO)
    main()
