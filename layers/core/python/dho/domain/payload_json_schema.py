"""The published JSON Schema of device payload v1, generated from the wire models.

``python -m dho.domain.payload_json_schema > events/schema/device-reading.v1.schema.json`` refreshes
the checked-in copy; a test fails when the two differ.
"""

from __future__ import annotations

import json
from typing import Any

from dho.domain.payload_schema import SCHEMA_V1, DevicePayloadV1


def device_payload_json_schema() -> dict[str, Any]:
    schema = DevicePayloadV1.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": f"urn:dho:schema:{SCHEMA_V1}",
            **schema}


if __name__ == "__main__":
    print(json.dumps(device_payload_json_schema(), indent=2, ensure_ascii=False))
