"""A response centre's API on the local cloud: the local HTTP API (routes and JWT authorizer from the
centre stack's template) in front of the centre_api function, with a local OIDC issuer playing the
issuer the template names (HelseID in production), and tokens for the demo users of the tenant file.

Entry point: :func:`running_centre_api` (the local cloud, the demo and the tests); :func:`demo_users` lists
who can log in locally (the centre's staff directory, from the tenant file) with the claims their HelseID
tokens carry.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, TextIO

from dho.centre.roles import HPR_CLAIM, ORG_CHILD_CLAIM
from localcloud.cloud_assembly import StackTemplate
from localcloud.http_api import JwtVerifier, LocalHttpApi, http_api_routes, running_http_api
from localcloud.local_lambda import LocalFunction
from localcloud.oidc_issuer import LocalIssuer, running_issuer

Invoke = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class LocalCentreApi:
    api: LocalHttpApi
    issuer: LocalIssuer
    audience: str
    users: dict[str, dict[str, Any]]
    environment: dict[str, str]  # the centre function's, as synthesized (its centre, tenants and staff)

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


@contextmanager
def running_centre_api(template: Mapping[str, Any], invoke: Invoke) -> Iterator[LocalCentreApi]:
    """The centre's API at a local URL, verifying tokens of a local issuer that plays the template's."""
    routes = http_api_routes(template)
    (authorizer,) = {r.authorizer for r in routes if r.authorizer is not None}
    with ExitStack() as stack:
        issuer = stack.enter_context(running_issuer(authorizer.issuer))
        verifier = JwtVerifier(lambda wanted: f"{issuer.url}/.well-known/openid-configuration"
                               if wanted == issuer.issuer else f"{wanted}/.well-known/openid-configuration")
        api = stack.enter_context(running_http_api(routes, invoke, verifier))
        environment = function_environment(template)
        users = demo_users(environment.get("DHO_STAFF", "{}"))
        yield LocalCentreApi(api, issuer, authorizer.audiences[0], users, environment)


@contextmanager
def running_centre_apis(
    stacks: Iterable[StackTemplate], lambda_client: Any, log: TextIO | None = None
) -> Iterator[dict[str, LocalCentreApi]]:
    """Every centre API of a deployed cloud assembly (stacks with an HTTP API), by stack name, each in
    front of its function as deployed (the environment Lambda holds for it)."""
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
            apis[deployed.stack_name] = stack.enter_context(running_centre_api(deployed.template, invoke))
        yield apis
