"""Piccolo tables of the sealing area (schema in migrations/sealing/; queries are raw SQL in repository.py)."""

from __future__ import annotations

from piccolo.columns import Date, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from juvenile_justice.domain.accounts.tables import AppUser, Unit
from juvenile_justice.domain.cases.tables import CaseFile, Decision, Person
from juvenile_justice.domain.documents.tables import IssuedDocument


class SealingTask(Table, tablename="sealing_task"):
    """A record to seal by a deadline (封存任务, R-SEAL-4): opened by a qualifying decision."""

    id = Serial(primary_key=True)
    unit = ForeignKey(Unit)
    case_file = ForeignKey(CaseFile)
    person = ForeignKey(Person)
    decision = ForeignKey(Decision, unique=True)
    basis = Varchar(length=20)
    received_on = Date()
    due_on = Date()
    eligibility = Text()
    status = Varchar(length=10)
    sealed_record = Integer(null=True)
    created_by = ForeignKey(AppUser, null=True)
    created_at = Timestamptz()


class SealedRecord(Table, tablename="sealed_record"):
    """A person's sealed records in one case (封存的犯罪记录): the one source of truth of the seal state."""

    id = Serial(primary_key=True)
    unit = ForeignKey(Unit)
    case_file = ForeignKey(CaseFile)
    person = ForeignKey(Person)
    decision = ForeignKey(Decision)
    basis = Varchar(length=20)
    sealed_on = Date()
    sealed_at = Timestamptz()
    sealed_by = ForeignKey(AppUser, null=True)
    advised_on = Date(null=True)
    eligibility = Text()
    ruleset_version = Varchar(length=30)
    id_number = Text()
    id_number_index = Text()
    content = Text()
    notice_document = ForeignKey(IssuedDocument, null=True)
    status = Varchar(length=10)
    unsealed_on = Date(null=True)


class QueryRequest(Table, tablename="query_request"):
    """A lawful query of a sealed record (查询申请, R-SEAL-6/7) and its decision."""

    id = Serial(primary_key=True)
    sealed_record = ForeignKey(SealedRecord)
    record_unit = ForeignKey(Unit)
    requester = ForeignKey(AppUser)
    requester_unit = ForeignKey(Unit)
    requesting_unit = Varchar(length=100)
    requesting_unit_type = Varchar(length=20)
    purpose = Text()
    legal_basis = Text()
    cited_regulation = Text(null=True)
    filed_on = Date()
    filed_at = Timestamptz()
    due_on = Date()
    status = Varchar(length=10)
    reason = Text(null=True)
    decided_by = ForeignKey(AppUser, null=True)
    decided_at = Timestamptz(null=True)
    valid_days = Integer(null=True)
    valid_until = Date(null=True)
    decision_document = ForeignKey(IssuedDocument, null=True)


class UnsealRequest(Table, tablename="unseal_request"):
    """A request to lift a seal (解除封存, R-SEAL-11) and its decision by a second prosecutor."""

    id = Serial(primary_key=True)
    sealed_record = ForeignKey(SealedRecord)
    record_unit = ForeignKey(Unit)
    rule = Varchar(length=20)
    reason = Text()
    combined_sentence_months = Integer()
    new_offense_date = Date(null=True)
    judgment_document_number = Varchar(length=100)
    ground = Text()
    requested_by = ForeignKey(AppUser)
    requested_at = Timestamptz()
    status = Varchar(length=10)
    decided_by = ForeignKey(AppUser, null=True)
    decided_at = Timestamptz(null=True)
    decision_reason = Text(null=True)
