"""Piccolo tables of the documents area (schema in migrations/documents/; queries are raw SQL in
repository.py)."""

from __future__ import annotations

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from juvenile_justice.domain.accounts.tables import AppUser, Unit
from juvenile_justice.domain.cases.tables import CaseFile


class IssuedDocument(Table, tablename="issued_document"):
    """An issued document (出具的文书): its number, verification code, issuer and sealed content snapshot.

    Never deleted or changed (database triggers); only ``content`` may be re-sealed under a new key.
    """

    id = Serial(primary_key=True)
    unit = ForeignKey(Unit)
    kind = Varchar(length=40)
    type_code = Varchar(length=20)
    year = Integer()
    serial = Integer()
    number = Varchar(length=80)
    verification_code = Varchar(length=16, unique=True)
    case_file = ForeignKey(CaseFile, null=True)
    issued_on = Date()
    issued_at = Timestamptz()
    issued_by = ForeignKey(AppUser, null=True)
    replaces: ForeignKey[IssuedDocument] = ForeignKey("self", null=True, unique=True)
    sealed = Boolean(default=False)
    content = Text()


class DocumentCopy(Table, tablename="document_copy"):
    """The stored PDF of an issued document (sealed) and its hash; never deleted or changed."""

    id = ForeignKey(IssuedDocument, primary_key=True)
    pdf = Text()
    pdf_hash = Varchar(length=80)
    pages = Integer()
    size_bytes = Integer()
    rendered_at = Timestamptz()


class DocumentCounter(Table, tablename="document_counter"):
    """The last serial issued per unit, document type code and year (gapless numbering)."""

    unit = ForeignKey(Unit, primary_key=True)
    type_code = Varchar(length=20)
    year = Integer()
    last_value = Integer()
