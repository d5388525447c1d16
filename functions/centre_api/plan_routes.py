"""The self-management plan's route: a new version by the calling clinician (centre nurse, HPR number
from the token), with why; If-Match on the current version (stale: 409; a retry of a change that went
through answers with that version). The problem handlers of conflicts and invalid changes are the
enrolment routes' (exception handlers are the app's, whichever router declares them); If-Match's are the
entry point's."""

from __future__ import annotations

from typing import Annotated

import records_context as ctx
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path

from dho.centre.enrolment_schemas import PlanChangeIn
from dho.centre.problems import ACT_REFUSALS, documented
from dho.centre.record_schemas import PlanVersionOut

router = Router()  # type: ignore[no-untyped-call]

TenantId = Annotated[str, Path(pattern=r"^[a-z][a-z0-9-]{1,28}[a-z0-9]$")]
PatientId = Annotated[str, Path(pattern=r"^P-[0-9A-Z]{4,32}$")]
IfMatch = Annotated[str | None, Header(alias="if-match", description='the plan version seen, e.g. "3"')]


@router.put("/patients/<tenant>/<patient_id>/plan", summary="A new version of the self-management plan",
            responses=documented("The new version; ETag: its number", *ACT_REFUSALS))
def revise_plan(
    tenant: TenantId, patient_id: PatientId, body: Annotated[PlanChangeIn, Body()], if_match: IfMatch = None
) -> Response[PlanVersionOut]:
    expected = ctx.expected_version(if_match, "plan")
    plan = ctx.enrolment_service().revise_plan(ctx.caller_of(router), tenant, patient_id, expected, body.changes(),
                                               body.note, ctx.now_of(router))
    version = PlanVersionOut(version=plan.version, changed_by=plan.changed_by, changed_at=plan.changed_at,
                             change_note=plan.change_note, plan=plan)
    return Response(200, "application/json", version, headers={"ETag": f'"{plan.version}"'})
