"""The MQTT broker restarts mid-stream, while it holds messages it acknowledged to the devices but has not
yet handed to the rules engine: devices reconnect and resend what was not acknowledged (QoS 1), the rules
engine's persistent session gets the backlog after it reconnects; every reading is stored once, late but
not lost."""

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
# The rules engine's SQS sends are held back this long while the first half is published, so the broker
# still holds a backlog when it stops (otherwise the restart could find nothing in flight and prove nothing).
SLOW_SEND_S = 0.25
DOWN_S = 1.0


def run(campaign: Campaign) -> Row:
    devices = campaign.fleet.take_devices(20)
    batch = readings.batch(devices, campaign.settings.fault_readings, prefix="broker", now=campaign.clock(),
                           seed=campaign.settings.seed)
    half = batch.published // 2
    engine = campaign.cloud.iot.engine
    before, delivered_before = campaign.checkpoint(), engine.total.delivered
    with campaign.faults.slow_sqs_sends(SLOW_SEND_S):
        campaign.publish(batch.messages[:half])  # acknowledged by the broker, not yet all by the rules
        backlog = half - (engine.total.delivered - delivered_before)
        began = time.monotonic()
        broker = restart_broker(campaign.cloud, down_for=DOWN_S)
        restart_s = time.monotonic() - began
    campaign.publish(batch.messages[half:])
    notes = [f"broker ({broker.kind}, persistent: {broker.persistent}) stopped after {half} of {batch.published} "
             f"messages with {backlog} of them not yet delivered by the rules engine; back in {restart_s:.1f} s"]
    try:
        campaign.wait_for_rules(before, batch.published, timeout=WAIT_S)
    except TimeoutError as error:
        notes.append(str(error))
    campaign.cloud.drain()
    counted = tally(Ledger.read(campaign.cloud), batch.expected)
    if counted.lost_ids:
        notes.append(f"lost, e.g.: {', '.join(counted.lost_ids)}")
    return Row.judged("fault: broker restart", batch.published, EXPECTED, counted.observed(), lost=counted.lost,
                      duplicated=counted.duplicated, crossed_tenants=counted.crossed_tenants,
                      other_failures=int(backlog <= 0), notes=notes,
                      figures={"backlog_at_restart": backlog, "restart_s": round(restart_s, 1)})
