"""The verified caller and the platform's own roles.

API Gateway has verified the OpenID Connect token (issuer, audience, signature, expiry) before the
function runs; it passes the token's claims in ``requestContext.authorizer.jwt.claims``. Identity comes
from those claims only (HelseID: the HPR number in ``helseid://claims/hpr/hpr_number``, the organisation
number in the client's claims), never from a request body. The role is the platform's own: looked up in
the centre's staff directory (the tenant file's ``staff`` entries, keyed by HPR number or ``sub``).
The national id claim (``helseid://claims/identity/pid``) is never read or stored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

HPR_CLAIM = "helseid://claims/hpr/hpr_number"
# HelseID puts the organisation numbers in the client's claims: the sub-unit (child) when there is one.
ORG_CHILD_CLAIM = "helseid://claims/client/claims/orgnr_child"
ORG_PARENT_CLAIM = "helseid://claims/client/claims/orgnr_parent"
_HPR = re.compile(r"^[1-9][0-9]{3,8}$")
_ORG = re.compile(r"^[0-9]{9}$")


class Role(StrEnum):
    CENTRE_NURSE = "centre_nurse"  # everything about the patients of the tenants the centre serves
    GP = "gp"  # read-only, own patients (registered with the GP's HPR number)
    HOSPITAL_NURSE = "hospital_nurse"  # read-only, patients enrolled in a collaboration with the hospital
    TENANT_ADMIN = "tenant_admin"  # enrolment, devices, nurses on duty
    PRIVACY_OFFICER = "privacy_officer"  # the access log


class NotAuthenticated(Exception):
    """The claims do not identify anyone (no ``sub``): the gateway should have refused the request."""


@dataclass(frozen=True, slots=True)
class Assignment:
    """One role of one person: at the centre (``tenants`` = every tenant it serves) or in one tenant."""

    role: Role
    tenants: frozenset[str]
    organisation: str | None = None  # the hospital of a hospital nurse


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling, as verified by the gateway, with the platform roles the directory gives them."""

    subject: str
    hpr: str | None
    organisation: str | None
    assignments: tuple[Assignment, ...]

    def roles_in(self, tenant_id: str) -> tuple[Assignment, ...]:
        return tuple(a for a in self.assignments if tenant_id in a.tenants)

    def has(self, role: Role, tenant_id: str) -> Assignment | None:
        return next((a for a in self.roles_in(tenant_id) if a.role is role), None)

    @property
    def tenants(self) -> frozenset[str]:
        return frozenset().union(*(a.tenants for a in self.assignments))

    @property
    def role_names(self) -> str:
        """For the access log: the roles this request could act under (usually one)."""
        return ",".join(sorted({a.role.value for a in self.assignments})) or "none"


class StaffDirectory:
    """Role assignments of one centre and the tenants it serves, from the deployment's configuration
    (``infra.config``: ``[[centres.staff]]`` and ``[[tenants.staff]]``), keyed ``hpr:<n>`` or ``sub:<s>``."""

    def __init__(self, entries: Mapping[str, tuple[Assignment, ...]]) -> None:
        self._entries = dict(entries)

    @classmethod
    def from_json(cls, text: str) -> StaffDirectory:
        """``{"hpr:9100001": [{"role": "centre_nurse", "tenants": ["bodo"]}], ...}`` (DHO_STAFF)."""
        raw: dict[str, list[dict[str, Any]]] = json.loads(text)
        return cls({
            key: tuple(
                Assignment(Role(a["role"]), frozenset(a["tenants"]), a.get("organisation")) for a in assignments
            )
            for key, assignments in raw.items()
        })

    def assignments(self, *, subject: str, hpr: str | None) -> tuple[Assignment, ...]:
        found = self._entries.get(f"sub:{subject}", ())
        if hpr is not None:
            found = (*self._entries.get(f"hpr:{hpr}", ()), *found)
        return found


def caller_from_claims(claims: Mapping[str, Any], directory: StaffDirectory) -> Caller:
    """The caller from the verified claims. Claims that do not look like an HPR or organisation number
    are ignored (treated as absent), so a malformed token can never widen anyone's access."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise NotAuthenticated("the token has no subject")
    hpr = _matching(claims.get(HPR_CLAIM), _HPR)
    organisation = _matching(claims.get(ORG_CHILD_CLAIM), _ORG) or _matching(claims.get(ORG_PARENT_CLAIM), _ORG)
    assignments = directory.assignments(subject=subject, hpr=hpr)
    # A hospital nurse acts for their hospital only: the token's organisation must be the one assigned.
    usable = tuple(
        a for a in assignments if a.role is not Role.HOSPITAL_NURSE or a.organisation == organisation
    )
    return Caller(subject=subject, hpr=hpr, organisation=organisation, assignments=usable)


def _matching(value: Any, pattern: re.Pattern[str]) -> str | None:
    # API Gateway passes claim values as strings; a number in the token arrives as its text.
    text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None
    return text if text is not None and pattern.fullmatch(text) else None
