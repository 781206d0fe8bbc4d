"""Browser pages of the cases area (zh-CN): list, detail, new case, new person, new step.

Forms post to the same services as the API; field errors are shown next to the field.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from juvenile_justice.domain.cases import schemas as s
from juvenile_justice.domain.cases import service
from juvenile_justice.domain.cases.labels import (
    CASE_TYPES,
    DECISION_KINDS,
    INPUT_LABELS,
    PERSON_ROLES,
    SENTENCE_KINDS,
    SOURCE_LABELS,
)
from juvenile_justice.domain.cases.rules import WORKFLOW_ONLY_KINDS
from juvenile_justice.domain.documents import case_documents
from juvenile_justice.domain.documents.service import KINDS as document_kinds
from juvenile_justice.lib.clock import today_china
from juvenile_justice.lib.errors import Conflict, FieldError, ValidationFailed
from juvenile_justice.lib.forms import convert, errors_by_field
from juvenile_justice.lib.http import principal, requires_roles

Req = Request[Any, Any, Any]
Form = URLEncodedBody[dict[str, str]]

LABELS = {
    "case_types": CASE_TYPES,
    "person_roles": PERSON_ROLES,
    "decision_kinds": DECISION_KINDS,
    "input_labels": INPUT_LABELS,
    "source_labels": SOURCE_LABELS,
    "sentence_kinds": SENTENCE_KINDS,
}
MAX_CHARGE_ROWS = 3
SAVED_NOTICES = {
    "case": "案件已创建。",
    "person": "涉案人员已添加。",
    "step": "办案步骤已添加。",
    "decision": "决定已记录。",
    "document": "文书已出具。",
    "reissued": "文书已重新出具，原文书作废。",
    "reissued_already": "该文书已重新出具过，请对新文书操作。",
    "reissue_reason": "请填写重新出具的理由（2至200字）。",
}
"""Notices shown on the case page after a form saved (``?saved=``); anything else shows nothing."""


def _page(name: str, request: Req, status: int = 200, **context: Any) -> Template:
    return Template(
        template_name=f"pages/{name}.html",
        status_code=status,
        context={"user": principal(request), **LABELS, **context},
    )


def _fail(errors: list[FieldError]) -> dict[str, str]:
    return errors_by_field(errors)


class CasePages(Controller):
    """Case pages for prosecutors (and read-only for aid officers)."""

    include_in_schema = False
    guards = [requires_roles("prosecutor", "aid_officer")]

    @get("/cases")
    async def case_list(
        self,
        request: Req,
        q: FromQuery[str | None] = None,
        case_type: FromQuery[str | None] = None,
        charge: FromQuery[str | None] = None,
        mine: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> Template:
        """The unit's cases with filters and pagination."""
        ctype = case_type if case_type in CASE_TYPES else None
        page = await service.list_cases(
            principal(request),
            limit=25,
            cursor=cursor,
            case_type=ctype,
            text=(q or "")[:100],
            charge=(charge or "")[:100],
            mine=mine == "1",
        )
        filters = {"q": q or "", "case_type": ctype or "", "charge": charge or "", "mine": mine == "1"}
        return _page("case_list", request, page=page, filters=filters)

    @get("/cases/new", guards=[requires_roles("prosecutor")])
    async def new_case_form(self, request: Req) -> Template:
        """The new-case form."""
        return _page("case_new", request, form={}, errors={}, rows=range(MAX_CHARGE_ROWS))

    @post("/cases/new", guards=[requires_roles("prosecutor")], status_code=200)
    async def create_case(self, request: Req, data: Form) -> Template | Redirect:
        """Create the case, or show the form again with the errors."""
        charges = []
        for i in range(MAX_CHARGE_ROWS):
            name, article = (
                data.get(f"charge_name_{i}", "").strip(),
                data.get(f"charge_article_{i}", "").strip(),
            )
            if name or article:
                charges.append({"name": name, "article": article})
        fields = {k: data.get(k, "") for k in ("case_type", "title", "offense_date", "received_on")}
        payload, errors = convert({**fields, "charges": charges}, s.CaseCreate)
        if payload is not None:
            try:
                case = await service.create_case(principal(request), payload)
                return Redirect(path=f"/cases/{case.id}?saved=case", status_code=303)
            except ValidationFailed as exc:
                errors = exc.errors
        return _page("case_new", request, status=422, form=data, errors=_fail(errors), rows=range(MAX_CHARGE_ROWS))

    @get("/cases/{case_id:int}")
    async def case_detail(self, request: Req, case_id: FromPath[int], saved: FromQuery[str | None] = None) -> Template:
        """A case with its people, timeline and decisions; ``saved`` names what was just saved."""
        p = principal(request)
        case = await service.get_case(p, case_id)
        persons = await service.list_persons(p, case_id)
        steps = await service.list_steps(p, case_id)
        decisions = await service.list_decisions(p, case_id)
        names = {x.id: x.display_name for x in persons.items}
        can_edit = p.role == "prosecutor" and (p.username == case.case_prosecutor or p.username in case.assigned)
        documents = await case_documents.documents_of_case(p, case_id)
        return _page(
            "case_detail",
            request,
            case=case,
            persons=persons.items,
            steps=steps.items,
            decisions=decisions.items,
            names=names,
            can_edit=can_edit,
            documents=documents,
            document_titles={k: v.title for k, v in document_kinds.items()},
            notice=SAVED_NOTICES.get(saved or ""),
        )

    @get("/cases/{case_id:int}/persons/new", guards=[requires_roles("prosecutor")])
    async def new_person_form(self, request: Req, case_id: FromPath[int]) -> Template:
        """The add-person form."""
        case = await service.get_writable_case(principal(request), case_id)
        return _page("person_new", request, case=case, form={}, errors={})

    @post("/cases/{case_id:int}/persons/new", guards=[requires_roles("prosecutor")], status_code=200)
    async def add_person(self, request: Req, case_id: FromPath[int], data: Form) -> Template | Redirect:
        """Add the person, or show the form again with the errors; 查询 (``action=lookup``) searches the
        unit's cases for the ID number first (search before create) and adds nothing."""
        p = principal(request)
        if data.get("action") == "lookup":
            case = await service.get_writable_case(p, case_id)
            try:
                hits = await service.lookup_persons(p, s.LookupIn(id_number=data.get("id_number", "")[:30]))
            except ValidationFailed as exc:
                return _page("person_new", request, status=422, case=case, form=data, errors=_fail(exc.errors))
            return _page("person_new", request, case=case, form=data, errors={}, hits=hits.items, looked_up=True)
        fields = ("role", "name", "id_number", "gender", "phone", "address", "spp_approval_document")
        payload, errors = convert({k: data.get(k, "") for k in fields}, s.PersonCreate)
        if payload is not None:
            try:
                await service.add_person(p, case_id, payload)
                return Redirect(path=f"/cases/{case_id}?saved=person", status_code=303)
            except ValidationFailed as exc:
                errors = exc.errors
            except Conflict as exc:
                errors = [FieldError("id_number", exc.detail)]
        case = await service.get_case(p, case_id)
        return _page("person_new", request, status=422, case=case, form=data, errors=_fail(errors))

    @get("/cases/{case_id:int}/steps/new", guards=[requires_roles("prosecutor")])
    async def new_step_form(self, request: Req, case_id: FromPath[int]) -> Template:
        """The add-step form."""
        case = await service.get_writable_case(principal(request), case_id)
        return _page("step_new", request, case=case, form={"occurred_on": today_china().isoformat()}, errors={})

    @post("/cases/{case_id:int}/steps/new", guards=[requires_roles("prosecutor")], status_code=200)
    async def add_step(self, request: Req, case_id: FromPath[int], data: Form) -> Template | Redirect:
        """Add the step, or show the form again with the errors."""
        p = principal(request)
        payload, errors = convert({k: data.get(k, "") for k in ("kind", "occurred_on", "summary")}, s.StepCreate)
        if payload is not None:
            try:
                await service.add_step(p, case_id, payload)
                return Redirect(path=f"/cases/{case_id}?saved=step", status_code=303)
            except ValidationFailed as exc:
                errors = exc.errors
        case = await service.get_case(p, case_id)
        return _page("step_new", request, status=422, case=case, form=data, errors=_fail(errors))

    @get("/cases/{case_id:int}/decisions/new", guards=[requires_roles("prosecutor")])
    async def new_decision_form(self, request: Req, case_id: FromPath[int]) -> Template:
        """The record-a-decision form (suspects of the case only)."""
        p = principal(request)
        case = await service.get_writable_case(p, case_id)
        return _page("decision_new", request, **await _decision_context(p, case), form={}, errors={})

    @post("/cases/{case_id:int}/decisions/new", guards=[requires_roles("prosecutor")], status_code=200)
    async def add_decision(self, request: Req, case_id: FromPath[int], data: Form) -> Template | Redirect:
        """Record the decision, or show the form again with the errors."""
        p = principal(request)
        fields = (
            "person_id",
            "kind",
            "decision_date",
            "effective_date",
            "document_number",
            "sentence_kind",
            "sentence_months",
            "basis_article",
        )
        payload, errors = convert({k: data.get(k, "") for k in fields}, s.DecisionCreate)
        if payload is not None:
            try:
                await service.add_decision(p, case_id, payload)
                return Redirect(path=f"/cases/{case_id}?saved=decision", status_code=303)
            except ValidationFailed as exc:
                errors = exc.errors
            except Conflict as exc:
                errors = [FieldError("kind", exc.detail)]
        case = await service.get_writable_case(p, case_id)
        context = await _decision_context(p, case)
        return _page("decision_new", request, status=422, **context, form=data, errors=_fail(errors))


async def _decision_context(p: Any, case: s.CaseOut) -> dict[str, Any]:
    persons = await service.list_persons(p, case.id)
    kinds = {k: v for k, v in DECISION_KINDS.items() if k not in WORKFLOW_ONLY_KINDS}
    return {"case": case, "suspects": [x for x in persons.items if x.role == "suspect"], "kinds": kinds}
