"""The retained config message of a patient's devices (which measurements and questionnaires are due, how
often, from the plan's schedules), sent when a plan version is saved or a device handed out and cleared when a
device comes back, through the centre API on in-memory ports."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from dho.advice.device_config import DeviceConfigPublisher
from dho.domain.plans import MeasurementSchedule, Programme, SelfManagementPlan, plan_from_template, revise
from tests.support.centre_client import HandlerClient
from tests.support.centre_fakes import CLAIMS, NOW, FakeCentre
from tests.support.fakes import RecordingMessenger

ADMIN, NURSE = CLAIMS["tenant_admin"], CLAIMS["centre_nurse"]
NEW = "P-BODO0043"
NATIONAL_ID = "03895200076"
DECISION: dict[str, Any] = {
    "national_id": NATIONAL_ID, "name": "Kari Nordmann", "code": "B-43", "programme": "heart_failure",
    "decision_ref": "2026/1234-6", "decided_on": "2026-12-01", "start": "2026-12-03", "review_on": "2027-03-03",
}


@pytest.fixture
def centre() -> FakeCentre:
    return FakeCentre()


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch, centre: FakeCentre) -> HandlerClient:
    return HandlerClient(monkeypatch, centre)


def _configs(centre: FakeCentre) -> list[tuple[str, dict[str, Any], bool]]:
    published = centre.tenants["bodo"].messenger.published
    return [(topic, json.loads(payload), retain) for topic, payload, retain in published]


def _hand_out(client: HandlerClient, device_id: str, days_ago: int = 3) -> Any:
    return client.call("POST", f"/patients/bodo/{NEW}/devices/{device_id}/assign", ADMIN,
                       body={"at": (NOW - timedelta(days=days_ago)).isoformat()})


def test_a_handed_out_scale_is_told_the_daily_weighing_and_the_questionnaire_retained(
    client: HandlerClient, centre: FakeCentre
) -> None:
    client.call("PUT", f"/patients/bodo/{NEW}/enrolment", ADMIN, body=DECISION)

    assert _hand_out(client, "scale-9").status == 200

    [(topic, message, retain)] = _configs(centre)
    assert (topic, retain) == ("dho/bodo/devices/scale-9/config", True)
    assert message["measurements"] == [{"metric": "body_weight", "every_hours": 24, "grace_hours": 12}]
    assert message["questionnaires"] == [{"questionnaire": "heart_failure", "every_hours": 24, "grace_hours": 12}]
    assert (message["kind"], message["plan_version"]) == ("config", 1)
    # Codes only: nothing about the person.
    text = json.dumps(message)
    assert NEW not in text and NATIONAL_ID not in text and "Kari" not in text


def test_a_new_plan_version_is_sent_to_the_devices_the_patient_holds_only(
    client: HandlerClient, centre: FakeCentre
) -> None:
    client.call("PUT", f"/patients/bodo/{NEW}/enrolment", ADMIN, body=DECISION)
    _hand_out(client, "scale-9", days_ago=5)
    _hand_out(client, "bp-2", days_ago=5)
    client.call("POST", f"/patients/bodo/{NEW}/devices/bp-2/unassign", ADMIN,
                body={"at": (NOW - timedelta(days=1)).isoformat()})
    centre.tenants["bodo"].messenger.published.clear()

    answer = client.call("PUT", f"/patients/bodo/{NEW}/plan", NURSE, headers={"if-match": '"1"'},
                         body={"note": "weigh twice a day",
                               "expected_measurements": {"body_weight": {"every_hours": 12}}})

    assert answer.status == 200
    [(topic, message, retain)] = _configs(centre)
    assert (topic, retain, message["plan_version"]) == ("dho/bodo/devices/scale-9/config", True, 2)
    assert message["measurements"] == [{"metric": "body_weight", "every_hours": 12, "grace_hours": 12}]


def test_a_refused_plan_change_sends_nothing(client: HandlerClient, centre: FakeCentre) -> None:
    client.call("PUT", f"/patients/bodo/{NEW}/enrolment", ADMIN, body=DECISION)
    _hand_out(client, "scale-9")
    centre.tenants["bodo"].messenger.published.clear()

    stale = client.call("PUT", f"/patients/bodo/{NEW}/plan", NURSE, headers={"if-match": '"7"'},
                        body={"note": "stale", "on_home_oxygen": True})

    assert stale.status == 409 and _configs(centre) == []


def test_iot_core_down_never_undoes_the_plan_version(client: HandlerClient, centre: FakeCentre) -> None:
    client.call("PUT", f"/patients/bodo/{NEW}/enrolment", ADMIN, body=DECISION)
    _hand_out(client, "scale-9")
    centre.tenants["bodo"].messenger.failing = True

    answer = client.call("PUT", f"/patients/bodo/{NEW}/plan", NURSE, headers={"if-match": '"1"'},
                         body={"note": "on oxygen now", "on_home_oxygen": True})

    assert answer.status == 200 and centre.tenants["bodo"].plans.current(NEW).version == 2  # type: ignore[union-attr]


def _return(client: HandlerClient, device_id: str) -> Any:
    return client.call("POST", f"/patients/bodo/{NEW}/devices/{device_id}/unassign", ADMIN,
                       body={"at": (NOW - timedelta(days=1)).isoformat()})


def test_a_returned_device_has_its_retained_config_cleared_and_nothing_about_the_patient_sent(
    client: HandlerClient, centre: FakeCentre
) -> None:
    client.call("PUT", f"/patients/bodo/{NEW}/enrolment", ADMIN, body=DECISION)
    _hand_out(client, "scale-9")
    messenger = centre.tenants["bodo"].messenger
    messenger.published.clear()

    assert _return(client, "scale-9").status == 200

    # A zero-byte retained publish on exactly that device's config topic: the broker drops the retained one.
    assert messenger.published == [("dho/bodo/devices/scale-9/config", b"", True)]


def test_iot_core_down_never_undoes_the_return(client: HandlerClient, centre: FakeCentre) -> None:
    client.call("PUT", f"/patients/bodo/{NEW}/enrolment", ADMIN, body=DECISION)
    _hand_out(client, "scale-9")
    centre.tenants["bodo"].messenger.failing = True

    answer = _return(client, "scale-9")

    assert answer.status == 200 and answer.body["valid_to"] is not None
    [period] = centre.tenants["bodo"].registry.devices_of(NEW, limit=5)
    assert period.valid_to is not None


def test_a_refused_return_clears_nothing(client: HandlerClient, centre: FakeCentre) -> None:
    client.call("PUT", f"/patients/bodo/{NEW}/enrolment", ADMIN, body=DECISION)
    centre.tenants["bodo"].messenger.published.clear()

    assert _return(client, "scale-9").status == 409  # never handed to this patient
    assert centre.tenants["bodo"].messenger.published == []


def test_one_device_failing_leaves_the_others_told() -> None:
    class FailsForOne(RecordingMessenger):
        def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
            if "/oxi-1/" in topic:
                raise RuntimeError("refused")
            super().publish(topic, payload, retain=retain)

    messenger = FailsForOne()
    plan = plan_from_template("P-1", Programme.COPD, NOW)

    reached = DeviceConfigPublisher("bodo", messenger, clock=lambda: NOW).publish(plan, ["oxi-1", "oxi-2"])

    assert reached == ["oxi-2"] and [t for t, _, _ in messenger.published] == ["dho/bodo/devices/oxi-2/config"]


def test_a_plan_with_nothing_expected_tells_the_device_so() -> None:
    messenger = RecordingMessenger()
    plan = plan_from_template("P-1", Programme.GENERIC, NOW)

    DeviceConfigPublisher("bodo", messenger, clock=lambda: NOW).publish(plan, ["oxi-1"])

    message = json.loads(messenger.published[0][1])
    assert (message["measurements"], message["questionnaires"]) == ([], [])


def _told(plan: SelfManagementPlan) -> list[dict[str, Any]]:
    messenger = RecordingMessenger()
    DeviceConfigPublisher("bodo", messenger, clock=lambda: NOW).publish(plan, ["tablet-1"])
    questionnaires: list[dict[str, Any]] = json.loads(messenger.published[0][1])["questionnaires"]
    return questionnaires


def test_cancer_and_mental_health_patients_are_told_their_programmes_questionnaires() -> None:
    cancer = plan_from_template("P-1", Programme.CANCER, NOW)
    mental_health = plan_from_template("P-2", Programme.MENTAL_HEALTH, NOW)

    assert _told(cancer) == [{"questionnaire": "esas_r", "every_hours": 24, "grace_hours": 12}]
    assert _told(mental_health) == [{"questionnaire": "gad7", "every_hours": 336, "grace_hours": 48},
                                    {"questionnaire": "phq9", "every_hours": 336, "grace_hours": 48}]


def test_the_plans_own_questionnaire_schedule_is_what_the_device_is_told() -> None:
    weekly = {"phq9": MeasurementSchedule(every_hours=24 * 7, grace_hours=24)}
    plan = revise(plan_from_template("P-2", Programme.MENTAL_HEALTH, NOW), changed_by="1234567", at=NOW,
                  note="PHQ-9 weekly, no GAD-7", expected_questionnaires=weekly)

    assert _told(plan) == [{"questionnaire": "phq9", "every_hours": 168, "grace_hours": 24}]
