"""centre_api: the response centre's HTTP API (API Gateway HTTP API, JWT authorizer) over the tenants
that named the centre: the worklist, acting on alerts, the patient view, the access log, /openapi.json.

The gateway has verified the token; this entry point then builds the caller from its claims and runs the
access policy for the event's route (``dho.centre.routes.ROUTE_ACTIONS``) before any route body runs: a
refused request reaches no route and reads nothing. Errors are problem details (RFC 9457). Logs carry
the route, the status and counts only: no patient id, name, HPR number or value.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Annotated, Any, TypeVar, cast

import caseload_routes
import enrolment_routes
import patient_records
import plan_routes
import questionnaire_routes
from alert_snooze import router as snooze_router
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import AwareDatetime

from dho.centre.access import Action, Forbidden, authorize
from dho.centre.if_match import BadPrecondition, PreconditionRequired, etag, expected_version
from dho.centre.problems import (
    ACT_REFUSALS,
    ALERT_ACTED,
    PROBLEM_JSON,
    READ_REFUSALS,
    documented,
    problem_body,
    validation_problems,
)
from dho.centre.roles import Caller, NotAuthenticated, StaffDirectory, caller_from_claims
from dho.centre.routes import ROUTE_ACTIONS
from dho.centre.schemas import AccessEntryOut, AccessLogOut, AlertOut, CloseIn, PatientOut, WorklistOut, WorklistRowOut
from dho.centre.service import (
    ACCESS_LOG_MAX_PERIOD,
    AccessNotRecorded,
    CentreService,
    CloseAlert,
    NotFound,
    StaleVersion,
    Worklist,
)
from dho.centre.wiring import build_centre_service, build_staff_directory
from dho.domain.access_log import AccessOutcome
from dho.domain.alerts import CloseReason
from dho.domain.clock import utc_now
from dho.ports import TransientStoreError
from dho.settings import CentreSettings

logger = Logger()
tracer = Tracer()
app = APIGatewayHttpResolver(enable_validation=True)
app.include_router(snooze_router)
app.include_router(patient_records.router)
app.include_router(enrolment_routes.router)
app.include_router(plan_routes.router)
app.include_router(caseload_routes.router)
app.include_router(questionnaire_routes.router)
_Handler = TypeVar("_Handler", bound=Callable[..., Any])
clock = utc_now  # the time of every access-log entry and nurse action (tests set it)

TenantId = Annotated[str, Path(pattern=r"^[a-z][a-z0-9-]{1,28}[a-z0-9]$")]
PatientId = Annotated[str, Path(pattern=r"^P-[0-9A-Z]{4,32}$")]
AlertId = Annotated[str, Path(pattern=r"^A-[0-9a-f]{6,64}$")]
IfMatch = Annotated[str | None, Header(alias="if-match", description='the alert version seen, e.g. "3"')]


@cache
def settings() -> CentreSettings:
    return CentreSettings()  # fields come from the environment


@cache
def centre_service() -> CentreService:
    return build_centre_service(settings())


@cache
def staff_directory() -> StaffDirectory:
    return build_staff_directory(settings())


def _worklist_out(found: Worklist) -> WorklistOut:
    names = tenant_names()
    rows = [WorklistRowOut.of_row(r, names) for r in found.rows]
    return WorklistOut(rows=rows, truncated_tenants=list(found.truncated))


def tenant_names() -> dict[str, str]:
    """Tenant id -> the municipality's name (the tenant file's), for the rows the users read."""
    return {tenant_id: tenant.name for tenant_id, tenant in settings().centre_tenants.items()}


def caller() -> Caller:
    found: Caller = app.context["caller"]
    return found


# ---- routes (each runs only after the access policy let the caller in) -----------------------------

_BUNDLE: OpenAPIResponse = {"description": "A FHIR R4B Bundle of the period; X-Access-Id: its access-log entry",
                            "content": {"application/fhir+json": {"schema": {"type": "object"}}}}


@app.get("/openapi.json", include_in_schema=False)
def openapi() -> Response[str]:
    return Response(200, "application/json", app.get_openapi_json_schema(title="DHO centre API", version="1"))


@app.get("/worklist", summary="Open alerts of the centre's tenants: red before yellow, oldest first",
         responses=documented("The worklist (each row's patient is in the access log)", *READ_REFUSALS))
def worklist(
    tenant: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9-]{1,28}[a-z0-9]$")] = None,
    programme: Annotated[str | None, Query(pattern=r"^[a-z_]{2,32}$")] = None,
) -> WorklistOut:
    found = centre_service().worklist(caller(), clock(), tenant_id=tenant, programme=programme)
    return _worklist_out(found)


@app.get("/worklist/missed-measurements", summary="Today's missed measurements (a list of their own)",
         responses=documented("The missed measurements", *READ_REFUSALS))
def missed_measurements(
    tenant: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9-]{1,28}[a-z0-9]$")] = None,
) -> WorklistOut:
    found = centre_service().worklist(caller(), clock(), tenant_id=tenant, missed_measurements=True)
    return _worklist_out(found)


@app.post("/alerts/<tenant>/<alert_id>/acknowledge", summary="Acknowledge an alert (stops its escalation)",
          responses=documented("The alert as acknowledged", *ACT_REFUSALS, ok_response=ALERT_ACTED))
def acknowledge(tenant: TenantId, alert_id: AlertId, if_match: IfMatch = None) -> Response[AlertOut]:
    alert = centre_service().act(caller(), tenant, alert_id, expected_version(if_match), None, clock())
    return _alert_response(tenant, AlertOut.of(tenant, alert))


@app.post("/alerts/<tenant>/<alert_id>/close", summary="Close an alert with a coded outcome and a note",
          responses=documented("The alert as closed", *ACT_REFUSALS, ok_response=ALERT_ACTED))
def close(
    tenant: TenantId, alert_id: AlertId, body: Annotated[CloseIn, Body()], if_match: IfMatch = None
) -> Response[AlertOut]:
    action = CloseAlert(CloseReason(body.outcome), body.note or None)
    alert = centre_service().act(caller(), tenant, alert_id, expected_version(if_match), action, clock())
    return _alert_response(tenant, AlertOut.of(tenant, alert))


@app.get("/patients/<tenant>/<patient_id>", summary="The patient view: enrolment, open alerts, recent readings",
         responses=documented("The patient view", *READ_REFUSALS, 404))
def patient(tenant: TenantId, patient_id: PatientId) -> PatientOut:
    return PatientOut.of(centre_service().patient(caller(), tenant, patient_id, clock()), tenant_names())


@app.get("/patients/<tenant>/<patient_id>/fhir", summary="The patient's data as a FHIR R4B Bundle (a period)",
         responses=documented("", *READ_REFUSALS, 404, 413, 500, ok_response=_BUNDLE))
def fhir_export(tenant: TenantId, patient_id: PatientId, since: AwareDatetime, until: AwareDatetime) -> Response[str]:
    result = centre_service().fhir_export(caller(), tenant, patient_id, since, until, clock())
    status = _EXPORT_STATUS[result.outcome]
    headers = {"X-Access-Id": result.access_id}
    if status != 200:  # the OperationOutcome's issue says why, never a value
        issues = [str(issue.get("diagnostics", "")) for issue in result.resource.get("issue", [])]
        return _problem(status, "; ".join(issues) or result.outcome.value, headers=headers)
    return Response(200, "application/fhir+json", json.dumps(result.resource, separators=(",", ":")), headers=headers)


_EXPORT_STATUS = {
    AccessOutcome.EXPORTED: 200, AccessOutcome.REFUSED: 422, AccessOutcome.NOT_FOUND: 404,
    AccessOutcome.TOO_LARGE: 413, AccessOutcome.FAILED: 500,
}


@app.get("/access-log/<tenant>/<patient_id>", summary="Who accessed the patient in a period (privacy officer)",
         responses=documented("Who accessed the patient, newest first", 400, *READ_REFUSALS))
def access_log(tenant: TenantId, patient_id: PatientId, since: AwareDatetime, until: AwareDatetime) -> AccessLogOut:
    if not since < until <= since + ACCESS_LOG_MAX_PERIOD:
        raise _BadRequest(f"since must be before until, at most {ACCESS_LOG_MAX_PERIOD.days} days apart")
    records = centre_service().access_log(caller(), tenant, patient_id, since, until, clock())
    return AccessLogOut(patient_id=patient_id, entries=[AccessEntryOut.of(r) for r in records])


# ---- errors: problem details -----------------------------------------------------------------------


class _BadRequest(Exception):
    pass


def _alert_response(tenant: str, alert: AlertOut) -> Response[AlertOut]:
    return Response(200, "application/json", alert, headers={"ETag": etag(alert.version)})


# Powertools' decorator is untyped: this keeps the handlers' signatures for mypy.
_on = cast(Callable[[type[Exception]], Callable[[_Handler], _Handler]], app.exception_handler)


def _problem(status: int, detail: str, headers: dict[str, str] | None = None, **extensions: Any) -> Response[str]:
    return Response(status, PROBLEM_JSON, problem_body(status, detail, **extensions), headers=headers)


@_on(RequestValidationError)
def _invalid(error: RequestValidationError) -> Response[str]:
    return _problem(422, "the request is not valid", errors=validation_problems(error.errors()))


@_on(_BadRequest)
@_on(BadPrecondition)
def _bad_request(error: Exception) -> Response[str]:
    return _problem(400, str(error))


@_on(PreconditionRequired)
def _precondition_required(error: PreconditionRequired) -> Response[str]:
    return _problem(428, str(error))


@_on(NotFound)
def _not_found(error: NotFound) -> Response[str]:
    return _problem(404, "no such resource here, or not one you may see")


@_on(StaleVersion)
def _stale(error: StaleVersion) -> Response[str]:
    current = error.current
    return _problem(409, f"{error}: reload it and decide again", headers={"ETag": etag(current.version)},
                    current_version=current.version, current_state=current.state.value)


@_on(AccessNotRecorded)
def _not_recorded(error: AccessNotRecorded) -> Response[str]:
    return _problem(503, "the access could not be recorded, so nothing is returned: try again",
                    headers={"Retry-After": "1"})


@_on(TransientStoreError)
def _unavailable(error: TransientStoreError) -> Response[str]:
    return _problem(503, "the store is busy: try again", headers={"Retry-After": "1"})


# ---- entry point: identity and the access policy, before any route ---------------------------------


def _gate(event: dict[str, Any]) -> Response[str] | None:
    """The caller and the access policy for the event's route; a refusal, or None to go on."""
    action = ROUTE_ACTIONS.get(str(event.get("routeKey")))
    if action is None:
        return _problem(404, "no such route")
    tenant = (event.get("pathParameters") or {}).get("tenant")
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("jwt", {}).get("claims")
    try:
        if action is Action.PUBLIC:
            return None
        if not isinstance(claims, dict):
            raise NotAuthenticated("no verified token")
        who = caller_from_claims(claims, staff_directory())
        authorize(who, action, tenant, frozenset(settings().centre_tenants))
    except NotAuthenticated:
        return _problem(401, "a valid token is required")
    except Forbidden as refused:
        return _problem(403, str(refused))
    # What a route module (a Router included at the top) needs, without importing this module.
    app.context.update(caller=who, centre=centre_service(), now=clock(), tenant_names=tenant_names())
    return None


@logger.inject_lambda_context(log_event=False)  # the event names patients and carries the token's claims
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    app.context.clear()  # a warm container serves many callers: never carry one over
    refusal = _gate(event)
    response = app.resolve(event, context) if refusal is None else _as_proxy_response(refusal)
    logger.info("centre api", extra={"route": event.get("routeKey"), "status": response.get("statusCode")})
    return response


def _as_proxy_response(refusal: Response[str]) -> dict[str, Any]:
    return {"statusCode": refusal.status_code, "headers": {"Content-Type": PROBLEM_JSON, **(refusal.headers or {})},
            "body": refusal.body, "isBase64Encoded": False}


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of the routes (``/openapi.json`` serves the same; docs/openapi.json is it)."""
    document: dict[str, Any] = json.loads(app.get_openapi_json_schema(title="DHO centre API", version="1"))
    return document
