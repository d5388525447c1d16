"""The simulator's cancer and mental-health patients answer in the app as their plans expect (ESAS-r daily;
PHQ-9 and GAD-7 weekly), the answers pass the platform's parser, and the platform's evaluator turns a pain
or low-mood episode into the alerts the plan sets (pain >= 7 two days running is red; a PHQ-9 total of 10 or a
rise of 5 is yellow, 20 red) while stable patients' answers raise nothing."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from dho.domain.findings import Evaluation, Rule, Severity
from dho.domain.plans import Programme, plan_from_template
from dho.domain.readings import DeviceReading
from dho.domain.rejections import PayloadRejected, RejectionReason
from dho.domain.timeline import TimelineEntry, entries_for
from dho.evaluation.evaluator import evaluate
from dho.evaluation.windows import WINDOW, PatientWindow
from localcloud.simulator.cohort import DeviceKind, SimPatient
from localcloud.simulator.deteriorations import Kind
from localcloud.simulator.payloads import DeviceMessage, MessageKind, spoil
from localcloud.simulator.simulation import Settings, Simulation, all_patients, simulate
from tests.unit.simulator.conftest import START

Parse = Callable[[DeviceMessage, Simulation], DeviceReading]
REPORTING = (Programme.CANCER, Programme.MENTAL_HEALTH)


@pytest.fixture(scope="module")
def reporting() -> Simulation:
    """200 patients, half of those eligible deteriorating (recent onsets, as the demo): 10 with cancer and
    10 in mental health, about 5 episodes of each kind."""
    return simulate(Settings(tenants=("bodo",), patients=200, seed=13, deteriorating=0.5), start=START)


def _patients(simulation: Simulation, programme: Programme) -> list[SimPatient]:
    return [p for p in all_patients(simulation) if p.programme is programme]


def _answers(simulation: Simulation, patient: SimPatient) -> list[dict[str, Any]]:
    return [json.loads(m.payload) for m in simulation.messages
            if m.patient_id == patient.patient_id and m.kind is MessageKind.GOOD]


def test_cancer_and_mental_health_patients_answer_their_plans_questionnaires_in_the_app(
        two_tenants: Simulation, parse_message: Parse) -> None:
    for programme in REPORTING:
        patients = _patients(two_tenants, programme)
        assert len(patients) >= 4  # in both tenants of the demo's size
        for patient in patients:
            assert [d.kind for d in patient.devices] == [DeviceKind.APP]
            answered = Counter(str(a["symptoms"]["questionnaire"]) for a in _answers(two_tenants, patient))
            plan = plan_from_template(patient.patient_id, programme, two_tenants.start)
            assert set(answered) == set(plan.questionnaire_schedule())  # what the device config tells the app
            days = (two_tenants.end - two_tenants.start).days
            if programme is Programme.CANCER:
                assert answered["esas_r"] >= days * 0.7  # daily, less the days missed
            else:
                assert answered["phq9"] >= 1 and answered["gad7"] >= 1  # weekly on the patient's weekday
    for message in two_tenants.messages:
        if message.kind is MessageKind.GOOD and message.device_id.startswith("app-"):
            reading = parse_message(message, two_tenants)  # the platform's parser takes every answer
            assert reading.symptoms is not None


def _timeline(simulation: Simulation, patient: SimPatient, parse: Parse) -> list[TimelineEntry]:
    entries = [e for m in simulation.messages if m.patient_id == patient.patient_id and m.kind is MessageKind.GOOD
               for e in entries_for(parse(m, simulation), patient.patient_id)]
    return sorted(entries, key=lambda e: e.measured_at)


def _at_last_answer(simulation: Simulation, patients: list[SimPatient], series: str, parse: Parse
                    ) -> dict[str, Evaluation]:
    """Each patient evaluated a minute after their last answer of ``series``, as the readings handler does."""
    windows = []
    for patient in patients:
        entries = _timeline(simulation, patient, parse)
        last = max(e.measured_at for e in entries if e.series == series)
        at = last + timedelta(minutes=1)
        plan = plan_from_template(patient.patient_id, patient.programme, simulation.start - timedelta(days=30))
        window = [e for e in entries if at - WINDOW < e.measured_at <= at]
        windows.append(PatientWindow(patient.patient_id, plan, at, window))
    return {e.patient_id: e for e in evaluate(windows)}


def _findings(evaluation: Evaluation) -> set[tuple[Rule, Severity]]:
    return {(f.rule, f.severity) for f in evaluation.findings}


def _caught(evaluations: dict[str, Evaluation], patients: set[str], wanted: set[tuple[Rule, Severity]]) -> int:
    return sum(bool(_findings(evaluations[p]) & wanted) for p in patients)


def test_a_pain_episode_is_red_at_the_last_esas_r_and_stable_cancer_patients_raise_nothing(
        reporting: Simulation, parse_message: Parse) -> None:
    cancer = _patients(reporting, Programme.CANCER)
    evaluations = _at_last_answer(reporting, cancer, "symptoms.esas_r", parse_message)
    in_pain = {p.patient_id for p in cancer if p.patient_id in reporting.episodes}
    assert len(in_pain) >= 4 and all(reporting.episodes[p].kind is Kind.CANCER_PAIN for p in in_pain)

    # severe pain in the last two daily answers: the plan's red (a missed or spoiled answer may break a pair)
    red = _caught(evaluations, in_pain, {(Rule.QUESTIONNAIRE_TREND, Severity.RED)})
    assert red / len(in_pain) >= 0.75, f"{red} of {len(in_pain)} pain episodes red"
    stable = [e for p, e in evaluations.items() if p not in in_pain]
    assert stable and all(e.findings == () for e in stable)


def test_a_low_mood_shows_in_the_phq9_and_stable_mental_health_patients_raise_nothing(
        reporting: Simulation, parse_message: Parse) -> None:
    mental = _patients(reporting, Programme.MENTAL_HEALTH)
    evaluations = _at_last_answer(reporting, mental, "symptoms.phq9", parse_message)
    low = {p.patient_id for p in mental if p.patient_id in reporting.episodes}
    assert len(low) >= 4 and all(reporting.episodes[p].kind is Kind.LOW_MOOD for p in low)

    # a PHQ-9 of 10 or more, or 5 points up: yellow (20 or more: red), answered within the day before the
    # window's end (the demo publishing the window at once raises it)
    raised = {(rule, severity) for rule in (Rule.SYMPTOMS, Rule.QUESTIONNAIRE_TREND)
              for severity in (Severity.YELLOW, Severity.RED)}
    recent = {p for p in low if reporting.end - evaluations[p].evaluated_at < timedelta(hours=24)}
    caught = _caught(evaluations, recent, raised)
    assert caught / len(low) >= 0.75, f"{caught} of {len(low)} low moods alerted within the last day"
    stable = [e for p, e in evaluations.items() if p not in low]
    assert stable and all(e.findings == () for e in stable)


class _NotCutOff(random.Random):
    """A generator whose first draw keeps a spoiled payload whole (spoil cuts half of them off)."""

    def random(self) -> float:
        return 0.9


def test_a_spoiled_answer_of_every_questionnaire_is_refused_as_an_invalid_answer(
        reporting: Simulation, parse_message: Parse) -> None:
    spoiled: dict[str, str] = {}
    for message in reporting.messages:
        document = json.loads(message.payload) if message.kind is MessageKind.GOOD else {}
        if "symptoms" in document and document["symptoms"]["questionnaire"] not in spoiled:
            text, reason = spoil(document, DeviceKind.APP, _NotCutOff())
            assert reason is RejectionReason.INVALID_ANSWER
            with pytest.raises(PayloadRejected) as refused:
                parse_message(replace(message, payload=text, kind=MessageKind.BAD), reporting)
            spoiled[document["symptoms"]["questionnaire"]] = refused.value.reason.value

    assert spoiled == dict.fromkeys(("copd", "esas_r", "gad7", "heart_failure", "phq9"), "invalid_answer")
