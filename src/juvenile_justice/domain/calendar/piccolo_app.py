"""Piccolo app of the calendar area."""

from piccolo.conf.apps import AppConfig

from juvenile_justice.domain.calendar.tables import CalendarYear
from juvenile_justice.paths import migrations_dir

APP_CONFIG = AppConfig(
    app_name="calendar",
    migrations_folder_path=str(migrations_dir("calendar")),
    table_classes=[CalendarYear],
)
