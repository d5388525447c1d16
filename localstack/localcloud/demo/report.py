"""What the demo found per tenant, read back from the tenant tables and the outbox."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from dho.adapters.dynamodb_quarantine import DynamoDbQuarantine
from dho.domain.clock import from_canonical
from localcloud.quarantine_listing import quarantined_on
from localcloud.tenant_table import scan_all

# The measured burden to beat (Maasstad/Luscii), alerts per patient-week.
BASELINE_ALERTS_PER_PATIENT_WEEK = 3.4


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


@dataclass(frozen=True)
class Reconciliation:
    """published = stored + quarantined + refused + rule errors + filtered + duplicates (stored once)."""

    published: int
    stored: int
    quarantined: int
    refused: int  # at the IoT front door
    rule_errors: int  # sent to a rule's error action (not JSON)
    filtered: int  # dropped by a rule's WHERE clause
    duplicates: int  # published again; stored once

    @property
    def accounted(self) -> int:
        return self.stored + self.quarantined + self.refused + self.rule_errors + self.filtered + self.duplicates

    @property
    def balanced(self) -> bool:
        return self.accounted == self.published

    def line(self) -> str:
        return (f"published {self.published} = stored {self.stored} + quarantined {self.quarantined}"
                f" + refused at the front door {self.refused} + rule error action {self.rule_errors}"
                f" + filtered {self.filtered} + duplicates (stored once) {self.duplicates} = {self.accounted}"
                f"  -> {'OK' if self.balanced else 'MISMATCH'}")


def tenant_report(dynamodb: Any, table: str, tenant: str, *, arrival_days: Iterable[date], now: datetime,
                  at_most: int) -> TenantReport:
    """``arrival_days``: the days the demo's messages arrived on (the quarantine is listed per day, as
    kept at ``now``); ``at_most``: how many messages were published (no more can have been quarantined)."""
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
    kept = quarantined_on(DynamoDbQuarantine(dynamodb, table), arrival_days, now=now, at_most=at_most)
    report.quarantined.update(m.reason.value for m in kept)
    return report


def most_severe_alert(reports: list[TenantReport], among: Collection[str] | None = None) -> tuple[str, str] | None:
    """(tenant, patient) of the patient with the most red alerts, else the most yellow ones (of ``among``
    only, if given)."""
    ranked = Counter[tuple[str, str]]()
    for report in reports:
        for item in report.alert_items:
            patient = item["pk"]["S"].removeprefix("PATIENT#")
            if among is not None and patient not in among:
                continue
            weight = 100 if item["severity"]["S"] == "red" else 1
            ranked[(report.tenant, patient)] += weight
    return ranked.most_common(1)[0][0] if ranked else None


def first_alerts(reports: Iterable[TenantReport]) -> dict[str, list[datetime]]:
    """patient -> when each of their alerts was raised (measured time of the evidence), oldest first."""
    opened: dict[str, list[datetime]] = {}
    for report in reports:
        for item in report.alert_items:
            patient = item["pk"]["S"].removeprefix("PATIENT#")
            opened.setdefault(patient, []).append(from_canonical(item["opened_at"]["S"]))
    return {patient: sorted(times) for patient, times in opened.items()}


@dataclass(frozen=True)
class Detection:
    catchable: int  # injected deteriorations still active at the end of the window
    caught_kinds: Counter[str]  # of those, alerted at or after onset, by kind
    delays_by_kind: dict[str, tuple[float, ...]]  # hours from onset to the first alert at or after it

    @property
    def delays_h(self) -> tuple[float, ...]:
        return tuple(d for delays in self.delays_by_kind.values() for d in delays)

    def summary(self) -> str:
        caught = sum(self.caught_kinds.values())
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.caught_kinds.items())) or "-"
        line = f"deteriorations active at the end of the window: {self.catchable}, alerted: {caught} ({kinds})"
        if self.delays_h:
            line += (f"; first alert {statistics.median(self.delays_h):.1f} h after onset (median),"
                     f" at most {max(self.delays_h):.1f} h")
        return line

    def delays_per_kind(self) -> str:
        """The tuning view: how soon each kind of deterioration is caught (median and worst, hours)."""
        parts = [f"{kind} {statistics.median(delays):.0f} h (max {max(delays):.0f})"
                 for kind, delays in sorted(self.delays_by_kind.items())]
        return "hours from onset to the first alert, by kind: " + (", ".join(parts) or "-")


def detection(deteriorations: Iterable[Mapping[str, Any]], opened: Mapping[str, list[datetime]]) -> Detection:
    """Only an alert raised at or after a deterioration's onset counts as catching it."""
    catchable = [d for d in deteriorations if d.get("active_at_window_end")]
    kinds: Counter[str] = Counter()
    delays: dict[str, list[float]] = {}
    for deterioration in catchable:
        onset = datetime.fromisoformat(deterioration["onset"])
        after = [t for t in opened.get(deterioration["patient_id"], []) if t >= onset]
        if after:
            kinds[deterioration["kind"]] += 1
            delays.setdefault(deterioration["kind"], []).append((after[0] - onset).total_seconds() / 3600)
    return Detection(len(catchable), kinds, {kind: tuple(d) for kind, d in delays.items()})


def alert_burden(reports: Iterable[TenantReport], patients: int, days: float) -> str:
    alerts: Counter[str] = Counter()
    for report in reports:
        alerts.update(report.alerts)
    weeks = patients * days / 7
    rate = {severity: alerts[severity] / weeks for severity in ("red", "yellow")}
    return (f"alert burden: {sum(rate.values()):.2f} alerts per patient-week (red {rate['red']:.2f}, "
            f"yellow {rate['yellow']:.2f}); Maasstad/Luscii measured {BASELINE_ALERTS_PER_PATIENT_WEEK}")
