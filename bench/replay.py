"""Replay throughput, DynamoDB requests per reading and per evaluation, and the functions' cold starts.

Run from the repository root: ``python -m bench.replay`` (``PYTHONPATH=localstack``: it uses the local
cloud's table definition). See bench/README.md for what is measured. Writes bench/results/replay.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

from bench.replay_cohort import write_cohort
from dho.replay import ReplayOptions, load_cohort
from dho.replay.runner import Replay, rule_body
from dho.replay.tenant import TenantReplay
from tests.support.scanning_replay import scanning_tenant

RESULTS = Path(__file__).parent / "results"
ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/handler.py"))
TARGET_EVALUATIONS_PER_S = 10_000
_BATCH = timedelta(minutes=15)  # the replay's default batch, for the DynamoDB count too


# ---- replay throughput ----------------------------------------------------------------------------------


def replay_throughput(directory: Path, *, scanning: bool = False, repeats: int = 1) -> dict[str, Any]:
    """Replays of the cohort in this process; CPU time of this process is the one-core figure. With
    ``repeats``, the fastest run counts (other jobs on a shared machine only ever add time)."""
    runs = []
    for _ in range(repeats):
        cohort = load_cohort(directory)
        replay = Replay(cohort, ReplayOptions(), scanning_tenant if scanning else TenantReplay)
        cpu, wall = time.process_time(), time.perf_counter()
        result = replay.run()
        runs.append((time.process_time() - cpu, time.perf_counter() - wall, result.summary))
    cpu, wall, summary = min(runs, key=lambda run: run[0])
    evaluations = summary["evaluations"]
    return {
        "stores": "test fakes (scan)" if scanning else "indexed in-memory (dho.adapters.memory_*)",
        "patients": summary["patients"], "messages": summary["messages"], "evaluations": evaluations,
        "adherence_checks": summary["adherence_checks"], "alerts_opened": summary["alerts"]["opened"],
        "cpu_seconds": round(cpu, 3), "wall_seconds": round(wall, 3),
        "evaluations_per_cpu_second": round(evaluations / cpu, 1),
        "evaluations_per_wall_second": round(evaluations / wall, 1),
        "messages_per_cpu_second": round(summary["messages"] / cpu, 1),
        "runs": repeats, "cpu_seconds_of_each_run": [round(run[0], 3) for run in runs],
    }


# ---- DynamoDB requests in the production code paths -------------------------------------------------------


@contextmanager
def _aws_environment(tenant: str) -> Iterator[None]:
    """moto in-process, a tenant table and an alert topic, and the function environment naming them."""
    import boto3
    from moto import mock_aws

    from localcloud.tenant_table import create_tenant_table

    saved = dict(os.environ)
    os.environ.update({"AWS_DEFAULT_REGION": "eu-north-1", "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing", "DHO_TENANT_ID": tenant,
                       "DHO_TABLE_NAME": f"dho-{tenant}", "DHO_TENANT_NAME": "Bench"})
    os.environ.pop("AWS_ENDPOINT_URL", None)
    try:
        with mock_aws():
            create_tenant_table(boto3.client("dynamodb"), f"dho-{tenant}")
            os.environ["DHO_ALERT_TOPIC_ARN"] = boto3.client("sns").create_topic(Name="alerts")["TopicArn"]
            yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class _CallCounter:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def __call__(self, model: Any, **_: Any) -> None:
        self.calls[f"{model.service_model.service_name}.{model.name}"] += 1

    def take(self) -> Counter[str]:
        taken, self.calls = self.calls, Counter()
        return taken


def dynamodb_requests(directory: Path) -> dict[str, Any]:
    """Requests per reading (ingest) and per patient evaluation (scoring and alerts), through the production
    wiring (``build_readings_pipeline`` on boto3), counted by a botocore ``before-call`` hook."""
    import boto3

    from dho.adapters.dynamodb_registry import DynamoDbRegistry
    from dho.domain.registry import DeviceAssignment, Patient
    from dho.ingest.wiring import build_readings_pipeline
    from dho.replay.cohort import synthetic_national_id
    from dho.settings import AlertSettings, IngestSettings

    cohort = load_cohort(directory)
    tenant = cohort.patients[0].tenant
    with _aws_environment(tenant):
        boto3.setup_default_session()
        counter = _CallCounter()
        assert boto3.DEFAULT_SESSION is not None
        boto3.DEFAULT_SESSION.events.register("before-call.*.*", counter)
        registry = DynamoDbRegistry(boto3.client("dynamodb"), f"dho-{tenant}")
        for patient in cohort.patients:
            registry.register_patient(Patient(patient.patient_id, synthetic_national_id(patient.patient_id),
                                              patient.programme))
        for device in cohort.devices:
            registry.assign_device(DeviceAssignment(device.device_id, device.patient_id, device.valid_from,
                                                    device.valid_to))
        pipeline = build_readings_pipeline(IngestSettings(), AlertSettings())
        counter.take()
        ingest_calls: Counter[str] = Counter()
        score_calls: Counter[str] = Counter()
        messages = evaluations = 0
        batch: list[Any] = []
        for message in [*cohort.messages, None]:
            if message is None or (batch and message.received_at - batch[0].received_at > _BATCH):
                results = [pipeline.ingest(rule_body(m), arrived_at=m.received_at) for m in batch]
                ingest_calls += counter.take()
                score = pipeline.score(results)
                score_calls += counter.take()
                messages += len(batch)
                evaluations += len(score.alerts) + len(score.failed)
                batch = []
            if message is not None:
                batch.append(message)
    return {
        "messages": messages, "evaluations": evaluations,
        "requests_per_reading": round(_dynamodb(ingest_calls) / messages, 2),
        "requests_per_evaluation": round(_dynamodb(score_calls) / evaluations, 2),
        "ingest_requests": dict(sorted(ingest_calls.items())),  # every AWS call, SNS included
        "scoring_and_alert_requests": dict(sorted(score_calls.items())),
    }


def _dynamodb(calls: Counter[str]) -> int:
    return sum(n for operation, n in calls.items() if operation.startswith("dynamodb."))


# ---- cold start ------------------------------------------------------------------------------------------

_IMPORT_ONE = """
import importlib.util, os, sys, time
sys.path.insert(0, os.path.dirname(sys.argv[1]))  # Lambda puts the function's own modules on the path
start = time.perf_counter()
spec = importlib.util.spec_from_file_location("handler", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(time.perf_counter() - start)
"""


def cold_starts(repeats: int) -> list[dict[str, Any]]:
    """Each handler module imported in a fresh interpreter (what Lambda's init does before SnapStart),
    ``repeats`` times; the median and the best, in seconds. The interpreter's own start is not counted."""
    rows = []
    for function in FUNCTIONS:
        handler = ROOT / "functions" / function / "handler.py"
        seconds = [float(subprocess.run([sys.executable, "-c", _IMPORT_ONE, str(handler)], check=True,
                                        capture_output=True, text=True, env={**os.environ, "NUMBA_CPU_NAME": "generic"},
                                        ).stdout.strip().splitlines()[-1]) for _ in range(repeats)]
        rows.append({"function": function, "import_seconds_median": round(statistics.median(seconds), 3),
                     "import_seconds_best": round(min(seconds), 3)})
    return rows


# ---- main --------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--baseline-patients", type=int, default=100, help="cohort size for the test fakes "
                        "(they scan: the full cohort would take hours)")
    parser.add_argument("--dynamodb-patients", type=int, default=20, help="cohort size for the request count "
                        "(moto answers a query by scanning the table: keep it small)")
    parser.add_argument("--cold-start-repeats", type=int, default=3)
    parser.add_argument("--replay-repeats", type=int, default=3, help="replays of the big cohort; the fastest "
                        "counts")
    args = parser.parse_args()
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        big, small, tiny = Path(tmp) / "big", Path(tmp) / "small", Path(tmp) / "tiny"
        write_cohort(big, patients=args.patients, days=args.days)
        write_cohort(small, patients=args.baseline_patients, days=args.days)
        write_cohort(tiny, patients=args.dynamodb_patients, days=args.days)
        indexed = replay_throughput(big, repeats=args.replay_repeats)
        print(f"replay, {args.patients} patients x {args.days} days: {indexed['evaluations_per_cpu_second']:,.0f}"
              f" evaluations per CPU second ({indexed['evaluations']:,} in {indexed['cpu_seconds']} s CPU)")
        small_indexed = replay_throughput(small)
        small_scanning = replay_throughput(small, scanning=True)
        print(f"baseline, {args.baseline_patients} patients: indexed {small_indexed['evaluations_per_cpu_second']:,.0f}"
              f"/s vs test fakes {small_scanning['evaluations_per_cpu_second']:,.0f}/s")
        requests = dynamodb_requests(tiny)
        print(f"DynamoDB requests: {requests['requests_per_reading']} per reading, "
              f"{requests['requests_per_evaluation']} per evaluation")
    starts = cold_starts(args.cold_start_repeats)
    for row in starts:
        print(f"import {row['function']:18s} {row['import_seconds_median']:.3f} s "
              f"(best {row['import_seconds_best']:.3f})")
    result = {
        "replay": indexed,
        "target_evaluations_per_s": TARGET_EVALUATIONS_PER_S,
        "target_met": indexed["evaluations_per_cpu_second"] >= TARGET_EVALUATIONS_PER_S,
        "baseline": {"indexed": small_indexed, "test_fakes": small_scanning,
                     "indexed_over_test_fakes": round(small_indexed["evaluations_per_cpu_second"]
                                                      / small_scanning["evaluations_per_cpu_second"], 2)},
        "dynamodb": requests,
        "cold_start": starts,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_average_start": [round(x, 2) for x in load_start],
                    "load_average_end": [round(x, 2) for x in os.getloadavg()]},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "replay.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS / 'replay.json'}")


if __name__ == "__main__":
    main()
