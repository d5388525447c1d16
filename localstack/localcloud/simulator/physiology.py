"""What a patient's body and answers show at a given moment: baseline + drift + noise + episode.

Noise is the measurement scatter of a stable patient (Clarke 2016: stable SpO2 residual SD <= 2 %;
day-to-day weight about 0.3-0.5 kg), so stable patients mostly stay inside their plan's green band and
a stable weight rarely moves 2 kg in 3 days. Values are rounded as the devices show them.
"""

from __future__ import annotations

import math
import random
from datetime import datetime

from dho.domain.metrics import Metric
from dho.domain.plans import Programme
from dho.domain.symptoms import Answer, Questionnaire
from localcloud.simulator.cohort import SimPatient
from localcloud.simulator.deteriorations import Episode, Kind
from localcloud.simulator.rhythm import Task

SPO2_SD = 0.9
HEART_RATE_SD = 5.0
SYSTOLIC_SD = 7.0
DIASTOLIC_SD = 5.0
WEIGHT_SD = 0.3  # kg, scale and hydration scatter from one morning to the next
WEIGHT_DRIFT_SD_PER_DAY = 0.08  # kg, slow random walk (appetite, season)
TEMPERATURE_SD = 0.15
GLUCOSE_LOG_SD = 0.12  # multiplicative scatter of capillary glucose
GLUCOSE_OFFSET = {Task.GLUCOSE_FASTING: 0.0, Task.GLUCOSE_LUNCH: 1.8, Task.GLUCOSE_DINNER: 1.0,
                  Task.GLUCOSE_BEDTIME: 1.6}
STABLE_YELLOW_ANSWER = 0.03  # (guess) a stable patient now and then reports a worse day

Values = dict[Metric, float]

_QUESTIONNAIRE_OF = {Programme.HEART_FAILURE: "heart_failure", Programme.CANCER: "esas_r",
                     Programme.MENTAL_HEALTH: "phq9"}
_ESAS_OTHERS = ("tiredness", "drowsiness", "nausea", "appetite", "shortness_of_breath", "depression", "anxiety",
                "wellbeing", "other")
# (guess) usual scores of patients followed at home: mild pain, mild depression and anxiety symptoms,
# low enough that scatter of a point stays below the plan's yellow (PHQ-9/GAD-7 10, ESAS-r 7).
_USUAL_RANGE = {"pain": (1.0, 4.0), "tiredness": (1.0, 4.0), "phq9": (2.0, 7.0), "gad7": (2.0, 7.0)}
# The LOINC answers of PHQ-9 and GAD-7 by item score: not at all, several days, more than half the days,
# nearly every day.
_FREQUENCY = ("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9")


