"""The demo's clinical summary: a deterioration counts as caught only by an alert raised at or after its
onset, the delay is measured from onset, and the burden is alerts per patient-week."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from infra.config import load_config
from localcloud.demo.__main__ import _centre_status
from localcloud.demo.report import TenantReport, alert_burden, detection, first_alerts

ONSET = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def alert_item(patient: str, opened: datetime) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"PATIENT#{patient}"}, "opened_at": {"S": opened.strftime("%Y-%m-%dT%H:%M:%S.%fZ")},
            "severity": {"S": "yellow"}}


def deterioration(patient: str, kind: str, *, active: bool = True) -> dict[str, object]:
    return {"patient_id": patient, "kind": kind, "onset": ONSET.isoformat(), "active_at_window_end": active}


def test_only_alerts_at_or_after_onset_catch_a_deterioration() -> None:
    report = TenantReport("bodo", alert_items=[
        alert_item("P-early", ONSET - timedelta(days=2)),  # a false alarm before it began
        alert_item("P-late", ONSET - timedelta(hours=1)), alert_item("P-late", ONSET + timedelta(hours=30)),
        alert_item("P-fast", ONSET + timedelta(hours=6)), alert_item("P-fast", ONSET + timedelta(hours=2)),
    ])
    found = detection([deterioration("P-early", "fever"), deterioration("P-late", "copd_exacerbation"),
                       deterioration("P-fast", "fever"), deterioration("P-gone", "fever", active=False)],
                      first_alerts([report]))
    assert found.catchable == 3
    assert found.caught_kinds == Counter({"copd_exacerbation": 1, "fever": 1})
    assert sorted(found.delays_h) == [2.0, 30.0]
    assert "alerted: 2" in found.summary() and "16.0 h after onset (median)" in found.summary()
    assert found.delays_per_kind() == ("hours from onset to the first alert, by kind: "
                                       "copd_exacerbation 30 h (max 30), fever 2 h (max 2)")


def test_alert_burden_is_per_patient_week() -> None:
    report = TenantReport("bodo", alerts=Counter({"red": 3, "yellow": 11}))
    line = alert_burden([report], patients=10, days=14)  # 20 patient-weeks
    assert line.startswith("alert burden: 0.70 alerts per patient-week (red 0.15, yellow 0.55)")


def test_the_demo_says_whether_each_centre_is_open_from_the_deployed_policy() -> None:
    bodo = next(t for t in load_config().tenants if t.tenant_id == "bodo")
    cloud: Any = SimpleNamespace(tenants={"bodo": SimpleNamespace(environment={
        "DHO_ALERT_POLICY": bodo.alert_policy_json()})})
    friday_morning = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # 10:00 in Oslo
    friday_evening = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
    assert _centre_status(cloud, friday_morning) == ["bodo: response centre open now: alerts go to the centre's nurses"]
    assert _centre_status(cloud, friday_evening) == [
        "bodo: response centre closed now: reds go to the out-of-hours clinic, yellows wait for the opening Mon 08:00"]
