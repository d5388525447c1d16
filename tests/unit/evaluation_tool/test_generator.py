"""The cohort generator: deterministic per seed, in the replay format, every payload a valid v1 document
that the platform's parser takes (except the ones meant to be refused), and the ground truth consistent
with the messages (no readings during an admission)."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path

import pytest

from dho.domain.payload import parse_device_message
from dho.domain.payload_schema import DevicePayloadV1
from dho.domain.rejections import PayloadRejected
from evaluation.generator import CohortSpec, generate
from evaluation.readings import message_lines
from evaluation.truth import read_jsonl
from localcloud.corpus import rule_output
from tests.unit.evaluation_tool.conftest import SPEC


def _messages(directory: Path) -> str:
    with gzip.open(directory / "messages.jsonl.gz", "rt", encoding="utf-8") as handle:
        return handle.read()


def test_the_same_seed_gives_the_same_cohort_and_another_seed_a_different_one(tmp_path: Path) -> None:
    # GIVEN a small cohort generated twice with seed 3 and once with seed 4
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        generate(CohortSpec(patients=12, days=21, seed=seed), tmp_path / name)

    # THEN the two seed-3 cohorts are identical file for file, and seed 4 differs
    for name in ("patients.jsonl", "devices.jsonl", "events.jsonl", "truth/patients.jsonl", "truth/annotations.jsonl"):
        assert (tmp_path / "a" / name).read_text() == (tmp_path / "b" / name).read_text()
    assert _messages(tmp_path / "a") == _messages(tmp_path / "b")
    assert _messages(tmp_path / "a") != _messages(tmp_path / "c")


def test_the_cohort_is_in_the_replay_format(cohort: Path) -> None:
    patients = list(read_jsonl(cohort / "patients.jsonl"))
    devices = list(read_jsonl(cohort / "devices.jsonl"))
    assert len(patients) == SPEC.patients
    assert {p["programme"] for p in patients} == {"copd", "copd_hypercapnic", "heart_failure"}
    assert all(set(d) == {"device_id", "patient_id", "from", "to"} for d in devices)
    owners = {d["device_id"] for d in devices}
    arrivals = []
    for message in message_lines(cohort):
        assert set(message) == {"topic", "payload", "received_at"}
        tenant, device_id = message["topic"].split("/")[1], message["topic"].split("/")[3]
        assert (tenant, device_id) == ("eval", message["payload"]["device"]["id"])
        assert device_id in owners
        arrivals.append(datetime.fromisoformat(message["received_at"]))
    assert arrivals == sorted(arrivals), "messages are written in arrival order"


def test_every_payload_is_a_v1_document_and_only_the_spoiled_ones_are_refused(cohort: Path) -> None:
    refused_at = {(a["patient_id"], a["measured_at"]) for a in read_jsonl(cohort / "truth" / "annotations.jsonl")
                  if a["kind"] == "refused_payload"}
    owner = {d["device_id"]: d["patient_id"] for d in read_jsonl(cohort / "devices.jsonl")}
    parsed = refused = 0
    for message in message_lines(cohort):
        payload = message["payload"]
        DevicePayloadV1.model_validate(payload)
        received_ms = int(datetime.fromisoformat(message["received_at"]).timestamp() * 1000)
        body = rule_output(json.dumps(payload), "eval", payload["device"]["id"], received_ms)
        key = (owner[payload["device"]["id"]],
               datetime.fromisoformat(payload["measured_at"]).astimezone(SPEC.start.tzinfo).isoformat())
        if key in refused_at:
            with pytest.raises(PayloadRejected):
                parse_device_message(body, tenant_id="eval")
            refused += 1
        else:
            parse_device_message(body, tenant_id="eval")
            parsed += 1
    assert parsed > 10_000 and refused > 0


def test_no_reading_is_measured_while_the_patient_is_in_hospital(cohort: Path) -> None:
    owner = {d["device_id"]: d["patient_id"] for d in read_jsonl(cohort / "devices.jsonl")}
    stays = [(e["patient_id"], datetime.fromisoformat(e["onset"]), datetime.fromisoformat(e["admitted_until"]))
             for e in read_jsonl(cohort / "events.jsonl") if e["admitted_until"]]
    assert stays
    by_patient: dict[str, list[datetime]] = {}
    for message in message_lines(cohort):
        payload = message["payload"]
        by_patient.setdefault(owner[payload["device"]["id"]], []).append(
            datetime.fromisoformat(payload["measured_at"]))
    for patient_id, admitted, discharged in stays:
        assert not [t for t in by_patient.get(patient_id, []) if admitted <= t < discharged]
