"""The database triggers that write `insights_change` rows in the same transaction as the change they record
(docs/statistics.md, "Keeping the rollups right"). One definition, two dialects (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Watch:
    name: str  # trigger name suffix
    table: str
    event: str  # "INSERT", "UPDATE OF a, b" or "DELETE"
    case: str  # SQL for the case id, in NEW. terms ("NULL" when unknown)
    report: str = "NULL"
    when: str = ""  # SQL condition on NEW./OLD., or ""


WATCHES = (
    Watch("report_new", "cases_report", "INSERT", case="NEW.situation_case_id", report="NEW.id"),
    Watch("report_case", "cases_report", "UPDATE OF situation_case_id", "NEW.situation_case_id", "NEW.id"),
    Watch("url_new", "cases_reportedurl", "INSERT", "NEW.case_id", "NEW.report_id", when="NEW.case_id IS NOT NULL"),
    Watch("url_case", "cases_reportedurl", "UPDATE OF case_id", "NEW.case_id", "NEW.report_id"),
    Watch(
        "url_case_old",
        "cases_reportedurl",
        "UPDATE OF case_id",
        "OLD.case_id",
        "NEW.report_id",
        when="OLD.case_id IS NOT NULL",
    ),
    Watch("url_gone", "cases_reportedurl", "DELETE", "OLD.case_id", "OLD.report_id", when="OLD.case_id IS NOT NULL"),
    Watch("report_gone", "cases_report", "DELETE", "OLD.situation_case_id", "OLD.id"),
    Watch("case_new", "cases_case", "INSERT", "NEW.id"),
    Watch("case_gone", "cases_case", "DELETE", "OLD.id"),
    Watch(
        "case_change",
        "cases_case",
        "UPDATE OF state, close_reason, kind, hosting_country, duplicate_of_id, hash_list_match",
        "NEW.id",
    ),
    Watch("assessment_new", "cases_assessment", "INSERT", "NEW.case_id"),
    Watch("assessment_status", "cases_assessment", "UPDATE OF status", "NEW.case_id"),
    Watch("assessment_gone", "cases_assessment", "DELETE", "OLD.case_id"),
    Watch("referral_new", "referrals_referral", "INSERT", "NEW.case_id"),
    Watch("referral_gone", "referrals_referral", "DELETE", "OLD.case_id"),
    Watch(
        "referral_change",
        "referrals_referral",
        "UPDATE OF state, sent_at, failed_at, escalated_at, content_removed_at, last_notice_at",
        "NEW.case_id",
    ),
    Watch("timing_new", "referrals_referraltiming", "INSERT", "NEW.case_id"),
    Watch("timing_gone", "referrals_referraltiming", "DELETE", "OLD.case_id"),
    Watch(
        "timing_change",
        "referrals_referraltiming",
        "UPDATE OF police_referred_at, first_notice_at, removed_at, first_report_at",
        "NEW.case_id",
    ),
)


def _trigger_name(watch: Watch) -> str:
    return f"insights_change_{watch.name}"


def sqlite_create() -> list[str]:
    statements = []
    for watch in WATCHES:
        when = f" WHEN {watch.when}" if watch.when else ""
        statements.append(
            # Every part is a constant of this module, never input.
            f"CREATE TRIGGER IF NOT EXISTS {_trigger_name(watch)} AFTER {watch.event} ON {watch.table}"  # noqa: S608  # nosec B608  # constants of this module
            f" FOR EACH ROW{when} BEGIN"
            f" INSERT INTO insights_change (case_id, report_id) VALUES ({watch.case}, {watch.report}); END"
        )
    return statements


def sqlite_drop() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {_trigger_name(watch)}" for watch in WATCHES]


def postgresql_create() -> list[str]:
    statements = []
    for watch in WATCHES:
        function = f"{_trigger_name(watch)}_fn"
        statements.append(
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"  # noqa: S608  # nosec B608  # constants of this module
            f" INSERT INTO insights_change (case_id, report_id) VALUES ({watch.case}, {watch.report});"
            f" RETURN NULL; END $$"
        )
        when = f" WHEN ({watch.when})" if watch.when else ""
        statements.append(f"DROP TRIGGER IF EXISTS {_trigger_name(watch)} ON {watch.table}")
        statements.append(
            f"CREATE TRIGGER {_trigger_name(watch)} AFTER {watch.event} ON {watch.table}"
            f" FOR EACH ROW{when} EXECUTE FUNCTION {function}()"
        )
    return statements


def postgresql_drop() -> list[str]:
    statements = []
    for watch in WATCHES:
        statements.append(f"DROP TRIGGER IF EXISTS {_trigger_name(watch)} ON {watch.table}")
        statements.append(f"DROP FUNCTION IF EXISTS {_trigger_name(watch)}_fn()")
    return statements


def create_statements(vendor: str) -> list[str]:
    return postgresql_create() if vendor == "postgresql" else sqlite_create()


def drop_statements(vendor: str) -> list[str]:
    return postgresql_drop() if vendor == "postgresql" else sqlite_drop()


def install(schema_editor: object) -> None:
    """Create the triggers (migrations; also `bench/insights.py` after measuring intake without them)."""
    connection = schema_editor.connection  # type: ignore[attr-defined]
    for statement in create_statements(connection.vendor):
        schema_editor.execute(statement)  # type: ignore[attr-defined]


def remove(schema_editor: object) -> None:
    connection = schema_editor.connection  # type: ignore[attr-defined]
    for statement in drop_statements(connection.vendor):
        schema_editor.execute(statement)  # type: ignore[attr-defined]
