"""Alerts exported as FHIR R4B DetectedIssue (evidence) and Flag (priority), checked with fhir.resources."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.detectedissue import DetectedIssue
from fhir.resources.R4B.flag import Flag

from dho.alerting.policy import AlertPolicy
from dho.domain.alerts import Alert
from dho.domain.findings import Rule, Severity
from dho.fhir.alert import FLAG_PRIORITY_EXTENSION, READING_ID_SYSTEM, render_detected_issue, render_flag
from dho.fhir.codes import HPR_SYSTEM
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
    assert model.patient.reference == f"Patient/{alert.patient_id}"
    assert resource["code"]["coding"][0]["code"] == "weight_gain"
    assert [r["identifier"] for r in resource["evidence"][0]["detail"]] == [
        {"system": READING_ID_SYSTEM, "value": "bodo/scale-1-0007"},
        {"system": READING_ID_SYSTEM, "value": "bodo/scale-1-0008"}]
    assert resource["detail"] == "+2.7 kg in 3 days"
    assert "mitigation" not in resource


def test_acknowledging_and_closing_show_as_mitigations_by_the_nurses_hpr_number() -> None:
    acknowledged = POLICY.acknowledge(_alert(), "1234567", T0 + minutes(3))
    closed = POLICY.close(acknowledged, "7654321", T0 + minutes(20))
    resource = render_detected_issue(closed, "bodo")
    _validated(resource, DetectedIssue)
    assert resource["status"] == "final"
    assert [(m["action"]["coding"][0]["code"], m["author"]["identifier"]) for m in resource["mitigation"]] == [
        ("acknowledged", {"system": HPR_SYSTEM, "value": "1234567"}),
        ("closed-resolved", {"system": HPR_SYSTEM, "value": "7654321"})]


def test_an_alert_is_a_flag_with_priority_high_for_red_and_medium_for_yellow() -> None:
    for severity, priority in ((Severity.RED, "PH"), (Severity.YELLOW, "PM")):
        alert = _alert(severity)
        resource = render_flag(alert, "bodo")
        model = _validated(resource, Flag)
        assert model.status == "active"
        (extension,) = resource["extension"]
        assert extension["url"] == FLAG_PRIORITY_EXTENSION
        assert extension["valueCodeableConcept"]["coding"][0]["code"] == priority
        assert resource["identifier"][0]["value"] == f"bodo/{alert.alert_id}"
    closed = render_flag(POLICY.close(_alert(), "1234567", T0 + minutes(5)), "bodo")
    assert closed["status"] == "inactive" and "end" in closed["period"]
