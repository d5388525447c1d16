"""The patient's records over real HTTP (local HTTP API with the JWT authorizer, the centre_api function on
the moto server's tables): a chart of one metric with the plan's zones, the devices and the plan versions,
each read in the tenant's access log; a GP reads only their own patients."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from dho.adapters.dynamodb_access_log import DynamoDbAccessLog
from dho.adapters.dynamodb_enrolments import DynamoDbEnrolments
from dho.adapters.dynamodb_plans import DynamoDbPlans
from dho.adapters.dynamodb_registry import DynamoDbRegistry
from dho.adapters.dynamodb_timeline import DynamoDbTimeline
from dho.advice.service import AdviceService
from dho.centre.enrolment import Enrolment
from dho.domain.clock import utc_now
from dho.domain.findings import Evaluation, Finding, Rule, Severity
from dho.domain.metrics import Metric
from dho.domain.plan_advice import ADVICE_TEMPLATES, AdviceLanguage
from dho.domain.plans import Programme, plan_from_template
from dho.domain.readings import DeviceReading, Measurement
from dho.domain.registry import DeviceAssignment
from dho.evaluation.adherence import plan_in_force
from dho.ingest.service import IngestResult, IngestStatus
from infra.config import PlatformConfig
from tests.support.centre_http import CentreOnMoto, centre_api_on_moto, http_call
from tests.support.fakes import InMemoryAdviceLog, RecordingMessenger

pytestmark = pytest.mark.integration

CHARTED, OTHERS = "P-CHRT0001", "P-CHRT0002"
COPD_NB = ADVICE_TEMPLATES["copd"][AdviceLanguage.BOKMAL]


@pytest.fixture(scope="module")
def centre(moto_endpoint: str, templates: dict[str, dict[str, Any]],
           platform_config: PlatformConfig) -> Iterator[CentreOnMoto]:
    with centre_api_on_moto(moto_endpoint, templates, platform_config) as running:
        table = running.tenants["bodo"]["table_name"]
        gp = next(s.hpr for s in platform_config.tenants[0].staff if s.role == "gp")
        enrolments = DynamoDbEnrolments(running.dynamodb, table)
        for patient_id, code, patient_gp in ((CHARTED, "C-01", gp), (OTHERS, "C-02", "9199999")):
            enrolments.enrol(Enrolment(patient_id, f"Pasient {code}", code, "copd", "salten", patient_gp, (),
                                       f"V-{code}", date(2026, 1, 5), date(2026, 1, 6), date(2026, 4, 6)))
        now = utc_now()
        timeline = DynamoDbTimeline(running.dynamodb, table)
        for day in range(10, 0, -1):
            at = now - timedelta(days=day)
            timeline.store_reading(DeviceReading("bodo", "oxi-c1", f"c-{day}", at, at,
                                                 (Measurement(Metric.SPO2, 93.0 + day % 3, "%"),)), CHARTED)
        month_ago = now - timedelta(days=30)
        DynamoDbPlans(running.dynamodb, table).save(plan_from_template(CHARTED, Programme.COPD, month_ago))
        DynamoDbRegistry(running.dynamodb, table).assign_device(DeviceAssignment("oxi-c1", CHARTED, month_ago))
        yield running


def _accesses(centre: CentreOnMoto, patient_id: str) -> int:
    log = DynamoDbAccessLog(centre.dynamodb, centre.tenants["bodo"]["access_log_table_name"])
    now = utc_now()
    return len(log.accessed(patient_id, now - timedelta(hours=1), now + timedelta(minutes=1)))


def test_a_nurse_charts_spo2_with_the_plans_zones_and_the_read_is_logged(centre: CentreOnMoto) -> None:
    since = quote((utc_now() - timedelta(days=7, hours=12)).isoformat())  # the readings of the last 7 days
    before = _accesses(centre, CHARTED)

    status, _, body = http_call(centre.api, "GET", f"/patients/bodo/{CHARTED}/series?metric=spo2&since={since}",
                                centre.token("centre_nurse"))

    assert status == 200, body
    assert len(body["points"]) == 7 and len(body["trend"]) == 7
    assert [b["zone"] for b in body["bands"]] == ["red", "yellow", "green"]
    assert _accesses(centre, CHARTED) == before + 1


def test_the_devices_and_plan_versions_over_http(centre: CentreOnMoto) -> None:
    token = centre.token("centre_nurse")

    devices = http_call(centre.api, "GET", f"/patients/bodo/{CHARTED}/devices", token)
    plans = http_call(centre.api, "GET", f"/patients/bodo/{CHARTED}/plans", token)

    assert devices[0] == 200 and [d["device_id"] for d in devices[2]["devices"]] == ["oxi-c1"]
    assert plans[0] == 200 and [v["version"] for v in plans[2]["versions"]] == [1]


def test_a_gp_charts_their_own_patient_but_not_another_gps(centre: CentreOnMoto) -> None:
    token = centre.token("gp")

    own = http_call(centre.api, "GET", f"/patients/bodo/{CHARTED}/series?metric=spo2", token)
    other = http_call(centre.api, "GET", f"/patients/bodo/{OTHERS}/series?metric=spo2", token)

    assert own[0] == 200
    assert other[0] == 404 and other[1]["Content-Type"] == "application/problem+json"


def test_enrolment_device_plan_and_readings_make_the_chart_over_http(centre: CentreOnMoto) -> None:
    admin, nurse = centre.token("tenant_admin"), centre.token("centre_nurse")
    patient = "P-CHRT0003"
    now = utc_now()
    decision = {"national_id": "12888500055", "name": "Pasient C-03", "code": "C-03", "programme": "copd",
                "decision_ref": "2026/77-1", "decided_on": (now - timedelta(days=12)).date().isoformat(),
                "start": (now - timedelta(days=11)).date().isoformat(),
                "review_on": (now + timedelta(days=80)).date().isoformat()}

    # The administrator enrols by decision (a retry changes nothing) and hands out an oximeter.
    enrolled = http_call(centre.api, "PUT", f"/patients/bodo/{patient}/enrolment", admin, body=decision)
    retried = http_call(centre.api, "PUT", f"/patients/bodo/{patient}/enrolment", admin, body=decision)
    handed = http_call(centre.api, "POST", f"/patients/bodo/{patient}/devices/oxi-c3/assign", admin,
                       body={"at": (now - timedelta(days=11)).isoformat()})
    # The nurse personalises the plan; a second change from the same version is stale.
    plan_path = f"/patients/bodo/{patient}/plan"
    revised = http_call(centre.api, "PUT", plan_path, nurse, headers={"If-Match": '"1"'},
                        body={"note": "usual SpO2 is low", "limits": {"spo2": {"red_low": 85, "yellow_low": 89}}})
    stale = http_call(centre.api, "PUT", plan_path, nurse, headers={"If-Match": '"1"'},
                      body={"note": "again", "on_home_oxygen": True})
    # Readings arrive from the device.
    timeline = DynamoDbTimeline(centre.dynamodb, centre.tenants["bodo"]["table_name"])
    for day in range(5, 0, -1):
        at = now - timedelta(days=day)
        timeline.store_reading(DeviceReading("bodo", "oxi-c3", f"c3-{day}", at, at,
                                             (Measurement(Metric.SPO2, 90.0, "%"),)), patient)

    chart = http_call(centre.api, "GET", f"/patients/bodo/{patient}/series?metric=spo2", nurse)
    history = http_call(centre.api, "GET", f"/patients/bodo/{patient}/alerts", nurse)
    # The follow-up ends: the oximeter comes back and the patient is discharged.
    returned = http_call(centre.api, "POST", f"/patients/bodo/{patient}/devices/oxi-c3/unassign", admin,
                         body={"at": utc_now().isoformat()})
    discharged = http_call(centre.api, "POST", f"/patients/bodo/{patient}/discharge", admin,
                           body={"reason": "stable", "on": utc_now().date().isoformat()})

    assert (enrolled[0], retried[0], handed[0], revised[0], stale[0]) == (201, 200, 200, 200, 409)
    assert "12888500055" not in str(enrolled[2])
    assert chart[0] == 200 and len(chart[2]["points"]) == 5 and chart[2]["plan_version"] == 2
    assert chart[2]["bands"][:2] == [{"zone": "red", "low": None, "high": 85.0},
                                     {"zone": "yellow", "low": 85.0, "high": 89.0}]
    assert history[0] == 200 and history[2]["alerts"] == []
    assert returned[0] == 200 and returned[2]["valid_to"] is not None
    assert discharged[0] == 200 and discharged[2]["discharge_reason"] == "stable"


def test_the_caseload_review_over_http(centre: CentreOnMoto) -> None:
    nurse = centre.token("centre_nurse")
    next_review = (utc_now() + timedelta(days=120)).date().isoformat()

    listed = http_call(centre.api, "GET", "/caseload?tenant=bodo&limit=100", nurse)
    reviewed = http_call(centre.api, "POST", f"/caseload/bodo/{CHARTED}/reviewed", nurse,
                         body={"next_review_on": next_review})
    refused = http_call(centre.api, "GET", "/caseload", centre.token("gp"))

    assert listed[0] == 200
    row = next(r for r in listed[2]["rows"] if r["patient_id"] == CHARTED)
    assert row["plan_version"] == 1 and row["last_reading_at"] is not None
    assert row["adherence_14d"]["spo2"] == pytest.approx(10 / 14)  # SpO2 daily for the last ten days, no pulse
    assert reviewed[0] == 200 and reviewed[2]["review_on"] == next_review
    assert refused[0] == 403


def test_caseload_rows_show_the_newest_reading_kept_by_ingest_whatever_the_arrival_order(
    centre: CentreOnMoto,
) -> None:
    table = centre.tenants["bodo"]["table_name"]
    patient, unmeasured = "P-CHRT0005", "P-CHRT0006"
    now = utc_now()
    start = (now - timedelta(days=20)).date()
    enrolments = DynamoDbEnrolments(centre.dynamodb, table)
    for pid, code in ((patient, "C-05"), (unmeasured, "C-06")):
        enrolments.enrol(Enrolment(pid, f"Pasient {code}", code, "copd", "salten", "9199999", (), f"V-{code}",
                                   start, start, (now + timedelta(days=30)).date()))
        DynamoDbPlans(centre.dynamodb, table).save(plan_from_template(pid, Programme.COPD, now - timedelta(days=20)))
    timeline = DynamoDbTimeline(centre.dynamodb, table)
    day = timedelta(days=1)
    # Yesterday's SpO2 arrives first; the day before's SpO2 + pulse and an older SpO2 come late, and
    # yesterday's is delivered again.
    yesterday = DeviceReading("bodo", "oxi-c5", "c5-1", now - day, now - day, (Measurement(Metric.SPO2, 94.0, "%"),))
    outcomes = [timeline.store_reading(r, patient) for r in (
        yesterday,
        DeviceReading("bodo", "oxi-c5", "c5-2", now - 2 * day, now - day,
                      (Measurement(Metric.SPO2, 93.0, "%"), Measurement(Metric.HEART_RATE, 80.0, "/min"))),
        DeviceReading("bodo", "oxi-c5", "c5-3", now - 3 * day, now - day, (Measurement(Metric.SPO2, 92.0, "%"),)),
        yesterday)]

    status, _, body = http_call(centre.api, "GET", "/caseload?tenant=bodo&limit=100", centre.token("centre_nurse"))

    assert [o.value for o in outcomes] == ["stored", "stored", "stored", "duplicate"]
    assert status == 200, body
    rows = {r["patient_id"]: r for r in body["rows"]}
    measured, never = rows[patient], rows[unmeasured]
    assert measured["last_reading_at"].startswith((now - day).isoformat()[:19])
    assert measured["adherence_14d"] == {"spo2": pytest.approx(3 / 14), "heart_rate": pytest.approx(1 / 14)}
    assert never["last_reading_at"] is None and never["adherence_14d"] == {"spo2": 0.0, "heart_rate": 0.0}


def test_a_nurse_edits_the_advice_texts_as_a_plan_version_and_the_next_advice_uses_them(
    centre: CentreOnMoto,
) -> None:
    # GIVEN the COPD patient's plan (the programme's texts), whatever version it is at by now
    nurse = centre.token("centre_nurse")
    plan_path = f"/patients/bodo/{CHARTED}/plan"
    table = centre.tenants["bodo"]["table_name"]
    plans = DynamoDbPlans(centre.dynamodb, table)
    current = plans.current(CHARTED)
    assert current is not None
    seen = {"If-Match": f'"{current.version}"'}

    # WHEN a nurse sends a red text without 113, then her own yellow text (and no re-measure prompt)
    refused = http_call(centre.api, "PUT", plan_path, nurse, headers=seen,
                        body={"note": "shorter", "advice": {"nb": {"red": "Ring responssenteret."}}})
    own_yellow = "Start med medisinene i planen og ring oss i dag."
    saved = http_call(centre.api, "PUT", plan_path, nurse, headers=seen,
                      body={"note": "egen tekst for gul sone", "advice": {"nb": {"yellow": own_yellow}},
                            "remeasure_yellow_after_minutes": None})

    # THEN the red text is refused, naming the field, and nothing was saved by it
    assert refused[0] == 422, refused
    assert [e["location"] for e in refused[2]["errors"]] == ["body/advice/nb/red"]
    # and the yellow text is a new version that keeps the other texts of the language
    assert saved[0] == 200, saved
    version = current.version + 1
    assert saved[1]["ETag"] == f'"{version}"'
    nb = saved[2]["plan"]["advice"]["nb"]
    assert nb["yellow"] == own_yellow and nb["red"] == COPD_NB.red
    assert saved[2]["plan"]["remeasure_yellow_after_minutes"] is None

    # WHEN the patient's next confirmed yellow is advised (the plan read from the table, as process_readings does)
    messenger = RecordingMessenger()
    advice = AdviceService("bodo", lambda p, at: plan_in_force(plans, DynamoDbRegistry(centre.dynamodb, table), p, at),
                           messenger, InMemoryAdviceLog())
    now = utc_now()
    yellow = Evaluation(CHARTED, now, (Finding(CHARTED, Rule.SPO2_BAND, Severity.YELLOW, "", ("c-new",), now),),
                        frozenset(), assessed_readings=frozenset({"c-new"}))
    advice.advise([IngestResult(IngestStatus.STORED, "oxi-c1", "c-new", CHARTED, received_at=now, measured_at=now)],
                  {CHARTED: yellow})

    # THEN the device gets the nurse's text of the new version
    [(topic, payload, _)] = messenger.published
    message = json.loads(payload)
    assert topic == "dho/bodo/devices/oxi-c1/advice"
    assert (message["kind"], message["text"], message["plan_version"]) == ("zone", own_yellow, version)
