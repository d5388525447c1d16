"""What the patient is told per zone of their self-management plan (green: carry on, yellow: do what
the plan says and talk to the centre, red: call), in bokmål and nynorsk (the municipality chooses).

The texts are plain advice for the patient's app or gateway: no name, no national id, no measured value.
A red text must always tell the patient to call the centre and 113 when it is acute; a plan whose red
text does not mention 113 is refused. The programme defaults below are sober starting points; nurses
adjust them per patient in a new plan version (like the limits).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator


class AdviceLanguage(StrEnum):
    BOKMAL = "nb"
    NYNORSK = "nn"


class ZoneAdvice(BaseModel):
    """The advice texts of one language. ``remeasure``: asked after a single yellow reading when the plan
    wants a confirmation; ``confirmed`` follows a second yellow within the window (None: the yellow text).
    ``overdue`` / ``overdue_questionnaire``: the reminder when a measurement / a questionnaire is due."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    green: str = Field(min_length=1, max_length=500)
    yellow: str = Field(min_length=1, max_length=500)
    red: str = Field(min_length=1, max_length=500)
    remeasure: str = Field(min_length=1, max_length=500)
    overdue: str = Field(min_length=1, max_length=500, description="reminder when a measurement is overdue")
    # None (texts stored before questionnaire reminders existed): the programme's (SelfManagementPlan.advice_texts).
    overdue_questionnaire: str | None = Field(default=None, min_length=1, max_length=500,
                                              description="reminder when a questionnaire is overdue")

    @field_validator("red")
    @classmethod
    def _red_says_113(cls, text: str) -> str:
        if "113" not in text:
            raise ValueError("the red advice must tell the patient to call 113 when it is acute")
        return text


_RED_NB = ("Ring responssenteret nå. Er du svært tung i pusten, har brystsmerter eller blir forvirret: "
           "ring 113.")
_RED_NN = ("Ring responssenteret no. Er du svært tung i pusten, har brystsmerter eller blir forvirra: "
           "ring 113.")
_REMEASURE_NB = "Målingen var utenfor planen din. Sitt i ro og mål på nytt om 5 minutter."
_REMEASURE_NN = "Målinga var utanfor planen din. Sit i ro og mål på nytt om 5 minutt."
_OVERDUE_NB = "Du har ikke målt som planlagt. Mål gjerne nå."
_OVERDUE_NN = "Du har ikkje målt som planlagt. Mål gjerne no."
_OVERDUE_QUESTIONNAIRE_NB = "Det er tid for å svare på skjemaet i planen din. Svar gjerne i appen nå."
_OVERDUE_QUESTIONNAIRE_NN = "Det er tid for å svare på skjemaet i planen din. Svar gjerne i appen no."


def _texts(green: str, yellow: str, *, language: AdviceLanguage, red: str | None = None) -> ZoneAdvice:
    nynorsk = language is AdviceLanguage.NYNORSK
    return ZoneAdvice(green=green, yellow=yellow, red=red or (_RED_NN if nynorsk else _RED_NB),
                      remeasure=_REMEASURE_NN if nynorsk else _REMEASURE_NB,
                      overdue=_OVERDUE_NN if nynorsk else _OVERDUE_NB,
                      overdue_questionnaire=_OVERDUE_QUESTIONNAIRE_NN if nynorsk else _OVERDUE_QUESTIONNAIRE_NB)


