"""Quarantined messages in memory, kept once per exact body and listed per arrival day in arrival order."""

from __future__ import annotations

from bisect import bisect_right, insort
from collections import Counter
from datetime import date, datetime, timedelta

from dho.domain.clock import to_canonical
from dho.domain.quarantine import (
    DEFAULT_PAGE_SIZE,
    DEFAULT_RETENTION,
    QuarantinedMessage,
    QuarantinePage,
    arrival_day,
)


class MemoryQuarantine:
    """:class:`~dho.ports.Quarantine`: the same bytes again are not kept twice (on whatever day)."""

    def __init__(self, retention: timedelta = DEFAULT_RETENTION) -> None:
        self._retention = retention
        self._messages: dict[str, QuarantinedMessage] = {}
        self._days: dict[date, list[tuple[str, str]]] = {}  # day -> sorted (page key, digest)
        self.reasons: Counter[str] = Counter()  # reason -> messages kept (for a replay's summary)

    def keep(self, message: QuarantinedMessage) -> bool:
        if message.digest in self._messages:
            return False
        self._messages[message.digest] = message
        key = f"{to_canonical(message.received_at)}#{message.digest}"  # the DynamoDB adapter's sort key
        insort(self._days.setdefault(arrival_day(message.received_at), []), (key, message.digest))
        self.reasons[message.reason.value] += 1
        return True

    def list_day(self, day: date, *, now: datetime, limit: int = DEFAULT_PAGE_SIZE,
                 after: str | None = None) -> QuarantinePage:
        keyed = self._days.get(day, [])
        start = 0 if after is None else bisect_right(keyed, (after, "\uffff"))
        page = keyed[start:start + limit]
        kept = tuple(m for m in (self._messages[digest] for _, digest in page)
                     if m.received_at + self._retention > now)
        more = start + limit < len(keyed)
        return QuarantinePage(kept, page[-1][0] if more and page else None)
