"""What a device's app is told to expect of the patient: which measurements and which questionnaires are
due and how often, from the plan's measurement and questionnaire schedules. Sent retained (QoS 1) on the device's own
``dho/<tenant>/devices/<deviceId>/config`` topic, so an app that connects later gets the newest one.

Intervals, not clock times: the message stays true until the plan changes (it is sent again then), and
the app counts from the patient's own last measurement. The platform's overdue reminder
(``overdue`` text of the plan) does not depend on the app having it. Codes only: never a name, a
national id, the patient id or a value.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from dho.domain.plans import MeasurementSchedule, SelfManagementPlan

_MESSAGE_IDS = uuid.UUID("0b3f3f8e-6a0c-4c7e-9d1e-5f2a7c9e4d21")  # namespace of config message ids

# A zero-byte retained publish deletes the topic's retained message (MQTT 3.1.1 3.3.1.3; IoT Core alike):
# sent when a device comes back, so no one subscribing later gets the previous holder's schedule.
CLEARED_CONFIG = b""


def config_topic(tenant_id: str, device_id: str) -> str:
    return f"dho/{tenant_id}/devices/{device_id}/config"


@dataclass(frozen=True, slots=True)
class DeviceConfig:
    tenant_id: str
    device_id: str
    plan: SelfManagementPlan

    @property
    def topic(self) -> str:
        return config_topic(self.tenant_id, self.device_id)

    @property
    def message_id(self) -> str:
        """The same plan version on the same device is the same message: a resend can be dropped."""
        return str(uuid.uuid5(_MESSAGE_IDS, f"{self.tenant_id}/config/{self.device_id}/{self.plan.version}"))

    def payload(self, sent_at: datetime) -> bytes:
        measurements = [{"metric": metric.value, **_interval(s)}
                        for metric, s in sorted(self.plan.measurement_schedule().items())]
        questionnaires = [{"questionnaire": questionnaire, **_interval(s)}
                          for questionnaire, s in sorted(self.plan.questionnaire_schedule().items())]
        paused = self.plan.paused_until
        return json.dumps({
            "message_id": self.message_id, "kind": "config", "plan_version": self.plan.version,
            "measurements": measurements, "questionnaires": questionnaires,
            "paused_until": None if paused is None else paused.isoformat(), "sent_at": sent_at.isoformat(),
        }, separators=(",", ":")).encode()


def _interval(schedule: MeasurementSchedule) -> dict[str, int]:
    return {"every_hours": schedule.every_hours, "grace_hours": schedule.grace_hours}
