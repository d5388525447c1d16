"""The few MQTT packet fields the devices' front door reads (3.1.1 and 5; amqtt 0.12 speaks only 3.1.1,
so MQTT 5 is covered here at the packet level)."""

from __future__ import annotations

import asyncio

import pytest

from localcloud.mqtt_front_door import (
    ProtocolError,
    parse_connect,
    parse_publish_topic,
    parse_subscribe_filters,
    read_packet,
)


def string(text: str) -> bytes:
    data = text.encode()
    return len(data).to_bytes(2, "big") + data


def connect_body(level: int, client_id: str, username: str | None = None, will: tuple[str, bytes] | None = None,
                 properties: bytes = b"\x00") -> bytes:
    flags = (0x80 if username is not None else 0) | (0x04 if will else 0) | 0x02
    body = string("MQTT") + bytes([level, flags]) + (30).to_bytes(2, "big")
    if level == 5:
        body += properties
    body += string(client_id)
    if will:
        if level == 5:
            body += b"\x00"
        body += string(will[0]) + len(will[1]).to_bytes(2, "big") + will[1]
    if username is not None:
        body += string(username)
    return body


@pytest.mark.parametrize("level", [4, 5])
def test_connect_gives_client_id_username_and_will_topic(level: int) -> None:
    info = parse_connect(connect_body(level, "oxi-0001", "bodo", will=("dho/bodo/devices/oxi-0001/readings", b"x"),
                                      properties=b"\x05\x11\x00\x00\x00\x3c"))  # session expiry 60 s
    assert (info.protocol_level, info.client_id, info.username, info.will_topic) == (
        level, "oxi-0001", "bodo", "dho/bodo/devices/oxi-0001/readings")


def test_connect_without_username_has_none() -> None:
    assert parse_connect(connect_body(4, "oxi-0001")).username is None


@pytest.mark.parametrize("body", [b"", string("HTTP") + b"\x04\x02\x00\x1e", connect_body(4, "x")[:-1]])
def test_unreadable_connects_are_protocol_errors(body: bytes) -> None:
    with pytest.raises(ProtocolError):
        parse_connect(body)


def test_publish_topic_and_subscribe_filters() -> None:
    assert parse_publish_topic(string("dho/bodo/devices/a/readings") + b"\x00\x01{}") == "dho/bodo/devices/a/readings"
    v311 = b"\x00\x07" + string("a/#") + b"\x01" + string("b/+") + b"\x00"
    v5 = b"\x00\x07" + b"\x00" + string("a/#") + b"\x01"
    assert parse_subscribe_filters(v311, 4) == ["a/#", "b/+"]
    assert parse_subscribe_filters(v5, 5) == ["a/#"]


def test_packets_are_framed_by_their_remaining_length() -> None:
    async def read() -> tuple[int, bytes, bytes]:
        stream = asyncio.StreamReader()
        body = b"x" * 200  # remaining length 200 takes two bytes
        stream.feed_data(b"\x30" + bytes([200 & 0x7F | 0x80, 200 >> 7]) + body + b"\xc0\x00")
        return await read_packet(stream)

    kind, raw, body = asyncio.run(read())
    assert kind == 3 and body == b"x" * 200 and len(raw) == 203
