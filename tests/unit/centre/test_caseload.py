"""The caseload review ("gjennomgang av brukerlister") through the centre API on in-memory ports: every
enrolled patient of the centre's tenants with the last reading, adherence over 14 days, alerts and outcomes
over 30 days, plan age and review date, in pages, each row access-logged; a review is recorded once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from dho.centre.caseload import adherence
from dho.centre.enrolment import DischargeReason
from dho.domain.alerts import AlertState, CloseReason
from dho.domain.findings import Rule, Severity
from dho.domain.metrics import Metric
from dho.domain.plans import MeasurementSchedule, Programme, plan_from_template
from dho.domain.readings import DeviceReading, Measurement
from tests.support.centre_client import HandlerClient
from tests.support.centre_fakes import (
    CLAIMS,
    NOW,
    NURSE_HPR,
    OTHER_GPS_PATIENT,
    OWN_PATIENT,
    SALTDAL_PATIENT,
    FakeCentre,
    alert,
)

NURSE = CLAIMS["centre_nurse"]
DAILY = MeasurementSchedule(every_hours=24)
T = datetime(2026, 12, 15, 12, tzinfo=UTC)


def test_adherence_is_the_share_of_intervals_with_a_measurement() -> None:
    since = T - timedelta(days=14)
    # Seven of fourteen days measured, one of them twice.
    measured = [T - timedelta(days=d, hours=2) for d in range(0, 14, 2)] + [T - timedelta(hours=5)]

    shares = adherence({Metric.SPO2: DAILY, Metric.BODY_WEIGHT: DAILY}, {Metric.SPO2: measured}, since, T)

    assert shares == {Metric.SPO2: 0.5, Metric.BODY_WEIGHT: 0.0}
    assert adherence({Metric.SPO2: DAILY}, {Metric.SPO2: measured}, T - timedelta(hours=20), T) == {Metric.SPO2: None}
    twice_a_day = MeasurementSchedule(every_hours=12)
    assert adherence({Metric.BLOOD_GLUCOSE: twice_a_day}, {Metric.BLOOD_GLUCOSE: measured}, since, T) == {
        Metric.BLOOD_GLUCOSE: 7 / 28}


@pytest.fixture
def centre() -> FakeCentre:
    centre = FakeCentre()
    bodo = centre.tenants["bodo"]
    # The GP's patient: COPD, daily SpO2 and pulse; SpO2 on ten of the last fourteen days, pulse never.
    bodo.plans.save(plan_from_template(OWN_PATIENT, Programme.COPD, NOW - timedelta(days=40)))
    for day in range(1, 11):
        at = NOW - timedelta(days=day, hours=1)
        bodo.timeline.store_reading(DeviceReading("bodo", "oxi-0001", f"d-{day}", at, at,
                                                  (Measurement(Metric.SPO2, 94.0, "%"),)), OWN_PATIENT)
    closed = alert(OWN_PATIENT, Rule.SPO2_BELOW_PERSONAL_MEAN, Severity.YELLOW, NOW - timedelta(days=12))
    bodo.add_alert(replace(closed, state=AlertState.CLOSED, close_reason=CloseReason.ADVICE_PER_PLAN))
    old = alert(OWN_PATIENT, Rule.NEWS2, Severity.RED, NOW - timedelta(days=45))  # before the 30 days
    bodo.add_alert(replace(old, state=AlertState.CLOSED, close_reason=CloseReason.ADMITTED))
    # Review dates: the other GP's patient is due first.
    enrolments = bodo.enrolments.enrolments
    enrolments[OTHER_GPS_PATIENT] = replace(enrolments[OTHER_GPS_PATIENT], review_on=date(2026, 12, 1))
    return centre


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch, centre: FakeCentre) -> HandlerClient:
    return HandlerClient(monkeypatch, centre)


def test_the_caseload_lists_every_enrolled_patient_with_what_the_review_needs(
    client: HandlerClient, centre: FakeCentre
) -> None:
    answer = client.call("GET", "/caseload", NURSE)

    assert answer.status == 200 and answer.body["next_page"] is None
    rows = answer.body["rows"]
    assert [(r["tenant"], r["patient_id"]) for r in rows] == [
        ("bodo", OTHER_GPS_PATIENT), ("bodo", OWN_PATIENT), ("saltdal", SALTDAL_PATIENT)]
    assert [r["municipality"] for r in rows] == ["Bodø kommune", "Bodø kommune", "Saltdal kommune"]
    due, own = rows[0], rows[1]
    assert (due["review_on"], due["review_due"]) == ("2026-12-01", True)
    assert (own["review_due"], own["plan_version"], own["plan_age_days"]) == (False, 1, 40)
    # The fake centre's 86 % two hours ago is the last reading; ten of fourteen days had SpO2, none pulse.
    assert own["last_reading_at"].startswith((NOW - timedelta(hours=2)).isoformat()[:16])
    assert own["adherence_14d"] == {"spo2": pytest.approx(11 / 14), "heart_rate": 0.0}
    assert own["adherence_14d_overall"] == pytest.approx(11 / 28)
    # In 30 days: the fake's open red and the closed yellow; the older red is not counted.
    assert (own["alerts_30d"], own["open_alerts_30d"], own["outcomes_30d"]) == (
        {"red": 1, "yellow": 1}, 1, {"advice_per_plan": 1})
    assert due["plan_version"] is None and due["adherence_14d"] == {}
    # Every patient shown is in its tenant's access log.
    logged = sorted(str(r.patient_id) for r in centre.access_records())
    assert logged == sorted([OWN_PATIENT, OTHER_GPS_PATIENT, SALTDAL_PATIENT])
    # Bodø's two rows in one write (a transaction), not a put per row.
    assert (centre.tenants["bodo"].access_log.batches, len(centre.tenants["bodo"].access_log.records)) == (1, 2)


def test_when_the_access_log_cannot_be_written_the_caseload_returns_no_row(
    client: HandlerClient, centre: FakeCentre
) -> None:
    centre.tenants["bodo"].access_log.down = True

    answer = client.call("GET", "/caseload", NURSE)

    assert answer.status == 503 and answer.content_type == "application/problem+json"
    assert "Pasient" not in str(answer.body)


def test_the_caseload_comes_in_pages_across_the_tenants(client: HandlerClient) -> None:
    first = client.call("GET", "/caseload", NURSE, query="limit=2")
    second = client.call("GET", "/caseload", NURSE, query=f"limit=2&after={first.body['next_page']}")

    assert [r["patient_id"] for r in first.body["rows"]] == [OTHER_GPS_PATIENT, OWN_PATIENT]
    assert [r["patient_id"] for r in second.body["rows"]] == [SALTDAL_PATIENT]
    assert second.body["next_page"] is None


def test_a_discharged_patient_leaves_the_caseload(client: HandlerClient, centre: FakeCentre) -> None:
    enrolments = centre.tenants["bodo"].enrolments.enrolments
    enrolments[OWN_PATIENT] = replace(enrolments[OWN_PATIENT], discharged_on=date(2026, 12, 5),
                                      discharge_reason=DischargeReason.STABLE)

    answer = client.call("GET", "/caseload", NURSE, query="tenant=bodo")

    assert [r["patient_id"] for r in answer.body["rows"]] == [OTHER_GPS_PATIENT]


def test_a_review_is_recorded_with_who_and_when_and_moves_the_next_review(
    client: HandlerClient, centre: FakeCentre
) -> None:
    path = f"/caseload/bodo/{OTHER_GPS_PATIENT}/reviewed"

    first = client.call("POST", path, NURSE, body={"next_review_on": "2027-03-01"})
    retry = client.call("POST", path, NURSE, body={"next_review_on": "2027-03-01"})
    past = client.call("POST", path, NURSE, body={"next_review_on": "2026-12-07"})

    assert first.status == 200
    assert (first.body["reviewed_by"], first.body["review_on"], first.body["version"]) == (NURSE_HPR, "2027-03-01", 2)
    assert first.body["reviewed_at"].startswith(NOW.isoformat()[:16])
    assert retry.status == 200 and retry.body == first.body
    assert past.status == 422 and past.body["errors"][0]["location"] == "body/next_review_on"
    assert centre.tenants["bodo"].enrolments.enrolments[OTHER_GPS_PATIENT].review_on == date(2027, 3, 1)
    listed = client.call("GET", "/caseload", NURSE, query="tenant=bodo")
    assert [r["patient_id"] for r in listed.body["rows"]] == [OWN_PATIENT, OTHER_GPS_PATIENT]  # due later now


def test_the_last_reading_and_an_unmeasured_plan_come_from_the_newest_readings_without_a_query(
    client: HandlerClient, centre: FakeCentre, monkeypatch: pytest.MonkeyPatch
) -> None:
    bodo = centre.tenants["bodo"]
    # The other GP's patient weighed themself 200 days ago and has a heart-failure plan since: nothing of
    # the plan was measured in the 14 days, so adherence needs no read of the timeline.
    long_ago = NOW - timedelta(days=200)
    bodo.timeline.store_reading(DeviceReading("bodo", "scale-01", "w-1", long_ago, long_ago,
                                              (Measurement(Metric.BODY_WEIGHT, 82.0, "kg"),)), OTHER_GPS_PATIENT)
    bodo.plans.save(plan_from_template(OTHER_GPS_PATIENT, Programme.HEART_FAILURE, NOW - timedelta(days=20)))
    queried: list[tuple[str, str]] = []
    query = bodo.timeline.query

    def counted(patient_id: str, series: str, *args: Any, **kwargs: Any) -> Any:
        queried.append((patient_id, series))
        return query(patient_id, series, *args, **kwargs)

    monkeypatch.setattr(bodo.timeline, "query", counted)

    answer = client.call("GET", "/caseload", NURSE, query="tenant=bodo")

    other = next(r for r in answer.body["rows"] if r["patient_id"] == OTHER_GPS_PATIENT)
    assert other["last_reading_at"].startswith(long_ago.isoformat()[:16])
    assert other["adherence_14d"] and set(other["adherence_14d"].values()) == {0.0}
    assert all(pid != OTHER_GPS_PATIENT for pid, _ in queried)
    # The patient measured lately still has SpO2 read for adherence; pulse, never measured, is not read.
    assert queried == [(OWN_PATIENT, "spo2")]
