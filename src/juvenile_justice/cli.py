"""The ``juvenile-justice`` command line (API.md "Command line")."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from juvenile_justice import db
from juvenile_justice.lib.errors import DomainError, ValidationFailed

T = TypeVar("T")


def _run(fn: Callable[[], Awaitable[T]]) -> T:
    """Run ``fn`` with the database open and migrated; domain errors exit 2 with their message."""

    async def main() -> T:
        async with db.lifespan_pool():
            await ensure_keyring()
            applied = await db.migrate()
            if applied:
                click.echo(f"applied {applied} migration(s)", err=True)
            await check_keyring_matches_database()
            return await fn()

    from juvenile_justice.domain.keys.service import check_keyring_matches_database, ensure_keyring
    from juvenile_justice.lib.crypto import KeyringError

    try:
        return asyncio.run(main())
    except KeyringError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(3)
    except ValidationFailed as exc:
        for e in exc.errors:
            click.echo(f"error: {e.field}: {e.message}", err=True)
        sys.exit(2)
    except DomainError as exc:
        click.echo(f"error: {exc.detail}", err=True)
        sys.exit(2)


@click.group()
def main() -> None:
    """juvenile-justice: case tracker for juvenile judicial protection (未成年人司法保护)."""
    from juvenile_justice.lib.logging import configure_logging

    configure_logging()  # JSON lines on stderr (e.g. the warning when a development keyring is made)


@main.command()
def migrate() -> None:
    """Apply the database migrations."""
    _run(lambda: asyncio.sleep(0))
    click.echo("database is up to date")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="worker processes (PostgreSQL)")
def serve(host: str, port: int, workers: int) -> None:
    """Migrate if needed, then serve HTTP."""
    import uvicorn

    from juvenile_justice.settings import get_settings

    if not os.environ.get("JJ_PUBLIC_URL"):
        # Documents print <JJ_PUBLIC_URL>/verify/<code> and encode it in their QR code: without a
        # configured address, use the one being served (a wildcard host as the loopback address).
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 (a comparison, not a bind)
        os.environ["JJ_PUBLIC_URL"] = f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"
        get_settings.cache_clear()
        click.echo(
            f"warning: JJ_PUBLIC_URL is not set; documents will print {os.environ['JJ_PUBLIC_URL']}/verify/… "
            "(set it to the address the public reaches this service at: docs/operations.md, Documents)",
            err=True,
        )
    _run(lambda: asyncio.sleep(0))
    if workers > 1 and not get_settings().is_postgres:
        raise click.UsageError("several workers need PostgreSQL (JJ_DATABASE_URL=postgresql://...)")
    click.echo(f"juvenile-justice serving on http://{host}:{port}/  (log in at http://{host}:{port}/login)")
    uvicorn.run(
        "juvenile_justice.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        proxy_headers=False,
    )


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_(file: Path) -> None:
    """Import cases from JSON Lines; reports bad lines; importing again changes nothing."""
    from juvenile_justice.domain.cases.importing import import_objects, read_jsonl, read_jsonl_file
    from juvenile_justice.lib.progress import progress_bar

    lines = read_jsonl_file(file)

    async def go() -> Any:
        with progress_bar("importing", total=len(lines)) as advance:
            return await import_objects(read_jsonl(lines), progress=advance)

    report = _run(go)
    for e in report.errors:
        click.echo(f"line {e.line}: {e.field}: {e.message}", err=True)
    bad_lines = len({e.line for e in report.errors})
    click.echo(f"created {report.created}, unchanged {report.unchanged}, refused {bad_lines} line(s)")
    sys.exit(0 if report.ok else 1)


@main.command()
@click.option("--if-empty", is_flag=True, help="do nothing when the database already holds cases")
@click.option("--seed", default=2021, show_default=True, type=int)
def demo(if_empty: bool, seed: int) -> None:
    """Load the synthetic demo data set (Jining 2021) and demo users; print their log-ins."""
    from juvenile_justice.domain.demo.loader import load_demo

    result = _run(lambda: load_demo(seed=seed, if_empty=if_empty))
    if result is None:
        click.echo("demo data present already; nothing loaded")
    else:
        for e in result.errors:
            click.echo(f"demo line {e.line}: {e.field}: {e.message}", err=True)
        click.echo(f"demo data: {result.created} cases created, {result.unchanged} present already")
    from juvenile_justice.domain.demo.users import DEMO_USERS

    click.echo("demo log-ins (synthetic data only):")
    for user in DEMO_USERS:
        click.echo(f"  {user.username:<18} password {user.password:<24} {user.role:<12} {user.unit}")


@main.group()
def users() -> None:
    """Manage users."""


@users.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["prosecutor", "judge", "aid_officer", "auditor", "admin"]))
@click.option("--unit", required=True, help="unit name, e.g. 济宁市任城区人民检察院 (created if missing)")
@click.option("--capability", "capabilities", multiple=True, type=click.Choice(["chief"]))
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
def users_add(username: str, role: str, unit: str, capabilities: tuple[str, ...], password_stdin: bool) -> None:
    """Create a user (and the unit if missing)."""
    from juvenile_justice.domain.accounts import service

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    user_id = _run(
        lambda: service.add_user(
            username, role=role, unit=unit, password=password, capabilities=frozenset(capabilities)
        )
    )
    click.echo(f"user {username} created (id {user_id})")


@users.command("list")
def users_list() -> None:
    """List users: name, role, unit, capabilities, active."""
    from juvenile_justice.domain.accounts import service

    for u in _run(service.list_users):
        caps = ",".join(sorted(u.capabilities)) or "-"
        click.echo(f"{u.username:<20} {u.role:<12} {caps:<6} {'active' if u.active else 'DISABLED':<8} {u.unit}")


@users.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
def users_set_password(username: str, password_stdin: bool) -> None:
    """Set a user's password; their sessions and tokens end."""
    from juvenile_justice.domain.accounts import service

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("new password", hide_input=True, confirmation_prompt=True)
    _run(lambda: service.set_password(username, password))
    click.echo(f"password of {username} changed; their sessions ended")


