"""Tenant configuration: the file an operator edits to add a municipality, validated before any synth.

A validation error is reported as ``tenant 'bodo': nurses[0].phone: ...`` so the operator sees which
tenant and which field to fix, not a pydantic stack trace.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import Counter
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from dho.domain.plans import Programme  # the one vocabulary of programmes
from dho.domain.quarantine import DEFAULT_RETENTION as DEFAULT_QUARANTINE_RETENTION

DEFAULT_CONFIG_FILE = Path(__file__).with_name("tenants.toml")

# Regions inside the EEA only (Normen: patient data stays in the EEA). London and Zurich are not EEA.
EEA_REGIONS = ("eu-north-1", "eu-west-1", "eu-west-3", "eu-central-1", "eu-south-1", "eu-south-2")

# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

Severity = Literal["red", "yellow"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

# Lowercase ASCII slug: it becomes part of MQTT topics, resource names and IAM ARNs.
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,28}[a-z0-9]$")]
E164Phone = Annotated[str, StringConstraints(pattern=r"^\+[1-9][0-9]{7,14}$")]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$", max_length=254)]
MunicipalityNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]
ClockTime = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
# HPR-nummer (Helsepersonellregisteret) and a Norwegian organisation number (Enhetsregisteret, 9 digits).
HprNumber = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]{3,8}$")]
OrganisationNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{9}$")]
# The centre API's roles (dho.centre.roles.Role): the nurses' at a centre, the others' per tenant.
CentreRole = Literal["centre_nurse"]
TenantRole = Literal["gp", "hospital_nurse", "tenant_admin", "privacy_officer"]
# The escalation tiers (0 centre nurses, 1 second nurse, 2 out-of-hours clinic): the functions' policy has
# three (``AlertPolicySettings.from_tenant_policy``), and out of hours a red goes straight to the last.
OUT_OF_HOURS_TIER = 2


class ConfigError(ValueError):
    """The tenant configuration is invalid; the message names the tenant and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AlertChannels(_Strict):
    """Which alert severities reach a nurse by which channel (SMS must stay free of health data)."""

    sms: tuple[Severity, ...] = ("red",)
    email: tuple[Severity, ...] = ("red", "yellow")


class Nurse(_Strict):
    # A stable key, not a name: it becomes a construct id, so changing a phone number keeps the key.
    key: Slug
    phone: E164Phone | None = None
    email: Email | None = None
    alerts: AlertChannels = AlertChannels()
    # The escalation tier from which on this contact is told (README, alerts): 0 the response centre's nurses
    # (every alert), 1 the second nurse, 2 the out-of-hours clinic (legevakt), who hear of an
    # unacknowledged red only when it escalates that far, and of every red while the centre is closed (an
    # out-of-hours red is always at the last tier, 2). Yellow alerts never leave tier 0.
    first_tier: int = Field(default=0, ge=0, le=OUT_OF_HOURS_TIER)

    @model_validator(mode="after")
    def _channels_have_addresses(self) -> Nurse:
        if self.alerts.sms and self.phone is None:
            raise ValueError("alerts.sms is set but the nurse has no phone")
        if self.alerts.email and self.email is None:
            raise ValueError("alerts.email is set but the nurse has no email")
        if self.first_tier > 0 and "yellow" in (*self.alerts.sms, *self.alerts.email):
            raise ValueError("yellow alerts are never escalated: a contact from first_tier 1 on would never get them")
        return self


class ResponseCentre(_Strict):
    """The centre and its opening hours (local time in ``timezone``, summer time included): open from
    ``opens`` to ``closes`` on ``days`` (default Monday to Friday; closed on Norwegian public holidays unless
    ``closed_on_public_holidays`` is false; no overnight service). Outside
    them a red goes to the out-of-hours route (the ``first_tier = 2`` contacts) and a yellow waits for the
    next opening (README "Scoring and alerts"). The hours reach the functions in ``DHO_ALERT_POLICY``."""

    name: str = Field(min_length=2, max_length=100)
    timezone: Literal["Europe/Oslo"] = "Europe/Oslo"
    opens: ClockTime = "08:00"
    closes: ClockTime = "15:30"
    days: tuple[Weekday, ...] = Field(default=("mon", "tue", "wed", "thu", "fri"), min_length=1, max_length=7)
    closed_on_public_holidays: bool = True

    @model_validator(mode="after")
    def _closes_after_it_opens(self) -> ResponseCentre:
        if self.closes <= self.opens:  # HH:MM, zero-padded: text order is time order
            raise ValueError(f"closes ({self.closes}) must be after opens ({self.opens}) on the same day")
        if duplicates := sorted(d for d, count in Counter(self.days).items() if count > 1):
            raise ValueError(f"days lists {duplicates} twice")
        return self


