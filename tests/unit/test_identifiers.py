"""Fødselsnummer validation (two mod-11 check digits) and pseudonymous patient ids."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dho.domain.identifiers import InvalidNationalId, new_patient_id, validate_national_id, with_check_digits
from dho.domain.registry import Patient
from localcloud.corpus import registry


def test_the_registry_fixtures_hold_valid_synthetic_numbers() -> None:
    for patient in registry()["patients"]:
        assert validate_national_id(patient["national_id"]) == patient["national_id"]


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("1288850005", "exactly 11 digits"),
        ("128885000555", "exactly 11 digits"),
        ("12888500A55", "exactly 11 digits"),
        ("12888500056", "second check digit"),
        ("12888500065", "first check digit"),
        ("32888500000", "check digit"),
    ],
)
def test_malformed_numbers_are_refused_with_the_rule_they_break(number: str, why: str) -> None:
    with pytest.raises(InvalidNationalId, match=why) as refused:
        validate_national_id(number)
    assert number not in str(refused.value)  # the message never repeats the number


def test_an_impossible_birth_date_is_refused_even_with_right_check_digits() -> None:
    number = with_check_digits("320185123") or with_check_digits("320185124")
    assert number is not None
    with pytest.raises(InvalidNationalId, match="birth date"):
        validate_national_id(number)


def test_d_numbers_are_accepted() -> None:
    number = with_check_digits("410190123") or with_check_digits("410190124")  # day 1 + 40
    assert number is not None
    assert validate_national_id(number) == number


valid_numbers = st.builds(
    lambda day, month, year, serial: with_check_digits(f"{day:02d}{month:02d}{year:02d}{serial:03d}"),
    st.integers(1, 28), st.integers(1, 12), st.integers(0, 99), st.integers(0, 999),
).filter(lambda n: n is not None)


@given(number=valid_numbers, position=st.integers(0, 10), delta=st.integers(1, 9))
def test_any_single_wrong_digit_is_detected(number: str, position: int, delta: int) -> None:
    wrong = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1:]
    with pytest.raises(InvalidNationalId):
        validate_national_id(wrong)


def test_a_patient_record_refuses_an_invalid_number_and_hides_the_valid_one_in_its_repr() -> None:
    with pytest.raises(InvalidNationalId):
        Patient(patient_id="P-X", national_id="12345678901", programme="copd")
    number = registry()["patients"][0]["national_id"]
    assert number not in repr(Patient(patient_id="P-X", national_id=number, programme="copd"))


def test_pseudonymous_ids_are_random_and_readable_aloud() -> None:
    ids = {new_patient_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(i.startswith("P-") and not set(i[2:]) & set("ILOU") for i in ids)
