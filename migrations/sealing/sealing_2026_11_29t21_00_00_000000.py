"""sealing 0002: lawful queries of sealed records and requests to lift a seal (issue 6; R-SEAL-6, 7, 11).

- ``query_request``: a written application to read a sealed record (purpose, legal basis, requesting unit
  and its type, the state regulation cited), filed by a judge or prosecutor (a prosecutor may record an
  outside body's application). ``status``: ``refused`` at once when it cannot qualify (R-SEAL-6, with
  ``reason``), else ``pending`` until a prosecutor of the sealing unit other than the requester decides
  it by ``due_on`` (``approved`` with ``valid_until``, or ``denied``); the decision document is linked.
- ``unseal_request``: a ground of R-SEAL-11 with its facts and trace, ``pending`` until a second
  prosecutor of the sealing unit decides it (``approved``: the record's status becomes ``unsealed``).
Neither table is ever deleted from; a decided request no longer changes (database triggers).
"""

from juvenile_justice.migration_helpers import raw_migration

ID = "2026-11-29T21:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "lawful queries and unseal requests"


def _ddl(serial: str) -> list[str]:
    return [
        f"""CREATE TABLE query_request (
            id {serial},
            sealed_record INTEGER NOT NULL REFERENCES sealed_record (id),
            record_unit INTEGER NOT NULL REFERENCES unit (id),
            requester INTEGER NOT NULL REFERENCES app_user (id),
            requester_unit INTEGER NOT NULL REFERENCES unit (id),
            requesting_unit VARCHAR(100) NOT NULL,
            requesting_unit_type VARCHAR(20) NOT NULL CHECK (requesting_unit_type IN
                ('court', 'procuratorate', 'public_security', 'state_security', 'justice_admin', 'other')),
            purpose TEXT NOT NULL,
            legal_basis TEXT NOT NULL,
            cited_regulation TEXT NULL,
            filed_on DATE NOT NULL,
            filed_at TIMESTAMPTZ NOT NULL,
            due_on DATE NOT NULL,
            status VARCHAR(10) NOT NULL CHECK (status IN ('pending', 'refused', 'approved', 'denied')),
            reason TEXT NULL,
            decided_by INTEGER NULL REFERENCES app_user (id),
            decided_at TIMESTAMPTZ NULL,
            valid_days INTEGER NULL CHECK (valid_days IS NULL OR valid_days BETWEEN 1 AND 90),
            valid_until DATE NULL,
            decision_document INTEGER NULL REFERENCES issued_document (id),
            CHECK (status <> 'approved' OR (valid_until IS NOT NULL AND decided_by IS NOT NULL)),
            CHECK (decided_by IS NULL OR decided_by <> requester)
        )""",
        "CREATE INDEX query_request_record ON query_request (sealed_record, requester, status)",
        "CREATE INDEX query_request_unit ON query_request (record_unit, status, id)",
        "CREATE INDEX query_request_requester ON query_request (requester, id)",
        f"""CREATE TABLE unseal_request (
            id {serial},
            sealed_record INTEGER NOT NULL REFERENCES sealed_record (id),
            record_unit INTEGER NOT NULL REFERENCES unit (id),
            rule VARCHAR(20) NOT NULL CHECK (rule IN ('new_offense', 'prior_offense', 'retrial')),
            reason TEXT NOT NULL,
            combined_sentence_months INTEGER NOT NULL,
            new_offense_date DATE NULL,
            judgment_document_number VARCHAR(100) NOT NULL,
            ground TEXT NOT NULL,
            requested_by INTEGER NOT NULL REFERENCES app_user (id),
            requested_at TIMESTAMPTZ NOT NULL,
            status VARCHAR(10) NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
            decided_by INTEGER NULL REFERENCES app_user (id),
            decided_at TIMESTAMPTZ NULL,
            decision_reason TEXT NULL,
            CHECK (decided_by IS NULL OR decided_by <> requested_by)
        )""",
        "CREATE INDEX unseal_request_unit ON unseal_request (record_unit, status, id)",
        "CREATE UNIQUE INDEX unseal_request_one_pending ON unseal_request (sealed_record) WHERE status = 'pending'",
    ]


_SQLITE = [
    *_ddl("INTEGER PRIMARY KEY AUTOINCREMENT"),
    *[
        f"CREATE TRIGGER {t}_decided BEFORE UPDATE ON {t} WHEN OLD.status <> 'pending' "
        f"BEGIN SELECT RAISE(ABORT, '{t}: a decided request cannot be changed'); END"
        for t in ("query_request", "unseal_request")
    ],
    *[
        f"CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t} "
        f"BEGIN SELECT RAISE(ABORT, '{t}: a request cannot be deleted'); END"
        for t in ("query_request", "unseal_request")
    ],
]

_POSTGRES = [
    *_ddl("SERIAL PRIMARY KEY"),
    """CREATE FUNCTION sealing_request_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND OLD.status = 'pending' THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION '%: a decided request cannot be changed, and no request can be deleted', TG_TABLE_NAME;
    END $$""",
    *[
        f"CREATE TRIGGER {t}_guard BEFORE UPDATE OR DELETE ON {t} FOR EACH ROW EXECUTE FUNCTION sealing_request_guard()"
        for t in ("query_request", "unseal_request")
    ],
    *[
        f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} FOR EACH STATEMENT "
        "EXECUTE FUNCTION sealing_request_guard()"
        for t in ("query_request", "unseal_request")
    ],
]


async def forwards():
    return raw_migration(
        app_name="sealing", migration_id=ID, description=DESCRIPTION, sqlite=_SQLITE, postgres=_POSTGRES
    )
