"""A centre's API running over HTTP on the local cloud for integration tests: the synthesized centre stack's
routes and JWT authorizer, the centre_api function on the moto server's tables, and a plain HTTP client."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from infra.app import centre_stack_name
from infra.config import PlatformConfig
from localcloud.centre_api import LocalCentreApi, function_environment, running_centre_api
from localcloud.local_lambda import LocalFunction
from localcloud.tenant_table import create_access_log_table, create_tenant_table


@dataclass(frozen=True)
class CentreOnMoto:
    api: LocalCentreApi
    dynamodb: Any
    tenants: dict[str, dict[str, str]]  # tenant id -> table_name, access_log_table_name

    def token(self, role: str) -> str:
        return self.api.token(next(name for name in self.api.users if name.startswith(role)))


@contextmanager
def centre_api_on_moto(
    moto_endpoint: str, templates: dict[str, dict[str, Any]], platform_config: PlatformConfig,
    page_dir: Path | None = None,
) -> Iterator[CentreOnMoto]:
    """The first centre of the tenant file (salten, serving bodo), its tenants' tables created if missing;
    with ``page_dir`` (build/web) its nurses' page too."""
    centre = platform_config.centres[0]
    template = templates[centre_stack_name(centre.centre_id)]
    environment = function_environment(template)
    tenants: dict[str, dict[str, str]] = json.loads(environment["DHO_CENTRE_TENANTS"])
    dynamodb = boto3.client("dynamodb", endpoint_url=moto_endpoint)
    existing = set(dynamodb.list_tables()["TableNames"])
    for tenant in tenants.values():
        if tenant["table_name"] not in existing:
            create_tenant_table(dynamodb, tenant["table_name"])
            create_access_log_table(dynamodb, tenant["access_log_table_name"])
    function = LocalFunction(f"dho-centre-{centre.centre_id}-centre-api", "centre_api",
                             {**environment, "AWS_ENDPOINT_URL": moto_endpoint})
    with running_centre_api(template, function, page_dir) as api:
        yield CentreOnMoto(api, dynamodb, tenants)


def http_call(api: LocalCentreApi, method: str, path: str, token: str | None, *,
              headers: dict[str, str] | None = None, body: Any = None) -> tuple[int, dict[str, str], Any]:
    """(status, headers, JSON body) of one request, errors included."""
    request = urllib.request.Request(f"{api.url}{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode())
    for name, value in {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}.items():
        request.add_header(name, value)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers.items()), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), json.loads(error.read() or b"null")
