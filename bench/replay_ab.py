"""Replay throughput of this tree against another revision, in the same run, and whether both write the
same alerts.

``python -m bench.replay_ab --against REV [--patients 1000] [--days 14] [--rounds 3]`` (from the repository
root, ``PYTHONPATH=localstack:layers/core/python:.``): the benchmark cohort (bench/replay_cohort.py) is
replayed by the package of revision REV (``git archive``) and by this tree's, alternately, each in a fresh
interpreter, ``--rounds`` times; CPU seconds of the replay (after loading), the best and every run, and a
digest of the alert lines. On a machine shared with other jobs the CPU time of one run can double; runs
taken in turns see the same load, so their ratio holds where a figure from another day does not.
Writes bench/results/replay_ab.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.replay_cohort import write_cohort

RESULTS = Path(__file__).parent / "results"
ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "layers/core/python"

# Runs in the child: the replay of the cohort with whichever ``dho`` is first on the path.
_ONE_REPLAY = """
import hashlib, json, sys, time
from pathlib import Path
from dho.replay import ReplayOptions, load_cohort
from dho.replay.runner import Replay
replay = Replay(load_cohort(Path(sys.argv[1])), ReplayOptions())
cpu = time.process_time()
result = replay.run()
cpu = time.process_time() - cpu
lines = "".join(json.dumps(event.as_json()) + "\\n" for event in result.log.events)
print(json.dumps({"cpu_seconds": cpu, "evaluations": result.summary["evaluations"],
                  "alert_lines": len(result.log.events), "alerts_sha256": hashlib.sha256(lines.encode()).hexdigest()}))
"""


def _replay_with(package: Path, cohort: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(package), str(ROOT / "localstack")]),
           "NUMBA_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", _ONE_REPLAY, str(cohort)], check=True, capture_output=True,
                          text=True, env=env)
    run: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return run


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    best = min(run["cpu_seconds"] for run in runs)
    return {"evaluations": runs[0]["evaluations"], "cpu_seconds_best": round(best, 3),
            "cpu_seconds_of_each_run": [round(run["cpu_seconds"], 3) for run in runs],
            "evaluations_per_cpu_second": round(runs[0]["evaluations"] / best, 1),
            "alert_lines": runs[0]["alert_lines"], "alerts_sha256": runs[0]["alerts_sha256"]}


def compare(against: str, *, patients: int, days: int, rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        reference = Path(tmp) / "reference"
        reference.mkdir()
        archive = subprocess.run(["git", "archive", against, PACKAGE], cwd=ROOT, check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", str(reference)], input=archive.stdout, check=True)
        commit = subprocess.run(["git", "rev-parse", against], cwd=ROOT, check=True, capture_output=True,
                                text=True).stdout.strip()
        cohort = Path(tmp) / "cohort"
        write_cohort(cohort, patients=patients, days=days)
        before: list[dict[str, Any]] = []
        after: list[dict[str, Any]] = []
        for _ in range(rounds):
            before.append(_replay_with(reference / PACKAGE, cohort))
            after.append(_replay_with(ROOT / PACKAGE, cohort))
    old, new = _summary(before), _summary(after)
    digests = {run["alerts_sha256"] for run in before + after}
    return {"cohort": {"patients": patients, "days": days}, "rounds": rounds,
            "reference": {"revision": against, "commit": commit, **old}, "this_tree": new,
            "speedup": round(old["cpu_seconds_best"] / new["cpu_seconds_best"], 2),
            "same_alerts": len(digests) == 1,
            "load_average_end": [round(x, 2) for x in os.getloadavg()]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--against", required=True, help="git revision to compare with (e.g. main)")
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    result = compare(args.against, patients=args.patients, days=args.days, rounds=args.rounds)
    print(f"{args.against}: {result['reference']['evaluations_per_cpu_second']:,.0f}/s, this tree: "
          f"{result['this_tree']['evaluations_per_cpu_second']:,.0f}/s ({result['speedup']}x); "
          f"same alerts: {result['same_alerts']}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "replay_ab.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS / 'replay_ab.json'}")


if __name__ == "__main__":
    main()
