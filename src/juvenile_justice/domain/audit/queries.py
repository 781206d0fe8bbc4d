"""The auditors' view of the access log (审计, API.md "Access log (auditors)"; security.md A1, A9, A11).

Auditors are read-only. They see the entries whose actor's unit or whose record's owning unit is
theirs or below theirs; an auditor of a top unit also sees the entries of no unit (operators'
commands, log-ins under unknown names). Every query they make is itself logged.

Flags for anomalies (computed when entries are shown, from the configuration in force):

* ``sealed_read_without_grant``: sealed content read (``sealed_record:…``) with no approved query
  (purpose not ``grant:…``; ``status`` is a sealed-status check, which reads no content, and ``certificate``
  the name check of a 无犯罪记录证明, SPP Rules 487), 2022 sealing measures / R-SEAL-6;
* ``read_rate``: the actor made more than ``JJ_AUDIT_READS_PER_MINUTE`` reads in that minute;
* ``off_hours``: a read outside ``JJ_WORKING_HOURS`` (China Standard Time) or on a non-working day
  (the working-day calendar, lib/periods.py).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from juvenile_justice.domain.accounts import repository as accounts
from juvenile_justice.domain.accounts.service import normalise_username
from juvenile_justice.domain.audit import repository as repo
from juvenile_justice.domain.audit import service
from juvenile_justice.domain.calendar.service import working_day_calendar
from juvenile_justice.lib import audit_chain as chain
from juvenile_justice.lib.errors import NotFound, ValidationFailed
from juvenile_justice.lib.pagination import check_limit, decode_cursor, encode_cursor
from juvenile_justice.lib.phone_numbers import contains_mobile_number
from juvenile_justice.lib.security import Principal
from juvenile_justice.protection import audit_hashes
from juvenile_justice.settings import get_settings

CHINA_STANDARD_TIME = timedelta(hours=8)
SCAN_BATCH = 500
SCAN_LIMIT = 20_000
"""A flagged-only query examines at most this many entries per page, then answers what it found
with a cursor to continue (so a page is never slow, even when few entries are flagged)."""

RECORD_KINDS = ("case", "person", "unit", "access_log", "sealed_record", "document", "query_request", "application")
"""Kinds of record a target names (``person:17``); ids are database ids (at most 10 digits, 12 for entries)."""
_KINDS = "|".join(RECORD_KINDS)
_RECORD_ID = re.compile(rf"(?:(?:{_KINDS}):)?[0-9]{{1,10}}|access_log:[0-9]{{1,12}}")
_TARGET = re.compile(
    rf"(?:{_KINDS}):[0-9]{{1,10}}|access_log:[0-9]{{1,12}}|(?:id_number|search|username):[0-9a-f]{{8}}:[0-9a-f]{{32}}"
)
"""A record (``person:17``) or a keyed hash (``id_number:<key id>:<hex>``): never a value typed in clear, so
that an auditor's query, which is itself logged, cannot put an ID number or a name into the log."""
_ACTOR = re.compile(r"[a-z0-9][a-z0-9_.:-]{0,63}")
_ACTION = re.compile(r"[a-z_.]{1,80}")
_HASH_KINDS = ("id_number", "search", "username")


@dataclass(frozen=True, slots=True)
class Filters:
    """An auditor's filters (every one optional): ``actor`` user name; ``record_id`` ``kind:id`` (e.g.
    ``person:17``; also matches entries about a document of that record, whose ``purpose`` names it) or
    a bare id of any kind; ``target`` exact (e.g. a keyed hash from :func:`hash_term`);
    ``unit`` id (the actor's or the record's); ``outcome``; ``action`` exact, or a prefix ending in
    ``.``; ``since`` (inclusive) and ``until`` (exclusive) as stored UTC stamps, made by :func:`bound`
    from the user's ``from``/``to``; ``flagged``."""

    actor: str | None = None
    record_id: str | None = None
    target: str | None = None
    unit: int | None = None
    outcome: str | None = None
    action: str | None = None
    since: str | None = None
    until: str | None = None
    flagged: bool = False
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """An entry as auditors see it, with unit names and flags."""

    row: dict[str, Any]
    unit_name: str | None
    record_unit_name: str | None
    flags: tuple[str, ...]


