"""Every number the cohort generator draws from, with where it comes from.

The generator reads only :class:`CohortAssumptions`; EVALUATION.md lists :data:`SOURCES` so each number
can be checked. "(guess)" marks a number no source gives; it is set to the realistic (unflattering) side.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

Range = tuple[float, float]


@dataclass(frozen=True)
class CohortAssumptions:
    # Programme mix of the independent cohort the project was measured on (746 / 186 / 568 of 1,500).
    programme_mix: dict[str, float] = field(default_factory=lambda: {
        "copd": 0.497, "copd_hypercapnic": 0.124, "heart_failure": 0.379})

    # Adherence and rhythm
    adherence: Range = (0.60, 0.95)  # share of planned measurements a patient takes
    gap_rate_per_day: float = 0.022  # (about 1 in 45) chance a gap (holiday, fatigue, device left off) starts on a day
    gap_days: Range = (2, 7)
    twice_daily_share: float = 0.40  # patients measuring morning and evening (the others once a day)
    temperature_day_share: float = 0.30  # COPD: days with a temperature reading when well
    temperature_unwell_share: float = 0.80  # ... and when feeling unwell (cold or exacerbation)

    # Symptom reporting habits
    never_answers_share: float = 0.15  # never fill in the questionnaire
    frequent_reporter_share: float = 0.12  # report a worse-than-usual symptom on many stable days
    frequent_reporter_yellow_day: Range = (0.20, 0.40)
    usual_yellow_day: float = 0.04  # everyone else: a worse day now and then
    event_symptom_report: float = 0.85  # chance of a yellow answer on a day at full event intensity
    symptom_silent_event_share: float = 0.30  # events without any change in the answers

    # Chronically abnormal stable values (outside the programme template's bands)
    copd_spo2_baseline: Range = (93.0, 97.0)
    copd_low_spo2_share: float = 0.20  # COPD with a usual SpO2 of 88-92 %
    copd_low_spo2_baseline: Range = (88.0, 92.0)
    hypercapnic_spo2_baseline: Range = (86.0, 91.0)
    copd_heart_rate: Range = (70.0, 95.0)
    copd_tachycardic_share: float = 0.10  # usual pulse 100-110
    hf_heart_rate: Range = (58.0, 80.0)
    hf_atrial_fibrillation_share: float = 0.30  # irregular pulse: higher and far more scattered
    hf_bradycardic_share: float = 0.08  # beta-blocked: usual pulse 46-52
    hf_systolic: Range = (105.0, 140.0)
    hf_low_systolic_share: float = 0.15  # usual systolic 92-102 on full heart-failure medication
    hf_low_systolic: Range = (92.0, 102.0)

    # Measurement scatter of a stable patient (SD)
    spo2_sd: Range = (0.8, 1.6)
    heart_rate_sd: Range = (4.0, 7.0)
    af_heart_rate_sd: Range = (10.0, 14.0)
    systolic_sd: Range = (7.0, 11.0)
    weight_sd: Range = (0.25, 0.5)
    weight_drift_sd_per_day: float = 0.08
    temperature_sd: float = 0.2

    # Device artefacts
    oximeter_artefact_rate: float = 0.02  # cold fingers or motion: one low SpO2 with an implausible pulse
    clothes_rate: float = 0.15  # weighed dressed
    clothes_kg: Range = (0.5, 1.5)
    device_swap_share: float = 0.03  # a patient's main device replaced mid-follow-up
    duplicate_rate: float = 0.01  # the same message resent
    bad_rate: float = 0.002  # a message the platform must refuse
    late_rate: float = 0.02  # a phone offline: the message arrives hours later
    late_hours: Range = (0.5, 12.0)

    # Minor self-limiting colds (not events)
    cold_rate_per_year: float = 2.0
    cold_days: Range = (5, 10)
    cold_fever_share: float = 0.20

    # Events
    run_in_days: int = 14  # no onset before: the run-in of baseline rules
    min_days_between_events: int = 28
    copd_exacerbations_per_year: float = 1.5
    hypercapnic_exacerbations_per_year: float = 2.0
    hf_decompensations_per_year: float = 0.7
    rate_heterogeneity_shape: float = 2.0  # gamma shape of each patient's own rate (frequent exacerbators)
    copd_prodrome_days: Range = (3, 7)
    copd_spo2_drop: Range = (2.0, 4.0)
    copd_heart_rate_rise: Range = (6.0, 14.0)
    copd_temperature_rise: Range = (0.0, 0.6)
    physiology_silent_share: float = 0.25  # prodromes with a third of the usual change
    hf_prodrome_days: Range = (5, 14)
    hf_weight_gain_median_kg: float = 1.6
    hf_weight_gain_kg: Range = (0.5, 4.0)
    hf_heart_rate_rise: Range = (2.0, 10.0)
    copd_admitted_share: float = 0.30
    hf_admitted_share: float = 0.70
    copd_stay_days: Range = (3, 9)
    hf_stay_days: Range = (4, 12)
    copd_recovery_days: Range = (7, 21)
    hf_recovery_days: Range = (5, 14)
    copd_new_spo2_shift: Range = (-1.5, 0.0)
    copd_new_heart_rate_shift: Range = (0.0, 5.0)
    hf_new_dry_weight_shift: Range = (-2.5, -0.5)  # after a stay (diuresis); at home: -1 to 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Source:
    topic: str
    fields: tuple[str, ...]
    source: str


_TELE_HF = ("Chaudhry SI et al. Telemonitoring in patients with heart failure (Tele-HF). N Engl J Med "
            "2010;363:2301-9: 14 % never used the system, 55 % still used it 3 days a week at 6 months")
SOURCES: tuple[Source, ...] = (
    Source("Programme mix", ("programme_mix",), "the independent cohort in issue #14 (746/186/568 of 1,500)"),
    Source("Adherence 60-95 % with gaps of 2-7 days", ("adherence", "gap_rate_per_day", "gap_days"), _TELE_HF),
    Source("Twice-daily and daily measurers", ("twice_daily_share",), "(guess) programme schedules allow both"),
    Source("Patients who never answer the questionnaire", ("never_answers_share",), _TELE_HF),
    Source("Frequent symptom reporters and the usual worse day",
           ("frequent_reporter_share", "frequent_reporter_yellow_day", "usual_yellow_day"),
           "(guess) Burton C, Pinnock H, McKinstry B. J Telemed Telecare 2015;21:29-36: symptom scores vary "
           "a lot from day to day in stable COPD"),
    Source("Events without symptom change", ("symptom_silent_event_share",),
           "Langsetmo L et al. Underreporting exacerbation of COPD in a longitudinal cohort. Am J Respir Crit "
           "Care Med 2008;177:396-401 (many exacerbations go unreported)"),
    Source("COPD usual SpO2 88-92 % in a fifth, 93-97 % otherwise; hypercapnic 86-91 %",
           ("copd_low_spo2_share", "copd_low_spo2_baseline", "copd_spo2_baseline", "hypercapnic_spo2_baseline"),
           "BTS guideline for oxygen use (O'Driscoll BR et al. Thorax 2017;72 Suppl 1:ii1-ii90): target 88-92 % in "
           "hypercapnic COPD; (guess) the share of chronically hypoxaemic COPD at home"),
    Source("COPD resting pulse 70-95, 10 % above 100",
           ("copd_heart_rate", "copd_tachycardic_share"),
           "Jensen MT et al. Resting heart rate is a predictor of mortality in COPD. Eur Respir J "
           "2013;42:341-9"),
    Source("Heart failure: atrial fibrillation 30 %, beta-blocked pulse 46-52, systolic 92-102 on treatment",
           ("hf_atrial_fibrillation_share", "hf_bradycardic_share", "hf_low_systolic_share", "hf_low_systolic",
            "hf_systolic"),
           "Mamas MA et al. Eur J Heart Fail 2009;11:676-83 (AF in 25-40 % of chronic HF); (guess) shares "
           "of low pulse and low pressure on guideline medication"),
    Source("Measurement scatter", ("spo2_sd", "heart_rate_sd", "weight_sd", "weight_drift_sd_per_day"),
           "the project's simulator (stable SpO2 SD <= 2 %, day-to-day weight 0.3-0.5 kg); Zhang J et al. "
           "Eur J Heart Fail 2009;11:420-7 (daily weight variation in TEN-HMS)"),
    Source("Oximeter artefacts: one low SpO2 with an implausible pulse",
           ("oximeter_artefact_rate",),
           "Jubran A. Pulse oximetry. Crit Care 2015;19:272 (motion and low perfusion give falsely low "
           "readings); (guess) the rate"),
    Source("Weighed dressed: +0.5-1.5 kg", ("clothes_rate", "clothes_kg"),
           "Whigham LD et al. Effect of clothing weight on body weight. Int J Obes "
           "2013;37:160-1 (clothes about 0.6-1.2 kg by season); (guess) the rate"),
    Source("Minor colds, 2 a year, 5-10 days", ("cold_rate_per_year", "cold_days", "cold_fever_share"),
           "Heikkinen T, Jarvinen A. The common cold. Lancet 2003;361:51-9 (adults 2-4 colds a year)"),
    Source("COPD exacerbations 1.5 (hypercapnic 2.0) a year, patients differing in their own rate",
           ("copd_exacerbations_per_year", "hypercapnic_exacerbations_per_year", "rate_heterogeneity_shape"),
           "Hurst JR et al. Susceptibility to exacerbation in COPD (ECLIPSE). N Engl J Med 2010;363:1128-38: "
           "0.85-2.0 a year by GOLD stage, a stable frequent-exacerbator phenotype"),
    Source("COPD prodrome: SpO2 down 2-4 points, pulse up 6-14 over 3-7 days before onset",
           ("copd_prodrome_days", "copd_spo2_drop", "copd_heart_rate_rise"),
           "Hurst JR et al. Domiciliary pulse-oximetry at exacerbation of COPD. BMC Pulm Med 2010;10:52; "
           "Al Rajeh AM, Hurst JR. J Clin Med 2016;5:108 (systematic review of prodromal physiology); "
           "Seemungal TAR et al. Am J Respir Crit Care Med 2000;161:1608-13 (symptoms rise days before onset)"),
    Source("A quarter of prodromes with little physiological change", ("physiology_silent_share",),
           "Burton C, Pinnock H, McKinstry B. Changes in telemonitored physiological variables and symptoms "
           "prior to exacerbations of COPD. J Telemed Telecare 2015;21:29-36 (small, inconsistent changes)"),
    Source("Heart-failure decompensation 0.7 a year; weight building over 5-14 days, median 1.6 kg "
           "(most under 2 kg)",
           ("hf_decompensations_per_year", "hf_prodrome_days", "hf_weight_gain_median_kg", "hf_weight_gain_kg"),
           "Chaudhry SI et al. Patterns of weight change preceding hospitalization for heart failure. "
           "Circulation 2007;116:1549-54 (gains begin about a week before admission); Zhang J et al. "
           "Eur J Heart Fail 2009;11:420-7 (a 2 kg/72 h rule catches a minority of admissions)"),
    Source("Admissions with no readings: COPD 30 % for 3-9 days, heart failure 70 % for 4-12 days",
           ("copd_admitted_share", "hf_admitted_share", "copd_stay_days", "hf_stay_days"),
           "(guess) from Norwegian lengths of stay of 4-7 days; Seemungal 2000 for home-treated exacerbations"),
    Source("Recovery over 1-3 weeks to a new baseline (lower SpO2, higher pulse; a lower dry weight)",
           ("copd_recovery_days", "copd_new_spo2_shift", "hf_recovery_days", "hf_new_dry_weight_shift"),
           "Seemungal TAR et al. 2000 (median recovery 7 days, a quarter not recovered at 35 days); (guess) "
           "the dry weight after diuresis"),
    Source("Duplicates, refused messages, late arrivals, device swaps",
           ("duplicate_rate", "bad_rate", "late_rate", "device_swap_share"),
           "(guess) as the project's simulator and reliability campaign"),
)
