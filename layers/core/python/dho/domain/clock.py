"""Timestamps in one canonical form, so that stored keys sort in time order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

# The wall clock as services take it (``clock=``): :func:`utc_now` in production, a simulated clock in a
# replay (``dho.replay.clock``), a fixed one in tests. Decisions take their ``now`` as a parameter instead.
Clock = Callable[[], datetime]

# Fixed width (microseconds always present, always UTC 'Z'): lexicographic order == time order,
# which the DynamoDB sort keys rely on.
_CANONICAL_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def require_aware(moment: datetime) -> datetime:
    """``moment`` itself, if it has a time zone; a naive datetime is refused (which zone would it be?)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; give a time zone")
    return moment


def to_canonical(moment: datetime) -> str:
    """Render an aware datetime as fixed-width UTC text, e.g. ``2026-11-27T08:15:03.000000Z``."""
    return require_aware(moment).astimezone(UTC).strftime(_CANONICAL_FORMAT)


def from_canonical(text: str) -> datetime:
    """Inverse of :func:`to_canonical`."""
    return datetime.strptime(text, _CANONICAL_FORMAT).replace(tzinfo=UTC)


def from_epoch_millis(millis: int) -> datetime:
    return datetime.fromtimestamp(millis / 1000, tz=UTC)


def utc_now() -> datetime:
    return datetime.now(tz=UTC)
