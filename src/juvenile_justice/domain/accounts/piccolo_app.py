"""Piccolo app of the accounts area."""

from piccolo.conf.apps import AppConfig

from juvenile_justice.domain.accounts.tables import AppUser, AuthToken, LoginAttempt, Unit
from juvenile_justice.paths import migrations_dir

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=str(migrations_dir("accounts")),
    table_classes=[Unit, AppUser, AuthToken, LoginAttempt],
)
