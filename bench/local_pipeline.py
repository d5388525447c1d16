"""Local cloud throughput, end to end: simulated devices publish readings over MQTT (QoS 1) through the
front door, the broker and the rules engine into the tenants' SQS queues, and process_readings runs from
them (the real handler, SQS batches as its event source mapping would give them) until they are empty.

    .venv/bin/python -m bench.local_pipeline [--patients 10] [--days 7] [--label after] [--profile]

Appends one run to ``bench/results/local_pipeline.json`` (keyed by ``--label``): messages, seconds to
publish, to the last message through the rules engine, to drained, end-to-end readings/s, and whether
every message is accounted for (stored + quarantined + refused + rule errors + filtered + duplicates).
``--profile`` runs the draining side under cProfile and writes the top functions next to it.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dho.adapters.dynamodb_plans import DynamoDbPlans
from dho.adapters.dynamodb_registry import DynamoDbRegistry
from dho.domain.plans import SelfManagementPlan
from localcloud.demo.report import tenant_report
from localcloud.local_cloud import REPO_ROOT, LocalCloud, running_local_cloud
from localcloud.quarantine_listing import days_between
from localcloud.registry_seed import seed_registry
from localcloud.simulator.cli import default_window
from localcloud.simulator.publisher import MqttPublisher, paho_connector
from localcloud.simulator.runner import publish_all
from localcloud.simulator.simulation import Settings, Simulation, simulate

RESULTS = Path(__file__).resolve().parent / "results"
ASSEMBLY_DIR = REPO_ROOT / "build" / "localcloud" / "bench-cdk.out"
TENANTS = ("bodo", "sunnfjord")


def _register(cloud: LocalCloud, simulation: Simulation) -> None:
    dynamodb = cloud.aws("dynamodb")
    for tenant, document in simulation.registries().items():
        table = cloud.tenants[tenant].table_name
        seed_registry(DynamoDbRegistry(dynamodb, table), document)
        plans = DynamoDbPlans(dynamodb, table)
        for plan in document["plans"]:
            plans.save(SelfManagementPlan.model_validate(plan))


def _accounted(cloud: LocalCloud, simulation: Simulation) -> dict[str, int]:
    stats = simulation.stats()
    now = datetime.now(UTC)
    arrivals = days_between(simulation.start, now)  # every day a message can have arrived on
    reports = [tenant_report(cloud.aws("dynamodb"), cloud.tenants[t].table_name, t, arrival_days=arrivals, now=now,
                             at_most=len(simulation.messages)) for t in TENANTS]
    delivery = cloud.delivery()
    parts = {"stored": sum(r.stored for r in reports),
             "quarantined": sum(sum(r.quarantined.values()) for r in reports),
             "refused_at_front_door": delivery.refused, "rule_error_action": delivery.not_evaluated,
             "filtered": delivery.filtered, "duplicates": sum(s.duplicates for s in stats.values())}
    return {**parts, "accounted": sum(parts.values()), "published": sum(s.messages for s in stats.values())}


def _cpu_seconds() -> dict[str, float]:
    """CPU time (user + system) of this process and every process below it, by part: unlike wall time,
    barely moved by other jobs on the machine. ``bench``: this process (the devices, the front door,
    the rules engine, the queue pollers); ``harness``: moto; ``functions``: the functions' execution
    environments (forked from this process); ``other``: the broker and the rest."""
    ticks = os.sysconf("SC_CLK_TCK")
    processes: dict[int, tuple[int, float, str]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # exited meanwhile
            continue
        processes[int(stat.parent.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks, command)
    me = os.getpid()
    mine = {me}
    while grown := {pid for pid, (parent, _, _) in processes.items() if parent in mine} - mine:
        mine |= grown
    parts = {"bench": 0.0, "harness": 0.0, "functions": 0.0, "other": 0.0}
    for pid in mine & processes.keys():
        _, seconds, command = processes[pid]
        part = ("bench" if pid == me else "harness" if "moto_harness" in command
                else "functions" if command == processes[me][2] else "other")
        parts[part] += seconds
    return parts


def run(patients: int, days: float, profile: Path | None) -> dict[str, Any]:
    start, end = default_window(days, datetime.now(UTC))
    simulation = simulate(Settings(tenants=TENANTS, patients=patients, days=days, seed=7), start=start, end=end)
    things = {d["device_id"]: tenant for tenant, doc in simulation.registries().items() for d in doc["devices"]}
    began = time.monotonic()
    with running_local_cloud(ASSEMBLY_DIR, things=things, state_dir=REPO_ROOT / ".local" / "bench") as cloud:
        started = time.monotonic() - began
        _register(cloud, simulation)
        profiler = cProfile.Profile() if profile else None
        t0, cpu0 = time.monotonic(), _cpu_seconds()
        host, port = cloud.device_address
        publisher = MqttPublisher(paho_connector(host, port))
        try:
            report = publish_all(simulation, publisher, show_progress=False)
        finally:
            publisher.close()
        published_at = time.monotonic()
        if profiler:
            profiler.enable()
        cloud.after_publishing(report.published, timeout=3600)
        through_rules_at = time.monotonic()
        cloud.drain(timeout=3600, settle=0.5)
        drained_at, cpu1 = time.monotonic(), _cpu_seconds()
        cpu = {part: round(cpu1[part] - cpu0[part], 1) for part in cpu1}
        if profiler:
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
            assert profile is not None
            profile.write_text(out.getvalue())
            profiler.dump_stats(profile.with_suffix(".prof"))
        accounted = _accounted(cloud, simulation)
        # batches a queue runs at once (1 where the functions run in this process)
        concurrency = [len(getattr(route, "environments", ())) or 1 for route in cloud.pump.routes]
        invocations = sum(stats.invocations for stats in cloud.pump.stats.values())
    # drain() waits `settle` seconds of quiet before it returns: that wait is not processing.
    seconds = drained_at - t0 - 0.5
    return {"messages": report.published, "devices": len(things), "startup_s": round(started, 1),
            "publish_s": round(published_at - t0, 1), "through_rules_engine_s": round(through_rules_at - t0, 1),
            "drained_s": round(seconds, 1), "readings_per_s": round(report.published / seconds, 1),
            "cpu_s": cpu, "cpu_ms_per_reading": round(sum(cpu.values()) * 1000 / report.published, 2),
            "batches_at_once_per_queue": concurrency, "invocations": invocations,
            "load_average_1min": round(os.getloadavg()[0], 1),
            "reconciliation": accounted, "all_accounted_for": accounted["accounted"] == accounted["published"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.local_pipeline", description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=10, help="per tenant (two tenants)")
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--label", default="current", help="the key this run is stored under")
    parser.add_argument("--profile", action="store_true", help="cProfile the draining side")
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    profile = RESULTS / f"local_pipeline_profile_{args.label}.txt" if args.profile else None
    with contextlib.redirect_stdout(sys.stderr):
        result = run(args.patients, args.days, profile)
    result |= {"patients_per_tenant": args.patients, "days": args.days,
               "measured": datetime.now(UTC).strftime("%Y-%m-%d")}
    path = RESULTS / "local_pipeline.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results[args.label] = result
    path.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0 if result["all_accounted_for"] else 1


if __name__ == "__main__":
    sys.exit(main())
