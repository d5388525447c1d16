"""SNS filter-policy matching (MessageAttributes scope) and endpoint masking for the local outbox."""

from __future__ import annotations

from typing import Any

import pytest

from localcloud.sns_outbox import FilterPolicyError, filter_policy_matches, mask_endpoint


def attrs(**values: Any) -> dict[str, dict[str, str]]:
    """Attributes as they appear in the SNS envelope an SQS subscriber gets."""
    return {key: {"Type": "Number" if isinstance(value, int | float) else "String", "Value": str(value)}
            for key, value in values.items()}


RED_ONLY = {"severity": ["red"]}
RED_OR_YELLOW = {"severity": ["red", "yellow"]}


@pytest.mark.parametrize(("policy", "attributes", "expected"), [
    (RED_ONLY, attrs(severity="red"), True),
    (RED_ONLY, attrs(severity="yellow"), False),
    (RED_OR_YELLOW, attrs(severity="yellow"), True),
    (RED_ONLY, attrs(tier=1), False),  # a missing attribute never matches a value
    (RED_ONLY, attrs(severity="RED"), False),  # exact, case-sensitive
    ({"severity": ["red"], "tier": [1]}, attrs(severity="red", tier=1), True),  # keys are ANDed
    ({"severity": ["red"], "tier": [1]}, attrs(severity="red", tier=2), False),
    ({"tier": [1]}, attrs(tier="1"), False),  # a number matches Number attributes only
    ({"tier": ["1"]}, attrs(tier=1), False),  # a string matches String attributes only
    ({"tier": [{"numeric": [">=", 2]}]}, attrs(tier=3), True),
    ({"tier": [{"numeric": [">", 0, "<=", 2]}]}, attrs(tier=3), False),
    ({"tier": [{"numeric": ["=", 1.0]}]}, attrs(tier=1), True),
    ({"severity": [{"anything-but": ["red"]}]}, attrs(severity="yellow"), True),
    ({"severity": [{"anything-but": "red"}]}, attrs(severity="red"), False),
    ({"severity": [{"anything-but": ["red"]}]}, attrs(), False),  # anything-but still needs the attribute
    ({"severity": [{"anything-but": {"prefix": "re"}}]}, attrs(severity="yellow"), True),
    ({"rule": [{"prefix": "spo2"}]}, attrs(rule="spo2_low"), True),
    ({"rule": [{"exists": True}]}, attrs(rule="x"), True),
    ({"rule": [{"exists": False}]}, attrs(), True),
    ({"rule": [{"exists": False}]}, attrs(rule="x"), False),
    (None, attrs(), True),  # no policy: everything
])
def test_filter_policies_match_as_sns_does(policy: Any, attributes: Any, expected: bool) -> None:
    assert filter_policy_matches(policy, attributes) is expected


def test_string_array_attributes_match_when_any_element_does() -> None:
    attributes = {"severity": {"Type": "String.Array", "Value": '["yellow", "red"]'}}
    assert filter_policy_matches(RED_ONLY, attributes)
    assert not filter_policy_matches({"severity": ["green"]}, attributes)


def test_publish_form_attributes_are_understood_too() -> None:
    assert filter_policy_matches(RED_ONLY, {"severity": {"DataType": "String", "StringValue": "red"}})


@pytest.mark.parametrize("policy", [
    {"severity": "red"},  # not a list
    {"detail": {"severity": ["red"]}},  # MessageBody-scope nesting
    {"severity": [{"suffix": "ed"}]},
    {"tier": [{"numeric": ["~", 1]}]},
    {"$or": [{"a": ["b"]}]},
])
def test_unsupported_policies_are_refused_clearly(policy: Any) -> None:
    with pytest.raises(FilterPolicyError):
        filter_policy_matches(policy, attrs(severity="red", tier=1, detail="x", a="b"))


@pytest.mark.parametrize(("endpoint", "masked"), [
    ("+4799999902", "+47******02"),
    ("+4791234567", "+47******67"),
    ("vakt1.helsehjelpa@example.org", "v***@example.org"),
    ("1234", "****"),
])
def test_endpoints_are_masked_for_printing(endpoint: str, masked: str) -> None:
    assert mask_endpoint(endpoint) == masked
