"""The payload parser: each way a message can be wrong gives its own reason; good ones are normalised."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dho.domain.metrics import Metric
from dho.domain.payload import ParserLimits, parse_device_message
from dho.domain.rejections import PayloadRejected, RejectionReason
from dho.domain.symptoms import Questionnaire
from localcloud.corpus import CorpusMessage, load_messages
from tests.support.payloads import RECEIVED_AT, body, message, one

# Reasons the parser alone can decide; the others need the registry or the timeline.
_NEEDS_STORE = {RejectionReason.DEVICE_NOT_ASSIGNED, RejectionReason.CONFLICTING_REPLAY,
                RejectionReason.IMPLAUSIBLE_CHANGE}


def _reason_of(text: str, limits: ParserLimits | None = None) -> RejectionReason:
    with pytest.raises(PayloadRejected) as rejected:
        parse_device_message(text, tenant_id="bodo", limits=limits)
    return rejected.value.reason


@pytest.mark.parametrize(
    "corpus_message",
    [m for m in load_messages() if m.expected_reason and RejectionReason(m.expected_reason) not in _NEEDS_STORE],
    ids=lambda m: m.file,
)
def test_each_bad_corpus_payload_is_refused_with_its_documented_reason(corpus_message: CorpusMessage) -> None:
    assert _reason_of(corpus_message.body) == RejectionReason(str(corpus_message.expected_reason))


@pytest.mark.parametrize("corpus_message", [m for m in load_messages() if m.expected_reason is None],
                         ids=lambda m: m.file)
def test_each_good_corpus_payload_parses(corpus_message: CorpusMessage) -> None:
    reading = parse_device_message(corpus_message.body, tenant_id="bodo")
    assert reading.tenant_id == "bodo"
    assert bool(reading.measurements) != (reading.symptoms is not None)


@pytest.mark.parametrize(
    ("metric", "value", "unit", "expected"),
    [
        ("body_weight", 176.4, "[lb_av]", 80.01),
        ("body_weight", 176.4, "lb", 80.01),
        ("body_weight", 82400, "g", 82.4),
        ("body_temperature", 98.6, "[degF]", 37.0),
        ("body_temperature", 100.4, "°F", 38.0),
        ("body_temperature", 37.2, "°C", 37.2),
        ("blood_glucose", 180.16, "mg/dL", 10.0),
        ("blood_glucose", 90, "mg/dl", 5.0),
        ("systolic_bp", 16.0, "kPa", 120.0),
        ("heart_rate", 72, "bpm", 72.0),
        ("spo2", 97, "percent", 97.0),
    ],
)
def test_common_unit_aliases_are_converted_to_the_canonical_ucum_unit(
    metric: str, value: float, unit: str, expected: float
) -> None:
    measurements = one(metric, value, unit)
    if metric == "systolic_bp":
        measurements.append({"metric": "diastolic_bp", "value": 10.0, "unit": "kPa"})
    reading = parse_device_message(body(measurements=measurements), tenant_id="bodo")
    first = reading.measurements[0]
    assert first.value == pytest.approx(expected, abs=0.01)
    assert first.unit == {"body_weight": "kg", "body_temperature": "Cel", "blood_glucose": "mmol/L",
                          "systolic_bp": "mm[Hg]", "heart_rate": "/min", "spo2": "%"}[metric]


def test_a_local_time_with_offset_is_stored_in_utc() -> None:
    reading = parse_device_message(body(measured_at="2026-11-20T08:15:03+01:00"), tenant_id="bodo")
    assert reading.measured_at == datetime(2026, 11, 20, 7, 15, 3, tzinfo=UTC)


def test_a_device_clock_slightly_ahead_is_tolerated_but_not_more() -> None:
    limits = ParserLimits(max_clock_skew=timedelta(minutes=5))
    at_edge = (RECEIVED_AT + timedelta(minutes=5)).isoformat()
    beyond = (RECEIVED_AT + timedelta(minutes=5, seconds=1)).isoformat()
    assert parse_device_message(body(measured_at=at_edge), tenant_id="bodo", limits=limits)
    assert _reason_of(body(measured_at=beyond), limits) is RejectionReason.MEASURED_IN_FUTURE


def test_readings_older_than_the_buffer_limit_are_refused() -> None:
    limits = ParserLimits(max_age=timedelta(days=14))
    at_edge = (RECEIVED_AT - timedelta(days=14)).isoformat()
    beyond = (RECEIVED_AT - timedelta(days=14, seconds=1)).isoformat()
    assert parse_device_message(body(measured_at=at_edge), tenant_id="bodo", limits=limits)
    assert _reason_of(body(measured_at=beyond), limits) is RejectionReason.MEASURED_TOO_LONG_AGO


def test_the_size_limit_counts_utf8_bytes() -> None:
    text = body(device={"id": "oxi-0001", "model": "Å" * 60})
    limits = ParserLimits(max_payload_bytes=len(text.encode()) - 1)
    assert _reason_of(text, limits) is RejectionReason.PAYLOAD_TOO_LARGE


def test_a_json_object_with_a_repeated_key_is_malformed() -> None:
    text = body()[:-1] + ', "reading_id": "other"}'
    assert _reason_of(text) is RejectionReason.MALFORMED_JSON


_RULE_FIELDS = ("tenant", "device_id", "received_at")


def _from_rule(sent: bytes) -> str:
    """The readings rule's body: the payload parsed (one value per key), its bytes in base64, its fields."""
    document = {**message(), **json.loads(sent)}  # json.loads keeps one value of a repeated key
    envelope = {k: message()[k] for k in _RULE_FIELDS}
    return json.dumps({**document, "raw": base64.b64encode(sent).decode(), **envelope})


