"""A device as the local cloud sees it: an MQTT client with client id = thing name, username = tenant."""

from __future__ import annotations

import threading
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.reasoncodes import ReasonCode


class TestDevice:
    __test__ = False  # not a pytest test class

    def __init__(self, host: str, port: int, thing_name: str, tenant: str | None, *,
                 protocol: MQTTProtocolVersion = MQTTProtocolVersion.MQTTv311) -> None:
        self.host, self.port = host, port
        self.connected = threading.Event()
        self.disconnected = threading.Event()
        self.connack: ReasonCode | None = None
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=thing_name, protocol=protocol,
                                  reconnect_on_failure=False)
        if tenant is not None:
            self.client.username_pw_set(tenant)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.received: list[tuple[str, bytes]] = []
        self.message_arrived = threading.Event()
        self.subscribed = threading.Event()

    def _on_connect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: ReasonCode, _p: Any) -> None:
        self.connack = reason
        (self.disconnected if reason.is_failure else self.connected).set()

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        self.received.append((message.topic, bytes(message.payload)))
        self.message_arrived.set()

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, _mid: int, reasons: list[ReasonCode], _p: Any) -> None:
        if not any(reason.is_failure for reason in reasons):
            self.subscribed.set()

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, _reason: ReasonCode, _p: Any) -> None:
        self.disconnected.set()

    def connect(self, timeout: float = 5.0) -> bool:
        """True once the CONNACK accepted us; False if refused or hung up."""
        self.client.connect(self.host, self.port, keepalive=30)
        self.client.loop_start()
        for _ in range(int(timeout * 20)):
            if self.connected.is_set() or self.disconnected.is_set():
                break
            self.disconnected.wait(0.05)
        return self.connected.is_set() and not self.disconnected.is_set()

    def publish(self, topic: str, payload: bytes | str, timeout: float = 5.0) -> bool:
        """QoS 1; True when PUBACKed, False when the connection was closed instead."""
        info = self.client.publish(topic, payload, qos=1)
        for _ in range(int(timeout * 20)):
            try:
                if info.is_published():
                    return True
            except RuntimeError:  # paho fails the pending message once the connection is gone
                if self.disconnected.wait(1):
                    return False
                raise
            if self.disconnected.wait(0.05):
                return False
        raise TimeoutError(f"no PUBACK and no hang-up within {timeout} s for {topic}")

    def subscribe(self, topic_filter: str, timeout: float = 5.0) -> bool:
        """QoS 1; True when SUBACKed without failure, False when refused or hung up."""
        self.client.subscribe(topic_filter, qos=1)
        for _ in range(int(timeout * 20)):
            if self.subscribed.is_set():
                return True
            if self.disconnected.wait(0.05):
                return False
        return False

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
