"""A fault part's common course: a batch of good readings published while a fault is in force, the
functions run until the queues are empty (failed messages come back after seconds, see
:func:`~localcloud.campaign.faults.short_visibility`), then the count of what was stored."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from localcloud.campaign import readings
from localcloud.campaign.faults import short_visibility
from localcloud.campaign.ledger import Ledger, Tally, tally
from localcloud.campaign.readings import Batch
from localcloud.campaign.runner import Campaign


@dataclass(frozen=True)
class Outcome:
    batch: Batch
    tally: Tally
    dead_lettered: int  # messages the queues gave up on (in a DLQ: nobody processes them again)
    ledger: Ledger


def dead_letters(campaign: Campaign) -> int:
    sqs = campaign.cloud.aws("sqs")
    return sum(int(sqs.get_queue_attributes(QueueUrl=t.dead_letter_queue_url, AttributeNames=[
        "ApproximateNumberOfMessages"])["Attributes"]["ApproximateNumberOfMessages"])
        for t in campaign.cloud.tenants.values())


def run_batch(campaign: Campaign, prefix: str, fault: Callable[[Batch], AbstractContextManager[object]], *,
              devices: int = 20, wait: float = 600.0) -> Outcome:
    """``fault(batch)``: the context in force while the batch is published and processed."""
    chosen = campaign.fleet.take_devices(devices)
    batch = readings.batch(chosen, campaign.settings.fault_readings, prefix=prefix, now=campaign.clock(),
                           seed=campaign.settings.seed)
    dead_before = dead_letters(campaign)
    with short_visibility(campaign.cloud), fault(batch):
        before = campaign.checkpoint()
        campaign.publish(batch.messages)
        campaign.settle(before, batch.published, timeout=wait)
    ledger = Ledger.read(campaign.cloud)
    return Outcome(batch, tally(ledger, batch.expected), dead_letters(campaign) - dead_before, ledger)