def _device_payload(**changes: Any) -> dict[str, Any]:
    return {k: v for k, v in message(**changes).items() if k not in _RULE_FIELDS}


def test_a_value_given_twice_is_malformed_although_the_rules_parsed_copy_holds_only_one() -> None:
    # GIVEN a payload naming its SpO2 value twice, which the rules engine re-serialises with one of them
    sent = json.dumps(_device_payload(measurements=one("spo2", 97, "%"))).replace(
        '"value": 97', '"value": 97, "value": 86').encode()
    text = _from_rule(sent)
    assert text.count('"value"') == 1
    # WHEN it is parsed THEN the bytes the device sent decide: refused, neither value taken
    assert _reason_of(text) is RejectionReason.MALFORMED_JSON


@pytest.mark.parametrize("sent", [
    pytest.param(b"\xef\xbb\xbf" + json.dumps(_device_payload()).encode(), id="byte order mark"),
    pytest.param(json.dumps(_device_payload()).encode("utf-16-le"), id="UTF-16"),
])
def test_a_raw_payload_that_is_not_plain_utf8_json_is_malformed(sent: bytes) -> None:
    envelope = {k: message()[k] for k in _RULE_FIELDS}
    assert _reason_of(json.dumps({"raw": base64.b64encode(sent).decode(), **envelope})) is \
        RejectionReason.MALFORMED_JSON


def test_the_reading_is_what_the_device_sent_and_the_size_limit_counts_the_device_bytes() -> None:
    # GIVEN a rule body whose parsed copy disagrees with the raw bytes (only the raw bytes are the device's)
    sent = json.dumps(_device_payload(measurements=one("spo2", 86, "%"))).encode()
    text = json.dumps({**json.loads(_from_rule(sent)), "measurements": one("spo2", 97, "%")})
    # THEN the reading holds the device's value
    [measurement] = parse_device_message(text, tenant_id="bodo").measurements
    assert measurement.value == 86
    # AND the limit applies to the device's bytes, not to the rule's body (which carries them twice)
    assert len(text.encode()) > len(sent) + 100
    assert parse_device_message(text, tenant_id="bodo", limits=ParserLimits(max_payload_bytes=len(sent))).measurements
    assert _reason_of(text, ParserLimits(max_payload_bytes=len(sent) - 1)) is RejectionReason.PAYLOAD_TOO_LARGE
    not_base64 = json.dumps({**json.loads(text), "raw": "not base64!"})
    assert _reason_of(not_base64) is RejectionReason.MALFORMED_JSON


def test_deeply_nested_json_is_malformed_not_a_crash() -> None:
    assert _reason_of("[" * 5000 + "]" * 5000, ParserLimits(max_payload_bytes=20000)) in {
        RejectionReason.MALFORMED_JSON, RejectionReason.NOT_AN_OBJECT}


def test_a_message_that_did_not_come_through_the_iot_rule_is_missing_its_envelope() -> None:
    document = message()
    del document["received_at"]
    assert _reason_of(json.dumps(document)) is RejectionReason.MISSING_FIELD


def test_a_rejection_names_the_device_and_reading_when_it_got_that_far() -> None:
    with pytest.raises(PayloadRejected) as rejected:
        parse_device_message(body(measurements=one("spo2", 130, "%")), tenant_id="bodo")
    assert (rejected.value.device_id, rejected.value.reading_id) == ("oxi-0001", "oxi-0001-000001")
    assert "130" in rejected.value.detail  # the detail goes to the encrypted quarantine record only


def test_a_rejection_names_no_device_or_reading_whose_id_ends_in_a_newline() -> None:
    # GIVEN ids that are valid but for a trailing newline (the ids are logged: a newline forges log lines)
    text = body(device_id="oxi-0001\n", reading_id="oxi-0001-000001\n")
    # WHEN the message is refused
    with pytest.raises(PayloadRejected) as rejected:
        parse_device_message(text, tenant_id="bodo")
    # THEN the rejection carries neither id
    assert rejected.value.reason is RejectionReason.INVALID_IDENTIFIER
    assert (rejected.value.device_id, rejected.value.reading_id) == (None, None)


def test_a_symptom_report_keeps_its_answers_sorted_by_question() -> None:
    symptoms = {"questionnaire": "heart_failure",
                "answers": {"orthopnoea": True, "breathlessness": "at_rest", "ankle_swelling": "none"}}
    document = message(symptoms=symptoms)
    del document["measurements"]
    reading = parse_device_message(json.dumps(document), tenant_id="bodo")
    assert reading.symptoms is not None
    assert reading.symptoms.questionnaire is Questionnaire.HEART_FAILURE
    assert [code for code, _ in reading.symptoms.answers] == ["ankle_swelling", "breathlessness", "orthopnoea"]


def test_a_blood_pressure_panel_with_pulse_gives_three_measurements() -> None:
    measurements = [*one("systolic_bp", 150, "mmHg"), *one("diastolic_bp", 90, "mm[Hg]"),
                    *one("heart_rate", 80, "/min")]
    reading = parse_device_message(body(measurements=measurements), tenant_id="bodo")
    assert {m.metric for m in reading.measurements} == {Metric.SYSTOLIC_BP, Metric.DIASTOLIC_BP,
                                                        Metric.HEART_RATE}


def test_the_fingerprint_ignores_arrival_time_but_not_values() -> None:
    first = parse_device_message(body(), tenant_id="bodo")
    redelivered = parse_device_message(body(received_at=RECEIVED_AT + timedelta(minutes=3)), tenant_id="bodo")
    changed = parse_device_message(body(measurements=one("spo2", 96, "%")), tenant_id="bodo")
    assert first.fingerprint() == redelivered.fingerprint()
    assert first.fingerprint() != changed.fingerprint()
