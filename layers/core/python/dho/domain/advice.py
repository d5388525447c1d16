"""Advice back to the patient's device: the zone of a reading for this patient and what the plan says
to do in it, sent on the device's own MQTT topic (``dho/<tenant>/devices/<deviceId>/advice``).

A message carries codes and the plan's text only: never a name, a national id or the measured value
(the topic is the device's; the patient id stays in the platform). Each reading gets at most one
advice, whose message id is derived from the tenant and the reading id, so a redelivered batch sends
the same message id again and a device can drop the repeat (QoS 1 is at-least-once anyway).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from dho.domain.findings import Evaluation, Severity
from dho.domain.plan_advice import AdviceLanguage, ZoneAdvice

_MESSAGE_IDS = uuid.UUID("6f1c2e9a-3b7d-4f0e-9a55-2d8c1e4b7a10")  # namespace of advice message ids


class AdviceZone(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    UNKNOWN = "unknown"  # no rule of the plan looked at this reading (no limits for it, or a newer one won)


class AdviceKind(StrEnum):
    ZONE = "zone"  # the zone of a reading and the plan's text for it
    REMEASURE = "remeasure"  # one reading out of band: measure again in a few minutes (the plan's remeasure text)
    CONFIRMED = "confirmed"  # the yellow measured again within the window: the plan's yellow text
    OVERDUE = "overdue"  # a measurement or questionnaire the plan expects is due and not made: its reminder text


class SendOutcome(StrEnum):
    SENT = "sent"  # IoT Core accepted the publish (QoS 1: delivered at least once to a connected subscriber)
    NOT_SENT = "not_sent"  # the publish failed after the client's retries: the nurse sees it was not sent


def advice_topic(tenant_id: str, device_id: str) -> str:
    return f"dho/{tenant_id}/devices/{device_id}/advice"


def zone_of_reading(evaluation: Evaluation, reading_id: str) -> AdviceZone:
    """The worst severity of the findings resting on the reading; green if a rule looked at it and none
    fired; unknown if no rule looked at it (the nurse's alerts and the patient's advice agree). A reading
    out of band awaiting its re-measurement has its band's zone, never green."""
    severities = {f.severity for f in evaluation.findings if reading_id in f.evidence}
    awaiting = evaluation.awaiting(reading_id)
    if awaiting is not None:
        severities.add(awaiting)
    if Severity.RED in severities:
        return AdviceZone.RED
    if Severity.YELLOW in severities:
        return AdviceZone.YELLOW
    return AdviceZone.GREEN if reading_id in evaluation.assessed_readings else AdviceZone.UNKNOWN


def advice_text(texts: ZoneAdvice, zone: AdviceZone) -> str | None:
    """The plan's text of the zone; None for unknown (the message then says only that it was received)."""
    return {AdviceZone.GREEN: texts.green, AdviceZone.YELLOW: texts.yellow, AdviceZone.RED: texts.red}.get(zone)


def overdue_message_id(tenant_id: str, series: str, reading_id: str) -> str:
    """One reminder per series (a metric, or ``symptoms.<questionnaire>``) per silence: the silence after a
    reading is named by that reading."""
    return str(uuid.uuid5(_MESSAGE_IDS, f"{tenant_id}/overdue/{series}/{reading_id}"))


def advice_message_id(tenant_id: str, reading_id: str) -> str:
    """One advice per reading, whatever its kind: a redelivery finds it by the reading alone."""
    return str(uuid.uuid5(_MESSAGE_IDS, f"{tenant_id}/advice/{reading_id}"))


@dataclass(frozen=True, slots=True)
class Advice:
    """One advice for one device, and (once tried) whether it was sent. ``patient_id`` files it in the
    patient's history; it is never part of the message."""

    message_id: str
    tenant_id: str
    patient_id: str
    device_id: str
    reading_id: str
    kind: AdviceKind
    zone: AdviceZone
    text: str | None
    language: AdviceLanguage
    plan_version: int
    measured_at: datetime  # of the reading it answers: files the advice in the patient's history
    sent_at: datetime | None = None
    outcome: SendOutcome | None = None
    error: str | None = None  # the error type when not sent (never a message: it may hold values)
    metric: str | None = None  # an overdue reminder's metric code (the reading is the newest of it)
    questionnaire: str | None = None  # or its questionnaire id (the reading is the newest answer to it)

    @property
    def topic(self) -> str:
        return advice_topic(self.tenant_id, self.device_id)

    def payload(self) -> bytes:
        """What the device receives (JSON, UTF-8): codes, the plan's text and ids; nothing about the person."""
        message = {
            "message_id": self.message_id, "kind": self.kind.value, "reading_id": self.reading_id,
            "zone": self.zone.value, "text": self.text, "language": self.language.value,
            "plan_version": self.plan_version,
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
        }
        if self.metric is not None:
            message["metric"] = self.metric
        if self.questionnaire is not None:
            message["questionnaire"] = self.questionnaire
        return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
