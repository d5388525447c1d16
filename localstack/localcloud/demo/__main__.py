"""``make demo``: deploy the real CDK app to the local cloud, register two municipalities' patients,
devices and plans, let ~100 simulated patients publish 14 days of readings over MQTT, run the
functions until the queues drain, and show what the nurses received. Stops everything it started.

    python -m localcloud.demo [--patients 50] [--days 14] [--seed 7]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dho.adapters.dynamodb_plans import DynamoDbPlans
from dho.adapters.dynamodb_registry import DynamoDbRegistry
from dho.adapters.dynamodb_timeline import DynamoDbTimeline
from dho.alerting.messages import patient_code
from dho.domain.metrics import Metric
from dho.domain.plans import SelfManagementPlan
from localcloud.demo.report import TenantReport, most_severe_alert, tenant_report
from localcloud.demo.timeline_plot import plot_timeline
from localcloud.local_cloud import REPO_ROOT, LocalCloud, running_local_cloud
from localcloud.registry_seed import seed_registry
from localcloud.simulator.cli import default_window
from localcloud.simulator.publisher import MqttPublisher, paho_connector
from localcloud.simulator.runner import publish_all
from localcloud.simulator.simulation import Settings, Simulation, simulate

OUT = REPO_ROOT / "build" / "demo"
ASSEMBLY_DIR = REPO_ROOT / "build" / "localcloud" / "demo-cdk.out"
STATE = REPO_ROOT / ".local" / "demo"
TENANTS = ("bodo", "sunnfjord")


def _say(text: str) -> None:
    print(text, flush=True)


def _register(cloud: LocalCloud, simulation: Simulation) -> None:
    dynamodb = cloud.aws("dynamodb")
    for tenant, document in simulation.registries().items():
        table = cloud.tenants[tenant].table_name
        seed_registry(DynamoDbRegistry(dynamodb, table), document)
        plans = DynamoDbPlans(dynamodb, table)
        for plan in document["plans"]:
            plans.save(SelfManagementPlan.model_validate(plan))
        _say(f"   {tenant}: {len(document['patients'])} patients, {len(document['devices'])} devices, plans v1")


def _rule_counts(cloud: LocalCloud) -> Counter[str]:
    totals: Counter[str] = Counter()
    for counts in cloud.iot.engine.counts.values():
        totals.update({"received": counts.received, "delivered": counts.delivered, "errored": counts.errored,
                       "refused": counts.refused, "filtered": counts.filtered})
    return totals


def _wait_for_rules_engine(cloud: LocalCloud, published: int, timeout: float = 180.0) -> None:
    """Until every publish the front door let through has reached a rule (QoS 1: none may be lost)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        expected = published - cloud.iot.front_door.counts.publishes_refused
        if _rule_counts(cloud)["received"] >= expected:
            return
        cloud.pump.poll_all()  # keep the functions busy meanwhile
    _say(f"   the rules engine received {_rule_counts(cloud)['received']} of {published} within {timeout:.0f} s")


def _truth_check(simulation: Simulation, reports: list[TenantReport]) -> list[str]:
    truth = simulation.ground_truth()
    alerted = {patient for report in reports for patient in report.alerted_patients}
    catchable = [d for d in truth["deteriorations"] if d.get("active_at_window_end")]
    caught = [d for d in catchable if d["patient_id"] in alerted]
    stable = [p["patient_id"] for p in truth["stable_patients"]]
    stable_alerted = [p for p in stable if p in alerted]
    kinds = Counter(d["kind"] for d in caught)
    return [f"deteriorations active at the end of the window: {len(catchable)}, alerted: {len(caught)} "
            f"({', '.join(f'{k} {n}' for k, n in sorted(kinds.items())) or '-'})",
            f"stable patients with an alert: {len(stable_alerted)} of {len(stable)}"]


def _plot(cloud: LocalCloud, reports: list[TenantReport], simulation: Simulation) -> Path | None:
    chosen = most_severe_alert(reports)
    if chosen is None:
        return None
    tenant, patient = chosen
    dynamodb, table = cloud.aws("dynamodb"), cloud.tenants[tenant].table_name
    plan = DynamoDbPlans(dynamodb, table).current(patient)
    assert plan is not None
    timeline = DynamoDbTimeline(dynamodb, table)
    end = simulation.end + timedelta(hours=1)
    series = {m.value: list(timeline.query(patient, m.value, simulation.start, end)) for m in Metric}
    alerts = [a for r in reports if r.tenant == tenant for a in r.alert_items
              if a["pk"]["S"] == f"PATIENT#{patient}"]
    return plot_timeline(OUT / f"timeline-{patient_code(patient)}.png", patient_code(patient), plan, series,
                         alerts, simulation.start, simulation.end)


