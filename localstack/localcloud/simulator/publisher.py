"""Publishing device messages: over MQTT QoS 1 as each device, or as JSON lines to a file.

The simulator only sees :class:`Publisher`. :class:`MqttPublisher` keeps one MQTT connection per
device (client id = thing name = device id, username = tenant id: the local cloud's stand-in for the
device certificate), at most ``max_connections`` at a time, and returns from :meth:`flush` once the
broker has acknowledged (PUBACK) every message. The network side sits behind
:class:`DeviceConnection`, so the pooling, acknowledgement and reconnect logic is tested in memory.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

from localcloud.simulator.payloads import DeviceMessage

QOS_AT_LEAST_ONCE = 1


class Publisher(Protocol):
    def publish(self, message: DeviceMessage) -> None: ...

    def flush(self) -> None:
        """Return once everything published so far is delivered (acknowledged, or written)."""

    def close(self) -> None: ...


class PublishError(RuntimeError):
    """The broker refused a device, or did not acknowledge in time."""


class ConnectionLost(PublishError):
    """The connection of one device dropped; the publisher reconnects and resends."""


class Delivery(Protocol):
    def is_published(self) -> bool: ...


class DeviceConnection(Protocol):
    """One device's MQTT session."""

    def publish(self, topic: str, payload: str, qos: int) -> Delivery: ...

    def pump(self, timeout: float) -> None:
        """Do network I/O for up to ``timeout`` seconds (PUBACKs, keep-alive); ConnectionLost if gone."""

    def disconnect(self) -> None: ...


Connector = Callable[[str, str], DeviceConnection]  # (client id = device id, username = tenant) -> connected


class JsonlPublisher:
    """``{"topic": ..., "payload": ...}`` per line (payload as the exact text, bad JSON included)."""

    def __init__(self, out: IO[str]) -> None:
        self._out = out

    def publish(self, message: DeviceMessage) -> None:
        self._out.write(json.dumps({"topic": message.topic, "payload": message.payload}, ensure_ascii=False) + "\n")

    def flush(self) -> None:
        self._out.flush()

    def close(self) -> None:
        self._out.flush()


@dataclass
class _Session:
    tenant: str
    connection: DeviceConnection
    pending: list[tuple[DeviceMessage, Delivery]] = field(default_factory=list)


