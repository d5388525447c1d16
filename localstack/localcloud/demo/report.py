"""What the demo found per tenant, read back from the tenant tables and the outbox."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from dho.adapters.dynamodb_quarantine import DynamoDbQuarantine
from localcloud.tenant_table import scan_all


@dataclass
class TenantReport:
    tenant: str
    published: int = 0
    duplicates: int = 0
    stored: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)
    alerts: Counter[str] = field(default_factory=Counter)
    alerted_patients: dict[str, str] = field(default_factory=dict)  # patient -> worst severity
    alert_items: list[dict[str, Any]] = field(default_factory=list)


def tenant_report(dynamodb: Any, table: str, tenant: str) -> TenantReport:
    report = TenantReport(tenant)
    for item in scan_all(dynamodb, table):
        sk = item["sk"]["S"]
        if sk.startswith("READING#"):
            report.stored += 1
        elif sk.startswith("ALERT#") and "rule" in item:
            severity = item["severity"]["S"]
            patient = item["pk"]["S"].removeprefix("PATIENT#")
            report.alerts[severity] += 1
            report.alert_items.append(item)
            if report.alerted_patients.get(patient) != "red":
                report.alerted_patients[patient] = severity
    report.quarantined.update(m.reason.value for m in DynamoDbQuarantine(dynamodb, table).list_all())
    return report


def most_severe_alert(reports: list[TenantReport]) -> tuple[str, str] | None:
    """(tenant, patient) of the patient with the most red alerts, else the most yellow ones."""
    ranked = Counter[tuple[str, str]]()
    for report in reports:
        for item in report.alert_items:
            weight = 100 if item["severity"]["S"] == "red" else 1
            ranked[(report.tenant, item["pk"]["S"].removeprefix("PATIENT#"))] += weight
    return ranked.most_common(1)[0][0] if ranked else None
