"""A refused message, kept with its reason so nothing is lost and a person can look at it later."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from dho.domain.rejections import RejectionReason

# A person reads a day's quarantine page by page; one page is one bounded DynamoDB query.
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
# How long a refused message is kept unless the tenant configures otherwise: its body may hold measured
# values, so it must not stay forever, yet someone has to have had the time to look at it.
DEFAULT_RETENTION = timedelta(days=90)


def received_bytes(body: str) -> bytes:
    """The message exactly as received: the UTF-8 encoding of the SQS body, before any parse. Lone
    surrogates (bytes that were not UTF-8) keep a form of their own, so two different bodies never give
    the same bytes."""
    return body.encode("utf-8", errors="surrogatepass")


def message_digest(body: str) -> str:
    """Identity of a message: SHA-256 of its received bytes. Only the very same bytes (an SQS redelivery,
    a redrive) give the same digest; bodies that a JSON parser would read alike (other whitespace, key
    order, a repeated key, a BOM, an escape) stay apart."""
    return hashlib.sha256(received_bytes(body)).hexdigest()


def arrival_day(received_at: datetime) -> date:
    """The UTC day a message arrived on: the partition its quarantine record is listed under."""
    return received_at.astimezone(UTC).date()


def _storable(text: str) -> str:
    """``text`` with every character UTF-8 cannot carry (a lone surrogate) written as its ``\\udcXX``
    escape: DynamoDB (and any log or export) takes valid Unicode only. The digest keeps the exact body."""
    return text.encode("utf-8", errors="backslashreplace").decode("utf-8")


@dataclass(frozen=True, slots=True)
class QuarantinedMessage:
    digest: str  # of the exact body (``message_digest``), before truncation and escaping
    body: str  # possibly cut to a bounded size (see ``body_truncated``); lone surrogates escaped
    body_truncated: bool
    reason: RejectionReason
    detail: str
    received_at: datetime  # arrival: orders the day's records and starts the retention
    device_id: str | None
    reading_id: str | None

    @classmethod
    def of(
        cls,
        body: str,
        reason: RejectionReason,
        detail: str,
        *,
        received_at: datetime,
        device_id: str | None = None,
        reading_id: str | None = None,
        max_body_chars: int = 16_384,
    ) -> QuarantinedMessage:
        return cls(
            digest=message_digest(body),
            body=_storable(body[:max_body_chars]),
            body_truncated=len(body) > max_body_chars,
            reason=reason,
            detail=detail,
            received_at=received_at,
            device_id=device_id,
            reading_id=reading_id,
        )


@dataclass(frozen=True, slots=True)
class QuarantinePage:
    """One bounded page of a day's quarantined messages, in arrival order."""

    messages: tuple[QuarantinedMessage, ...]
    next_page: str | None  # give it back as ``after`` to read on; None when the day has no more
