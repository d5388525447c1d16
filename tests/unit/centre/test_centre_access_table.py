"""GIVEN the centre salten (serving bodo and saltdal; sunnfjord has not named it) and one caller per role
WHEN each calls every route in each tenant
THEN the answer is the table's: the service enforces who sees what on every route, not the page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from dho.centre.routes import ROUTE_ACTIONS
from dho.domain.plans import Programme, plan_from_template
from dho.domain.registry import DeviceAssignment
from tests.support.centre_client import HandlerClient
from tests.support.centre_fakes import (
    CLAIMS,
    NOT_SERVED,
    NOW,
    OTHER_GPS_PATIENT,
    OWN_PATIENT,
    SALTDAL_PATIENT,
    FakeCentre,
)

ROLES = ("centre_nurse", "gp", "hospital_nurse", "tenant_admin", "privacy_officer", "other_centres_nurse")
PERIOD = "since=2026-12-01T00:00:00Z&until=2026-12-08T00:00:00Z"
SERIES = "GET /patients/{tenant}/{patient_id}/series"
ENROL = "PUT /patients/{tenant}/{patient_id}/enrolment"
ASSIGN = "POST /patients/{tenant}/{patient_id}/devices/{device_id}/assign"
REVIEWED = "POST /caseload/{tenant}/{patient_id}/reviewed"


def _requests(centre: FakeCentre) -> dict[str, tuple[str, str, str, Any]]:
    """(route key, method, path, query) per case; the alert of each tenant is at version 1."""
    sunnfjord_alert = "A-" + "0" * 24
    return {
        "worklist": ("GET /worklist", "GET", "/worklist", ""),
        "missed": ("GET /worklist/missed-measurements", "GET", "/worklist/missed-measurements", ""),
        "ack bodo": ("POST /alerts/{tenant}/{alert_id}/acknowledge", "POST",
                     f"/alerts/bodo/{centre.red.alert_id}/acknowledge", ""),
        "close saltdal": ("POST /alerts/{tenant}/{alert_id}/close", "POST",
                          f"/alerts/saltdal/{centre.saltdal_red.alert_id}/close", ""),
        "snooze bodo": ("POST /alerts/{tenant}/{alert_id}/snooze", "POST",
                        f"/alerts/bodo/{centre.red.alert_id}/snooze", ""),
        "ack sunnfjord": ("POST /alerts/{tenant}/{alert_id}/acknowledge", "POST",
                          f"/alerts/{NOT_SERVED}/{sunnfjord_alert}/acknowledge", ""),
        "own patient": ("GET /patients/{tenant}/{patient_id}", "GET", f"/patients/bodo/{OWN_PATIENT}", ""),
        "other gp's patient": ("GET /patients/{tenant}/{patient_id}", "GET",
                               f"/patients/bodo/{OTHER_GPS_PATIENT}", ""),
        "fhir own patient": ("GET /patients/{tenant}/{patient_id}/fhir", "GET", f"/patients/bodo/{OWN_PATIENT}/fhir",
                             PERIOD),
        "saltdal patient": ("GET /patients/{tenant}/{patient_id}", "GET", f"/patients/saltdal/{SALTDAL_PATIENT}", ""),
        "sunnfjord patient": ("GET /patients/{tenant}/{patient_id}", "GET", f"/patients/{NOT_SERVED}/P-SUNN0001", ""),
        "access log bodo": ("GET /access-log/{tenant}/{patient_id}", "GET", f"/access-log/bodo/{OWN_PATIENT}",
                            PERIOD),
        "access log sunnfjord": ("GET /access-log/{tenant}/{patient_id}", "GET",
                                 f"/access-log/{NOT_SERVED}/P-SUNN0001", PERIOD),
        "openapi": ("GET /openapi.json", "GET", "/openapi.json", ""),
        "series own patient": (SERIES, "GET", f"/patients/bodo/{OWN_PATIENT}/series", f"metric=spo2&{PERIOD}"),
        "series other gp's patient": (SERIES, "GET", f"/patients/bodo/{OTHER_GPS_PATIENT}/series", "metric=spo2"),
        "series saltdal": (SERIES, "GET", f"/patients/saltdal/{SALTDAL_PATIENT}/series", "metric=spo2"),
        "series sunnfjord": (SERIES, "GET", f"/patients/{NOT_SERVED}/P-SUNN0001/series", "metric=spo2"),
        "plans own patient": ("GET /patients/{tenant}/{patient_id}/plans", "GET",
                              f"/patients/bodo/{OWN_PATIENT}/plans", ""),
        "devices other gp's patient": ("GET /patients/{tenant}/{patient_id}/devices", "GET",
                                       f"/patients/bodo/{OTHER_GPS_PATIENT}/devices", ""),
        "alerts own patient": ("GET /patients/{tenant}/{patient_id}/alerts", "GET",
                               f"/patients/bodo/{OWN_PATIENT}/alerts", PERIOD),
        "enrol bodo": (ENROL, "PUT", "/patients/bodo/P-BODO0009/enrolment", ""),
        "enrol saltdal": (ENROL, "PUT", "/patients/saltdal/P-SALT0009/enrolment", ""),
        "discharge bodo": ("POST /patients/{tenant}/{patient_id}/discharge", "POST",
                           f"/patients/bodo/{OTHER_GPS_PATIENT}/discharge", ""),
        "assign device bodo": (ASSIGN, "POST", f"/patients/bodo/{OWN_PATIENT}/devices/oxi-0009/assign", ""),
        "assign device saltdal": (ASSIGN, "POST", f"/patients/saltdal/{SALTDAL_PATIENT}/devices/oxi-9/assign", ""),
        "unassign device bodo": ("POST /patients/{tenant}/{patient_id}/devices/{device_id}/unassign", "POST",
                                 f"/patients/bodo/{OWN_PATIENT}/devices/oxi-0001/unassign", ""),
        "plan bodo": ("PUT /patients/{tenant}/{patient_id}/plan", "PUT", f"/patients/bodo/{OWN_PATIENT}/plan", ""),
        "plan sunnfjord": ("PUT /patients/{tenant}/{patient_id}/plan", "PUT", f"/patients/{NOT_SERVED}/P-SUNN0001/plan",
                           ""),
        "caseload": ("GET /caseload", "GET", "/caseload", ""),
        "reviewed saltdal": (REVIEWED, "POST", f"/caseload/saltdal/{SALTDAL_PATIENT}/reviewed", ""),
        "reviewed sunnfjord": (REVIEWED, "POST", f"/caseload/{NOT_SERVED}/P-SUNN0001/reviewed", ""),
        "questionnaires": ("GET /questionnaires", "GET", "/questionnaires", ""),
        "questionnaire phq9": ("GET /questionnaires/{questionnaire_id}", "GET", "/questionnaires/phq9", ""),
    }


BODIES: dict[str, Any] = {
    "POST /alerts/{tenant}/{alert_id}/close": {"outcome": "contacted_patient", "note": "called"},
    "PUT /patients/{tenant}/{patient_id}/enrolment": {
        "national_id": "12888500055", "name": "Ny Pasient", "code": "B-09", "programme": "copd",
        "decision_ref": "V-2026-0099", "decided_on": "2026-12-01", "start": "2026-12-02", "review_on": "2027-03-02"},
    "POST /alerts/{tenant}/{alert_id}/snooze": {"minutes": 30},
    "POST /patients/{tenant}/{patient_id}/discharge": {"reason": "stable", "on": "2026-12-07"},
    "POST /patients/{tenant}/{patient_id}/devices/{device_id}/assign": {"at": "2026-12-07T08:00:00Z"},
    "POST /patients/{tenant}/{patient_id}/devices/{device_id}/unassign": {"at": "2026-12-07T08:00:00Z"},
    "PUT /patients/{tenant}/{patient_id}/plan": {"note": "reviewed with the GP", "on_home_oxygen": True},
    "POST /caseload/{tenant}/{patient_id}/reviewed": {"next_review_on": "2027-06-01"},
}


# Expected status per case, in the order of ROLES.
EXPECTED: dict[str, tuple[int, ...]] = {
    #                       nurse  gp   hosp admin  po  other-centre
    "worklist":             (200, 403, 403, 403, 403, 403),
    "missed":               (200, 403, 403, 403, 403, 403),
    "ack bodo":             (200, 403, 403, 403, 403, 403),
    "close saltdal":        (200, 403, 403, 403, 403, 403),
    "snooze bodo":          (200, 403, 403, 403, 403, 403),
    "ack sunnfjord":        (403, 403, 403, 403, 403, 403),
    "own patient":          (200, 200, 200, 403, 403, 403),
    "other gp's patient":   (200, 404, 404, 403, 403, 403),
    "fhir own patient":     (200, 200, 200, 403, 403, 403),
    "saltdal patient":      (200, 403, 403, 403, 403, 403),
    "sunnfjord patient":    (403, 403, 403, 403, 403, 403),
    "access log bodo":      (403, 403, 403, 403, 200, 403),
    "access log sunnfjord": (403, 403, 403, 403, 403, 403),
    "openapi":              (200, 200, 200, 200, 200, 200),
    "series own patient":   (200, 200, 200, 403, 403, 403),
    "series other gp's patient": (200, 404, 404, 403, 403, 403),
    "series saltdal":       (200, 403, 403, 403, 403, 403),
    "series sunnfjord":     (403, 403, 403, 403, 403, 403),
    "plans own patient":    (200, 200, 200, 403, 403, 403),
    "devices other gp's patient": (200, 404, 404, 403, 403, 403),
    "alerts own patient":   (200, 200, 200, 403, 403, 403),
    "enrol bodo":           (403, 403, 403, 201, 403, 403),
    "enrol saltdal":        (403, 403, 403, 403, 403, 403),
    "discharge bodo":       (403, 403, 403, 200, 403, 403),
    "assign device bodo":   (200, 403, 403, 200, 403, 403),
    "assign device saltdal": (200, 403, 403, 403, 403, 403),
    "unassign device bodo": (200, 403, 403, 200, 403, 403),
    "plan bodo":            (200, 403, 403, 403, 403, 403),
    "plan sunnfjord":       (403, 403, 403, 403, 403, 403),
    "caseload":             (200, 403, 403, 403, 403, 403),
    "reviewed saltdal":     (200, 403, 403, 403, 403, 403),
    "reviewed sunnfjord":   (403, 403, 403, 403, 403, 403),
    # Any role of this centre's directory (no patient data); another centre's nurse has none here.
    "questionnaires":       (200, 200, 200, 200, 200, 403),
    "questionnaire phq9":   (200, 200, 200, 200, 200, 403),
}  # fmt: skip

CASES = [
    (case, role, status) for case, statuses in EXPECTED.items() for role, status in zip(ROLES, statuses, strict=True)
]


def test_the_table_covers_every_route() -> None:
    covered = {route for route, *_ in _requests(FakeCentre()).values()}
    assert covered == set(ROUTE_ACTIONS)


@pytest.mark.parametrize(("case", "role", "status"), CASES, ids=[f"{c}-{r}" for c, r, _ in CASES])
def test_route_role_tenant(monkeypatch: pytest.MonkeyPatch, case: str, role: str, status: int) -> None:
    centre = FakeCentre()
    bodo = centre.tenants["bodo"]
    bodo.plans.save(plan_from_template(OWN_PATIENT, Programme.COPD, NOW - timedelta(days=30)))
    bodo.registry.assign_device(DeviceAssignment("oxi-0001", OWN_PATIENT, NOW - timedelta(days=30)))
    client = HandlerClient(monkeypatch, centre)
    route_key, method, path, query = _requests(centre)[case]
    headers = {"if-match": '"1"'} if method in {"POST", "PUT"} else {}
    before = _stored(centre)

    answer = client.call(method, path, CLAIMS[role], query=query, headers=headers, body=BODIES.get(route_key))

    assert answer.status == status, answer.body
    if status >= 400:
        assert answer.content_type == "application/problem+json"
        assert answer.body["status"] == status
        # A refused request changes nothing.
        assert _stored(centre) == before
    if status == 403:
        # Refused before any route ran: nothing was read, so nothing to log.
        assert centre.access_records() == []


def _stored(centre: FakeCentre) -> dict[str, Any]:
    """Everything a request could change, per tenant."""
    return {t: (dict(s.alerts.alerts), dict(s.enrolments.enrolments), dict(s.registry.patients),
                list(s.registry.assignments), {p: list(v) for p, v in s.plans.versions.items()})
            for t, s in centre.tenants.items()}
