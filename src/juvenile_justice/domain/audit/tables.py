"""Piccolo table of the access log (schema in migrations/audit/)."""

from __future__ import annotations

from piccolo.columns import BigInt, Integer, Text
from piccolo.table import Table


class AccessLogEntry(Table, tablename="access_log"):
    """One access-log entry (访问日志), chained to the one before (lib/audit_chain.py).

    Append-only: database triggers refuse UPDATE and DELETE. ``at`` is the UTC time as stored text
    (``YYYY-MM-DDTHH:MM:SS.ffffffZ``) so that it hashes the same on both engines; hashes are hex.
    """

    seq = BigInt(primary_key=True)
    at = Text()
    actor = Text(null=True)
    role = Text(null=True)
    unit = Integer(null=True)
    action = Text()
    target = Text(null=True)
    purpose = Text(null=True)
    outcome = Text()
    request_id = Text(null=True)
    client = Text(null=True)
    prev_hash = Text()
    entry_hash = Text()
