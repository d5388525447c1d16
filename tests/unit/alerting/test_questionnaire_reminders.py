"""The patient's reminder for a late questionnaire: when a questionnaire the plan expects is due (its interval
passed since the last answer) and not yet on the nurse's missed list (the grace not passed), the app that sent
the last answer is reminded once on its advice topic with the plan's questionnaire reminder text, naming the
questionnaire by its code only; past the grace the nurse's yellow missed alert takes over. In-memory ports,
fixed tick times, injected clocks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from dho.advice.overdue_reminders import OverdueReminders
from dho.alerting.adherence_sweep import AdherenceOutcome, AdherenceSweep
from dho.alerting.policy import AlertPolicy
from dho.alerting.service import AlertService
from dho.domain.advice import SendOutcome
from dho.domain.alerts import AlertPolicySettings
from dho.domain.findings import Rule
from dho.domain.plan_advice import ADVICE_TEMPLATES, AdviceLanguage
from dho.domain.plans import MeasurementSchedule, Programme, SelfManagementPlan, plan_from_template, revise
from dho.domain.registry import DeviceAssignment, Patient, roster_slot
from dho.evaluation.adherence import Measured
from tests.support.fakes import FakeTenant
from tests.support.payloads import message

NURSE = "9144900"
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # the last answer before the silence
NOT_AT_ALL = "LA6568-5"
PHQ9 = {f"phq9_{item}": NOT_AT_ALL for item in range(1, 10)}
ESAS = {"esas_pain": 2, "pain_site": ["back"], **{f"esas_{k}": 1 for k in (
    "tiredness", "drowsiness", "nausea", "appetite", "shortness_of_breath", "depression", "anxiety", "wellbeing",
    "other")}}
REMINDER_NB = ADVICE_TEMPLATES["mental_health"][AdviceLanguage.BOKMAL].overdue_questionnaire


class AppHome:
    """One patient with the app, the readings pipeline and the escalation sweep's adherence check."""

    def __init__(self, patient: Patient, programme: Programme, app: str, **plan_changes: Any) -> None:
        self.patient, self.app = patient, app
        self.tenant = FakeTenant()
        self.tenant.registry.register_patient(patient)
        self.tenant.registry.assign_device(DeviceAssignment(app, patient.patient_id, T0 - timedelta(days=30)))
        plan = plan_from_template(patient.patient_id, programme, T0 - timedelta(days=30))
        if plan_changes:
            plan = revise(plan, changed_by=NURSE, at=T0 - timedelta(days=29), note="endret", **plan_changes)
        self.tenant.plans.save(plan)
        self.pipeline = self.tenant.pipeline()
        service = AlertService(AlertPolicy(AlertPolicySettings()), self.tenant.alerts, self.tenant.notifier,
                               tenant_name="Bodø")
        self.now = T0
        self.reminders = OverdueReminders("bodo", self.tenant.registry, self.tenant.messenger,
                                          self.tenant.advice_log, clock=lambda: self.now)
        registry = self.tenant.registry
        self.sweep = AdherenceSweep(registry, registry, self.tenant.plans, self.tenant.timeline, service,
                                    reminders=self.reminders)

    def answer(self, questionnaire: str, answers: dict[str, Any], at: datetime, reading_id: str) -> None:
        arrived = at + timedelta(minutes=1)
        document = message(device_id=self.app, reading_id=reading_id, measured_at=at.isoformat(), received_at=arrived,
                           symptoms={"questionnaire": questionnaire, "answers": answers})
        del document["measurements"]
        self.pipeline.score([self.pipeline.ingest(json.dumps(document), arrived_at=arrived)])

    def tick(self, at: datetime) -> datetime:
        """``at``'s hour at the patient's minute (the slot of the hourly checks)."""
        return at.replace(minute=roster_slot(self.patient.patient_id))

    def check(self, at: datetime) -> AdherenceOutcome:
        self.now = self.tick(at)
        return self.sweep.run(self.now)

    def reminders_sent(self) -> list[dict[str, Any]]:
        topic = f"dho/bodo/devices/{self.app}/advice"
        messages = [json.loads(p) for t, p, _ in self.tenant.messenger.published if t == topic]
        return [m for m in messages if m["kind"] == "overdue"]

    def plan(self) -> SelfManagementPlan:
        plan = self.tenant.plans.current(self.patient.patient_id)
        assert plan is not None
        return plan


def _mental_health() -> AppHome:
    return AppHome(Patient("P-MENT0007", "03895200076", "mental_health"), Programme.MENTAL_HEALTH, "app-0007",
                   expected_questionnaires={"phq9": MeasurementSchedule(every_hours=24 * 7, grace_hours=12)})


