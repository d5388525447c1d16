"""Device message → :class:`DeviceReading`, or :class:`PayloadRejected` with a specific reason.

Property (tested with hypothesis): for any input text this returns a reading or raises
PayloadRejected, never another exception.
"""

from __future__ import annotations

import base64
import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from dho.domain.clock import from_epoch_millis
from dho.domain.metrics import METRIC_SPECS, PANELS, Metric
from dho.domain.payload_schema import (
    ENVELOPE_FIELDS,
    IDENTIFIER_PATTERN,
    SCHEMA_V1,
    DevicePayloadV1,
    RuleEnvelope,
    WireMeasurement,
    WireSymptoms,
)
from dho.domain.readings import DeviceReading, Measurement, SymptomReport
from dho.domain.rejections import PayloadRejected
from dho.domain.rejections import RejectionReason as Reason
from dho.domain.symptoms import QUESTIONNAIRES, Answer, Questionnaire

_IDENTIFIER = re.compile(IDENTIFIER_PATTERN)
ModelT = TypeVar("ModelT", RuleEnvelope, DevicePayloadV1)


@dataclass(frozen=True, slots=True)
class ParserLimits:
    max_payload_bytes: int = 8192  # real payloads are 200-600 bytes; IoT Core itself allows 128 KiB
    max_clock_skew: timedelta = timedelta(minutes=5)
    max_age: timedelta = timedelta(days=14)  # (guess) how long a gateway may buffer while offline
    # The IoT rule stamps received_at and hands the message to SQS at once; both are AWS clocks.
    max_delivery_lag: timedelta = timedelta(minutes=5)


def parse_device_message(body: str, *, tenant_id: str, limits: ParserLimits | None = None) -> DeviceReading:
    """Validate an SQS message body (device payload plus the IoT rule's fields) for ``tenant_id``."""
    limits = limits or ParserLimits()
    # The rule's body carries the payload twice (parsed, and base64 in ``raw``) plus its own fields.
    outer = _decode(body, 3 * limits.max_payload_bytes + _RULE_FIELDS_BYTES)
    try:
        document = _device_document(outer, body, limits)
        return _reading_from(document, tenant_id, limits)
    except PayloadRejected as rejected:
        rejected.device_id = _safe_identifier(outer.get("device_id"))
        rejected.reading_id = _safe_identifier(outer.get("reading_id"))
        raise


_RULE_FIELDS_BYTES = 1024


def _device_document(outer: dict[str, Any], body: str, limits: ParserLimits) -> dict[str, Any]:
    """The payload as the device sent it (``raw``), with the rule's fields; without ``raw``, the body."""
    raw = outer.get("raw")
    if raw is None:
        _check_size(body, limits.max_payload_bytes)
        return outer
    if not isinstance(raw, str):
        raise PayloadRejected(Reason.WRONG_TYPE, "raw must be the payload in base64")
    try:
        text = base64.b64decode(raw, validate=True).decode("utf-8")  # strict: IoT Core's JSON is UTF-8
    except ValueError as error:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise PayloadRejected(Reason.MALFORMED_JSON, f"raw payload not UTF-8 base64: {type(error).__name__}") from None
    device = _decode(text, limits.max_payload_bytes)
    return {**device, **{k: outer[k] for k in ENVELOPE_FIELDS if k in outer}}


def _check_size(text: str, max_bytes: int) -> None:
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > max_bytes:
        raise PayloadRejected(Reason.PAYLOAD_TOO_LARGE, f"{size} bytes > {max_bytes}")