_COPD = {
    AdviceLanguage.BOKMAL: _texts(
        "Målingen er innenfor planen din. Fortsett som vanlig.",
        "Målingen er i gul sone. Følg planen din for gul sone og ring responssenteret i dag "
        "før du starter med medisinene i planen.",
        language=AdviceLanguage.BOKMAL),
    AdviceLanguage.NYNORSK: _texts(
        "Målinga er innanfor planen din. Hald fram som vanleg.",
        "Målinga er i gul sone. Følg planen din for gul sone og ring responssenteret i dag "
        "før du byrjar med medisinane i planen.",
        language=AdviceLanguage.NYNORSK),
}
_HEART_FAILURE = {
    AdviceLanguage.BOKMAL: _texts(
        "Målingen er innenfor planen din. Fortsett som vanlig.",
        "Målingen er i gul sone. Følg planen din for gul sone (væske og vanndrivende) og ring "
        "responssenteret i dag.",
        language=AdviceLanguage.BOKMAL),
    AdviceLanguage.NYNORSK: _texts(
        "Målinga er innanfor planen din. Hald fram som vanleg.",
        "Målinga er i gul sone. Følg planen din for gul sone (væske og vassdrivande) og ring "
        "responssenteret i dag.",
        language=AdviceLanguage.NYNORSK),
}
_DIABETES = {
    AdviceLanguage.BOKMAL: _texts(
        "Blodsukkeret er innenfor planen din. Fortsett som vanlig.",
        "Målingen er i gul sone. Følg planen din for høyt eller lavt blodsukker og ring "
        "responssenteret i dag.",
        language=AdviceLanguage.BOKMAL),
    AdviceLanguage.NYNORSK: _texts(
        "Blodsukkeret er innanfor planen din. Hald fram som vanleg.",
        "Målinga er i gul sone. Følg planen din for høgt eller lågt blodsukker og ring "
        "responssenteret i dag.",
        language=AdviceLanguage.NYNORSK),
}
_GENERIC = {
    AdviceLanguage.BOKMAL: _texts(
        "Målingen er innenfor planen din. Fortsett som vanlig.",
        "Målingen er i gul sone. Ring responssenteret i dag.",
        language=AdviceLanguage.BOKMAL),
    AdviceLanguage.NYNORSK: _texts(
        "Målinga er innanfor planen din. Hald fram som vanleg.",
        "Målinga er i gul sone. Ring responssenteret i dag.",
        language=AdviceLanguage.NYNORSK),
}

_CANCER = {
    AdviceLanguage.BOKMAL: _texts(
        "Svarene dine er innenfor planen din. Fortsett som vanlig.",
        "Plagene dine er sterkere enn planen din sier. Følg planen din for smerte og andre plager, "
        "og ring responssenteret i dag.",
        red="Ring responssenteret nå. Har du sterke smerter som ikke gir seg, blir svært tung i pusten "
            "eller forvirret: ring 113.",
        language=AdviceLanguage.BOKMAL),
    AdviceLanguage.NYNORSK: _texts(
        "Svara dine er innanfor planen din. Hald fram som vanleg.",
        "Plagene dine er sterkare enn planen din seier. Følg planen din for smerte og andre plager, "
        "og ring responssenteret i dag.",
        red="Ring responssenteret no. Har du sterke smerter som ikkje gir seg, blir svært tung i pusten "
            "eller forvirra: ring 113.",
        language=AdviceLanguage.NYNORSK),
}
# A red in mental health can be thoughts of self-harm: the patient is told where help is, day and night.
_MENTAL_HEALTH = {
    AdviceLanguage.BOKMAL: _texts(
        "Takk for svarene dine. Fortsett som avtalt i planen din.",
        "Svarene dine tyder på at du har det tyngre enn før. Responssenteret tar kontakt med deg; "
        "du kan også ringe oss i dag.",
        red="Du skal ikke være alene med dette. Er du i fare nå: ring 113. Legevakt: 116 117. "
            "Mental Helse hjelpetelefon: 116 123. Kirkens SOS: 22 40 00 40. Responssenteret tar kontakt.",
        language=AdviceLanguage.BOKMAL),
    AdviceLanguage.NYNORSK: _texts(
        "Takk for svara dine. Hald fram som avtalt i planen din.",
        "Svara dine tyder på at du har det tyngre enn før. Responssenteret tek kontakt med deg; "
        "du kan også ringje oss i dag.",
        red="Du skal ikkje vere åleine med dette. Er du i fare no: ring 113. Legevakt: 116 117. "
            "Mental Helse hjelpetelefon: 116 123. Kirkens SOS: 22 40 00 40. Responssenteret tek kontakt.",
        language=AdviceLanguage.NYNORSK),
}

# Keyed by the programme's value (``dho.domain.plans.Programme``), so this module needs no plan import.
ADVICE_TEMPLATES: dict[str, dict[AdviceLanguage, ZoneAdvice]] = {
    "copd": _COPD,
    "copd_hypercapnic": _COPD,
    "heart_failure": _HEART_FAILURE,
    "diabetes": _DIABETES,
    "cancer": _CANCER,
    "mental_health": _MENTAL_HEALTH,
    "generic": _GENERIC,
}
