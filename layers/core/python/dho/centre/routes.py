"""The centre API's routes and the action each one needs (``dho.centre.access``). One list for the
gateway (``infra.constructs.centre_api`` makes one route per entry, with the JWT authorizer on every
route but the public one), the function (its entry point authorizes by the event's ``routeKey`` before
any route runs; a route missing here is refused) and the tests (the OpenAPI document lists the same)."""

from __future__ import annotations

from dho.centre.access import Action

ROUTE_ACTIONS: dict[str, Action] = {
    "GET /openapi.json": Action.PUBLIC,
    "GET /worklist": Action.READ_WORKLIST,
    "GET /worklist/missed-measurements": Action.READ_WORKLIST,
    "POST /alerts/{tenant}/{alert_id}/acknowledge": Action.ACT_ON_ALERT,
    "POST /alerts/{tenant}/{alert_id}/close": Action.ACT_ON_ALERT,
    "POST /alerts/{tenant}/{alert_id}/snooze": Action.ACT_ON_ALERT,
    "GET /patients/{tenant}/{patient_id}": Action.READ_PATIENT,
    "GET /patients/{tenant}/{patient_id}/fhir": Action.READ_PATIENT,
    "GET /access-log/{tenant}/{patient_id}": Action.READ_ACCESS_LOG,
    "GET /patients/{tenant}/{patient_id}/series": Action.READ_PATIENT,
    "GET /patients/{tenant}/{patient_id}/plans": Action.READ_PATIENT,
    "GET /patients/{tenant}/{patient_id}/devices": Action.READ_PATIENT,
    "GET /patients/{tenant}/{patient_id}/alerts": Action.READ_PATIENT,
    "PUT /patients/{tenant}/{patient_id}/enrolment": Action.ENROL,
    "POST /patients/{tenant}/{patient_id}/discharge": Action.ENROL,
    "POST /patients/{tenant}/{patient_id}/devices/{device_id}/assign": Action.MANAGE_DEVICES,
    "POST /patients/{tenant}/{patient_id}/devices/{device_id}/unassign": Action.MANAGE_DEVICES,
    "PUT /patients/{tenant}/{patient_id}/plan": Action.EDIT_PLAN,
    "GET /caseload": Action.READ_CASELOAD,
    "POST /caseload/{tenant}/{patient_id}/reviewed": Action.REVIEW_CASELOAD,
    "GET /questionnaires": Action.READ_QUESTIONNAIRES,
    "GET /questionnaires/{questionnaire_id}": Action.READ_QUESTIONNAIRES,
}

PUBLIC_ROUTES = tuple(route for route, action in ROUTE_ACTIONS.items() if action is Action.PUBLIC)
