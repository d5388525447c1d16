"""Batches of good readings for the parts: spread over chosen devices, measured at random times in the
last days (so they arrive out of order), a share of them published twice (a device resending after a
lost PUBACK), each with the identity of the device and patient it belongs to."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from dho.domain.metrics import Metric
from localcloud.campaign.fleet import FleetDevice, reading_payload
from localcloud.campaign.ledger import Expected
from localcloud.simulator.payloads import DeviceMessage, MessageKind

# The platform accepts readings up to 14 days old; stay well inside so a slow run does not age them out.
MAX_AGE = timedelta(days=10)


@dataclass(frozen=True)
class Batch:
    messages: list[DeviceMessage]  # in publishing order
    expected: list[Expected]  # one per distinct reading
    duplicates: int

    @property
    def published(self) -> int:
        return len(self.messages)


def batch(devices: Sequence[FleetDevice], published: int, *, prefix: str, now: datetime, seed: int,
          duplicate_share: float = 0.0, max_age: timedelta = MAX_AGE,
          overrides: dict[Metric, float] | None = None) -> Batch:
    """``published`` messages in all, of which ``round(published * duplicate_share)`` are resends."""
    rng = random.Random(f"{seed}:{prefix}")
    duplicates = round(published * duplicate_share)
    originals: list[DeviceMessage] = []
    expected: list[Expected] = []
    for index in range(published - duplicates):
        device = devices[index % len(devices)]
        reading_id = f"{prefix}-{device.device_id}-{index:06d}"
        measured_at = now - timedelta(seconds=rng.uniform(60, max_age.total_seconds()))
        payload = reading_payload(device, reading_id, measured_at, rng, overrides)
        originals.append(DeviceMessage(device.tenant, device.device_id, device.patient_id, payload, measured_at,
                                       now))
        expected.append(Expected(reading_id, device.tenant, device.device_id, device.patient_id))
    resent = [DeviceMessage(m.tenant, m.device_id, m.patient_id, m.payload, m.measured_at, m.send_at,
                            MessageKind.DUPLICATE) for m in rng.sample(originals, duplicates)]
    messages = originals + resent
    rng.shuffle(messages)  # out of order: neither measured times nor resends arrive in sequence
    return Batch(messages, expected, duplicates)
