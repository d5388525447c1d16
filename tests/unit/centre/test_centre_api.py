"""The centre API on in-memory ports: the worklist a nurse works from, acting on an alert (idempotent,
stale writes refused), the patient view, the access log, and the problem details of bad requests."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dho.domain.access_log import AccessOutcome
from dho.domain.alerts import AlertState, CloseReason
from tests.support.centre_client import HandlerClient
from tests.support.centre_fakes import (
    CLAIMS,
    GP_HPR,
    NOW,
    NURSE_HPR,
    OTHER_GPS_PATIENT,
    OWN_PATIENT,
    SALTDAL_PATIENT,
    FakeCentre,
)

NURSE = CLAIMS["centre_nurse"]


@pytest.fixture
def centre() -> FakeCentre:
    return FakeCentre()


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch, centre: FakeCentre) -> HandlerClient:
    return HandlerClient(monkeypatch, centre)


# ---- the worklist -------------------------------------------------------------------------------------


def test_the_worklist_merges_the_centres_tenants_red_before_yellow_oldest_first(
    client: HandlerClient, centre: FakeCentre
) -> None:
    answer = client.call("GET", "/worklist", NURSE)

    assert answer.status == 200
    rows = answer.body["rows"]
    # Bodø's red (2 h old) before Saltdal's red (1 h old), then the yellow; missed measurements are not here.
    assert [(r["tenant"], r["alert_id"]) for r in rows] == [
        ("bodo", centre.red.alert_id), ("saltdal", centre.saltdal_red.alert_id), ("bodo", centre.yellow.alert_id)]
    # The municipality by its name from the tenant file (the centre function's environment), not its id.
    assert [r["municipality"] for r in rows] == ["Bodø kommune", "Saltdal kommune", "Bodø kommune"]
    first = rows[0]
    assert (first["patient_name"], first["patient_code"], first["programme"]) == ("Pasient B-01", "B-01", "copd")
    assert (first["rule"], first["severity"], first["state"], first["version"]) == ("spo2_band", "red", "open", 1)
    assert first["escalation_tier"] == 0 and first["acknowledged_by"] is None
    assert first["opened_at"].startswith("2026-12-07T07:30") and first["last_evidence_at"].startswith("2026-12-07")


def test_missed_measurements_are_a_list_of_their_own(client: HandlerClient, centre: FakeCentre) -> None:
    answer = client.call("GET", "/worklist/missed-measurements", NURSE)

    assert [r["alert_id"] for r in answer.body["rows"]] == [centre.missed.alert_id]


def test_the_worklist_filters_by_tenant_and_programme(client: HandlerClient, centre: FakeCentre) -> None:
    saltdal = client.call("GET", "/worklist", NURSE, query="tenant=saltdal")
    heart = client.call("GET", "/worklist", NURSE, query="programme=heart_failure")

    assert [r["alert_id"] for r in saltdal.body["rows"]] == [centre.saltdal_red.alert_id]
    assert [r["alert_id"] for r in heart.body["rows"]] == [centre.yellow.alert_id]


def test_every_patient_on_the_worklist_is_in_its_tenants_access_log_with_the_verified_identity(
    client: HandlerClient, centre: FakeCentre
) -> None:
    client.call("GET", "/worklist", NURSE)

    bodo = centre.tenants["bodo"].access_log.records
    saltdal = centre.tenants["saltdal"].access_log.records
    assert sorted(str(r.patient_id) for r in bodo) == [OWN_PATIENT, OTHER_GPS_PATIENT]
    assert [r.patient_id for r in saltdal] == [SALTDAL_PATIENT]  # each tenant's own log, nobody else's
    record = bodo[0]
    assert (record.hpr, record.role, record.subject) == (NURSE_HPR, "centre_nurse", "nurse-sub")
    assert record.accessed_at == NOW
    assert record.outcome is AccessOutcome.EXPORTED and record.purpose is not None and "worklist" in record.purpose


def test_the_worklist_logs_all_its_rows_in_one_write_per_tenant(client: HandlerClient, centre: FakeCentre) -> None:
    answer = client.call("GET", "/worklist", NURSE)

    assert answer.status == 200
    bodo = centre.tenants["bodo"].access_log
    assert (bodo.batches, len(bodo.records)) == (1, 2)  # two patients on Bodø's rows: one batch of two entries


@pytest.mark.parametrize("failure", ["throttled", "refused"])
def test_when_the_access_log_cannot_be_written_no_patient_data_is_returned(
    client: HandlerClient, centre: FakeCentre, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    log = centre.tenants["bodo"].access_log
    if failure == "throttled":
        log.down = True
    else:  # not a transient error (e.g. the table's policy denies the write): refused all the same

        def denied(accesses: object) -> None:
            raise PermissionError("AccessDeniedException")

        monkeypatch.setattr(log, "record_all", denied)

    answer = client.call("GET", "/worklist", NURSE)

    assert answer.status == 503 and answer.content_type == "application/problem+json"
    assert "Pasient" not in str(answer.body)


# ---- acting on an alert -------------------------------------------------------------------------------


def _ack(client: HandlerClient, alert_id: str, version: str | None, claims: dict[str, str] = NURSE) -> object:
    headers = {} if version is None else {"if-match": version}
    return client.call("POST", f"/alerts/bodo/{alert_id}/acknowledge", claims, headers=headers)


def test_acknowledging_records_the_verified_nurse_and_stops_the_escalation(
    client: HandlerClient, centre: FakeCentre
) -> None:
    answer = client.call("POST", f"/alerts/bodo/{centre.red.alert_id}/acknowledge", NURSE,
                         headers={"if-match": '"1"'}, body={"acknowledged_by": "1234567"})

    stored = centre.tenants["bodo"].alerts.alerts[centre.red.alert_id]
    assert answer.status == 200 and answer.headers["ETag"] == '"2"'
    assert stored.state is AlertState.ACKNOWLEDGED and stored.acknowledged_by == NURSE_HPR  # not the body's
    assert stored.acknowledged_at == NOW and stored.version == 2


def test_a_retried_acknowledge_answers_the_same_and_writes_nothing(client: HandlerClient, centre: FakeCentre) -> None:
    first = client.call("POST", f"/alerts/bodo/{centre.red.alert_id}/acknowledge", NURSE, headers={"if-match": '"1"'})
    retry = client.call("POST", f"/alerts/bodo/{centre.red.alert_id}/acknowledge", NURSE, headers={"if-match": '"1"'})

    assert (first.status, retry.status) == (200, 200)
    assert retry.body == first.body
    assert centre.tenants["bodo"].alerts.alerts[centre.red.alert_id].version == 2


def test_acting_on_a_version_that_moved_on_is_a_conflict_and_changes_nothing(
    client: HandlerClient, centre: FakeCentre
) -> None:
    client.call("POST", f"/alerts/bodo/{centre.red.alert_id}/acknowledge", NURSE, headers={"if-match": '"1"'})
    alerts = centre.tenants["bodo"].alerts.alerts

    # Another nurse closed it meanwhile (version 3); a close sent with version 1 is stale.
    stale = client.call("POST", f"/alerts/bodo/{centre.red.alert_id}/close", NURSE, headers={"if-match": '"1"'},
                        body={"outcome": "false_alarm", "note": ""})

    assert stale.status == 409 and stale.content_type == "application/problem+json"
    assert stale.body["current_version"] == 2 and stale.headers["ETag"] == '"2"'
    assert alerts[centre.red.alert_id].state is AlertState.ACKNOWLEDGED


def test_acting_without_if_match_is_refused_with_428(client: HandlerClient, centre: FakeCentre) -> None:
    answer = client.call("POST", f"/alerts/bodo/{centre.red.alert_id}/acknowledge", NURSE)

    assert answer.status == 428 and answer.content_type == "application/problem+json"
    assert centre.tenants["bodo"].alerts.alerts[centre.red.alert_id].version == 1


def test_closing_keeps_the_coded_outcome_and_the_note(client: HandlerClient, centre: FakeCentre) -> None:
    answer = client.call("POST", f"/alerts/saltdal/{centre.saltdal_red.alert_id}/close", NURSE,
                         headers={"if-match": '"1"'}, body={"outcome": "home_visit", "note": "besøkt, stabil"})

    stored = centre.tenants["saltdal"].alerts.alerts[centre.saltdal_red.alert_id]
    assert answer.status == 200 and answer.body["close_outcome"] == "home_visit"
    assert (stored.state, stored.close_reason, stored.close_note, stored.closed_by) == (
        AlertState.CLOSED, CloseReason.HOME_VISIT, "besøkt, stabil", NURSE_HPR)
    retry = client.call("POST", f"/alerts/saltdal/{centre.saltdal_red.alert_id}/close", NURSE,
                        headers={"if-match": '"1"'}, body={"outcome": "home_visit", "note": "besøkt, stabil"})
    assert retry.status == 200 and retry.body == answer.body


@pytest.mark.parametrize("body", [
    {"outcome": "cured", "note": ""},  # not a coded outcome
    {"outcome": "home_visit", "note": "x", "closed_by": "1234567"},  # no identity from the body
    {"note": "no outcome"},
    {"outcome": "home_visit", "note": "x" * 2001},
])
def test_a_close_with_bad_input_gets_problem_details_and_changes_nothing(
    client: HandlerClient, centre: FakeCentre, body: dict[str, str]
) -> None:
    answer = client.call("POST", f"/alerts/bodo/{centre.red.alert_id}/close", NURSE, headers={"if-match": '"1"'},
                         body=body)

    assert answer.status == 422 and answer.content_type == "application/problem+json"
    assert answer.body["errors"] and "x" * 50 not in str(answer.body)
    assert centre.tenants["bodo"].alerts.alerts[centre.red.alert_id].version == 1


def test_an_unknown_alert_is_404(client: HandlerClient) -> None:
    answer = client.call("POST", f"/alerts/bodo/A-{'f' * 24}/acknowledge", NURSE, headers={"if-match": '"1"'})

    assert answer.status == 404 and answer.content_type == "application/problem+json"


# ---- the patient view ---------------------------------------------------------------------------------


def test_a_gp_sees_their_own_patient_with_open_alerts_and_recent_readings(
    client: HandlerClient, centre: FakeCentre
) -> None:
    answer = client.call("GET", f"/patients/bodo/{OWN_PATIENT}", CLAIMS["gp"])

    assert answer.status == 200
    assert answer.body["enrolment"]["code"] == "B-01" and answer.body["enrolment"]["gp_hpr"] == GP_HPR
    assert answer.body["municipality"] == "Bodø kommune"
    assert [a["alert_id"] for a in answer.body["open_alerts"]] == [centre.red.alert_id]
    assert [(r["series"], r["value"]) for r in answer.body["readings"]] == [("spo2", 86.0)]
    (record,) = centre.tenants["bodo"].access_log.records
    assert (record.patient_id, record.hpr, record.role, record.outcome) == (
        OWN_PATIENT, GP_HPR, "gp", AccessOutcome.EXPORTED)
    assert (record.period_start, record.period_end) == (NOW - timedelta(days=7), NOW)


def test_a_gp_asking_for_another_gps_patient_gets_404_and_the_attempt_is_logged(
    client: HandlerClient, centre: FakeCentre
) -> None:
    answer = client.call("GET", f"/patients/bodo/{OTHER_GPS_PATIENT}", CLAIMS["gp"])

    assert answer.status == 404 and "Pasient" not in str(answer.body)
    (record,) = centre.tenants["bodo"].access_log.records
    assert (record.patient_id, record.hpr, record.outcome) == (OTHER_GPS_PATIENT, GP_HPR, AccessOutcome.REFUSED)


@pytest.mark.parametrize("patient_id", ["12888500055", "P-lower", "P-" + "A" * 40])
def test_a_patient_id_that_is_not_one_is_refused_before_anything_is_read(
    client: HandlerClient, centre: FakeCentre, patient_id: str
) -> None:
    answer = client.call("GET", f"/patients/bodo/{patient_id}", NURSE)

    assert answer.status == 422 and answer.content_type == "application/problem+json"
    assert patient_id not in str(answer.body)  # a national id sent by mistake is not echoed
    assert centre.access_records() == []


def test_the_fhir_export_answers_a_gp_with_a_bundle_requested_with_the_verified_identity(
    client: HandlerClient, centre: FakeCentre
) -> None:
    answer = client.call("GET", f"/patients/bodo/{OWN_PATIENT}/fhir", CLAIMS["gp"],
                         query="since=2026-12-01T00:00:00Z&until=2026-12-08T00:00:00Z")

    assert answer.status == 200 and answer.content_type == "application/fhir+json"
    kinds = {e["resource"]["resourceType"] for e in answer.body["entry"]}
    assert {"Patient", "Observation", "Flag"} <= kinds
    (record,) = centre.tenants["bodo"].access_log.records
    assert (record.patient_id, record.hpr, record.role, record.outcome) == (
        OWN_PATIENT, GP_HPR, "gp", AccessOutcome.EXPORTED)
    assert answer.headers["X-Access-Id"] == record.access_id


def test_the_fhir_export_of_another_gps_patient_is_404_and_logged(client: HandlerClient, centre: FakeCentre) -> None:
    answer = client.call("GET", f"/patients/bodo/{OTHER_GPS_PATIENT}/fhir", CLAIMS["gp"],
                         query="since=2026-12-01T00:00:00Z&until=2026-12-08T00:00:00Z")

    assert answer.status == 404 and answer.content_type == "application/problem+json"
    (record,) = centre.tenants["bodo"].access_log.records
    assert (record.patient_id, record.outcome) == (OTHER_GPS_PATIENT, AccessOutcome.REFUSED)


def test_a_fhir_period_longer_than_the_export_allows_is_refused_with_problem_details(
    client: HandlerClient, centre: FakeCentre
) -> None:
    answer = client.call("GET", f"/patients/bodo/{OWN_PATIENT}/fhir", NURSE,
                         query="since=2026-01-01T00:00:00Z&until=2026-12-08T00:00:00Z")

    assert answer.status == 422 and answer.content_type == "application/problem+json"
    assert "90 days" in answer.body["detail"]
    assert [r.outcome for r in centre.tenants["bodo"].access_log.records] == [AccessOutcome.REFUSED]


# ---- the access log -----------------------------------------------------------------------------------


def test_the_privacy_officer_lists_who_accessed_a_patient_in_a_period(client: HandlerClient) -> None:
    client.call("GET", "/worklist", NURSE)
    client.call("GET", f"/patients/bodo/{OWN_PATIENT}", CLAIMS["gp"])

    answer = client.call("GET", f"/access-log/bodo/{OWN_PATIENT}", CLAIMS["privacy_officer"],
                         query="since=2026-12-07T00:00:00Z&until=2026-12-08T00:00:00Z")

    assert answer.status == 200
    who = [(e["hpr"], e["subject"], e["role"]) for e in answer.body["entries"]]
    assert (GP_HPR, "gp-sub", "gp") in who and (NURSE_HPR, "nurse-sub", "centre_nurse") in who
    assert (None, "privacy-sub", "privacy_officer") in who  # reading the log is logged too


def test_an_access_log_period_that_ends_before_it_starts_is_a_400(client: HandlerClient) -> None:
    answer = client.call("GET", f"/access-log/bodo/{OWN_PATIENT}", CLAIMS["privacy_officer"],
                         query="since=2026-12-08T00:00:00Z&until=2026-12-07T00:00:00Z")

    assert answer.status == 400 and answer.content_type == "application/problem+json"


# ---- identity -----------------------------------------------------------------------------------------


def test_a_request_without_verified_claims_is_401(client: HandlerClient, centre: FakeCentre) -> None:
    answer = client.call("GET", "/worklist", None)

    assert answer.status == 401 and answer.content_type == "application/problem+json"
    assert centre.access_records() == []


def test_the_national_id_claim_is_never_stored(client: HandlerClient, centre: FakeCentre) -> None:
    claims = {**NURSE, "helseid://claims/identity/pid": "12888500055"}

    client.call("GET", "/worklist", claims)

    assert centre.access_records() and "12888500055" not in repr(centre.access_records())
