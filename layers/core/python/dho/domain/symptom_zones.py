"""Symptom answers → action-plan zone (green / yellow / red), as in COPD and heart-failure plans.

COPD (patient action plans): red = breathless at rest, new confusion, chest pain, blood in sputum; yellow = more
breathless, more or discoloured sputum, more reliever use, feeling feverish. Heart failure: red =
breathless at rest, chest pain, new confusion, dizziness or fainting; yellow = more breathless, more
pillows at night, more swelling, more tired.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum

from dho.domain.symptoms import Answer, Questionnaire


class Zone(IntEnum):
    GREEN = 0
    YELLOW = 1
    RED = 2


# (question, answer) -> zone; answers not listed are green.
_ZONE_OF_ANSWER: dict[Questionnaire, dict[tuple[str, Answer], Zone]] = {
    Questionnaire.COPD: {
        ("breathlessness", "at_rest"): Zone.RED,
        ("confusion", True): Zone.RED,
        ("chest_pain", True): Zone.RED,
        ("sputum_colour", "blood"): Zone.RED,
        ("breathlessness", "more_than_usual"): Zone.YELLOW,
        ("sputum_amount", "more_than_usual"): Zone.YELLOW,
        ("sputum_colour", "yellow"): Zone.YELLOW,
        ("sputum_colour", "green"): Zone.YELLOW,
        ("reliever_use", "more_than_usual"): Zone.YELLOW,
        ("fever", True): Zone.YELLOW,
    },
    Questionnaire.HEART_FAILURE: {
        ("breathlessness", "at_rest"): Zone.RED,
        ("chest_pain", True): Zone.RED,
        ("confusion", True): Zone.RED,
        ("dizziness", True): Zone.RED,
        ("breathlessness", "more_than_usual"): Zone.YELLOW,
        ("orthopnoea", True): Zone.YELLOW,
        ("ankle_swelling", "more_than_usual"): Zone.YELLOW,
        ("fatigue", "more_than_usual"): Zone.YELLOW,
    },
}


def symptom_zone(questionnaire: Questionnaire, answers: Iterable[tuple[str, Answer]]) -> tuple[Zone, list[str]]:
    """The worst zone of the answers, and the question codes that put the report there."""
    table = _ZONE_OF_ANSWER[questionnaire]
    zoned = [(table.get((code, answer), Zone.GREEN), code) for code, answer in answers]
    worst = max((zone for zone, _ in zoned), default=Zone.GREEN)
    return worst, [code for zone, code in zoned if zone == worst and worst > Zone.GREEN]


def reports_new_confusion(answers: Iterable[tuple[str, Answer]]) -> bool:
    """NEWS2 reads a 'new confusion' answer as consciousness C on the ACVPU scale."""
    return any(code == "confusion" and answer is True for code, answer in answers)
