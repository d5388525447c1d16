"""The alert service over the ports: a lost race is decided again, nurse actions retry on a new version."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from dho.alerting.policy import AlertPolicy
from dho.alerting.service import AlertService
from dho.domain.alerts import Alert, AlertState
from dho.domain.findings import Rule
from tests.support.alert_fakes import InMemoryAlerts, RecordingNotifier
from tests.unit.alerting.helpers import PATIENT, RED, T0, evaluation, finding, minutes


@dataclass
class RacedAlerts(InMemoryAlerts):
    """The first read misses an alert another worker opens right after it."""

    rival: Alert | None = None
    reads: int = field(default=0)

    def list_open(self, patient_id: str) -> Sequence[Alert]:
        found = super().list_open(patient_id)
        if self.rival is not None and self.reads == 0:
            super().save(self.rival, None)
        self.reads += 1
        return found


def test_given_another_worker_opened_the_alert_first_then_the_finding_counts_on_it_and_sends_nothing() -> None:
    policy = AlertPolicy()
    rival = policy.decide(evaluation(finding(at=T0)), [], T0).writes[0].alert
    alerts, notifier = RacedAlerts(rival=rival), RecordingNotifier()
    service = AlertService(policy, alerts, notifier, tenant_name="Bodø")

    outcome = service.on_evaluation(evaluation(finding(at=T0 + minutes(1))), T0 + minutes(2))

    assert outcome.conflicts == 1 and alerts.reads == 2
    (alert,) = alerts.list_open(PATIENT)
    assert alert.alert_id == rival.alert_id and alert.count == 2
    assert notifier.sent == []  # the rival's worker told the nurses; the re-fire is inside its escalation


def test_given_a_sweep_wrote_the_alert_meanwhile_when_a_nurse_acknowledges_then_it_applies_to_the_new_version() -> None:
    policy = AlertPolicy()
    alerts, notifier = InMemoryAlerts(), RecordingNotifier()
    service = AlertService(policy, alerts, notifier, tenant_name="Bodø")
    service.on_evaluation(evaluation(finding(Rule.NEWS2, RED)), T0)
    (alert,) = alerts.list_open(PATIENT)
    service.sweep(T0 + minutes(16))  # version 2: tier 1 told

    acknowledged = service.acknowledge(alert.alert_id, "1234567", T0 + minutes(17))

    assert acknowledged is not None and acknowledged.version == 3 and acknowledged.tier == 1
    assert alerts.alerts[alert.alert_id].state is AlertState.ACKNOWLEDGED
    assert service.acknowledge("A-missing", "1234567", T0) is None
    assert [n.kind.value for n, _ in notifier.sent] == ["new", "escalation"]