def _print_outbox(cloud: LocalCloud, limit: int) -> None:
    entries = cloud.outbox.entries
    by_channel = Counter(e.channel for e in entries)
    _say(f"\nwhat the nurses received (outbox {cloud.outbox.outbox_file}): "
         f"{by_channel['sms']} SMS, {by_channel['email']} e-mails")
    for entry in entries[:limit]:
        _say(f"   {entry.printable()}")
    if len(entries) > limit:
        _say(f"   ... {len(entries) - limit} more")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localcloud.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=50, help="per tenant (default 50: ~100 in all)")
    parser.add_argument("--days", type=float, default=14.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    began = time.monotonic()
    OUT.mkdir(parents=True, exist_ok=True)

    start, end = default_window(args.days, datetime.now(UTC))
    simulation = simulate(Settings(tenants=TENANTS, patients=args.patients, days=args.days, seed=args.seed),
                          start=start, end=end)
    (OUT / "truth.json").write_text(json.dumps(simulation.ground_truth(), indent=1, ensure_ascii=False))
    things = {d["device_id"]: tenant for tenant, doc in simulation.registries().items() for d in doc["devices"]}

    _say("1. local cloud: moto harness + cdk bootstrap + cdk deploy --all of the real app ...")
    if STATE.exists():
        shutil.rmtree(STATE)  # a fresh outbox and logs for this run
    with running_local_cloud(ASSEMBLY_DIR, things=things, state_dir=STATE) as cloud:
        _say(f"   deployed {', '.join(sorted(t.stack_name for t in cloud.tenants.values()))} "
             f"to {cloud.endpoint} ({time.monotonic() - began:.0f} s)")
        _say(f"2. MQTT: {cloud.iot.broker.kind} broker, devices connect to the IoT front door "
             f"{cloud.iot.device_host}:{cloud.iot.device_port}")
        _say("3. registering patients, devices and plans")
        _register(cloud, simulation)
        _say(f"4. simulator: {len(simulation.messages)} messages over {args.days:g} days, publishing (QoS 1)")
        publisher = MqttPublisher(paho_connector(cloud.iot.device_host, cloud.iot.device_port))
        try:
            with contextlib.redirect_stdout(sys.stderr):
                report = publish_all(simulation, publisher, show_progress=True)
        finally:
            publisher.close()
        _say(f"   published {report.published} in {report.seconds:.1f} s")
        _wait_for_rules_engine(cloud, report.published)
        _say("5. running the functions until the queues are empty ...")
        processing = time.monotonic()
        cloud.drain(timeout=600)
        _say(f"   drained in {time.monotonic() - processing:.0f} s (function logs: {STATE / 'functions.log'})")
        _say("6. escalation sweep 16 minutes later (nobody acknowledged the reds) ...")
        later = (datetime.now(UTC) + timedelta(minutes=16)).strftime("%Y-%m-%dT%H:%M:%SZ")
        swept = {t: cloud.invoke(t, "escalate_alerts", {"time": later, "source": "aws.events"}) for t in cloud.tenants}
        cloud.outbox.pump()
        _say("   " + ", ".join(f"{t}: {s['notified']} repeated" for t, s in swept.items()))

        reports = [tenant_report(cloud.aws("dynamodb"), cloud.tenants[t].table_name, t) for t in TENANTS]
        return _summarise(cloud, simulation, reports, began)


def _summarise(cloud: LocalCloud, simulation: Simulation, reports: list[TenantReport], began: float) -> int:
    stats = simulation.stats()
    rules = _rule_counts(cloud)
    refused = cloud.iot.front_door.counts.publishes_refused
    _say("\nper tenant")
    for report in reports:
        s = stats[report.tenant]
        reasons = ", ".join(f"{r} {n}" for r, n in sorted(report.quarantined.items())) or "-"
        _say(f"   {report.tenant:<10} published {s.messages:>5} (duplicates {s.duplicates}, bad {sum(s.bad.values())})"
             f" | stored {report.stored} | quarantined {sum(report.quarantined.values())} ({reasons})"
             f" | alerts red {report.alerts['red']}, yellow {report.alerts['yellow']}")
    published = sum(s.messages for s in stats.values())
    duplicates = sum(s.duplicates for s in stats.values())
    stored = sum(r.stored for r in reports)
    quarantined = sum(sum(r.quarantined.values()) for r in reports)
    not_evaluated = rules["refused"] + rules["errored"]  # e.g. not JSON: the rule's error action got it
    accounted = stored + quarantined + refused + not_evaluated + rules["filtered"] + duplicates
    _say(f"\nrules engine: received {rules['received']}, delivered to the readings queues {rules['delivered']}, "
         f"sent to the error action {not_evaluated} (not JSON)")
    _say(f"reconciliation: published {published} = stored {stored} + quarantined {quarantined}"
         f" + refused at the front door {refused} + rule error action {not_evaluated} + filtered {rules['filtered']}"
         f" + duplicates (stored once) {duplicates} = {accounted}  -> {'OK' if accounted == published else 'MISMATCH'}")
    _print_outbox(cloud, limit=12)
    _say("\nground truth")
    for line in _truth_check(simulation, reports):
        _say(f"   {line}")
    picture = _plot(cloud, reports, simulation)
    if picture:
        _say(f"\ntimeline of the patient with the most severe alert: {picture}")
    _say(f"\ndone in {time.monotonic() - began:.0f} s; stopping the local cloud")
    return 0 if accounted == published else 1


if __name__ == "__main__":
    sys.exit(main())
