"""Piccolo app of the access log."""

from piccolo.conf.apps import AppConfig

from juvenile_justice.domain.audit.tables import AccessLogEntry
from juvenile_justice.paths import migrations_dir

APP_CONFIG = AppConfig(
    app_name="audit",
    migrations_folder_path=str(migrations_dir("audit")),
    table_classes=[AccessLogEntry],
)
