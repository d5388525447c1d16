"""The export's Bundle as a receiver reads it: every entry has a fullUrl and an id, every reference
resolves to an entry of the same Bundle, the devices and the alerts' evidence are there, and the whole
Bundle is valid FHIR R4B (fhir.resources).

GIVEN a patient with readings from three devices (one a symptom app) and alerts a nurse acted on
WHEN the Bundle is rendered
THEN a receiver can follow every reference without leaving it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from dho.alerting.policy import AlertPolicy
from dho.domain.alerts import Alert, AlertState, CloseReason
from dho.domain.findings import Rule, Severity
from dho.domain.metrics import Metric
from dho.domain.readings import DeviceReading, Measurement, SymptomReport
from dho.domain.registry import Patient
from dho.domain.symptoms import Questionnaire
from dho.domain.timeline import TimelineEntry, entries_for
from dho.fhir.bundle import render_bundle
from dho.fhir.validation import validate_r4b

T0 = datetime(2026, 11, 1, 8, tzinfo=UTC)
PATIENT = Patient("P-C0PD0001", "12488500072", "copd")  # an H-nummer (month + 40)
POLICY = AlertPolicy()


def _reading(reading_id: str, minutes: int, *measured: tuple[Metric, float, str], device: str = "oxi-0001",
             symptoms: SymptomReport | None = None) -> list[TimelineEntry]:
    at = T0 + timedelta(minutes=minutes)
    reading = DeviceReading("bodo", device, reading_id, at, at + timedelta(minutes=1),
                            tuple(Measurement(m, v, u) for m, v, u in measured), symptoms)
    return entries_for(reading, PATIENT.patient_id)


ENTRIES = [
    *_reading("s-1", 0, (Metric.SPO2, 95.0, "%"), (Metric.HEART_RATE, 72.0, "/min")),
    *_reading("bp-1", 60, (Metric.SYSTOLIC_BP, 142.0, "mm[Hg]"), (Metric.DIASTOLIC_BP, 88.0, "mm[Hg]"),
              device="bpm-0001"),
    *_reading("q-1", 90, device="app-0001", symptoms=SymptomReport(
        Questionnaire.COPD, (("breathlessness", "more_than_usual"), ("chest_pain", False)))),
    *_reading("s-2", 120, (Metric.SPO2, 86.0, "%")),
]


def _alerts() -> list[Alert]:
    opened = T0 + timedelta(minutes=120)
    red = Alert("A-" + "1" * 24, PATIENT.patient_id, Rule.SPO2_BAND, Severity.RED, AlertState.OPEN, opened, opened,
                opened, ("s-0", "s-2"), "SpO2 86 %", POLICY.settings.version)  # s-0: before the period
    snoozed = POLICY.snooze(red, "1234567", opened + timedelta(minutes=2), opened + timedelta(minutes=30))
    closed = POLICY.close(snoozed, "1234567", opened + timedelta(minutes=25), CloseReason.CONTACTED_PATIENT)
    symptoms = Alert("A-" + "2" * 24, PATIENT.patient_id, Rule.SYMPTOMS, Severity.YELLOW, AlertState.OPEN,
                     T0 + timedelta(minutes=90), opened, T0 + timedelta(minutes=90), ("q-1",), "copd: breathlessness",
                     POLICY.settings.version)
    return [closed, symptoms]


def _bundle() -> dict[str, Any]:
    return render_bundle(PATIENT, ENTRIES, _alerts(), tenant_id="bodo", export_id="access-0001",
                         timestamp=T0 + timedelta(days=1))


def _references(node: Any) -> Iterator[dict[str, Any]]:
    """Every Reference-like object (one with a ``reference``) anywhere in ``node``."""
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            yield node
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value)


def _by_type(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_the_bundle_is_valid_r4b_and_every_entry_has_a_unique_full_url_naming_its_resource_id() -> None:
    bundle = _bundle()

    validate_r4b(bundle)
    Bundle.model_validate(bundle)
    urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(urls) == len(set(urls))
    assert all(entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}" for entry in bundle["entry"])


def test_every_reference_in_the_bundle_resolves_to_an_entry_of_the_type_it_names() -> None:
    bundle = _bundle()
    entries = {entry["fullUrl"]: entry["resource"] for entry in bundle["entry"]}

    references = list(_references(bundle))

    assert len(references) > 10
    unresolved = [r for r in references if r["reference"] not in entries]
    assert unresolved == []
    assert all(entries[r["reference"]]["resourceType"] == r["type"] for r in references if "type" in r)


def test_each_device_that_measured_is_a_device_resource_of_the_patient() -> None:
    bundle = _bundle()
    entries = {entry["fullUrl"]: entry["resource"] for entry in bundle["entry"]}

    devices = _by_type(bundle, "Device")

    assert sorted(d["identifier"][0]["value"] for d in devices) == ["bodo/bpm-0001", "bodo/oxi-0001"]
    assert all(entries[d["patient"]["reference"]]["resourceType"] == "Patient" for d in devices)
    assert {entries[o["device"]["reference"]]["identifier"][0]["value"] for o in _by_type(bundle, "Observation")} == {
        "bodo/bpm-0001", "bodo/oxi-0001"}


def test_each_alert_is_a_detected_issue_whose_evidence_is_the_observation_in_the_bundle() -> None:
    bundle = _bundle()
    entries = {entry["fullUrl"]: entry["resource"] for entry in bundle["entry"]}
    symptoms, red = _by_type(bundle, "DetectedIssue")  # in opening order

    outside, inside = red["evidence"][0]["detail"]

    assert outside == {"type": "Observation", "identifier": {"system": "urn:dho:reading-id", "value": "bodo/s-0"}}
    assert entries[inside["reference"]]["valueQuantity"]["value"] == 86.0
    assert entries[symptoms["evidence"][0]["detail"][0]["reference"]]["resourceType"] == "QuestionnaireResponse"
    assert (red["severity"], red["code"]["coding"][0]["code"], red["identifiedDateTime"]) == (
        "high", "spo2_band", "2026-11-01T10:00:00.000000Z")
    assert [m["action"]["coding"][0]["code"] for m in red["mitigation"]] == ["snoozed", "closed-contacted_patient"]
    assert [f["status"] for f in _by_type(bundle, "Flag")] == ["active", "inactive"]


def test_the_patient_has_the_h_number_system_and_the_no_basis_profile() -> None:
    (patient,) = _by_type(_bundle(), "Patient")

    assert patient["meta"]["profile"] == ["http://hl7.no/fhir/StructureDefinition/no-basis-Patient"]
    assert patient["identifier"][0]["system"] == "urn:oid:2.16.578.1.12.4.1.4.3"


def test_a_re_export_gives_the_same_ids_so_the_receiver_can_update_instead_of_duplicating() -> None:
    first, again = _bundle(), _bundle()

    assert [e["fullUrl"] for e in first["entry"]] == [e["fullUrl"] for e in again["entry"]]
