"""The replay (python -m dho.replay): the production pipeline on a cohort directory, a simulated clock
with the escalation sweep and the hourly checks, a nurse model, alerts.jsonl and summary.json."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bench.replay_cohort import write_cohort
from dho.domain.findings import Severity
from dho.domain.plans import MeasurementSchedule, Programme
from dho.domain.registry import DeviceAssignment
from dho.replay import NurseModel, ReplayOptions, replay_cohort
from dho.replay.__main__ import main
from dho.replay.cohort import CohortDevice, load_cohort
from dho.replay.roster import ChangedPatientsRoster
from dho.replay.runner import rule_body
from dho.replay.tenant import plan_with_overrides
from localcloud.lambda_loader import FakeLambdaContext, load_handler
from localcloud.sqs_events import sqs_record
from tests.support.fakes import FakeTenant
from tests.unit.replay.cohorts import START, CohortBuilder, alert_lines, vitals

NURSE_OFF = ReplayOptions(nurse=NurseModel.off())


def _red_spo2_cohort(directory: Path) -> Path:
    cohort = CohortBuilder()
    device = cohort.patient("P-RED00001")
    cohort.reading(device, "r-1", START, measurements=vitals(spo2=80))
    return cohort.write(directory)


def test_a_red_spo2_opens_one_red_alert_that_climbs_every_tier_while_nobody_acknowledges_it(tmp_path: Path) -> None:
    # GIVEN a COPD patient whose oximeter sends an SpO2 of 80 % (red on every plan), and no nurse acting
    cohort = _red_spo2_cohort(tmp_path / "cohort")

    # WHEN the cohort is replayed
    replay_cohort(cohort, tmp_path / "out", NURSE_OFF)

    # THEN one red alert is opened and escalated on the policy's schedule: tiers 0, 1, 2, three loops
    lines = alert_lines(tmp_path / "out")
    assert {(line["alert_id"], line["rule"], line["severity"]) for line in lines} == {
        (lines[0]["alert_id"], "spo2_band", "red")}
    assert [(line["event"], line["tier"]) for line in lines] == [("opened", 0)] + [
        ("escalated", tier) for tier in (1, 2) + (0, 1, 2) * 2]
    opened = lines[0]["at"]
    assert lines[1]["at"] > opened and lines[1]["at"][:16] == "2026-03-02T09:16"  # the first tick after 15 min


def test_with_the_default_nurse_a_red_is_acknowledged_after_15_min_and_closed_after_an_hour(tmp_path: Path) -> None:
    # GIVEN the same red SpO2
    cohort = _red_spo2_cohort(tmp_path / "cohort")

    # WHEN it is replayed with the default nurse model
    replay_cohort(cohort, tmp_path / "out")

    # THEN the nurse takes it before the second tier is told and closes it an hour after it was raised
    lines = alert_lines(tmp_path / "out")
    assert [line["event"] for line in lines] == ["opened", "acknowledged", "escalated", "closed"]
    assert [line["at"][11:16] for line in lines] == ["09:00", "09:15", "09:46", "10:00"]  # re-trigger at 30 min


def test_the_replay_opens_the_alerts_the_process_readings_handler_opens_for_the_same_messages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN three patients' readings over a morning: a red SpO2, a yellow pulse, normal values, symptoms
    cohort = CohortBuilder()
    red, yellow, calm = (cohort.patient(p) for p in ("P-A0000001", "P-A0000002", "P-A0000003"))
    cohort.reading(red, "r-1", START, measurements=vitals(spo2=95, heart_rate=70))
    cohort.reading(red, "r-2", START + timedelta(minutes=40), measurements=vitals(spo2=84, heart_rate=118))
    cohort.reading(yellow, "y-1", START + timedelta(minutes=5), measurements=vitals(spo2=95, heart_rate=105))
    cohort.reading(yellow, "y-2", START + timedelta(minutes=20), measurements=vitals(spo2=95, heart_rate=106))
    cohort.reading(calm, "c-1", START + timedelta(minutes=7), measurements=vitals(spo2=96, heart_rate=72))
    for rid, minutes in (("c-2", 9), ("c-3", 25)):  # two worse reports: a change, not one bad day
        cohort.reading(calm, rid, START + timedelta(minutes=minutes), symptoms={
            "questionnaire": "copd", "answers": {"breathlessness": "more_than_usual", "fever": False}})
    directory = cohort.write(tmp_path / "cohort")

    # WHEN the cohort is replayed, and the same messages go through the handler in the same batches
    replay_cohort(directory, tmp_path / "out", NURSE_OFF)
    tenant = FakeTenant()
    for patient in load_cohort(directory).devices:
        tenant.registry.assign_device(_assignment(patient))
    handler = load_handler("process_readings")
    pipeline = tenant.pipeline()
    monkeypatch.setattr(handler, "readings_pipeline", lambda: pipeline)
    messages = load_cohort(directory).messages
    for batch in ([m for m in messages if m.received_at < START + timedelta(minutes=15)],
                  [m for m in messages if m.received_at >= START + timedelta(minutes=15)]):
        records = [sqs_record(rule_body(m), sent_timestamp_ms=int(m.received_at.timestamp() * 1000)) for m in batch]
        handler.lambda_handler({"Records": records}, FakeLambdaContext())

    # THEN both opened the same alerts, with the same rules and severities
    replayed = {(line["alert_id"], line["rule"], line["severity"])
                for line in alert_lines(tmp_path / "out") if line["event"] in ("opened", "worsened")}
    handled = {(a.alert_id, a.rule.value, a.severity.value) for a in tenant.alerts.alerts.values()}
    assert replayed == handled
    assert {rule for _, rule, _ in handled} >= {"spo2_band", "heart_rate_band", "symptoms"}
    assert Severity.RED.value in {severity for _, _, severity in handled}


def _assignment(device: CohortDevice) -> DeviceAssignment:
    return DeviceAssignment(device.device_id, device.patient_id, device.valid_from, device.valid_to)


def test_replaying_the_same_cohort_twice_writes_the_same_alerts_byte_for_byte(tmp_path: Path) -> None:
    # GIVEN a synthetic cohort of a few patients over four days (reds, yellows, missed days, redeliveries)
    write_cohort(tmp_path / "cohort", patients=30, days=4, seed=3)

    # WHEN it is replayed twice
    first = replay_cohort(tmp_path / "cohort", tmp_path / "one")
    replay_cohort(tmp_path / "cohort", tmp_path / "two")

    # THEN the alert logs are identical, and not trivially so
    assert (tmp_path / "one" / "alerts.jsonl").read_bytes() == (tmp_path / "two" / "alerts.jsonl").read_bytes()
    assert first.summary["alerts"]["opened"] > 5


def test_a_redelivered_message_stores_one_reading_and_opens_one_alert(tmp_path: Path) -> None:
    # GIVEN a red reading delivered three times: twice in the same batch, once again an hour later
    cohort = CohortBuilder()
    device = cohort.patient("P-DUP00001")
    message = cohort.reading(device, "r-1", START, measurements=vitals(spo2=80))
    cohort.messages.append(dict(message))
    cohort.messages.append({**message, "received_at": (START + timedelta(minutes=59)).isoformat()})

    # WHEN it is replayed
    result = replay_cohort(cohort.write(tmp_path / "cohort"), tmp_path / "out")

    # THEN one reading is stored, the others counted as duplicates, and one alert was opened
    assert (result.summary["stored"], result.summary["duplicates"]) == (1, 2)
    assert [line["event"] for line in alert_lines(tmp_path / "out")].count("opened") == 1


def test_a_malformed_line_is_reported_with_its_line_number_and_the_rest_is_replayed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a messages file whose line 2 is not JSON and line 3 names no readings topic, and a payload
    # that is a broken device body (a string)
    cohort = CohortBuilder()
    device = cohort.patient("P-BAD00001")
    cohort.reading(device, "r-1", START, measurements=vitals(spo2=80))
    cohort.messages.append('{"topic": "dho/bodo/devices/x/readings", "payload": ')
    cohort.messages.append(json.dumps({"topic": "elsewhere", "payload": {}, "received_at": START.isoformat()}))
    cohort.messages.append({"topic": f"dho/bodo/devices/{device}/readings", "payload": "{\"schema\": ",
                            "received_at": (START + timedelta(minutes=1)).isoformat()})
    cohort.reading(device, "r-2", START + timedelta(minutes=30), measurements=vitals(spo2=96))
    directory = cohort.write(tmp_path / "cohort")

    # WHEN the CLI replays it
    assert main([str(directory), "--out", str(tmp_path / "out")]) == 0

    # THEN the two unreadable lines are named with their numbers, the broken body is quarantined with its
    # reason, and the good readings are stored and alerted on
    errors = capsys.readouterr().err
    assert "messages.jsonl:2: not JSON" in errors and "messages.jsonl:3: topic is not" in errors
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert [(e["file"], e["line"]) for e in summary["line_errors"]] == [("messages.jsonl", 2), ("messages.jsonl", 3)]
    assert summary["quarantined"] == {"total": 1, "reasons": {"malformed_json": 1}}
    assert summary["stored"] == 2
    assert alert_lines(tmp_path / "out")[0]["rule"] == "spo2_band"


def test_a_gzipped_messages_file_with_plan_overrides_replays_as_written(tmp_path: Path) -> None:
    # GIVEN a patient whose plan moves the SpO2 red limit down to 78 %, with messages gzipped
    cohort = CohortBuilder()
    device = cohort.patient("P-OVR00001", plan_overrides={"limits": {"spo2": {"red_low": 78}}})
    cohort.reading(device, "r-1", START, measurements=vitals(spo2=86))
    cohort.reading(device, "r-2", START + timedelta(minutes=10), measurements=vitals(spo2=86))  # re-measured

    # WHEN it is replayed
    replay_cohort(cohort.write(tmp_path / "cohort", gzipped=True), tmp_path / "out")

    # THEN 86 % (above the 85 % safety floor) is yellow for this patient, not the template's red (below 88 %)
    assert {(line["rule"], line["severity"]) for line in alert_lines(tmp_path / "out")} == {("spo2_band", "yellow")}


def test_a_patient_with_an_unknown_programme_or_plan_field_is_reported_and_the_others_replay(tmp_path: Path) -> None:
    # GIVEN one patient with a programme nobody knows, one with a plan field a cohort may not set, one fine
    cohort = CohortBuilder()
    cohort.patient("P-UNK00001", programme="astrology")
    cohort.patient("P-UNK00002", plan_overrides={"version": 7})
    device = cohort.patient("P-OK000001")
    cohort.reading(device, "r-1", START, measurements=vitals(spo2=80))

    # WHEN it is replayed
    result = replay_cohort(cohort.write(tmp_path / "cohort"), tmp_path / "out")

    # THEN both are named by line (with their devices), and the third patient's red is raised
    errors = [(e["file"], e["line"]) for e in result.summary["line_errors"]]
    assert errors == [("patients.jsonl", 1), ("patients.jsonl", 2), ("devices.jsonl", 1), ("devices.jsonl", 2)]
    assert result.summary["patients"] == 1
    assert alert_lines(tmp_path / "out")[0]["patient_id"] == "P-OK000001"


def test_a_patient_who_stops_measuring_gets_a_missed_measurements_alert_told_apart_by_its_rule(
    tmp_path: Path,
) -> None:
    # GIVEN a COPD patient (SpO2 and pulse expected daily, 12 h grace) who measures once and then stops
    cohort = CohortBuilder()
    device = cohort.patient("P-MISS0001")
    cohort.reading(device, "r-1", START, measurements=vitals(spo2=96, heart_rate=70))
    cohort.reading(device, "r-2", START + timedelta(days=2), symptoms={
        "questionnaire": "copd", "answers": {"breathlessness": "usual"}})

    # WHEN it is replayed with nobody acting
    replay_cohort(cohort.write(tmp_path / "cohort"), tmp_path / "out", NURSE_OFF)

    # THEN one yellow missed-measurements alert opens at the hourly check after the 36 h deadline
    (line,) = alert_lines(tmp_path / "out")
    assert (line["rule"], line["severity"], line["event"]) == ("missed_measurements", "yellow", "opened")
    assert "2026-03-03T21:00" < line["at"] < "2026-03-03T22:01"


def test_leaving_out_the_patients_whose_hourly_check_cannot_change_anything_changes_no_alert(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a cohort whose patients skip days (missed-measurement alerts open, are closed by the nurse,
    # and close when the patient measures again)
    write_cohort(tmp_path / "cohort", patients=15, days=6, seed=5)

    # WHEN it is replayed with the replay's roster, and again checking every patient at every slot tick
    # as production does
    skipping = replay_cohort(tmp_path / "cohort", tmp_path / "skipping")
    monkeypatch.setattr(ChangedPatientsRoster, "patients_in_slot",
                        lambda self, slot, *, limit: self._registry.patients_in_slot(slot, limit=limit))
    everyone = replay_cohort(tmp_path / "cohort", tmp_path / "everyone")

    # THEN the alerts are the same, with fewer checks
    assert (tmp_path / "skipping" / "alerts.jsonl").read_text() == (tmp_path / "everyone" / "alerts.jsonl").read_text()
    assert skipping.summary["alerts"]["by_rule"]["missed_measurements"]["yellow"] > 3
    assert skipping.summary["adherence_checks"] < everyone.summary["adherence_checks"] / 3


def test_a_cohort_may_plan_its_own_questionnaire_schedule() -> None:
    weekly = {"phq9": {"every_hours": 168}}
    plan = plan_with_overrides("P-MEN00001", Programme.MENTAL_HEALTH, {"expected_questionnaires": weekly},
                               START)
    assert plan.questionnaire_schedule() == {"phq9": MeasurementSchedule(every_hours=168)}


def test_the_rule_body_of_a_payload_given_as_an_object_is_the_one_of_its_text(tmp_path: Path) -> None:
    # GIVEN a cohort whose message payload is a JSON object (read once when the cohort loads)
    cohort = CohortBuilder()
    cohort.reading(cohort.patient("P-BODY0001"), "r-1", START, measurements=vitals(spo2=96.5, heart_rate=70))
    (message,) = load_cohort(cohort.write(tmp_path)).messages
    assert message.document is not None

    # THEN the queue body built from it is the one built by parsing the payload's text
    assert rule_body(message) == rule_body(replace(message, document=None))
