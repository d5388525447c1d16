"""How a questionnaire's answers map to green / yellow / red: data next to the questionnaire
(``<key>.zones.json``), overridable per patient in the plan (``SelfManagementPlan.questionnaire_zones``).

A rule matches one item's answer (``any_of`` these, ``none_of`` these, or ``at_least`` a number); ``total``
zones the instrument's total score (the sum of the options' ordinal values, e.g. PHQ-9 0-27); ``bands`` name
the published severity bands of that total. ``immediate``: the red is not to wait for a confirmation or the
opening hours (PHQ-9 item 9).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

_HERE = Path(__file__).parent
_FROZEN = ConfigDict(frozen=True, extra="forbid")

RuleAnswer = str | bool | int


class AnswerRule(BaseModel):
    model_config = _FROZEN

    item: str = Field(min_length=1)
    any_of: tuple[RuleAnswer, ...] | None = None
    none_of: tuple[RuleAnswer, ...] | None = None
    at_least: int | None = None
    zone: Literal["yellow", "red"]
    immediate: bool = False

    @model_validator(mode="after")
    def _one_condition(self) -> AnswerRule:
        if sum(c is not None for c in (self.any_of, self.none_of, self.at_least)) != 1:
            raise ValueError("a rule has exactly one of any_of, none_of, at_least")
        return self


class TotalRule(BaseModel):
    model_config = _FROZEN

    yellow_at: int | None = Field(default=None, ge=0)
    red_at: int | None = Field(default=None, ge=0)


class Band(BaseModel):
    model_config = _FROZEN

    low: int = Field(ge=0)
    high: int = Field(ge=0)
    label: str = Field(min_length=1)


class ZoneRules(BaseModel):
    model_config = _FROZEN

    questionnaire: str
    version: str
    source: str = ""
    answers: tuple[AnswerRule, ...] = ()
    total: TotalRule | None = None
    bands: tuple[Band, ...] = ()

    @model_validator(mode="after")
    def _bands_cover_in_order(self) -> ZoneRules:
        for before, after in zip(self.bands, self.bands[1:], strict=False):
            if after.low != before.high + 1:
                raise ValueError("bands must follow each other without gaps")
        return self


@cache
def default_zone_rules(key: str) -> ZoneRules:
    """The zones shipped with questionnaire ``key`` (none: every answer green)."""
    path = _HERE / f"{key}.zones.json"
    if not path.exists():
        return ZoneRules(questionnaire=key, version="0")
    return ZoneRules.model_validate(json.loads(path.read_text(encoding="utf-8")))
