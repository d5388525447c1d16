"""FHIR R4B export of stored readings, checked against fhir.resources' R4B models."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from dho.domain.identifiers import validate_national_id, with_check_digits
from dho.domain.payload import parse_device_message
from dho.domain.registry import Patient
from dho.domain.timeline import TimelineEntry, entries_for
from dho.fhir.codes import LOINC, READING_IDENTIFIER_SYSTEM, UCUM
from dho.fhir.observation import render_observations
from dho.fhir.patient import render_patient
from dho.fhir.questionnaire_response import render_questionnaire_response
from dho.fhir.references import device_reference, patient_reference, resource_id
from localcloud.corpus import load_messages, registry


def _entries(file_stem: str) -> list[TimelineEntry]:
    (message,) = [m for m in load_messages() if m.file == f"good/{file_stem}.json"]
    return entries_for(parse_device_message(message.body, tenant_id="bodo"), message.expected_patient_id or "")


def _loinc_codes(codeable: dict[str, Any]) -> list[str]:
    return [c["code"] for c in codeable["coding"] if c["system"] == LOINC]


def _validated(resource: dict[str, Any], model: Callable[..., Any]) -> Any:
    return model.model_validate(resource)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("file_stem", "expected"),
    [
        ("spo2_with_pulse", {("59408-5", "%"), ("8867-4", "/min")}),
        ("weight_lb", {("29463-7", "kg")}),
        ("temperature_fahrenheit", {("8310-5", "Cel")}),
        ("respiratory_rate", {("9279-1", "/min")}),
        ("glucose_mg_dl", {("14743-9", "mmol/L")}),
    ],
)
def test_each_metric_becomes_a_vital_sign_observation_with_loinc_and_ucum(
    file_stem: str, expected: set[tuple[str, str]]
) -> None:
    observations = render_observations(_entries(file_stem), "bodo")
    for resource in observations:
        _validated(resource, Observation)
        assert resource["valueQuantity"]["system"] == UCUM
        assert resource["valueQuantity"]["code"] == resource["valueQuantity"]["unit"]
    assert {(_loinc_codes(o["code"])[0], o["valueQuantity"]["code"]) for o in observations} == expected


def test_spo2_carries_both_the_pulse_oximetry_and_the_vital_signs_profile_code() -> None:
    (spo2,) = [o for o in render_observations(_entries("spo2_with_pulse"), "bodo")
               if "59408-5" in _loinc_codes(o["code"])]
    assert _loinc_codes(spo2["code"]) == ["59408-5", "2708-6"]


def test_blood_pressure_is_one_panel_with_systolic_and_diastolic_components_and_pulse_apart() -> None:
    observations = render_observations(_entries("blood_pressure_panel_mmhg"), "bodo")
    panel = next(o for o in observations if _loinc_codes(o["code"]) == ["85354-9"])
    _validated(panel, Observation)
    assert [(_loinc_codes(c["code"])[0], c["valueQuantity"]["value"], c["valueQuantity"]["code"])
            for c in panel["component"]] == [("8480-6", 142.0, "mm[Hg]"), ("8462-4", 88.0, "mm[Hg]")]
    assert "valueQuantity" not in panel
    assert len(observations) == 2  # the panel and the pulse


def test_an_observation_names_patient_device_time_category_and_a_stable_identifier() -> None:
    (weight,) = render_observations(_entries("weight_kg"), "bodo")
    model = _validated(weight, Observation)
    assert weight["subject"] == patient_reference("bodo", "P-HF000001")
    assert weight["device"] == device_reference("bodo", "scale-0001")
    assert weight["id"] == resource_id("Observation", READING_IDENTIFIER_SYSTEM, weight["identifier"][0]["value"])
    assert weight["category"][0]["coding"][0]["code"] == "vital-signs"
    assert weight["identifier"][0]["value"] == "bodo/scale-0001/scale-0001-000201/body_weight"
    assert model.effectiveDateTime.isoformat().startswith("2026-11-20T06:05:00")
    assert render_observations(_entries("weight_kg"), "bodo") == [weight]  # deterministic


def test_a_symptom_report_becomes_a_completed_questionnaire_response() -> None:
    (entry,) = _entries("symptoms_copd")
    resource = render_questionnaire_response(entry, "bodo")
    model = _validated(resource, QuestionnaireResponse)
    assert model.status == "completed"
    assert resource["questionnaire"] == "https://dho-platform.github.io/fhir/Questionnaire/copd|1.0.0"
    answers = {item["linkId"]: item["answer"][0] for item in resource["item"]}
    assert answers["sputum_colour"] == {"valueCoding": {
        "system": "https://dho-platform.github.io/fhir/CodeSystem/symptom-answer", "code": "yellow", "display": "Gult"}}
    assert answers["chest_pain"] == {"valueBoolean": False}
    assert len(answers) == 7


def test_a_patient_is_exported_as_no_basis_patient_with_the_fodselsnummer_system_and_the_pseudonym() -> None:
    spec = registry()["patients"][0]
    resource = render_patient(Patient(**spec), "bodo")
    _validated(resource, FhirPatient)
    assert resource["meta"]["profile"] == ["http://hl7.no/fhir/StructureDefinition/no-basis-Patient"]
    assert resource["identifier"] == [
        {"use": "official", "system": "urn:oid:2.16.578.1.12.4.1.4.1", "value": spec["national_id"]},
        {"use": "secondary", "system": "urn:dho:patient", "value": f"bodo/{spec['patient_id']}"}]


@pytest.mark.parametrize(("kind", "first_nine", "system"), [
    ("fødselsnummer", "120885000", "urn:oid:2.16.578.1.12.4.1.4.1"),
    ("D-nummer: day + 40", "520885000", "urn:oid:2.16.578.1.12.4.1.4.2"),
    ("H-nummer: month + 40", "124885000", "urn:oid:2.16.578.1.12.4.1.4.3"),
    ("H-nummer in December", "125285000", "urn:oid:2.16.578.1.12.4.1.4.3"),
    ("synthetic test number: month + 80", "128985000", "urn:oid:2.16.578.1.12.4.1.4.1"),
])
def test_each_kind_of_national_id_gets_its_own_identifier_system(kind: str, first_nine: str, system: str) -> None:
    number = next(n for n in (with_check_digits(first_nine[:8] + str(d)) for d in range(10)) if n is not None)
    assert validate_national_id(number) == number, kind

    (official, _) = render_patient(Patient("P-TEST0001", number, "copd"), "bodo")["identifier"]

    assert official["system"] == system, kind
