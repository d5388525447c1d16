"""The two baselines fire on exactly the readings their documented rules name, and the readings they
see are the messages' measurements once each, in canonical units, for the device's owner at the time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from dho.domain.metrics import Metric
from evaluation.baselines import fixed_threshold_alerts, personal_baseline_alerts
from evaluation.readings import DeviceUse, Reading, by_patient, decode

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def _reading(hours: float, metric: Metric, value: float, patient_id: str = "P") -> Reading:
    at = T0 + timedelta(hours=hours)
    return Reading(patient_id, metric, value, at, at + timedelta(seconds=30))


def _fired(alerts: list[dict[str, Any]]) -> list[tuple[str, float]]:
    return [(a["rule"], (datetime.fromisoformat(a["at"]) - timedelta(seconds=30) - T0) / timedelta(hours=1))
            for a in alerts]


def test_fixed_thresholds_fire_on_exactly_the_readings_past_their_limits_once_a_day_per_rule() -> None:
    # GIVEN one COPD patient's readings (hours after T0)
    readings = [
        _reading(0, Metric.SPO2, 91), _reading(1, Metric.SPO2, 90),  # not below 90
        _reading(2, Metric.SPO2, 89),  # fires
        _reading(3, Metric.SPO2, 85),  # within 24 h of the last: quiet
        _reading(26, Metric.SPO2, 89),  # 24 h later: fires again
        _reading(4, Metric.HEART_RATE, 110), _reading(5, Metric.HEART_RATE, 111),  # 111 fires
        _reading(6, Metric.HEART_RATE, 44),  # below 45 but the pulse rule fired 1 h ago: quiet
        _reading(40, Metric.HEART_RATE, 44),  # fires
        _reading(7, Metric.BODY_TEMPERATURE, 38.0), _reading(8, Metric.BODY_TEMPERATURE, 38.1),  # 38.1 fires
        _reading(0, Metric.BODY_WEIGHT, 80.0), _reading(24, Metric.BODY_WEIGHT, 81.0),
        _reading(48, Metric.BODY_WEIGHT, 82.0),  # +2.0 in 48 h: not more than 2
        _reading(71, Metric.BODY_WEIGHT, 82.1),  # +2.1 over 80.0 71 h ago: fires
        _reading(120, Metric.BODY_WEIGHT, 83.0),  # lowest of the preceding 72 h is 82.0: +1.0, quiet
    ]
    alerts = fixed_threshold_alerts(by_patient(readings), {"P": "copd"})
    assert sorted(_fired(alerts)) == sorted([
        ("fixed/spo2", 2), ("fixed/spo2", 26), ("fixed/heart_rate", 5), ("fixed/heart_rate", 40),
        ("fixed/temperature", 8), ("fixed/weight_gain", 71)])
    assert {a["event"] for a in alerts} == {"opened"}


def test_fixed_spo2_limit_is_88_for_hypercapnic_copd() -> None:
    readings = [_reading(0, Metric.SPO2, 89), _reading(1, Metric.SPO2, 88), _reading(2, Metric.SPO2, 87)]
    assert _fired(fixed_threshold_alerts(by_patient(readings), {"P": "copd_hypercapnic"})) == [("fixed/spo2", 2)]


def test_personal_baseline_fires_against_the_patients_own_run_in_median() -> None:
    # GIVEN 14 days of run-in at SpO2 95 and pulse 80 (one reading a day), then readings after it
    run_in = [r for day in range(14) for r in (_reading(24 * day, Metric.SPO2, 95 if day % 2 else 94),
                                               _reading(24 * day, Metric.HEART_RATE, 80))]
    # AND a run-in reading that is already low, which does not fire (no baseline yet): median 94, limit 91
    early = [_reading(1, Metric.SPO2, 85)]
    after = [_reading(24 * 14, Metric.SPO2, 92),  # not 3 below
             _reading(24 * 15, Metric.SPO2, 91),  # fires
             _reading(24 * 15 + 1, Metric.HEART_RATE, 94),  # + 14: quiet
             _reading(24 * 15 + 2, Metric.HEART_RATE, 95)]  # + 15: fires
    fired = _fired(personal_baseline_alerts(by_patient(run_in + after + early)))
    assert sorted(fired) == [("personal/heart_rate", 24 * 15 + 2), ("personal/spo2", 24 * 15)]


def test_personal_weight_rule_compares_with_the_median_of_the_preceding_7_days() -> None:
    weights = [_reading(24 * day, Metric.BODY_WEIGHT, value) for day, value in
               enumerate((80.0, 80.4, 79.8, 80.2))]  # median of the 4: 80.1
    rising = [_reading(24 * 4, Metric.BODY_WEIGHT, 81.5),  # +1.4: quiet
              _reading(24 * 5, Metric.BODY_WEIGHT, 81.8)]  # median of the 5 before = 80.2: +1.6 fires
    assert _fired(personal_baseline_alerts(by_patient(weights + rising))) == [("personal/weight", 24 * 5)]


def _message(device: str, reading_id: str, measured: datetime, measurements: list[dict[str, Any]],
             received: datetime) -> dict[str, Any]:
    return {"topic": f"dho/t/devices/{device}/readings", "received_at": received.isoformat(),
            "payload": {"schema": "dho.device-reading/1", "device": {"id": device}, "reading_id": reading_id,
                        "measured_at": measured.isoformat(), "measurements": measurements}}


def test_readings_are_decoded_once_in_canonical_units_for_whoever_had_the_device() -> None:
    swap = T0 + timedelta(days=1)
    devices = {"scale-1": [DeviceUse("OLD", T0 - timedelta(days=30), swap), DeviceUse("NEW", swap, None)]}
    pounds = [{"metric": "body_weight", "value": 176.4, "unit": "[lb_av]"}]
    messages = [
        _message("scale-1", "r1", T0, pounds, T0 + timedelta(seconds=5)),
        _message("scale-1", "r1", T0, pounds, T0 + timedelta(seconds=90)),  # resent
        _message("scale-1", "r2", swap + timedelta(hours=1), [{"metric": "body_weight", "value": 70, "unit": "kg"}],
                 swap + timedelta(hours=1)),
        _message("scale-1", "r3", T0, [{"metric": "body_weight", "value": 70, "unit": "stone"}], T0),  # unknown unit
        {"topic": "dho/t/devices/scale-1/readings", "payload": "{cut off", "received_at": T0.isoformat()},
    ]
    readings = decode(messages, devices)
    assert [(r.patient_id, r.metric, round(r.value, 1)) for r in readings] == [
        ("OLD", Metric.BODY_WEIGHT, 80.0), ("NEW", Metric.BODY_WEIGHT, 70.0)]
