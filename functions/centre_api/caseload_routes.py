"""The caseload review's routes ("gjennomgang av brukerlister", centre nurses): every enrolled patient of
the centre's tenants with adherence, alerts and outcomes, plan age and review date, in pages; and marking
a patient reviewed (who, when, the next review date). Every row shown is access-logged first."""

from __future__ import annotations

from typing import Annotated

import records_context as ctx
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from dho.centre.caseload import CASELOAD_PAGE_MAX
from dho.centre.caseload_schemas import CaseloadOut, CaseloadRowOut, ReviewedIn
from dho.centre.enrolment_schemas import EnrolmentRecordOut
from dho.centre.enrolment_service import InvalidChange
from dho.centre.problems import READ_REFUSALS, documented

router = Router()  # type: ignore[no-untyped-call]

TENANT = r"[a-z][a-z0-9-]{1,28}[a-z0-9]"
TenantId = Annotated[str, Path(pattern=f"^{TENANT}$")]
PatientId = Annotated[str, Path(pattern=r"^P-[0-9A-Z]{4,32}$")]


@router.get("/caseload", summary="Every enrolled patient of the centre's tenants for the caseload review, in pages",
            responses=documented("A page of the caseload (each row's patient is in the access log)", *READ_REFUSALS))
def caseload(
    tenant: Annotated[str | None, Query(pattern=f"^{TENANT}$")] = None,
    limit: Annotated[int, Query(ge=1, le=CASELOAD_PAGE_MAX)] = 50,
    after: Annotated[str | None, Query(pattern=rf"^{TENANT}\|([0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}#P-[0-9A-Z]{{4,32}})?$",
                                       description="`next_page` of the page before")] = None,
) -> CaseloadOut:
    now = ctx.now_of(router)
    page = ctx.caseload_service().caseload(ctx.caller_of(router), now, tenant_id=tenant, limit=limit, after=after)
    names = ctx.tenant_names_of(router)
    return CaseloadOut(rows=[CaseloadRowOut.of(r, now, names) for r in page.rows], next_page=page.next_page)


@router.post("/caseload/<tenant>/<patient_id>/reviewed",
             summary="Record that the patient's follow-up was reviewed now, and when to review it next",
             responses=documented("The enrolment with the review recorded", *READ_REFUSALS, 404, 409))
def reviewed(tenant: TenantId, patient_id: PatientId, body: Annotated[ReviewedIn, Body()]) -> EnrolmentRecordOut:
    now = ctx.now_of(router)
    if body.next_review_on <= now.date():
        raise InvalidChange([{"location": "body/next_review_on", "problem": "the next review must be after today"}])
    enrolment = ctx.caseload_service().reviewed(ctx.caller_of(router), tenant, patient_id, body.next_review_on, now)
    return EnrolmentRecordOut.of_record(enrolment)