def _decode(body: str, max_bytes: int) -> dict[str, Any]:
    _check_size(body, max_bytes)
    try:
        document = _DECODER.decode(body)
    except PayloadRejected:
        raise
    except (ValueError, RecursionError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise PayloadRejected(Reason.MALFORMED_JSON, f"not valid JSON: {type(error).__name__}") from None
    if not isinstance(document, dict):
        raise PayloadRejected(Reason.NOT_AN_OBJECT, f"top level is a JSON {type(document).__name__}")
    return document


def _reject_constant(name: str) -> float:
    raise PayloadRejected(Reason.NON_FINITE_NUMBER, f"{name} is not a number a device can measure")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise PayloadRejected(Reason.MALFORMED_JSON, "an object repeats a key")
    return document


# One decoder for every message (json.loads with options builds a new one per call).
_DECODER = json.JSONDecoder(parse_constant=_reject_constant, object_pairs_hook=_unique_keys)


def _safe_identifier(value: object) -> str | None:
    # fullmatch: with match, the pattern's ``$`` also matches before a trailing newline.
    return value if isinstance(value, str) and _IDENTIFIER.fullmatch(value) else None


def _reading_from(document: dict[str, Any], tenant_id: str, limits: ParserLimits) -> DeviceReading:
    envelope = _validated(RuleEnvelope, {k: document.get(k) for k in ENVELOPE_FIELDS if k in document})
    if envelope.tenant != tenant_id:
        raise PayloadRejected(Reason.TENANT_MISMATCH,
                              f"topic tenant {envelope.tenant!r} is not {tenant_id!r}")
    payload_fields = {k: v for k, v in document.items() if k not in ENVELOPE_FIELDS}
    if "schema" in payload_fields and payload_fields["schema"] != SCHEMA_V1:
        raise PayloadRejected(Reason.UNSUPPORTED_SCHEMA, f"schema must be {SCHEMA_V1!r}")
    payload = _validated(DevicePayloadV1, payload_fields)
    if payload.device.id != envelope.device_id:
        raise PayloadRejected(Reason.DEVICE_MISMATCH, "payload device.id differs from the topic's device")

    received_at = from_epoch_millis(envelope.received_at)
    measured_at = _measured_at(payload.measured_at, received_at, limits)
    if payload.measurements is not None and payload.symptoms is not None:
        raise PayloadRejected(Reason.AMBIGUOUS_CONTENT, "give measurements or symptoms, not both")
    if payload.measurements is None and payload.symptoms is None:
        raise PayloadRejected(Reason.EMPTY_READING, "neither measurements nor symptoms")
    return DeviceReading(
        tenant_id=tenant_id,
        device_id=envelope.device_id,
        reading_id=payload.reading_id,
        measured_at=measured_at,
        received_at=received_at,
        measurements=_measurements(payload.measurements or []),
        symptoms=None if payload.symptoms is None else _symptom_report(payload.symptoms),
    )


def _validated(model: type[ModelT], data: dict[str, Any]) -> ModelT:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise _rejection_for(error.errors(include_input=False, include_url=False)[0]) from None


_REASON_BY_PYDANTIC_TYPE = {
    "missing": Reason.MISSING_FIELD,
    "extra_forbidden": Reason.UNEXPECTED_FIELD,
    "finite_number": Reason.NON_FINITE_NUMBER,
    "string_pattern_mismatch": Reason.INVALID_IDENTIFIER,
    "literal_error": Reason.UNSUPPORTED_SCHEMA,
    "too_short": Reason.EMPTY_READING,  # an empty measurements list or answers object
}


def _rejection_for(error: ErrorDetails) -> PayloadRejected:
    where = ".".join(str(part) for part in error["loc"]) or "payload"
    reason = _REASON_BY_PYDANTIC_TYPE.get(error["type"], Reason.WRONG_TYPE)
    return PayloadRejected(reason, f"{where}: {error['msg']}")


def _measured_at(text: str, received_at: datetime, limits: ParserLimits) -> datetime:
    try:
        measured_at = datetime.fromisoformat(text)
    except ValueError:
        raise PayloadRejected(Reason.INVALID_TIMESTAMP, "measured_at is not ISO 8601") from None
    if measured_at.tzinfo is None:
        raise PayloadRejected(Reason.INVALID_TIMESTAMP, "measured_at has no UTC offset")
    try:
        measured_at = measured_at.astimezone(UTC)
    except OverflowError:
        raise PayloadRejected(Reason.INVALID_TIMESTAMP, "measured_at is out of range") from None
    if measured_at > received_at + limits.max_clock_skew:
        raise PayloadRejected(Reason.MEASURED_IN_FUTURE, "measured_at is after the time it was received")
    if measured_at < received_at - limits.max_age:
        raise PayloadRejected(Reason.MEASURED_TOO_LONG_AGO, f"older than {limits.max_age}")
    return measured_at


def _measurements(wire: list[WireMeasurement]) -> tuple[Measurement, ...]:
    measurements = tuple(_measurement(item, index) for index, item in enumerate(wire))
    metrics = [m.metric for m in measurements]
    if len(set(metrics)) != len(metrics):
        raise PayloadRejected(Reason.DUPLICATE_METRIC, "a metric appears twice in one reading")
    present = set(metrics)
    for panel in PANELS:
        if present & panel and not panel <= present:
            missing = ", ".join(sorted(panel - present))
            raise PayloadRejected(Reason.INCOMPLETE_PANEL, f"panel lacks {missing}")
    by_metric = {m.metric: m.value for m in measurements}
    if Metric.SYSTOLIC_BP in by_metric and by_metric[Metric.SYSTOLIC_BP] <= by_metric[Metric.DIASTOLIC_BP]:
        raise PayloadRejected(Reason.INCONSISTENT_PANEL, "systolic pressure must exceed diastolic")
    return measurements


# Spec by the wire's metric name: a dict lookup costs less than the enum's constructor, per measurement.
_SPEC_BY_NAME = {metric.value: spec for metric, spec in METRIC_SPECS.items()}


def _measurement(item: WireMeasurement, index: int) -> Measurement:
    spec = _SPEC_BY_NAME.get(item.metric)
    if spec is None:
        raise PayloadRejected(Reason.UNKNOWN_METRIC, f"measurements.{index}.metric {item.metric!r} is unknown")
    if not math.isfinite(item.value):  # a huge integer literal becomes inf
        raise PayloadRejected(Reason.NON_FINITE_NUMBER, f"measurements.{index}.value is not finite")
    value = spec.to_canonical(item.value, item.unit)
    if value is None:
        raise PayloadRejected(Reason.UNKNOWN_UNIT,
                              f"measurements.{index}.unit {item.unit!r} is not a unit of {spec.metric}")
    if not math.isfinite(value) or not spec.is_plausible(value):
        raise PayloadRejected(
            Reason.IMPLAUSIBLE_VALUE,
            f"measurements.{index}: {value} {spec.canonical_unit} is outside "
            f"{spec.plausible_min}-{spec.plausible_max} for {spec.metric}",
        )
    return Measurement(metric=spec.metric, value=value, unit=spec.canonical_unit)


def _symptom_report(wire: WireSymptoms) -> SymptomReport:
    try:
        questionnaire = Questionnaire(wire.questionnaire)
    except ValueError:
        raise PayloadRejected(
            Reason.UNKNOWN_QUESTIONNAIRE, f"questionnaire {wire.questionnaire!r} is unknown") from None
    questions = QUESTIONNAIRES[questionnaire]
    answers: dict[str, Answer] = {}
    for code, wire_answer in wire.answers.items():
        question = questions.get(code)
        if question is None:
            raise PayloadRejected(Reason.UNKNOWN_QUESTION, f"{questionnaire}: no question {code!r}")
        # Several options of one question (pain sites) as a sorted tuple: equal reports compare equal.
        answer = tuple(sorted(wire_answer)) if isinstance(wire_answer, list) else wire_answer
        # The item checks exact types (strict wire model): "yes" is no True, True is no 1.
        if not question.accepts(answer):
            raise PayloadRejected(Reason.INVALID_ANSWER, f"{questionnaire}.{code}: answer not allowed")
        answers[code] = answer
    return SymptomReport(questionnaire=questionnaire, answers=tuple(sorted(answers.items())))