def has_out_of_hours_contact(nurses: tuple[Nurse, ...]) -> bool:
    """Someone at the out-of-hours clinic (first_tier 2) gets reds by SMS: then the centre's contacts are
    spared the out-of-hours route. Without one, they keep getting out-of-hours reds themselves (nobody
    else would be told)."""
    return any("red" in n.alerts.sms and n.first_tier == OUT_OF_HOURS_TIER for n in nurses)


class Escalation(_Strict):
    """Alert escalation defaults (red repeats until acknowledged, at most 3 loops)."""

    red_repeat_minutes: int = Field(default=15, ge=5, le=60)
    second_nurse_after_minutes: int = Field(default=15, ge=5, le=120)
    acknowledged_retrigger_minutes: int = Field(default=30, ge=10, le=240)
    max_loops: int = Field(default=3, ge=1, le=5)
    # Readings older than this in the queue delay alerts: an operator alarm fires.
    max_reading_delay_minutes: int = Field(default=5, ge=1, le=60)


class Retention(_Strict):
    log_days: int = 365
    backup_days: int = Field(default=35, ge=7, le=3650)
    # Refused messages may hold measured values: the table's TTL deletes each this long after it arrived.
    quarantine_days: int = Field(default=DEFAULT_QUARANTINE_RETENTION.days, ge=1, le=3650)

    @model_validator(mode="after")
    def _log_days_supported(self) -> Retention:
        if self.log_days not in LOG_RETENTION_DAYS:
            raise ValueError(f"log_days must be one of {LOG_RETENTION_DAYS}, got {self.log_days}")
        return self


class StaffMember(_Strict):
    """One person's role, keyed by the HPR number from their HelseID token (health workers), or by the
    token's ``sub`` for staff without one (an administrator, the privacy officer). Never by a name."""

    hpr: HprNumber | None = None
    subject: str | None = Field(default=None, min_length=1, max_length=128)

    @model_validator(mode="after")
    def _one_key(self) -> StaffMember:
        if (self.hpr is None) == (self.subject is None):
            raise ValueError("give exactly one of hpr and subject")
        return self

    @property
    def key(self) -> str:
        return f"hpr:{self.hpr}" if self.hpr is not None else f"sub:{self.subject}"


class CentreStaff(StaffMember):
    role: CentreRole


class TenantStaff(StaffMember):
    role: TenantRole
    # A hospital nurse sees the patients enrolled in a collaboration with this hospital (its org number).
    organisation: OrganisationNumber | None = None

    @model_validator(mode="after")
    def _role_needs(self) -> TenantStaff:
        if self.role == "gp" and self.hpr is None:
            raise ValueError("a gp is known by an hpr number (the patients' GP is recorded by it)")
        if (self.role == "hospital_nurse") != (self.organisation is not None):
            raise ValueError("organisation is given for a hospital_nurse, and only for one")
        return self


def _distinct_staff(staff: tuple[StaffMember, ...]) -> None:
    keys = Counter(member.key for member in staff)
    if duplicates := sorted(k for k, count in keys.items() if count > 1):
        raise ValueError(f"staff lists {duplicates} twice (one role per person and place)")


class Centre(_Strict):
    """A response centre serving one or more tenants (a host-municipality agreement). Each served
    tenant names the centre too (``centre`` in its block): both sides must agree, so a centre never
    sees a tenant that has not named it. The centre has one API; its nurses are listed here."""

    centre_id: Slug
    name: str = Field(min_length=2, max_length=100)
    tenants: tuple[Slug, ...] = Field(min_length=1, max_length=20)
    staff: tuple[CentreStaff, ...] = Field(default=(), max_length=200)

    @model_validator(mode="after")
    def _check_centre(self) -> Centre:
        if duplicates := sorted(t for t, count in Counter(self.tenants).items() if count > 1):
            raise ValueError(f"tenants lists {duplicates} twice")
        _distinct_staff(self.staff)
        return self


