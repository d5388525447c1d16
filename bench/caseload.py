"""The caseload review's cost on the local cloud: the real CDK app on the moto harness (as ``bench.worklist``),
a centre with 300 enrolled patients (50 with an open alert), and the whole caseload read over real HTTP in
pages of 50 as the demo nurse's page would. Counts the DynamoDB calls the centre function makes (it runs in
this process) and times each page; the worklist is timed in the same run as the load's yardstick, so
``page_over_worklist`` compares runs made under different loads.

    PYTHONPATH=localstack .venv/bin/python -m bench.caseload [--patients 300] [--page 50] [--measured 0]
        [--label branch]

``--measured N``: the first N patients also get a COPD plan (SpO2 and pulse daily) and a reading of both on
each of the last 14 days, stored as ingest stores them (``DynamoDbTimeline.store_reading``), so their rows
read the expected metrics for adherence.

Writes ``bench/results/caseload.json`` (keyed by ``--label``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from bench.worklist import ASSEMBLY_DIR, CENTRE, RESULTS, TENANT, _seed, _worklist
from dho.adapters.dynamodb_plans import DynamoDbPlans
from dho.adapters.dynamodb_timeline import DynamoDbTimeline
from dho.domain.metrics import Metric
from dho.domain.plans import Programme, plan_from_template
from dho.domain.readings import DeviceReading, Measurement
from localcloud.demo.centre import by_centre, demo_nurse
from localcloud.local_cloud import REPO_ROOT, running_local_cloud


class _Calls:
    """DynamoDB API calls made through boto3's default session (the in-process function's client)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_operation: dict[str, int] = {}

    def __call__(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.by_operation[model.name] = self.by_operation.get(model.name, 0) + 1


def _get(url: str, token: str) -> tuple[float, dict[str, Any]]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    began = time.perf_counter()
    with urllib.request.urlopen(request, timeout=300) as response:
        body = json.loads(response.read())
    return time.perf_counter() - began, body


def _seed_measured(cloud: Any, patients: int, now: datetime) -> None:
    """The first ``patients`` of the seed with a COPD plan and 14 days of daily SpO2 + pulse readings."""
    dynamodb, table = cloud.aws("dynamodb"), cloud.tenants[TENANT].table_name
    plans, timeline = DynamoDbPlans(dynamodb, table), DynamoDbTimeline(dynamodb, table)
    for n in range(patients):
        patient = f"P-BENCH{n:05d}"
        plans.save(plan_from_template(patient, Programme.COPD, now - timedelta(days=30)))
        for day in range(14, 0, -1):
            at = now - timedelta(days=day, minutes=n % 60)
            timeline.store_reading(DeviceReading(TENANT, f"oxi-b{n:05d}", f"b-{n}-{day}", at, at, (
                Measurement(Metric.SPO2, 94.0, "%"), Measurement(Metric.HEART_RATE, 72.0, "/min"))), patient)


def run(patients: int, alerts: int, page: int, worklist_requests: int, measured: int = 0) -> dict[str, Any]:
    load_before = os.getloadavg()
    calls = _Calls()
    boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION is not None
    boto3.DEFAULT_SESSION.events.register("before-call.dynamodb", calls)
    with running_local_cloud(ASSEMBLY_DIR, things={}, state_dir=REPO_ROOT / ".local" / "bench-caseload") as cloud:
        api = by_centre(cloud.centre_apis)[CENTRE]
        nurse = demo_nurse(api)
        assert nurse is not None, "the tenant file names no nurse at the centre"
        _seed(cloud, api, patients, alerts, datetime.now(UTC))
        _seed_measured(cloud, min(measured, patients), datetime.now(UTC))
        token = api.token(nurse)
        _get(f"{api.url}/caseload?limit=1", token)  # warm: the function's clients and imports
        worklist_ms = [_worklist(api, token)[0] * 1000 for _ in range(worklist_requests)]
        calls.by_operation.clear()
        pages_ms: list[float] = []
        rows, after = 0, None
        while True:
            query = {"limit": str(page), **({"after": after} if after else {})}
            elapsed, body = _get(f"{api.url}/caseload?{urllib.parse.urlencode(query)}", token)
            pages_ms.append(elapsed * 1000)
            rows += len(body["rows"])
            after = body["next_page"]
            if not after:
                break
        counted = dict(calls.by_operation)
    if rows != patients:
        raise RuntimeError(f"the caseload had {rows} rows, not {patients}")
    worklist_p50 = statistics.median(worklist_ms)
    page_p50 = statistics.median(pages_ms)
    return {"patients": patients, "open_alerts": alerts, "measured": measured, "page": page, "pages": len(pages_ms),
            "total_s": round(sum(pages_ms) / 1000, 2), "page_p50_ms": round(page_p50, 1),
            "page_max_ms": round(max(pages_ms), 1), "worklist_p50_ms": round(worklist_p50, 1),
            "page_over_worklist": round(page_p50 / worklist_p50, 1),
            "dynamodb_calls": counted, "dynamodb_calls_per_row": round(sum(counted.values()) / rows, 2),
            "cpus": os.cpu_count(), "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.caseload", description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--alerts", type=int, default=50)
    parser.add_argument("--page", type=int, default=50)
    parser.add_argument("--worklist-requests", type=int, default=20)
    parser.add_argument("--measured", type=int, default=0, help="patients with a plan and 14 days of readings")
    parser.add_argument("--label", default="current")
    args = parser.parse_args(argv)
    result = run(args.patients, args.alerts, args.page, args.worklist_requests, args.measured)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "caseload.json"
    runs: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    runs[args.label] = result
    path.write_text(json.dumps(runs, indent=1, sort_keys=True) + "\n")
    print(f"caseload over HTTP, {args.patients} patients in pages of {args.page}: {result['total_s']} s, page p50 "
          f"{result['page_p50_ms']} ms ({result['page_over_worklist']} x the worklist's p50), "
          f"{result['dynamodb_calls_per_row']} DynamoDB calls per row; {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
