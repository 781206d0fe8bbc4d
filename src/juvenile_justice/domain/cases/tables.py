"""Piccolo tables of the cases area (schema in migrations/cases/)."""

from __future__ import annotations

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from juvenile_justice.domain.accounts.tables import AppUser, Unit


class CaseFile(Table, tablename="case_file"):
    """A case (案件) handled by one unit."""

    id = Serial(primary_key=True)
    unit = ForeignKey(Unit)
    case_number = Varchar(length=60)
    case_type = Varchar(length=20)
    title = Varchar(length=200)
    offense_date = Date()
    received_on = Date()
    external_id = Varchar(length=100, null=True, unique=True)
    created_by = ForeignKey(AppUser, null=True)
    version = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class CaseCharge(Table, tablename="case_charge"):
    """A charge (罪名) with its Criminal Law article and chapter."""

    id = Serial(primary_key=True)
    case_file = ForeignKey(CaseFile)
    position = Integer()
    name = Varchar(length=100)
    article = Varchar(length=10)
    chapter = Integer()


class CaseAssignment(Table, tablename="case_assignment"):
    """A prosecutor assigned to a case besides its creator (承办检察官)."""

    id = Serial(primary_key=True)
    case_file = ForeignKey(CaseFile)
    account = ForeignKey(AppUser)
    assigned_at = Timestamptz()


class Person(Table, tablename="person"):
    """A person in a case: suspect, victim, guardian, legal representative, ...

    ``name``, ``id_number``, ``phone`` and ``address`` hold sealed envelopes (protection.py);
    ``id_number_index`` is the ID number's blind index, ``id_number_digest`` its per-case digest.
    """

    id = Serial(primary_key=True)
    case_file = ForeignKey(CaseFile)
    role = Varchar(length=30)
    name = Text()
    id_number = Text()
    gender = Varchar(length=6)
    birth_date = Date()
    age_at_offense = Integer(null=True)
    minor_at_offense = Boolean()
    phone = Text(null=True)
    address = Text(null=True)
    spp_approval_document = Varchar(length=100, null=True)
    version = Integer(default=1)
    created_at = Timestamptz()
    id_number_index = Text()
    id_number_digest = Text()


class CaseStep(Table, tablename="case_step"):
    """One step of the case timeline (受理, 讯问, 审查逮捕, ...); ``summary`` is sealed."""

    id = Serial(primary_key=True)
    case_file = ForeignKey(CaseFile)
    kind = Varchar(length=50)
    occurred_on = Date()
    summary = Text()
    created_by = ForeignKey(AppUser, null=True)
    created_at = Timestamptz()


class Decision(Table, tablename="decision"):
    """A decision about one person (arrest, prosecution, non-prosecution, judgment, ...)."""

    id = Serial(primary_key=True)
    case_file = ForeignKey(CaseFile)
    person = ForeignKey(Person)
    kind = Varchar(length=40)
    decision_date = Date()
    effective_date = Date(null=True)
    document_number = Varchar(length=100)
    sentence_kind = Varchar(length=30, null=True)
    sentence_months = Integer(null=True)
    basis_article = Varchar(length=30, null=True)
    created_by = ForeignKey(AppUser, null=True)
    created_at = Timestamptz()


class CaseCounter(Table, tablename="case_counter"):
    """The last case number issued per unit and year."""

    id = Serial(primary_key=True)
    unit = ForeignKey(Unit)
    year = Integer()
    last_value = Integer()
