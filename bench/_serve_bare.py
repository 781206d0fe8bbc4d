"""``juvenile-justice serve`` with one bench-only route added (``bench_sealing.py``; ``src/`` is unchanged).

``POST /api/bench/bare-lookup`` ``{"id_number"}`` runs the same indexed lookup as the sealed-status check
(``sealing.repository.records_by_id_number``: the blind-index query, the candidates' ID numbers opened
and compared, the records joined) and answers the same shape, with nothing else: no log-in, no
validation of the number beyond its length, no access-log entry. It is the bare handler the real
``POST /api/sealed-status/lookup`` is measured against, served by the same process.
"""

from __future__ import annotations

import sys
from typing import Any

from litestar import post

from juvenile_justice import app as app_module
from juvenile_justice.lib import http

_create_app = app_module.create_app


@post("/api/bench/bare-lookup", status_code=200, include_in_schema=False)
async def bare_lookup(data: dict[str, Any]) -> dict[str, Any]:
    from juvenile_justice.domain.sealing import repository as repo

    records = await repo.records_by_id_number(str(data.get("id_number", ""))[:18])
    return {
        "sealed": bool(records),
        "records": [{"id": r.id, "sealed_on": r.sealed_on.isoformat(), "sealing_unit": r.unit_name, "basis": r.basis}
                    for r in records],
    }  # fmt: skip


def create_app() -> Any:
    app = _create_app()
    app.register(bare_lookup)
    return app


http.PUBLIC_PATHS.append(r"^/api/bench/")
app_module.create_app = create_app

if __name__ == "__main__":
    from juvenile_justice.cli import main

    main(sys.argv[1:])