def test_a_late_weekly_phq9_is_reminded_once_on_the_app_before_the_nurses_list_shows_it() -> None:
    home = _mental_health()
    home.answer("phq9", PHQ9, T0, "q-1")

    # WHEN the hourly check runs before the week is up, then every hour of the 12 h grace (one tick retried)
    before = home.check(T0 + timedelta(days=7, hours=-1))
    first = home.check(T0 + timedelta(days=7))
    for hours in (0, 1, 2, 11):
        home.check(T0 + timedelta(days=7, hours=hours))

    # THEN one reminder with the plan's questionnaire reminder text, naming the questionnaire by its code
    assert (before.reminded, first.reminded) == (0, 1)
    [reminder] = home.reminders_sent()
    assert (reminder["text"], reminder["questionnaire"], reminder["reading_id"], reminder["zone"]) == (
        REMINDER_NB, "phq9", "q-1", "unknown")
    assert "metric" not in reminder
    # codes only: no patient id, no national id, no answer
    wire = json.dumps(reminder)
    assert home.patient.patient_id not in wire and home.patient.national_id not in wire and NOT_AT_ALL not in wire
    # the nurse's list does not show it yet, and the patient's history keeps the reminder as sent
    assert first.overdue == 0 and home.tenant.alerts.alerts == {}
    [kept] = [a for a in home.tenant.advice_log.records.values() if a.kind.value == "overdue"]
    assert (kept.outcome, kept.questionnaire, kept.metric, kept.sent_at) == (
        SendOutcome.SENT, "phq9", None, home.tick(T0 + timedelta(days=7)))


def test_past_the_grace_the_missed_alert_takes_over_and_a_new_answer_starts_a_new_reminder_period() -> None:
    home = _mental_health()
    home.answer("phq9", PHQ9, T0, "q-1")
    home.check(T0 + timedelta(days=7, hours=1))

    late = home.check(T0 + timedelta(days=7, hours=13))  # past the week + 12 h
    assert (late.overdue, late.reminded) == (1, 0)
    assert {a.rule for a in home.tenant.alerts.alerts.values()} == {Rule.MISSED_MEASUREMENTS}

    home.answer("phq9", PHQ9, T0 + timedelta(days=8), "q-2")
    home.check(T0 + timedelta(days=15, hours=1))
    home.check(T0 + timedelta(days=15, hours=2))

    assert [(m["questionnaire"], m["reading_id"]) for m in home.reminders_sent()] == [("phq9", "q-1"), ("phq9", "q-2")]


def test_a_daily_esas_r_uses_the_text_a_nurse_saved_in_the_plan() -> None:
    own = "Husk smerteskjemaet i appen i dag."
    cancer = AppHome(Patient("P-CANC0007", "03895200157", "cancer"), Programme.CANCER, "app-0107")
    plan = cancer.plan()
    texts = plan.advice_texts(AdviceLanguage.BOKMAL).model_copy(update={"overdue_questionnaire": own})
    cancer.tenant.plans.save(revise(plan, changed_by=NURSE, at=T0 - timedelta(days=1), note="egen påminnelse",
                                    advice={AdviceLanguage.BOKMAL: texts}))
    cancer.answer("esas_r", ESAS, T0, "e-1")

    outcome = cancer.check(T0 + timedelta(hours=25))  # daily, 12 h grace: due, not yet missed

    assert outcome.reminded == 1
    [reminder] = cancer.reminders_sent()
    assert (reminder["text"], reminder["questionnaire"], reminder["plan_version"]) == (own, "esas_r", 2)


def test_a_measurement_and_a_questionnaire_due_together_get_one_reminder_each_with_their_own_text() -> None:
    home = _mental_health()
    plan = home.plan()
    texts = plan.advice_texts(AdviceLanguage.BOKMAL)
    scale = "scale-0007"
    home.tenant.registry.assign_device(DeviceAssignment(scale, home.patient.patient_id, T0 - timedelta(days=30)))
    newest = {"symptoms.phq9": Measured(T0, "q-1", home.app), "body_weight": Measured(T0, "w-1", scale)}
    both = revise(plan, changed_by=NURSE, at=T0, note="vekt",
                  expected_measurements={"body_weight": MeasurementSchedule(every_hours=24 * 7, grace_hours=12)})

    reminders = home.reminders.remind(both, newest, T0 + timedelta(days=7, hours=1))

    assert sorted((a.device_id, a.metric, a.questionnaire, a.text) for a in reminders) == sorted([
        (scale, "body_weight", None, texts.overdue), (home.app, None, "phq9", texts.overdue_questionnaire)])
    assert len({a.message_id for a in reminders}) == 2


def test_a_plan_whose_texts_were_stored_before_questionnaire_reminders_gets_the_programmes_text() -> None:
    plan = plan_from_template("P-MENT0008", Programme.MENTAL_HEALTH, T0)
    stored = plan.model_dump(mode="json")
    for texts in stored["advice"].values():
        del texts["overdue_questionnaire"]  # as a plan version saved before the text existed

    old = SelfManagementPlan.model_validate(stored)

    assert old.advice_texts(AdviceLanguage.BOKMAL).overdue_questionnaire == REMINDER_NB
    assert old.advice_texts(AdviceLanguage.NYNORSK).overdue_questionnaire == (
        ADVICE_TEMPLATES["mental_health"][AdviceLanguage.NYNORSK].overdue_questionnaire)


def test_no_questionnaire_reminder_while_paused_or_once_the_app_is_returned() -> None:
    paused = _mental_health()
    paused.answer("phq9", PHQ9, T0, "q-1")
    paused.tenant.plans.save(revise(paused.plan(), changed_by=NURSE, at=T0, note="innlagt",
                                    paused_until=T0 + timedelta(days=10)))
    returned = _mental_health()
    returned.answer("phq9", PHQ9, T0, "q-1")
    returned.tenant.registry.unassign_device(returned.app, returned.patient.patient_id, T0 + timedelta(days=1))

    assert paused.check(T0 + timedelta(days=7, hours=1)).reminded == 0 and paused.reminders_sent() == []
    assert returned.check(T0 + timedelta(days=7, hours=1)).reminded == 0 and returned.reminders_sent() == []
