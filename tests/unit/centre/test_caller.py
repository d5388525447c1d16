"""GIVEN the claims API Gateway verified THEN the caller is who the token says, with the roles the centre's
staff directory gives them; nothing in the claims can add a role or widen one."""

from __future__ import annotations

import json

import pytest

from dho.centre.roles import (
    HPR_CLAIM,
    ORG_CHILD_CLAIM,
    ORG_PARENT_CLAIM,
    Assignment,
    NotAuthenticated,
    Role,
    StaffDirectory,
    caller_from_claims,
)
from tests.support.centre_fakes import CLAIMS, DIRECTORY, HOSPITAL, HOSPITAL_NURSE_HPR, NURSE_HPR


def test_a_nurse_is_known_by_the_hpr_number_of_the_token() -> None:
    caller = caller_from_claims(CLAIMS["centre_nurse"], DIRECTORY)

    assert (caller.subject, caller.hpr) == ("nurse-sub", NURSE_HPR)
    assert [a.role for a in caller.assignments] == [Role.CENTRE_NURSE]
    assert caller.tenants == {"bodo", "saltdal"}


def test_a_role_claimed_in_the_token_is_ignored() -> None:
    caller = caller_from_claims({"sub": "someone", "role": "privacy_officer", "roles": "centre_nurse"}, DIRECTORY)

    assert caller.assignments == ()


def test_staff_without_an_hpr_number_are_known_by_subject() -> None:
    caller = caller_from_claims(CLAIMS["privacy_officer"], DIRECTORY)

    assert caller.hpr is None and [a.role for a in caller.assignments] == [Role.PRIVACY_OFFICER]


def test_a_hospital_nurse_acts_only_for_the_hospital_of_the_token() -> None:
    at_the_hospital = caller_from_claims(CLAIMS["hospital_nurse"], DIRECTORY)
    elsewhere = caller_from_claims({"sub": "h", HPR_CLAIM: HOSPITAL_NURSE_HPR, ORG_CHILD_CLAIM: "999000999"},
                                   DIRECTORY)
    parent_only = caller_from_claims({"sub": "h", HPR_CLAIM: HOSPITAL_NURSE_HPR, ORG_PARENT_CLAIM: HOSPITAL},
                                     DIRECTORY)

    assert [a.role for a in at_the_hospital.assignments] == [Role.HOSPITAL_NURSE]
    assert elsewhere.assignments == ()
    assert parent_only.organisation == HOSPITAL and parent_only.assignments


@pytest.mark.parametrize("hpr", ["0123456", "12", "9100001; DROP", "1234567890"])
def test_a_malformed_hpr_claim_counts_as_none(hpr: str) -> None:
    caller = caller_from_claims({"sub": "x", HPR_CLAIM: hpr}, DIRECTORY)

    assert caller.hpr is None and caller.assignments == ()


def test_claims_without_a_subject_are_not_a_caller() -> None:
    with pytest.raises(NotAuthenticated):
        caller_from_claims({HPR_CLAIM: NURSE_HPR}, DIRECTORY)


def test_the_directory_reads_the_json_the_stack_writes() -> None:
    text = json.dumps({"hpr:9100001": [{"role": "centre_nurse", "tenants": ["bodo", "saltdal"]}],
                       "sub:po": [{"role": "privacy_officer", "tenants": ["bodo"]}]})

    directory = StaffDirectory.from_json(text)

    assert directory.assignments(subject="x", hpr="9100001") == (
        Assignment(Role.CENTRE_NURSE, frozenset({"bodo", "saltdal"})),)
    assert directory.assignments(subject="po", hpr=None)[0].role is Role.PRIVACY_OFFICER
