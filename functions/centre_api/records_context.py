"""What the patient-record, enrolment and caseload routes share: their services (built once per
container from the environment), the verified caller and the request's time (the entry point, handler.py,
puts both in the context after authorizing the caller, before any route runs) and problem responses."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from dho.centre.caseload import CaseloadService
from dho.centre.enrolment_service import EnrolmentService
from dho.centre.if_match import BadPrecondition, PreconditionRequired
from dho.centre.problems import PROBLEM_JSON, problem_body
from dho.centre.records import PatientRecordsService
from dho.centre.roles import Caller
from dho.centre.wiring import build_records_service
from dho.settings import CentreSettings


@cache
def settings() -> CentreSettings:
    return CentreSettings()  # fields come from the environment


@cache
def records_service() -> PatientRecordsService:
    return build_records_service(settings(), PatientRecordsService)


@cache
def enrolment_service() -> EnrolmentService:
    return build_records_service(settings(), EnrolmentService)


@cache
def caseload_service() -> CaseloadService:
    return build_records_service(settings(), CaseloadService)


def caller_of(router: Router) -> Caller:
    found: Caller = router.context["caller"]  # set by the entry point's access check
    return found


def tenant_names_of(router: Router) -> dict[str, str]:
    found: dict[str, str] = router.context["tenant_names"]  # set by the entry point from its settings
    return found


def now_of(router: Router) -> datetime:
    found: datetime = router.context["now"]  # the request's time: access-log entries and changes carry it
    return found


_VERSION = re.compile(r'^(?:W/)?"?([0-9]{1,9})"?$')


def expected_version(if_match: str | None, what: str) -> int:
    """The version the caller saw, from If-Match (``"3"``, ``3`` or ``W/"3"``; ``"0"``: none yet)."""
    if if_match is None:
        raise PreconditionRequired(f"send If-Match with the {what}'s version")
    match = _VERSION.fullmatch(if_match.strip())
    if match is None:
        raise BadPrecondition(f'If-Match must be the {what}\'s version, e.g. "3"')
    return int(match[1])


def problem(status: int, detail: str, headers: dict[str, str] | None = None, **extensions: Any) -> Response[str]:
    return Response(status, PROBLEM_JSON, problem_body(status, detail, **extensions), headers=headers)
