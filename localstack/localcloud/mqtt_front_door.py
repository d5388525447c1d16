"""The devices' MQTT endpoint: an authorizing proxy in front of the local broker.

Devices connect here (client id = thing name, username = tenant id; see ``device_auth``), never to the
broker itself. The front door reads each packet the device sends; CONNECT, PUBLISH and SUBSCRIBE are
checked against the tenant's IoT policy before they are passed on unchanged, everything the broker sends
back is passed through untouched. What IoT Core does on a refusal, the front door does too:
- CONNECT refused → CONNACK "not authorized" (3.1.1 return code 5 / MQTT 5 reason 0x87) and close;
- PUBLISH or SUBSCRIBE refused → the connection is closed (IoT Core hangs up on MQTT 3.1.1 clients; an
  MQTT 5 client also gets DISCONNECT 0x87 first). A refused message is counted and never reaches the
  broker, so no rule ever sees it.
- a message the broker would deliver on a topic the device may not receive (``iot:Receive``) is dropped
  (IoT Core does not deliver it, silently); the front door acknowledges a QoS 1 one to the broker itself,
  so it is not redelivered, and counts it.
- PUBLISH with a payload over IoT Core's 128 KB (131,072 bytes) message limit → refused the same way
  (IoT Core logs CLIENT_ERROR PAYLOAD_LIMIT_EXCEEDED and disconnects; no PUBACK), MQTT 5 with 0x95.

Why a proxy: the rules engine subscribes at the broker and cannot see who published; mosquitto's ACL
file could express "own client id, own tenant" but would drop refused messages silently (no count)
and amqtt needs a different plugin, so the checks would exist twice. The proxy works with either
broker, counts every refusal, and evaluates the synthesized policy itself rather than a translation.
The broker's own port stays on loopback and refuses anyone without the local cloud's internal credentials
(``mqtt_broker.BrokerCredentials``): the front door passes each accepted CONNECT on with the device's client
id, session flags and will, but with those credentials instead of the device's username, so only the front
door and the rules engine can reach the broker.

MQTT 5 topic aliases are not supported (a PUBLISH with an empty topic is refused).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import deque
from dataclasses import dataclass, field

from localcloud.device_auth import Decision, DeviceAuthorizer, DeviceIdentity

LOG = logging.getLogger(__name__)
HOST = "127.0.0.1"

CONNECT, PUBLISH, PUBACK, SUBSCRIBE = 1, 3, 4, 8
_CONNACK_NOT_AUTHORIZED = {4: b"\x20\x02\x00\x05", 3: b"\x20\x02\x00\x05", 5: b"\x20\x03\x00\x87\x00"}
_DISCONNECT_NOT_AUTHORIZED_V5 = b"\xe0\x02\x87\x00"
_DISCONNECT_PACKET_TOO_LARGE_V5 = b"\xe0\x02\x95\x00"
# IoT Core's message broker quota: "The payload for every PUBLISH message is limited to 128 KB".
MAX_PAYLOAD_BYTES = 128 * 1024


class ProtocolError(ValueError):
    """A packet the front door cannot read (it closes the connection)."""


@dataclass(frozen=True)
class ConnectInfo:
    protocol_level: int
    client_id: str
    username: str | None
    will_topic: str | None
    flags_at: int = 0  # offset of the connect flags in the body
    credentials_at: int = 0  # offset where the username (then the password) would start


@dataclass(frozen=True)
class Refusal:
    client_id: str
    tenant_id: str | None
    action: str
    target: str
    reason: str


@dataclass
class FrontDoorCounts:
    connections: int = 0
    connects_refused: int = 0
    published: int = 0
    publishes_refused: int = 0
    subscribes_refused: int = 0
    receives_refused: int = 0


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def take(self, size: int) -> bytes:
        if self.position + size > len(self.data):
            raise ProtocolError("packet shorter than its fields")
        chunk = self.data[self.position:self.position + size]
        self.position += size
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def uint16(self) -> int:
        return int.from_bytes(self.take(2), "big")

    def string(self) -> str:
        try:
            return self.take(self.uint16()).decode("utf-8")
        except UnicodeDecodeError as error:
            raise ProtocolError("string is not UTF-8") from error

    def binary(self) -> bytes:
        return self.take(self.uint16())

    def varint(self) -> int:
        value, shift = 0, 0
        for _ in range(4):
            byte = self.byte()
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
            shift += 7
        raise ProtocolError("variable byte integer longer than 4 bytes")

    def skip_properties(self) -> None:
        self.take(self.varint())


def parse_connect(body: bytes) -> ConnectInfo:
    """The fields of a CONNECT packet's variable header and payload (MQTT 3.1, 3.1.1 and 5)."""
    reader = _Reader(body)
    protocol = reader.string()
    level = reader.byte()
    if (protocol, level) not in (("MQIsdp", 3), ("MQTT", 4), ("MQTT", 5)):
        raise ProtocolError(f"unsupported protocol {protocol!r} level {level}")
    flags_at = reader.position
    flags = reader.byte()
    reader.uint16()  # keep-alive
    if level == 5:
        reader.skip_properties()
    client_id = reader.string()
    will_topic = None
    if flags & 0x04:
        if level == 5:
            reader.skip_properties()
        will_topic = reader.string()
        reader.binary()
    credentials_at = reader.position
    username = reader.string() if flags & 0x80 else None
    return ConnectInfo(level, client_id, username, will_topic, flags_at, credentials_at)