@users.command("disable")
@click.argument("username")
def users_disable(username: str) -> None:
    """Disable a user: no log-in; their sessions and tokens end."""
    from juvenile_justice.domain.accounts import service

    _run(lambda: service.set_active(username, False))
    click.echo(f"user {username} disabled")


@users.command("enable")
@click.argument("username")
def users_enable(username: str) -> None:
    """Enable a disabled user."""
    from juvenile_justice.domain.accounts import service

    _run(lambda: service.set_active(username, True))
    click.echo(f"user {username} enabled")


@main.group()
def units() -> None:
    """Manage units."""


@units.command("set")
@click.argument("unit")
@click.option("--parent", default=None, help="name of the parent unit")
@click.option("--province", default=None, help="province code, e.g. 370000")
@click.option("--doc-prefix", default=None, help="document prefix, e.g. 任检未")
def units_set(unit: str, parent: str | None, province: str | None, doc_prefix: str | None) -> None:
    """Edit a unit's parent, province code or document prefix."""
    from juvenile_justice.domain.accounts import service

    record = _run(lambda: service.set_unit(unit, parent=parent, province_code=province, doc_prefix=doc_prefix))
    click.echo(
        f"unit {record.name}: kind {record.kind}, parent id {record.parent_id}, "
        f"province {record.province_code}, prefix {record.doc_prefix}"
    )


@main.group()
def calendar() -> None:
    """Official holiday calendars."""


@calendar.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def calendar_load(file: Path) -> None:
    """Load a year's official holidays and make-up workdays (JSON; see docs/operations.md)."""
    from juvenile_justice.domain.calendar.service import load_calendar_text

    try:
        year, holidays, workdays = _run(lambda: load_calendar_text(file.read_text(encoding="utf-8")))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"calendar {year} loaded: {holidays} holidays, {workdays} make-up workdays")


@main.group()
def keys() -> None:
    """Encryption keys: list, rotate, rewrap, retire (docs/operations.md, "Keys")."""


