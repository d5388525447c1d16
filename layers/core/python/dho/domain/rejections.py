"""Why a device message was refused: machine-readable reasons and the error that carries them."""

from __future__ import annotations

from enum import StrEnum


class RejectionReason(StrEnum):
    """A stable code per way a message can be wrong; stored with the quarantined record and counted."""

    PAYLOAD_TOO_LARGE = "payload_too_large"
    MALFORMED_JSON = "malformed_json"
    NOT_AN_OBJECT = "not_an_object"
    MISSING_FIELD = "missing_field"
    UNEXPECTED_FIELD = "unexpected_field"
    WRONG_TYPE = "wrong_type"
    INVALID_IDENTIFIER = "invalid_identifier"
    UNSUPPORTED_SCHEMA = "unsupported_schema"
    NON_FINITE_NUMBER = "non_finite_number"
    INVALID_TIMESTAMP = "invalid_timestamp"
    MEASURED_IN_FUTURE = "measured_in_future"
    MEASURED_TOO_LONG_AGO = "measured_too_long_ago"
    EMPTY_READING = "empty_reading"
    AMBIGUOUS_CONTENT = "ambiguous_content"
    UNKNOWN_METRIC = "unknown_metric"
    UNKNOWN_UNIT = "unknown_unit"
    IMPLAUSIBLE_VALUE = "implausible_value"
    DUPLICATE_METRIC = "duplicate_metric"
    INCOMPLETE_PANEL = "incomplete_panel"
    INCONSISTENT_PANEL = "inconsistent_panel"
    UNKNOWN_QUESTIONNAIRE = "unknown_questionnaire"
    UNKNOWN_QUESTION = "unknown_question"
    INVALID_ANSWER = "invalid_answer"
    TENANT_MISMATCH = "tenant_mismatch"
    DEVICE_MISMATCH = "device_mismatch"
    DEVICE_NOT_ASSIGNED = "device_not_assigned"
    CONFLICTING_REPLAY = "conflicting_replay"
    RECEIVED_AT_MISMATCH = "received_at_mismatch"  # the body's arrival time is not the queue's
    IMPLAUSIBLE_CHANGE = "implausible_change"  # too far from the patient's previous reading of the metric


class PayloadRejected(Exception):
    """A message that retrying cannot fix. ``detail`` may name fields and values: it is stored in the
    encrypted quarantine record, never logged; ``reason`` is safe to log and to use as a metric dimension."""

    def __init__(self, reason: RejectionReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail
        # Filled in by the parser when the message got far enough to name them (safe to log).
        self.device_id: str | None = None
        self.reading_id: str | None = None
