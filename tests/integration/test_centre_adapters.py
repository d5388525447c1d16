"""The centre API's stores on a moto server: enrolments by key and in batches (more than one batch of
100), an alert's close note, and the access log's verified subject and purpose."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from dho.adapters.dynamodb_access_log import DynamoDbAccessLog
from dho.adapters.dynamodb_alerts import DynamoDbAlerts
from dho.adapters.dynamodb_enrolments import DynamoDbEnrolments
from dho.centre.enrolment import Enrolment
from dho.domain.access_log import AccessOutcome, AccessRecord
from dho.domain.alerts import Alert, AlertState, CloseReason
from dho.domain.findings import Rule, Severity

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _enrolment(n: int) -> Enrolment:
    return Enrolment(f"P-E{n:07d}", f"Pasient {n}", f"B-{n:03d}", "copd", "salten", "9100101", ("999000001",),
                     f"V-{n}", date(2026, 10, 1), date(2026, 10, 2), date(2027, 1, 2))


def test_enrolments_round_trip_by_key_and_in_batches(dynamodb: Any, tenant_table: str) -> None:
    enrolments = DynamoDbEnrolments(dynamodb, tenant_table)
    for n in range(120):
        enrolments.enrol(_enrolment(n))

    assert enrolments.get("P-E0000007") == _enrolment(7)
    assert enrolments.get("P-E9999999") is None
    found = enrolments.get_many([f"P-E{n:07d}" for n in range(120)] + ["P-E9999999", "P-E0000001"])
    assert len(found) == 120 and found["P-E0000119"] == _enrolment(119)


def test_a_closed_alert_keeps_the_nurses_outcome_and_note(dynamodb: Any, tenant_table: str) -> None:
    alerts = DynamoDbAlerts(dynamodb, tenant_table)
    opened = Alert("A-" + "1" * 24, "P-E0000001", Rule.SPO2_BAND, Severity.RED, AlertState.OPEN, T0, T0, T0,
                   ("r-1",), "SpO2 86 %", "test")
    alerts.save(opened, None)
    closed = replace(opened, state=AlertState.CLOSED, closed_by="9100001", closed_at=T0 + timedelta(hours=1),
                     close_reason=CloseReason.HOME_VISIT, close_note="besøkt", version=2)

    alerts.save(closed, 1)

    assert alerts.get(opened.alert_id) == closed


def test_the_access_log_keeps_the_verified_subject_and_the_purpose(dynamodb: Any, access_log_table: str) -> None:
    log = DynamoDbAccessLog(dynamodb, access_log_table)
    record = AccessRecord("a1", "P-E0000001", T0, "worklist row", AccessOutcome.EXPORTED, None, "privacy_officer",
                          None, subject="po-sub", purpose="access log review (centre salten)")

    log.record(record)

    assert log.accessed("P-E0000001", T0, T0 + timedelta(seconds=1)) == [record]