def _with_keyring(fn: Callable[[], T]) -> T:
    """``fn()``; a keyring that is missing, unreadable or read-only ends the command (exit 3)."""
    from juvenile_justice.lib.crypto import KeyringError

    try:
        return fn()
    except KeyringError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(3)


def _key_line(info: Any, usage: dict[str, int] | None) -> str:
    count = f"  {usage.get(info.key_id, 0):>9} values" if usage is not None else ""
    created = info.created_at.strftime("%Y-%m-%d %H:%M UTC")
    return f"{info.key_id}  {info.purpose.value:<5}  {info.suite.value:<3}  {info.status.value:<7}  {created}{count}"


@keys.command("list")
@click.option("--usage", is_flag=True, help="also count the stored values under each key (reads every row)")
def keys_list(usage: bool) -> None:
    """The keyring's keys: id, purpose, suite, status, created (never key material)."""
    from juvenile_justice.domain.keys import service

    counts = _run(service.key_usage) if usage else None
    infos = _with_keyring(service.list_keys)
    for info in infos:
        click.echo(_key_line(info, counts))
    for key_id, count in sorted((counts or {}).items()):
        if key_id != "plaintext" and key_id not in {info.key_id for info in infos}:
            click.echo(f"warning: {count} stored values are under key {key_id}, which is not in this keyring", err=True)
    if counts and counts.get("plaintext"):
        click.echo(f"warning: {counts['plaintext']} stored values are not sealed", err=True)


@keys.command("rotate")
@click.option(
    "--purpose",
    type=click.Choice(["data", "index", "both"]),
    default="both",
    show_default=True,
    help="which primary key to replace",
)
@click.option("--suite", type=click.Choice(["aes", "sm"]), default=None, help="default: JJ_CRYPTO_SUITE")
def keys_rotate(purpose: str, suite: str | None) -> None:
    """Make new primary keys for new writes; the old keys still open what they sealed.

    Every worker picks the new key up within a few seconds. Then run `keys rewrap`.
    """
    from juvenile_justice.domain.keys import service
    from juvenile_justice.lib.crypto import Purpose, Suite

    purposes = [Purpose.DATA, Purpose.INDEX] if purpose == "both" else [Purpose(purpose)]
    infos = _with_keyring(lambda: service.rotate(purposes, Suite(suite) if suite else None))
    for info in infos:
        click.echo(f"new primary {info.purpose.value} key {info.key_id} ({info.suite.value})")
    _run(lambda: service.log_key_operation("rotate", ",".join(f"key:{i.key_id}" for i in infos)))
    click.echo("now run: juvenile-justice keys rewrap")


@keys.command("rewrap")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 2000))
def keys_rewrap(batch_size: int) -> None:
    """Re-encrypt every stored value under the primary keys (batches; safe to kill and run again).

    Exit status 1 when a value could not be opened (each named by table, column and row id).
    """
    from juvenile_justice.domain.keys import service
    from juvenile_justice.lib.progress import progress_bar

    async def go() -> list[service.TableReport]:
        total = sum([await service.count_rows(spec) for spec in service.PROTECTED_TABLES])
        with progress_bar("rewrapping", total=total) as advance:
            reports = await service.rewrap(batch_size=batch_size, advance=advance)
        summary = "; ".join(f"{r.table} {r.rewritten}/{r.examined}, {len(r.failures)} failed" for r in reports)
        await service.log_key_operation("rewrap", "keys:primary", summary)
        return reports

    reports = _run(go)
    failed = False
    for r in reports:
        click.echo(f"{r.table}: {r.examined} rows examined, {r.rewritten} rewritten, {r.conflicts} changed meanwhile")
        for failure in r.failures:
            failed = True
            click.echo(f"error: {failure}", err=True)
    if any(r.conflicts for r in reports):
        click.echo("some rows changed while this ran: run `keys rewrap` again", err=True)
    sys.exit(1 if failed else 0)


@keys.command("retire")
@click.argument("key_ids", nargs=-1, required=True)
def keys_retire(key_ids: tuple[str, ...]) -> None:
    """Retire keys: each refused unless no stored value is under it; values under it are refused afterwards."""
    from juvenile_justice.domain.keys import service

    async def go() -> list[Any]:
        return [await service.retire(key_id) for key_id in key_ids]

    for info in _run(go):
        click.echo(f"key {info.key_id} retired")


