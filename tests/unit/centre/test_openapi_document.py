"""GIVEN the centre API's routes THEN docs/openapi.json is the document generated from them (run
``python -m localcloud.openapi_document`` after changing a route), it lists every route, and each route
declares the refusals it can give as problem details (RFC 9457)."""

from __future__ import annotations

import json

from dho.centre.routes import PUBLIC_ROUTES, ROUTE_ACTIONS
from localcloud.openapi_document import DOCUMENT, rendered


def test_the_checked_in_document_is_current() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == rendered(), "run: python -m localcloud.openapi_document"


def test_the_document_describes_every_route_and_the_close_body() -> None:
    document = json.loads(rendered())
    operations = {f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item}
    assert operations == set(ROUTE_ACTIONS) - set(PUBLIC_ROUTES)
    close = document["paths"]["/alerts/{tenant}/{alert_id}/close"]["post"]
    outcomes = close["requestBody"]["content"]["application/json"]["schema"]
    assert "CloseIn" in json.dumps(outcomes)


# The refusals each kind of route gives (the handler's gate and its exception handlers).
EVERY_AUTHENTICATED_ROUTE = {"401", "403", "422", "503"}
REFUSALS = {
    "POST /alerts/{tenant}/{alert_id}/acknowledge": {"400", "404", "409", "428"},
    "POST /alerts/{tenant}/{alert_id}/close": {"400", "404", "409", "428"},
    "POST /alerts/{tenant}/{alert_id}/snooze": {"400", "404", "409", "428"},
    "GET /patients/{tenant}/{patient_id}": {"404"},
    "GET /patients/{tenant}/{patient_id}/fhir": {"404", "413", "500"},
    "GET /access-log/{tenant}/{patient_id}": {"400"},
    "GET /patients/{tenant}/{patient_id}/series": {"400", "404"},
    "GET /patients/{tenant}/{patient_id}/plans": {"404"},
    "GET /patients/{tenant}/{patient_id}/devices": {"404"},
    "GET /patients/{tenant}/{patient_id}/alerts": {"400", "404"},
    "PUT /patients/{tenant}/{patient_id}/enrolment": {"409"},
    "POST /patients/{tenant}/{patient_id}/discharge": {"404", "409"},
    "POST /patients/{tenant}/{patient_id}/devices/{device_id}/assign": {"404", "409"},
    "POST /patients/{tenant}/{patient_id}/devices/{device_id}/unassign": {"404", "409"},
    "PUT /patients/{tenant}/{patient_id}/plan": {"400", "404", "409", "428"},
    "POST /caseload/{tenant}/{patient_id}/reviewed": {"404", "409"},
    "GET /questionnaires/{questionnaire_id}": {"404"},
}


def test_every_route_declares_its_refusals_as_problem_details() -> None:
    document = json.loads(rendered())
    problem = document["components"]["schemas"]["Problem"]
    assert {"title", "status", "detail"} <= set(problem["required"])
    for path, item in document["paths"].items():
        for method, operation in item.items():
            route = f"{method.upper()} {path}"
            responses = operation["responses"]
            refusals = {status for status in responses if status >= "400"}
            assert refusals == EVERY_AUTHENTICATED_ROUTE | REFUSALS.get(route, set()), route
            for status in refusals:
                content = responses[status]["content"]
                assert content["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
            assert "content" in responses["200"], route
