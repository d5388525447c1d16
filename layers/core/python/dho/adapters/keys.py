"""Single-table key design of a tenant's table (one table per tenant, so keys carry no tenant).

| item                 | pk                      | sk                                         |
|----------------------|-------------------------|--------------------------------------------|
| patient profile      | ``PATIENT#<patient_id>``| ``PROFILE``                                |
| timeline entry       | ``PATIENT#<patient_id>``| ``TL#<series>#<measured_at>#<reading_id>`` |
| self-management plan | ``PATIENT#<patient_id>``| ``PLAN#<version>``          (issue: scoring)|
| alert                | ``PATIENT#<patient_id>``| ``ALERT#<rule>#<opened_at>`` (issue: scoring)|
| access log           | ``PATIENT#<patient_id>``| ``ACCESS#<at>#<who>``       (Normen audit)  |
| device assignment    | ``DEVICE#<device_id>``  | ``ASSIGNED#<valid_from>``                  |
| reading guard        | ``DEVICE#<device_id>``  | ``READING#<reading_id>``                   |
| quarantined message  | ``QUARANTINE``          | ``MSG#<sha256 of the message>``            |

Times are fixed-width UTC text (``dho.domain.clock``), so ``begins_with``/``between`` on ``sk`` are
time-range queries. ``series`` is a metric (``spo2``) or a symptom set (``symptoms.copd``).
The reading guard makes ingest idempotent: it is written in the same transaction as the entries, on
the condition that it does not exist yet, and holds the reading's fingerprint to tell a replay from a
reused id. Open alerts also carry ``triage_pk``/``triage_sk`` for the nurses' triage index.
"""

from __future__ import annotations

from datetime import datetime

from dho.domain.clock import to_canonical

PROFILE = "PROFILE"
QUARANTINE_PK = "QUARANTINE"


def patient_pk(patient_id: str) -> str:
    return f"PATIENT#{patient_id}"


def device_pk(device_id: str) -> str:
    return f"DEVICE#{device_id}"


def timeline_prefix(series: str) -> str:
    return f"TL#{series}#"


def timeline_sk(series: str, measured_at: datetime, reading_id: str) -> str:
    return f"{timeline_prefix(series)}{to_canonical(measured_at)}#{reading_id}"


def assignment_sk(valid_from: datetime) -> str:
    return f"ASSIGNED#{to_canonical(valid_from)}"


ASSIGNMENT_PREFIX = "ASSIGNED#"


def reading_guard_sk(reading_id: str) -> str:
    return f"READING#{reading_id}"


def quarantine_sk(message_digest: str) -> str:
    return f"MSG#{message_digest}"
