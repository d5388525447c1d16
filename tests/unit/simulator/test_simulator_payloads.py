"""Every good message is what the platform's parser accepts; every bad one is refused for its reason."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
import pytest

from dho.domain.metrics import Metric
from dho.domain.readings import DeviceReading
from dho.domain.rejections import PayloadRejected
from localcloud.simulator.payloads import DeviceMessage, MessageKind
from localcloud.simulator.simulation import Simulation

Parse = Callable[[DeviceMessage, Simulation], DeviceReading]
SCHEMA = json.loads((Path(__file__).resolve().parents[3] / "events/schema/device-reading.v1.schema.json").read_text())


def test_every_good_payload_parses_and_matches_the_published_schema(two_tenants: Simulation,
                                                                   parse_message: Parse) -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    good = [m for m in two_tenants.messages if m.kind is not MessageKind.BAD]
    for message in good:
        reading = parse_message(message, two_tenants)
        assert (reading.device_id, reading.measured_at) == (message.device_id, message.measured_at)
        validator.validate(json.loads(message.payload))
    assert len(good) > 4500  # 100 patients for 14 days (a tenth of them answer questionnaires only)


def test_devices_in_other_units_are_converted_to_plausible_canonical_values(two_tenants: Simulation,
                                                                          parse_message: Parse) -> None:
    converted = {"[lb_av]": (Metric.BODY_WEIGHT, 40, 140), "mg/dL": (Metric.BLOOD_GLUCOSE, 2, 20),
                 "[degF]": (Metric.BODY_TEMPERATURE, 35.5, 40)}
    seen = set()
    for message in two_tenants.messages:
        document = json.loads(message.payload) if message.kind is MessageKind.GOOD else {}
        for wire in document.get("measurements", []):
            if wire["unit"] in converted:
                seen.add(wire["unit"])
                metric, low, high = converted[wire["unit"]]
                (measurement,) = parse_message(message, two_tenants).measurements
                assert measurement.metric is metric and low < measurement.value < high
    assert "[lb_av]" in seen


def test_every_bad_payload_is_refused_with_its_expected_reason(two_tenants: Simulation, parse_message: Parse) -> None:
    bad = [m for m in two_tenants.messages if m.kind is MessageKind.BAD]
    assert len({m.expected_reason for m in bad}) >= 3
    for message in bad:
        with pytest.raises(PayloadRejected) as refused:
            parse_message(message, two_tenants)
        assert refused.value.reason == message.expected_reason, message.payload


def test_a_duplicate_is_the_same_text_as_a_message_sent_before_it(two_tenants: Simulation) -> None:
    sent: set[tuple[str, str]] = set()
    duplicates = 0
    for message in two_tenants.messages:
        if message.kind is MessageKind.DUPLICATE:
            assert (message.topic, message.payload) in sent
            duplicates += 1
        sent.add((message.topic, message.payload))
    assert duplicates > 0


def test_reading_ids_are_unique_per_device_except_for_duplicates(two_tenants: Simulation) -> None:
    ids = [(m.device_id, json.loads(m.payload)["reading_id"]) for m in two_tenants.messages
           if m.kind is MessageKind.GOOD]
    assert len(ids) == len(set(ids))
