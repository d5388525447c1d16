"""What an export asks for (validated with pydantic; nothing is read before) and who asks: the requester
comes from the verified token (``dho.centre``), never from the request."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

# A pseudonymous patient id (``dho.domain.identifiers.new_patient_id``): "P-" and capitals/digits. It can
# never be mistaken for an 11-digit national id, so a caller who sends one is refused, not served.
PATIENT_ID_PATTERN = r"^P-[0-9A-Z]{4,32}$"
# HPR-nummer (Helsepersonellregisteret): a number of up to nine digits.
HPR_PATTERN = r"^[1-9][0-9]{3,8}$"
DEFAULT_MAX_PERIOD = timedelta(days=90)


class Requester(BaseModel):
    """The health worker who asks, from their verified token (HelseID): HPR number, role, organisation."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    hpr: str = Field(pattern=HPR_PATTERN, description="HPR number of the health worker")
    role: str = Field(min_length=1, max_length=64, description="e.g. fastlege, sykepleier")
    organisation: str = Field(min_length=1, max_length=128, description="organisation number or HER-id")


class ExportRequest(BaseModel):
    """``since``/``until``: measured-time window [since, until), ISO-8601 with a time zone, at most
    the tenant's maximum period long (90 days by default). It names no requester: a field that tries
    (``requested_by``) is refused as unknown."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    patient_id: str = Field(pattern=PATIENT_ID_PATTERN)
    since: AwareDatetime
    until: AwareDatetime

    @field_validator("since", "until", mode="before")
    @classmethod
    def _iso_text(cls, value: Any) -> Any:
        # pydantic would also take a number (epoch seconds): the contract is ISO-8601 text.
        if not isinstance(value, str):
            raise ValueError("must be an ISO-8601 date-time with a time zone, e.g. 2026-11-01T00:00:00Z")
        return value

    @model_validator(mode="after")
    def _bounded_period(self, info: ValidationInfo) -> ExportRequest:
        max_period = (info.context or {}).get("max_period", DEFAULT_MAX_PERIOD)
        if self.until <= self.since:
            raise ValueError("until must be later than since")
        if self.until - self.since > max_period:
            raise ValueError(f"the period may be at most {max_period.days} days long")
        return self

    @classmethod
    def from_event(cls, event: Any, *, max_period: timedelta = DEFAULT_MAX_PERIOD) -> ExportRequest:
        return cls.model_validate(event, context={"max_period": max_period})


def problems_of(invalid: ValidationError) -> list[str]:
    """One line per error, naming the field and the rule, never the value that was sent."""
    return [f"{'.'.join(str(p) for p in error['loc']) or 'request'}: {error['msg']}" for error in invalid.errors()]


def usable(raw: Any, path: tuple[str, ...], *, pattern: str | None = None, max_length: int = 128) -> str | None:
    """A field of an invalid request, for its access-log entry: the text if it is a string (and
    matches ``pattern``, if given), cut to ``max_length``; None otherwise."""
    value = raw
    for name in path:
        if not isinstance(value, dict):
            return None
        value = value.get(name)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if pattern is not None and re.fullmatch(pattern, text) is None:
        return None
    return text[:max_length]


def period_of(raw: Any) -> tuple[datetime | None, datetime | None]:
    """The period of an invalid request, where its bounds are readable (for the access log)."""
    bounds: list[datetime | None] = []
    for name in ("since", "until"):
        text = usable(raw, (name,), max_length=64)
        try:
            moment = None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            moment = None
        bounds.append(moment if moment is not None and moment.tzinfo is not None else None)
    return bounds[0], bounds[1]
