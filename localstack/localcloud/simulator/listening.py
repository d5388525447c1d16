"""Simulated devices that listen to what the platform tells them: subscribed to their own advice topic,
they keep each advice (dropping QoS 1 repeats by message id) and, on a re-measure prompt, measure again
``REMEASURE_AFTER`` (simulated time) after the reading the prompt answers, as a patient following the
plan would.

:class:`RemeasuringDevice` decides (no network: unit-testable); :class:`ListeningDevice` is its MQTT
session (client id = thing name, username = tenant, as every simulated device). The values come from
the caller's ``measure`` (simulated time -> canonical values), so a demo can show a cold finger (a low
first reading, a normal second) or a confirmed fall.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from dho.domain.metrics import Metric
from localcloud.simulator.cohort import Device
from localcloud.simulator.payloads import DeviceMessage, encode, measurement_document

REMEASURE_AFTER = timedelta(minutes=5)  # what the plans' re-measure texts ask for

Measure = Callable[[datetime], dict[Metric, float]]


def advice_topic(tenant: str, device_id: str) -> str:
    return f"dho/{tenant}/devices/{device_id}/advice"


class RemeasuringDevice:
    def __init__(self, tenant: str, patient_id: str, device: Device, measure: Measure) -> None:
        self.tenant, self.patient_id, self.device = tenant, patient_id, device
        self._measure = measure
        self._measured: dict[str, datetime] = {}  # reading id -> when measured (answers name the reading)
        self.told: list[dict[str, Any]] = []  # every advice received, once each
        self._sequence = 0

    @property
    def readings_sent(self) -> int:
        return len(self._measured)

    def reading(self, at: datetime) -> DeviceMessage:
        """A new reading measured at ``at`` (simulated), ready to publish."""
        self._sequence += 1
        reading_id = f"{self.device.device_id}-listen-{at:%Y%m%d%H%M%S}-{self._sequence:03d}"
        self._measured[reading_id] = at
        document = measurement_document(self.device, reading_id, at, self._measure(at))
        return DeviceMessage(self.tenant, self.device.device_id, self.patient_id, encode(document), at, at)

    def on_advice(self, payload: bytes) -> DeviceMessage | None:
        """Keep the advice; the re-measurement to publish if it asks for one about a reading of ours."""
        message = json.loads(payload)
        if any(m["message_id"] == message["message_id"] for m in self.told):
            return None  # QoS 1 is at least once: a repeat is not a second prompt
        self.told.append(message)
        measured = self._measured.get(str(message.get("reading_id")))
        if message.get("kind") != "remeasure" or measured is None:
            return None
        return self.reading(measured + REMEASURE_AFTER)


class ListeningDevice:
    """One listening device's MQTT session (paho's network thread); re-measurements go out from it."""

    def __init__(self, host: str, port: int, device: RemeasuringDevice) -> None:
        from paho.mqtt.client import Client
        from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

        self.device = device
        self.subscribed = threading.Event()
        self.advised = threading.Condition()
        self._client = Client(CallbackAPIVersion.VERSION2, client_id=device.device.device_id,
                              protocol=MQTTProtocolVersion.MQTTv311)
        self._client.username_pw_set(device.tenant)
        self._client.on_connect = lambda client, *_: client.subscribe(
            advice_topic(device.tenant, device.device.device_id), qos=1)
        self._client.on_subscribe = lambda *_: self.subscribed.set()
        self._client.on_message = self._on_message
        self._host, self._port = host, port

    def start(self, timeout: float = 10.0) -> None:
        self._client.connect(self._host, self._port, keepalive=30)
        self._client.loop_start()
        if not self.subscribed.wait(timeout):
            raise TimeoutError(f"{self.device.device.device_id} could not subscribe to its advice topic")

    def publish(self, message: DeviceMessage) -> None:
        self._client.publish(message.topic, message.payload, qos=1).wait_for_publish(timeout=10)

    def wait_for_advice(self, count: int, timeout: float) -> bool:
        """True once ``count`` advice messages have been received."""
        with self.advised:
            return self.advised.wait_for(lambda: len(self.device.told) >= count, timeout)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        again = self.device.on_advice(bytes(message.payload))
        if again is not None:  # from paho's thread: publish does not block here
            client.publish(again.topic, again.payload, qos=1)
        with self.advised:
            self.advised.notify_all()
