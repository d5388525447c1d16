"""Enrolment by decision (vedtak), discharge, devices and plan versions through the centre API on in-memory
ports: each change recorded with the verified identity, idempotent under retries, refused whole with problem
details, and the national id never answered or logged."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from dho.domain.access_log import AccessOutcome
from dho.domain.metrics import Metric
from dho.domain.plan_advice import ADVICE_TEMPLATES, AdviceLanguage
from dho.domain.plans import Programme, plan_from_template
from tests.support.centre_client import HandlerClient
from tests.support.centre_fakes import CLAIMS, NOW, NURSE_HPR, OWN_PATIENT, FakeCentre

ADMIN, NURSE = CLAIMS["tenant_admin"], CLAIMS["centre_nurse"]
NEW = "P-BODO0042"
NATIONAL_ID = "03895200076"
DECISION: dict[str, Any] = {
    "national_id": NATIONAL_ID, "name": "Kari Nordmann", "code": "B-42", "programme": "heart_failure",
    "decision_ref": "2026/1234-5", "decided_on": "2026-12-01", "start": "2026-12-03", "review_on": "2027-03-03",
    "gp_hpr": "9100101", "hospital_organisations": ["999000001"],
}


@pytest.fixture
def centre() -> FakeCentre:
    return FakeCentre()


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch, centre: FakeCentre) -> HandlerClient:
    return HandlerClient(monkeypatch, centre)


def _enrol(client: HandlerClient, body: dict[str, Any] | None = None) -> Any:
    return client.call("PUT", f"/patients/bodo/{NEW}/enrolment", ADMIN, body=body or DECISION)


def _stored(centre: FakeCentre) -> Any:
    bodo = centre.tenants["bodo"]
    return (dict(bodo.enrolments.enrolments), dict(bodo.registry.patients), list(bodo.registry.assignments),
            {p: list(v) for p, v in bodo.plans.versions.items()})


# ---- enrolment ------------------------------------------------------------------------------------------


def test_an_administrator_enrols_a_patient_by_decision(
    client: HandlerClient, centre: FakeCentre, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = _enrol(client)

    assert answer.status == 201 and answer.headers["ETag"] == '"1"'
    body = answer.body
    assert (body["decision_ref"], body["programme"], body["centre_id"], body["gp_hpr"]) == (
        "2026/1234-5", "heart_failure", "salten", "9100101")
    assert (body["recorded_by"], body["recorded_at"][:16]) == ("sub:admin-sub", NOW.isoformat()[:16])
    bodo = centre.tenants["bodo"]
    # The national id is in the registry record, and nowhere else: not answered, not logged.
    assert bodo.registry.get_patient(NEW).national_id == NATIONAL_ID  # type: ignore[union-attr]
    assert NATIONAL_ID not in json.dumps(body)
    assert NATIONAL_ID not in capsys.readouterr().out
    assert NATIONAL_ID not in repr(bodo.enrolments.enrolments)
    # Version 1 of the programme's plan, ready for the nurse to personalise.
    (plan,) = bodo.plans.versions[NEW]
    assert (plan.version, plan.changed_by, plan.programme.value) == (1, "template", "heart_failure")
    (record,) = [r for r in bodo.access_log.records if r.patient_id == NEW]
    assert (record.outcome, record.subject, record.information_object) == (
        AccessOutcome.EXPORTED, "admin-sub", "enrolment decision (vedtak)")


@pytest.mark.parametrize("programme", [p.value for p in Programme])
def test_every_programme_can_be_enrolled_and_gets_its_template_plan(
    client: HandlerClient, centre: FakeCentre, programme: str
) -> None:
    assert _enrol(client, {**DECISION, "programme": programme}).status == 201
    (plan,) = centre.tenants["bodo"].plans.versions[NEW]
    assert (plan.programme.value, plan.changed_by) == (programme, "template")
    assert plan.questionnaire_schedule() == plan_from_template(NEW, Programme(programme), NOW).questionnaire_schedule()


def test_a_retried_enrolment_answers_what_was_stored_and_writes_nothing_more(
    client: HandlerClient, centre: FakeCentre
) -> None:
    first = _enrol(client)
    stored = _stored(centre)

    retry = _enrol(client)

    assert retry.status == 200 and retry.body == first.body
    assert _stored(centre) == stored


def test_another_decision_for_an_enrolled_patient_is_a_conflict_and_changes_nothing(
    client: HandlerClient, centre: FakeCentre
) -> None:
    _enrol(client)
    stored = _stored(centre)

    other = _enrol(client, {**DECISION, "decision_ref": "2026/9999-1"})
    someone_else = client.call("PUT", f"/patients/bodo/{NEW}/enrolment", ADMIN,
                               body={**DECISION, "national_id": "12888500055", "decision_ref": "2026/9999-1"})

    assert other.status == 409 and "discharge first" in other.body["detail"]
    assert someone_else.status == 409 and "another person" in someone_else.body["detail"]
    assert _stored(centre) == stored


@pytest.mark.parametrize(("change", "location"), [
    ({"national_id": "03895200077"}, "body/national_id"),  # a check digit off
    ({"programme": "asthma"}, "body/programme"),
    ({"review_on": "2026-12-02"}, "body"),  # the review before the start
    ({"gp_hpr": "12"}, "body/gp_hpr"),
    ({"shoe_size": 44}, "body/shoe_size"),
])
def test_an_invalid_decision_is_refused_naming_the_field_never_the_national_id(
    client: HandlerClient, centre: FakeCentre, change: dict[str, Any], location: str
) -> None:
    stored = _stored(centre)

    answer = _enrol(client, {**DECISION, **change})

    assert answer.status == 422 and answer.content_type == "application/problem+json"
    assert location in [e["location"] for e in answer.body["errors"]]
    assert "0389520007" not in json.dumps(answer.body)
    assert _stored(centre) == stored


# ---- discharge ------------------------------------------------------------------------------------------


def test_a_discharge_is_recorded_once_with_its_reason(client: HandlerClient, centre: FakeCentre) -> None:
    _enrol(client)
    path = f"/patients/bodo/{NEW}/discharge"

    first = client.call("POST", path, ADMIN, body={"reason": "transferred", "on": "2026-12-07"})
    retry = client.call("POST", path, ADMIN, body={"reason": "transferred", "on": "2026-12-07"})
    other = client.call("POST", path, ADMIN, body={"reason": "deceased", "on": "2026-12-07"})
    bad = client.call("POST", path, ADMIN, body={"reason": "bored", "on": "2026-12-07"})

    assert first.status == 200 and (first.body["discharge_reason"], first.body["version"]) == ("transferred", 2)
    assert retry.status == 200 and retry.body == first.body
    assert other.status == 409 and other.body["current_version"] == 2
    assert bad.status == 422
    device = client.call("POST", f"/patients/bodo/{NEW}/devices/scale-9/assign", ADMIN,
                         body={"at": NOW.isoformat()})
    assert device.status == 409  # no device for a discharged patient


def test_a_discharged_patient_can_be_enrolled_again_under_a_new_decision(client: HandlerClient) -> None:
    _enrol(client)
    client.call("POST", f"/patients/bodo/{NEW}/discharge", ADMIN, body={"reason": "admitted_long_term",
                                                                         "on": "2026-12-05"})

    again = _enrol(client, {**DECISION, "decision_ref": "2027/0001-1", "decided_on": "2026-12-06",
                            "start": "2026-12-07"})

    assert again.status == 201 and (again.body["version"], again.body["discharged_on"]) == (3, None)


# ---- devices ------------------------------------------------------------------------------------------


def test_devices_are_handed_out_and_taken_back_at_a_time(client: HandlerClient) -> None:
    _enrol(client)
    handed = (NOW - timedelta(days=3)).isoformat()
    back = (NOW - timedelta(days=1)).isoformat()
    path = f"/patients/bodo/{NEW}/devices/scale-9"

    assigned = client.call("POST", f"{path}/assign", ADMIN, body={"at": handed})
    again = client.call("POST", f"{path}/assign", CLAIMS["centre_nurse"], body={"at": handed})
    earlier = client.call("POST", f"{path}/assign", ADMIN, body={"at": (NOW - timedelta(days=9)).isoformat()})
    returned = client.call("POST", f"{path}/unassign", ADMIN, body={"at": back})
    listed = client.call("GET", f"/patients/bodo/{NEW}/devices", NURSE)

    assert assigned.status == 200 and assigned.body["valid_to"] is None
    assert again.status == 200  # the same hand-out again: nothing new
    assert earlier.status == 409 and earlier.content_type == "application/problem+json"
    assert returned.status == 200 and returned.body["valid_to"] is not None
    assert [(d["device_id"], d["valid_to"] is not None) for d in listed.body["devices"]] == [("scale-9", True)]


def test_a_device_of_another_patient_cannot_be_returned_through_this_one(client: HandlerClient) -> None:
    _enrol(client)
    client.call("POST", f"/patients/bodo/{OWN_PATIENT}/devices/oxi-5/assign", ADMIN,
                body={"at": (NOW - timedelta(days=2)).isoformat()})

    answer = client.call("POST", f"/patients/bodo/{NEW}/devices/oxi-5/unassign", ADMIN, body={"at": NOW.isoformat()})

    assert answer.status == 409


def test_devices_of_an_unknown_patient_are_not_found(client: HandlerClient) -> None:
    answer = client.call("POST", "/patients/bodo/P-NOBODY1/devices/oxi-5/assign", ADMIN, body={"at": NOW.isoformat()})

    assert answer.status == 404


# ---- the plan -----------------------------------------------------------------------------------------


def _revise(client: HandlerClient, if_match: str | None, body: dict[str, Any]) -> Any:
    headers = {} if if_match is None else {"if-match": if_match}
    return client.call("PUT", f"/patients/bodo/{NEW}/plan", NURSE, headers=headers, body=body)


LOWER_WEIGHT = {"note": "dry weight 78 kg after the hospital stay",
                "limits": {"body_weight": {"baseline": 78.0, "yellow_above_baseline": 2.0, "red_above_baseline": 3.5}}}


def test_a_nurse_makes_a_new_plan_version_with_who_when_and_why(client: HandlerClient, centre: FakeCentre) -> None:
    _enrol(client)

    answer = _revise(client, '"1"', LOWER_WEIGHT)

    assert answer.status == 200 and answer.headers["ETag"] == '"2"'
    assert (answer.body["version"], answer.body["changed_by"], answer.body["change_note"]) == (
        2, NURSE_HPR, "dry weight 78 kg after the hospital stay")
    current = centre.tenants["bodo"].plans.current(NEW)
    assert current is not None and current.limits[Metric.BODY_WEIGHT].baseline == 78.0
    assert current.limits[Metric.SPO2] == centre.tenants["bodo"].plans.versions[NEW][0].limits[Metric.SPO2]


def test_a_retried_plan_change_answers_its_version_and_a_stale_one_is_a_conflict(
    client: HandlerClient, centre: FakeCentre
) -> None:
    _enrol(client)
    first = _revise(client, '"1"', LOWER_WEIGHT)

    retry = _revise(client, '"1"', LOWER_WEIGHT)
    stale = _revise(client, '"1"', {"note": "on oxygen now", "on_home_oxygen": True})

    assert retry.status == 200 and retry.body == first.body
    assert stale.status == 409 and stale.body["current_version"] == 2
    assert [p.version for p in centre.tenants["bodo"].plans.versions[NEW]] == [1, 2]


@pytest.mark.parametrize(("if_match", "body", "status"), [
    (None, LOWER_WEIGHT, 428),
    ('"v1"', LOWER_WEIGHT, 400),
    ('"1"', {"note": "nothing"}, 422),  # no change named
    ('"1"', {"note": "upside down", "limits": {"spo2": {"red_low": 95, "yellow_low": 90}}}, 422),
    ('"1"', {"note": "scale 2", "spo2_scale": 2}, 422),  # scale 2 is for hypercapnic failure only
])
def test_a_refused_plan_change_changes_nothing(
    client: HandlerClient, centre: FakeCentre, if_match: str | None, body: dict[str, Any], status: int
) -> None:
    _enrol(client)
    stored = _stored(centre)

    answer = _revise(client, if_match, body)

    assert answer.status == status and answer.content_type == "application/problem+json"
    assert _stored(centre) == stored


def test_a_plan_change_touches_only_the_metrics_it_names(client: HandlerClient, centre: FakeCentre) -> None:
    _enrol(client)
    before = centre.tenants["bodo"].plans.current(NEW)

    answer = _revise(client, '"1"', {"note": "no pulse limits: paced", "limits": {"heart_rate": None},
                                     "expected_measurements": {"spo2": {"every_hours": 24}}})

    after = centre.tenants["bodo"].plans.current(NEW)
    assert answer.status == 200 and before is not None and after is not None
    assert Metric.HEART_RATE not in after.limits
    assert after.limits == {m: v for m, v in before.limits.items() if m != Metric.HEART_RATE}
    # The programme's daily weight stays expected; SpO2 is added.
    assert set(after.measurement_schedule()) == {Metric.BODY_WEIGHT, Metric.SPO2}


def test_a_patient_enrolled_without_a_plan_gets_version_1_from_if_match_0(
    client: HandlerClient, centre: FakeCentre
) -> None:
    path = f"/patients/bodo/{OWN_PATIENT}/plan"  # the fake centre's patient: enrolled, no plan
    body = {"note": "first plan after the home visit", "on_home_oxygen": True}

    wrong = client.call("PUT", path, NURSE, headers={"if-match": '"1"'}, body=body)
    first = client.call("PUT", path, NURSE, headers={"if-match": '"0"'}, body=body)
    retry = client.call("PUT", path, NURSE, headers={"if-match": '"0"'}, body=body)

    assert wrong.status == 409 and wrong.body["current_version"] == 0
    assert first.status == 200 and (first.body["version"], first.body["changed_by"]) == (1, NURSE_HPR)
    assert first.body["plan"]["on_home_oxygen"] is True and first.body["plan"]["programme"] == "copd"
    assert retry.status == 200 and retry.body == first.body
    assert [p.version for p in centre.tenants["bodo"].plans.versions[OWN_PATIENT]] == [1]


def test_a_nurse_changes_one_advice_text_and_can_return_a_language_to_the_programmes_texts(
    client: HandlerClient, centre: FakeCentre
) -> None:
    _enrol(client)
    programme_nn = ADVICE_TEMPLATES["heart_failure"][AdviceLanguage.NYNORSK]

    own = _revise(client, '"1"', {"note": "eigen tekst", "advice": {"nn": {"yellow": "Ring oss i dag."}}})
    back = _revise(client, '"2"', {"note": "tilbake til malen", "advice": {"nn": None}})
    refused = _revise(client, '"3"', {"note": "no 113", "advice": {"nn": {"red": "Ring oss."}}})

    assert own.status == 200 and own.body["plan"]["advice"]["nn"] == {**programme_nn.model_dump(),
                                                                       "yellow": "Ring oss i dag."}
    assert back.status == 200 and "nn" not in back.body["plan"]["advice"]
    current = centre.tenants["bodo"].plans.current(NEW)
    assert current is not None and current.advice_texts(AdviceLanguage.NYNORSK) == programme_nn
    assert refused.status == 422 and [e["location"] for e in refused.body["errors"]] == ["body/advice/nn/red"]
    assert current.version == 3


def test_a_nurse_changes_the_reminder_for_a_late_questionnaire_as_a_new_plan_version(
    client: HandlerClient, centre: FakeCentre
) -> None:
    _enrol(client)
    programme_nb = ADVICE_TEMPLATES["heart_failure"][AdviceLanguage.BOKMAL]
    own = "Husk skjemaet om hjertesvikt i appen."

    changed = _revise(client, '"1"', {"note": "egen påminnelse", "advice": {"nb": {"overdue_questionnaire": own}}})

    assert changed.status == 200
    assert changed.body["plan"]["advice"]["nb"] == {**programme_nb.model_dump(), "overdue_questionnaire": own}
    current = centre.tenants["bodo"].plans.current(NEW)
    assert current is not None and current.version == 2
    texts = current.advice_texts(AdviceLanguage.BOKMAL)
    assert (texts.overdue_questionnaire, texts.overdue) == (own, programme_nb.overdue)
