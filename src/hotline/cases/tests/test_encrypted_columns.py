"""The cases app's encrypted columns hold no plain value, and `rotate_data_key` re-encrypts them (moved here from
core's crypto tests: core knows no app's models)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from hotline.cases.models import Report, ReportedUrl
from hotline.core.crypto import Keyring
from hotline.core.tests.test_crypto import spec


@pytest.mark.django_db
def test_no_plain_sensitive_value_reaches_the_database() -> None:
    report = Report.objects.create(
        channel="web", kind="online_material", description="Seen in a chat group", contact="reporter@mail.example"
    )
    ReportedUrl.objects.create(report=report, url="https://files.example.test/album/42", url_index="x")
    with connection.cursor() as cursor:
        cursor.execute("SELECT description, contact FROM cases_report")
        raw_rows = cursor.fetchall()
        cursor.execute("SELECT url FROM cases_reportedurl")
        raw_rows += cursor.fetchall()
    flat = " ".join(str(v) for row in raw_rows for v in row)
    for plain in ("Seen in a chat group", "reporter@mail.example", "files.example.test"):
        assert plain not in flat
    assert all(str(v).startswith("enc1:") for row in raw_rows for v in row)
    fresh = Report.objects.get(pk=report.pk)
    assert fresh.description == "Seen in a chat group"


@pytest.mark.django_db
def test_rotate_data_key_reencrypts_every_value(settings, capsys) -> None:  # type: ignore[no-untyped-def]
    old = spec("old1")
    settings.HOTLINE_DATA_KEYS = old
    reports = [Report.objects.create(channel="web", kind="other", description=f"text {i}") for i in range(7)]
    settings.HOTLINE_DATA_KEYS = f"{spec('new2')},{old}"
    call_command("rotate_data_key")
    with connection.cursor() as cursor:
        cursor.execute("SELECT description FROM cases_report")
        assert {Keyring.key_id_of(r[0]) for r in cursor.fetchall()} == {"new2"}
    assert [Report.objects.get(pk=r.pk).description for r in reports] == [f"text {i}" for i in range(7)]
    settings.HOTLINE_DATA_KEYS = settings.HOTLINE_DATA_KEYS.split(",")[0]  # the old key is no longer needed
    assert Report.objects.get(pk=reports[0].pk).description == "text 0"


@pytest.mark.django_db
def test_a_reporter_message_stored_before_the_move_to_cases_still_reads() -> None:
    """ReporterMessage moved from intake to cases with its table; its text stays bound to the column it was
    encrypted for (intake_reportermessage.text), so messages written by the old release still decrypt."""
    from django.utils import timezone

    from hotline.cases.models import ReporterMessage
    from hotline.core import crypto

    report = Report.objects.create(channel="web", kind="other", description="x")
    stored = crypto.encrypt("The reporter adds a second link.", context="intake.reportermessage.text")  # old release
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO intake_reportermessage (report_id, received_at, text) VALUES (%s, %s, %s)",
            [report.pk, timezone.now(), stored],
        )
    assert [m.text for m in ReporterMessage.objects.filter(report=report)] == ["The reporter adds a second link."]
    fresh = ReporterMessage.objects.create(report=report, text="Another note.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM intake_reportermessage WHERE id = %s", [fresh.pk])
        token = cursor.fetchone()[0]
    assert crypto.decrypt(token, context="intake.reportermessage.text") == "Another note."
