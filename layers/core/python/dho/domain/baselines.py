"""Personal baselines and the rule parameters that judge a reading against them (docs/scoring.md).

A patient's usual values are learned from a run-in (the first 14 days of readings: median and spread per
metric, the share of symptom reports worse than green) and confirmed by a nurse into the plan
(``SelfManagementPlan.baseline``). Band rules then judge the deviation from that baseline, so a
chronically abnormal but stable patient is not alerted at every reading, while the safety floors stay
absolute. The parameters of these rules are data (``PersonalRules``, a plan field with these defaults),
not module constants: a nurse can tune them per patient in a new plan version.
"""

from __future__ import annotations

import math
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dho.domain.metrics import Metric

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class MetricBaseline(BaseModel):
    """A metric's usual value (median) and scatter (robust SD: 1.4826 x median absolute deviation)."""

    model_config = _FROZEN

    median: float
    spread: float = Field(ge=0)
    readings: int = Field(ge=1, description="how many readings it was learned from")


class PersonalBaseline(BaseModel):
    """What the nurse confirmed as the patient's usual state. For body weight the median is the dry weight."""

    model_config = _FROZEN

    metrics: dict[Metric, MetricBaseline]
    usual_symptom_share: float | None = Field(
        default=None, ge=0, le=1, description="share of symptom reports worse than green; None: no answers")
    learned_from: datetime
    learned_to: datetime
    confirmed_by: str = Field(min_length=1, description="HPR number of the nurse who confirmed it")
    confirmed_at: datetime

    @model_validator(mode="after")
    def _aware_and_ordered(self) -> PersonalBaseline:
        moments = (self.learned_from, self.learned_to, self.confirmed_at)
        if any(m.tzinfo is None for m in moments):
            raise ValueError("baseline times need a time zone")
        if self.learned_to < self.learned_from:
            raise ValueError("learned_to is before learned_from")
        return self


class Deviation(BaseModel):
    """How far from the baseline a value may go: ``max(minimum, k x spread)`` on the sides that matter."""

    model_config = _FROZEN

    low: bool = True
    high: bool = True
    yellow_min: float = Field(gt=0)
    yellow_k: float = Field(default=2.0, ge=0)
    red_min: float = Field(gt=0)
    red_k: float = Field(default=3.0, ge=0)
    spread_floor: float = Field(default=0.0, ge=0, description="the least spread assumed (rounded readings)")

    def offsets(self, spread: float) -> tuple[float, float]:
        """(yellow, red) distance from the median."""
        s = max(spread, self.spread_floor)
        return max(self.yellow_min, self.yellow_k * s), max(self.red_min, self.red_k * s)


def _default_deviations() -> dict[Metric, Deviation]:
    # (guess) widths: two spreads for yellow, three for red, with clinical minimums (an exacerbation lowers
    # SpO2 by 2-4 points and raises the pulse by 6-14/min: Burton 2015, Hurst 2010).
    return {
        Metric.SPO2: Deviation(high=False, yellow_min=3.0, yellow_k=1.5, red_min=4.0, spread_floor=1.0),
        Metric.HEART_RATE: Deviation(yellow_min=15.0, red_min=25.0, spread_floor=3.0),
        Metric.SYSTOLIC_BP: Deviation(yellow_min=15.0, red_min=30.0, spread_floor=5.0),
    }


def _default_floors() -> dict[Metric, float]:
    return {Metric.SPO2: 85.0}


