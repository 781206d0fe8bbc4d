"""accounts 0001: units, users, tokens, log-in attempts."""

from juvenile_justice.migration_helpers import raw_migration

ID = "2026-11-29T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "units, users, tokens, log-in attempts"

_KINDS = "('procuratorate','court','public_security','state_security','justice_admin','other')"
_ROLES = "('prosecutor','judge','aid_officer','auditor','admin')"


def _ddl(serial: str, ts: str) -> list[str]:
    return [
        f"""CREATE TABLE unit (
            id {serial},
            name VARCHAR(100) NOT NULL UNIQUE,
            kind VARCHAR(20) NOT NULL CHECK (kind IN {_KINDS}),
            parent INTEGER NULL REFERENCES unit (id),
            province_code VARCHAR(6) NULL,
            doc_prefix VARCHAR(20) NULL,
            created_at {ts} NOT NULL
        )""",
        f"""CREATE TABLE app_user (
            id {serial},
            username VARCHAR(64) NOT NULL UNIQUE,
            password_hash TEXT NOT NULL,
            role VARCHAR(20) NOT NULL CHECK (role IN {_ROLES}),
            unit INTEGER NOT NULL REFERENCES unit (id),
            capabilities VARCHAR(100) NOT NULL DEFAULT '',
            active BOOLEAN NOT NULL DEFAULT TRUE,
            created_at {ts} NOT NULL
        )""",
        "CREATE INDEX app_user_unit ON app_user (unit)",
        f"""CREATE TABLE auth_token (
            id {serial},
            token_digest VARCHAR(64) NOT NULL UNIQUE,
            account INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
            kind VARCHAR(10) NOT NULL CHECK (kind IN ('bearer','session')),
            created_at {ts} NOT NULL,
            expires_at {ts} NOT NULL
        )""",
        "CREATE INDEX auth_token_expires ON auth_token (expires_at)",
        f"""CREATE TABLE login_attempt (
            id {serial},
            username VARCHAR(64) NOT NULL,
            attempted_at {ts} NOT NULL
        )""",
        "CREATE INDEX login_attempt_user_time ON login_attempt (username, attempted_at)",
    ]


async def forwards():
    return raw_migration(
        app_name="accounts",
        migration_id=ID,
        description=DESCRIPTION,
        sqlite=_ddl("INTEGER PRIMARY KEY AUTOINCREMENT", "TIMESTAMPTZ"),
        postgres=_ddl("SERIAL PRIMARY KEY", "TIMESTAMPTZ"),
    )
