"""sealing 0003: only a logged unsealing unseals, and requests are filed undecided (issue 6, break-it round).

- ``sealed_record``: the status may go from ``sealed`` to ``unsealed`` only once the access log holds the
  record's ``sealed_record.unseal`` entry, written after its ``sealed_record.create`` entry (the service
  writes the entry first, in the same transaction). A status flipped by hand is refused; past the
  triggers, the service still treats the record as sealed (domain/sealing/visibility.py).
- ``query_request`` / ``unseal_request``: a row is inserted undecided (a query may be refused at filing);
  an approval is only ever an update of a pending row, which the guards of 0002 allow once.
"""

from juvenile_justice.migration_helpers import raw_migration

ID = "2026-11-29T22:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "logged unsealing only; requests filed undecided"

_FIXED = (
    "id", "unit", "case_file", "person", "decision", "basis", "sealed_on", "sealed_at", "sealed_by",
    "eligibility", "ruleset_version",
)  # fmt: skip
_CHANGED = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _FIXED)
_UNSEAL_LOGGED = (
    "EXISTS (SELECT 1 FROM access_log al WHERE al.target = 'sealed_record:' || OLD.id "
    "AND al.action = 'sealed_record.unseal' AND al.seq > (SELECT MAX(af.seq) FROM access_log af "
    "WHERE af.target = 'sealed_record:' || OLD.id AND af.action = 'sealed_record.create'))"
)
_FILED = {
    "query_request": "NEW.status IN ('pending', 'refused') AND NEW.decided_by IS NULL AND NEW.valid_until IS NULL "
    "AND NEW.decision_document IS NULL",
    "unseal_request": "NEW.status = 'pending' AND NEW.decided_by IS NULL",
}

_SQLITE = [
    "DROP TRIGGER sealed_record_fixed",
    "CREATE TRIGGER sealed_record_fixed BEFORE UPDATE ON sealed_record "
    f"WHEN {_CHANGED} OR (OLD.status = 'unsealed' AND NEW.status IS NOT 'unsealed') "
    "OR (OLD.notice_document IS NOT NULL AND NEW.notice_document IS NOT OLD.notice_document) "
    "OR (OLD.advised_on IS NOT NULL AND NEW.advised_on IS NOT OLD.advised_on) "
    f"OR (OLD.status = 'sealed' AND NEW.status = 'unsealed' AND NOT {_UNSEAL_LOGGED}) "
    "BEGIN SELECT RAISE(ABORT, 'sealed_record: a sealed record cannot be changed, only unsealed once, as logged'); "
    "END",
    *[
        f"CREATE TRIGGER {t}_filed BEFORE INSERT ON {t} WHEN NOT ({condition}) "
        f"BEGIN SELECT RAISE(ABORT, '{t}: a request is filed undecided'); END"
        for t, condition in _FILED.items()
    ],
]

_POSTGRES = [
    f"""CREATE OR REPLACE FUNCTION sealed_record_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE'
           AND (to_jsonb(NEW) - ARRAY['status', 'unsealed_on', 'notice_document', 'content', 'id_number',
                                      'id_number_index', 'advised_on'])
             = (to_jsonb(OLD) - ARRAY['status', 'unsealed_on', 'notice_document', 'content', 'id_number',
                                      'id_number_index', 'advised_on'])
           AND NOT (OLD.status = 'unsealed' AND NEW.status <> 'unsealed')
           AND (OLD.notice_document IS NULL OR NEW.notice_document IS NOT DISTINCT FROM OLD.notice_document)
           AND (OLD.advised_on IS NULL OR NEW.advised_on IS NOT DISTINCT FROM OLD.advised_on)
           AND NOT (OLD.status = 'sealed' AND NEW.status = 'unsealed' AND NOT {_UNSEAL_LOGGED}) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'sealed_record: a sealed record cannot be changed, only unsealed once, as logged';
    END $$""",
    f"""CREATE OR REPLACE FUNCTION sealing_request_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND OLD.status = 'pending' THEN
            RETURN NEW;
        END IF;
        IF TG_OP = 'INSERT' THEN  -- nested: each table's condition reads only its own columns
            IF TG_TABLE_NAME = 'query_request' THEN
                IF {_FILED["query_request"]} THEN
                    RETURN NEW;
                END IF;
            ELSIF {_FILED["unseal_request"]} THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION '%: a request is filed undecided', TG_TABLE_NAME;
        END IF;
        RAISE EXCEPTION '%: a decided request cannot be changed, and no request can be deleted', TG_TABLE_NAME;
    END $$""",
    *[
        statement
        for t in ("query_request", "unseal_request")
        for statement in (
            f"DROP TRIGGER {t}_guard ON {t}",
            f"CREATE TRIGGER {t}_guard BEFORE INSERT OR UPDATE OR DELETE ON {t} FOR EACH ROW "
            "EXECUTE FUNCTION sealing_request_guard()",
        )
    ],
]


async def forwards():
    return raw_migration(
        app_name="sealing", migration_id=ID, description=DESCRIPTION, sqlite=_SQLITE, postgres=_POSTGRES
    )
