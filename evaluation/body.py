"""What a patient's devices and answers show at a moment: usual value + event + cold + scatter + artefact."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime

from dho.domain.metrics import Metric
from dho.domain.plans import Programme
from dho.domain.symptoms import Answer, Questionnaire
from evaluation.assumptions import CohortAssumptions
from evaluation.episodes import Cold, Event
from evaluation.population import Patient

Values = dict[Metric, float]

_YELLOW_ANSWERS: dict[Questionnaire, tuple[tuple[str, Answer], ...]] = {
    Questionnaire.COPD: (("breathlessness", "more_than_usual"), ("sputum_amount", "more_than_usual"),
                         ("sputum_colour", "yellow"), ("sputum_colour", "green"), ("reliever_use", "more_than_usual")),
    Questionnaire.HEART_FAILURE: (("breathlessness", "more_than_usual"), ("orthopnoea", True),
                                  ("ankle_swelling", "more_than_usual"), ("fatigue", "more_than_usual")),
}
_GREEN: dict[Questionnaire, dict[str, Answer]] = {
    Questionnaire.COPD: {"breathlessness": "usual", "sputum_amount": "usual", "sputum_colour": "white",
                         "reliever_use": "usual", "chest_pain": False, "confusion": False, "fever": False},
    Questionnaire.HEART_FAILURE: {"breathlessness": "usual", "orthopnoea": False, "ankle_swelling": "usual",
                                  "fatigue": "usual", "dizziness": False, "chest_pain": False, "confusion": False},
}


class Body:
    def __init__(self, patient: Patient, events: Sequence[Event], colds: Sequence[Cold], start: datetime,
                 rng: random.Random, a: CohortAssumptions) -> None:
        self.patient, self.events, self.colds = patient, events, colds
        self._start, self._rng, self._a = start, rng, a
        self._weight_drift = [0.0]

    def _event_state(self, at: datetime) -> tuple[float, float, float, float, float, float]:
        """(SpO2 drop, pulse rise, weight gain, temperature rise, symptom intensity, unwell) now."""
        spo2 = pulse = weight = temperature = symptoms = unwell = 0.0
        for event in self.events:
            level, settled = event.intensity(at), event.new_baseline_share(at)
            spo2 += event.spo2_drop * level - event.new_spo2_shift * settled
            pulse += event.heart_rate_rise * level + event.new_heart_rate_shift * settled
            weight += event.weight_gain * level + event.new_weight_shift * settled
            temperature += event.temperature_rise * level
            unwell = max(unwell, level)
            if event.symptomatic:
                symptoms = max(symptoms, level)
        cold = max((c.intensity(at) for c in self.colds), default=0.0)
        fever = max((c.intensity(at) for c in self.colds if c.fever), default=0.0)
        spo2, pulse, temperature = spo2 + cold, pulse + 5 * cold, temperature + 0.4 * cold + 1.1 * fever
        return spo2, pulse, weight, temperature, max(symptoms, 0.5 * cold), max(unwell, cold)

    def unwell(self, at: datetime) -> bool:
        return self._event_state(at)[5] >= 0.3

    def _drift(self, at: datetime) -> float:
        day = max(0, int((at - self._start).total_seconds() // 86400))
        while len(self._weight_drift) <= day:
            self._weight_drift.append(self._weight_drift[-1] + self._rng.gauss(0.0, self._a.weight_drift_sd_per_day))
        return self._weight_drift[day]

    def oximeter(self, at: datetime) -> tuple[Values, bool]:
        """SpO2 and pulse, and whether this reading is an artefact (one low SpO2, implausible pulse)."""
        u, rng = self.patient.usual, self._rng
        drop, rise, *_ = self._event_state(at)
        if rng.random() < self._a.oximeter_artefact_rate:
            pulse = rng.uniform(28, 40) if rng.random() < 0.5 else rng.uniform(135, 170)
            return {Metric.SPO2: float(round(max(70.0, u.spo2 - rng.uniform(6, 15)))),
                    Metric.HEART_RATE: float(round(pulse))}, True
        spo2 = min(100.0, float(round(u.spo2 - drop + rng.gauss(0.0, u.spo2_sd))))
        return {Metric.SPO2: spo2, Metric.HEART_RATE: self._pulse(u.heart_rate + rise)}, False

    def _pulse(self, mean: float) -> float:
        return float(round(max(30.0, mean + self._rng.gauss(0.0, self.patient.usual.heart_rate_sd))))

    def cuff(self, at: datetime) -> Values:
        u, rng = self.patient.usual, self._rng
        _, rise, *_ = self._event_state(at)
        systolic = round(u.systolic + rng.gauss(0.0, u.systolic_sd))
        diastolic = min(systolic - 20, round(u.diastolic + rng.gauss(0.0, 0.6 * u.systolic_sd)))
        return {Metric.SYSTOLIC_BP: float(systolic), Metric.DIASTOLIC_BP: float(diastolic),
                Metric.HEART_RATE: self._pulse(u.heart_rate + rise)}

    def scale(self, at: datetime) -> tuple[Values, bool]:
        """Weight, and whether the patient was weighed dressed."""
        u, rng = self.patient.usual, self._rng
        gain = self._event_state(at)[2]
        dressed = rng.random() < self._a.clothes_rate
        clothes = rng.uniform(*self._a.clothes_kg) if dressed else 0.0
        weight = u.weight + self._drift(at) + gain + clothes + rng.gauss(0.0, u.weight_sd)
        return {Metric.BODY_WEIGHT: round(weight, 1)}, dressed

    def thermometer(self, at: datetime) -> Values:
        rise = self._event_state(at)[3]
        value = self.patient.usual.temperature + rise + self._rng.gauss(0.0, self._a.temperature_sd)
        return {Metric.BODY_TEMPERATURE: round(value, 1)}

    def questionnaire(self) -> Questionnaire:
        if self.patient.programme is Programme.HEART_FAILURE:
            return Questionnaire.HEART_FAILURE
        return Questionnaire.COPD

    def answers(self, at: datetime) -> dict[str, Answer]:
        """Green answers, with one or two worse ones on a bad day (the patient's habit, an event, a cold)."""
        rng, questionnaire = self._rng, self.questionnaire()
        symptoms = self._event_state(at)[4]
        answers = dict(_GREEN[questionnaire])
        worse = max(self.patient.yellow_day, self._a.event_symptom_report * symptoms)
        if rng.random() < worse:
            for code, answer in rng.sample(_YELLOW_ANSWERS[questionnaire], k=rng.choice((1, 2))):
                answers[code] = answer
        if symptoms >= 0.9 and rng.random() < 0.2:
            answers["breathlessness"] = "at_rest"
        if questionnaire is Questionnaire.COPD and any(c.fever and c.intensity(at) > 0.5 for c in self.colds):
            answers["fever"] = True
        return answers
