"""DynamoDB throttles the write of every fifth reading mid-batch (after the SDK's own retries): the
record fails alone, SQS brings it back, and it is stored exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from localcloud.campaign.faulted import run_batch
from localcloud.campaign.readings import Batch
from localcloud.campaign.row import Row
from localcloud.campaign.runner import Campaign

EXPECTED = "every reading stored once, late but not lost"


def run(campaign: Campaign) -> Row:
    chosen: set[str] = set()

    @contextmanager
    def throttled(batch: Batch) -> Iterator[None]:
        chosen.update(reading.reading_id for reading in batch.expected[::5])
        campaign.faults.throttle_first_write_of(chosen)
        yield

    throttled_before = campaign.faults.throttled
    outcome = run_batch(campaign, "throttle", throttled)
    fired = campaign.faults.throttled - throttled_before
    counted = outcome.tally
    notes = [f"{fired} of {len(chosen)} chosen writes answered ProvisionedThroughputExceededException",
             f"{outcome.dead_lettered} message(s) dead-lettered"]
    if counted.lost_ids:
        notes.append(f"lost, e.g.: {', '.join(counted.lost_ids)}")
    return Row.judged("fault: DynamoDB throttling", outcome.batch.published, EXPECTED, counted.observed(),
                      lost=counted.lost, duplicated=counted.duplicated, crossed_tenants=counted.crossed_tenants,
                      other_failures=int(fired != len(chosen)) + outcome.dead_lettered, notes=notes)