class Tenant(_Strict):
    tenant_id: Slug
    name: str = Field(min_length=2, max_length=100)
    municipality_numbers: tuple[MunicipalityNumber, ...] = Field(min_length=1)
    region: str = "eu-north-1"
    programmes: tuple[Programme, ...] = Field(min_length=1)
    response_centre: ResponseCentre
    nurses: tuple[Nurse, ...] = Field(min_length=1)
    escalation: Escalation = Escalation()
    retention: Retention = Retention()
    # Function concurrency reserved for this tenant: one noisy tenant cannot starve another.
    reserved_concurrency: int = Field(default=5, ge=2, le=100)
    # The shared response centre that handles this tenant's patients ([[centres]] lists the tenant too).
    centre: Slug | None = None
    # GPs, hospital nurses, administrators and privacy officers of this tenant (the centre API's roles).
    staff: tuple[TenantStaff, ...] = Field(default=(), max_length=200)
    # The language of the advice sent to the patients' devices: bokmål (nb) or nynorsk (nn).
    advice_language: Literal["nb", "nn"] = "nb"
    # The account's IoT Core data endpoint in the tenant's region (``aws iot describe-endpoint --endpoint-type
    # iot:Data-ATS``, as https://…); unset: boto3's default resolution (the emulator's, locally).
    iot_data_endpoint: str | None = Field(default=None, pattern=r"^https://[a-z0-9.-]+$")

    @model_validator(mode="after")
    def _check_tenant(self) -> Tenant:
        if self.region not in EEA_REGIONS:
            raise ValueError(f"region {self.region!r} is outside the EEA; use one of {EEA_REGIONS}")
        keys = [n.key for n in self.nurses]
        if duplicates := sorted(k for k, count in Counter(keys).items() if count > 1):
            raise ValueError(f"duplicate nurse keys {duplicates}")
        if not any("red" in n.alerts.sms and n.first_tier == 0 for n in self.nurses):
            raise ValueError("no nurse receives red alerts by SMS at once (first_tier 0)")
        _distinct_staff(self.staff)
        return self

    @property
    def has_out_of_hours_contact(self) -> bool:
        return has_out_of_hours_contact(self.nurses)

    def alert_policy_json(self) -> str:
        """What the function needs to decide on alerts; no phone numbers or e-mail addresses."""
        return json.dumps(
            {
                "programmes": list(self.programmes),
                "response_centre": self.response_centre.model_dump(exclude={"name"}),
                "escalation": self.escalation.model_dump(),
            },
            sort_keys=True,
            separators=(",", ":"),
        )


class Operations(_Strict):
    """Who receives the platform's operational alarms (no patient data in them)."""

    alarm_emails: tuple[Email, ...] = Field(min_length=1)
    # The account's SNS SMS spend limit (MonthlySpendLimit, USD; AWS's default is 1): SNS stops sending SMS
    # to the nurses once the month's spend reaches it. Keep this equal to the account's setting: the
    # operators are warned at 80 % of it (infra/constructs/notification_alarms.py).
    sms_monthly_spend_limit_usd: float = Field(default=1.0, gt=0, le=1_000_000)


class Identity(_Strict):
    """The OpenID Connect issuer whose tokens the centre APIs accept (the gateway's JWT authorizer
    checks issuer, audience, signature and expiry). In production HelseID."""

    issuer: Annotated[str, StringConstraints(pattern=r"^https://[^\s/]+(/[^\s]*)?$")] = "https://helseid-sts.nhn.no"
    audience: str = Field(default="dho:centre-api", min_length=1, max_length=200)
    # The nurses' page logs in as this public client (authorization code + PKCE) with these scopes.
    web_client_id: str = Field(default="dho-centre-web", pattern=r"^[A-Za-z0-9:._-]{1,100}$")
    web_scope: str = Field(default="openid profile", pattern=r"^openid( [A-Za-z0-9:/._-]+)*$", max_length=500)


