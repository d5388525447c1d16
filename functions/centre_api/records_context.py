"""What the patient-record, enrolment and caseload routes share: their services (built once per
container from the environment), the clock, the verified caller and problem responses. The entry point
(handler.py) has authorized the caller for the route before any of these routes runs."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from dho.centre.caseload import CaseloadService
from dho.centre.enrolment_service import EnrolmentService
from dho.centre.problems import PROBLEM_JSON, problem_body
from dho.centre.records import PatientRecordsService
from dho.centre.roles import Caller
from dho.centre.wiring import build_records_service
from dho.domain.clock import utc_now
from dho.settings import CentreSettings

clock = utc_now  # the time of every access-log entry and change (tests set it)


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


def caller_of(router: APIGatewayHttpRouter) -> Caller:
    found: Caller = router.context["caller"]  # set by the entry point's access check
    return found


class PreconditionRequired(Exception):
    """A change of a versioned record without If-Match (428)."""


class BadIfMatch(Exception):
    """If-Match that is not a version (400)."""


_VERSION = re.compile(r'^(?:W/)?"?([0-9]{1,9})"?$')


def expected_version(if_match: str | None, what: str) -> int:
    """The version the caller saw, from If-Match (``"3"``, ``3`` or ``W/"3"``)."""
    if if_match is None:
        raise PreconditionRequired(f"send If-Match with the {what}'s version")
    match = _VERSION.fullmatch(if_match.strip())
    if match is None:
        raise BadIfMatch(f'If-Match must be the {what}\'s version, e.g. "3"')
    return int(match[1])


def problem(status: int, detail: str, headers: dict[str, str] | None = None, **extensions: Any) -> Response[str]:
    return Response(status, PROBLEM_JSON, problem_body(status, detail, **extensions), headers=headers)
