"""A symptom report → FHIR R4B QuestionnaireResponse (JSON-ready dict)."""

from __future__ import annotations

from typing import Any

from dho.domain.clock import to_canonical
from dho.domain.symptoms import QUESTIONNAIRES, Answer, Questionnaire
from dho.domain.timeline import TimelineEntry
from dho.fhir.codes import QUESTIONNAIRE_URL_PREFIX, READING_IDENTIFIER_SYSTEM, SYMPTOM_ANSWER_SYSTEM
from dho.fhir.references import patient_reference, resource_id


def questionnaire_url(questionnaire: Questionnaire) -> str:
    return f"{QUESTIONNAIRE_URL_PREFIX}{questionnaire.value}|1"


def render_questionnaire_response(entry: TimelineEntry, tenant_id: str) -> dict[str, Any]:
    questionnaire = Questionnaire(entry.series.removeprefix("symptoms."))
    questions = QUESTIONNAIRES[questionnaire]
    identifier = f"{tenant_id}/{entry.device_id}/{entry.reading_id}/{entry.series}"
    patient = patient_reference(tenant_id, entry.patient_id)
    return {
        "resourceType": "QuestionnaireResponse",
        "id": resource_id("QuestionnaireResponse", READING_IDENTIFIER_SYSTEM, identifier),
        "identifier": {"system": READING_IDENTIFIER_SYSTEM, "value": identifier},
        "questionnaire": questionnaire_url(questionnaire),
        "status": "completed",
        "subject": patient,
        "source": patient,  # the patient answered (on the device)
        "authored": to_canonical(entry.measured_at),
        "item": [
            {"linkId": code, "text": questions[code].text_en, "answer": [_answer(answer)]}
            for code, answer in entry.answers
        ],
    }


def _answer(answer: Answer) -> dict[str, Any]:
    if isinstance(answer, bool):
        return {"valueBoolean": answer}
    return {"valueCoding": {"system": SYMPTOM_ANSWER_SYSTEM, "code": answer}}
