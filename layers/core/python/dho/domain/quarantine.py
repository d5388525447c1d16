"""A refused message, kept with its reason so nothing is lost and a person can look at it later."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from dho.domain.rejections import RejectionReason

# Fields that differ between two deliveries of the same device message (the IoT rule stamps the
# arrival time); leaving them out of the digest makes a replayed bad message land on the same record.
_ARRIVAL_FIELDS = ("received_at",)


def message_digest(body: str) -> str:
    """Identity of a message regardless of when it arrived."""
    canonical = body
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        document = None
    if isinstance(document, dict):
        for field in _ARRIVAL_FIELDS:
            document.pop(field, None)
        canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(canonical.encode("utf-8", errors="surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class QuarantinedMessage:
    digest: str
    body: str  # possibly cut to a bounded size; see ``body_truncated``
    body_truncated: bool
    reason: RejectionReason
    detail: str
    received_at: datetime
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
            body=body[:max_body_chars],
            body_truncated=len(body) > max_body_chars,
            reason=reason,
            detail=detail,
            received_at=received_at,
            device_id=device_id,
            reading_id=reading_id,
        )
