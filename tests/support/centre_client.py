"""Calls the centre_api handler as API Gateway would: an HTTP API v2 event with the route key, the path
parameters and the verified claims, on a :class:`~tests.support.centre_fakes.FakeCentre`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest

from dho.centre.routes import ROUTE_ACTIONS
from dho.settings import CentreSettings, CentreTenant
from localcloud.http_api_event import http_api_event, match_route
from localcloud.lambda_loader import FakeLambdaContext, load_handler
from tests.support.centre_fakes import CENTRE, DIRECTORY, NOW, SERVED, TENANT_NAMES, FakeCentre


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", self.headers.get("content-type", ""))


_HANDLER: list[ModuleType] = []  # loaded once per test session: importing Powertools' OpenAPI is slow


class HandlerClient:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, centre: FakeCentre) -> None:
        if not _HANDLER:
            _HANDLER.append(load_handler("centre_api"))
        self.handler = _HANDLER[0]
        service = centre.service()
        settings = CentreSettings(centre_id=CENTRE, centre_tenants={
            t: CentreTenant(name=TENANT_NAMES[t], table_name=f"dho-{t}", access_log_table_name=f"dho-{t}-access-log")
            for t in SERVED})
        monkeypatch.setattr(self.handler, "centre_service", lambda: service)
        monkeypatch.setattr(self.handler, "staff_directory", lambda: DIRECTORY)
        monkeypatch.setattr(self.handler, "settings", lambda: settings)
        monkeypatch.setattr(self.handler, "clock", lambda: NOW)
        records = centre.records_service()
        context = self.handler.patient_records.ctx  # what the route modules share: their services
        monkeypatch.setattr(context, "records_service", lambda: records)
        enrolment = centre.enrolment_service()
        monkeypatch.setattr(context, "enrolment_service", lambda: enrolment)
        caseload = centre.caseload_service()
        monkeypatch.setattr(context, "caseload_service", lambda: caseload)

    def call(self, method: str, path: str, claims: dict[str, Any] | None, *, query: str = "",
             headers: dict[str, str] | None = None, body: Any = None) -> Answer:
        route_key, parameters = _route(method, path)
        event = http_api_event(method, path, route_key=route_key, path_parameters=parameters, query=query,
                               headers={"content-type": "application/json", **(headers or {})},
                               body=None if body is None else json.dumps(body), claims=claims)
        response = self.handler.lambda_handler(event, FakeLambdaContext())
        text = response.get("body") or ""
        return Answer(response["statusCode"], dict(response.get("headers") or {}), json.loads(text) if text else None)


def _route(method: str, path: str) -> tuple[str, dict[str, str]]:
    for route_key in ROUTE_ACTIONS:
        route_method, route_path = route_key.split(" ", 1)
        parameters = match_route(route_path, path)
        if route_method == method and parameters is not None:
            return route_key, parameters
    raise AssertionError(f"no route for {method} {path}")