class PlatformConfig(_Strict):
    operations: Operations
    identity: Identity = Identity()
    tenants: tuple[Tenant, ...] = Field(min_length=1)
    centres: tuple[Centre, ...] = ()

    @model_validator(mode="after")
    def _tenants_are_distinct(self) -> PlatformConfig:
        ids = Counter(t.tenant_id for t in self.tenants)
        if duplicates := sorted(i for i, count in ids.items() if count > 1):
            raise ValueError(f"duplicate tenant ids {duplicates}")
        owners: dict[str, str] = {}
        for tenant in self.tenants:
            for number in tenant.municipality_numbers:
                if number in owners and owners[number] != tenant.tenant_id:
                    raise ValueError(
                        f"municipality number {number} belongs to both {owners[number]!r} and {tenant.tenant_id!r}"
                    )
                owners[number] = tenant.tenant_id
        self._check_centres()
        return self

    def _check_centres(self) -> None:
        """Both sides agree: a centre lists exactly the tenants that name it, in one region."""
        if duplicates := sorted(c for c, n in Counter(c.centre_id for c in self.centres).items() if n > 1):
            raise ValueError(f"duplicate centre ids {duplicates}")
        tenants = {t.tenant_id: t for t in self.tenants}
        centres = {c.centre_id: c for c in self.centres}
        for centre in self.centres:
            for tenant_id in centre.tenants:
                if tenant_id not in tenants:
                    raise ValueError(f"centre {centre.centre_id!r} lists tenant {tenant_id!r}, which does not exist")
                named = tenants[tenant_id].centre
                if named != centre.centre_id:
                    raise ValueError(
                        f"centre {centre.centre_id!r} lists tenant {tenant_id!r}, but that tenant names "
                        f"{'no centre' if named is None else repr(named)}"
                    )
            regions = sorted({tenants[t].region for t in centre.tenants})
            if len(regions) > 1:
                raise ValueError(f"centre {centre.centre_id!r} serves tenants in several regions {regions}")
        for tenant in self.tenants:
            if tenant.centre is None:
                continue
            if tenant.centre not in centres:
                raise ValueError(f"tenant {tenant.tenant_id!r} names centre {tenant.centre!r}, which does not exist")
            if tenant.tenant_id not in centres[tenant.centre].tenants:
                raise ValueError(
                    f"tenant {tenant.tenant_id!r} names centre {tenant.centre!r}, which does not list it"
                )

    @property
    def regions(self) -> tuple[str, ...]:
        return tuple(sorted({t.region for t in self.tenants}))

    def served_tenants(self, centre: Centre) -> tuple[Tenant, ...]:
        """The tenants a centre serves (each has named it), in the centre's order."""
        by_id = {t.tenant_id: t for t in self.tenants}
        return tuple(by_id[t] for t in centre.tenants)

    def staff_assignments(self, centre: Centre) -> dict[str, list[dict[str, Any]]]:
        """The role assignments the centre's API knows (``dho.centre.roles.StaffDirectory``): its own
        nurses for every tenant it serves, and each served tenant's staff for that tenant only."""
        entries: dict[str, list[dict[str, Any]]] = {}
        for member in centre.staff:
            entries.setdefault(member.key, []).append({"role": member.role, "tenants": list(centre.tenants)})
        for tenant in self.served_tenants(centre):
            for staff in tenant.staff:
                entry: dict[str, Any] = {"role": staff.role, "tenants": [tenant.tenant_id]}
                if staff.organisation is not None:
                    entry["organisation"] = staff.organisation
                entries.setdefault(staff.key, []).append(entry)
        return entries


def load_config(path: Path = DEFAULT_CONFIG_FILE) -> PlatformConfig:
    """Read and validate the tenant file; raise ConfigError with one readable line per problem."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: cannot read the tenant configuration: {error}") from error
    try:
        return PlatformConfig.model_validate(raw)
    except ValidationError as error:
        problems = error.errors()
        lines = [_describe(problem, raw) for problem in problems if not _is_echo(problem, problems)]
        raise ConfigError(f"{path}: invalid tenant configuration:\n  " + "\n  ".join(lines)) from error


def _is_echo(problem: Any, problems: list[Any]) -> bool:
    """pydantic adds "too short" for a list whose items failed; the item errors already say it all."""
    location = tuple(problem["loc"])
    return problem["type"] == "too_short" and any(
        len(other["loc"]) > len(location) and tuple(other["loc"][: len(location)]) == location for other in problems
    )


def _describe(problem: Any, raw: dict[str, Any]) -> str:
    """Turn a pydantic error location into ``tenant 'bodo': nurses[1].phone: <message>``."""
    location = list(problem["loc"])
    subject = "config"
    if len(location) >= 2 and location[0] == "tenants" and isinstance(location[1], int):
        index = location[1]
        entries = raw.get("tenants") or []
        entry = entries[index] if index < len(entries) and isinstance(entries[index], dict) else {}
        subject = f"tenant {entry.get('tenant_id', f'#{index + 1}')!r}"
        location = location[2:]
    field = ""
    for part in location:
        # pydantic names union/constraint branches (e.g. "str", "function-after[...]"): not fields.
        if isinstance(part, int):
            field += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(part)) and part not in {"str", "int"}:
            field += f".{part}" if field else str(part)
    message = problem["msg"].removeprefix("Value error, ")
    if problem["type"] == "string_pattern_mismatch":
        name = next((part for part in reversed(location) if isinstance(part, str)), "")
        message = f"{problem['input']!r} is not valid here ({_PATTERN_HINTS.get(name, 'see docs/infra.md')})"
    return f"{subject}: {field or '(top level)'}: {message}"


_PATTERN_HINTS = {
    "phone": "E.164, e.g. +4791234567",
    "email": "an e-mail address",
    "tenant_id": "lowercase ASCII slug, e.g. bodo",
    "key": "lowercase ASCII slug",
    "municipality_numbers": "four-digit kommunenummer, e.g. 1804",
    "opens": "HH:MM",
    "closes": "HH:MM",
    "hpr": "HPR number, 4 to 9 digits",
    "organisation": "nine-digit organisation number",
    "centre_id": "lowercase ASCII slug, e.g. salten",
    "centre": "lowercase ASCII slug, e.g. salten",
}