class PatientBody:
    """One patient's physiology over the simulation, drawing from the patient's own generator."""

    def __init__(self, patient: SimPatient, episode: Episode | None, start: datetime, rng: random.Random) -> None:
        self.patient = patient
        self.episode = episode
        self._start = start
        self._rng = rng
        self._weight_drift = [0.0]
        self._usuals: dict[str, float] = {}  # usual questionnaire scores, drawn when first answered
        self._sites: dict[str, str] = {}

    def _intensity(self, kind: Kind, at: datetime) -> float:
        episode = self.episode
        return episode.intensity(at) if episode is not None and episode.kind is kind else 0.0

    def _drift(self, at: datetime) -> float:
        day = max(0, int((at - self._start).total_seconds() // 86400))
        while len(self._weight_drift) <= day:
            self._weight_drift.append(self._weight_drift[-1] + self._rng.gauss(0.0, WEIGHT_DRIFT_SD_PER_DAY))
        return self._weight_drift[day]

    def _pulse(self, at: datetime) -> float:
        b, rng = self.patient.baselines, self._rng
        extra = (12 * self._intensity(Kind.COPD_EXACERBATION, at)
                 + 7 * self._intensity(Kind.HEART_FAILURE_WEIGHT_GAIN, at) + 10 * self._fever(at))
        return float(round(b.heart_rate + extra + rng.gauss(0.0, HEART_RATE_SD)))

    def _fever(self, at: datetime) -> float:
        episode = self.episode
        return episode.size * episode.intensity(at) if episode is not None and episode.kind is Kind.FEVER else 0.0

    def measure(self, task: Task, at: datetime) -> Values:
        b, rng = self.patient.baselines, self._rng
        if task is Task.SPO2:
            drop = self._intensity(Kind.COPD_EXACERBATION, at) * (self.episode.size if self.episode else 0.0)
            spo2 = min(100.0, float(round(b.spo2 - drop + rng.gauss(0.0, SPO2_SD))))
            return {Metric.SPO2: spo2, Metric.HEART_RATE: self._pulse(at)}
        if task is Task.BLOOD_PRESSURE:
            systolic = round(b.systolic_bp + rng.gauss(0.0, SYSTOLIC_SD))
            diastolic = min(systolic - 20, round(b.diastolic_bp + rng.gauss(0.0, DIASTOLIC_SD)))
            return {Metric.SYSTOLIC_BP: float(systolic), Metric.DIASTOLIC_BP: float(diastolic),
                    Metric.HEART_RATE: self._pulse(at)}
        if task is Task.WEIGHT:
            gain = self._intensity(Kind.HEART_FAILURE_WEIGHT_GAIN, at) * (self.episode.size if self.episode else 0.0)
            return {Metric.BODY_WEIGHT: round(b.body_weight + self._drift(at) + gain + rng.gauss(0.0, WEIGHT_SD), 1)}
        if task is Task.TEMPERATURE:
            fever = self._fever(at) + 0.6 * self._intensity(Kind.COPD_EXACERBATION, at)
            return {Metric.BODY_TEMPERATURE: round(b.body_temperature + fever + rng.gauss(0.0, TEMPERATURE_SD), 1)}
        if task in GLUCOSE_OFFSET:
            usual = (b.blood_glucose + GLUCOSE_OFFSET[task]) * math.exp(rng.gauss(0.0, GLUCOSE_LOG_SD))
            low = self._intensity(Kind.HYPOGLYCAEMIA, at)
            reached = (self.episode.size if self.episode else usual) * math.exp(rng.gauss(0.0, 0.05))
            return {Metric.BLOOD_GLUCOSE: round((1 - low) * usual + low * reached, 1)}
        raise ValueError(f"{task} is not a measurement")

    def questionnaire(self, task: Task = Task.QUESTIONNAIRE) -> Questionnaire:
        """What the app asks this patient in ``task``: the programme's questionnaire, or GAD-7."""
        if task is Task.GAD7:
            return Questionnaire("gad7")
        return Questionnaire(_QUESTIONNAIRE_OF.get(self.patient.programme, "copd"))

    def answers(self, at: datetime, questionnaire: Questionnaire | None = None) -> dict[str, Answer]:
        key = (questionnaire or self.questionnaire()).value
        if key == "heart_failure":
            return self._heart_failure_answers(at)
        if key == "esas_r":
            return self._esas_answers(at)
        if key in ("phq9", "gad7"):
            return self._mood_answers(key, at)
        return self._copd_answers(at)

    def _esas_answers(self, at: datetime) -> dict[str, Answer]:
        """ESAS-r 0-10 per symptom: the patient's usual pain and a little scatter; a pain episode lifts the
        pain towards its size and tiredness with it. Stable days stay below 7 (severe)."""
        usual = self._usual("pain")
        level = self._intensity(Kind.CANCER_PAIN, at)
        size = self.episode.size if self.episode is not None and self.episode.kind is Kind.CANCER_PAIN else usual
        scatter = self._rng.randint(-1, 1)
        pain = round(usual + (size - usual) * level) + (0 if level >= 0.8 else scatter)
        answers: dict[str, Answer] = {"esas_pain": min(10, max(0, pain))}
        for item in _ESAS_OTHERS:
            lift = 2 * level if item == "tiredness" else 0
            answers[f"esas_{item}"] = min(6, max(0, round(self._usual(item) + lift) + self._rng.randint(-1, 1)))
        if answers["esas_pain"]:
            answers["pain_site"] = (self._pain_site(),)
        return answers

    def _mood_answers(self, key: str, at: datetime) -> dict[str, Answer]:
        """PHQ-9 (items 1-8; item 9 always "not at all") or GAD-7 as LOINC answer codes: a total around the
        patient's usual, lifted by a low-mood episode (GAD-7 by half as much), spread over the items."""
        items = 8 if key == "phq9" else 7
        usual = self._usual(key)
        level = self._intensity(Kind.LOW_MOOD, at)
        size = self.episode.size if self.episode is not None and self.episode.kind is Kind.LOW_MOOD else usual
        lift = (size - usual) * level * (1.0 if key == "phq9" else 0.5)
        total = min(3 * items, max(0, round(usual + lift) + self._rng.randint(-1, 1)))
        scores = [total // items + (1 if i < total % items else 0) for i in range(items)]
        self._rng.shuffle(scores)
        answers: dict[str, Answer] = {f"{key}_{i + 1}": _FREQUENCY[score] for i, score in enumerate(scores)}
        if key == "phq9":
            answers["phq9_9"] = _FREQUENCY[0]
        return answers

    def _usual(self, what: str) -> float:
        """The patient's own usual score of ``what`` (drawn once, from the patient's generator)."""
        if what not in self._usuals:
            low, high = _USUAL_RANGE.get(what, (0.0, 3.0))
            self._usuals[what] = round(self._rng.uniform(low, high), 1)
        return self._usuals[what]

    def _pain_site(self) -> str:
        if "pain_site" not in self._sites:
            self._sites["pain_site"] = self._rng.choice(("back", "abdomen", "pelvis", "chest", "leg"))
        return self._sites["pain_site"]

    def _worse(self, level: float, threshold: float) -> bool:
        """A symptom shows once the episode passes ``threshold``; a stable day is sometimes worse too."""
        return level >= threshold or self._rng.random() < STABLE_YELLOW_ANSWER

    def _copd_answers(self, at: datetime) -> dict[str, Answer]:
        level = self._intensity(Kind.COPD_EXACERBATION, at)
        feverish = self._fever(at) >= 1.0
        breathless = "at_rest" if level >= 0.8 else "more_than_usual" if self._worse(level, 0.15) else "usual"
        colour = self._rng.choice(("yellow", "green")) if self._worse(level, 0.3) else self._rng.choice(
            ("clear", "white", "none"))
        return {
            "breathlessness": breathless,
            "sputum_amount": "more_than_usual" if self._worse(level, 0.3) else "usual",
            "sputum_colour": colour,
            "reliever_use": "more_than_usual" if self._worse(level, 0.2) else "usual",
            "chest_pain": False,
            "confusion": False,
            "fever": feverish,
        }

    def _heart_failure_answers(self, at: datetime) -> dict[str, Answer]:
        level = self._intensity(Kind.HEART_FAILURE_WEIGHT_GAIN, at)
        return {
            "breathlessness": "more_than_usual" if self._worse(level, 0.3) else "usual",
            "orthopnoea": level >= 0.6,
            "ankle_swelling": "more_than_usual" if self._worse(level, 0.4) else "usual",
            "fatigue": "more_than_usual" if self._worse(level, 0.5) else "usual",
            "dizziness": False,
            "chest_pain": False,
            "confusion": False,
        }
