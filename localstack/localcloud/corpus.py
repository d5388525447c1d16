"""The device-payload corpus under events/payloads, as the messages the IoT rule would queue."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parents[2] / "events"
PAYLOADS = EVENTS / "payloads"


@dataclass(frozen=True)
class CorpusMessage:
    file: str
    body: str  # what the readings queue holds: payload + tenant, device_id, received_at
    expected_reason: str | None  # None for a good payload
    expected_patient_id: str | None


def rule_output(payload_text: str, tenant: str, device_id: str, received_at_ms: int) -> str:
    """What the readings rule (``SELECT *, encode(*, 'base64') AS raw, topic(2) AS tenant, topic(4) AS
    device_id, timestamp() AS received_at``) makes of a payload. A payload that is not a JSON object
    passes through unchanged here (the handler refuses it; IoT Core would fail it to the error action)."""
    try:
        document = json.loads(payload_text)
    except ValueError:
        return payload_text
    if not isinstance(document, dict):
        return payload_text
    raw = base64.b64encode(payload_text.encode("utf-8", errors="surrogatepass")).decode()
    return json.dumps({**document, "raw": raw, "tenant": tenant, "device_id": device_id, "received_at": received_at_ms})


def manifest() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((PAYLOADS / "manifest.json").read_text())
    return spec


def received_at_ms() -> int:
    return int(datetime.fromisoformat(manifest()["received_at"]).timestamp() * 1000)


def _topic_device(payload_text: str, entry: dict[str, Any]) -> str:
    if "topic_device_id" in entry:
        return str(entry["topic_device_id"])
    try:
        return str(json.loads(payload_text)["device"]["id"])
    except (ValueError, KeyError, TypeError):
        return "oxi-0001"  # broken payloads are published by some device; which one does not matter


def load_messages() -> list[CorpusMessage]:
    """Good messages first, then bad ones (one bad case reuses a good reading id)."""
    spec = manifest()
    messages = []
    for entry, good in [(e, True) for e in spec["good"]] + [(e, False) for e in spec["bad"]]:
        text = (PAYLOADS / entry["file"]).read_text()
        body = rule_output(text, entry.get("topic_tenant", spec["tenant"]), _topic_device(text, entry),
                           received_at_ms())
        messages.append(CorpusMessage(
            file=entry["file"], body=body,
            expected_reason=None if good else entry["reason"],
            expected_patient_id=entry.get("patient_id"),
        ))
    return messages


def registry() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((EVENTS / "registry.json").read_text())
    return spec