def _fixed_header(first: int, remaining: int) -> bytes:
    length = bytearray()
    while True:
        byte, remaining = remaining & 0x7F, remaining >> 7
        length.append(byte | (0x80 if remaining else 0))
        if not remaining:
            return bytes([first]) + bytes(length)


def connect_with_credentials(body: bytes, info: ConnectInfo, username: str, password: str) -> bytes:
    """The device's CONNECT packet with its username/password replaced by ``username``/``password``."""
    flags = body[info.flags_at] | 0xC0
    user, secret = username.encode(), password.encode()
    new_body = (body[:info.flags_at] + bytes([flags]) + body[info.flags_at + 1:info.credentials_at]
                + len(user).to_bytes(2, "big") + user + len(secret).to_bytes(2, "big") + secret)
    return _fixed_header(CONNECT << 4, len(new_body)) + new_body


def parse_publish_topic(body: bytes) -> str:
    return _Reader(body).string()


def publish_payload_size(first_byte: int, body: bytes, protocol_level: int) -> int:
    """Bytes of application payload in a PUBLISH (after topic, packet id and MQTT 5 properties)."""
    reader = _Reader(body)
    reader.string()
    if (first_byte >> 1) & 0x03:  # QoS 1 or 2 carry a packet id
        reader.uint16()
    if protocol_level == 5:
        reader.skip_properties()
    return len(body) - reader.position


def parse_subscribe_filters(body: bytes, protocol_level: int) -> list[str]:
    reader = _Reader(body)
    reader.uint16()  # packet id
    if protocol_level == 5:
        reader.skip_properties()
    filters = []
    while reader.position < len(body):
        filters.append(reader.string())
        reader.byte()  # requested QoS / options
    if not filters:
        raise ProtocolError("SUBSCRIBE without a topic filter")
    return filters


async def read_packet(stream: asyncio.StreamReader) -> tuple[int, bytes, bytes]:
    """One MQTT control packet: (type, raw bytes to forward, body after the fixed header); the type is the
    first byte's high nibble, its flags (QoS of a PUBLISH) are in ``raw[0]``."""
    first = await stream.readexactly(1)
    length_bytes = b""
    remaining, shift = 0, 0
    while True:
        byte = await stream.readexactly(1)
        length_bytes += byte
        remaining |= (byte[0] & 0x7F) << shift
        if not byte[0] & 0x80:
            break
        shift += 7
        if len(length_bytes) == 4:
            raise ProtocolError("remaining length longer than 4 bytes")
    body = await stream.readexactly(remaining)
    return first[0] >> 4, first + length_bytes + body, body