def _stamp(value: date | datetime, *, end: bool) -> str:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC) - CHINA_STANDARD_TIME
        if end:
            moment += timedelta(microseconds=1)
    else:
        day = value + timedelta(days=1) if end else value
        moment = datetime.combine(day, time(0), tzinfo=UTC) - CHINA_STANDARD_TIME
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_moment(field_name: str, text: str | None) -> date | datetime | None:
    """``YYYY-MM-DD`` (a whole day) or an RFC 3339 time such as ``2026-11-29T08:00:00+08:00``.

    Raises:
        ValidationFailed: anything else, naming ``field_name``.
    """
    if text is None or text == "":
        return None
    try:
        value: date | None = None
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            value = date.fromisoformat(text)
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?", text):
            value = datetime.fromisoformat(text)
        if value is not None and 1900 <= value.year <= 9000:
            return value
    except ValueError:
        pass
    raise ValidationFailed.one(
        field_name, "日期应为 YYYY-MM-DD / a date YYYY-MM-DD or a time such as 2026-11-29T08:00:00+08:00"
    )


def bound(field_name: str, text: str | None, *, end: bool) -> str | None:
    """The stored-stamp bound of a user's ``from`` (``end=False``, inclusive) or ``to`` (``end=True``; a
    date means the whole day, China Standard Time; a time is inclusive), or None.

    Raises:
        ValidationFailed: not a date or an RFC 3339 time, naming ``field_name``.
    """
    moment = parse_moment(field_name, text)
    return None if moment is None else _stamp(moment, end=end)


def is_record_id(text: str) -> bool:
    """True for a record such as ``person:17`` (what the ``record_id`` filter takes)."""
    return bool(_RECORD_ID.fullmatch(text))


def _validate(f: Filters) -> None:
    if f.record_id is not None and not _RECORD_ID.fullmatch(f.record_id):
        raise ValidationFailed.one(
            "record_id", "记录形如 person:17 或数字 / a record id such as person:17, or a number"
        )
    if f.target is not None and not _TARGET.fullmatch(f.target):
        raise ValidationFailed.one("target", "对象形如 person:17 / a target such as person:17 or id_number:<hash>")
    if f.action is not None and not _ACTION.fullmatch(f.action):
        raise ValidationFailed.one(
            "action", "操作形如 person.read 或前缀 person. / an action such as person.read, or a prefix"
        )
    if f.request_id is not None and not re.fullmatch(r"[0-9a-f]{32}", f.request_id):
        raise ValidationFailed.one("request_id", "请求编号为32位十六进制 / 32 hexadecimal digits")
    if f.outcome is not None and f.outcome not in service.OUTCOMES:
        raise ValidationFailed.one("outcome", "结果应为允许、拒绝或失败 / one of allowed, refused, failed")
    if f.actor is not None and (
        not _ACTOR.fullmatch(f.actor) or re.search(r"[0-9]{13}", f.actor) or contains_mobile_number(f.actor)
    ):
        raise ValidationFailed.one("actor", "用户名由小写字母、数字和 _ . - 组成 / a user name (a-z, 0-9, _ . -)")
    if f.since is not None and f.until is not None and f.since >= f.until:
        raise ValidationFailed.one("to", "结束时间不能早于开始时间 / must not be before from")


async def _scope(p: Principal) -> tuple[list[int], bool]:
    """The unit ids the auditor ``p`` oversees, and whether entries of no unit are theirs too."""
    units = await accounts.subtree_ids(p.unit_id)
    own = await accounts.unit_by_id(p.unit_id)
    return units, own is not None and own.parent_id is None


