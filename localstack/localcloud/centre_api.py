"""A response centre's API on the local cloud: the local HTTP API (routes and JWT authorizer from the
centre stack's template) in front of the centre_api function, with a local OIDC issuer playing the
issuer the template names (HelseID in production), and tokens for the demo users of the tenant file.

Entry point: :func:`running_centre_api` (the demo and the tests); :func:`demo_users` lists who can log
in locally (the staff entries of the centre and its tenants) with the claims their HelseID tokens carry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from dho.centre.roles import HPR_CLAIM, ORG_CHILD_CLAIM
from infra.config import Centre, PlatformConfig
from localcloud.http_api import JwtVerifier, LocalHttpApi, http_api_routes, running_http_api
from localcloud.oidc_issuer import LocalIssuer, running_issuer

Invoke = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class LocalCentreApi:
    api: LocalHttpApi
    issuer: LocalIssuer
    audience: str
    users: dict[str, dict[str, Any]]

    @property
    def url(self) -> str:
        return self.api.url

    def token(self, user: str, **claims: Any) -> str:
        """A fresh access token for a demo user (``demo_users``), extra claims added."""
        return self.issuer.mint({**self.users[user], **claims}, audience=self.audience)


def function_environment(template: Mapping[str, Any]) -> dict[str, str]:
    """The centre function's environment as synthesized (its centre, tenants' tables and staff)."""
    (function,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    variables: dict[str, Any] = function["Properties"]["Environment"]["Variables"]
    return {name: value for name, value in variables.items() if isinstance(value, str)}


def demo_users(config: PlatformConfig, centre: Centre) -> dict[str, dict[str, Any]]:
    """``<role>-<n>`` → the claims of that person's token (``sub``, the HPR number, the organisation)."""
    users: dict[str, dict[str, Any]] = {}
    members: list[tuple[str, Any]] = [(m.role, m) for m in centre.staff]
    members += [(s.role, s) for t in config.served_tenants(centre) for s in t.staff]
    for role, member in members:
        claims: dict[str, Any] = {"sub": member.subject or f"demo-{role}-{member.hpr}"}
        if member.hpr is not None:
            claims[HPR_CLAIM] = member.hpr
        if getattr(member, "organisation", None) is not None:
            claims[ORG_CHILD_CLAIM] = member.organisation
        users[f"{role}-{sum(1 for name in users if name.startswith(role + '-')) + 1}"] = claims
    return users


@contextmanager
def running_centre_api(
    config: PlatformConfig, centre: Centre, template: Mapping[str, Any], invoke: Invoke
) -> Iterator[LocalCentreApi]:
    """The centre's API at a local URL, verifying tokens of a local issuer that plays the template's."""
    routes = http_api_routes(template)
    (authorizer,) = {r.authorizer for r in routes if r.authorizer is not None}
    with ExitStack() as stack:
        issuer = stack.enter_context(running_issuer(authorizer.issuer))
        verifier = JwtVerifier(lambda wanted: f"{issuer.url}/.well-known/openid-configuration"
                               if wanted == issuer.issuer else f"{wanted}/.well-known/openid-configuration")
        api = stack.enter_context(running_http_api(routes, invoke, verifier))
        yield LocalCentreApi(api, issuer, authorizer.audiences[0], demo_users(config, centre))
