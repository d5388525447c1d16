"""process_readings dies after handling half of a batch (a timeout, an out-of-memory kill): Lambda
returns the whole batch to the queue; the half already handled comes back as replays, stored once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from localcloud.campaign.faulted import run_batch
from localcloud.campaign.faults import crashing_after_half_a_batch
from localcloud.campaign.readings import Batch
from localcloud.campaign.row import Row
from localcloud.campaign.runner import Campaign

EXPECTED = "every reading stored once after the retry"


def run(campaign: Campaign) -> Row:
    crashes: list[list[int]] = []

    @contextmanager
    def crashing(_batch: Batch) -> Iterator[None]:
        with ExitStack() as stack:
            for tenant in campaign.cloud.tenants:
                crashes.append(stack.enter_context(crashing_after_half_a_batch(campaign.cloud, tenant, crashes=2)))
            yield

    outcome = run_batch(campaign, "crash", crashing)
    happened = sum(c[0] for c in crashes)
    counted = outcome.tally
    notes = [f"{happened} invocation(s) died after half their batch", f"{outcome.dead_lettered} dead-lettered"]
    if counted.lost_ids:
        notes.append(f"lost, e.g.: {', '.join(counted.lost_ids)}")
    return Row.judged("fault: function crash", outcome.batch.published, EXPECTED, counted.observed(),
                      lost=counted.lost, duplicated=counted.duplicated, crossed_tenants=counted.crossed_tenants,
                      other_failures=int(happened == 0) + outcome.dead_lettered, notes=notes)
