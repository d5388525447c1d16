"""python -m evaluation {run,generate,score}: see evaluation.run and EVALUATION.md."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from evaluation.generator import CohortSpec, generate
from evaluation.run import run, score_all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("run", "generate"):
        command = commands.add_parser(name)
        command.add_argument("--patients", type=int, default=1000)
        command.add_argument("--days", type=int, default=90)
        command.add_argument("--seed", type=int, default=1)
    commands.choices["generate"].add_argument("cohort", type=Path, help="directory to write the cohort into")
    commands.choices["run"].add_argument("--build", type=Path, default=Path("build"))
    commands.choices["run"].add_argument("--report", type=Path, default=Path("EVALUATION.md"))
    commands.choices["run"].add_argument("--plot", type=Path, default=Path("docs/evaluation-tradeoff.png"))
    commands.choices["run"].add_argument("--skip-replay", action="store_true",
                                         help="measure the baselines only")
    commands.choices["run"].add_argument("--replayed", type=Path,
                                         help="score an earlier replay output of the same cohort instead of replaying")
    score = commands.add_parser("score", help="metrics of an alerts.jsonl (and the baselines) on a cohort")
    score.add_argument("cohort", type=Path)
    score.add_argument("--alerts", type=Path, help="the engine's alerts.jsonl")
    args = parser.parse_args(argv)

    if args.command == "generate":
        summary = generate(CohortSpec(args.patients, args.days, args.seed), args.cohort)
        print(f"{summary['patients']} patients, {summary['messages']} messages, {summary['events']} events "
              f"-> {args.cohort}")
    elif args.command == "score":
        json.dump(score_all(args.cohort, args.alerts, sweeps=False), sys.stdout, indent=2)
        print()
    else:
        result = run(patients=args.patients, days=args.days, seed=args.seed, build=args.build, report=args.report,
                     plot=args.plot, skip_replay=args.skip_replay, replayed=args.replayed)
        for row in result["targets"]:
            print(f"{row['target']}: {row['value']} ({'met' if row['met'] else 'NOT met'})")
        print(f"wrote {args.report}, {args.build / 'evaluation.json'}, {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
