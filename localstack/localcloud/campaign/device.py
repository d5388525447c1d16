"""One device session for the campaign's single messages: raw bytes (hostile bodies), topics and
identities of the campaign's choosing, and subscriptions. Bulk publishing uses the simulator's
:class:`~localcloud.simulator.publisher.MqttPublisher` instead."""

from __future__ import annotations

import threading
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.reasoncodes import ReasonCode


class Session:
    """client id = thing name, username = tenant (the local stand-in for a device certificate)."""

    def __init__(self, host: str, port: int, client_id: str, username: str) -> None:
        self.accepted = threading.Event()
        self.closed = threading.Event()
        self.received: list[mqtt.MQTTMessage] = []
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                                   protocol=MQTTProtocolVersion.MQTTv311, reconnect_on_failure=False)
        self._client.username_pw_set(username)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = lambda *_args: self.closed.set()
        self._client.on_message = lambda _c, _u, message: self.received.append(message)
        self._host, self._port = host, port

    def _on_connect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: ReasonCode, _p: Any) -> None:
        (self.closed if reason.is_failure else self.accepted).set()

    def connect(self, timeout: float = 5.0) -> bool:
        """True once the CONNACK accepted the session; False when refused or hung up."""
        self._client.connect(self._host, self._port, keepalive=30)
        self._client.loop_start()
        waited = 0.0
        while waited < timeout and not (self.accepted.is_set() or self.closed.is_set()):
            self.closed.wait(0.02)
            waited += 0.02
        return self.accepted.is_set() and not self.closed.is_set()

    def publish(self, topic: str, payload: bytes | str, timeout: float = 10.0) -> bool:
        """QoS 1: True when acknowledged (PUBACK), False when the connection was closed instead."""
        if self.closed.is_set():
            return False
        info = self._client.publish(topic, payload, qos=1)
        waited = 0.0
        while waited < timeout:
            try:
                if info.is_published():
                    return True
            except RuntimeError:  # paho fails a pending message once its connection is gone
                return False
            if self.closed.wait(0.01):
                return False
            waited += 0.01
        raise TimeoutError(f"no PUBACK and no hang-up within {timeout:g} s on {topic}")

    def subscribe(self, topic_filter: str, timeout: float = 5.0) -> bool:
        """True when the broker granted the subscription; False when the connection was closed instead."""
        granted = threading.Event()
        self._client.on_subscribe = lambda _c, _u, _m, reasons, _p: granted.set() if not any(
            r.is_failure for r in reasons) else self.closed.set()
        self._client.subscribe(topic_filter, qos=1)
        waited = 0.0
        while waited < timeout and not (granted.is_set() or self.closed.is_set()):
            self.closed.wait(0.02)
            waited += 0.02
        return granted.is_set() and not self.closed.is_set()

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