@dataclass
class MqttFrontDoor:
    """Listens on 127.0.0.1:``port`` (0 = free port) and forwards authorized traffic to the broker."""

    authorizer: DeviceAuthorizer
    broker_host: str
    broker_port: int
    broker_credentials: tuple[str, str] | None = None  # (username, password) the broker requires
    port: int = 0
    counts: FrontDoorCounts = field(default_factory=FrontDoorCounts)
    refusals: deque[Refusal] = field(default_factory=lambda: deque(maxlen=1000))
    _loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _server: asyncio.Server | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def host(self) -> str:
        return HOST

    def start(self) -> MqttFrontDoor:
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []

        async def listen() -> None:
            try:
                self._server = await asyncio.start_server(self._serve, HOST, self.port)
                self.port = int(self._server.sockets[0].getsockname()[1])
            except OSError as error:
                failure.append(error)
            finally:
                ready.set()

        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="mqtt-front-door", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(listen(), loop)
        ready.wait(timeout=10)
        if failure or self._server is None:
            self.stop()
            raise RuntimeError(f"MQTT front door could not listen on {HOST}:{self.port}: {failure}")
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return

        async def close() -> None:
            if self._server is not None:
                self._server.close()
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        if thread.is_alive():
            asyncio.run_coroutine_threadsafe(close(), loop).result(timeout=10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
        loop.close()
        self._loop = self._thread = self._server = None

    def __enter__(self) -> MqttFrontDoor:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _refuse(self, identity: DeviceIdentity, decision: Decision, counter: str) -> None:
        with self._lock:
            setattr(self.counts, counter, getattr(self.counts, counter) + 1)
            self.refusals.append(Refusal(identity.client_id, identity.tenant_id, decision.action,
                                         decision.resource, decision.reason))
        LOG.info("refused %s for client %s (tenant %s): %s", decision.action, identity.client_id,
                 identity.tenant_id, decision.reason)

    async def _serve(self, device_in: asyncio.StreamReader, device_out: asyncio.StreamWriter) -> None:
        with self._lock:
            self.counts.connections += 1
        broker_out: asyncio.StreamWriter | None = None
        pump: asyncio.Task[None] | None = None
        try:
            kind, raw, body = await read_packet(device_in)
            if kind != CONNECT:
                raise ProtocolError("first packet is not CONNECT")
            info = parse_connect(body)
            identity = DeviceIdentity(info.client_id, info.username)
            decision = self.authorizer.authorize_connect(identity)
            if decision.allowed and info.will_topic is not None:
                decision = self.authorizer.authorize_publish(identity, info.will_topic)
            if not decision.allowed:
                self._refuse(identity, decision, "connects_refused")
                device_out.write(_CONNACK_NOT_AUTHORIZED[info.protocol_level])
                await device_out.drain()
                return
            broker_in, broker_out = await asyncio.open_connection(self.broker_host, self.broker_port)
            if self.broker_credentials is not None:
                raw = connect_with_credentials(body, info, *self.broker_credentials)
            broker_out.write(raw)
            await broker_out.drain()
            pump = asyncio.create_task(self._to_device(broker_in, device_out, broker_out, identity))
            await self._from_device(device_in, broker_out, identity, info.protocol_level, device_out)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except ProtocolError as error:
            LOG.info("closing a device connection: %s", error)
        finally:
            if pump is not None:
                pump.cancel()
                with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                    await pump
            for writer in (broker_out, device_out):
                if writer is not None:
                    writer.close()
                    with contextlib.suppress(ConnectionError, OSError):
                        await writer.wait_closed()

    async def _from_device(self, device_in: asyncio.StreamReader, broker_out: asyncio.StreamWriter,
                           identity: DeviceIdentity, level: int, device_out: asyncio.StreamWriter) -> None:
        while True:
            kind, raw, body = await read_packet(device_in)
            decision: Decision | None = None
            counter = ""
            if kind == PUBLISH:
                topic = parse_publish_topic(body)
                decision = (self.authorizer.authorize_publish(identity, topic) if topic else
                            Decision(False, "iot:Publish", "", "MQTT 5 topic aliases are not supported locally"))
                size = publish_payload_size(raw[0], body, level)
                if decision.allowed and size > MAX_PAYLOAD_BYTES:
                    decision = Decision(False, "iot:Publish", topic, f"PAYLOAD_LIMIT_EXCEEDED: payload of {size} "
                                        f"bytes exceeds the {MAX_PAYLOAD_BYTES} byte limit")
                counter = "publishes_refused"
            elif kind == SUBSCRIBE:
                for topic_filter in parse_subscribe_filters(body, level):
                    decision = self.authorizer.authorize_subscribe(identity, topic_filter)
                    if not decision.allowed:
                        break
                counter = "subscribes_refused"
            if decision is not None and not decision.allowed:
                self._refuse(identity, decision, counter)
                if level == 5:
                    too_large = decision.reason.startswith("PAYLOAD_LIMIT_EXCEEDED")
                    device_out.write(_DISCONNECT_PACKET_TOO_LARGE_V5 if too_large else _DISCONNECT_NOT_AUTHORIZED_V5)
                    await device_out.drain()
                return
            if kind == PUBLISH:
                with self._lock:
                    self.counts.published += 1
            broker_out.write(raw)
            await broker_out.drain()

    async def _to_device(self, broker_in: asyncio.StreamReader, device_out: asyncio.StreamWriter,
                         broker_out: asyncio.StreamWriter, identity: DeviceIdentity) -> None:
        """What the broker sends, packet by packet: a PUBLISH only if the device may receive its topic."""
        with contextlib.suppress(asyncio.IncompleteReadError):
            while True:
                kind, raw, body = await read_packet(broker_in)
                if kind == PUBLISH:
                    topic = parse_publish_topic(body)
                    decision = self.authorizer.authorize_receive(identity, topic)
                    if not decision.allowed:
                        self._refuse(identity, decision, "receives_refused")
                        if (raw[0] >> 1) & 0x03 == 1:  # QoS 1: acknowledged here, never redelivered
                            packet_id = body[2 + len(topic.encode()):4 + len(topic.encode())]
                            broker_out.write(bytes([PUBACK << 4, 2]) + packet_id)
                            await broker_out.drain()
                        continue
                device_out.write(raw)
                await device_out.drain()
        device_out.close()