@main.group()
def audit() -> None:
    """The tamper-evident access log (访问日志)."""


@audit.command("verify")
@click.option(
    "--checkpoints",
    "checkpoint_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also check the log against the signed checkpoints in this directory.",
)
@click.option(
    "--public-key",
    "public_keys",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Checkpoint public key file (from `audit public-key`); repeat for keys of a rotation.",
)
def audit_verify(checkpoint_dir: Path | None, public_keys: tuple[Path, ...]) -> None:
    """Check every entry's hash and link (and, with --checkpoints, that the log still holds what each signed
    checkpoint states); exit 0 when valid, 1 naming the first bad sequence number."""
    from juvenile_justice.domain.audit import checkpoints, service

    if (checkpoint_dir is None) != (not public_keys):
        raise click.UsageError("--checkpoints and --public-key go together")
    if checkpoint_dir is None:
        result = _run(service.verify)
        if result.ok:
            click.echo(f"access log valid: {result.checked} entries, head {result.head.hex()}")
            sys.exit(0)
        click.echo(f"access log TAMPERED at entry {result.first_bad_seq}: {result.reason}", err=True)
        sys.exit(1)
    try:
        keys = checkpoints.read_public_keys(public_keys)
    except checkpoints.CheckpointKeyError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    files = checkpoints.stored(checkpoint_dir)
    if not files:
        click.echo(
            f"error: no checkpoint files (checkpoint-<size>.txt) in {checkpoint_dir}: nothing to verify against",
            err=True,
        )
        sys.exit(2)
    report = _run(lambda: checkpoints.verify_against(files, keys))
    if report.ok:
        click.echo(f"access log valid against {report.checked} of {len(files)} checkpoints")
        sys.exit(0)
    where = f" (first bad entry {report.first_bad_seq})" if report.first_bad_seq else ""
    click.echo(f"access log TAMPERED{where}:", err=True)
    for problem in report.problems:
        click.echo(f"  {problem}", err=True)
    sys.exit(1)


@audit.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign and write a checkpoint now (the service writes them on its own at the configured interval)."""
    from juvenile_justice.domain.audit import checkpoints
    from juvenile_justice.domain.audit import service as audit_service

    async def go() -> Path | None:
        await audit_service.admin_action("audit.checkpoint", "access_log")  # the checkpoint covers its own entry
        return await checkpoints.issue(force=True)

    try:
        path = _run(go)
    except checkpoints.LogTampered as exc:
        click.echo(f"error: {exc}; no checkpoint signed", err=True)
        sys.exit(1)
    except checkpoints.CheckpointKeyError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(3)
    click.echo(f"checkpoint written: {path}" if path else "no new entries since the last checkpoint")


@audit.command("public-key")
def audit_public_key() -> None:
    """Print the checkpoint public key file an auditor needs for `audit verify --checkpoints`."""
    from juvenile_justice.domain.audit import checkpoints

    try:
        _, public = checkpoints.signing_key()
    except checkpoints.CheckpointKeyError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(3)
    click.echo(checkpoints.public_key_text(public), nl=False)


@audit.command("prune")
@click.option("--before", "before", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="YYYY-MM-DD")
def audit_prune(before: Any) -> None:
    """Delete the entries written before DATE (default: 3 years ago); refused for anything younger than
    180 days. What remains still verifies (the retention anchor keeps the pruned part's Merkle peaks)."""
    from juvenile_justice.domain.audit import checkpoints, retention

    async def go() -> Any:
        done = await retention.prune(before.date() if before is not None else None)
        if done.deleted:  # a checkpoint over the prune's own entry, at once (verifiers check its date)
            await checkpoints.issue(force=True)
        return done

    report = _run(go)
    if report.deleted:
        click.echo(f"pruned {report.deleted} entries; the log now starts at entry {report.start_seq}")
    else:
        click.echo("nothing to prune")


if __name__ == "__main__":
    main()
