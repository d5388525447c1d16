"""Builders for alert-policy tests: findings and evaluations of one patient at plain datetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dho.domain.findings import Evaluation, Finding, Rule, Severity

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
PATIENT = "P-7K3QX9M2"
RED, YELLOW = Severity.RED, Severity.YELLOW


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def finding(rule: Rule = Rule.SPO2_BAND, severity: Severity = RED, at: datetime = T0,
            evidence: tuple[str, ...] | None = None, detail: str = "SpO2 86 % (limit 90 %)",
            patient: str = PATIENT) -> Finding:
    ids = evidence if evidence is not None else (f"oxi-1-{at:%H%M%S}",)
    return Finding(patient_id=patient, rule=rule, severity=severity, detail=detail, evidence=ids, observed_at=at)


def evaluation(*findings: Finding, at: datetime | None = None, quiet: tuple[Rule, ...] = (),
               patient: str = PATIENT) -> Evaluation:
    evaluated_at = at or max((f.observed_at for f in findings), default=T0) + timedelta(seconds=30)
    return Evaluation(patient_id=patient, evaluated_at=evaluated_at, findings=findings, quiet_rules=frozenset(quiet))
