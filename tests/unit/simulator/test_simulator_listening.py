"""A simulated device that listens to its advice topic: it measures again 5 simulated minutes after the
reading a re-measure prompt answers, and does nothing more for other advice or a repeated prompt."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from dho.domain.metrics import Metric
from localcloud.simulator.cohort import Device, DeviceKind
from localcloud.simulator.listening import REMEASURE_AFTER, RemeasuringDevice

AT = datetime(2026, 11, 20, 7, 30, tzinfo=UTC)
OXIMETER = Device("oxi-0042", DeviceKind.OXIMETER, "Nonin 3230")


def _device() -> RemeasuringDevice:
    values = iter([90.0, 95.0])  # a cold finger, then a warm one
    return RemeasuringDevice("bodo", "P-SIM0001", OXIMETER, lambda at: {Metric.SPO2: next(values)})


def _advice(message_id: str, kind: str, reading_id: str) -> bytes:
    return json.dumps({"message_id": message_id, "kind": kind, "reading_id": reading_id, "zone": "yellow",
                       "text": "Mål på nytt om 5 minutter.", "language": "nb", "plan_version": 1,
                       "sent_at": None}).encode()


def test_a_remeasure_prompt_brings_a_new_reading_5_simulated_minutes_after_the_first() -> None:
    device = _device()
    first = device.reading(AT)
    first_id = json.loads(first.payload)["reading_id"]

    again = device.on_advice(_advice("m-1", "remeasure", first_id))

    assert again is not None and again.topic == "dho/bodo/devices/oxi-0042/readings"
    document = json.loads(again.payload)
    assert document["reading_id"] != first_id
    assert datetime.fromisoformat(document["measured_at"]) == AT + REMEASURE_AFTER
    assert document["measurements"] == [{"metric": "spo2", "value": 95, "unit": "%"}]


def test_a_repeated_prompt_or_other_advice_brings_no_reading() -> None:
    device = _device()
    first_id = json.loads(device.reading(AT).payload)["reading_id"]

    assert device.on_advice(_advice("m-1", "remeasure", first_id)) is not None
    assert device.on_advice(_advice("m-1", "remeasure", first_id)) is None  # QoS 1 redelivery
    assert device.on_advice(_advice("m-2", "zone", first_id)) is None
    assert device.on_advice(_advice("m-3", "remeasure", "someone-elses-reading")) is None
    assert [m["message_id"] for m in device.told] == ["m-1", "m-2", "m-3"]

