"""What scoring concludes about one patient at one evaluation: the input of the alert policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Severity(StrEnum):
    RED = "red"  # needs a nurse now: NEWS2 >= 7, any single NEWS2 parameter 3, a red band, a red symptom
    YELLOW = "yellow"  # needs a look today: worklist, never repeated by SMS


class Rule(StrEnum):
    """Stable rule ids: an alert's dedup key is (tenant, patient, rule). ``label`` is what an SMS says."""

    SPO2_BAND = "spo2_band"
    HEART_RATE_BAND = "heart_rate_band"
    RESPIRATORY_RATE_BAND = "respiratory_rate_band"
    BLOOD_PRESSURE_BAND = "blood_pressure_band"
    TEMPERATURE_BAND = "temperature_band"
    GLUCOSE_BAND = "glucose_band"
    WEIGHT_GAIN = "weight_gain"
    SPO2_BELOW_PERSONAL_MEAN = "spo2_below_personal_mean"
    NEWS2 = "news2"
    SYMPTOMS = "symptoms"
    COMBINED_DEVIATION = "combined_deviation"  # SpO2, pulse and answers moving together from the baseline
    MISSED_MEASUREMENTS = "missed_measurements"  # yellow only: the plan's schedule not kept (adherence)
    QUESTIONNAIRE_TREND = "questionnaire_trend"  # a score rising (PHQ-9 +5), an item high for days (pain)

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Rule.SPO2_BAND: "oxygen saturation outside personal limits",
    Rule.HEART_RATE_BAND: "pulse outside personal limits",
    Rule.RESPIRATORY_RATE_BAND: "breathing rate outside personal limits",
    Rule.BLOOD_PRESSURE_BAND: "blood pressure outside personal limits",
    Rule.TEMPERATURE_BAND: "temperature outside personal limits",
    Rule.GLUCOSE_BAND: "blood glucose outside personal limits",
    Rule.WEIGHT_GAIN: "weight rising",
    Rule.SPO2_BELOW_PERSONAL_MEAN: "oxygen saturation falling below personal normal",
    Rule.NEWS2: "NEWS2 score raised",
    Rule.SYMPTOMS: "symptoms reported",
    Rule.COMBINED_DEVIATION: "several measurements moving away from personal normal",
    Rule.MISSED_MEASUREMENTS: "measurements or questionnaires missing",
    Rule.QUESTIONNAIRE_TREND: "symptom scores worsening",
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule firing for one patient. ``detail`` is for the nurse's worklist (it may hold values);
    it never goes into an SMS or a log."""

    patient_id: str
    rule: Rule
    severity: Severity
    detail: str
    evidence: tuple[str, ...]  # reading ids the finding rests on
    observed_at: datetime  # measured time of the newest evidence
    # How bad, where the rule grades it (higher is worse: the NEWS2 total, the kg gained); None for rules
    # whose severity is the whole grade (bands, symptoms). A worse score breaks through a snooze.
    score: float | None = None


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Everything scoring said about a patient at ``evaluated_at``: the rules that fired, and the
    rules that were evaluated with enough data and did not fire (they count towards hysteresis)."""

    patient_id: str
    evaluated_at: datetime
    findings: tuple[Finding, ...]
    quiet_rules: frozenset[Rule]
    truncated_series: tuple[str, ...] = ()  # series scored on their newest entries only (window bound)
    # Reading ids a rule looked at (fired or quiet): the patient's advice says green only for these.
    assessed_readings: frozenset[str] = frozenset()
    # Readings out of the plan's band that no rule acts on until a re-measurement confirms them (one home
    # reading is often an artefact), with the band's severity: the patient is asked to measure again.
    awaiting_confirmation: tuple[tuple[str, Severity], ...] = ()

    def awaiting(self, reading_id: str) -> Severity | None:
        return next((severity for rid, severity in self.awaiting_confirmation if rid == reading_id), None)
