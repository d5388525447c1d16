"""SNS fails during an alerting burst, then recovers: every patient pushed into red gets a red alert,
and the nurses get exactly one message for that change (the alerts one evaluation raises share one
message), late (through the outbox that the escalation sweep empties) but not lost."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta

from dho.alerting.messages import patient_code
from dho.domain.metrics import Metric
from localcloud.campaign import readings
from localcloud.campaign.faults import short_visibility
from localcloud.campaign.ledger import Ledger, recent_tenant_report, tally
from localcloud.campaign.row import Row
from localcloud.campaign.runner import Campaign
from localcloud.simulator.cohort import DeviceKind

EXPECTED = "one red alert per patient, one message per change"
RED_SPO2 = 84.0  # NEWS2 scores SpO2 <= 91 % 3 points: red on its own
# The sweep publishes an outbox entry once it is due: a grace period (60 s) after its alert was written.
SWEEP_LATER = timedelta(minutes=3)


def run(campaign: Campaign) -> Row:
    devices = campaign.fleet.take_devices(campaign.settings.alert_burst, kind=DeviceKind.OXIMETER,
                                          one_per_patient=True)
    burst = readings.batch(devices, len(devices), prefix="burst", now=campaign.clock(), seed=campaign.settings.seed,
                           max_age=timedelta(minutes=10), overrides={Metric.SPO2: RED_SPO2})
    failed_before = campaign.faults.sns_failed
    with short_visibility(campaign.cloud):
        with campaign.faults.sns_outage():
            before = campaign.checkpoint()
            campaign.publish(burst.messages)
            campaign.wait_for_rules(before, burst.published)
            campaign.cloud.drain(settle=3.0)  # the failed batches come back (and fail again) meanwhile
        campaign.cloud.drain(settle=3.0)  # SNS is back: what is still queued goes through
    failed = campaign.faults.sns_failed - failed_before
    later = (campaign.clock() + SWEEP_LATER).strftime("%Y-%m-%dT%H:%M:%SZ")
    swept = {tenant: campaign.cloud.invoke(tenant, "escalate_alerts", {"time": later, "source": "aws.events"})
             for tenant in campaign.cloud.tenants}
    messages = campaign.cloud.nurse_messages()

    dynamodb = campaign.cloud.aws("dynamodb")
    alerts: dict[str, Counter[str]] = defaultdict(Counter)
    for name, deployment in campaign.cloud.tenants.items():
        for item in recent_tenant_report(dynamodb, deployment.table_name, name).alert_items:
            alerts[item["pk"]["S"].removeprefix("PATIENT#")][item["severity"]["S"]] += 1
    lost = duplicated = crossed = 0
    for device in devices:
        code = patient_code(device.patient_id)
        sent = {m.message_id for m in messages if f" {code}" in m.text}
        # One change per patient (into red); its alerts share one message ("... (+1 til)").
        lost += alerts[device.patient_id]["red"] == 0 or not sent
        duplicated += max(0, len(sent) - 1)
        crossed += any(m.topic_arn != campaign.cloud.tenants[device.tenant].alert_topic_arn
                       for m in messages if f" {code}" in m.text)
    counted = tally(Ledger.read(campaign.cloud), burst.expected)
    red = sum(alerts[d.patient_id]["red"] > 0 for d in devices)
    notes = [f"{failed} SNS publish(es) failed during the outage; outbox swept at +{SWEEP_LATER}",
             f"readings: {counted.observed()}",
             "sweep: " + "; ".join(f"{t}: notified {s['notified']}, redelivered {s['redelivered']}"
                                   for t, s in swept.items())]
    return Row.judged("fault: SNS outage", burst.published, EXPECTED,
                      f"{red} of {len(devices)} patients with a red alert; {len(devices) - lost} told once, "
                      f"{duplicated} extra message(s)",
                      lost=lost + counted.lost, duplicated=duplicated + counted.duplicated,
                      crossed_tenants=crossed + counted.crossed_tenants, other_failures=int(failed == 0), notes=notes)
