"""The MQTT broker restarts mid-stream: devices reconnect and resend what was not acknowledged (QoS 1),
the rules engine resubscribes; every reading is stored once, late but not lost."""

from __future__ import annotations

import time

from localcloud.campaign import readings
from localcloud.campaign.faults import restart_broker
from localcloud.campaign.ledger import Ledger, tally
from localcloud.campaign.row import Row
from localcloud.campaign.runner import Campaign

EXPECTED = "every reading stored once, late but not lost"
# How long the part waits for the rules to see every message; past it the missing ones count as lost.
WAIT_S = 60.0


def run(campaign: Campaign) -> Row:
    devices = campaign.fleet.take_devices(20)
    batch = readings.batch(devices, campaign.settings.fault_readings, prefix="broker", now=campaign.clock(),
                           seed=campaign.settings.seed)
    half = batch.published // 2
    before = campaign.checkpoint()
    campaign.publish(batch.messages[:half])  # acknowledged by the broker, not necessarily by the rules yet
    began = time.monotonic()
    broker = restart_broker(campaign.cloud, campaign.state_dir / "mqtt")
    campaign.cleanup.callback(broker.stop)
    restart_s = time.monotonic() - began
    campaign.publish(batch.messages[half:])
    notes = [f"broker ({broker.kind}) restarted after {half} of {batch.published} messages, in {restart_s:.1f} s"]
    try:
        campaign.wait_for_rules(before, batch.published, timeout=WAIT_S)
    except TimeoutError as error:
        notes.append(str(error))
    campaign.cloud.drain()
    counted = tally(Ledger.read(campaign.cloud), batch.expected)
    if counted.lost_ids:
        notes.append(f"lost, e.g.: {', '.join(counted.lost_ids)}")
    return Row.judged("fault: broker restart", batch.published, EXPECTED, counted.observed(), lost=counted.lost,
                      duplicated=counted.duplicated, crossed_tenants=counted.crossed_tenants, notes=notes)
