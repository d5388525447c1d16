"""``make demo``: deploy the real CDK app to the local cloud, register two municipalities' patients,
devices and plans, let ~100 simulated patients publish 14 days of readings over MQTT, run the
functions until the queues drain, and show what the nurses received; then a demo nurse acknowledges a red
through the response centre's API (the acknowledged red is told no more, an unacknowledged one escalates),
the cancer and mental-health patients' answers are followed from the app to the centre's worklist,
a few simulated oximeters show the advice they are told (and measure again when prompted),
and the centre APIs' URLs, users and a working ``curl`` line are printed. In a terminal the local cloud
stays up 30 minutes (``--stay-up``) for a person to try them; Ctrl-C stops it. Stops everything it started.

    python -m localcloud.demo [--emulator moto|localstack] [--patients 50] [--days 14] [--seed 7] [--stay-up 30]

``moto`` (default): the moto harness with the local IoT, Lambda runner and SNS outbox (verified here).
``localstack``: LocalStack in Docker (``localstack/docker-compose.yml``, needs LOCALSTACK_AUTH_TOKEN),
deployed with cdklocal; its own IoT, Lambda and SNS do the work.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dho.adapters.dynamodb_plans import DynamoDbPlans
from dho.adapters.dynamodb_registry import DynamoDbRegistry
from dho.adapters.dynamodb_timeline import DynamoDbTimeline
from dho.alerting.messages import patient_code
from dho.domain.alerts import AlertPolicySettings
from dho.domain.metrics import Metric
from dho.domain.plans import SelfManagementPlan
from localcloud.centre_api import LocalCentreApi
from localcloud.demo.centre import Acknowledgement, acknowledge_and_sweep, api_lines, by_centre, seed_enrolments
from localcloud.demo.patients_told import show_advice
from localcloud.demo.report import (
    Reconciliation,
    TenantReport,
    alert_burden,
    detection,
    first_alerts,
    most_severe_alert,
    tenant_report,
)
from localcloud.demo.reporting_patients import REPORTING, show_reporting_patients
from localcloud.demo.timeline_plot import plot_timeline
from localcloud.demo_cloud import DemoCloud
from localcloud.local_cloud import REPO_ROOT, running_local_cloud
from localcloud.localstack_cloud import LocalStackUnavailable, running_localstack_cloud
from localcloud.quarantine_listing import days_between
from localcloud.registry_seed import seed_registry
from localcloud.simulator.cli import default_window
from localcloud.simulator.publisher import MqttPublisher, paho_connector
from localcloud.simulator.runner import publish_all
from localcloud.simulator.simulation import Settings, Simulation, all_patients, simulate
from localcloud.token_desk import running_token_desk

OUT = REPO_ROOT / "build" / "demo"
ASSEMBLY_DIR = REPO_ROOT / "build" / "localcloud" / "demo-cdk.out"
STATE = REPO_ROOT / ".local" / "demo"
TENANTS = ("bodo", "sunnfjord")


def _say(text: str) -> None:
    print(text, flush=True)


def _register(cloud: DemoCloud, simulation: Simulation) -> None:
    dynamodb = cloud.aws("dynamodb")
    registries = simulation.registries()
    enrolled = seed_enrolments(cloud, cloud.centre_apis, registries, simulation.start.date())
    for tenant, document in registries.items():
        table = cloud.tenants[tenant].table_name
        seed_registry(DynamoDbRegistry(dynamodb, table), document)
        plans = DynamoDbPlans(dynamodb, table)
        for plan in document["plans"]:
            plans.save(SelfManagementPlan.model_validate(plan))
        _say(f"   {tenant}: {len(document['patients'])} patients, {len(document['devices'])} devices, plans v1, "
             f"{enrolled.get(tenant, 0)} enrolled with their centre (synthetic names)")


def _centre_status(cloud: DemoCloud, now: datetime) -> list[str]:
    """Whether each response centre is open now, from the alert policy the functions were deployed with."""
    lines = []
    for tenant_id, tenant in sorted(cloud.tenants.items()):
        settings = AlertPolicySettings.from_tenant_policy(tenant.environment.get("DHO_ALERT_POLICY", "{}"))
        hours = settings.opening_hours
        if hours is None or hours.is_open(now):
            lines.append(f"{tenant_id}: response centre open now: alerts go to the centre's nurses")
        else:
            opening = hours.next_opening(now).astimezone(hours.zone)
            lines.append(f"{tenant_id}: response centre closed now: reds go to the out-of-hours clinic, "
                         f"yellows wait for the opening {opening:%a %H:%M}")
    return lines


def _truth_check(simulation: Simulation, reports: list[TenantReport]) -> list[str]:
    truth = simulation.ground_truth()
    opened = first_alerts(reports)
    stable = [p["patient_id"] for p in truth["stable_patients"]]
    stable_alerted = [p for p in stable if p in opened]
    patients = len(stable) + len({d["patient_id"] for d in truth["deteriorations"]})
    days = (simulation.end - simulation.start).total_seconds() / 86400
    found = detection(truth["deteriorations"], opened)
    return [found.summary(), found.delays_per_kind(),
            f"stable patients with an alert: {len(stable_alerted)} of {len(stable)}",
            alert_burden(reports, patients, days)]


def _plot(cloud: DemoCloud, reports: list[TenantReport], simulation: Simulation) -> Path | None:
    measuring = {p.patient_id for p in all_patients(simulation) if p.programme not in REPORTING}
    chosen = most_severe_alert(reports, among=measuring)  # the plot shows measurements, not answers
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


def _print_outbox(cloud: DemoCloud, limit: int) -> None:
    entries = cloud.nurse_messages()
    by_channel = Counter(e.channel for e in entries)
    _say(f"\nwhat the nurses received (outbox {cloud.outbox_location}): "
         f"{by_channel['sms']} SMS, {by_channel['email']} e-mails")
    for entry in entries[:limit]:
        _say(f"   {entry.printable()}")
    if len(entries) > limit:
        _say(f"   ... {len(entries) - limit} more")


@contextmanager
def _running_cloud(emulator: str, things: dict[str, str]) -> Iterator[DemoCloud]:
    if emulator == "localstack":
        _say("1. local cloud: LocalStack (docker compose) + cdklocal bootstrap + cdklocal deploy --all ...")
        with running_localstack_cloud(ASSEMBLY_DIR) as localstack:
            yield localstack
        return
    _say("1. local cloud: moto harness + cdk bootstrap + cdk deploy --all of the real app ...")
    with running_local_cloud(ASSEMBLY_DIR, things=things, state_dir=STATE) as moto:
        yield moto


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localcloud.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--emulator", choices=("moto", "localstack"), default="moto",
                        help="moto (default, runs anywhere) or localstack (Docker + LOCALSTACK_AUTH_TOKEN)")
    parser.add_argument("--patients", type=int, default=50, help="per tenant (default 50: ~100 in all)")
    parser.add_argument("--days", type=float, default=14.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--stay-up", type=float, default=30.0 if sys.stdin.isatty() else 0.0, metavar="MINUTES",
                        help="keep the local cloud and the centre APIs running this long at the end "
                             "(default: 30 in a terminal, else 0)")
    args = parser.parse_args(argv)
    began = time.monotonic()
    OUT.mkdir(parents=True, exist_ok=True)

    start, end = default_window(args.days, datetime.now(UTC))
    simulation = simulate(Settings(tenants=TENANTS, patients=args.patients, days=args.days, seed=args.seed),
                          start=start, end=end)
    (OUT / "truth.json").write_text(json.dumps(simulation.ground_truth(), indent=1, ensure_ascii=False))
    things = {d["device_id"]: tenant for tenant, doc in simulation.registries().items() for d in doc["devices"]}

    if STATE.exists():
        shutil.rmtree(STATE)  # a fresh outbox and logs for this run
    try:
        with _running_cloud(args.emulator, things) as cloud:
            return _run(cloud, simulation, args.days, began, args.stay_up)
    except LocalStackUnavailable as error:
        _say(f"   {error}")
        return 2


def _run(cloud: DemoCloud, simulation: Simulation, days: float, began: float, stay_up_minutes: float) -> int:
    _say(f"   deployed {', '.join(sorted(t.stack_name for t in cloud.tenants.values()))} "
         f"to {cloud.endpoint} ({time.monotonic() - began:.0f} s)")
    for line in _centre_status(cloud, datetime.now(UTC)):
        _say(f"   {line}")
    host, port = cloud.device_address
    _say(f"2. MQTT: {cloud.broker_kind} broker, devices connect to {host}:{port}")
    _say("3. registering patients, devices and plans")
    _register(cloud, simulation)
    _say(f"4. simulator: {len(simulation.messages)} messages over {days:g} days, publishing (QoS 1)")
    publisher = MqttPublisher(paho_connector(host, port))
    try:
        with contextlib.redirect_stdout(sys.stderr):
            report = publish_all(simulation, publisher, show_progress=True)
    finally:
        publisher.close()
    _say(f"   published {report.published} in {report.seconds:.1f} s")
    try:
        cloud.after_publishing(report.published)
    except TimeoutError as error:  # the reconciliation below shows what is missing
        _say(f"   {error}")
    _say("5. running the functions until the queues are empty ...")
    processing = time.monotonic()
    cloud.drain(timeout=600)
    _say(f"   drained in {time.monotonic() - processing:.0f} s")
    apis = by_centre(cloud.centre_apis)
    _say("6. patients who report in the app: cancer (ESAS-r daily) and mental health (PHQ-9 and GAD-7 weekly), "
         "app -> timeline -> score -> alert -> worklist")
    for line in show_reporting_patients(cloud, simulation, _reports(cloud, simulation), apis):
        _say(f"   {line}")
    shown = _centre_apis(cloud, apis)
    reports = _reports(cloud, simulation)
    balanced = _summarise(cloud, simulation, reports)
    stopped = shown is None or shown.sms_acknowledged == 0
    _say("\n8. the patient's side: three simulated oximeters listen to their advice topic and measure SpO2 now; "
         "a prompt to measure again is followed 5 simulated minutes later")
    for line in show_advice(cloud, simulation):
        _say(f"   {line}")
    with running_token_desk(apis):
        _say("\nthe response centres' APIs (tokens of a local issuer that plays HelseID)")
        for line in api_lines(apis) if apis else ["not served by this emulator's run (the moto path serves them)"]:
            _say(f"   {line}")
        _say(f"\ndone in {time.monotonic() - began:.0f} s")
        _stay_up(stay_up_minutes)
    return 0 if balanced and stopped else 1


def _reports(cloud: DemoCloud, simulation: Simulation) -> list[TenantReport]:
    now = datetime.now(UTC)
    arrivals = days_between(simulation.start, now)  # every day a message can have arrived on
    return [tenant_report(cloud.aws("dynamodb"), cloud.tenants[t].table_name, t, arrival_days=arrivals, now=now,
                          at_most=len(simulation.messages)) for t in TENANTS]


def _centre_apis(cloud: DemoCloud, apis: dict[str, LocalCentreApi]) -> Acknowledgement | None:
    """Step 7: a demo nurse acknowledges a red over HTTP, then the escalation sweep runs 16 minutes on."""
    later = datetime.now(UTC) + timedelta(minutes=16)
    _say("7. the centres' APIs: a demo nurse acknowledges a red over HTTP; escalation sweep 16 minutes later ...")
    shown = None
    for api in apis.values():
        others = [other for other in apis.values() if other is not api]
        shown = shown or acknowledge_and_sweep(cloud, api, later, others)
    if shown is None:  # no two reds due to show it with: the sweep alone
        schedule = {"time": later.strftime("%Y-%m-%dT%H:%M:%SZ"), "source": "aws.events"}
        for tenant in cloud.tenants:
            cloud.invoke(tenant, "escalate_alerts", schedule)
        _say("   no two patients with reds due by then: nothing to acknowledge (try more --patients)")
        return None
    for line in shown.lines():
        _say(f"   {line}")
    return shown


def _stay_up(minutes: float) -> None:
    if minutes <= 0:
        _say("stopping the local cloud (--stay-up MINUTES keeps it running)")
        return
    _say(f"the local cloud stays up for {minutes:g} min for you to try the APIs; Ctrl-C stops it now")
    with contextlib.suppress(KeyboardInterrupt):
        time.sleep(minutes * 60)
    _say("stopping the local cloud")


def _summarise(cloud: DemoCloud, simulation: Simulation, reports: list[TenantReport]) -> bool:
    stats = simulation.stats()
    delivery = cloud.delivery()
    _say("\nper tenant")
    for report in reports:
        s = stats[report.tenant]
        reasons = ", ".join(f"{r} {n}" for r, n in sorted(report.quarantined.items())) or "-"
        _say(f"   {report.tenant:<10} published {s.messages:>5} (duplicates {s.duplicates}, bad {sum(s.bad.values())})"
             f" | stored {report.stored} | quarantined {sum(report.quarantined.values())} ({reasons})"
             f" | alerts red {report.alerts['red']}, yellow {report.alerts['yellow']}")
    reconciliation = Reconciliation(
        published=sum(s.messages for s in stats.values()), stored=sum(r.stored for r in reports),
        quarantined=sum(sum(r.quarantined.values()) for r in reports), refused=delivery.refused,
        rule_errors=delivery.not_evaluated, filtered=delivery.filtered,
        duplicates=sum(s.duplicates for s in stats.values()))
    if delivery.received is not None:
        _say(f"\nrules engine: received {delivery.received}, delivered to the readings queues {delivery.delivered}, "
             f"sent to the error action {delivery.not_evaluated} (not JSON)")
    _say(f"reconciliation: {reconciliation.line()}")
    _print_outbox(cloud, limit=12)
    _say("\nground truth")
    for line in _truth_check(simulation, reports):
        _say(f"   {line}")
    picture = _plot(cloud, reports, simulation)
    if picture:
        _say(f"\ntimeline of the patient with the most severe alert: {picture}")
    return reconciliation.balanced


if __name__ == "__main__":
    sys.exit(main())
