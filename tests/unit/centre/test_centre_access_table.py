"""GIVEN the centre salten (serving bodo and saltdal; sunnfjord has not named it) and one caller per role
WHEN each calls every route in each tenant
THEN the answer is the table's: the service enforces who sees what on every route, not the page."""

from __future__ import annotations

from typing import Any

import pytest

from dho.centre.routes import ROUTE_ACTIONS
from tests.support.centre_client import HandlerClient
from tests.support.centre_fakes import (
    CLAIMS,
    NOT_SERVED,
    OTHER_GPS_PATIENT,
    OWN_PATIENT,
    SALTDAL_PATIENT,
    FakeCentre,
)

ROLES = ("centre_nurse", "gp", "hospital_nurse", "tenant_admin", "privacy_officer", "other_centres_nurse")
PERIOD = "since=2026-12-01T00:00:00Z&until=2026-12-08T00:00:00Z"
SERIES = "GET /patients/{tenant}/{patient_id}/series"


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
    }


# Expected status per case, in the order of ROLES.
EXPECTED: dict[str, tuple[int, ...]] = {
    #                       nurse  gp   hosp admin  po  other-centre
    "worklist":             (200, 403, 403, 403, 403, 403),
    "missed":               (200, 403, 403, 403, 403, 403),
    "ack bodo":             (200, 403, 403, 403, 403, 403),
    "close saltdal":        (200, 403, 403, 403, 403, 403),
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
    client = HandlerClient(monkeypatch, centre)
    route_key, method, path, query = _requests(centre)[case]
    body = {"outcome": "contacted_patient", "note": "called"} if route_key.endswith("/close") else None
    headers = {"if-match": '"1"'} if method == "POST" else {}
    before = {t: dict(s.alerts.alerts) for t, s in centre.tenants.items()}

    answer = client.call(method, path, CLAIMS[role], query=query, headers=headers, body=body)

    assert answer.status == status, answer.body
    if status >= 400:
        assert answer.content_type == "application/problem+json"
        assert answer.body["status"] == status
        # A refused request changes nothing.
        assert {t: dict(s.alerts.alerts) for t, s in centre.tenants.items()} == before
    if status == 403:
        # Refused before any route ran: nothing was read, so nothing to log.
        assert centre.access_records() == []
