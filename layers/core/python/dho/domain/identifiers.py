"""Norwegian person identifiers (fødselsnummer and its variants) and pseudonymous patient ids."""

from __future__ import annotations

import secrets
from datetime import date

_FIRST_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_SECOND_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


class InvalidNationalId(ValueError):
    """Not a well-formed fødselsnummer. The message never repeats the number itself."""


def _check_digit(digits: str, weights: tuple[int, ...]) -> int | None:
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    check = (11 - remainder) % 11
    return None if check == 10 else check  # 10 means no valid number has these first digits


def _birth_date_is_plausible(number: str) -> bool:
    day, month, year = int(number[0:2]), int(number[2:4]), int(number[4:6])
    if day > 40:  # D-nummer: day + 40
        day -= 40
    if month > 80:  # synthetic test numbers (Tenor): month + 80
        month -= 80
    elif month > 40:  # H-nummer: month + 40
        month -= 40
    try:
        date(2000 + year, month, day)  # leap day plausible in some century; 2000 is a leap year
    except ValueError:
        return False
    return True


def validate_national_id(number: str) -> str:
    """Return ``number`` if it is an 11-digit fødselsnummer (or D-, H- or synthetic test number) with
    both mod-11 check digits right and a possible birth date; raise :class:`InvalidNationalId` if not."""
    if len(number) != 11 or not number.isascii() or not number.isdigit():
        raise InvalidNationalId("a national id has exactly 11 digits")
    if _check_digit(number[:9], _FIRST_WEIGHTS) != int(number[9]):
        raise InvalidNationalId("first check digit (mod 11) does not match")
    if _check_digit(number[:10], _SECOND_WEIGHTS) != int(number[10]):
        raise InvalidNationalId("second check digit (mod 11) does not match")
    if not _birth_date_is_plausible(number):
        raise InvalidNationalId("the first six digits are not a possible birth date")
    return number


def with_check_digits(first_nine: str) -> str | None:
    """Complete nine digits to a valid number, or None if no check digit exists (used by fixtures)."""
    first = _check_digit(first_nine, _FIRST_WEIGHTS)
    if first is None:
        return None
    second = _check_digit(first_nine + str(first), _SECOND_WEIGHTS)
    return None if second is None else f"{first_nine}{first}{second}"


# Crockford-style alphabet without look-alikes (no I, L, O, U): safe to read out on the phone.
_PSEUDONYM_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_patient_id() -> str:
    """A random pseudonymous patient id such as ``P-7K3QX9M2``; it carries nothing about the person."""
    return "P-" + "".join(secrets.choice(_PSEUDONYM_ALPHABET) for _ in range(8))