class PersonalRules(BaseModel):
    """Parameters of the rules that use the baseline, persistence and confirmation (defaults: docs/scoring.md)."""

    model_config = _FROZEN

    deviations: dict[Metric, Deviation] = Field(default_factory=_default_deviations)
    # Below these a single reading is red at once, whatever the baseline (SpO2 < 85 %: hypoxaemia no
    # home re-measurement should wait for).
    red_floors_below: dict[Metric, float] = Field(default_factory=_default_floors)
    # A band finding needs the newest two readings out of band (the milder band counts): a re-measurement
    # within minutes confirms at once, otherwise the next scheduled reading does, if within this time.
    persistence_hours: float = Field(default=96.0, gt=0)
    # A NEWS2 parameter scoring 3 is confirmed by a second reading of it that also scores 3 within this time.
    confirm_minutes: float = Field(default=30.0, gt=0)
    # Heart failure: weight above the confirmed dry weight by more than this, in the newest two weighings.
    dry_weight_margin_kg: float | None = Field(default=1.0, gt=0)
    # Heart failure, slow gains: the lighter of the newest two weighings more than ``weight_trend_kg`` above
    # the median of the window's weighings at least ``weight_trend_days`` older, and above the dry weight
    # (None: rule off). A gain building over 5-14 days, under 2 kg in any 3 (Chaudhry 2007).
    weight_trend_kg: float | None = Field(default=1.0, gt=0)
    weight_trend_days: float = Field(default=4.0, gt=0)
    # Heart failure, the 3-day gain (plan trends): a weighing more than this above the one before it (a jump
    # overnight) is often a weighing in clothes (0.5-1.5 kg; Whigham 2013); its gain counts once the next
    # weighing agrees. A real gain of 2 kg in 3 days builds up day by day, or is still there the next morning.
    weight_jump_kg: float | None = Field(default=1.0, gt=0)
    # Symptoms: reports worse than green needed among the newest ``symptom_reports``; one more for a
    # patient whose usual share of such reports is above ``frequent_reporter_share``. The learned share is
    # shrunk towards 5 % (dho.evaluation.baselines), so 10 % here is a patient with 2 or more bad days in 14
    # reports: with 2 of the newest 3 needed, a 15 % reporter would raise a yellow about every other week.
    symptom_reports: int = Field(default=3, ge=1)
    symptom_needed: int = Field(default=2, ge=1)
    frequent_reporter_share: float = Field(default=0.10, ge=0, le=1)
    # Combined deviation (COPD), a one-sided CUSUM over the window (docs/scoring.md): per oximeter measurement
    # the SpO2 fall plus the pulse rise from the confirmed baseline, each in spreads and capped at
    # ``combined_cap``, less ``combined_allowance``; yellow when the sum reaches ``combined_threshold`` (None:
    # rule off) while the deviation is still growing. Small moves together are a prodrome; each alone is scatter.
    combined_threshold: float | None = Field(default=3.5, gt=0)
    combined_allowance: float = Field(default=1.0, ge=0)
    combined_cap: float = Field(default=3.0, gt=0)
    # Each report worse than green in the window adds ln(combined_symptom_share / the patient's usual share of
    # such reports), the usual share taken as at least ``combined_usual_share_floor``, and at most
    # ``combined_symptom_weight``: a bad day weighs much for a patient who rarely has one, little for a frequent
    # reporter (weight 0: symptoms left out).
    combined_symptom_share: float = Field(default=0.5, gt=0, le=1)
    combined_usual_share_floor: float = Field(default=0.05, gt=0, le=1)
    combined_symptom_weight: float = Field(default=3.0, ge=0)
    # A measurement whose pulse lies further than max(combined_artefact_pulse, combined_artefact_spreads x
    # spread) from the usual pulse is a poor signal (motion, cold finger): left out of the sum (the band rules
    # and the safety floor still judge it).
    combined_artefact_pulse: float = Field(default=30.0, gt=0)
    combined_artefact_spreads: float = Field(default=5.0, gt=0)
    # Still growing: the mean step of the newest measurements (up to two, within ``combined_recent_hours``)
    # not below the mean step of those ``combined_recent_hours`` to ``combined_earlier_hours`` older. A
    # deviation that shrinks is a recovery (or a new normal settling), not a prodrome.
    combined_recent_hours: float = Field(default=36.0, gt=0)
    combined_earlier_hours: float = Field(default=96.0, gt=0)
    # Before a baseline is confirmed: one learned from the window's own readings (provisional), if it holds
    # at least this many readings before the newest two.
    provisional_min_readings: int = Field(default=3, ge=3)

    @model_validator(mode="after")
    def _needed_fits(self) -> PersonalRules:
        if self.symptom_needed > self.symptom_reports:
            raise ValueError("symptom_needed cannot exceed symptom_reports")
        if self.combined_earlier_hours <= self.combined_recent_hours:
            raise ValueError("combined_earlier_hours must exceed combined_recent_hours")
        return self

    def symptoms_needed(self, usual_share: float | None) -> int:
        """How many of the newest reports must be worse than green for a yellow symptoms finding."""
        frequent = usual_share is not None and usual_share > self.frequent_reporter_share
        return min(self.symptom_reports, self.symptom_needed + 1) if frequent else self.symptom_needed


def personal_limits(
    template: tuple[float, float, float, float], baseline: MetricBaseline, deviation: Deviation
) -> tuple[float, float, float, float]:
    """(red_low, yellow_low, yellow_high, red_high) around the baseline. Yellow replaces the template's
    on the sides the deviation covers (the patient's own normal decides); red is the template's unless
    the baseline sits near it, then it moves with the baseline. NaN: no limit."""
    red_low, yellow_low, yellow_high, red_high = template
    yellow, red = deviation.offsets(baseline.spread)
    if deviation.low:
        red_low = _low(red_low, baseline.median - red)
        yellow_low = max(baseline.median - yellow, red_low) if not math.isnan(red_low) else baseline.median - yellow
    if deviation.high:
        red_high = _high(red_high, baseline.median + red)
        yellow_high = min(baseline.median + yellow, red_high) if not math.isnan(red_high) else baseline.median + yellow
    return red_low, yellow_low, yellow_high, red_high


def _low(template: float, personal: float) -> float:
    return personal if math.isnan(template) else min(template, personal)


def _high(template: float, personal: float) -> float:
    return personal if math.isnan(template) else max(template, personal)
