"""Piccolo app of the documents area."""

from piccolo.conf.apps import AppConfig

from juvenile_justice.domain.documents.tables import DocumentCopy, DocumentCounter, IssuedDocument
from juvenile_justice.paths import migrations_dir

APP_CONFIG = AppConfig(
    app_name="documents",
    migrations_folder_path=str(migrations_dir("documents")),
    table_classes=[IssuedDocument, DocumentCopy, DocumentCounter],
    migration_dependencies=[
        "juvenile_justice.domain.accounts.piccolo_app",
        "juvenile_justice.domain.cases.piccolo_app",
    ],
)
