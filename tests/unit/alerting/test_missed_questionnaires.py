"""Missed questionnaires through the hourly adherence sweep, on in-memory ports with fixed tick times: a
PHQ-9 answer the plan expects weekly and does not get raises the one yellow missed alert naming the
questionnaire (no answer, no score, nothing about the person), one new answer closes it, a planned absence
mutes it, and neither retried ticks nor a redelivered answer make a second alert."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from dho.alerting.adherence_sweep import AdherenceOutcome, AdherenceSweep
from dho.alerting.policy import AlertPolicy
from dho.alerting.service import AlertService
from dho.domain.alerts import Alert, AlertPolicySettings, AlertState, CloseReason, NotificationKind
from dho.domain.findings import Rule, Severity
from dho.domain.plans import MeasurementSchedule, Programme, plan_from_template, revise
from dho.domain.registry import DeviceAssignment, Patient, roster_slot
from dho.ingest.service import IngestResult
from tests.support.fakes import FakeTenant
from tests.support.payloads import message

PATIENT = Patient("P-MENT0042", "03895200076", "mental_health")
APP = "app-0042"
NURSE = "1234567"
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # the last PHQ-9 answer before the silence
WEEKLY = MeasurementSchedule(every_hours=24 * 7, grace_hours=12)
DEADLINE = T0 + timedelta(hours=24 * 7 + 12)  # 2026-11-27 20:00 UTC
NOT_DEPRESSED = {f"phq9_{item}": "LA6568-5" for item in range(1, 10)}  # "not at all" to every item


def tick(day: int, hour: int) -> datetime:
    """The sweep's tick in the patient's slot (its minute of the hour) on 2026-11-<day>."""
    return datetime(2026, 11, day, hour, roster_slot(PATIENT.patient_id), tzinfo=UTC)


class MentalHealthHome:
    """A mental-health patient whose plan expects PHQ-9 weekly, with the app, the readings pipeline and the
    escalation sweep's parts."""

    def __init__(self) -> None:
        self.tenant = FakeTenant()
        self.tenant.registry.register_patient(PATIENT)
        self.tenant.registry.assign_device(DeviceAssignment(APP, PATIENT.patient_id, T0 - timedelta(days=30)))
        template = plan_from_template(PATIENT.patient_id, Programme.MENTAL_HEALTH, T0 - timedelta(days=30))
        self.tenant.plans.save(revise(template, changed_by=NURSE, at=T0 - timedelta(days=29), note="PHQ-9 weekly",
                                      expected_questionnaires={"phq9": WEEKLY}))
        self.pipeline = self.tenant.pipeline()
        self.service = AlertService(AlertPolicy(AlertPolicySettings()), self.tenant.alerts, self.tenant.notifier,
                                    tenant_name="Bodø")
        registry = self.tenant.registry
        self.adherence = AdherenceSweep(registry, registry, self.tenant.plans, self.tenant.timeline, self.service)

    def answer(self, at: datetime, reading_id: str, arrived: datetime | None = None) -> IngestResult:
        """A PHQ-9 answer from the app through the readings pipeline (ingest, then scoring and the alerts)."""
        arrived = arrived or at + timedelta(minutes=1)
        document = message(device_id=APP, reading_id=reading_id, measured_at=at.isoformat(), received_at=arrived,
                           symptoms={"questionnaire": "phq9", "answers": NOT_DEPRESSED})
        del document["measurements"]
        result = self.pipeline.ingest(json.dumps(document), arrived_at=arrived)
        self.pipeline.score([result])
        return result

    def check(self, now: datetime) -> AdherenceOutcome:
        """One tick of the escalation function: the alert sweep, then the adherence checks."""
        self.service.sweep(now)
        return self.adherence.run(now)

    def alerts(self) -> list[Alert]:
        return list(self.tenant.alerts.alerts.values())

    def sent(self) -> list[tuple[NotificationKind, Severity, Rule, str]]:
        return [(n.kind, n.severity, n.rule, text) for n, text in self.tenant.notifier.sent]


def test_a_late_weekly_phq9_raises_one_yellow_missed_alert_naming_it_and_nothing_else() -> None:
    home = MentalHealthHome()
    home.answer(T0, "q-1")
    assert home.check(tick(27, 19)).overdue == 0  # within the week + grace

    # WHEN the sweep checks after the deadline, hour after hour, and a tick is retried
    first = home.check(tick(27, 21))
    for hour in (21, 22, 23):
        home.check(tick(27, hour))

    # THEN one yellow missed alert, opened at the deadline, told once by e-mail
    assert (first.checked, first.overdue, first.notified) == (1, 1, 1)
    (alert,) = home.alerts()
    assert (alert.rule, alert.severity, alert.state) == (Rule.MISSED_MEASUREMENTS, Severity.YELLOW, AlertState.OPEN)
    assert (alert.opened_at, alert.count, alert.evidence) == (DEADLINE, 1, ("q-1",))
    assert "questionnaire phq9 (every 168 h" in alert.detail
    ((kind, severity, rule, text),) = home.sent()
    assert (kind, severity, rule) == (NotificationKind.NEW, Severity.YELLOW, Rule.MISSED_MEASUREMENTS)
    # No answer, no score, nothing about the person, in the nurse's detail or the e-mail.
    for shown in (alert.detail, text):
        assert "LA6568" not in shown and PATIENT.national_id not in shown and "score" not in shown


def test_one_new_phq9_answer_closes_it_and_a_redelivered_answer_does_not_reopen_it() -> None:
    home = MentalHealthHome()
    first = home.answer(T0, "q-1")
    home.check(tick(27, 21))
    assert [a.state for a in home.alerts()] == [AlertState.OPEN]

    # WHEN the patient answers again (one answer, through the readings pipeline)
    back = tick(27, 22) + timedelta(minutes=5)
    home.answer(back, "q-2")

    # THEN that one evaluation closes it, with the missed deadline as the watermark
    (closed,) = home.alerts()
    assert (closed.state, closed.close_reason) == (AlertState.CLOSED, CloseReason.QUIET)
    assert home.tenant.alerts.closed_through(PATIENT.patient_id) == {Rule.MISSED_MEASUREMENTS: DEADLINE}

    # WHEN SQS redelivers both answers and the sweep checks again, THEN nothing opens, nobody is told again
    assert first.received_at is not None
    home.answer(T0, "q-1", arrived=first.received_at)
    home.answer(back, "q-2")
    for hour in (22, 23):
        home.check(tick(27, hour))
    assert [a.state for a in home.alerts()] == [AlertState.CLOSED]
    assert len(home.sent()) == 1


def test_a_paused_plan_gets_no_missed_questionnaire_alert_and_its_clock_starts_again_when_it_ends() -> None:
    home = MentalHealthHome()
    home.answer(T0, "q-1")
    back = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    plan = home.tenant.plans.current(PATIENT.patient_id)
    assert plan is not None
    home.tenant.plans.save(revise(plan, changed_by=NURSE, at=T0 + timedelta(days=1), note="admitted",
                                  paused_until=back))

    for day, hour in ((27, 21), (28, 10), (29, 11), (30, 12)):  # past the deadline, and after the absence
        assert home.check(tick(day, hour)).overdue == 0
    assert home.alerts() == [] and home.sent() == []

    # The overdue clock started again at the end of the absence: a week + grace later it is missed
    back_deadline = back + WEEKLY.overdue_after
    assert home.check(back_deadline.replace(minute=roster_slot(PATIENT.patient_id)) + timedelta(hours=1)).overdue == 1
    assert [a.opened_at for a in home.alerts()] == [back_deadline]
