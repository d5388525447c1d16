"""The response centre's opening hours in Europe/Oslo: open or not at a moment, and the next opening,
across weekends and the changes to and from summer time."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfoNotFoundError

import pytest
from pydantic import ValidationError

from dho.domain.alerts import AlertPolicySettings
from dho.domain.opening_hours import OpeningHours, bundled_time_zone

HOURS = OpeningHours()  # 08:00 to 15:30, Monday to Friday


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_the_defaults_are_a_weekday_day_service() -> None:
    assert (HOURS.opens, HOURS.closes, HOURS.days) == (time(8), time(15, 30), ("mon", "tue", "wed", "thu", "fri"))


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (utc(2026, 11, 20, 6, 59), False),  # Friday 07:59 in Oslo (UTC+1)
        (utc(2026, 11, 20, 7, 0), True),  # 08:00: opening is inclusive
        (utc(2026, 11, 20, 14, 29), True),  # 15:29
        (utc(2026, 11, 20, 14, 30), False),  # 15:30: closing is exclusive
        (utc(2026, 11, 21, 10, 0), False),  # Saturday 11:00
        (utc(2026, 11, 22, 10, 0), False),  # Sunday
    ],
)
def test_open_in_oslo_time_on_working_days(moment: datetime, is_open: bool) -> None:
    assert HOURS.is_open(moment) is is_open


def test_friday_evening_opens_next_on_monday_morning() -> None:
    friday_evening = utc(2026, 11, 20, 19, 0)  # 20:00 in Oslo
    assert HOURS.next_opening(friday_evening) == utc(2026, 11, 23, 7, 0)  # Monday 08:00 (UTC+1)
    assert HOURS.next_opening(utc(2026, 11, 23, 6, 0)) == utc(2026, 11, 23, 7, 0)  # Monday 07:00: the same day
    assert HOURS.next_opening(utc(2026, 11, 23, 7, 0)) == utc(2026, 11, 24, 7, 0)  # open now: the next day's
    assert HOURS.next_opening(utc(2026, 11, 20, 7, 0)) == utc(2026, 11, 23, 7, 0)  # a Friday's next is Monday


def test_the_weekend_summer_time_starts_monday_opens_at_08_local_one_hour_earlier_in_utc() -> None:
    friday = utc(2026, 3, 27, 7, 0)  # 08:00 CET (UTC+1)
    assert HOURS.is_open(friday) and not HOURS.is_open(utc(2026, 3, 27, 6, 59))
    # Sunday 29 March 2026, 02:00 → 03:00
    monday = HOURS.next_opening(utc(2026, 3, 27, 15, 0))
    assert monday == utc(2026, 3, 30, 6, 0)  # 08:00 CEST (UTC+2)
    assert HOURS.is_open(utc(2026, 3, 30, 6, 0)) and not HOURS.is_open(utc(2026, 3, 30, 5, 59))
    assert HOURS.is_open(utc(2026, 3, 30, 13, 29)) and not HOURS.is_open(utc(2026, 3, 30, 13, 30))


def test_the_weekend_summer_time_ends_monday_opens_at_08_local_one_hour_later_in_utc() -> None:
    # Sunday 25 October 2026, 03:00 → 02:00
    assert HOURS.next_opening(utc(2026, 10, 23, 14, 0)) == utc(2026, 10, 26, 7, 0)  # 08:00 CET
    assert not HOURS.is_open(utc(2026, 10, 26, 6, 30))  # 07:30 local: it was open at this UTC time on Friday
    assert HOURS.is_open(utc(2026, 10, 23, 6, 30))


def test_a_centre_open_on_the_sunday_of_the_change_opens_at_its_local_time() -> None:
    every_day = OpeningHours(days=("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    assert every_day.next_opening(utc(2026, 3, 28, 20, 0)) == utc(2026, 3, 29, 6, 0)  # Sunday 08:00 CEST
    assert every_day.next_opening(utc(2026, 10, 24, 20, 0)) == utc(2026, 10, 25, 7, 0)  # Sunday 08:00 CET
    # Opening at a time the spring-forward night skips: at the offset before the gap (03:30 CEST)
    night = OpeningHours(opens=time(2, 30), closes=time(6, 0), days=("sun",))
    assert night.next_opening(utc(2026, 3, 28, 20, 0)) == utc(2026, 3, 29, 1, 30)


def test_days_other_than_the_defaults() -> None:
    weekend_too = OpeningHours(opens=time(9), closes=time(14), days=("sat", "sun", "mon"))
    assert weekend_too.is_open(utc(2026, 11, 21, 9, 0))  # Saturday 10:00
    assert not weekend_too.is_open(utc(2026, 11, 24, 9, 0))  # Tuesday
    assert weekend_too.next_opening(utc(2026, 11, 23, 14, 0)) == utc(2026, 11, 28, 8, 0)  # Mon 15:00 → Sat 09:00


def test_hours_that_close_before_they_open_or_name_a_day_twice_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"closes .* must be after opens"):
        OpeningHours(opens=time(16), closes=time(8))
    with pytest.raises(ValidationError, match=r"closes .* must be after opens"):
        OpeningHours(opens=time(8), closes=time(8))
    with pytest.raises(ValidationError, match="twice"):
        OpeningHours(days=("mon", "mon"))
    with pytest.raises(ValidationError):
        OpeningHours(days=())
    with pytest.raises(ValueError, match="naive"):
        HOURS.is_open(datetime(2026, 11, 20, 9, 0))


def test_the_tenant_policy_json_gives_the_hours_and_without_them_the_centre_never_closes() -> None:
    text = (
        '{"escalation": {}, "response_centre": {"opens": "07:30", "closes": "15:00", "timezone": "Europe/Oslo",'
        ' "days": ["mon", "wed"]}}'
    )
    hours = AlertPolicySettings.from_tenant_policy(text).opening_hours
    assert hours == OpeningHours(opens=time(7, 30), closes=time(15), days=("mon", "wed"))
    assert AlertPolicySettings.from_tenant_policy('{"response_centre": {}}').opening_hours == HOURS
    assert AlertPolicySettings.from_tenant_policy("{}").opening_hours is None
    assert AlertPolicySettings().opening_hours is None


def test_without_a_system_time_zone_database_the_bundled_copy_gives_the_same_oslo_time() -> None:
    bundled = bundled_time_zone("Europe/Oslo")
    for moment in (utc(2026, 3, 29, 0, 59), utc(2026, 3, 29, 1, 0), utc(2026, 10, 25, 0, 59), utc(2026, 10, 25, 1, 0),
                   utc(2026, 11, 20, 19, 0), utc(2026, 7, 1, 12, 0)):
        assert moment.astimezone(bundled).utcoffset() == moment.astimezone(HOURS.zone).utcoffset()
    with pytest.raises(ZoneInfoNotFoundError):
        bundled_time_zone("Europe/Nowhere")
