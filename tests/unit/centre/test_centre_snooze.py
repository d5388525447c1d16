"""POST /alerts/{tenant}/{alert_id}/snooze on in-memory ports: the nurse's snooze is recorded with the
verified identity, bounded per severity, idempotent under retries and refused when stale."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dho.domain.alerts import ActionKind
from localcloud.lambda_loader import load_handler
from tests.support.centre_client import Answer, HandlerClient
from tests.support.centre_fakes import CLAIMS, NOW, NURSE_HPR, OWN_PATIENT, FakeCentre

NURSE = CLAIMS["centre_nurse"]


@pytest.fixture
def centre() -> FakeCentre:
    return FakeCentre()


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch, centre: FakeCentre) -> HandlerClient:
    return HandlerClient(monkeypatch, centre)


def _snooze(client: HandlerClient, alert_id: str, body: object, version: str = '"1"') -> Answer:
    return client.call("POST", f"/alerts/bodo/{alert_id}/snooze", NURSE, headers={"if-match": version}, body=body)


def test_a_snooze_is_recorded_with_the_verified_nurse_and_answered_with_the_new_version(
    client: HandlerClient, centre: FakeCentre
) -> None:
    answer = client.call("POST", f"/alerts/bodo/{centre.red.alert_id}/snooze", NURSE, headers={"if-match": '"1"'},
                         body={"minutes": 30, "note": "venter på ny måling"})

    stored = centre.tenants["bodo"].alerts.alerts[centre.red.alert_id]
    assert answer.status == 200 and answer.headers["ETag"] == '"2"'
    assert answer.body["snoozed_until"] == (NOW + timedelta(minutes=30)).isoformat().replace("+00:00", "Z")
    assert stored.snoozed_until == NOW + timedelta(minutes=30) and stored.next_notify_at == stored.snoozed_until
    (action,) = stored.history
    assert (action.kind, action.by, action.at, action.note) == (ActionKind.SNOOZED, NURSE_HPR, NOW,
                                                                "venter på ny måling")
    (logged,) = [r for r in centre.access_records() if r.purpose and r.purpose.startswith("snooze")]
    assert logged.hpr == NURSE_HPR and logged.patient_id == centre.red.patient_id


def test_a_retried_snooze_answers_the_same_and_writes_nothing_even_a_minute_later(
    monkeypatch: pytest.MonkeyPatch, client: HandlerClient, centre: FakeCentre
) -> None:
    first = _snooze(client, centre.red.alert_id, {"minutes": 30})
    monkeypatch.setattr(client.handler, "clock", lambda: NOW + timedelta(minutes=1))  # the client's retry
    retry = _snooze(client, centre.red.alert_id, {"minutes": 30})

    assert (first.status, retry.status) == (200, 200)
    assert retry.body == first.body
    assert centre.tenants["bodo"].alerts.alerts[centre.red.alert_id].version == 2


def test_a_different_snooze_on_an_old_version_is_a_conflict(client: HandlerClient, centre: FakeCentre) -> None:
    _snooze(client, centre.red.alert_id, {"minutes": 30})

    stale = _snooze(client, centre.red.alert_id, {"minutes": 45})

    assert stale.status == 409 and stale.body["current_version"] == 2
    assert centre.tenants["bodo"].alerts.alerts[centre.red.alert_id].snoozed_until == NOW + timedelta(minutes=30)


def test_a_red_snoozed_for_longer_than_an_hour_is_refused_and_nothing_changes(
    client: HandlerClient, centre: FakeCentre
) -> None:
    until = (NOW + timedelta(minutes=61)).isoformat()

    answer = _snooze(client, centre.red.alert_id, {"until": until})

    assert answer.status == 422 and answer.content_type == "application/problem+json"
    assert "at most 60 minutes" in answer.body["detail"]
    assert centre.tenants["bodo"].alerts.alerts[centre.red.alert_id].version == 1


def test_a_yellow_may_be_snoozed_until_tomorrow(client: HandlerClient, centre: FakeCentre) -> None:
    until = NOW + timedelta(hours=20)

    answer = _snooze(client, centre.yellow.alert_id, {"until": until.isoformat()})

    assert answer.status == 200
    assert centre.tenants["bodo"].alerts.alerts[centre.yellow.alert_id].snoozed_until == until


@pytest.mark.parametrize("body", [
    {}, {"minutes": 30, "until": NOW.isoformat()}, {"minutes": 0}, {"until": "2026-12-05T10:00:00"},
    {"minutes": 30, "snoozed_by": "1234567"},
])
def test_a_snooze_with_bad_input_gets_problem_details_and_changes_nothing(
    client: HandlerClient, centre: FakeCentre, body: dict[str, object]
) -> None:
    answer = _snooze(client, centre.red.alert_id, body)

    assert answer.status == 422 and answer.content_type == "application/problem+json"
    assert centre.tenants["bodo"].alerts.alerts[centre.red.alert_id].version == 1


def test_the_nurses_snooze_and_close_reach_the_gps_fhir_export_as_the_detected_issues_history(
    client: HandlerClient, centre: FakeCentre
) -> None:
    alert_id = centre.red.alert_id
    _snooze(client, alert_id, {"minutes": 30})
    client.call("POST", f"/alerts/bodo/{alert_id}/close", NURSE, headers={"if-match": '"2"'},
                body={"outcome": "gp_informed", "note": ""})

    answer = client.call("GET", f"/patients/bodo/{OWN_PATIENT}/fhir", CLAIMS["gp"],
                         query="since=2026-12-01T00:00:00Z&until=2026-12-08T00:00:00Z")

    assert answer.status == 200
    entries = {e["fullUrl"]: e["resource"] for e in answer.body["entry"]}
    (issue,) = [r for r in entries.values() if r["resourceType"] == "DetectedIssue"]
    assert issue["status"] == "final"
    assert [(m["action"]["coding"][0]["code"], m["author"]["identifier"]["value"]) for m in issue["mitigation"]] == [
        ("snoozed", NURSE_HPR), ("closed-gp_informed", NURSE_HPR)]
    (evidence,) = issue["evidence"][0]["detail"]
    assert entries[evidence["reference"]]["resourceType"] == "Observation"  # the reading in the same Bundle


def test_two_centre_functions_loaded_side_by_side_each_run_their_own_snooze_route(
    client: HandlerClient, centre: FakeCentre
) -> None:
    # GIVEN another centre's function loaded in the same process after this one (the local cloud runs one
    # instance per centre): each has its own route modules, as each Lambda function has its own process
    load_handler("centre_api", module_name="centre_api_other_centre")

    answer = _snooze(client, centre.red.alert_id, {"minutes": 30})

    assert answer.status == 200 and answer.body["snoozed_until"] is not None
