"""A response centre's API on the local cloud: the local HTTP API (routes and JWT authorizer from the
centre stack's template) in front of the centre_api function, with a local OIDC issuer playing the
issuer the template names (HelseID in production), and tokens for the demo users of the tenant file.

Entry point: :func:`running_centre_api` (the local cloud, the demo and the tests); :func:`demo_users` lists
who can log in locally (the centre's staff directory, from the tenant file) with the claims their HelseID
tokens carry. Given the built nurses' page (build/web), it is served too (``localcloud.web_host``), and the
demo users log in to it through the local issuer's authorization code flow.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from dho.centre.roles import HPR_CLAIM, ORG_CHILD_CLAIM
from localcloud.cloud_assembly import StackTemplate
from localcloud.http_api import JwtVerifier, LocalHttpApi, http_api_cors, http_api_routes, running_http_api
from localcloud.local_lambda import LocalFunction
from localcloud.oidc_issuer import LocalIssuer, running_issuer
from localcloud.web_host import (
    LOCAL_CLIENT_ID,
    LOCAL_POLL_SECONDS,
    LOCAL_SCOPE,
    LocalWebHost,
    local_headers,
    running_web_host,
    template_headers,
)

Invoke = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class LocalCentreApi:
    api: LocalHttpApi
    issuer: LocalIssuer
    audience: str
    users: dict[str, dict[str, Any]]
    environment: dict[str, str]  # the centre function's, as synthesized (its centre, tenants and staff)
    page: LocalWebHost | None = None  # the nurses' page, when it was built

    @property
    def url(self) -> str:
        return self.api.url

    @property
    def centre_id(self) -> str:
        return self.environment["DHO_CENTRE_ID"]

    @property
    def tenants(self) -> tuple[str, ...]:
        return tuple(sorted(json.loads(self.environment["DHO_CENTRE_TENANTS"])))

    @property
    def staff(self) -> dict[str, list[dict[str, Any]]]:
        """``hpr:<n>`` or ``sub:<s>`` → that person's roles (``DHO_STAFF``, from the tenant file)."""
        staff: dict[str, list[dict[str, Any]]] = json.loads(self.environment.get("DHO_STAFF", "{}"))
        return staff

    def token(self, user: str, **claims: Any) -> str:
        """A fresh access token for a demo user (``demo_users``), extra claims added."""
        return self.issuer.mint({**self.users[user], **claims}, audience=self.audience)


def function_environment(template: Mapping[str, Any]) -> dict[str, str]:
    """The centre function's environment as synthesized (its centre, tenants' tables and staff)."""
    (function,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    variables: dict[str, Any] = function["Properties"]["Environment"]["Variables"]
    return {name: value for name, value in variables.items() if isinstance(value, str)}


def demo_users(staff_json: str) -> dict[str, dict[str, Any]]:
    """``<role>-<n>`` → the claims of that person's token (``sub``, the HPR number, the organisation),
    for every entry of the centre's staff directory (``DHO_STAFF``, from the tenant file)."""
    users: dict[str, dict[str, Any]] = {}
    for key, assignments in sorted(json.loads(staff_json).items()):
        kind, _, value = key.partition(":")
        for assignment in assignments:
            role = assignment["role"]
            claims: dict[str, Any] = {"sub": value if kind == "sub" else f"demo-{role}-{value}"}
            if kind == "hpr":
                claims[HPR_CLAIM] = value
            if assignment.get("organisation"):
                claims[ORG_CHILD_CLAIM] = assignment["organisation"]
            number = 1 + sum(1 for name in users if name.startswith(f"{role}-"))
            users[f"{role}-{number}"] = claims
    return users


def one_at_a_time(invoke: Invoke) -> Invoke:
    """The function as Lambda runs it: one event at a time per execution environment. The HTTP server
    answers on many threads, and the handler keeps the request's caller in its module-level app's context
    (cleared at each event's start), which concurrent events in one module would overwrite."""
    lock = threading.Lock()

    def serial(event: dict[str, Any]) -> dict[str, Any]:
        with lock:
            return invoke(event)

    return serial


@contextmanager
def running_centre_api(
    template: Mapping[str, Any], invoke: Invoke, page_dir: Path | None = None
) -> Iterator[LocalCentreApi]:
    """The centre's API at a local URL, verifying tokens of a local issuer that plays the template's; with
    ``page_dir`` (build/web) the nurses' page too, its origin allowed by the API's CORS."""
    routes = http_api_routes(template)
    (authorizer,) = {r.authorizer for r in routes if r.authorizer is not None}
    with ExitStack() as stack:
        issuer = stack.enter_context(running_issuer(authorizer.issuer))
        verifier = JwtVerifier(lambda wanted: f"{issuer.url}/.well-known/openid-configuration"
                               if wanted == issuer.issuer else f"{wanted}/.well-known/openid-configuration")
        api = stack.enter_context(running_http_api(routes, one_at_a_time(invoke), verifier, http_api_cors(template)))
        environment = function_environment(template)
        users = demo_users(environment.get("DHO_STAFF", "{}"))
        local = LocalCentreApi(api, issuer, authorizer.audiences[0], users, environment)
        if page_dir is not None:
            local.page = stack.enter_context(_running_page(template, local, page_dir))
        yield local


@contextmanager
def _running_page(template: Mapping[str, Any], local: LocalCentreApi, page_dir: Path) -> Iterator[LocalWebHost]:
    headers = local_headers(template_headers(template), api_url=local.url, issuer=local.issuer.issuer,
                            local_issuer_url=local.issuer.url)
    config = {"apiUrl": local.url, "authority": local.issuer.url, "clientId": LOCAL_CLIENT_ID, "scope": LOCAL_SCOPE,
              "pollSeconds": LOCAL_POLL_SECONDS}
    with running_web_host(page_dir, headers, config) as page:
        local.issuer.register_client(LOCAL_CLIENT_ID, f"{page.url}/", local.users, local.audience)
        local.api.cors_origins.add(page.url)
        yield page


@contextmanager
def running_centre_apis(
    stacks: Iterable[StackTemplate], lambda_client: Any, log: TextIO | None = None, page_dir: Path | None = None
) -> Iterator[dict[str, LocalCentreApi]]:
    """Every centre API of a deployed cloud assembly (stacks with an HTTP API), by stack name, each in
    front of its function as deployed (the environment Lambda holds for it), with its page if built."""
    with ExitStack() as stack:
        apis: dict[str, LocalCentreApi] = {}
        for deployed in stacks:
            if not deployed.resources_of_type("AWS::ApiGatewayV2::Api"):
                continue
            (function,) = deployed.resources_of_type("AWS::Lambda::Function").values()
            name = function["Properties"]["FunctionName"]
            configuration = lambda_client.get_function_configuration(FunctionName=name)
            environment = dict(configuration.get("Environment", {}).get("Variables", {}))
            invoke = LocalFunction(name, "centre_api", environment, log=log)
            apis[deployed.stack_name] = stack.enter_context(running_centre_api(deployed.template, invoke, page_dir))
        yield apis
