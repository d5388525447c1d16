"""POST /alerts/{tenant}/{alert_id}/snooze: a centre nurse snoozes an alert (If-Match, bounded per
severity; a worsening breaks through: ``dho.alerting.policy``). Included by handler.py, whose entry point
has authorized the caller and put the caller, the centre service and the request's time in the context."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path

from dho.centre.if_match import etag, expected_version
from dho.centre.problems import ACT_REFUSALS, ALERT_ACTED, PROBLEM_JSON, documented, problem_body
from dho.centre.schemas import AlertOut, SnoozeIn
from dho.centre.service import CentreService, SnoozeAlert
from dho.domain.alerts import SnoozeRefused

router = Router()  # type: ignore[no-untyped-call]

TenantId = Annotated[str, Path(pattern=r"^[a-z][a-z0-9-]{1,28}[a-z0-9]$")]
AlertId = Annotated[str, Path(pattern=r"^A-[0-9a-f]{6,64}$")]
IfMatch = Annotated[str | None, Header(alias="if-match", description='the alert version seen, e.g. "3"')]


@router.post(
    "/alerts/<tenant>/<alert_id>/snooze",
    summary="Snooze an alert: no repeat or escalation until it wakes; a worsening breaks through",
    responses=documented("The alert as snoozed", *ACT_REFUSALS, ok_response=ALERT_ACTED),
)
def snooze(
    tenant: TenantId, alert_id: AlertId, body: Annotated[SnoozeIn, Body()], if_match: IfMatch = None
) -> Response[AlertOut]:
    centre: CentreService = router.context["centre"]
    action = SnoozeAlert(body.until, body.minutes, body.note or None)
    alert = centre.act(router.context["caller"], tenant, alert_id, expected_version(if_match), action,
                       router.context["now"])
    return Response(200, "application/json", AlertOut.of(tenant, alert), headers={"ETag": etag(alert.version)})


@router.exception_handler(SnoozeRefused)  # type: ignore[untyped-decorator]
def _refused(error: SnoozeRefused) -> Response[str]:
    return Response(422, PROBLEM_JSON, problem_body(422, str(error)))
