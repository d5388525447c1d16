"""Whether each patient pushed into red has a red alert and was told exactly once: the distinct SNS
messages (by message id) in the nurses' outbox that name the patient's code, on its own tenant's topic.
The alerts one evaluation raises share one message ("... (+1 til)"), so one change is one message."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from dho.alerting.messages import patient_code
from localcloud.campaign.fleet import FleetDevice
from localcloud.campaign.ledger import recent_tenant_report
from localcloud.local_cloud import LocalCloud


@dataclass(frozen=True)
class Told:
    patients: int
    red: int  # patients with a red alert
    lost: int  # no red alert, or no message
    duplicated: int  # messages beyond the first per patient
    crossed_tenants: int  # a message about the patient on another tenant's topic

    def observed(self) -> str:
        return (f"{self.red} of {self.patients} patients with a red alert; {self.patients - self.lost} told once, "
                f"{self.duplicated} extra message(s)")


def red_alerts_told(cloud: LocalCloud, devices: Sequence[FleetDevice]) -> Told:
    """``devices``: one per patient, each patient's change being "into red"."""
    messages = cloud.nurse_messages()
    dynamodb = cloud.aws("dynamodb")
    alerts: dict[str, Counter[str]] = defaultdict(Counter)
    for name, deployment in cloud.tenants.items():
        for item in recent_tenant_report(dynamodb, deployment.table_name, name).alert_items:
            alerts[item["pk"]["S"].removeprefix("PATIENT#")][item["severity"]["S"]] += 1
    lost = duplicated = crossed = 0
    for device in devices:
        code = patient_code(device.patient_id)
        about = [m for m in messages if f" {code}" in m.text]
        sent = {m.message_id for m in about}
        lost += alerts[device.patient_id]["red"] == 0 or not sent
        duplicated += max(0, len(sent) - 1)
        crossed += any(m.topic_arn != cloud.tenants[device.tenant].alert_topic_arn for m in about)
    red = sum(alerts[d.patient_id]["red"] > 0 for d in devices)
    return Told(len(devices), red, lost, duplicated, crossed)
