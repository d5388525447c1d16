"""DynamoDB reads that lag the writes (eventually consistent, as AWS serves them by default): patients
pushed into red and, within the lag, back to green, the same readings resent, and the escalation sweep run
while its due index still shows the old state. Each reading is stored once, each patient gets one red
alert and one message.

moto answers every read consistently, so this part starts its own local cloud with the moto harness's
lagging-read mode on (``DHO_LOCAL_DYNAMODB_READ_LAG_MS``, read by the harness subprocess when it starts)
and first checks that the mode bites: a write is invisible to an eventually consistent read and visible
to a consistent one."""

from __future__ import annotations

import dataclasses
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from dho.domain.metrics import Metric
from localcloud.campaign import readings
from localcloud.campaign.ledger import Ledger, tally
from localcloud.campaign.row import Row
from localcloud.campaign.runner import Campaign
from localcloud.campaign.told import red_alerts_told
from localcloud.local_cloud import LocalCloud, running_local_cloud
from localcloud.moto_harness.dynamodb_eventual_consistency import LAG_VARIABLE
from localcloud.simulator.cohort import DeviceKind

EXPECTED = "every reading stored once, one red alert and one message per patient"
PART = "fault: eventual consistency"
# Far above a real replica's lag (usually under a second), so that every read of the part is stale: its
# two publishes each wait out the readings mapping's batching window (5 s) before their batch runs.
LAG = timedelta(seconds=25)
RED_SPO2, GREEN_SPO2 = 84.0, 97.0
SWEEP_LATER = timedelta(minutes=3)  # past the outbox's grace: anything left undelivered is due


@contextmanager
def lagging_reads(lag: timedelta) -> Iterator[None]:
    """The environment a moto harness started inside this block inherits."""
    previous = os.environ.get(LAG_VARIABLE)
    os.environ[LAG_VARIABLE] = str(int(lag.total_seconds() * 1000))
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(LAG_VARIABLE, None)
        else:
            os.environ[LAG_VARIABLE] = previous


def reads_lag(cloud: LocalCloud) -> bool:
    """A fresh item is missing from an eventually consistent read and present in a consistent one."""
    dynamodb: Any = cloud.aws("dynamodb")
    table = next(iter(cloud.tenants.values())).table_name
    key = {"pk": {"S": "CAMPAIGN#consistency-probe"}, "sk": {"S": uuid.uuid4().hex}}
    dynamodb.put_item(TableName=table, Item=key)
    try:
        stale = "Item" not in dynamodb.get_item(TableName=table, Key=key)
        return stale and "Item" in dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True)
    finally:
        dynamodb.delete_item(TableName=table, Key=key)


def run(campaign: Campaign) -> Row:
    with lagging_reads(LAG), running_local_cloud(campaign.cloud.assembly_dir, things=campaign.fleet.things,
                                                 state_dir=campaign.state_dir / "consistency") as cloud:
        campaign.fleet.register(cloud.aws("dynamodb"), {t: d.table_name for t, d in cloud.tenants.items()})
        return _run(dataclasses.replace(campaign, cloud=cloud))


def _sweep(campaign: Campaign) -> dict[str, Any]:
    later = (campaign.clock() + SWEEP_LATER).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {tenant: campaign.cloud.invoke(tenant, "escalate_alerts", {"time": later, "source": "aws.events"})
            for tenant in campaign.cloud.tenants}


def _run(campaign: Campaign) -> Row:
    if not reads_lag(campaign.cloud):
        return Row.judged(PART, 0, EXPECTED, "the lagging-read mode did not take effect", lost=0, duplicated=0,
                          crossed_tenants=0, other_failures=1,
                          notes=[f"{LAG_VARIABLE} was set, but a fresh item was visible to an eventually "
                                 "consistent read: the harness did not start in the lagging mode"])
    devices = campaign.fleet.take_devices(campaign.settings.alert_burst, kind=DeviceKind.OXIMETER,
                                          one_per_patient=True)
    seed, now = campaign.settings.seed, campaign.clock()
    red = readings.batch(devices, len(devices), prefix="lag-red", now=now - timedelta(minutes=2), seed=seed,
                         max_age=timedelta(minutes=10), overrides={Metric.SPO2: RED_SPO2})
    green = readings.batch(devices, len(devices), prefix="lag-green", now=now, seed=seed,
                           max_age=timedelta(seconds=61), overrides={Metric.SPO2: GREEN_SPO2})
    began = time.monotonic()
    before = campaign.checkpoint()
    campaign.publish(red.messages)  # into red: one alert and one message each
    campaign.settle(before, red.published, quiet=0.2)
    before = campaign.checkpoint()
    again = red.messages + green.messages  # within the lag: the reds resent, then back to green
    campaign.publish(again)
    campaign.settle(before, len(again), quiet=0.2)
    swept_early = _sweep(campaign)  # its due index (a GSI: never consistent) still shows the old state
    within_lag = time.monotonic() - began < LAG.total_seconds()
    time.sleep(max(0.0, LAG.total_seconds() - (time.monotonic() - began)))
    swept_late = _sweep(campaign)  # the replicas have caught up

    told = red_alerts_told(campaign.cloud, devices)
    counted = tally(Ledger.read(campaign.cloud), red.expected + green.expected)
    notes = [f"reads lag writes by {LAG.total_seconds():.0f} s (probe: a fresh item invisible to an eventually "
             f"consistent read); the resends, the green readings and the first sweep came "
             f"{'within' if within_lag else 'AFTER'} the lag",
             f"readings: {counted.observed()}",
             "sweeps at +3 min, within and after the lag, notified: "
             + ", ".join(str(sum(int(s["notified"]) for s in swept.values())) for swept in (swept_early, swept_late))]
    if counted.lost_ids:
        notes.append(f"lost, e.g.: {', '.join(counted.lost_ids)}")
    return Row.judged(PART, len(red.messages) + len(again), EXPECTED, f"{told.observed()}; {counted.observed()}",
                      lost=told.lost + counted.lost, duplicated=told.duplicated + counted.duplicated,
                      crossed_tenants=told.crossed_tenants + counted.crossed_tenants,
                      other_failures=int(not within_lag), notes=notes, figures={"lag_s": LAG.total_seconds()})
