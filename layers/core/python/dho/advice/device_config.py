"""Publish the retained config message (``dho.domain.device_config``) to the devices a patient holds,
when a plan version is saved or a device is handed out, and clear it when a device comes back. A failed
publish never undoes the change that caused it: the plan version, hand-out or return stands, and the next
plan version or hand-out sends the config again; the app keeps the previous one meanwhile (it is retained
by the broker)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from dho.domain.clock import utc_now
from dho.domain.device_config import CLEARED_CONFIG, DeviceConfig, config_topic
from dho.domain.plans import SelfManagementPlan
from dho.ports import DeviceMessenger


class DeviceConfigPublisher:
    def __init__(self, tenant_id: str, messenger: DeviceMessenger, clock: Callable[[], datetime] = utc_now) -> None:
        self._tenant_id = tenant_id
        self._messenger = messenger
        self._clock = clock

    def publish(self, plan: SelfManagementPlan, device_ids: Iterable[str]) -> list[str]:
        """Send ``plan``'s config to each device, each on its own; the devices it reached."""
        return self._retain_each(device_ids, lambda device_id: DeviceConfig(self._tenant_id, device_id, plan)
                                 .payload(self._clock()))

    def clear(self, device_ids: Iterable[str]) -> list[str]:
        """Drop each returned device's retained config, so its next holder is never told the last one's
        schedule; the devices it reached."""
        return self._retain_each(device_ids, lambda _: CLEARED_CONFIG)

    def _retain_each(self, device_ids: Iterable[str], payload_of: Callable[[str], bytes]) -> list[str]:
        reached: list[str] = []
        for device_id in sorted(set(device_ids)):
            try:
                self._messenger.publish(config_topic(self._tenant_id, device_id), payload_of(device_id), retain=True)
            except Exception:  # one device's failure leaves the others told; the change stands (module doc)
                continue
            reached.append(device_id)
        return reached
