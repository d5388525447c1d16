"""GIVEN the centre API's routes THEN docs/openapi.json is the document generated from them (run
``python -m localcloud.openapi_document`` after changing a route), and it lists every route."""

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
