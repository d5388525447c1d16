"""The questionnaires are data: FHIR R4 Questionnaire resources in dho/questionnaires, validated with
fhir.resources, with the project's canonical URL, a version, bokmål text with a nynorsk translation, both
marked as not yet approved, and answer options as codings with display text; their zone rules are data
next to them and refer only to questions and answers that exist."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire

from dho.domain.plans import Programme, plan_from_template
from dho.questionnaires import CANONICAL_BASE, KEY_SYSTEM, catalogue
from dho.questionnaires.zones import default_zone_rules

KEYS = sorted(catalogue())
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
APPROVAL = "https://dho-platform.github.io/fhir/StructureDefinition/translation-approval"


def _nynorsk(element: dict[str, Any] | None) -> str | None:
    for extension in (element or {}).get("extension", []):
        if extension["url"] == TRANSLATION:
            parts = {e["url"]: e.get("valueCode") or e.get("valueString") for e in extension["extension"]}
            if parts["lang"] == "nn":
                return str(parts["content"])
    return None


def test_the_catalogue_holds_the_programmes_questionnaires() -> None:
    assert set(KEYS) >= {"copd", "heart_failure", "diabetes", "phq9", "gad7", "esas_r"}


@pytest.mark.parametrize("key", KEYS)
def test_each_questionnaire_is_a_valid_fhir_resource_with_the_projects_canonical(key: str) -> None:
    definition = catalogue()[key]
    resource = definition.resource
    FhirQuestionnaire.model_validate(resource)
    assert resource["id"] == key.replace("_", "-")
    assert resource["url"] == CANONICAL_BASE + resource["id"]
    assert resource["identifier"] == [{"system": KEY_SYSTEM, "value": key}]
    assert definition.canonical == f"{resource['url']}|{resource['version']}"
    assert resource["language"] == "nb"
    # Not approved by clinicians: draft, and said so in an extension and the description.
    assert resource["status"] == "draft"
    assert {"url": APPROVAL, "valueCode": "not-approved"} in resource["extension"]


@pytest.mark.parametrize("key", KEYS)
def test_every_question_and_option_has_bokmal_and_nynorsk_and_options_are_codings(key: str) -> None:
    for item in catalogue()[key].resource["item"]:
        assert item["text"] and _nynorsk(item.get("_text")), item["linkId"]
        for option in item.get("answerOption", []):
            coding = option["valueCoding"]
            assert coding["system"].startswith(("https://", "http://loinc.org")), coding
            assert coding["code"] and coding["display"] and _nynorsk(coding.get("_display")), coding


@pytest.mark.parametrize("key", KEYS)
def test_the_zone_rules_refer_to_questions_and_answers_that_exist(key: str) -> None:
    rules = default_zone_rules(key)
    assert rules.questionnaire == key
    items = catalogue()[key].items
    for rule in rules.answers:
        item = items[rule.item]
        for answer in (rule.any_of or ()) + (rule.none_of or ()):
            assert item.accepts(answer), (rule.item, answer)
        if rule.at_least is not None:
            assert item.kind == "integer" and item.low is not None and item.high is not None
            assert item.low <= rule.at_least <= item.high


def test_every_planned_questionnaire_exists() -> None:
    for programme in Programme:
        plan = plan_from_template("P-1", programme, datetime(2026, 12, 1, tzinfo=UTC))
        assert set(plan.questionnaire_schedule()) <= set(catalogue()), programme


def test_esas_r_keeps_its_ten_items_in_their_order_and_pain_mapping_comes_after() -> None:
    # The ESAS-r may not be modified without the authors' consent (Alberta Health Services' manual).
    links = [item["linkId"] for item in catalogue()["esas_r"].resource["item"]]
    assert links == [f"esas_{k}" for k in ("pain", "tiredness", "drowsiness", "nausea", "appetite",
                                           "shortness_of_breath", "depression", "anxiety", "wellbeing", "other")
                     ] + ["pain_site"]
    assert all(catalogue()["esas_r"].items[link].low == 0 and catalogue()["esas_r"].items[link].high == 10
               for link in links[:10])
