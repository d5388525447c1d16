"""Each kind of messiness the cohort promises shows up at its configured rate (within four binomial
standard deviations on a 400-patient, 60-day cohort), in the messages themselves where it can be seen."""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dho.domain.metrics import Metric
from evaluation.assumptions import CohortAssumptions
from evaluation.readings import Reading, by_patient, decode, load_devices, message_lines
from evaluation.truth import read_jsonl
from localcloud.simulator.rhythm import OSLO
from tests.unit.evaluation_tool.conftest import SPEC

A = CohortAssumptions()


def _close(observed: int, trials: int, rate: float) -> bool:
    return abs(observed - trials * rate) <= 4 * math.sqrt(trials * rate * (1 - rate)) + 1


@pytest.fixture(scope="module")
def patients(cohort: Path) -> dict[str, dict[str, Any]]:
    return {p["patient_id"]: p for p in read_jsonl(cohort / "truth" / "patients.jsonl")}


@pytest.fixture(scope="module")
def readings(cohort: Path) -> dict[str, list[Reading]]:
    return by_patient(decode(message_lines(cohort), load_devices(cohort)))


@pytest.fixture(scope="module")
def annotation_counts(cohort: Path) -> Counter[str]:
    return Counter(a["kind"] for a in read_jsonl(cohort / "truth" / "annotations.jsonl"))


def test_patients_who_never_answer_send_no_questionnaire_and_are_the_configured_share(
        cohort: Path, patients: dict[str, dict[str, Any]]) -> None:
    never = {pid for pid, p in patients.items() if p["habit"] == "never_answers"}
    assert _close(len(never), len(patients), A.never_answers_share)
    owner = {d["device_id"]: d["patient_id"] for d in read_jsonl(cohort / "devices.jsonl")}
    answered = {owner[m["payload"]["device"]["id"]] for m in message_lines(cohort) if "symptoms" in m["payload"]}
    assert not never & answered
    assert len(answered) > 0.7 * len(patients)


def test_frequent_reporters_report_worse_days_far_more_often(cohort: Path, patients: dict[str, dict[str, Any]]) -> None:
    frequent = {pid for pid, p in patients.items() if p["habit"] == "frequent_reporter"}
    assert _close(len(frequent), len(patients), A.frequent_reporter_share)
    owner = {d["device_id"]: d["patient_id"] for d in read_jsonl(cohort / "devices.jsonl")}
    worse: dict[bool, list[bool]] = defaultdict(list)
    green = {"usual", "white", False, "none", "clear"}
    for message in message_lines(cohort):
        symptoms = message["payload"].get("symptoms")
        if symptoms:
            patient_id = owner[message["payload"]["device"]["id"]]
            worse[patient_id in frequent].append(any(v not in green for v in symptoms["answers"].values()))
    assert statistics.mean(worse[True]) > 3 * statistics.mean(worse[False])


def test_adherence_is_60_to_95_percent_and_daily_oximetry_follows_it(
        patients: dict[str, dict[str, Any]], readings: dict[str, list[Reading]]) -> None:
    assert all(0.60 <= p["adherence"] <= 0.95 for p in patients.values())
    # GIVEN once-a-day COPD measurers without events (one planned oximetry a day)
    once = [p for p in patients.values() if p["programme"] == "copd" and not p["twice_daily"]]
    errors = []
    for p in once:
        gap_days = sum((datetime.fromisoformat(g1) - datetime.fromisoformat(g0)).days + 1 for g0, g1 in p["gaps"])
        taken = sum(1 for r in readings.get(p["patient_id"], ()) if r.metric is Metric.SPO2)
        errors.append(taken / SPEC.days - p["adherence"] * (1 - gap_days / SPEC.days))
    # THEN the readings per day match adherence outside the gaps (admissions make it a little lower)
    assert -0.06 < statistics.mean(errors) <= 0.02


def test_twice_daily_measurers_are_the_configured_share_and_send_about_twice_as_much(
        patients: dict[str, dict[str, Any]], readings: dict[str, list[Reading]]) -> None:
    twice = [p["twice_daily"] for p in patients.values()]
    assert _close(sum(twice), len(twice), A.twice_daily_share)
    per_day: dict[bool, list[float]] = defaultdict(list)
    for p in patients.values():
        if p["programme"] == "copd":
            spo2 = sum(1 for r in readings.get(p["patient_id"], ()) if r.metric is Metric.SPO2)
            per_day[p["twice_daily"]].append(spo2 / SPEC.days / p["adherence"])
    assert 1.7 < statistics.mean(per_day[True]) / statistics.mean(per_day[False]) < 2.3


def test_gaps_leave_whole_days_without_readings(patients: dict[str, dict[str, Any]],
                                                readings: dict[str, list[Reading]]) -> None:
    gapped = [p for p in patients.values() if p["gaps"]]
    assert len(gapped) > 0.4 * len(patients)
    for p in gapped:
        days = {r.measured_at.astimezone(OSLO).date().isoformat() for r in readings[p["patient_id"]]}
        for first, last in p["gaps"]:
            inside = {(datetime.fromisoformat(first) + timedelta(days=n)).date().isoformat()
                      for n in range((datetime.fromisoformat(last) - datetime.fromisoformat(first)).days + 1)}
            assert not inside & days


