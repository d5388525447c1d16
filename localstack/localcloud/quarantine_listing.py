"""Read back what the local cloud quarantined, for the demos and tests: the records of the given days,
page by page through the bounded ``list_day``, up to a cap (no listing without a bound, here either)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from dho.domain.quarantine import QuarantinedMessage
from dho.ports import Quarantine


def days_between(start: datetime, end: datetime) -> list[date]:
    """The UTC days from ``start``'s to ``end``'s, both included: where records that arrived then are."""
    first, last = start.astimezone(UTC).date(), end.astimezone(UTC).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def quarantined_on(quarantine: Quarantine, days: Iterable[date], *, now: datetime, at_most: int,
                   page_size: int = 100) -> list[QuarantinedMessage]:
    """The records of ``days`` still kept at ``now``, each day in arrival order; raises if there are more
    than ``at_most``."""
    messages: list[QuarantinedMessage] = []
    for day in days:
        after: str | None = None
        while True:
            page = quarantine.list_day(day, now=now, limit=page_size, after=after)
            messages.extend(page.messages)
            if len(messages) > at_most:
                raise ValueError(f"more than {at_most} quarantined messages")
            if page.next_page is None:
                break
            after = page.next_page
    return messages
