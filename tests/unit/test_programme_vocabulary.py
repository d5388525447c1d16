"""One vocabulary of programmes: the tenant file, the domain, the plan templates, the schedules and the
advice texts accept exactly the same names (issue #16: they used to disagree)."""

from __future__ import annotations

import typing
from datetime import UTC, datetime

import pytest
from pydantic import TypeAdapter, ValidationError

from dho.domain.plan_advice import ADVICE_TEMPLATES, AdviceLanguage
from dho.domain.plans import Programme, plan_from_template
from infra.config import Tenant

AT = datetime(2026, 12, 1, tzinfo=UTC)
NAMES = {p.value for p in Programme}


def _tenant_accepts(name: str) -> bool:
    programme_type = typing.get_args(Tenant.model_fields["programmes"].annotation)[0]
    try:
        TypeAdapter(programme_type).validate_python(name)
    except ValidationError:
        return False
    return True


def test_the_tenant_file_accepts_exactly_the_domains_programmes() -> None:
    candidates = NAMES | {"asthma", "kols", "Cancer", "mental-health", ""}
    assert {name for name in candidates if _tenant_accepts(name)} == NAMES


def test_every_programme_has_a_template_and_advice_in_both_languages() -> None:
    assert set(ADVICE_TEMPLATES) == NAMES
    for programme in Programme:
        plan = plan_from_template("P-1", programme, AT)
        assert plan.programme is programme
        assert set(plan.advice or {}) == set(AdviceLanguage)


@pytest.mark.parametrize("language", list(AdviceLanguage))
def test_the_mental_health_red_names_where_to_get_help_now(language: AdviceLanguage) -> None:
    red = ADVICE_TEMPLATES[Programme.MENTAL_HEALTH.value][language].red
    for number in ("113", "116 117", "116 123", "22 40 00 40"):
        assert number in red
    assert "Mental Helse" in red and "Kirkens SOS" in red


def test_cancer_and_mental_health_plan_their_questionnaires() -> None:
    assert set(plan_from_template("P-1", Programme.CANCER, AT).questionnaire_schedule()) == {"esas_r"}
    mental = plan_from_template("P-1", Programme.MENTAL_HEALTH, AT).questionnaire_schedule()
    assert set(mental) == {"phq9", "gad7"}
    assert all(schedule.every_hours == 24 * 14 for schedule in mental.values())
