"""SMS / e-mail texts: one SMS long, and nothing in them that identifies the patient or their values."""

from __future__ import annotations

import re

import pytest

from dho.alerting.messages import (
    Language,
    MessageDetail,
    is_single_sms,
    patient_code,
    render_alert_text,
    rule_label,
)
from dho.alerting.policy import AlertPolicy
from dho.domain.alerts import Notification, NotificationKind
from dho.domain.findings import Rule, Severity
from tests.unit.alerting.helpers import T0, evaluation, finding

NATIONAL_ID = "01017012345"
NAME = "Kari Nordmann"
# A pseudonymous id without the digits the values below use, so any digit of a value would show.
PATIENT = "P-ABCDEFGH"


def notification(rule: Rule = Rule.WEIGHT_GAIN, severity: Severity = Severity.RED,
                 kind: NotificationKind = NotificationKind.NEW, others: int = 0) -> Notification:
    return Notification(alert_id="A-1", patient_id=PATIENT, severity=severity, rule=rule, tier=0, kind=kind,
                        other_alert_ids=tuple(f"A-{i}" for i in range(others)))


def test_the_patient_code_is_the_last_four_characters_of_the_pseudonymous_id() -> None:
    assert patient_code("P-7K3QX9M2") == "X9M2"
    assert patient_code("p-hf000001") == "0001"
    with pytest.raises(ValueError):
        patient_code("P-1")


def test_a_red_alert_in_norwegian_names_tenant_severity_patient_code_rule_and_where_to_look() -> None:
    text = render_alert_text(notification(), tenant_name="Bodø")
    assert text == "DHO Bodø: RØDT varsel, pasient EFGH: vekten øker. Åpne DHO-arbeidslisten."


def test_english_is_the_fallback_and_minimal_leaves_the_rule_out() -> None:
    note = notification(Rule.NEWS2, Severity.YELLOW, NotificationKind.ESCALATION, others=2)
    assert render_alert_text(note, tenant_name="Bodø", language="en") == (
        "DHO Bodø: YELLOW alert (escalated), patient EFGH: NEWS2 score raised (+2 more). Open the DHO worklist.")
    assert render_alert_text(note, tenant_name="Bodø", detail=MessageDetail.MINIMAL) == (
        "DHO Bodø: GULT varsel (eskalert), pasient EFGH (+2 til). Åpne DHO-arbeidslisten.")
    assert rule_label(Rule.WEIGHT_GAIN, "en") == "weight rising"


@pytest.mark.parametrize("language", ["nb", "en"])
@pytest.mark.parametrize("detail", list(MessageDetail))
def test_every_text_fits_one_gsm7_sms_even_for_a_long_tenant_name(language: Language, detail: MessageDetail) -> None:
    for rule in Rule:
        for severity in Severity:
            for kind in NotificationKind:
                text = render_alert_text(notification(rule, severity, kind, others=12),
                                         tenant_name="Oppfølgingstenesta i Sunnfjord og Ytre Sogn \u2013 Førde",
                                         language=language, detail=detail)
                assert is_single_sms(text), text


def test_given_findings_whose_detail_holds_values_and_identity_then_no_text_leaks_them() -> None:
    details = [f"SpO2 86 % (limit 92 %), {NAME}, {NATIONAL_ID}",
               f"weight 97.4 kg, +2.7 kg in 3 days; patient {NAME} fnr {NATIONAL_ID}",
               "NEWS2 7: RR 25, pulse 131, temperature 39.1"]
    ev = evaluation(*(finding(rule, Severity.RED, detail=detail, patient=PATIENT)
                      for rule, detail in zip((Rule.SPO2_BAND, Rule.WEIGHT_GAIN, Rule.NEWS2), details, strict=True)),
                    patient=PATIENT)
    decision = AlertPolicy().decide(ev, [], T0)
    assert decision.notifications
    for note in decision.notifications:
        for language in ("nb", "en"):
            text = render_alert_text(note, tenant_name="Bodø", language=language)
            assert NAME.split()[0] not in text and NAME.split()[1] not in text
            assert NATIONAL_ID not in text
            # The only digits a text may hold: the rule name "NEWS2" and the "(+N til)" count of grouped alerts.
            expected = re.sub(r"NEWS2|\(\+\d+ (til|more)\)", "", text)
            assert re.findall(r"\d", expected) == [], text
            assert is_single_sms(text)