def test_oximeter_artefacts_are_a_low_spo2_with_an_implausible_pulse_at_the_configured_rate(
        cohort: Path, readings: dict[str, list[Reading]], annotation_counts: Counter[str]) -> None:
    oximetry = sum(1 for series in readings.values() for r in series if r.metric is Metric.SPO2)
    assert _close(annotation_counts["oximeter_artefact"], oximetry, A.oximeter_artefact_rate)
    artefacts = {(a["patient_id"], a["measured_at"]) for a in read_jsonl(cohort / "truth" / "annotations.jsonl")
                 if a["kind"] == "oximeter_artefact"}
    for patient_id, series in readings.items():
        pulses = {r.measured_at: r.value for r in series if r.metric is Metric.HEART_RATE}
        for r in series:
            if r.metric is Metric.SPO2 and (patient_id, r.measured_at.astimezone(SPEC.start.tzinfo).isoformat()) \
                    in artefacts:
                assert pulses[r.measured_at] <= 40 or pulses[r.measured_at] >= 135


def test_weighing_dressed_happens_at_the_configured_rate(readings: dict[str, list[Reading]],
                                                        annotation_counts: Counter[str]) -> None:
    weighings = sum(1 for series in readings.values() for r in series if r.metric is Metric.BODY_WEIGHT)
    assert _close(annotation_counts["weighed_dressed"], weighings, A.clothes_rate)


def test_resent_messages_are_the_configured_share(cohort: Path) -> None:
    keys = Counter((m["payload"]["device"]["id"], m["payload"]["reading_id"]) for m in message_lines(cohort))
    resent = sum(count - 1 for count in keys.values())
    assert _close(resent, len(keys), A.duplicate_rate)


def test_stable_copd_patients_with_usual_spo2_88_to_92_are_the_configured_share(
        patients: dict[str, dict[str, Any]], readings: dict[str, list[Reading]], cohort: Path) -> None:
    copd = [p for p in patients.values() if p["programme"] == "copd"]
    low = [p for p in copd if "low_spo2" in p["traits"]]
    assert _close(len(low), len(copd), A.copd_low_spo2_share)
    with_events = {e["patient_id"] for e in read_jsonl(cohort / "events.jsonl")}
    for p in low:
        if p["patient_id"] not in with_events:
            spo2 = [r.value for r in readings[p["patient_id"]] if r.metric is Metric.SPO2]
            assert 87 <= statistics.median(spo2) <= 92.5


def test_colds_come_about_twice_a_year(patients: dict[str, dict[str, Any]]) -> None:
    colds = sum(len(p["colds"]) for p in patients.values())
    # a Poisson count; colds may start up to 5 days before follow-up
    expected = len(patients) * A.cold_rate_per_year * (SPEC.days + 5) / 365
    assert abs(colds - expected) <= 4 * math.sqrt(expected)


def test_heart_failure_gains_build_over_5_to_14_days_and_most_stay_under_2_kg(cohort: Path) -> None:
    events = [e for e in read_jsonl(cohort / "events.jsonl") if e["kind"] == "heart_failure_decompensation"]
    assert len(events) >= 10
    prodromes = [(datetime.fromisoformat(e["onset"]) - datetime.fromisoformat(e["prodrome_start"])).days
                 for e in events]
    assert all(5 <= days <= 14 for days in prodromes)
    assert sum(e["weight_gain"] < 2.0 for e in events) > len(events) / 2


def test_copd_exacerbations_show_their_prodrome_in_the_readings(cohort: Path,
                                                                 readings: dict[str, list[Reading]]) -> None:
    # GIVEN exacerbations with a full physiological prodrome
    events = [e for e in read_jsonl(cohort / "events.jsonl")
              if e["kind"] == "copd_exacerbation" and e["spo2_drop"] >= 2.0]
    assert len(events) >= 10
    drops = []
    for e in events:
        onset = datetime.fromisoformat(e["onset"])
        spo2 = [(r.measured_at, r.value) for r in readings[e["patient_id"]] if r.metric is Metric.SPO2]
        before = [v for t, v in spo2 if onset - timedelta(days=14) <= t < onset - timedelta(days=7)]
        last_day = [v for t, v in spo2 if onset - timedelta(days=1) <= t < onset]
        if len(before) >= 3 and last_day:
            drops.append(statistics.median(before) - statistics.mean(last_day))
    # THEN SpO2 on the day before onset is a few points below the week before the prodrome
    assert 1.5 <= statistics.median(drops) <= 4.5


def test_late_arrivals_are_the_configured_share(cohort: Path) -> None:
    first_arrival: dict[tuple[str, str], tuple[datetime, datetime]] = {}
    for m in message_lines(cohort):
        key = (m["payload"]["device"]["id"], m["payload"]["reading_id"])
        first_arrival.setdefault(key, (datetime.fromisoformat(m["payload"]["measured_at"]),
                                       datetime.fromisoformat(m["received_at"])))
    late = sum(1 for measured, received in first_arrival.values() if received - measured > timedelta(minutes=29))
    assert _close(late, len(first_arrival), A.late_rate)


def test_main_devices_are_swapped_for_the_configured_share_of_patients(cohort: Path) -> None:
    uses = Counter(d["patient_id"] for d in read_jsonl(cohort / "devices.jsonl"))
    swapped = sum(1 for count in uses.values() if count == 4)  # three devices, the main one twice
    assert set(uses.values()) <= {3, 4}
    assert _close(swapped, SPEC.patients, A.device_swap_share)


def test_heart_failure_patients_with_atrial_fibrillation_are_the_configured_share(
        patients: dict[str, dict[str, Any]]) -> None:
    heart_failure = [p for p in patients.values() if p["programme"] == "heart_failure"]
    with_af = sum("atrial_fibrillation" in p["traits"] for p in heart_failure)
    assert _close(with_af, len(heart_failure), A.hf_atrial_fibrillation_share)