def _conditions(f: Filters, units: list[int], top: bool) -> tuple[list[str], list[Any]]:
    marks = ", ".join("{}" for _ in units)
    scope = f"unit IN ({marks}) OR record_unit IN ({marks})"
    where = [scope + (" OR (unit IS NULL AND record_unit IS NULL)" if top else "")]
    args: list[Any] = [*units, *units]
    if f.actor is not None:
        where.append("actor = {}")
        args.append(f.actor)
    if f.record_id is not None:
        if ":" in f.record_id:  # the record itself, or a document about it (``purpose`` = ``case:12``)
            where.append("(target = {} OR purpose = {})")
            args.extend((f.record_id, f.record_id))
        else:
            where.append("target LIKE {}")
            args.append(f"%:{f.record_id}")
    if f.target is not None:
        where.append("target = {}")
        args.append(f.target)
    if f.request_id is not None:
        where.append("request_id = {}")
        args.append(f.request_id)
    if f.unit is not None:
        where.append("(unit = {} OR record_unit = {})")
        args += [f.unit, f.unit]
    if f.outcome is not None:
        where.append("outcome = {}")
        args.append(f.outcome)
    if f.action is not None:
        if f.action.endswith("."):
            where.append("action LIKE {} ESCAPE '\\'")
            args.append(f.action.replace("_", "\\_") + "%")
        else:
            where.append("action = {}")
            args.append(f.action)
    if f.since is not None:
        where.append("at >= {}")
        args.append(f.since)
    if f.until is not None:
        where.append("at < {}")
        args.append(f.until)
    return where, args


def is_read(action: str) -> bool:
    """True for actions that read records (their last part is in :data:`service.READ_VERBS`)."""
    return action.rsplit(".", 1)[-1] in service.READ_VERBS


def _local(at: str) -> datetime | None:
    try:
        return datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ") + CHINA_STANDARD_TIME
    except ValueError:  # a changed row: verification reports it; the list still shows it
        return None


