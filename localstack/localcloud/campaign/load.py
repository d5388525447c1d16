"""Load: N readings from 200 devices with 5 % duplicates and out-of-order times, published over MQTT as
the devices; the demo's reconciliation must balance exactly, and the pipeline's throughput is measured."""

from __future__ import annotations

import time

from localcloud.campaign import readings
from localcloud.campaign.ledger import Ledger, recent_tenant_report, tally
from localcloud.campaign.row import Row
from localcloud.campaign.runner import Campaign
from localcloud.demo.report import Reconciliation

EXPECTED = "published = stored + duplicates + quarantined, exactly"


def _totals(campaign: Campaign) -> tuple[int, int]:
    dynamodb = campaign.cloud.aws("dynamodb")
    reports = [recent_tenant_report(dynamodb, t.table_name, name) for name, t in campaign.cloud.tenants.items()]
    return sum(r.stored for r in reports), sum(sum(r.quarantined.values()) for r in reports)


def run(campaign: Campaign) -> Row:
    settings = campaign.settings
    devices = campaign.fleet.take_devices(settings.devices)
    load = readings.batch(devices, settings.readings, prefix="load", now=campaign.clock(), seed=settings.seed,
                          duplicate_share=settings.duplicate_share)
    stored_before, quarantined_before = _totals(campaign)
    before = campaign.checkpoint()
    began = time.monotonic()
    publish_seconds = campaign.publish(load.messages)
    campaign.settle(before, load.published)
    pipeline_seconds = time.monotonic() - began
    stored_after, quarantined_after = _totals(campaign)
    delivery = campaign.since(before)
    reconciliation = Reconciliation(
        published=load.published, stored=stored_after - stored_before,
        quarantined=quarantined_after - quarantined_before, refused=delivery.refused,
        rule_errors=delivery.rule_errors, filtered=delivery.filtered, duplicates=load.duplicates)
    counted = tally(Ledger.read(campaign.cloud), load.expected)
    throughput = load.published / pipeline_seconds
    notes = [reconciliation.line(),
             f"{len(devices)} devices in {len(campaign.cloud.tenants)} tenants; published in {publish_seconds:.0f} s "
             f"({load.published / publish_seconds:.0f} messages/s); through the whole local pipeline (MQTT, rules, "
             f"SQS, process_readings, DynamoDB) in {pipeline_seconds:.0f} s: {throughput:.1f} readings/s"]
    if counted.lost_ids:
        notes.append(f"lost, e.g.: {', '.join(counted.lost_ids)}")
    return Row.judged("load", load.published, EXPECTED,
                      f"stored {reconciliation.stored} + duplicates {load.duplicates} + quarantined "
                      f"{reconciliation.quarantined} (+ refused {delivery.refused}, rule errors "
                      f"{delivery.rule_errors}) = {reconciliation.accounted}",
                      lost=counted.lost, duplicated=counted.duplicated, crossed_tenants=counted.crossed_tenants,
                      other_failures=0 if reconciliation.balanced else 1, notes=notes,
                      figures={"readings_per_s": round(throughput, 1), "publish_s": round(publish_seconds, 1),
                               "pipeline_s": round(pipeline_seconds, 1), "devices": len(devices)})
