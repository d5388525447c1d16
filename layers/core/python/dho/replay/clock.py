"""A simulated wall clock for replays: it reads what the replay last set, and never goes back."""

from __future__ import annotations

from datetime import datetime

from dho.domain.clock import require_aware


class SimulatedClock:
    """Callable like :func:`dho.domain.clock.utc_now` (inject it wherever a service takes ``clock``)."""

    def __init__(self, start: datetime) -> None:
        self._now = require_aware(start)

    def __call__(self) -> datetime:
        return self._now

    def advance_to(self, moment: datetime) -> None:
        """Move to ``moment`` (a moment before the current time leaves the clock where it is)."""
        if require_aware(moment) > self._now:
            self._now = moment
