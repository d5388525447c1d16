"""The local issuer's authorization code flow with PKCE (the nurses' page logs in through it): GIVEN a
registered client WHEN a demo user is picked THEN the code is exchanged once, with the right verifier, within
a minute, for an access token for the API and an ID token for the client; anything else is refused."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from localcloud.oidc_code_flow import FlowError
from localcloud.oidc_issuer import LocalIssuer

REDIRECT = "http://127.0.0.1:9999/"
VERIFIER = "v" * 64
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
NURSE = {"sub": "demo-nurse", "helseid://claims/hpr/hpr_number": "9100001"}


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def issuer(clock: Clock) -> LocalIssuer:
    local = LocalIssuer("https://helseid-sts.example", clock=clock)
    local.register_client("page", REDIRECT, {"centre_nurse-1": NURSE}, "dho:centre-api")
    return local


def _request(**overrides: str) -> dict[str, str]:
    return {"client_id": "page", "redirect_uri": REDIRECT, "response_type": "code", "scope": "openid profile",
            "state": "s-1", "nonce": "n-1", "code_challenge": CHALLENGE, "code_challenge_method": "S256",
            **overrides}


def _code(issuer: LocalIssuer, **overrides: str) -> str:
    location = issuer.code_flow.grant(_request(**overrides), "centre_nurse-1")
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(REDIRECT) and query["state"] == ["s-1"]
    return query["code"][0]


def _exchange(issuer: LocalIssuer, code: str, verifier: str = VERIFIER) -> dict[str, object]:
    return issuer.exchange({"grant_type": "authorization_code", "code": code, "client_id": "page",
                            "redirect_uri": REDIRECT, "code_verifier": verifier})


def test_a_code_and_its_verifier_give_an_api_token_and_an_id_token(issuer: LocalIssuer, clock: Clock) -> None:
    tokens = _exchange(issuer, _code(issuer))

    key = jwt.PyJWK(issuer.jwks["keys"][0]).key
    # The issuer's clock is simulated: check the signature and audience, and the expiry against that clock.
    options: jwt.types.Options = {"verify_exp": False, "verify_iat": False, "verify_nbf": False}
    access = jwt.decode(str(tokens["access_token"]), key, algorithms=["RS256"], audience="dho:centre-api",
                        options=options)
    identity = jwt.decode(str(tokens["id_token"]), key, algorithms=["RS256"], audience="page", options=options)
    assert access["helseid://claims/hpr/hpr_number"] == "9100001" and access["iss"] == "https://helseid-sts.example"
    assert identity["nonce"] == "n-1" and identity["sub"] == "demo-nurse"
    assert access["exp"] == clock.now + issuer.token_lifetime


def test_a_wrong_verifier_is_refused_and_spends_the_code(issuer: LocalIssuer) -> None:
    code = _code(issuer)

    with pytest.raises(FlowError) as wrong:
        _exchange(issuer, code, verifier="w" * 64)
    with pytest.raises(FlowError) as again:
        _exchange(issuer, code)

    assert (wrong.value.code, again.value.code) == ("invalid_grant", "invalid_grant")


def test_a_code_works_once(issuer: LocalIssuer) -> None:
    code = _code(issuer)
    _exchange(issuer, code)

    with pytest.raises(FlowError, match="unknown, used or expired"):
        _exchange(issuer, code)


def test_a_code_expires_after_a_minute(issuer: LocalIssuer, clock: Clock) -> None:
    code = _code(issuer)
    clock.now += 61

    with pytest.raises(FlowError, match="expired"):
        _exchange(issuer, code)


@pytest.mark.parametrize("overrides", [
    {"redirect_uri": "https://evil.example/"},
    {"client_id": "someone-else"},
    {"code_challenge_method": "plain"},
    {"code_challenge": ""},
    {"response_type": "token"},
])
def test_a_request_that_is_not_code_with_pkce_for_a_registered_client_gets_no_code(
    issuer: LocalIssuer, overrides: dict[str, str]
) -> None:
    with pytest.raises(FlowError):
        issuer.code_flow.grant(_request(**overrides), "centre_nurse-1")


def test_an_unknown_demo_user_gets_no_code(issuer: LocalIssuer) -> None:
    with pytest.raises(FlowError, match="no such demo user"):
        issuer.code_flow.grant(_request(), "someone")
