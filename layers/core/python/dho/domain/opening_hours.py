"""The response centre's opening hours (a day service): is it open at a moment, and when does
it open next. Local wall-clock times in the centre's time zone (Europe/Oslo), so the hours stay 08:00 to 15:30
across the change to and from summer time; the answers are instants (UTC). Pure: the moment is a parameter.

Helsehjelpa is a day service under the out-of-hours clinic (legevakt): while the centre is closed, a red
goes on the out-of-hours route and a yellow waits for the next opening (``dho.alerting.policy``).
"""

from __future__ import annotations

import tarfile
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dho.domain.clock import require_aware
from dho.domain.norwegian_holidays import is_public_holiday

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # datetime.weekday() order
WORKING_DAYS: tuple[Weekday, ...] = WEEKDAYS[:5]


class OpeningHours(BaseModel):
    """Open from ``opens`` (inclusive) to ``closes`` (exclusive), local time, on ``days`` (default
    Monday to Friday), except on Norwegian public holidays unless ``closed_on_public_holidays`` is false
    (``dho.domain.norwegian_holidays``). One interval a day, closing after opening (no overnight service)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    opens: time = time(8, 0)
    closes: time = time(15, 30)
    days: tuple[Weekday, ...] = Field(default=WORKING_DAYS, min_length=1, max_length=7)
    timezone: Literal["Europe/Oslo"] = "Europe/Oslo"
    closed_on_public_holidays: bool = True

    @model_validator(mode="after")
    def _one_interval_a_day(self) -> OpeningHours:
        if self.closes <= self.opens:
            raise ValueError(f"closes ({self.closes:%H:%M}) must be after opens ({self.opens:%H:%M})")
        if len(set(self.days)) != len(self.days):
            raise ValueError(f"days lists a day twice: {list(self.days)}")
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("opens and closes are local wall-clock times, without a UTC offset")
        time_zone(self.timezone)  # no time-zone database: fail when the settings are read (cold start)
        return self

    @property
    def zone(self) -> ZoneInfo:
        return time_zone(self.timezone)

    @property
    def _weekdays(self) -> frozenset[int]:
        return frozenset(WEEKDAYS.index(day) for day in self.days)

    def is_open(self, moment: datetime) -> bool:
        """Is the centre open at ``moment`` (an aware datetime)?"""
        local = require_aware(moment).astimezone(self.zone)
        return self._open_on(local.date()) and self.opens <= local.time() < self.closes

    def _open_on(self, day: date) -> bool:
        return day.weekday() in self._weekdays and not (self.closed_on_public_holidays and is_public_holiday(day))

    def next_opening(self, moment: datetime) -> datetime:
        """The first opening strictly after ``moment``, in UTC (if the centre is open at ``moment``, the
        opening of a later day). Opening at a wall-clock time that does not exist that day (inside the
        spring-forward gap) means the same offset as just before the gap, i.e. one hour later by the clock."""
        local = require_aware(moment).astimezone(self.zone)
        for ahead in range(22):  # three weeks: a one-day-a-week centre can lose two weeks to holidays
            day = local.date() + timedelta(days=ahead)
            if not self._open_on(day):
                continue
            opening = datetime.combine(day, self.opens, tzinfo=self.zone)
            if opening > moment:
                return opening.astimezone(UTC)
        raise AssertionError("unreachable: the centre opens on at least one day in any three weeks")


@cache
def time_zone(key: str) -> ZoneInfo:
    """The IANA zone from the system's time-zone database or the ``tzdata`` package, as ``zoneinfo``
    looks for it; if neither is there (AWS Lambda's Amazon Linux 2023 runtimes are not sure to ship one),
    from the copy of the database bundled with ``dateutil``, which botocore depends on (so it is in every
    Lambda Python runtime). Never a guess: without any database this raises."""
    try:
        return ZoneInfo(key)
    except ZoneInfoNotFoundError:
        return bundled_time_zone(key)


def bundled_time_zone(key: str) -> ZoneInfo:
    """``key`` from dateutil's bundled TZif files (read with ``zoneinfo``, so the same rules apply)."""
    from dateutil.zoneinfo import getzoneinfofile_stream  # type: ignore[import-untyped]  # no stubs here

    stream = getzoneinfofile_stream()
    if stream is None:
        raise ZoneInfoNotFoundError(f"no time-zone database here for {key!r}")
    with tarfile.open(fileobj=stream) as bundle:
        try:
            member = bundle.extractfile(key)
        except KeyError:
            member = None
        if member is None:
            raise ZoneInfoNotFoundError(f"no time zone {key!r} in dateutil's bundled database")
        return ZoneInfo.from_file(member, key=key)
