"""Norwegian public holidays (helligdager and the two official flag days off, 1 and 17 May), on which a
municipal day service such as a response centre is closed. Easter by the Gregorian computus; the moving
holidays follow from it. Christmas Eve and New Year's Eve are not public holidays (many services close
early; the tenant's hours say so if they do)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

# Days relative to Easter Sunday: Maundy Thursday, Good Friday, Easter Sunday and Monday, Ascension Day,
# Whit Sunday and Monday.
_EASTER_OFFSETS = (-3, -2, 0, 1, 39, 49, 50)
_FIXED = ((1, 1), (5, 1), (5, 17), (12, 25), (12, 26))  # New Year, Labour Day, Constitution Day, Christmas


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_shift = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * weekday_shift) // 433
    month = (h + weekday_shift - 7 * m + 90) // 25
    day = (h + weekday_shift - 7 * m + 33 * month + 19) % 32
    return date(year, month, day)


@cache
def public_holidays(year: int) -> frozenset[date]:
    easter = easter_sunday(year)
    moving = {easter + timedelta(days=offset) for offset in _EASTER_OFFSETS}
    return frozenset(moving | {date(year, month, day) for month, day in _FIXED})


def is_public_holiday(day: date) -> bool:
    return day in public_holidays(day.year)