class MqttPublisher:
    def __init__(self, connect: Connector, *, max_connections: int = 64, window: int = 256,
                 ack_timeout_s: float = 30.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self._connect = connect
        self._max_connections = max_connections
        self._window = window
        self._ack_timeout_s = ack_timeout_s
        self._sleep = sleep
        self._sessions: OrderedDict[str, _Session] = OrderedDict()
        self.reconnects = 0

    def publish(self, message: DeviceMessage) -> None:
        session = self._session(message.device_id, message.tenant)
        self._send(message.device_id, session, message)
        if sum(len(s.pending) for s in self._sessions.values()) >= self._window:
            self.flush()

    def flush(self) -> None:
        deadline = time.monotonic() + self._ack_timeout_s
        while waiting := [d for d, s in self._sessions.items() if s.pending]:
            for device_id in waiting:
                self._pump(device_id, self._sessions[device_id])
            if time.monotonic() > deadline:
                raise PublishError(f"no PUBACK within {self._ack_timeout_s:g} s for {len(waiting)} device(s)")
            if all(self._sessions[d].pending for d in waiting):
                self._sleep(0.001)

    def close(self) -> None:
        try:
            self.flush()
        finally:
            for session in self._sessions.values():
                session.connection.disconnect()
            self._sessions.clear()

    def _session(self, device_id: str, tenant: str) -> _Session:
        session = self._sessions.get(device_id)
        if session is not None:
            self._sessions.move_to_end(device_id)
            return session
        while len(self._sessions) >= self._max_connections:
            self._evict_oldest()
        session = _Session(tenant, self._connect(device_id, tenant))
        self._sessions[device_id] = session
        return session

    def _evict_oldest(self) -> None:
        device_id, session = next(iter(self._sessions.items()))
        deadline = time.monotonic() + self._ack_timeout_s
        while session.pending:
            self._pump(device_id, session)
            if time.monotonic() > deadline:
                raise PublishError(f"no PUBACK within {self._ack_timeout_s:g} s for {device_id}")
        session.connection.disconnect()
        del self._sessions[device_id]

    def _send(self, device_id: str, session: _Session, message: DeviceMessage) -> None:
        try:
            delivery = session.connection.publish(message.topic, message.payload, QOS_AT_LEAST_ONCE)
        except ConnectionLost:
            session = self._reconnect(device_id, session)
            delivery = session.connection.publish(message.topic, message.payload, QOS_AT_LEAST_ONCE)
        session.pending.append((message, delivery))

    def _pump(self, device_id: str, session: _Session) -> None:
        try:
            session.connection.pump(0.0)
        except ConnectionLost:
            session = self._reconnect(device_id, session)
        session.pending = [(m, d) for m, d in session.pending if not d.is_published()]

    def _reconnect(self, device_id: str, lost: _Session) -> _Session:
        """A new session for the device; its unacknowledged messages go again (QoS 1 is at least once,
        and the platform stores a replayed reading only once)."""
        self.reconnects += 1
        session = _Session(lost.tenant, self._connect(device_id, lost.tenant))
        self._sessions[device_id] = session
        for message, _ in lost.pending:
            session.pending.append((message, session.connection.publish(message.topic, message.payload,
                                                                        QOS_AT_LEAST_ONCE)))
        return session


class PahoConnection:
    """A device session with paho-mqtt 2.x (CallbackAPIVersion.VERSION2), driven without a thread:
    the publisher calls :meth:`pump`, so hundreds of devices need no thread each."""

    def __init__(self, host: str, port: int, client_id: str, username: str, *, keepalive: int = 60,
                 connect_timeout_s: float = 10.0) -> None:
        from paho.mqtt.client import Client
        from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

        self._client = Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv311)
        self._client.username_pw_set(username)
        # The callback writes into a plain dict, not into self: a client -> callback -> self -> client cycle
        # would keep each closed client's wake-up socket pair open until a GC pass, and past 1024 file
        # descriptors select() fails (seen as MQTT_ERR_CONN_LOST after a few hundred reconnects).
        connack: dict[str, Any] = {}
        self._client.on_connect = lambda client, userdata, flags, reason, properties: connack.update(reason=reason)
        try:
            self._client.connect(host, port, keepalive)
        except OSError as error:
            raise PublishError(f"cannot reach the MQTT broker at {host}:{port}: {error}") from error
        deadline = time.monotonic() + connect_timeout_s
        while "reason" not in connack:
            self.pump(0.05)
            if time.monotonic() > deadline:
                raise PublishError(f"no CONNACK for {client_id} within {connect_timeout_s:g} s")
        if connack["reason"].is_failure:
            raise PublishError(f"the broker refused {client_id} (tenant {username}): {connack['reason']}")

    def publish(self, topic: str, payload: str, qos: int) -> Delivery:
        from paho.mqtt.enums import MQTTErrorCode

        info = self._client.publish(topic, payload, qos=qos)
        if info.rc is not MQTTErrorCode.MQTT_ERR_SUCCESS:
            raise ConnectionLost(f"publish failed: {info.rc.name}")
        return info

    def pump(self, timeout: float) -> None:
        from paho.mqtt.enums import MQTTErrorCode

        rc = self._client.loop(timeout)
        if rc is not MQTTErrorCode.MQTT_ERR_SUCCESS:
            raise ConnectionLost(f"connection lost: {rc.name}")

    def disconnect(self) -> None:
        self._client.disconnect()
        self._client.loop(0.0)
        self._client.on_connect = None


def paho_connector(host: str, port: int, *, keepalive: int = 60, attempts: int = 3) -> Connector:
    """Connect a device; a connection dropped before its CONNACK is retried (seen now and then with
    mosquitto when a device reconnects right after its previous session ended)."""

    def connect(device_id: str, tenant: str) -> DeviceConnection:
        for attempt in range(1, attempts + 1):
            try:
                return PahoConnection(host, port, device_id, tenant, keepalive=keepalive)
            except ConnectionLost:
                if attempt == attempts:
                    raise
                time.sleep(0.05 * attempt)
        raise AssertionError("unreachable")

    return connect
