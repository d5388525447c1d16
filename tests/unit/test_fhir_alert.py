"""Alerts exported as FHIR R4B DetectedIssue (evidence) and Flag (priority), checked with fhir.resources."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from fhir.resources.R4B.detectedissue import DetectedIssue
from fhir.resources.R4B.flag import Flag

from dho.alerting.policy import AlertPolicy
from dho.domain.alerts import Alert, CloseReason
from dho.domain.findings import Rule, Severity
from dho.fhir.alert import FLAG_PRIORITY_EXTENSION, READING_ID_SYSTEM, render_detected_issue, render_flag
from dho.fhir.codes import HPR_SYSTEM
from dho.fhir.references import patient_reference
from tests.unit.alerting.helpers import T0, evaluation, finding, minutes

POLICY = AlertPolicy()


def _alert(severity: Severity = Severity.RED) -> Alert:
    ev = evaluation(finding(Rule.WEIGHT_GAIN, severity, evidence=("scale-1-0007", "scale-1-0008"),
                            detail="+2.7 kg in 3 days"))
    return POLICY.decide(ev, [], T0).writes[0].alert


def _validated(resource: dict[str, Any], model: Any) -> Any:
    return model.model_validate(resource)


def test_an_open_red_alert_is_a_preliminary_high_severity_detected_issue_with_its_readings_as_evidence() -> None:
    alert = _alert()
    resource = render_detected_issue(alert, "bodo")
    model = _validated(resource, DetectedIssue)
    assert (model.status, model.severity) == ("preliminary", "high")
    assert resource["patient"] == patient_reference("bodo", alert.patient_id)
    assert resource["code"]["coding"][0]["code"] == "weight_gain"
    # Rendered alone (no Bundle to point into), the readings are named by identifier.
    assert [r["identifier"] for r in resource["evidence"][0]["detail"]] == [
        {"system": READING_ID_SYSTEM, "value": "bodo/scale-1-0007"},
        {"system": READING_ID_SYSTEM, "value": "bodo/scale-1-0008"}]
    assert resource["detail"] == "+2.7 kg in 3 days"
    assert "mitigation" not in resource


def test_every_action_on_the_alert_is_a_mitigation_with_its_time_and_the_nurses_hpr_number() -> None:
    acknowledged = POLICY.acknowledge(_alert(), "1234567", T0 + minutes(3))
    snoozed = POLICY.snooze(acknowledged, "1234567", T0 + minutes(5), T0 + minutes(50))
    closed = POLICY.close(snoozed, "7654321", T0 + minutes(20), CloseReason.GP_INFORMED, "fastlege ringt")
    resource = render_detected_issue(closed, "bodo")
    _validated(resource, DetectedIssue)
    assert resource["status"] == "final"
    assert [(m["action"]["coding"][0]["code"], m["date"], m["author"]["identifier"]["value"])
            for m in resource["mitigation"]] == [
        ("acknowledged", "2026-11-20T08:03:00.000000Z", "1234567"),
        ("snoozed", "2026-11-20T08:05:00.000000Z", "1234567"),
        ("closed-gp_informed", "2026-11-20T08:20:00.000000Z", "7654321")]
    assert resource["mitigation"][1]["action"]["text"] == "Snoozed until 2026-11-20T08:50:00.000000Z"
    assert all(m["author"]["identifier"]["system"] == HPR_SYSTEM for m in resource["mitigation"])
    assert "fastlege ringt" not in json.dumps(resource)  # the note stays in the centre's record


def test_an_alert_closed_by_the_policy_has_a_mitigation_without_an_author() -> None:
    quiet = evaluation(at=T0 + minutes(60), quiet=(Rule.WEIGHT_GAIN,))
    alert = _alert(Severity.YELLOW)
    for step in range(3):
        alert = POLICY.decide(replace(quiet, evaluated_at=T0 + minutes(60 + step)), [alert],
                              T0 + minutes(60 + step)).writes[0].alert
    (closing,) = render_detected_issue(alert, "bodo")["mitigation"]
    assert closing["action"]["coding"][0]["code"] == "closed-auto_quiet" and "author" not in closing


def test_an_alert_stored_before_histories_were_kept_still_shows_its_acknowledgement_and_closing() -> None:
    closed = POLICY.close(POLICY.acknowledge(_alert(), "1234567", T0 + minutes(3)), "7654321", T0 + minutes(20))
    legacy = replace(closed, history=())
    assert render_detected_issue(legacy, "bodo")["mitigation"] == render_detected_issue(
        replace(closed, history=closed.history), "bodo")["mitigation"]


def test_an_alert_is_a_flag_with_priority_high_for_red_and_medium_for_yellow() -> None:
    for severity, priority in ((Severity.RED, "PH"), (Severity.YELLOW, "PM")):
        alert = _alert(severity)
        resource = render_flag(alert, "bodo")
        model = _validated(resource, Flag)
        assert model.status == "active"
        priority_extension, detail = resource["extension"]
        assert priority_extension["url"] == FLAG_PRIORITY_EXTENSION
        assert priority_extension["valueCodeableConcept"]["coding"][0]["code"] == priority
        # The flag points at the DetectedIssue that holds the evidence and the history.
        assert detail["valueReference"]["reference"] == f"urn:uuid:{render_detected_issue(alert, 'bodo')['id']}"
        assert resource["identifier"][0]["value"] == f"bodo/{alert.alert_id}"
    closed = render_flag(POLICY.close(_alert(), "1234567", T0 + minutes(5)), "bodo")
    assert closed["status"] == "inactive" and "end" in closed["period"]
