"""What the patient-record, enrolment and caseload routes share: their services (built once per
container from the environment), the clock, the verified caller and problem responses. The entry point
(handler.py) has authorized the caller for the route before any of these routes runs."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from dho.centre.problems import PROBLEM_JSON, problem_body
from dho.centre.records import PatientRecordsService
from dho.centre.roles import Caller
from dho.centre.wiring import build_records_service
from dho.domain.clock import utc_now
from dho.settings import CentreSettings

clock = utc_now  # the time of every access-log entry and change (tests set it)


@cache
def records_service() -> PatientRecordsService:
    return build_records_service(CentreSettings())  # fields come from the environment


def caller_of(router: APIGatewayHttpRouter) -> Caller:
    found: Caller = router.context["caller"]  # set by the entry point's access check
    return found


def problem(status: int, detail: str, headers: dict[str, str] | None = None, **extensions: Any) -> Response[str]:
    return Response(status, PROBLEM_JSON, problem_body(status, detail, **extensions), headers=headers)
