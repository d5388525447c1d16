"""The patient's records through the centre API on in-memory ports: one metric shaped for a chart (readings,
the scoring's trend values, the plan's zones, the metric's alerts and the symptom answers of the period),
the plan's versions, the devices and the alert history; each read access-logged before it is answered."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from dho.domain.access_log import AccessOutcome
from dho.domain.alerts import AlertState, CloseReason
from dho.domain.findings import Rule, Severity
from dho.domain.metrics import Metric
from dho.domain.plans import Programme, plan_from_template, revise
from dho.domain.readings import DeviceReading, Measurement, SymptomReport
from dho.domain.registry import DeviceAssignment
from dho.domain.symptoms import Questionnaire
from tests.support.centre_client import HandlerClient
from tests.support.centre_fakes import CLAIMS, NOW, NURSE_HPR, OTHER_GPS_PATIENT, OWN_PATIENT, FakeCentre, alert

NURSE = CLAIMS["centre_nurse"]
SINCE = NOW - timedelta(days=7)
PERIOD = f"since={SINCE.isoformat()}&until={NOW.isoformat()}".replace("+00:00", "Z")


@pytest.fixture
def centre() -> FakeCentre:
    centre = FakeCentre()
    bodo = centre.tenants["bodo"]
    # Twelve days of morning SpO2 (five before the period: the trend's look-back), a weight, a COPD report.
    for day in range(12, 0, -1):
        at = NOW - timedelta(days=day)
        bodo.timeline.store_reading(DeviceReading("bodo", "oxi-0001", f"s-{day}", at, at,
                                                  (Measurement(Metric.SPO2, 95.0 - (day % 3), "%"),)), OWN_PATIENT)
    weighed = NOW - timedelta(days=2)
    bodo.timeline.store_reading(DeviceReading("bodo", "scale-01", "w-1", weighed, weighed,
                                              (Measurement(Metric.BODY_WEIGHT, 81.0, "kg"),)), OWN_PATIENT)
    reported = NOW - timedelta(days=1)
    report = SymptomReport(Questionnaire.COPD, (("breathlessness", "more_than_usual"), ("fever", False)))
    bodo.timeline.store_reading(DeviceReading("bodo", "app-01", "q-1", reported, reported, (), report), OWN_PATIENT)
    plan = plan_from_template(OWN_PATIENT, Programme.COPD, NOW - timedelta(days=30))
    bodo.plans.save(plan)
    bodo.plans.save(revise(plan, changed_by=NURSE_HPR, at=NOW - timedelta(days=3), note="lower limits after review",
                           limits={**plan.limits, Metric.SPO2: plan.limits[Metric.SPO2].model_copy(
                               update={"red_low": 86.0, "yellow_low": 90.0})}))
    closed = alert(OWN_PATIENT, Rule.SPO2_BELOW_PERSONAL_MEAN, Severity.YELLOW, NOW - timedelta(days=4))
    bodo.add_alert(replace(closed, state=AlertState.CLOSED, closed_by=NURSE_HPR, closed_at=NOW - timedelta(days=3),
                           close_reason=CloseReason.ADVICE_PER_PLAN))
    bodo.add_alert(alert(OWN_PATIENT, Rule.WEIGHT_GAIN, Severity.YELLOW, NOW - timedelta(days=2)))
    old = alert(OWN_PATIENT, Rule.NEWS2, Severity.RED, NOW - timedelta(days=20))  # before the period
    bodo.add_alert(replace(old, state=AlertState.CLOSED, close_reason=CloseReason.ADMITTED))
    return centre


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch, centre: FakeCentre) -> HandlerClient:
    return HandlerClient(monkeypatch, centre)


def test_a_metric_over_a_period_comes_shaped_for_a_chart(client: HandlerClient, centre: FakeCentre) -> None:
    answer = client.call("GET", f"/patients/bodo/{OWN_PATIENT}/series", NURSE, query=f"metric=spo2&{PERIOD}")

    assert answer.status == 200, answer.body
    body = answer.body
    assert (body["metric"], body["unit"], body["plan_version"], body["truncated"]) == ("spo2", "%", 2, False)
    # The readings of the period only (the days before it feed the trend, not the chart), oldest first;
    # the last is the fake centre's own 86 % of two hours ago.
    assert [p["value"] for p in body["points"]] == [95.0 - (day % 3) for day in range(7, 0, -1)] + [86.0]
    assert [t["at"] for t in body["trend"]] == [p["measured_at"] for p in body["points"]]
    # The baseline carried over from before the period: not simply the first reading of the period.
    assert body["trend"][0]["value"] != body["points"][0]["value"]
    # The current version's zones (the nurse lowered the limits in version 2).
    assert body["bands"] == [{"zone": "red", "low": None, "high": 86.0}, {"zone": "yellow", "low": 86.0, "high": 90.0},
                             {"zone": "green", "low": 90.0, "high": None}]
    # SpO2's alerts opened in the period, with the outcome; the weight alert and the older one are not here.
    assert [(a["rule"], a["state"], a["close_outcome"]) for a in body["alerts"]] == [
        ("spo2_below_personal_mean", "closed", "advice_per_plan"), ("spo2_band", "open", None)]
    assert body["answers"] == [{"measured_at": (NOW - timedelta(days=1)).isoformat().replace("+00:00", "Z"),
                                "questionnaire": "copd",
                                "answers": {"breathlessness": "more_than_usual", "fever": False}}]


def test_the_chart_read_is_access_logged_with_its_period(client: HandlerClient, centre: FakeCentre) -> None:
    client.call("GET", f"/patients/bodo/{OWN_PATIENT}/series", CLAIMS["gp"], query=f"metric=spo2&{PERIOD}")

    (record,) = centre.tenants["bodo"].access_log.records
    assert (record.patient_id, record.outcome, record.role) == (OWN_PATIENT, AccessOutcome.EXPORTED, "gp")
    assert (record.period_start, record.period_end, record.resources) == (SINCE, NOW, 8 + 2 + 1)
    assert record.information_object.startswith("patient chart")


@pytest.mark.parametrize("query", [
    f"metric=spo2&since={(NOW - timedelta(days=93)).isoformat()}&until={NOW.isoformat()}",  # longer than 92 days
    f"metric=spo2&since={NOW.isoformat()}&until={SINCE.isoformat()}",  # reversed
])
def test_a_period_out_of_bounds_is_refused_before_anything_is_read(
    client: HandlerClient, centre: FakeCentre, query: str
) -> None:
    answer = client.call("GET", f"/patients/bodo/{OWN_PATIENT}/series", NURSE, query=query.replace("+00:00", "Z"))

    assert answer.status == 400 and answer.content_type == "application/problem+json"
    assert "92 days" in answer.body["detail"]
    assert centre.access_records() == []


def test_an_unknown_metric_is_a_validation_problem(client: HandlerClient) -> None:
    answer = client.call("GET", f"/patients/bodo/{OWN_PATIENT}/series", NURSE, query="metric=mood")

    assert answer.status == 422 and answer.body["errors"][0]["location"] == "query/metric"


def test_the_plans_versions_say_who_changed_what_when_and_why(client: HandlerClient) -> None:
    answer = client.call("GET", f"/patients/bodo/{OWN_PATIENT}/plans", NURSE)

    versions = answer.body["versions"]
    assert [(v["version"], v["changed_by"], v["change_note"]) for v in versions] == [
        (2, NURSE_HPR, "lower limits after review"), (1, "template", "defaults of the copd programme")]
    assert versions[0]["plan"]["limits"]["spo2"]["red_low"] == 86.0


def test_the_devices_list_each_period_the_patient_had_a_device(client: HandlerClient, centre: FakeCentre) -> None:
    registry = centre.tenants["bodo"].registry
    registry.assign_device(DeviceAssignment("oxi-0001", OWN_PATIENT, NOW - timedelta(days=60)))
    registry.assign_device(DeviceAssignment("oxi-0001", OTHER_GPS_PATIENT, NOW - timedelta(days=20)))  # reused
    registry.assign_device(DeviceAssignment("oxi-0002", OWN_PATIENT, NOW - timedelta(days=20)))

    answer = client.call("GET", f"/patients/bodo/{OWN_PATIENT}/devices", NURSE)

    assert [(d["device_id"], d["valid_to"] is None) for d in answer.body["devices"]] == [
        ("oxi-0002", True), ("oxi-0001", False)]
    assert answer.body["devices"][1]["valid_to"].startswith((NOW - timedelta(days=20)).date().isoformat())


def test_the_alert_history_lists_each_alert_of_the_period_with_its_outcome(client: HandlerClient) -> None:
    answer = client.call("GET", f"/patients/bodo/{OWN_PATIENT}/alerts", NURSE, query=PERIOD)

    assert [(a["rule"], a["state"], a["close_outcome"]) for a in answer.body["alerts"]] == [
        ("spo2_band", "open", None), ("weight_gain", "open", None),
        ("spo2_below_personal_mean", "closed", "advice_per_plan")]


@pytest.mark.parametrize("route", ["series?metric=spo2", "plans", "devices", "alerts"])
def test_another_gps_patient_is_not_found_and_the_attempt_is_logged(
    client: HandlerClient, centre: FakeCentre, route: str
) -> None:
    path, _, query = route.partition("?")
    answer = client.call("GET", f"/patients/bodo/{OTHER_GPS_PATIENT}/{path}", CLAIMS["gp"], query=query)

    assert answer.status == 404
    (record,) = centre.tenants["bodo"].access_log.records
    assert (record.patient_id, record.outcome) == (OTHER_GPS_PATIENT, AccessOutcome.REFUSED)
