"""Piccolo app of the cases area."""

from piccolo.conf.apps import AppConfig

from juvenile_justice.domain.cases.tables import (
    CaseAssignment,
    CaseCharge,
    CaseCounter,
    CaseFile,
    CaseStep,
    Decision,
    Person,
)
from juvenile_justice.paths import migrations_dir

APP_CONFIG = AppConfig(
    app_name="cases",
    migrations_folder_path=str(migrations_dir("cases")),
    table_classes=[CaseFile, CaseCharge, CaseAssignment, Person, CaseStep, Decision, CaseCounter],
    migration_dependencies=["juvenile_justice.domain.accounts.piccolo_app"],
)
