"""Answers to the data-defined questionnaires: the device payload (schema v1, extended compatibly),
the zones (the shipped rules, or the plan's own), the FHIR export and the centre API."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from dho.domain.payload import parse_device_message
from dho.domain.plans import Programme, plan_from_template, revise
from dho.domain.readings import DeviceReading
from dho.domain.rejections import PayloadRejected, RejectionReason
from dho.domain.symptom_zones import Zone, immediate_red, symptom_zone
from dho.domain.symptoms import Answer, Questionnaire
from dho.domain.timeline import entries_for
from dho.fhir.questionnaire_response import render_questionnaire_response
from dho.questionnaires.zones import ZoneRules
from tests.support.centre_client import HandlerClient
from tests.support.centre_fakes import CLAIMS, FakeCentre
from tests.support.payloads import message

NOT_AT_ALL, SEVERAL_DAYS = "LA6568-5", "LA6569-3"
CANONICAL = "https://dho-platform.github.io/fhir/Questionnaire/"


def _report(questionnaire: str, answers: dict[str, Any]) -> DeviceReading:
    document = message(symptoms={"questionnaire": questionnaire, "answers": answers}, device_id="app-0001")
    del document["measurements"]
    return parse_device_message(json.dumps(document), tenant_id="bodo")


def _phq9(item9: str = NOT_AT_ALL, others: str = NOT_AT_ALL) -> dict[str, Any]:
    return {**{f"phq9_{i}": others for i in range(1, 9)}, "phq9_9": item9}


def _esas(pain: int, **others: Any) -> dict[str, Any]:
    items = ("tiredness", "drowsiness", "nausea", "appetite", "shortness_of_breath", "depression", "anxiety",
             "wellbeing", "other")
    return {"esas_pain": pain, **{f"esas_{k}": 0 for k in items}, **others}


def test_a_phq9_report_arrives_through_schema_v1() -> None:
    reading = _report("phq9", _phq9())
    assert reading.symptoms is not None and reading.symptoms.questionnaire is Questionnaire("phq9")
    assert len(reading.symptoms.answers) == 9


def test_an_esas_r_report_carries_intensities_and_where_it_hurts() -> None:
    reading = _report("esas_r", _esas(8, pain_site=["back", "abdomen"]))
    assert reading.symptoms is not None
    answers = dict(reading.symptoms.answers)
    assert answers["esas_pain"] == 8 and type(answers["esas_pain"]) is int
    assert answers["pain_site"] == ("abdomen", "back")  # sorted: a replay gives the same fingerprint


@pytest.mark.parametrize(("questionnaire", "answers"), [
    ("esas_r", _esas(11)),  # out of 0-10
    ("esas_r", _esas(True)),  # a boolean is no intensity
    ("esas_r", _esas(3, pain_site=["elbow"])),  # no such body region
    ("esas_r", _esas(3, pain_site=["back", "back"])),
    ("phq9", {**_phq9(), "phq9_9": 1}),  # an ordinal is not a code
    ("copd", {"breathlessness": ["at_rest"]}),  # not a question with several answers
    ("copd", {"fever": 1}),  # 1 is not True
])
def test_answers_that_the_questionnaire_does_not_allow_are_refused(questionnaire: str, answers: dict[str, Any]) -> None:
    with pytest.raises(PayloadRejected) as rejected:
        _report(questionnaire, answers)
    assert rejected.value.reason is RejectionReason.INVALID_ANSWER


def test_an_unknown_questionnaire_is_refused() -> None:
    with pytest.raises(PayloadRejected) as rejected:
        _report("asthma", {"wheeze": True})
    assert rejected.value.reason is RejectionReason.UNKNOWN_QUESTIONNAIRE


def _answers(reading: DeviceReading) -> tuple[tuple[str, Answer], ...]:
    assert reading.symptoms is not None
    return reading.symptoms.answers


def test_phq9_item_9_other_than_not_at_all_is_an_immediate_red_whatever_the_total() -> None:
    answers = _answers(_report("phq9", _phq9(item9=SEVERAL_DAYS)))
    assert symptom_zone(Questionnaire("phq9"), answers) == (Zone.RED, ["phq9_9"])
    assert immediate_red(Questionnaire("phq9"), answers) == ["phq9_9"]
    assert immediate_red(Questionnaire("phq9"), _answers(_report("phq9", _phq9()))) == []


def test_a_plan_can_override_the_shipped_zone_rules() -> None:
    at = datetime(2026, 12, 1, tzinfo=UTC)
    plan = plan_from_template("P-1", Programme.CANCER, at)
    answers = _answers(_report("esas_r", _esas(5)))
    assert symptom_zone(Questionnaire("esas_r"), answers, plan.zone_rules("esas_r"))[0] is Zone.GREEN
    own = ZoneRules.model_validate({"questionnaire": "esas_r", "version": "p1",
                                    "answers": [{"item": "esas_pain", "at_least": 5, "zone": "yellow"}]})
    stricter = revise(plan, changed_by="9100001", at=at, note="pain badly controlled",
                      questionnaire_zones={"esas_r": own})
    assert symptom_zone(Questionnaire("esas_r"), answers, stricter.zone_rules("esas_r")) == (Zone.YELLOW, ["esas_pain"])


@pytest.mark.parametrize(("key", "answers"), [("phq9", _phq9(item9=SEVERAL_DAYS)),
                                              ("esas_r", _esas(7, pain_site=["back"])),
                                              ("copd", {"breathlessness": "at_rest", "fever": False})])
def test_every_response_in_the_export_references_the_canonical_and_version(key: str, answers: dict[str, Any]) -> None:
    (entry,) = entries_for(_report(key, answers), "P-1")
    resource = render_questionnaire_response(entry, "bodo")
    QuestionnaireResponse.model_validate(resource)
    assert resource["questionnaire"] == f"{CANONICAL}{key.replace('_', '-')}|1.0.0"
    by_link = {item["linkId"]: item["answer"] for item in resource["item"]}
    if key == "phq9":
        assert by_link["phq9_9"] == [{"valueCoding": {"system": "http://loinc.org", "code": SEVERAL_DAYS,
                                                      "display": "Flere dager"}}]
    if key == "esas_r":
        assert by_link["esas_pain"] == [{"valueInteger": 7}]
        assert by_link["pain_site"][0]["valueCoding"]["code"] == "back"


def test_the_centre_api_serves_the_questionnaires_as_fhir(monkeypatch: pytest.MonkeyPatch) -> None:
    client = HandlerClient(monkeypatch, FakeCentre())
    listed = client.call("GET", "/questionnaires", CLAIMS["gp"])
    assert listed.status == 200
    bundle = Bundle.model_validate(listed.body)
    served = {e.resource.id for e in bundle.entry or [] if e.resource is not None}
    assert served >= {"phq9", "gad7", "esas-r", "copd", "heart-failure"}
    one = client.call("GET", "/questionnaires/esas-r", CLAIMS["tenant_admin"])
    assert one.status == 200 and FhirQuestionnaire.model_validate(one.body).url == f"{CANONICAL}esas-r"
    assert client.call("GET", "/questionnaires/asthma", CLAIMS["gp"]).status == 404


def test_a_plans_own_zone_rules_survive_the_stores_json() -> None:
    at = datetime(2026, 12, 1, tzinfo=UTC)
    own = ZoneRules.model_validate({"questionnaire": "copd", "version": "p1", "answers": [
        {"item": "fever", "any_of": [True], "zone": "red"}, {"item": "sputum_colour", "any_of": ["white"],
                                                            "zone": "yellow"}]})
    plan = revise(plan_from_template("P-1", Programme.COPD, at), changed_by="9100001", at=at, note="fever is red",
                  questionnaire_zones={"copd": own})
    again = type(plan).model_validate_json(plan.model_dump_json())
    assert again == plan
    rules = again.zone_rules("copd")
    assert symptom_zone(Questionnaire.COPD, (("fever", True),), rules) == (Zone.RED, ["fever"])
    assert symptom_zone(Questionnaire.COPD, (("fever", False),), rules) == (Zone.GREEN, [])
