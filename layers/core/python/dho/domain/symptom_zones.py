"""Symptom answers → action-plan zone (green / yellow / red), by the rules shipped with each questionnaire
(``dho/questionnaires/<key>.zones.json``) or the patient's plan's own.

COPD (patient action plans): red = breathless at rest, new confusion, chest pain, blood in sputum; yellow = more
breathless, more or discoloured sputum, more reliever use, feeling feverish. Heart failure: red =
breathless at rest, chest pain, new confusion, dizziness or fainting; yellow = more breathless, more
pillows at night, more swelling, more tired. PHQ-9, GAD-7 and ESAS-r: see their zone files and docs/scoring.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum

from dho.domain.symptoms import Answer, Questionnaire
from dho.questionnaires.scoring import total_score
from dho.questionnaires.zones import AnswerRule, ZoneRules, default_zone_rules


class Zone(IntEnum):
    GREEN = 0
    YELLOW = 1
    RED = 2


_ZONE = {"yellow": Zone.YELLOW, "red": Zone.RED}
TOTAL = "total"  # the code a total-score finding is reported under


def _matches(rule: AnswerRule, answer: Answer) -> bool:
    chosen = answer if isinstance(answer, tuple) else (answer,)

    def same(a: Answer, b: object) -> bool:
        return type(a) is type(b) and a == b  # True is no 1

    if rule.any_of is not None:
        return any(same(a, b) for a in chosen for b in rule.any_of)
    if rule.none_of is not None:
        return not any(same(a, b) for a in chosen for b in rule.none_of)
    return type(answer) is int and rule.at_least is not None and answer >= rule.at_least


def symptom_zone(questionnaire: Questionnaire, answers: Iterable[tuple[str, Answer]],
                 rules: ZoneRules | None = None) -> tuple[Zone, list[str]]:
    """The worst zone of the answers (and of the total score, if the rules zone it), and the question
    codes (``total`` for the score) that put the report there. ``rules``: the plan's, else the shipped."""
    rules = rules or default_zone_rules(questionnaire.value)
    answers = list(answers)
    zoned: list[tuple[Zone, str]] = []
    for code, answer in answers:
        hits = [_ZONE[r.zone] for r in rules.answers if r.item == code and _matches(r, answer)]
        zoned.append((max(hits, default=Zone.GREEN), code))
    if rules.total is not None:
        total = total_score(questionnaire.value, answers)
        if total is not None:
            zone = (Zone.RED if rules.total.red_at is not None and total >= rules.total.red_at
                    else Zone.YELLOW if rules.total.yellow_at is not None and total >= rules.total.yellow_at
                    else Zone.GREEN)
            zoned.append((zone, TOTAL))
    worst = max((zone for zone, _ in zoned), default=Zone.GREEN)
    return worst, [code for zone, code in zoned if zone == worst and worst > Zone.GREEN]


def immediate_red(questionnaire: Questionnaire, answers: Iterable[tuple[str, Answer]],
                  rules: ZoneRules | None = None) -> list[str]:
    """The questions whose answer is a red that must reach the centre at once (PHQ-9 item 9)."""
    rules = rules or default_zone_rules(questionnaire.value)
    return [code for code, answer in answers
            for r in rules.answers if r.immediate and r.zone == "red" and r.item == code and _matches(r, answer)]


def reports_new_confusion(answers: Iterable[tuple[str, Answer]]) -> bool:
    """NEWS2 reads a 'new confusion' answer as consciousness C on the ACVPU scale."""
    return any(code == "confusion" and answer is True for code, answer in answers)
