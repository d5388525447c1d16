"""``python -m dho.replay COHORT_DIR [--out OUT_DIR] [--batch-minutes 15] [--nurse ...] [--tail-hours 6]
[--policy FILE]``: replay a cohort through the production code (docs/replay.md)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from dho.domain.alerts import AlertPolicySettings
from dho.replay.baseline_nurse import BaselineReviewModel
from dho.replay.cohort import CohortError
from dho.replay.nurse import NurseModel
from dho.replay.runner import ReplayOptions, replay_cohort


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dho.replay", description=__doc__)
    parser.add_argument("cohort", type=Path, help="directory with patients.jsonl, devices.jsonl, messages.jsonl[.gz]")
    parser.add_argument("--out", type=Path, default=None, help="where alerts.jsonl and summary.json go "
                        "(default: COHORT_DIR/replay)")
    parser.add_argument("--batch-minutes", type=float, default=15.0, help="arrival time per batch (default 15)")
    parser.add_argument("--nurse", default="default", help="off, default, or e.g. red_ack=15m,red_close=1h,"
                        "yellow_ack=2h,yellow_close=4h (never: not at all)")
    parser.add_argument("--baselines", choices=("default", "off"), default="default",
                        help="the nurse confirms each patient's baseline after the run-in and after an episode "
                        "(default), or never (off: every patient stays on the template)")
    parser.add_argument("--tail-hours", type=float, default=6.0, help="how long the sweeps and the nurse go on "
                        "after the last batch (default 6)")
    parser.add_argument("--policy", type=Path, default=None, help="the tenant's alert policy JSON "
                        "(DHO_ALERT_POLICY: escalation and response_centre opening hours); default: built-in")
    args = parser.parse_args(argv)
    try:
        nurse = NurseModel.parse(args.nurse)
    except ValueError as error:
        parser.error(str(error))
    if args.batch_minutes <= 0:
        parser.error("--batch-minutes must be positive")
    policy = (AlertPolicySettings.from_tenant_policy(args.policy.read_text()) if args.policy
              else AlertPolicySettings())
    if args.tail_hours < 0:
        parser.error("--tail-hours must not be negative")
    baselines = BaselineReviewModel.off() if args.baselines == "off" else BaselineReviewModel()
    options = ReplayOptions(batch=timedelta(minutes=args.batch_minutes), nurse=nurse, policy=policy,
                            tail=timedelta(hours=args.tail_hours), baselines=baselines)
    out = args.out or args.cohort / "replay"
    try:
        result = replay_cohort(args.cohort, out, options)
    except CohortError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    summary = result.summary
    for problem in summary["line_errors"]:
        print(f"{problem['file']}:{problem['line']}: {problem['error']}", file=sys.stderr)
    print(json.dumps({k: summary[k] for k in ("patients", "messages", "stored", "duplicates", "quarantined",
                                             "evaluations", "wall_seconds", "evaluations_per_second")}))
    print(f"wrote {out / 'alerts.jsonl'} and {out / 'summary.json'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
