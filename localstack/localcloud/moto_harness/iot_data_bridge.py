"""IoT Core's data-plane Publish reaches the devices: moto 5.2.5's ``iot-data`` Publish only records the
message (``published_payloads``), so a function's advice to a device would never arrive locally.

With a broker set (:func:`bridge_to` in the moto server's own process, or the JSON file named by
``LOCALCLOUD_IOT_DATA_BRIDGE`` for the harness subprocess: ``{"host", "port", "username", "password"}``,
read at each publish, so the local cloud can write it once its broker is up), every Publish moto accepts
is also published to the local MQTT broker at QoS 1 with the internal credentials, as IoT Core's message
broker delivers an HTTP publish to the topic's subscribers. The devices' front door then applies their
policy (``iot:Receive``) on the way out. Without a broker, moto's behaviour is unchanged.

moto also drops the request's ``retain`` flag: the response handler keeps it for the forward, so a
retained publish (a device's config) is retained by the local broker as IoT Core retains it. An empty
retained publish (a returned device's config cleared) is forwarded as it is: the broker then drops the
topic's retained message, as IoT Core does (``tests/e2e/test_advice_to_the_device.py``).
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from moto.iotdata.models import IoTDataPlaneBackend
from moto.iotdata.responses import IoTDataPlaneResponse
from paho.mqtt.enums import CallbackAPIVersion

BRIDGE_FILE_VARIABLE = "LOCALCLOUD_IOT_DATA_BRIDGE"
PUBLISH_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class BrokerTarget:
    host: str
    port: int
    username: str
    password: str


_lock = threading.Lock()
_set_target: list[BrokerTarget] = []
_clients: dict[BrokerTarget, mqtt.Client] = {}
_applied: list[bool] = []
_request = threading.local()  # the retain flag of the Publish request being handled on this thread


def _target() -> BrokerTarget | None:
    if _set_target:
        return _set_target[-1]
    path = os.environ.get(BRIDGE_FILE_VARIABLE)
    if not path or not Path(path).is_file():
        return None
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return BrokerTarget(str(data["host"]), int(data["port"]), str(data["username"]), str(data["password"]))


def _client(target: BrokerTarget) -> mqtt.Client:
    """One connected client per broker, kept: IoT Core's broker is always there, a connect per message is not."""
    client = _clients.get(target)
    if client is not None and client.is_connected():
        return client
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"localcloud-iot-data-{uuid.uuid4().hex[:8]}")
    client.username_pw_set(target.username, target.password)
    client.connect(target.host, target.port, keepalive=30)
    client.loop_start()
    _clients[target] = client
    return client


def _forwarding(publish: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(publish)
    def patched(self: IoTDataPlaneBackend, topic: str, payload: bytes, *args: Any, **kwargs: Any) -> Any:
        result = publish(self, topic, payload, *args, **kwargs)
        target = _target()
        if target is not None:
            with _lock:
                info = _client(target).publish(topic, payload, qos=1, retain=getattr(_request, "retain", False))
            info.wait_for_publish(timeout=PUBLISH_TIMEOUT_SECONDS)
        return result

    return patched


def _keeping_retain(handle: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(handle)
    def patched(self: IoTDataPlaneResponse) -> Any:
        _request.retain = str(self._get_param("retain", "false")).lower() == "true"
        try:
            return handle(self)
        finally:
            _request.retain = False

    return patched


def apply() -> None:
    if _applied:
        return
    IoTDataPlaneBackend.publish = _forwarding(IoTDataPlaneBackend.publish)  # type: ignore[method-assign]
    IoTDataPlaneResponse.publish = _keeping_retain(IoTDataPlaneResponse.publish)  # type: ignore[method-assign]
    _applied.append(True)


def write_bridge_file(path: Path, host: str, port: int, username: str, password: str) -> None:
    """For the harness subprocess: where its Publish goes (written once the broker is up)."""
    path.write_text(json.dumps({"host": host, "port": port, "username": username, "password": password}),
                    encoding="utf-8")


@contextmanager
def bridge_to(host: str, port: int, username: str, password: str) -> Iterator[None]:
    """In the moto server's own process (``running_moto_server``): forward every Publish to this broker."""
    apply()
    target = BrokerTarget(host, port, username, password)
    _set_target.append(target)
    try:
        yield
    finally:
        _set_target.remove(target)
        with _lock:
            client = _clients.pop(target, None)
        if client is not None:
            client.disconnect()
            client.loop_stop()
