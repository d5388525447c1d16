"""A cancer patient's pain score and a mental-health patient's PHQ-9 on the whole local cloud (the real CDK
app on the moto harness): the app publishes the answers over MQTT → the timeline → the instrument's score and
the plan's rules → an alert → the centre's worklist → the FHIR export, whose QuestionnaireResponses
reference the published questionnaires (issue #16)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dho.adapters.dynamodb_plans import DynamoDbPlans
from dho.adapters.dynamodb_registry import DynamoDbRegistry
from dho.domain.identifiers import with_check_digits
from dho.domain.plans import Programme, plan_from_template
from localcloud.demo.centre import by_centre, call, demo_nurse, seed_enrolments
from localcloud.local_cloud import LocalCloud, running_local_cloud
from localcloud.registry_seed import seed_registry
from tests.support.mqtt_device import TestDevice

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
ASSEMBLY_DIR = REPO / "build" / "localcloud" / "e2e-questionnaires-cdk.out"
CANCER, MENTAL = "P-CANC0001", "P-MENT0001"
DEVICES = {"app-canc0001": CANCER, "app-ment0001": MENTAL}
CANONICAL = "https://dho-platform.github.io/fhir/Questionnaire/"
NOT_AT_ALL, SEVERAL_DAYS = "LA6568-5", "LA6569-3"
START = datetime.now(UTC)


def _national_id(serial: int) -> str:
    """A synthetic fødselsnummer (month + 80: never a real person's)."""
    for individual in range(serial, 500):
        number = with_check_digits(f"0189{56:02d}{individual:03d}")
        if number is not None:
            return number
    raise AssertionError("no synthetic national id")


SPEC: dict[str, Any] = {
    "tenant": "bodo",
    "patients": [{"patient_id": CANCER, "programme": "cancer", "national_id": _national_id(100)},
                 {"patient_id": MENTAL, "programme": "mental_health", "national_id": _national_id(200)}],
    "assignments": [{"device_id": d, "patient_id": p, "valid_from": "2026-10-01T00:00:00+00:00"}
                    for d, p in DEVICES.items()],
}


def _esas(pain: int) -> dict[str, Any]:
    others = ("tiredness", "drowsiness", "nausea", "appetite", "shortness_of_breath", "depression", "anxiety",
              "wellbeing", "other")
    return {"esas_pain": pain, "pain_site": ["back"], **{f"esas_{k}": 2 for k in others}}


def _publish(cloud: LocalCloud, device: str, questionnaire: str, answers: dict[str, Any], ago: timedelta) -> None:
    payload = json.dumps({"schema": "dho.device-reading/1", "device": {"id": device},
                          "reading_id": f"{device}-{uuid.uuid4().hex[:10]}",
                          "measured_at": (datetime.now(UTC) - ago).isoformat(),
                          "symptoms": {"questionnaire": questionnaire, "answers": answers}})
    client = TestDevice(cloud.iot.device_host, cloud.iot.device_port, device, "bodo")
    try:
        assert client.connect() and client.publish(f"dho/bodo/devices/{device}/readings", payload)
    finally:
        client.client.loop_stop()
        client.client.disconnect()


def _wait_until_delivered(cloud: LocalCloud, expected: int) -> None:
    for _ in range(200):
        if sum(counts.delivered for counts in cloud.iot.engine.counts.values()) >= expected:
            return
        cloud.pump.poll_all()
    raise AssertionError("the rules engine did not deliver the reports")


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    things = dict.fromkeys(DEVICES, "bodo")
    with running_local_cloud(ASSEMBLY_DIR, things=things,
                             state_dir=tmp_path_factory.mktemp("local")) as local:
        table = local.tenants["bodo"].table_name
        dynamodb = local.aws("dynamodb")
        seed_registry(DynamoDbRegistry(dynamodb, table), SPEC)
        plans = DynamoDbPlans(dynamodb, table)
        for patient in SPEC["patients"]:
            plans.save(plan_from_template(patient["patient_id"], Programme(patient["programme"]),
                                          datetime(2026, 10, 1, tzinfo=UTC)))
        seed_enrolments(local, local.centre_apis, {"bodo": SPEC}, START.date())
        # Pain 8 yesterday and now: two days running; PHQ-9 with only item 9 answered "several days".
        _publish(local, "app-canc0001", "esas_r", _esas(8), timedelta(hours=25))
        _wait_until_delivered(local, 1)
        local.drain()
        _publish(local, "app-canc0001", "esas_r", _esas(8), timedelta(minutes=2))
        _publish(local, "app-ment0001", "phq9",
                 {**{f"phq9_{i}": NOT_AT_ALL for i in range(1, 9)}, "phq9_9": SEVERAL_DAYS}, timedelta(minutes=1))
        _wait_until_delivered(local, 3)
        local.drain()
        yield local


def _nurse_call(cloud: LocalCloud, path: str) -> tuple[int, Any]:
    api = by_centre(cloud.centre_apis)["salten"]
    nurse = demo_nurse(api)
    assert nurse is not None
    return call(f"{api.url}{path}", api.token(nurse))


def test_the_pain_and_the_phq9_item_9_reach_the_worklist_as_reds(cloud: LocalCloud) -> None:
    status, worklist = _nurse_call(cloud, "/worklist?tenant=bodo")
    assert status == 200
    rows = {(r["patient_id"], r["rule"]): r for r in worklist["rows"]}
    assert rows[(CANCER, "questionnaire_trend")]["severity"] == "red"  # pain >= 7 two days running
    assert rows[(CANCER, "questionnaire_trend")]["programme"] == "cancer"
    assert rows[(MENTAL, "symptoms")]["severity"] == "red"  # PHQ-9 item 9, whatever the hour


def test_the_fhir_export_references_the_published_questionnaires(cloud: LocalCloud) -> None:
    since = (START - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    until = (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for patient, key in ((CANCER, "esas-r"), (MENTAL, "phq9")):
        status, bundle = _nurse_call(cloud, f"/patients/bodo/{patient}/fhir?since={since}&until={until}")
        assert status == 200, bundle
        responses = [e["resource"] for e in bundle["entry"]
                     if e["resource"]["resourceType"] == "QuestionnaireResponse"]
        assert responses and {r["questionnaire"] for r in responses} == {f"{CANONICAL}{key}|1.0.0"}
        status, questionnaire = _nurse_call(cloud, f"/questionnaires/{key}")
        assert status == 200 and questionnaire["url"] == f"{CANONICAL}{key}"
