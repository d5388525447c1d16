"""The text of an alert SMS / e-mail: that there is something to look at, for whom, and where.

What a text may hold (GDPR Art. 9: SMS says there is something to look at, not what; SMS and e-mail leave AWS in the
clear): the tenant's display name, the severity, a short pseudonymous patient code, the rule's label
(``MessageDetail.RULE``, the default; ``MessageDetail.MINIMAL`` leaves it out) and where to look. Never a
name, a national id, a measured value or the finding's detail: the text is built from the
:class:`~dho.domain.alerts.Notification` alone, which carries none of them.

The patient code is the last four characters of the pseudonymous patient id (``P-7K3QX9M2`` → ``X9M2``):
short enough to say on the phone and to find on the worklist, meaningless outside it. It is not
unique (32⁴ ≈ 1 M codes per tenant); the worklist, not the code, identifies the patient.

Texts are Norwegian (bokmål) first, English as the fallback; every character is in the GSM 03.38
alphabet (æøå included) so a text of ≤ 160 characters is one SMS.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from dho.domain.alerts import Notification, NotificationKind
from dho.domain.findings import Rule, Severity

Language = Literal["nb", "en"]
SMS_MAX_CHARS = 160
PATIENT_CODE_LENGTH = 4
_TENANT_MAX_CHARS = 24

# GSM 03.38 basic character set (one 7-bit character each; the extension table is left out on purpose).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


class MessageDetail(StrEnum):
    RULE = "rule"  # name the rule ("weight rising"): the nurse knows what kind of call to prepare
    MINIMAL = "minimal"  # only that there is something to look at (the strictest reading of the norm)


_RULE_LABELS_NB: dict[Rule, str] = {
    Rule.SPO2_BAND: "oksygenmetning utenfor personlige grenser",
    Rule.HEART_RATE_BAND: "puls utenfor personlige grenser",
    Rule.RESPIRATORY_RATE_BAND: "pustefrekvens utenfor personlige grenser",
    Rule.BLOOD_PRESSURE_BAND: "blodtrykk utenfor personlige grenser",
    Rule.TEMPERATURE_BAND: "temperatur utenfor personlige grenser",
    Rule.GLUCOSE_BAND: "blodsukker utenfor personlige grenser",
    Rule.WEIGHT_GAIN: "vekten øker",
    Rule.SPO2_BELOW_PERSONAL_MEAN: "oksygenmetning under personlig normalnivå",
    Rule.NEWS2: "forhøyet NEWS2-skår",
    Rule.SYMPTOMS: "symptomer rapportert",
    Rule.COMBINED_DEVIATION: "flere målinger beveger seg bort fra personlig normalnivå",
    Rule.MISSED_MEASUREMENTS: "målinger eller skjema mangler",
    Rule.QUESTIONNAIRE_TREND: "symptomskår forverres",
}

_SEVERITY = {"nb": {Severity.RED: "RØDT varsel", Severity.YELLOW: "GULT varsel"},
             "en": {Severity.RED: "RED alert", Severity.YELLOW: "YELLOW alert"}}
_KIND = {"nb": {NotificationKind.NEW: "", NotificationKind.REPEAT: " (påminnelse)",
                NotificationKind.ESCALATION: " (eskalert)", NotificationKind.WORSENED: " (forverret)"},
         "en": {NotificationKind.NEW: "", NotificationKind.REPEAT: " (reminder)",
                NotificationKind.ESCALATION: " (escalated)", NotificationKind.WORSENED: " (worse)"}}
_PATIENT = {"nb": "pasient", "en": "patient"}
_MORE = {"nb": " (+{n} til)", "en": " (+{n} more)"}
_WHERE = {"nb": "Åpne DHO-arbeidslisten.", "en": "Open the DHO worklist."}


def patient_code(patient_id: str) -> str:
    """The last four letters/digits of the pseudonymous patient id, upper case (see the module doc)."""
    characters = [c for c in patient_id.upper() if c.isascii() and c.isalnum()]
    if len(characters) < PATIENT_CODE_LENGTH:
        raise ValueError("a pseudonymous patient id has at least four letters or digits")
    return "".join(characters[-PATIENT_CODE_LENGTH:])


def rule_label(rule: Rule, language: Language = "nb") -> str:
    """The rule in words; English when there is no Norwegian label (yet)."""
    return _RULE_LABELS_NB.get(rule, rule.label) if language == "nb" else rule.label


def render_alert_text(
    notification: Notification,
    *,
    tenant_name: str,
    language: Language = "nb",
    detail: MessageDetail = MessageDetail.RULE,
) -> str:
    """E.g. ``DHO Bodø: RØDT varsel (eskalert), pasient X9M2: vekten øker. Åpne DHO-arbeidslisten.``
    At most 160 GSM-7 characters: a long tenant name is shortened, then the rule label."""
    tenant = _gsm7(tenant_name).strip()[:_TENANT_MAX_CHARS].strip() or "?"
    head = (f"DHO {tenant}: {_SEVERITY[language][notification.severity]}{_KIND[language][notification.kind]}, "
            f"{_PATIENT[language]} {patient_code(notification.patient_id)}")
    more = _MORE[language].format(n=len(notification.other_alert_ids)) if notification.other_alert_ids else ""
    where = _WHERE[language]
    if detail is MessageDetail.MINIMAL:
        return f"{head}{more}. {where}"
    label = rule_label(notification.rule, language)
    room = SMS_MAX_CHARS - len(f"{head}: {more}. {where}")
    if len(label) > room:
        label = label[: max(room - 3, 0)].rstrip() + "..."
    return f"{head}: {label}{more}. {where}"


def render_subject(notification: Notification) -> str:
    """An e-mail subject (SNS allows ASCII only there): severity, nothing else."""
    return f"DHO: {notification.severity.value} alert"


def is_single_sms(text: str) -> bool:
    """True if the text goes as one SMS: ≤ 160 characters, all in the GSM 03.38 basic set."""
    return len(text) <= SMS_MAX_CHARS and all(c in GSM7_BASIC for c in text)


def _gsm7(text: str) -> str:
    return "".join(c if c in GSM7_BASIC else "?" for c in text)
