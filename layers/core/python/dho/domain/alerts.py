"""Nurse alerts: the alert record and the policy settings that drive it (no I/O).

An alert is the open episode of one rule for one patient (dedup key: patient + rule; the tenant is the
table). It is raised from a :class:`~dho.domain.findings.Finding`, counts the re-fires while it is open
(like a PagerDuty ``dedup_key`` or an Opsgenie alias + count), escalates while nobody acknowledges a
red, and is closed by a nurse (red, yellow) or automatically (yellow only: after N quiet evaluations or
when no new evidence came for a long time). A closed episode stays closed: closing moves the patient +
rule watermark up to the alert's ``last_evidence_at``, and no new alert opens on evidence measured at or
before it (a replay of the episode's readings). The decisions live in ``dho.alerting.policy``; this
module holds the data and the defaults (after Alertmanager, PagerDuty and Nightscout; README "Scoring and alerts").
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dho.domain.clock import to_canonical
from dho.domain.findings import Rule, Severity
from dho.domain.opening_hours import OpeningHours


class AlertState(StrEnum):
    OPEN = "open"  # nobody has taken it yet: a red escalates
    ACKNOWLEDGED = "acknowledged"  # a nurse took it: a red re-triggers if not closed in time
    CLOSED = "closed"


class CloseReason(StrEnum):
    RESOLVED = "resolved"  # the nurse dealt with it
    NO_ACTION_NEEDED = "no_action_needed"  # looked at it: nothing to do (a false alarm)
    REFERRED = "referred"  # handed to the GP, the hospital or the out-of-hours clinic
    # The coded outcomes a nurse closes with in the centre API (what was done about it).
    CONTACTED_PATIENT = "contacted_patient"
    ADVICE_PER_PLAN = "advice_per_plan"  # advice given by the patient's self-management plan
    GP_INFORMED = "gp_informed"
    HOME_VISIT = "home_visit"
    ADMITTED = "admitted"
    FALSE_ALARM = "false_alarm"
    DEVICE_PROBLEM = "device_problem"
    QUIET = "auto_quiet"  # yellow: N evaluations in a row without the rule firing (hysteresis)
    STALE = "auto_stale"  # yellow: no new evidence for a long time

    @property
    def automatic(self) -> bool:
        return self in (CloseReason.QUIET, CloseReason.STALE)


class ActionKind(StrEnum):
    """What was done to an alert, in its history (a nurse's action, or the policy's)."""

    ACKNOWLEDGED = "acknowledged"
    SNOOZED = "snoozed"
    SNOOZE_BROKEN = "snooze_broken"  # a worsening ended the snooze early (the policy, not a nurse)
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class AlertAction:
    """One entry of an alert's history. ``by``: the HPR number of the nurse, None when the policy acted.
    ``note`` may hold health data: never logged or sent."""

    kind: ActionKind
    at: datetime
    by: str | None = None
    until: datetime | None = None  # snoozed: when the alert wakes
    outcome: CloseReason | None = None  # closed: the coded outcome
    note: str | None = None


MAX_HISTORY = 20  # actions kept per alert (the newest): an episode with more is an outlier, not a record to grow


class NotificationKind(StrEnum):
    NEW = "new"  # the alert was raised
    REPEAT = "repeat"  # still not acknowledged (same tier), or an acknowledged red re-triggered
    ESCALATION = "escalation"  # still not acknowledged: the next tier is told
    # A yellow alert turned red, or a snoozed alert got worse (worsening always breaks through suppression).
    WORSENED = "worsened"


class Route(StrEnum):
    """Who a notification is for (README "Scoring and alerts"; published as the ``route`` attribute)."""

    CENTRE = "centre"  # the centre is open: its nurses, escalating by tier
    OUT_OF_HOURS = "out_of_hours"  # the centre is closed: a red goes to the out-of-hours clinic (last tier)


SEVERITY_RANK = {Severity.RED: 1, Severity.YELLOW: 2}  # lower = more urgent (triage order)

# Rules about the same parameter: a red one inhibits yellow ones (Alertmanager inhibition). A rule not
# listed is a family of its own.
_RULE_FAMILY: dict[Rule, str] = {
    Rule.SPO2_BAND: "spo2",
    Rule.SPO2_BELOW_PERSONAL_MEAN: "spo2",
    Rule.HEART_RATE_BAND: "heart_rate",
    Rule.RESPIRATORY_RATE_BAND: "respiratory_rate",
    Rule.BLOOD_PRESSURE_BAND: "blood_pressure",
    Rule.TEMPERATURE_BAND: "body_temperature",
    Rule.GLUCOSE_BAND: "blood_glucose",
    Rule.WEIGHT_GAIN: "body_weight",
}


class AlertClosedError(ValueError):
    """The alert is closed already: it cannot be acknowledged or closed again."""


class SnoozeRefused(ValueError):
    """The snooze asked for is not allowed (longer than the bound for the alert's severity, or not ahead)."""


def rule_family(rule: Rule) -> str:
    """The parameter a rule is about (``spo2`` for both SpO2 rules); inhibition works per family."""
    return _RULE_FAMILY.get(rule, rule.value)


def alert_id_for(patient_id: str, rule: Rule, opened_at: datetime) -> str:
    """Deterministic id: raising the same alert twice (a replayed batch) gives the same id, so the
    store can tell a replay from a new episode. Opaque (a hash): it says nothing about the patient."""
    key = f"{patient_id}|{rule.value}|{to_canonical(opened_at)}"
    return "A-" + hashlib.sha256(key.encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert episode. Immutable: every change is a new value with ``version + 1`` (the store
    writes it only if the stored version is still the previous one: optimistic concurrency)."""

    alert_id: str
    patient_id: str
    rule: Rule
    severity: Severity
    state: AlertState
    opened_at: datetime  # measured time of the evidence that raised it (deterministic under replay)
    updated_at: datetime
    last_evidence_at: datetime  # measured time of the newest evidence counted so far
    evidence: tuple[str, ...]  # reading ids, oldest first, bounded (newest kept)
    detail: str  # worklist text from the latest finding; may hold values: never in an SMS or a log
    policy_version: str  # the policy the alert was raised under
    count: int = 1  # times the condition fired while this alert was open (1 = only the first time)
    tier: int = 0  # escalation tier last notified
    notifications_sent: int = 0
    last_notified_at: datetime | None = None
    next_notify_at: datetime | None = None  # when the sweep has work on it (repeat, escalation, re-trigger)
    escalation_started_at: datetime | None = None  # start of the current escalation cycle (red only)
    escalation_step: int = 0  # index in the escalation schedule of the last notification of the cycle
    route: Route = Route.CENTRE  # the route of the current escalation cycle (red) or of the yellow's notice
    quiet_count: int = 0  # consecutive evaluations in which the rule was evaluated and did not fire
    last_quiet_evaluation_at: datetime | None = None  # the newest quiet evaluation counted (replay guard)
    acknowledged_by: str | None = None  # HPR number of the nurse
    acknowledged_at: datetime | None = None
    closed_by: str | None = None  # HPR number, or None when closed automatically
    closed_at: datetime | None = None
    close_reason: CloseReason | None = None
    close_note: str | None = None  # the nurse's note on closing; may hold health data: never logged or sent
    score: float | None = None  # the worst score the rule gave in this episode (NEWS2 total, kg gained)
    snoozed_until: datetime | None = None  # a nurse's snooze: no repeat or escalation before this
    history: tuple[AlertAction, ...] = ()  # what nurses (and the policy) did to it, oldest first
    version: int = 1

    @property
    def is_open(self) -> bool:
        """Open or acknowledged: still on the nurses' triage list."""
        return self.state is not AlertState.CLOSED

    @property
    def family(self) -> str:
        return rule_family(self.rule)

    def snoozed_at(self, now: datetime) -> bool:
        return self.snoozed_until is not None and now < self.snoozed_until

    def recorded(self, action: AlertAction) -> tuple[AlertAction, ...]:
        """The history with ``action`` added (bounded: the oldest entries go first)."""
        return (*self.history, action)[-MAX_HISTORY:]


@dataclass(frozen=True, slots=True)
class Notification:
    """Something to tell the nurses about one patient. Alerts of the same patient, severity and tier
    raised by one decision are grouped into one notification (one measurement session gives one SMS,
    not three): ``alert_id``/``rule`` name the most pressing one, ``other_alert_ids`` the rest."""

    alert_id: str
    patient_id: str
    severity: Severity
    rule: Rule
    tier: int
    kind: NotificationKind
    other_alert_ids: tuple[str, ...] = ()
    route: Route = Route.CENTRE  # out of hours: a red for the out-of-hours clinic, at the last tier

    @property
    def alert_ids(self) -> tuple[str, ...]:
        return (self.alert_id, *self.other_alert_ids)


@dataclass(frozen=True, slots=True)
class PendingNotification:
    """A notification written to the outbox in the same write as its alert change, and deleted once it
    is published. Holds the :class:`Notification` (no names, national ids or values: the text is
    rendered again from it) and ``alert_version``, the version of the lead alert (``alert_id``) the
    notification was decided with: (alert id, version) names one notification for good.
    ``due_at``: when the sweep may publish it if it is still pending (written + a grace period, so the
    sweep never races the publish that follows the write)."""

    notification: Notification
    alert_version: int
    due_at: datetime

    @property
    def key(self) -> str:
        return f"{self.notification.alert_id}#{self.alert_version:06d}"


class AlertPolicySettings(BaseModel):
    """The alert policy's knobs, with the README's defaults. ``version`` is stored on every alert raised
    under these settings; change it whenever a value changes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(default="2026-11.1", min_length=1, max_length=40)
    # Red, not acknowledged: notify again every red_repeat_minutes; tier i is first told
    # tier_after_minutes[i] after the start of a loop (0: centre nurses, 15: second nurse,
    # 30: out-of-hours clinic); after the last tier the loop starts again, at most max_loops times.
    red_repeat_minutes: int = Field(default=15, ge=1, le=240)
    tier_after_minutes: tuple[int, ...] = (0, 15, 30)
    max_loops: int = Field(default=3, ge=1, le=10)
    # Red, acknowledged but not closed: re-triggers (back to open, escalation from tier 0) after this.
    acknowledged_retrigger_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # A re-fire this soon after the last notification only bumps the count. Later, a re-fire of a red
    # that is acknowledged (or whose escalation has run out) notifies again. Yellow never notifies again.
    repeat_suppression_minutes: int = Field(default=30, ge=0, le=24 * 60)
    # Yellow closes itself after this many evaluations in a row that evaluated the rule and found it
    # quiet (hysteresis), or after this long without new evidence. Red is only ever closed by a nurse.
    yellow_quiet_evaluations_to_close: int = Field(default=3, ge=1, le=100)
    stale_yellow_hours: int = Field(default=72, ge=1, le=24 * 60)
    # Missed measurements (adherence): one evaluation that finds the schedule kept again (the patient
    # measured) closes it, no hysteresis: the measurement itself is the evidence. It never goes stale:
    # its condition is the absence of new evidence, so only measuring again or a nurse ends it.
    missed_measurements_quiet_evaluations_to_close: int = Field(default=1, ge=1, le=100)
    max_evidence: int = Field(default=20, ge=1, le=200)
    # The longest a nurse may snooze an alert. Yellow: up to a day (it asks for a look today; the next
    # day's measurement shows whether it matters). Red: up to an hour, only to wait for a re-measurement
    # the nurse asked for; longer means it is handled and should be closed (0: reds are never snoozed).
    red_snooze_max_minutes: int = Field(default=60, ge=0, le=240)
    yellow_snooze_max_minutes: int = Field(default=24 * 60, ge=0, le=7 * 24 * 60)
    # The response centre's opening hours (Europe/Oslo). Outside them a red goes on the out-of-hours route
    # (straight to the last tier, the out-of-hours clinic) and a yellow waits for the next opening.
    # None: the centre never closes (every alert on the centre route, as before opening hours existed).
    opening_hours: OpeningHours | None = None

    @model_validator(mode="after")
    def _tiers_start_at_once_and_increase(self) -> AlertPolicySettings:
        tiers = self.tier_after_minutes
        if not tiers or tiers[0] != 0:
            raise ValueError("tier_after_minutes must start with 0 (the first tier is told at once)")
        if any(later <= earlier for earlier, later in pairwise(tiers)):
            raise ValueError("tier_after_minutes must increase strictly")
        return self

    @property
    def red_repeat(self) -> timedelta:
        return timedelta(minutes=self.red_repeat_minutes)

    @property
    def acknowledged_retrigger(self) -> timedelta:
        return timedelta(minutes=self.acknowledged_retrigger_minutes)

    @property
    def repeat_suppression(self) -> timedelta:
        return timedelta(minutes=self.repeat_suppression_minutes)

    @property
    def stale_yellow(self) -> timedelta:
        return timedelta(hours=self.stale_yellow_hours)

    def snooze_limit(self, severity: Severity) -> timedelta:
        minutes = self.red_snooze_max_minutes if severity is Severity.RED else self.yellow_snooze_max_minutes
        return timedelta(minutes=minutes)

    @classmethod
    def from_tenant_policy(cls, policy_json: str, **overrides: Any) -> AlertPolicySettings:
        """Settings from the tenant's ``DHO_ALERT_POLICY`` (``infra.config.Tenant.alert_policy_json``):
        its ``escalation`` block gives the repeat interval, the second-nurse delay (the third tier
        follows after as long again), the acknowledgement re-trigger and the loops; its
        ``response_centre`` block the opening hours (``opens``, ``closes``, ``days``, ``timezone``,
        ``closed_on_public_holidays``).
        Other keys there (the programmes, the reading-delay alarm) are not the policy's business."""
        policy = json.loads(policy_json)
        escalation = policy.get("escalation", {})
        values: dict[str, Any] = {}
        centre = policy.get("response_centre")
        if centre is not None:
            fields = ("opens", "closes", "days", "timezone", "closed_on_public_holidays")
            values["opening_hours"] = OpeningHours.model_validate({k: centre[k] for k in fields if k in centre})
        if "red_repeat_minutes" in escalation:
            values["red_repeat_minutes"] = escalation["red_repeat_minutes"]
        if "second_nurse_after_minutes" in escalation:
            second = int(escalation["second_nurse_after_minutes"])
            values["tier_after_minutes"] = (0, second, 2 * second)
        if "acknowledged_retrigger_minutes" in escalation:
            values["acknowledged_retrigger_minutes"] = escalation["acknowledged_retrigger_minutes"]
        if "max_loops" in escalation:
            values["max_loops"] = escalation["max_loops"]
        return cls(**{**values, **overrides})
