"""Missed-measurement alerts through the alert service, on in-memory ports: the hourly check of the
escalation sweep raises one yellow per silence, a reading through the readings pipeline closes it at once,
and neither replays, repeated checks nor time passing turn one silence into two alerts."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from dho.alerting.adherence_sweep import AdherenceOutcome, AdherenceSweep
from dho.alerting.policy import AlertPolicy
from dho.alerting.service import AlertService
from dho.domain.alerts import Alert, AlertPolicySettings, AlertState, CloseReason, NotificationKind
from dho.domain.findings import Rule, Severity
from dho.domain.opening_hours import OpeningHours
from dho.domain.plans import Programme, plan_from_template, revise
from dho.domain.registry import DeviceAssignment, Patient, roster_slot
from dho.ingest.service import IngestResult
from tests.support.fakes import FakeTenant
from tests.support.payloads import body, one
from tests.unit.alerting.helpers import PATIENT as WARD_PATIENT
from tests.unit.alerting.helpers import YELLOW, Ward, evaluation, finding

PATIENT = Patient("P-HF000001", "03895200076", "heart_failure")
SCALE = "scale-0001"
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # Friday 09:00 in Oslo: the last weight before the silence
DEADLINE = T0 + timedelta(hours=24 + 12)  # Saturday 20:00 UTC
NURSE = "1234567"
RULE = Rule.MISSED_MEASUREMENTS


def tick(day: int, hour: int) -> datetime:
    """The sweep's tick in the patient's slot (its minute of the hour) on 2026-11-<day>."""
    return datetime(2026, 11, day, hour, roster_slot(PATIENT.patient_id), tzinfo=UTC)


class Home:
    """A heart-failure patient with a scale, the readings pipeline and the escalation sweep's parts."""

    def __init__(self, settings: AlertPolicySettings | None = None) -> None:
        self.tenant = FakeTenant()
        self.tenant.registry.register_patient(PATIENT)
        self.tenant.registry.assign_device(DeviceAssignment(SCALE, PATIENT.patient_id, T0 - timedelta(days=30)))
        self.tenant.plans.save(plan_from_template(PATIENT.patient_id, Programme.HEART_FAILURE, T0 - timedelta(days=30)))
        self.pipeline = self.tenant.pipeline()
        policy = AlertPolicy(settings or AlertPolicySettings())
        self.service = AlertService(policy, self.tenant.alerts, self.tenant.notifier, tenant_name="Bodø")
        registry = self.tenant.registry
        self.adherence = AdherenceSweep(registry, registry, self.tenant.plans, self.tenant.timeline, self.service)

    def weigh(self, at: datetime, reading_id: str, arrived: datetime | None = None) -> list[IngestResult]:
        return self.measure(at, reading_id, "body_weight", 80.0, "kg", arrived)

    def measure(self, at: datetime, reading_id: str, metric: str, value: float, unit: str,
                arrived: datetime | None = None) -> list[IngestResult]:
        """A reading through the readings pipeline (ingest, then scoring and the alerts)."""
        arrived = arrived or at + timedelta(minutes=1)
        message = body(device_id=SCALE, reading_id=reading_id, measured_at=at.isoformat(),
                       measurements=one(metric, value, unit), received_at=arrived)
        result = self.pipeline.ingest(message, arrived_at=arrived)
        self.pipeline.score([result])
        return [result]

    def check(self, now: datetime) -> AdherenceOutcome:
        """One tick of the escalation function: the alert sweep, then the adherence checks."""
        self.service.sweep(now)
        return self.adherence.run(now)

    def alerts(self) -> list[Alert]:
        return [a for a in self.tenant.alerts.alerts.values() if a.rule is RULE]

    def sent(self) -> list[tuple[NotificationKind, Severity, Rule, str]]:
        return [(n.kind, n.severity, n.rule, text) for n, text in self.tenant.notifier.sent]


