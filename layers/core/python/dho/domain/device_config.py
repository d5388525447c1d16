"""What a device's app is told to expect of the patient: which measurements and which questionnaire are
due and how often, from the plan's expected measurements. Sent retained (QoS 1) on the device's own
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

from dho.domain.plans import Programme, SelfManagementPlan
from dho.domain.symptoms import Questionnaire

_MESSAGE_IDS = uuid.UUID("0b3f3f8e-6a0c-4c7e-9d1e-5f2a7c9e4d21")  # namespace of config message ids

# A zero-byte retained publish deletes the topic's retained message (MQTT 3.1.1 3.3.1.3; IoT Core alike):
# sent when a device comes back, so no one subscribing later gets the previous holder's schedule.
CLEARED_CONFIG = b""

# The programme's symptom questionnaire (COPD and heart-failure action plans); the others have none.
QUESTIONNAIRE_OF: dict[Programme, Questionnaire] = {
    Programme.COPD: Questionnaire.COPD,
    Programme.COPD_HYPERCAPNIC: Questionnaire.COPD,
    Programme.HEART_FAILURE: Questionnaire.HEART_FAILURE,
}


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
        schedule = sorted(self.plan.measurement_schedule().items())
        measurements = [{"metric": metric.value, "every_hours": s.every_hours, "grace_hours": s.grace_hours}
                        for metric, s in schedule]
        questionnaire = QUESTIONNAIRE_OF.get(self.plan.programme)
        # (guess) the questionnaire goes with the most frequent measurement: the patient's daily routine.
        questionnaires = [] if questionnaire is None or not schedule else [
            {"questionnaire": questionnaire.value, "every_hours": min(s.every_hours for _, s in schedule)}]
        paused = self.plan.paused_until
        return json.dumps({
            "message_id": self.message_id, "kind": "config", "plan_version": self.plan.version,
            "measurements": measurements, "questionnaires": questionnaires,
            "paused_until": None if paused is None else paused.isoformat(), "sent_at": sent_at.isoformat(),
        }, separators=(",", ":")).encode()
