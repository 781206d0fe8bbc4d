"""Piccolo app of the sealing area."""

from piccolo.conf.apps import AppConfig

from juvenile_justice.domain.sealing.tables import QueryRequest, SealedRecord, SealingTask, UnsealRequest
from juvenile_justice.paths import migrations_dir

APP_CONFIG = AppConfig(
    app_name="sealing",
    migrations_folder_path=str(migrations_dir("sealing")),
    table_classes=[SealingTask, SealedRecord, QueryRequest, UnsealRequest],
    migration_dependencies=[
        "juvenile_justice.domain.accounts.piccolo_app",
        "juvenile_justice.domain.cases.piccolo_app",
        "juvenile_justice.domain.documents.piccolo_app",
    ],
)
