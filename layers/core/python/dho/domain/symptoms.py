"""The symptom question sets patients answer in the app (COPD and heart-failure action plans).

Each question has a closed set of answers, so a report can be scored without free text (free text
would risk names and health details ending up where they should not). The zones (green / yellow /
red) these answers map to are the scoring engine's business, not the parser's.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

Answer = str | bool


class Questionnaire(StrEnum):
    COPD = "copd"
    HEART_FAILURE = "heart_failure"


_CHANGE = frozenset({"usual", "more_than_usual"})
_BREATHLESSNESS = frozenset({"usual", "more_than_usual", "at_rest"})
_YES_NO = frozenset({True, False})


@dataclass(frozen=True, slots=True)
class Question:
    code: str
    text_en: str
    allowed: frozenset[Answer]


def _questions(*questions: Question) -> dict[str, Question]:
    return {question.code: question for question in questions}


QUESTIONNAIRES: dict[Questionnaire, dict[str, Question]] = {
    Questionnaire.COPD: _questions(
        Question("breathlessness", "How breathless are you compared with usual?", _BREATHLESSNESS),
        Question("sputum_amount", "How much sputum compared with usual?", _CHANGE),
        Question("sputum_colour", "What colour is your sputum?",
                 frozenset({"none", "clear", "white", "yellow", "green", "blood"})),
        Question("reliever_use", "How often have you used your reliever inhaler?", _CHANGE),
        Question("chest_pain", "Do you have chest pain?", _YES_NO),
        Question("confusion", "Are you (or your relatives) noticing new confusion?", _YES_NO),
        Question("fever", "Do you feel feverish?", _YES_NO),
    ),
    Questionnaire.HEART_FAILURE: _questions(
        Question("breathlessness", "How breathless are you compared with usual?", _BREATHLESSNESS),
        Question("orthopnoea", "Do you need more pillows to breathe at night?", _YES_NO),
        Question("ankle_swelling", "Are your ankles or legs more swollen than usual?",
                 frozenset({"none", "usual", "more_than_usual"})),
        Question("fatigue", "How tired are you compared with usual?", _CHANGE),
        Question("dizziness", "Do you feel dizzy or faint?", _YES_NO),
        Question("chest_pain", "Do you have chest pain?", _YES_NO),
        Question("confusion", "Are you (or your relatives) noticing new confusion?", _YES_NO),
    ),
}
