"""The questionnaires patients answer, as FHIR R4 Questionnaire resources (``dho/questionnaires``), so an
app can render them and a receiver can resolve the canonical a QuestionnaireResponse references. No
patient data: any caller with a platform role may read them, and nothing is access-logged."""

from __future__ import annotations

import json
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from dho.centre.problems import READ_REFUSALS, documented
from dho.centre.service import NotFound
from dho.questionnaires import by_fhir_id, catalogue

router = Router()  # type: ignore[no-untyped-call]

FHIR_JSON = "application/fhir+json"
QuestionnaireId = Annotated[str, Path(pattern=r"^[A-Za-z0-9-.]{1,64}$", description="the FHIR id, e.g. phq9")]
_BUNDLE: OpenAPIResponse = {"description": "A FHIR R4 Bundle (searchset) of every Questionnaire",
                            "content": {FHIR_JSON: {"schema": {"type": "object"}}}}
_ONE: OpenAPIResponse = {"description": "The FHIR R4 Questionnaire",
                         "content": {FHIR_JSON: {"schema": {"type": "object"}}}}


@router.get("/questionnaires", summary="Every questionnaire patients answer (FHIR Questionnaire resources)",
            responses=documented("The questionnaires", *READ_REFUSALS, ok_response=_BUNDLE))
def questionnaires() -> Response[str]:
    resources = [d.resource for d in catalogue().values()]
    bundle = {"resourceType": "Bundle", "type": "searchset", "total": len(resources),
              "entry": [{"fullUrl": r["url"], "resource": r, "search": {"mode": "match"}} for r in resources]}
    return Response(200, FHIR_JSON, json.dumps(bundle, ensure_ascii=False))


@router.get("/questionnaires/<questionnaire_id>", summary="One questionnaire (FHIR Questionnaire)",
            responses=documented("The questionnaire", 404, *READ_REFUSALS, ok_response=_ONE))
def questionnaire(questionnaire_id: QuestionnaireId) -> Response[str]:
    definition = by_fhir_id(questionnaire_id)
    if definition is None:
        raise NotFound("no such questionnaire")
    return Response(200, FHIR_JSON, json.dumps(definition.resource, ensure_ascii=False),
                    headers={"ETag": f'"{definition.resource["version"]}"'})
