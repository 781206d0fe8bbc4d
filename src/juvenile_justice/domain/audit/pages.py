"""Browser pages of the auditors (审计员): the access log with filters and pages, one entry, the chain's
verification, CSV export, and the keyed-hash search for an ID number or a search text.

The same services as the API (domain/audit/queries.py); every view is itself logged. An ID number
typed into the hash search travels in a POST body, never in a URL.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Stream, Template

from juvenile_justice.domain.accounts import repository as accounts
from juvenile_justice.domain.audit import queries
from juvenile_justice.domain.audit.controllers import csv_download
from juvenile_justice.lib.errors import ValidationFailed
from juvenile_justice.lib.forms import errors_by_field
from juvenile_justice.lib.http import principal, requires_roles

Req = Request[Any, Any, Any]

OUTCOMES = {"allowed": "允许", "refused": "拒绝", "failed": "失败"}
FLAGS = {
    "sealed_read_without_grant": "无批准查阅封存记录",
    "read_rate": "短时大量查阅",
    "off_hours": "工作时间外查阅",
}
ACTIONS = {
    "auth.login": "登录",
    "case.create": "新建案件",
    "case.read": "查看案件",
    "case.list": "查看案件列表",
    "case.update": "修改案件",
    "case.assign": "指派检察官",
    "case.import": "导入案件",
    "person.create": "添加人员",
    "person.read": "查看人员",
    "person.list": "查看涉案人员",
    "person.update": "修改人员",
    "person.lookup": "按身份号码查询人员",
    "person.lookup.hit": "人员查询命中",
    "step.create": "添加办案步骤",
    "step.list": "查看办案经过",
    "decision.create": "记录决定",
    "decision.list": "查看决定",
    "audit.access_log.list": "查看访问日志",
    "audit.access_log.read": "查看日志条目",
    "audit.access_log.export": "导出访问日志",
    "audit.verify": "校验访问日志",
    "audit.hash": "计算检索摘要",
    "audit.prune": "清理过期日志",
    "audit.checkpoint": "签发检查点",
    "users.add": "新增用户",
    "users.set_password": "重置密码",
    "users.disable": "停用用户",
    "users.enable": "启用用户",
    "units.add": "新增单位",
    "units.set": "修改单位",
    "calendar.load": "载入节假日",
    "keys.rotate": "轮换密钥",
    "keys.rewrap": "重新加密",
    "keys.retire": "停用密钥",
    "document.issue": "出具文书",
    "document.store": "文书存档（哈希）",
    "document.read": "查看文书",
    "sealing_task.create": "开启封存任务",
    "sealing_task.list": "查看封存任务",
    "sealed_record.create": "封存犯罪记录",
    "sealed_record.read": "查阅封存记录",
    "sealed_record.": "封存记录（全部）",
    "sealed_status.lookup": "查询封存状态",
    "query_request.create": "申请依法查询",
    "query_request.decide": "决定依法查询",
    "unseal_request.create": "申请解除封存",
    "unseal_request.reject": "不予解除封存",
    "sealed_record.unseal": "解除封存",
    "no_record_certificate.issue": "出具无犯罪记录证明（被拒绝）",
}
ACTIONS["route."] = "被拒绝的访问（全部）"
ROLES = {
    "prosecutor": "检察官",
    "judge": "法官",
    "aid_officer": "司法救助承办人",
    "auditor": "审计员",
    "admin": "管理员",
    "operator": "运维人员（命令行）",
}
PURPOSES = {
    "session": "网页登录",
    "bearer": "接口令牌",
    "full": "完整显示（承办检察官）",
    "masked": "脱敏显示",
    "audit": "审计查询",
}
PURPOSE_COUNTS = {"hits": "命中{}人", "persons": "涉案人员{}人", "page": "本页{}条", "holidays": "节假日{}天"}
FILTER_FIELDS = ("actor", "record_id", "target", "unit", "outcome", "action", "from", "to", "flagged", "request_id")


def action_label(action: str) -> str:
    """The Chinese name of an action; refused requests (``route.…``) as 被拒绝的访问."""
    if action.startswith("route."):
        return "被拒绝的访问"
    return ACTIONS.get(action, action)


def purpose_label(purpose: str | None) -> str:
    """The Chinese reading of an entry's purpose (``full`` → 完整显示, ``hits:2`` → 命中2人, ``http 404`` →
    拒绝（404）); unknown values as stored."""
    if not purpose:
        return ""
    if purpose in PURPOSES:
        return PURPOSES[purpose]
    if purpose.startswith("http "):
        return f"拒绝（HTTP {purpose[5:]}）"
    name, _, count = purpose.partition(":")
    if name in PURPOSE_COUNTS and count.isdigit():
        return PURPOSE_COUNTS[name].format(count)
    if name == "grant":
        return f"批准查询 {count}"
    return purpose


LABELS = {
    "outcomes": OUTCOMES,
    "flags": FLAGS,
    "actions": ACTIONS,
    "roles": ROLES,
    "action_label": action_label,
    "purpose_label": purpose_label,
}


def _page(name: str, request: Req, status: int = 200, **context: Any) -> Template:
    context = {"user": principal(request), **LABELS, **context}
    return Template(template_name=f"pages/{name}.html", status_code=status, context=context)


def _filters(raw: dict[str, str]) -> queries.Filters:
    """Filters from the form's query parameters (empty fields are no filter).

    Raises:
        ValidationFailed: a malformed value, naming the field.
    """
    unit = raw.get("unit") or None
    if unit is not None and not (unit.isascii() and unit.isdigit() and len(unit) < 10):
        raise ValidationFailed.one("unit", "请选择单位 / choose a unit")
    outcome = raw.get("outcome") or None
    if outcome is not None and outcome not in OUTCOMES:
        raise ValidationFailed.one("outcome", "请选择结果 / choose an outcome")
    return queries.Filters(
        actor=(raw.get("actor") or "").strip().lower() or None,
        record_id=(raw.get("record_id") or "").strip() or None,
        target=(raw.get("target") or "").strip() or None,
        unit=int(unit) if unit else None,
        outcome=outcome,
        action=(raw.get("action") or "").strip() or None,
        since=queries.bound("from", (raw.get("from") or "").strip() or None, end=False),
        until=queries.bound("to", (raw.get("to") or "").strip() or None, end=True),
        flagged=raw.get("flagged") == "1",
        request_id=(raw.get("request_id") or "").strip() or None,
    )


def _raw(request: Req) -> dict[str, str]:
    return {k: str(request.query_params.get(k, ""))[:170] for k in FILTER_FIELDS}


async def _units(request: Req) -> list[Any]:
    ids = set(await accounts.subtree_ids(principal(request).unit_id))
    return [u for u in await accounts.all_units() if u.id in ids]


class AuditPages(Controller):
    """The auditors' workspace (审计)."""

    include_in_schema = False
    guards = [requires_roles("auditor")]

    @get("/audit")
    async def access_log(self, request: Req, cursor: FromQuery[str | None] = None) -> Template:
        """The access log of the auditor's units, newest first, with filters and pages."""
        raw = _raw(request)
        units = await _units(request)
        try:
            entries, next_cursor = await queries.search(principal(request), _filters(raw), limit=50, cursor=cursor)
        except ValidationFailed as exc:
            return _page(
                "audit_log", request, 422, entries=[], next_cursor=None, raw=raw, units=units,
                errors=errors_by_field(exc.errors), query="", cursor=None,
            )  # fmt: skip
        query = urlencode({k: v for k, v in raw.items() if v})
        return _page(
            "audit_log",
            request,
            entries=entries,
            next_cursor=next_cursor,
            raw=raw,
            units=units,
            errors={},
            query=query,
            cursor=cursor,
        )

    @get("/audit/entries/{seq:int}")
    async def entry(self, request: Req, seq: FromPath[int]) -> Template:
        """One entry: every field, both hashes, whether its hash recomputes, its flags."""
        if not 1 <= seq <= 2**62:
            raise ValidationFailed.one("seq", "no such entry")
        entry, matches = await queries.detail(principal(request), seq)
        target_query = urlencode({"record_id": entry.row["target"]}) if entry.row["target"] else ""
        if target_query and not queries.is_record_id(str(entry.row["target"])):
            target_query = urlencode({"target": entry.row["target"]})
        return _page("audit_entry", request, e=entry, matches=matches, target_query=target_query)

    @get("/audit/verify")
    async def verify(self, request: Req) -> Template:
        """Verify the whole chain now and show the result."""
        result = await queries.verify(principal(request))
        return _page("audit_verify", request, result=result)

    @get("/audit/export")
    async def export(self, request: Req) -> Stream | Template:
        """The filtered entries as a CSV download."""
        raw = _raw(request)
        try:
            chunks = await queries.export_csv(principal(request), _filters(raw))
        except ValidationFailed as exc:
            return _page(
                "audit_log", request, 422, entries=[], next_cursor=None, raw=raw, units=await _units(request),
                errors=errors_by_field(exc.errors), query="", cursor=None,
            )  # fmt: skip

        return csv_download(chunks)

    @get("/audit/hash")
    async def hash_form(self, request: Req) -> Template:
        """Find the entries about an ID number, a search text or a typed user name (keyed hashes)."""
        return _page("audit_hash", request, targets=None, errors={}, kind="id_number")

    @post("/audit/hash", status_code=200)
    async def hash_lookup(self, request: Req, data: URLEncodedBody[dict[str, str]]) -> Template:
        """The keyed hashes of the value, each a link to the entries recorded under it."""
        kind = data.get("kind", "")
        try:
            targets = await queries.hash_lookup(principal(request), kind, data.get("value", "")[:200])
        except ValidationFailed as exc:
            return _page("audit_hash", request, 422, targets=None, errors=errors_by_field(exc.errors), kind=kind)
        links = [(t, urlencode({"target": t})) for t in targets]
        return _page("audit_hash", request, targets=links, errors={}, kind=kind)
