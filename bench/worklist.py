"""The response centre's worklist latency on the local cloud: the real CDK app deployed to the moto harness
(as ``make demo`` does), a centre with 300 enrolled patients and 50 open alerts, and the worklist asked
for over real HTTP (the local HTTP API, its JWT authorizer, the centre_api function, the moto server)
with a real token of the local issuer, as a nurse's page would.

    .venv/bin/python -m bench.worklist [--patients 300] [--alerts 50] [--requests 200] [--label branch]

Writes ``bench/results/worklist.json`` (keyed by ``--label``): p50/p95/p99/mean/max in ms over
``--requests`` sequential requests after ``--warm-up`` ones, the rows each answer carried, and the load
average before and after (2 cores shared with other work: the load is part of the result). Every
request is checked: status 200 and all the open alerts on the list.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dho.adapters.dynamodb_alerts import DynamoDbAlerts
from dho.adapters.dynamodb_enrolments import DynamoDbEnrolments
from dho.domain.alerts import Alert, AlertState, alert_id_for
from dho.domain.findings import Rule, Severity
from localcloud.centre_api import LocalCentreApi
from localcloud.demo.centre import by_centre, demo_enrolments, demo_nurse
from localcloud.local_cloud import REPO_ROOT, LocalCloud, running_local_cloud

RESULTS = Path(__file__).resolve().parent / "results"
ASSEMBLY_DIR = REPO_ROOT / "build" / "localcloud" / "bench-cdk.out"
CENTRE, TENANT = "salten", "bodo"
TARGET_P95_MS = 300.0
RED_SHARE = 0.4  # of the open alerts; the rest yellow


def _seed(cloud: LocalCloud, api: LocalCentreApi, patients: int, alerts: int, now: datetime) -> None:
    """``patients`` enrolled in the centre's tenant, the first ``alerts`` of them with one open alert each."""
    dynamodb, table = cloud.aws("dynamodb"), cloud.tenants[TENANT].table_name
    documents = [{"patient_id": f"P-BENCH{n:05d}", "programme": "copd"} for n in range(patients)]
    enrolments = DynamoDbEnrolments(dynamodb, table)
    for enrolment in demo_enrolments(api, TENANT, documents, now.date()):
        enrolments.enrol(enrolment)
    store = DynamoDbAlerts(dynamodb, table)
    for n, document in enumerate(documents[:alerts]):
        opened = now - timedelta(minutes=5 * (n + 1))
        severity = Severity.RED if n < alerts * RED_SHARE else Severity.YELLOW
        patient = document["patient_id"]
        store.save(Alert(alert_id_for(patient, Rule.SPO2_BAND, opened), patient, Rule.SPO2_BAND, severity,
                         AlertState.OPEN, opened, opened, opened, (f"r-{n}",), "SpO2 out of band", "bench"), None)


def _worklist(api: LocalCentreApi, token: str) -> tuple[float, int]:
    """Seconds for one worklist over HTTP, and its rows."""
    request = urllib.request.Request(f"{api.url}/worklist", headers={"Authorization": f"Bearer {token}"})
    began = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
    elapsed = time.perf_counter() - began
    if response.status != 200:
        raise RuntimeError(f"the worklist answered {response.status}")
    return elapsed, len(json.loads(body)["rows"])


def run(patients: int, alerts: int, requests: int, warm_up: int) -> dict[str, Any]:
    load_before = os.getloadavg()
    with running_local_cloud(ASSEMBLY_DIR, things={}, state_dir=REPO_ROOT / ".local" / "bench-worklist") as cloud:
        api = by_centre(cloud.centre_apis)[CENTRE]
        nurse = demo_nurse(api)
        assert nurse is not None, "the tenant file names no nurse at the centre"
        _seed(cloud, api, patients, alerts, datetime.now(UTC))
        token = api.token(nurse)
        for _ in range(max(warm_up, 1)):  # also waits out the triage index (eventually consistent)
            _, rows = _worklist(api, token)
        deadline = time.monotonic() + 30
        while rows < alerts and time.monotonic() < deadline:
            time.sleep(0.2)
            _, rows = _worklist(api, token)
        timings: list[float] = []
        for n in range(requests):
            if n and n % 100 == 0:
                token = api.token(nurse)  # tokens live 10 minutes, as HelseID's do
            elapsed, rows = _worklist(api, token)
            if rows != alerts:
                raise RuntimeError(f"the worklist had {rows} rows, not {alerts}")
            timings.append(elapsed * 1000)
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    return {"patients": patients, "open_alerts": alerts, "requests": requests, "warm_up": warm_up,
            "p50_ms": round(statistics.median(timings), 1), "p95_ms": round(cuts[94], 1),
            "p99_ms": round(cuts[98], 1), "mean_ms": round(statistics.fmean(timings), 1),
            "max_ms": round(max(timings), 1), "target_p95_ms": TARGET_P95_MS,
            "p95_met": cuts[94] < TARGET_P95_MS, "cpus": os.cpu_count(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worklist", description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--alerts", type=int, default=50)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warm-up", type=int, default=10)
    parser.add_argument("--label", default="current")
    args = parser.parse_args(argv)
    result = run(args.patients, args.alerts, args.requests, args.warm_up)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "worklist.json"
    runs: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    runs[args.label] = result
    path.write_text(json.dumps(runs, indent=1, sort_keys=True) + "\n")
    print(f"worklist over HTTP, {args.patients} patients, {args.alerts} open alerts, {args.requests} requests: "
          f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms (target < {TARGET_P95_MS:g}: "
          f"{'met' if result['p95_met'] else 'NOT met'}), load average {result['load_average_before'][0]} -> "
          f"{result['load_average_after'][0]}; {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
