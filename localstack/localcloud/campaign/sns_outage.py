"""SNS fails during an alerting burst, then recovers: every patient pushed into red gets a red alert,
and the nurses get exactly one message for that change (the alerts one evaluation raises share one
message), late (through the outbox that the escalation sweep empties) but not lost."""

from __future__ import annotations

from datetime import timedelta

from dho.domain.metrics import Metric
from localcloud.campaign import readings
from localcloud.campaign.faults import short_visibility
from localcloud.campaign.ledger import Ledger, tally
from localcloud.campaign.row import Row
from localcloud.campaign.runner import Campaign
from localcloud.campaign.told import red_alerts_told
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
    told = red_alerts_told(campaign.cloud, devices)
    redelivered = sum(int(s["redelivered"]) for s in swept.values())  # late, from the outbox: not lost
    counted = tally(Ledger.read(campaign.cloud), burst.expected)
    notes = [f"{failed} SNS publish(es) failed during the outage; outbox swept at +{SWEEP_LATER}",
             f"readings: {counted.observed()}",
             "sweep: " + "; ".join(f"{t}: notified {s['notified']}, redelivered {s['redelivered']}"
                                   for t, s in swept.items())]
    return Row.judged("fault: SNS outage", burst.published, EXPECTED,
                      told.observed(), lost=told.lost + counted.lost, duplicated=told.duplicated + counted.duplicated,
                      crossed_tenants=told.crossed_tenants + counted.crossed_tenants,
                      other_failures=int(failed == 0) + int(redelivered != len(devices)), notes=notes,
                      figures={"sns_failed": failed, "redelivered_by_sweep": redelivered})
