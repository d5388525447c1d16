"""The escalation handler sweeps at the schedule's time: an unacknowledged red is told again."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dho.alerting.adherence_sweep import AdherenceSweep
from dho.alerting.policy import AlertPolicy
from dho.alerting.service import AlertService
from dho.domain.alerts import AlertPolicySettings, alert_id_for
from dho.domain.findings import Evaluation, Finding, Rule, Severity
from localcloud.lambda_loader import FakeLambdaContext, load_handler
from tests.support.alert_fakes import InMemoryAlerts, RecordingNotifier
from tests.support.fakes import InMemoryPlans, InMemoryRegistry, InMemoryTimeline

CORE = Path(__file__).resolve().parents[2] / "layers" / "core" / "python"
RAISED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _tick(minutes: float) -> dict[str, object]:
    """An EventBridge scheduled event (only the fields the handler reads and a few for realism)."""
    at = RAISED + timedelta(minutes=minutes)
    return {"version": "0", "detail-type": "Scheduled Event", "source": "aws.events",
            "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "detail": {}}


def _no_patients(service: AlertService) -> AdherenceSweep:
    registry = InMemoryRegistry()
    return AdherenceSweep(registry, registry, InMemoryPlans(), InMemoryTimeline(), service)


@pytest.fixture
def service_with_a_red_alert() -> tuple[AlertService, RecordingNotifier]:
    notifier = RecordingNotifier()
    service = AlertService(AlertPolicy(AlertPolicySettings()), InMemoryAlerts(), notifier, tenant_name="Bodø")
    finding = Finding("P-AAAA0001", Rule.SPO2_BAND, Severity.RED, "spo2 85 %", ("r-1",), RAISED)
    service.on_evaluation(Evaluation("P-AAAA0001", RAISED, (finding,), frozenset()), RAISED)
    assert len(notifier.sent) == 1
    return service, notifier


def test_a_red_alert_nobody_acknowledged_is_repeated_at_the_next_step_and_not_before(
    monkeypatch: pytest.MonkeyPatch, service_with_a_red_alert: tuple[AlertService, RecordingNotifier]
) -> None:
    service, notifier = service_with_a_red_alert
    handler = load_handler("escalate_alerts")
    monkeypatch.setattr(handler, "alert_service", lambda: service)
    monkeypatch.setattr(handler, "adherence_sweep", lambda: _no_patients(service))

    early = handler.lambda_handler(_tick(5), FakeLambdaContext())
    assert early["notified"] == 0 and len(notifier.sent) == 1

    due = handler.lambda_handler(_tick(16), FakeLambdaContext())
    assert due["notified"] == 1 and len(notifier.sent) == 2

    again = handler.lambda_handler(_tick(16), FakeLambdaContext())  # a retried invocation of the same tick
    assert again["notified"] == 0 and len(notifier.sent) == 2


def test_a_snoozed_red_is_not_escalated_by_the_sweep_until_it_wakes(
    monkeypatch: pytest.MonkeyPatch, service_with_a_red_alert: tuple[AlertService, RecordingNotifier]
) -> None:
    service, notifier = service_with_a_red_alert
    handler = load_handler("escalate_alerts")
    monkeypatch.setattr(handler, "alert_service", lambda: service)
    monkeypatch.setattr(handler, "adherence_sweep", lambda: _no_patients(service))
    alert_id = alert_id_for("P-AAAA0001", Rule.SPO2_BAND, RAISED)
    service.snooze(alert_id, "1234567", RAISED + timedelta(minutes=2), RAISED + timedelta(minutes=45))

    asleep = [handler.lambda_handler(_tick(m), FakeLambdaContext())["notified"] for m in (16, 31)]
    awake = handler.lambda_handler(_tick(45), FakeLambdaContext())

    assert asleep == [0, 0] and awake["notified"] == 1
    assert [n.tier for n, _ in notifier.sent] == [0, 0]  # raised, then woken: told again from the first tier


def test_the_sweep_with_its_missed_measurement_checks_loads_no_scoring_kernels() -> None:
    # escalate_alerts has no scientific layer (no numba): its imports must not need it.
    code = ("import sys; import dho.alerting.wiring, dho.alerting.adherence_sweep; "
            "assert not [m for m in sys.modules if m == 'numba' or m.startswith('dho.scoring')], sys.modules")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(CORE), os.environ.get("PYTHONPATH", "")])}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
