"""The patient's overdue reminder: when a measurement the plan expects is due (its interval passed) and
not yet on the nurse's missed-measurement list (the grace not passed), the device that made the last one
is reminded once on its advice topic, by the hourly check of the escalation sweep, on in-memory ports
with injected clocks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from dho.advice.overdue_reminders import OverdueReminders
from dho.alerting.adherence_sweep import AdherenceOutcome, AdherenceSweep
from dho.alerting.policy import AlertPolicy
from dho.alerting.service import AlertService
from dho.domain.advice import SendOutcome
from dho.domain.alerts import AlertPolicySettings
from dho.domain.metrics import Metric
from dho.domain.plan_advice import ADVICE_TEMPLATES, AdviceLanguage
from dho.domain.plans import MeasurementSchedule, Programme, plan_from_template, revise
from dho.domain.registry import DeviceAssignment, Patient, roster_slot
from dho.evaluation.adherence import Measured
from tests.support.fakes import FakeTenant
from tests.support.payloads import body, one

PATIENT = Patient("P-HF000002", "03895200076", "heart_failure")
SCALE = "scale-0002"
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # the last weight; due 24 h later, on the nurse's list 12 h after
TOPIC = f"dho/bodo/devices/{SCALE}/advice"
OVERDUE_NB = ADVICE_TEMPLATES["heart_failure"][AdviceLanguage.BOKMAL].overdue


def tick(day: int, hour: int) -> datetime:
    """The sweep's tick in the patient's slot (its minute of the hour) on 2026-11-<day>."""
    return datetime(2026, 11, day, hour, roster_slot(PATIENT.patient_id), tzinfo=UTC)


class Home:
    def __init__(self) -> None:
        self.tenant = FakeTenant()
        self.tenant.registry.register_patient(PATIENT)
        self.tenant.registry.assign_device(DeviceAssignment(SCALE, PATIENT.patient_id, T0 - timedelta(days=30)))
        self.tenant.plans.save(plan_from_template(PATIENT.patient_id, Programme.HEART_FAILURE, T0 - timedelta(days=30)))
        self.pipeline = self.tenant.pipeline()
        service = AlertService(AlertPolicy(AlertPolicySettings()), self.tenant.alerts, self.tenant.notifier,
                               tenant_name="Bodø")
        self.now = T0
        self.reminders = OverdueReminders("bodo", self.tenant.registry, self.tenant.messenger, self.tenant.advice_log,
                                          clock=lambda: self.now)
        registry = self.tenant.registry
        self.sweep = AdherenceSweep(registry, registry, self.tenant.plans, self.tenant.timeline, service,
                                    reminders=self.reminders)

    def weigh(self, at: datetime, reading_id: str) -> None:
        arrived = at + timedelta(minutes=1)
        message = body(device_id=SCALE, reading_id=reading_id, measured_at=at.isoformat(),
                       measurements=one("body_weight", 80.0, "kg"), received_at=arrived)
        self.pipeline.score([self.pipeline.ingest(message, arrived_at=arrived)])

    def check(self, now: datetime) -> AdherenceOutcome:
        self.now = now
        return self.sweep.run(now)

    def reminders_sent(self) -> list[dict[str, object]]:
        messages = [json.loads(p) for topic, p, _ in self.tenant.messenger.published if topic == TOPIC]
        return [m for m in messages if m["kind"] == "overdue"]


def test_a_weight_due_is_reminded_once_before_the_nurses_list_shows_it() -> None:
    home = Home()
    home.weigh(T0, "w-1")

    # WHEN the hourly check runs before the weight is due, then every hour of the grace, one tick retried
    before = home.check(tick(21, 7))  # 23 h: not due yet
    first = home.check(tick(21, 8))  # 24 h: due
    for hour in (8, 9, 10, 19):
        home.check(tick(21, hour))

    # THEN one reminder, with the plan's overdue text, naming the metric and the reading it follows
    assert (before.reminded, first.reminded) == (0, 1)
    [message] = home.reminders_sent()
    assert (message["text"], message["metric"], message["reading_id"], message["zone"]) == (
        OVERDUE_NB, "body_weight", "w-1", "unknown")
    assert PATIENT.patient_id not in json.dumps(message)
    # and the nurse's list does not show it yet
    assert first.overdue == 0 and home.tenant.alerts.alerts == {}
    # and the nurse sees in the patient's history that it was sent, and when
    [kept] = [a for a in home.tenant.advice_log.records.values() if a.kind.value == "overdue"]
    assert (kept.outcome, kept.sent_at) == (SendOutcome.SENT, tick(21, 8))


def test_past_the_grace_the_nurses_list_takes_over_and_the_patient_is_not_reminded_late() -> None:
    home = Home()
    home.weigh(T0, "w-1")

    outcome = home.check(tick(21, 21))  # 37 h: past 24 h + 12 h

    assert outcome.overdue == 1 and outcome.reminded == 0 and home.reminders_sent() == []


def test_a_new_weight_starts_a_new_silence_with_its_own_reminder() -> None:
    home = Home()
    home.weigh(T0, "w-1")
    home.check(tick(21, 9))
    home.weigh(datetime(2026, 11, 21, 10, 0, tzinfo=UTC), "w-2")

    home.check(tick(22, 10))  # 24 h after w-2
    home.check(tick(22, 11))

    assert [m["reading_id"] for m in home.reminders_sent()] == ["w-1", "w-2"]


def test_no_reminder_while_paused_or_to_a_device_the_patient_gave_back() -> None:
    paused = Home()
    paused.weigh(T0, "w-1")
    plan = paused.tenant.plans.current(PATIENT.patient_id)
    assert plan is not None
    paused.tenant.plans.save(revise(plan, changed_by="9144900", at=T0, note="innlagt",
                                    paused_until=T0 + timedelta(days=3)))
    returned = Home()
    returned.weigh(T0, "w-1")
    returned.tenant.registry.unassign_device(SCALE, PATIENT.patient_id, T0 + timedelta(hours=2))

    assert paused.check(tick(21, 9)).reminded == 0 and paused.reminders_sent() == []
    assert returned.check(tick(21, 9)).reminded == 0 and returned.reminders_sent() == []


def test_iot_core_down_is_kept_as_not_sent_and_the_next_check_in_the_grace_sends_it() -> None:
    home = Home()
    home.weigh(T0, "w-1")
    home.tenant.messenger.failing = True

    failed = home.check(tick(21, 9))
    home.tenant.messenger.failing = False
    retried = home.check(tick(21, 10))

    assert (failed.reminded, retried.reminded) == (0, 1)
    assert len(home.reminders_sent()) == 1


def test_a_reminder_that_fails_for_one_patient_fails_no_alert_decision() -> None:
    home = Home()
    home.weigh(T0, "w-1")

    class Broken:
        def recorded(self, advice: object) -> None:
            raise RuntimeError("store down")

    home.reminders._log = Broken()  # type: ignore[assignment]

    outcome = home.check(tick(21, 9))

    assert (outcome.checked, outcome.failed, outcome.reminded) == (1, 0, 0)


def test_no_grace_means_no_reminder_window_the_nurses_list_shows_it_at_once() -> None:
    home = Home()
    plan = home.tenant.plans.current(PATIENT.patient_id)
    assert plan is not None
    strict = revise(plan, changed_by="9144900", at=T0, note="strict",
                    expected_measurements={Metric.BODY_WEIGHT: MeasurementSchedule(every_hours=24, grace_hours=0)})

    newest: dict[str, Measured | None] = {Metric.BODY_WEIGHT: Measured(T0, "w-1", SCALE)}

    # 25 h after the weight: the programme's plan (12 h grace) reminds, one with no grace does not
    assert [a.metric for a in home.reminders.remind(plan, newest, tick(21, 9))] == ["body_weight"]
    assert home.reminders.remind(strict, newest, tick(21, 9)) == []
