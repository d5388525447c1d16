"""The hostile bodies a legitimate device publishes on its own topic: each is refused (at the front door
or by the rule: not JSON) or quarantined with its reason, except the three whose only fault is a field the
IoT rule overwrites (tenant, device_id, received_at): those are stored, for the publishing device only."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

# Canaries the privacy part looks for in everything the run wrote: the platform must not log them.
PII_NAME = "Kari Nordmann-Campaign"
PII_PHONE = "+4799887766"
PII_NATIONAL_ID = "01019012345"

REFUSED_OR_QUARANTINED = frozenset({"refused", "quarantined"})
STORED_AS_PUBLISHER = frozenset({"stored", "quarantined", "refused"})  # the forged field must not win


@dataclass(frozen=True)
class HostileBody:
    name: str
    body: bytes
    reading_ids: tuple[str, ...]  # the ids it would be stored under if it got through
    allowed: frozenset[str] = REFUSED_OR_QUARANTINED


def _text(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


def _nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def catalogue(good: Callable[[str], dict[str, Any]], *, other_device: str, other_tenant: str,
              other_tenant_device: str, now: datetime) -> list[HostileBody]:
    """``good(reading_id)``: a valid reading document of the publishing device."""
    bodies: list[HostileBody] = []

    def add(name: str, make: Callable[[dict[str, Any]], bytes | Any], allowed: frozenset[str] = REFUSED_OR_QUARANTINED,
            also_as: str | None = None) -> None:
        reading_id = f"hostile-{len(bodies):02d}"
        made = make(good(reading_id))
        ids = (reading_id, also_as) if also_as else (reading_id,)
        bodies.append(HostileBody(name, made if isinstance(made, bytes) else _text(made), ids, allowed))

    def measurement(doc: dict[str, Any], **changes: Any) -> dict[str, Any]:
        doc["measurements"][0].update(changes)
        return doc

    def replaced(doc: dict[str, Any], old: str, new: str) -> bytes:
        return _text(doc).replace(old.encode(), new.encode(), 1)

    add("empty body", lambda _d: b"")
    add("whitespace only", lambda _d: b"   \n")
    add("plain text", lambda _d: b"spo2 96")
    add("JSON cut in half", lambda d: _text(d)[: len(_text(d)) // 2])
    add("trailing comma", lambda d: _text(d)[:-1] + b",}")
    add("array of readings", lambda d: b"[" + _text(d) + b"]")
    add("empty array", lambda _d: b"[]")
    add("JSON string", lambda _d: b'"reading"')
    add("JSON number", lambda _d: b"42")
    add("JSON null", lambda _d: b"null")
    add("JSON true", lambda _d: b"true")
    add("NaN value", lambda d: replaced(measurement(d, value=123456.5), "123456.5", "NaN"))
    add("Infinity value", lambda d: replaced(measurement(d, value=123456.5), "123456.5", "Infinity"))
    add("-Infinity value", lambda d: replaced(measurement(d, value=123456.5), "123456.5", "-Infinity"))
    add("bare NaN", lambda _d: b"NaN")
    add("nesting 100,000 deep", lambda _d: _nested(100_000))
    add("nesting 1,000 deep in a field", lambda d: _text(d)[:-1] + b', "extra": ' + b"[" * 1000 + b"]" * 1000 + b"}")
    add("number 1e400", lambda d: replaced(measurement(d, value=123456.5), "123456.5", "1e400"))
    add("integer of 5,000 digits", lambda d: replaced(measurement(d, value=123456.5), "123456.5", "9" * 5000))
    add("reading id of 100,000 chars", lambda d: {**d, "reading_id": "r" * 100_000})
    add("extra field of 60 KB", lambda d: {**d, "padding": "x" * 60_000})
    add("over 128 KB", lambda d: {**d, "padding": "x" * 140_000})
    add("over 256 KB", lambda d: {**d, "padding": "x" * 270_000})
    add("invalid UTF-8 in a string", lambda d: _text(d).replace(d["device"]["model"].encode(), b"\xff\xfe", 1))
    add("invalid UTF-8 (overlong)", lambda d: _text(d).replace(b'"schema"', b'"sch\xc0\xafema"', 1))
    add("byte order mark", lambda d: b"\xef\xbb\xbf" + _text(d))
    add("UTF-16", lambda d: json.dumps(d).encode("utf-16"))
    add("raw NUL in a string", lambda d: _text(d).replace(d["device"]["model"].encode(), b"n\x00l", 1))
    add("escaped NUL in the reading id", lambda d: {**d, "reading_id": d["reading_id"] + "\u0000"})
    add("NUL after the JSON", lambda d: _text(d) + b"\x00")
    add("lone surrogate", lambda d: replaced(d, d["device"]["model"], "\\ud800"))
    add("duplicate key: measurements", lambda d: _text(d)[:-1] + b', "measurements": []}')
    add("duplicate key: value", lambda d: replaced(d, '"value": ', '"value": 50, "value": '))
    add("duplicate key: reading_id", lambda d: _text(d)[:-1] + b', "reading_id": "other-0001"}',
        also_as="other-0001")
    add("forged tenant field", lambda d: {**d, "tenant": other_tenant}, STORED_AS_PUBLISHER)
    add("forged device_id field", lambda d: {**d, "device_id": other_device}, STORED_AS_PUBLISHER)
    add("forged received_at (a year ago)", lambda d: {**d, "received_at": int(
        (now - timedelta(days=365)).timestamp() * 1000)}, STORED_AS_PUBLISHER)
    add("payload of another device", lambda d: {**d, "device": {**d["device"], "id": other_device}})
    add("payload of another tenant's device", lambda d: {**d, "device": {**d["device"], "id": other_tenant_device}})
    add("no schema", lambda d: {k: v for k, v in d.items() if k != "schema"})
    add("unknown schema version", lambda d: {**d, "schema": "dho.device-reading/99"})
    add("value as a string", lambda d: measurement(d, value="96"))
    add("unknown metric", lambda d: measurement(d, metric="mood"))
    add("unknown unit", lambda d: measurement(d, unit="furlongs"))
    add("implausible value", lambda d: measurement(d, value=130))
    add("measured tomorrow", lambda d: {**d, "measured_at": (now + timedelta(days=1)).isoformat()})
    add("measured 30 days ago", lambda d: {**d, "measured_at": (now - timedelta(days=30)).isoformat()})
    add("timestamp not a time", lambda d: {**d, "measured_at": "yesterday"})
    add("empty measurements", lambda d: {**d, "measurements": []})
    add("personal data in extra fields", lambda d: {**d, "patient_name": PII_NAME, "phone": PII_PHONE,
                                                      "national_id": PII_NATIONAL_ID})
    return bodies
