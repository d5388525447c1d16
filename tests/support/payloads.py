"""Build device messages (payload + the IoT rule's fields) for unit tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

RECEIVED_AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def message(*, measurements: list[dict[str, Any]] | None = None, tenant: str = "bodo",
            device_id: str = "oxi-0001", received_at: datetime = RECEIVED_AT, **overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "schema": "dho.device-reading/1",
        "device": {"id": device_id},
        "reading_id": f"{device_id}-000001",
        "measured_at": "2026-11-20T11:55:00Z",
        "measurements": measurements if measurements is not None else [
            {"metric": "spo2", "value": 95, "unit": "%"}],
        "tenant": tenant,
        "device_id": device_id,
        "received_at": int(received_at.timestamp() * 1000),
    }
    document.update(overrides)
    return document


def body(**kwargs: Any) -> str:
    return json.dumps(message(**kwargs))


def one(metric: str, value: Any, unit: str) -> list[dict[str, Any]]:
    return [{"metric": metric, "value": value, "unit": unit}]