def test_an_overdue_weight_raises_one_yellow_told_once_by_e_mail_whatever_the_number_of_checks() -> None:
    home = Home()
    home.weigh(T0, "w-1")
    assert home.check(tick(21, 19)).overdue == 0  # 35 h: within interval + grace

    # WHEN the sweep checks after the deadline, hour after hour, and a tick is retried
    first = home.check(tick(21, 20))
    for hour in (20, 21, 22, 23):
        home.check(tick(21, hour))

    # THEN one yellow alert, opened at the deadline, told once (yellow: the e-mail route, never SMS)
    assert (first.checked, first.overdue, first.notified) == (1, 1, 1)
    (alert,) = home.alerts()
    assert (alert.severity, alert.state, alert.opened_at, alert.count) == (Severity.YELLOW, AlertState.OPEN,
                                                                           DEADLINE, 1)
    assert "body_weight" in alert.detail
    ((kind, severity, rule, text),) = home.sent()
    assert (kind, severity, rule) == (NotificationKind.NEW, Severity.YELLOW, RULE)
    assert text == "DHO Bodø: GULT varsel, pasient 0001: målinger eller skjema mangler. Åpne DHO-arbeidslisten."


def test_only_the_patients_of_the_ticks_minute_are_checked() -> None:
    home = Home()
    home.weigh(T0, "w-1")
    other_minute = tick(22, 10) + timedelta(minutes=1)
    assert home.check(other_minute) == AdherenceOutcome()
    assert home.alerts() == []


def test_one_new_weight_closes_it_at_once_and_a_replay_of_the_old_one_does_not_reopen_it() -> None:
    home = Home()
    first_batch = home.weigh(T0, "w-1")
    home.check(tick(21, 21))
    assert [a.state for a in home.alerts()] == [AlertState.OPEN]

    # WHEN the patient weighs again (one reading, through the readings pipeline)
    back = tick(21, 22) + timedelta(minutes=5)
    home.weigh(back, "w-2")

    # THEN the alert is closed by that one evaluation, and the watermark is the missed deadline
    (closed,) = home.alerts()
    assert (closed.state, closed.close_reason, closed.closed_by) == (AlertState.CLOSED, CloseReason.QUIET, None)
    assert home.tenant.alerts.closed_through(PATIENT.patient_id) == {RULE: DEADLINE}

    # WHEN SQS redelivers the old batch and the new one, and the sweep checks again
    assert first_batch[0].received_at is not None
    home.weigh(T0, "w-1", arrived=first_batch[0].received_at)
    home.weigh(back, "w-2")
    for hour in (22, 23):
        home.check(tick(21, hour))

    # THEN nothing opens and nobody is told again
    assert [a.state for a in home.alerts()] == [AlertState.CLOSED]
    assert len(home.sent()) == 1


def test_a_new_silence_after_a_new_weight_is_a_new_episode() -> None:
    home = Home()
    home.weigh(T0, "w-1")
    home.check(tick(21, 21))
    home.weigh(T0 + timedelta(days=2), "w-2")  # closes it
    home.check(tick(23, 19))  # 35 h after the new weight: not yet
    assert [a.state for a in home.alerts()] == [AlertState.CLOSED]
    home.check(tick(23, 20))
    states = sorted((a.opened_at, a.state) for a in home.alerts())
    assert states == [(DEADLINE, AlertState.CLOSED), (DEADLINE + timedelta(days=2), AlertState.OPEN)]
    assert len(home.sent()) == 2


def test_a_silence_that_goes_on_for_days_is_not_closed_as_stale() -> None:
    home = Home()
    home.weigh(T0, "w-1")
    for day in range(21, 28):
        home.check(tick(day, 21))
    (alert,) = home.alerts()
    assert (alert.state, alert.count) == (AlertState.OPEN, 1)
    assert len(home.sent()) == 1


def test_closed_by_a_nurse_it_stays_closed_while_the_same_silence_goes_on() -> None:
    home = Home()
    home.weigh(T0, "w-1")
    home.check(tick(21, 21))
    (alert,) = home.alerts()
    home.service.close(alert.alert_id, NURSE, tick(21, 22), CloseReason.NO_ACTION_NEEDED)
    for day in (22, 23):
        home.check(tick(day, 10))
    assert [a.state for a in home.alerts()] == [AlertState.CLOSED]
    assert len(home.sent()) == 1


