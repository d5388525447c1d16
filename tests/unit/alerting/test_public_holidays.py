"""Norwegian public holidays close a day service: the moving ones follow Easter."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from dho.domain.alerts import AlertPolicySettings
from dho.domain.norwegian_holidays import easter_sunday, is_public_holiday, public_holidays
from dho.domain.opening_hours import OpeningHours


@pytest.mark.parametrize(("year", "easter"), [(2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)),
                                              (2026, date(2026, 4, 5)), (2027, date(2027, 3, 28)),
                                              (2038, date(2038, 4, 25)), (2008, date(2008, 3, 23))])
def test_easter_sunday(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


def test_the_2026_holidays() -> None:
    assert sorted(public_holidays(2026)) == [
        date(2026, 1, 1), date(2026, 4, 2), date(2026, 4, 3), date(2026, 4, 5), date(2026, 4, 6),
        date(2026, 5, 1), date(2026, 5, 14), date(2026, 5, 17), date(2026, 5, 24), date(2026, 5, 25),
        date(2026, 12, 25), date(2026, 12, 26)]
    assert not is_public_holiday(date(2026, 12, 24))  # Christmas Eve is a working day by law


def test_whit_monday_and_constitution_day_fall_together_in_2027() -> None:
    assert date(2027, 5, 17) in public_holidays(2027) and len(public_holidays(2027)) == 11


def test_the_centre_is_closed_on_a_holiday_and_opens_after_easter() -> None:
    hours = OpeningHours()
    assert not hours.is_open(datetime(2026, 12, 25, 9, 0, tzinfo=UTC))  # Christmas Day, a Friday
    assert hours.is_open(datetime(2026, 12, 24, 9, 0, tzinfo=UTC))
    # Wednesday before Easter, after closing: Thursday to Monday are holidays -> Tuesday 08:00 (UTC+2).
    assert hours.next_opening(datetime(2026, 4, 1, 15, 0, tzinfo=UTC)) == datetime(2026, 4, 7, 6, 0, tzinfo=UTC)
    assert hours.next_opening(datetime(2026, 12, 24, 15, 0, tzinfo=UTC)) == datetime(2026, 12, 28, 7, 0, tzinfo=UTC)


def test_a_centre_open_on_holidays_says_so() -> None:
    hours = OpeningHours(closed_on_public_holidays=False)
    assert hours.is_open(datetime(2026, 12, 25, 9, 0, tzinfo=UTC))


def test_a_one_day_a_week_centre_can_lose_two_weeks_to_holidays() -> None:
    hours = OpeningHours(days=("thu",))  # 2025: Christmas Day and New Year's Day are both Thursdays
    assert hours.next_opening(datetime(2025, 12, 24, 12, 0, tzinfo=UTC)) == datetime(2026, 1, 8, 7, 0, tzinfo=UTC)


def test_the_tenant_policy_carries_the_holiday_choice() -> None:
    policy = '{"response_centre": {"opens": "08:00", "closes": "15:30", "closed_on_public_holidays": false}}'
    hours = AlertPolicySettings.from_tenant_policy(policy).opening_hours
    assert hours is not None and hours.closed_on_public_holidays is False
    default = AlertPolicySettings.from_tenant_policy('{"response_centre": {"opens": "08:00", "closes": "15:30"}}')
    assert default.opening_hours is not None and default.opening_hours.closed_on_public_holidays is True
