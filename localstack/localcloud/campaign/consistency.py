"""DynamoDB reads that lag the writes (eventually consistent, as AWS serves them by default): a batch
still stores each reading once and raises each alert once. Needs the moto harness's eventual-consistency
mode; without it the row says so (NOT RUN) instead of passing on moto's always-consistent reads."""

from __future__ import annotations

from localcloud.campaign.faults import eventual_consistency_patch
from localcloud.campaign.row import Row
from localcloud.campaign.runner import Campaign

EXPECTED = "every reading stored once, each alert once"


def run(campaign: Campaign) -> Row:
    patch = eventual_consistency_patch()
    if patch is None:
        return Row.not_run("fault: eventual consistency", EXPECTED,
                           "the moto harness has no eventually-consistent mode on this branch: moto answers every "
                           "read consistently, so a pass here would prove nothing")
    return Row.not_run("fault: eventual consistency", EXPECTED,
                       f"harness patch {patch} exists, but the campaign does not yet switch it on for one part")
