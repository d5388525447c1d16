"""The centre API over real HTTP: the local HTTP API routes and verifies tokens as API Gateway's JWT
authorizer would (from the synthesized centre stack), the centre_api function runs on the moto server's
tables, and a local OIDC issuer plays HelseID. Tokens that are missing, expired, signed by another key
or for another audience get 401 and the function never runs."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import boto3
import pytest

from dho.adapters.dynamodb_access_log import DynamoDbAccessLog
from dho.adapters.dynamodb_alerts import DynamoDbAlerts
from dho.adapters.dynamodb_enrolments import DynamoDbEnrolments
from dho.centre.enrolment import Enrolment
from dho.centre.roles import HPR_CLAIM
from dho.domain.alerts import Alert, AlertState, alert_id_for
from dho.domain.clock import utc_now
from dho.domain.findings import Rule, Severity
from infra.app import centre_stack_name
from infra.config import PlatformConfig
from localcloud.centre_api import LocalCentreApi, function_environment, running_centre_api
from localcloud.local_lambda import LocalFunction
from localcloud.oidc_issuer import LocalIssuer
from localcloud.tenant_table import create_access_log_table, create_tenant_table
from tests.support.centre_http import http_call as _call

pytestmark = pytest.mark.integration

OWN, OTHER = "P-HTTP0001", "P-HTTP0002"


@pytest.fixture(scope="module")
def centre_api(
    moto_endpoint: str, templates: dict[str, dict[str, Any]], platform_config: PlatformConfig
) -> Iterator[tuple[LocalCentreApi, dict[str, Any]]]:
    centre = platform_config.centres[0]  # salten, serving bodo
    template = templates[centre_stack_name(centre.centre_id)]
    environment = function_environment(template)
    tenants = json.loads(environment["DHO_CENTRE_TENANTS"])
    dynamodb = boto3.client("dynamodb", endpoint_url=moto_endpoint)
    existing = set(dynamodb.list_tables()["TableNames"])
    for tenant in tenants.values():
        if tenant["table_name"] not in existing:
            create_tenant_table(dynamodb, tenant["table_name"])
            create_access_log_table(dynamodb, tenant["access_log_table_name"])
    bodo = tenants["bodo"]
    gp = next(s.hpr for s in platform_config.tenants[0].staff if s.role == "gp")
    enrolments = DynamoDbEnrolments(dynamodb, bodo["table_name"])
    for patient_id, code, patient_gp in ((OWN, "H-01", gp), (OTHER, "H-02", "9199999")):
        enrolments.enrol(Enrolment(patient_id, f"Pasient {code}", code, "copd", centre.centre_id, patient_gp, (),
                                   f"V-{code}", date(2026, 1, 5), date(2026, 1, 6), date(2026, 4, 6)))
    opened = utc_now() - timedelta(hours=1)
    alert = Alert(alert_id_for(OWN, Rule.SPO2_BAND, opened), OWN, Rule.SPO2_BAND, Severity.RED, AlertState.OPEN,
                  opened, opened, opened, ("r-1",), "SpO2 86 %", "test")
    news2 = Alert(alert_id_for(OWN, Rule.NEWS2, opened), OWN, Rule.NEWS2, Severity.RED, AlertState.OPEN,
                  opened, opened, opened, ("r-1",), "NEWS2 7", "test", score=7.0)
    alerts = DynamoDbAlerts(dynamodb, bodo["table_name"])
    alerts.save(alert, None)
    alerts.save(news2, None)
    function = LocalFunction(f"dho-centre-{centre.centre_id}-centre-api", "centre_api",
                             {**environment, "AWS_ENDPOINT_URL": moto_endpoint})
    with running_centre_api(template, function) as api:
        yield api, {"alert": alert, "news2": news2, "alerts": alerts,
                    "access_log": DynamoDbAccessLog(dynamodb, bodo["access_log_table_name"])}


def _user(api: LocalCentreApi, role: str) -> str:
    return next(name for name in api.users if name.startswith(role))


def _accesses(log: DynamoDbAccessLog, patient_id: str) -> int:
    now = utc_now()
    return len(log.accessed(patient_id, now - timedelta(hours=1), now + timedelta(minutes=1)))


@pytest.mark.parametrize("kind", ["missing", "expired", "wrong signature", "wrong audience", "not a jwt"])
def test_a_bad_token_gets_401_and_the_function_never_runs(
    centre_api: tuple[LocalCentreApi, dict[str, Any]], kind: str
) -> None:
    api, stores = centre_api
    nurse = api.users[_user(api, "centre_nurse")]
    impostor = LocalIssuer(api.issuer.issuer)  # same issuer URL, a key of its own
    tokens = {
        "missing": None,
        "expired": api.issuer.mint(nurse, audience=api.audience, issued_at=time.time() - 3600, lifetime=600),
        "wrong signature": impostor.mint(nurse, audience=api.audience),
        "wrong audience": api.issuer.mint(nurse, audience="someone-else"),
        "not a jwt": "not-a-token",
    }
    before = _accesses(stores["access_log"], OWN)

    status, _, body = _call(api, "GET", "/worklist", tokens[kind])

    assert (status, body) == (401, {"message": "Unauthorized"})
    assert _accesses(stores["access_log"], OWN) == before


def test_a_nurse_lists_the_worklist_and_each_row_is_access_logged(
    centre_api: tuple[LocalCentreApi, dict[str, Any]]
) -> None:
    api, stores = centre_api
    before = _accesses(stores["access_log"], OWN)

    status, _, body = _call(api, "GET", "/worklist", api.token(_user(api, "centre_nurse")))

    assert status == 200
    row = next(r for r in body["rows"] if r["alert_id"] == stores["alert"].alert_id)
    assert (row["patient_code"], row["severity"], row["tenant"]) == ("H-01", "red", "bodo")
    assert row["municipality"] == "Bodø kommune"  # from the tenant file, through the function's environment
    assert _accesses(stores["access_log"], OWN) == before + 1


def test_a_gp_sees_their_own_patient_and_not_another_gps(centre_api: tuple[LocalCentreApi, dict[str, Any]]) -> None:
    api, stores = centre_api
    token = api.token(_user(api, "gp"))

    own = _call(api, "GET", f"/patients/bodo/{OWN}", token)
    other = _call(api, "GET", f"/patients/bodo/{OTHER}", token)

    assert own[0] == 200 and own[2]["enrolment"]["code"] == "H-01"
    assert other[0] == 404 and other[1]["Content-Type"] == "application/problem+json"
    assert "Pasient" not in json.dumps(other[2])
    assert _accesses(stores["access_log"], OTHER) >= 1  # the refused attempt is on the record too


def test_acknowledge_is_idempotent_and_a_stale_version_gets_409(
    centre_api: tuple[LocalCentreApi, dict[str, Any]]
) -> None:
    api, stores = centre_api
    token = api.token(_user(api, "centre_nurse"))
    path = f"/alerts/bodo/{stores['alert'].alert_id}/acknowledge"

    first = _call(api, "POST", path, token, headers={"If-Match": '"1"'})
    retry = _call(api, "POST", path, token, headers={"If-Match": '"1"'})
    close = _call(api, "POST", path.replace("acknowledge", "close"), token, headers={"If-Match": '"1"'},
                  body={"outcome": "contacted_patient", "note": ""})

    assert first[0] == 200 and first[1]["ETag"] == '"2"' and first[2]["state"] == "acknowledged"
    assert retry[0] == 200 and retry[2] == first[2]
    assert close[0] == 409 and close[2]["current_version"] == 2


def test_a_snooze_is_bounded_idempotent_and_stored_with_the_verified_nurse(
    centre_api: tuple[LocalCentreApi, dict[str, Any]]
) -> None:
    api, stores = centre_api
    nurse = _user(api, "centre_nurse")
    token = api.token(nurse)
    path = f"/alerts/bodo/{stores['news2'].alert_id}/snooze"

    too_long = _call(api, "POST", path, token, headers={"If-Match": '"1"'}, body={"minutes": 61})
    first = _call(api, "POST", path, token, headers={"If-Match": '"1"'}, body={"minutes": 30, "note": "ny måling"})
    retry = _call(api, "POST", path, token, headers={"If-Match": '"1"'}, body={"minutes": 30, "note": "ny måling"})
    stale = _call(api, "POST", path, token, headers={"If-Match": '"1"'}, body={"minutes": 20})

    assert too_long[0] == 422 and "at most 60 minutes" in too_long[2]["detail"]
    assert first[0] == 200 and first[1]["ETag"] == '"2"' and first[2]["snoozed_until"] is not None
    assert retry[0] == 200 and retry[2] == first[2]
    assert stale[0] == 409 and stale[2]["current_version"] == 2
    stored = stores["alerts"].get(stores["news2"].alert_id)
    (snoozed,) = stored.history
    assert snoozed.by == api.users[nurse][HPR_CLAIM] and snoozed.note == "ny måling"
    assert stored.next_notify_at == stored.snoozed_until  # the sweep wakes it then, not before


def test_the_openapi_document_needs_no_token(centre_api: tuple[LocalCentreApi, dict[str, Any]]) -> None:
    api, _ = centre_api

    status, _, body = _call(api, "GET", "/openapi.json", None)

    assert status == 200 and "/worklist" in body["paths"]
