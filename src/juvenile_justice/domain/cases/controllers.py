"""HTTP API of the cases area (API.md "Cases, people, decisions"). HTTP only: one service call each."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from juvenile_justice.domain.cases import schemas as s
from juvenile_justice.domain.cases import service
from juvenile_justice.lib.http import principal, problem_responses, requires_roles

R_READ = problem_responses(400, 401, 403, 404, 422)
R_WRITE = problem_responses(400, 401, 403, 404, 409, 422)

Req = Request[Any, Any, Any]


class CaseController(Controller):
    """``/api/cases``: cases, their persons, steps, decisions and assignments."""

    path = "/api/cases"
    tags = ["cases"]

    @post("/", operation_id="CreateCase", responses=R_WRITE, guards=[requires_roles("prosecutor")])
    async def create_case(self, request: Req, data: JSONBody[s.CaseCreate]) -> s.CaseOut:
        """Open a case in your unit; you become its case prosecutor."""
        return await service.create_case(principal(request), data)

    @get("/", operation_id="ListCases", responses=R_READ, guards=[requires_roles("prosecutor", "aid_officer")])
    async def list_cases(
        self,
        request: Req,
        limit: Annotated[int | None, QueryParameter(ge=1, le=500)] = None,
        cursor: FromQuery[str | None] = None,
        case_type: FromQuery[s.CaseType | None] = None,
        q: FromQuery[str | None] = None,
        charge: FromQuery[str | None] = None,
        offense_from: FromQuery[date | None] = None,
        offense_to: FromQuery[date | None] = None,
        mine: FromQuery[bool] = False,
    ) -> s.CasePage:
        """Your unit's cases, newest first (``limit`` 1–500, default 50; ``next_cursor`` continues the list with
        the same filters). ``q`` matches part of the title or case number, ``charge`` part of a charge name;
        ``mine=true`` keeps the cases you are a prosecutor of. ID numbers are never search terms here (422):
        use ``POST /api/persons/lookup``."""
        return await service.list_cases(
            principal(request),
            limit=limit,
            cursor=cursor,
            case_type=case_type,
            text=(q or "")[:100],
            charge=(charge or "")[:100],
            offense_from=offense_from,
            offense_to=offense_to,
            mine=mine,
        )

    @get(
        "/{case_id:int}", operation_id="GetCase", responses=R_READ, guards=[requires_roles("prosecutor", "aid_officer")]
    )
    async def get_case(self, request: Req, case_id: FromPath[int]) -> s.CaseOut:
        """One case of your unit."""
        return await service.get_case(principal(request), case_id)

    @patch("/{case_id:int}", operation_id="UpdateCase", responses=R_WRITE, guards=[requires_roles("prosecutor")])
    async def update_case(self, request: Req, case_id: FromPath[int], data: JSONBody[s.CaseUpdate]) -> s.CaseOut:
        """Change title, dates or charges; send the ``version`` you read (stale → 409)."""
        return await service.update_case(principal(request), case_id, data)

    @post(
        "/{case_id:int}/assignments",
        operation_id="AssignProsecutor",
        responses=R_WRITE,
        guards=[requires_roles("prosecutor")],
    )
    async def assign(self, request: Req, case_id: FromPath[int], data: JSONBody[s.AssignmentCreate]) -> s.AssignmentOut:
        """Assign another prosecutor of the unit to the case."""
        return await service.assign(principal(request), case_id, data)

    @post("/{case_id:int}/persons", operation_id="AddPerson", responses=R_WRITE, guards=[requires_roles("prosecutor")])
    async def add_person(self, request: Req, case_id: FromPath[int], data: JSONBody[s.PersonCreate]) -> s.PersonOut:
        """Add a person (ID number checked; birth date and age at the offence derived)."""
        return await service.add_person(principal(request), case_id, data)

    @get(
        "/{case_id:int}/persons",
        operation_id="ListPersons",
        responses=R_READ,
        guards=[requires_roles("prosecutor", "aid_officer")],
    )
    async def list_persons(self, request: Req, case_id: FromPath[int]) -> s.PersonList:
        """The persons of a case (names masked unless you are a case prosecutor)."""
        return await service.list_persons(principal(request), case_id)

    @post("/{case_id:int}/steps", operation_id="AddStep", responses=R_WRITE, guards=[requires_roles("prosecutor")])
    async def add_step(self, request: Req, case_id: FromPath[int], data: JSONBody[s.StepCreate]) -> s.StepOut:
        """Add a step to the case timeline."""
        return await service.add_step(principal(request), case_id, data)

    @get(
        "/{case_id:int}/steps",
        operation_id="ListSteps",
        responses=R_READ,
        guards=[requires_roles("prosecutor", "aid_officer")],
    )
    async def list_steps(self, request: Req, case_id: FromPath[int]) -> s.StepList:
        """The case timeline, oldest first."""
        return await service.list_steps(principal(request), case_id)

    @post(
        "/{case_id:int}/decisions", operation_id="AddDecision", responses=R_WRITE, guards=[requires_roles("prosecutor")]
    )
    async def add_decision(
        self, request: Req, case_id: FromPath[int], data: JSONBody[s.DecisionCreate]
    ) -> s.DecisionOut:
        """Record a decision about a suspect (conditional non-prosecution kinds → 409)."""
        return await service.add_decision(principal(request), case_id, data)

    @get(
        "/{case_id:int}/decisions",
        operation_id="ListDecisions",
        responses=R_READ,
        guards=[requires_roles("prosecutor", "aid_officer")],
    )
    async def list_decisions(self, request: Req, case_id: FromPath[int]) -> s.DecisionList:
        """The decisions of a case."""
        return await service.list_decisions(principal(request), case_id)


class PersonController(Controller):
    """``/api/persons``: one person, and search before create."""

    path = "/api/persons"
    tags = ["persons"]

    @post(
        "/lookup",
        operation_id="LookupPersons",
        status_code=200,
        responses=R_WRITE,
        guards=[requires_roles("prosecutor")],
    )
    async def lookup(self, request: Req, data: JSONBody[s.LookupIn]) -> s.LookupOut:
        """Persons with this resident ID number in your unit's cases."""
        return await service.lookup_persons(principal(request), data)

    @get(
        "/{person_id:int}",
        operation_id="GetPerson",
        responses=R_READ,
        guards=[requires_roles("prosecutor", "aid_officer")],
    )
    async def get_person(self, request: Req, person_id: FromPath[int]) -> s.PersonOut:
        """A person's detail (full fields for the case's prosecutors)."""
        return await service.get_person(principal(request), person_id)

    @patch("/{person_id:int}", operation_id="UpdatePerson", responses=R_WRITE, guards=[requires_roles("prosecutor")])
    async def update_person(
        self, request: Req, person_id: FromPath[int], data: JSONBody[s.PersonUpdate]
    ) -> s.PersonOut:
        """Change contact details; send the ``version`` you read (stale → 409)."""
        return await service.update_person(principal(request), person_id, data)
