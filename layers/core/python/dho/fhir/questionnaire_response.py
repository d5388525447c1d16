"""A symptom report → FHIR R4B QuestionnaireResponse (JSON-ready dict), referencing the questionnaire's
published canonical ``url|version`` (``dho/questionnaires``), with the question text and the answer
options' codings as the questionnaire defines them."""

from __future__ import annotations

from typing import Any

from dho.domain.clock import to_canonical
from dho.domain.symptoms import Answer, Questionnaire
from dho.domain.timeline import TimelineEntry
from dho.fhir.codes import READING_IDENTIFIER_SYSTEM
from dho.fhir.references import patient_reference, resource_id
from dho.questionnaires import Definition, catalogue


def questionnaire_url(questionnaire: Questionnaire) -> str:
    return catalogue()[questionnaire.value].canonical


def render_questionnaire_response(entry: TimelineEntry, tenant_id: str) -> dict[str, Any]:
    definition = catalogue()[Questionnaire(entry.series.removeprefix("symptoms.")).value]
    identifier = f"{tenant_id}/{entry.device_id}/{entry.reading_id}/{entry.series}"
    patient = patient_reference(tenant_id, entry.patient_id)
    return {
        "resourceType": "QuestionnaireResponse",
        "id": resource_id("QuestionnaireResponse", READING_IDENTIFIER_SYSTEM, identifier),
        "identifier": {"system": READING_IDENTIFIER_SYSTEM, "value": identifier},
        "questionnaire": definition.canonical,
        "status": "completed",
        "subject": patient,
        "source": patient,  # the patient answered (on the device)
        "authored": to_canonical(entry.measured_at),
        "item": [
            {"linkId": code, "text": definition.items[code].text, "answer": _answers(definition, code, answer)}
            for code, answer in entry.answers if code in definition.items
        ],
    }


def _answers(definition: Definition, link_id: str, answer: Answer) -> list[dict[str, Any]]:
    if isinstance(answer, bool):
        return [{"valueBoolean": answer}]
    if isinstance(answer, int):
        return [{"valueInteger": answer}]
    codes = answer if isinstance(answer, tuple) else (answer,)
    return [{"valueCoding": definition.option(link_id, code) or {"code": code}} for code in codes]
