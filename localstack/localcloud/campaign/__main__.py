"""``python -m localcloud.campaign [--readings 20000] [--parts load,hostile,...]``: run the reliability
campaign against a freshly started local cloud, print the table and write ``build/campaign.json``.
Exits 0 only when every part passed (nothing lost, duplicated or crossing tenants)."""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import time
from pathlib import Path

from localcloud.campaign.output import all_passed, table, write_json
from localcloud.campaign.parts import PARTS, chosen
from localcloud.campaign.runner import Settings, run_parts, running_campaign
from localcloud.local_cloud import REPO_ROOT

ASSEMBLY_DIR = REPO_ROOT / "build" / "localcloud" / "campaign-cdk.out"
STATE = REPO_ROOT / ".local" / "campaign"
OUT = REPO_ROOT / "build" / "campaign.json"


def _say(text: str) -> None:
    print(text, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localcloud.campaign", description=__doc__.split("\n\n")[0])
    parser.add_argument("--readings", type=int, default=Settings.readings, help="the load part (default 20000)")
    parser.add_argument("--devices", type=int, default=Settings.devices)
    parser.add_argument("--fault-readings", type=int, default=Settings.fault_readings, help="per fault part")
    parser.add_argument("--parts", default="", help=f"comma-separated subset of: {', '.join(PARTS)}")
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)
    settings = Settings(readings=args.readings, devices=args.devices, fault_readings=args.fault_readings)
    parts = chosen([p for p in args.parts.split(",") if p] or None)
    if STATE.exists():
        shutil.rmtree(STATE)  # the privacy part reads everything this run wrote, and only that
    STATE.mkdir(parents=True)
    # The local cloud's own warnings (a rule that failed on a message...) go with the run's other logs.
    logging.basicConfig(filename=STATE / "campaign.log", level=logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    began = time.monotonic()
    _say("local cloud: moto harness + cdk deploy of the real app, MQTT front door, rules engine, SNS outbox ...")
    with running_campaign(settings, assembly_dir=ASSEMBLY_DIR, state_dir=STATE) as campaign:
        _say(f"   up in {time.monotonic() - began:.0f} s ({campaign.cloud.broker_kind} broker); "
             f"fleet registered: {len(campaign.fleet.things)} devices")
        rows = run_parts(campaign, parts, say=_say)
    _say("\n" + table(rows))
    path = write_json(rows, Path(args.out), {
        "readings": settings.readings, "devices": settings.devices, "fault_readings": settings.fault_readings,
        "broker": campaign.cloud.broker_kind, "seconds": round(time.monotonic() - began)})
    _say(f"written to {path}")
    return 0 if all_passed(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