async def _flag(rows: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    settings = get_settings()
    reads = [r for r in rows if r["outcome"] == "allowed" and r["actor"] and is_read(str(r["action"]))]
    busy: set[tuple[str, str]] = set()
    if reads:
        busy = await repo.reads_per_minute(
            sorted({str(r["actor"]) for r in reads}),
            [f"%.{verb}" for verb in sorted(service.READ_VERBS)],
            min(str(r["at"]) for r in reads),
            max(str(r["at"]) for r in reads),
            settings.reads_per_minute_flag,
        )
    calendar = await working_day_calendar() if reads else None
    start, end = settings.working_hours
    flags: list[tuple[str, ...]] = []
    for row in rows:
        found: list[str] = []
        action, target, purpose = str(row["action"]), str(row["target"] or ""), str(row["purpose"] or "")
        if row["outcome"] == "allowed" and row["actor"] and is_read(action):
            if target.startswith("sealed_record:") and not purpose.startswith(("grant:", "status", "certificate")):
                found.append("sealed_read_without_grant")
            if (str(row["actor"]), str(row["at"])[:16]) in busy:
                found.append("read_rate")
            local = _local(str(row["at"]))
            assert calendar is not None
            if local is not None and (
                not start <= local.hour * 60 + local.minute < end or not calendar.is_working_day(local.date())
            ):
                found.append("off_hours")
        flags.append(tuple(found))
    return flags


async def _unit_names() -> dict[int, str]:
    return {u.id: u.name for u in await accounts.all_units()}


async def search(
    p: Principal, f: Filters, *, limit: int | None, cursor: str | None, log_action: str = "audit.access_log.list"
) -> tuple[list[Entry], str | None]:
    """One page of entries the auditor ``p`` may see, newest first, and the cursor of the next page. The
    query is logged after the page is read (so it is not on the page itself) and before it is answered.

    Raises:
        ValidationFailed: a malformed filter or cursor, or a unit not among the auditor's (422 naming the field).
    """
    _validate(f)
    size = check_limit(limit)
    before = decode_cursor(cursor)
    units, top = await _scope(p)
    _check_unit(f, units)
    where, args = _conditions(f, units, top)
    names = await _unit_names()
    found: list[Entry] = []
    next_cursor: str | None = None
    if not f.flagged:
        rows = await repo.search(where, args, before_seq=before, limit=size + 1)
        more = len(rows) > size
        rows = rows[:size]
        found = [_entry(r, fl, names) for r, fl in zip(rows, await _flag(rows), strict=True)]
        next_cursor = encode_cursor(int(rows[-1]["seq"])) if more and rows else None
    else:
        found, next_cursor = await _scan_flagged(where, args, before, size, names)
    await service.access(p, log_action, "allowed", await _query_target(f), purpose="audit")
    return found, next_cursor


async def _scan_flagged(
    where: list[str], args: list[Any], before: int | None, size: int, names: dict[int, str]
) -> tuple[list[Entry], str | None]:
    found: list[Entry] = []
    scanned = 0
    while scanned < SCAN_LIMIT:
        rows = await repo.search(where, args, before_seq=before, limit=SCAN_BATCH)
        if not rows:
            return found, None
        for row, fl in zip(rows, await _flag(rows), strict=True):
            before = int(row["seq"])
            if fl:
                found.append(_entry(row, fl, names))
                if len(found) == size:
                    return found, encode_cursor(before)
        scanned += len(rows)
        if len(rows) < SCAN_BATCH:
            return found, None
    return found, encode_cursor(before) if before is not None else None


def _check_unit(f: Filters, units: list[int]) -> None:
    if f.unit is not None and f.unit not in units:
        raise ValidationFailed.one("unit", "不是您审计的单位 / not one of the units you audit")


async def _query_target(f: Filters) -> str | None:
    """What an auditor's query is logged as: the record or keyed hash asked for (both validated), or the
    user asked about when there is such an account; never a value typed in free."""
    if f.record_id is not None:
        return f.record_id if ":" in f.record_id else f"record:{f.record_id}"
    if f.target is not None:
        return f.target
    if f.actor is not None:
        return f"user:{f.actor}" if await accounts.user_by_username(f.actor) is not None else "user:unknown"
    return None


def _entry(row: dict[str, Any], flags: tuple[str, ...], names: dict[int, str]) -> Entry:
    unit, record_unit = row.get("unit"), row.get("record_unit")
    return Entry(
        row=row,
        unit_name=names.get(int(unit)) if unit is not None else None,
        record_unit_name=names.get(int(record_unit)) if record_unit is not None else None,
        flags=flags,
    )


async def detail(p: Principal, seq: int) -> tuple[Entry, bool]:
    """One entry the auditor may see, and whether its own hash recomputes (its link to the entry
    before is checked by a full verification).

    Raises:
        NotFound: no such entry, or not in the auditor's units.
    """
    units, top = await _scope(p)
    where, args = _conditions(Filters(), units, top)
    rows = await repo.search([*where, "seq = {}"], [*args, seq], before_seq=None, limit=1)
    if not rows:  # the refusal is logged by the HTTP layer, like every 404
        raise NotFound("没有这条日志 / no such entry in your units' log")
    await service.access(p, "audit.access_log.read", "allowed", f"access_log:{seq}", purpose="audit")
    row = rows[0]
    flags = (await _flag([row]))[0]
    return _entry(row, flags, await _unit_names()), service.entry_hash_matches(row)


async def matching(p: Principal, f: Filters, batch: int = SCAN_BATCH) -> AsyncIterator[list[Entry]]:
    """Every entry matching ``f`` that auditor ``p`` may see, newest first, in batches (flags set; with
    ``f.flagged`` only flagged ones). Nothing is logged here: the caller logs what it does with them.

    Raises:
        ValidationFailed: a malformed filter, or a unit not among the auditor's (422 naming the field).
    """
    _validate(f)
    units, top = await _scope(p)
    _check_unit(f, units)
    where, args = _conditions(f, units, top)
    names = await _unit_names()

    async def batches() -> AsyncIterator[list[Entry]]:
        before: int | None = None
        while rows := await repo.search(where, args, before_seq=before, limit=batch):
            flags = await _flag(rows)
            yield [_entry(r, fl, names) for r, fl in zip(rows, flags, strict=True) if fl or not f.flagged]
            before = int(rows[-1]["seq"])
            if len(rows) < batch:
                return

    return batches()


async def export_csv(p: Principal, f: Filters) -> AsyncIterator[str]:
    """The entries matching ``f`` as CSV text chunks (header first; cells that a spreadsheet would
    run as a formula are prefixed with ``'``). The export is itself logged.

    Raises:
        ValidationFailed: a malformed filter.
    """
    _validate(f)
    units, top = await _scope(p)
    _check_unit(f, units)
    where, args = _conditions(f, units, top)
    await service.access(p, "audit.access_log.export", "allowed", await _query_target(f), purpose="audit")
    names = await _unit_names()
    header = [
        "seq", "at", "actor", "role", "unit", "action", "target", "purpose", "outcome",
        "record_unit", "request_id", "client", "flags", "prev_hash", "entry_hash",
    ]  # fmt: skip

    def line(values: list[Any]) -> str:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerow([_cell(v) for v in values])
        return buffer.getvalue()

    async def chunks() -> AsyncIterator[str]:
        yield line(header)
        before: int | None = None
        while True:
            rows = await repo.search(where, args, before_seq=before, limit=SCAN_BATCH)
            if not rows:
                return
            out = []
            for row, fl in zip(rows, await _flag(rows), strict=True):
                if f.flagged and not fl:
                    continue
                e = _entry(row, fl, names)
                values = [row[c] for c in ("seq", "at", "actor", "role")]
                values += [e.unit_name, row["action"], row["target"], row["purpose"], row["outcome"]]
                values += [e.record_unit_name, row["request_id"], row["client"], " ".join(fl)]
                out.append(line([*values, row["prev_hash"], row["entry_hash"]]))
            yield "".join(out)
            before = int(rows[-1]["seq"])
            if len(rows) < SCAN_BATCH:
                return

    return chunks()


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def hash_term(kind: str, value: str) -> list[str]:
    """The keyed hashes under which the log records ``value`` of ``kind`` (``id_number``, ``search``,
    ``username``), one per usable index key, so an auditor can find entries about a person or a search
    without the log holding the value (security.md A9).

    Raises:
        ValidationFailed: an unknown kind or an empty value.
    """
    if kind not in _HASH_KINDS:
        raise ValidationFailed.one("kind", "one of " + ", ".join(_HASH_KINDS))
    if not value or len(value) > 200:
        raise ValidationFailed.one("value", "1 to 200 characters")
    if kind == "username":
        return [f"username:{h}" for h in accounts.username_keys(normalise_username(value))]
    return [f"{kind}:{h}" for h in audit_hashes(kind, normalise_term(kind, value))]


def normalise_term(kind: str, value: str) -> str:
    """What is hashed: ID numbers upper-cased without spaces; search text stripped."""
    if kind == "id_number":
        return re.sub(r"\s+", "", value).upper()
    return value.strip()


async def verify(p: Principal) -> chain.Verification:
    """A full verification of the chain (logged as ``audit.verify`` with its outcome in ``purpose``)."""
    result = await service.verify()
    await service.access(
        p, "audit.verify", "allowed", "access_log", purpose="valid" if result.ok else f"bad:{result.first_bad_seq}"
    )
    return result


async def hash_lookup(p: Principal, kind: str, value: str) -> list[str]:
    """:func:`hash_term`, and for an ID number also the records of that person in the auditor's units
    (``person:…`` and its ``case:…``, found by the domains registered in ``service.RECORD_FINDERS``), so
    that "who saw this child's record" finds the reads and not only the searches. Logged (``audit.hash``
    with the first hash as target, never the value).

    Raises:
        ValidationFailed: an unknown kind, an empty value, or a malformed ID number.
    """
    targets = hash_term(kind, value)
    finder = service.RECORD_FINDERS.get(kind)
    if finder is not None:
        units, _ = await _scope(p)
        targets += await finder(normalise_term(kind, value), units)
    await service.access(p, "audit.hash", "allowed", targets[0] if targets else None, purpose="audit")
    return targets