def test_a_planned_absence_closes_the_open_alert_and_mutes_the_checks_until_it_ends() -> None:
    home = Home()
    home.weigh(T0, "w-1")
    home.check(tick(21, 21))
    back = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    plan = home.tenant.plans.current(PATIENT.patient_id)
    assert plan is not None
    home.tenant.plans.save(revise(plan, changed_by=NURSE, at=tick(21, 22), note="hospital", paused_until=back))
    home.check(tick(21, 23))
    (closed,) = home.alerts()
    assert closed.state is AlertState.CLOSED
    for day in (22, 24, 26):
        home.check(tick(day, 10))
    assert [a.state for a in home.alerts()] == [AlertState.CLOSED]
    # 36 h after the end of the absence without a weight: a new episode
    home.check(tick(28, 0))
    assert sorted(a.state for a in home.alerts()) == [AlertState.CLOSED, AlertState.OPEN]


def test_raised_while_the_centre_is_closed_it_waits_for_monday_and_is_told_once() -> None:
    home = Home(AlertPolicySettings(opening_hours=OpeningHours(opens=time(8), closes=time(15, 30))))
    home.weigh(T0, "w-1")
    for day, hour in ((21, 21), (22, 10), (23, 6)):
        home.check(tick(day, hour))  # Saturday evening, Sunday, Monday before opening
    assert len(home.alerts()) == 1 and home.sent() == []

    home.check(datetime(2026, 11, 23, 7, 0, tzinfo=UTC))  # Monday 08:00 in Oslo: the sweep tells the centre
    home.check(tick(23, 7))
    assert [(kind, severity, rule) for kind, severity, rule, _ in home.sent()] == [
        (NotificationKind.NEW, Severity.YELLOW, RULE)]


def test_an_spo2_reading_while_the_pulse_of_a_copd_patient_is_still_overdue_keeps_it_open() -> None:
    # The readings pipeline decides as of the arrival: an expected metric still overdue is no reason to
    # close. (COPD expects SpO2 and pulse; here the patient measured pulse once, then SpO2 only.)
    home = Home()
    home.tenant.plans.versions[PATIENT.patient_id] = [plan_from_template(PATIENT.patient_id, Programme.COPD, T0)]
    home.measure(T0, "p-1", "heart_rate", 70, "/min")
    home.check(tick(21, 21))
    (alert,) = home.alerts()
    assert "heart_rate" in alert.detail

    home.measure(tick(21, 22), "s-1", "spo2", 96, "%")

    (still,) = home.alerts()
    assert still.state is AlertState.OPEN


def test_the_policy_closes_a_missed_measurement_alert_on_one_quiet_evaluation_and_other_yellows_on_three() -> None:
    ward = Ward()
    missed = finding(RULE, YELLOW, at=T0, evidence=("w-1",), detail="body_weight overdue")
    weight = finding(Rule.WEIGHT_GAIN, YELLOW, at=T0, evidence=("w-1",), detail="weight up")
    ward.evaluate(evaluation(missed, weight, at=T0 + timedelta(minutes=1)))
    ward.evaluate(evaluation(at=T0 + timedelta(hours=1), quiet=(RULE, Rule.WEIGHT_GAIN)))
    assert ward.alerts.list_open(WARD_PATIENT) == [ward.only(Rule.WEIGHT_GAIN)]
    (closed,) = [a for a in ward.alerts.alerts.values() if a.rule is RULE]
    assert (closed.close_reason, ward.alerts.closed_through(WARD_PATIENT)[RULE]) == (CloseReason.QUIET, T0)


def test_the_sweep_closes_a_stale_yellow_but_never_a_missed_measurement_alert() -> None:
    ward = Ward()
    ward.evaluate(evaluation(finding(RULE, YELLOW, at=T0), finding(Rule.WEIGHT_GAIN, YELLOW, at=T0)))
    ward.sweep(T0 + timedelta(days=10))
    assert [a.rule for a in ward.alerts.list_open(WARD_PATIENT)] == [RULE]
