"""The JSON Schema that device makers get is the one the parser enforces."""

from __future__ import annotations

import json

from dho.domain.payload_json_schema import device_payload_json_schema
from localcloud.corpus import EVENTS, PAYLOADS, manifest


def test_the_checked_in_schema_matches_the_wire_models() -> None:
    published = json.loads((EVENTS / "schema" / "device-reading.v1.schema.json").read_text())
    assert published == device_payload_json_schema(), (
        "regenerate: python -m dho.domain.payload_json_schema > events/schema/device-reading.v1.schema.json")


def test_every_good_corpus_payload_uses_only_fields_the_schema_declares() -> None:
    declared = set(device_payload_json_schema()["properties"])
    for entry in manifest()["good"]:
        assert set(json.loads((PAYLOADS / entry["file"]).read_text())) <= declared, entry["file"]
