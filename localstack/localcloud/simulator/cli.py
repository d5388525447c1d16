"""``python -m localcloud.simulator``: simulate home-monitoring devices of a few municipalities.

Generates a synthetic cohort per tenant (COPD, hypercapnic COPD, heart failure, diabetes, generic, and
cancer and mental-health patients who answer ESAS-r daily or PHQ-9 and GAD-7 weekly in the app), their
devices' readings and answers over ``--days`` with a daily rhythm, missed measurements, duplicated deliveries,
a few bad payloads and injected deteriorations; writes the tenants' registries and a ground-truth file;
then publishes every message over MQTT QoS 1 as its device, or writes them as JSON lines.

Time window: the platform refuses readings measured more than 14 days before they arrive or more than
5 minutes after, and the IoT rule stamps the arrival with the wall clock. So by default the simulation
covers the ``--days`` ending now (less 15 minutes at the old end, for the time publishing takes) and
publishes in time order; ``--start`` picks another window (fine for ``--out``,
but over MQTT the platform will refuse what falls outside [now - 14 d, now]).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from localcloud.simulator.deteriorations import Kind, Onsets
from localcloud.simulator.publisher import JsonlPublisher, MqttPublisher, Publisher, PublishError, paho_connector
from localcloud.simulator.runner import publish_all, summary
from localcloud.simulator.simulation import Settings, Simulation, simulate

MAX_AGE = timedelta(days=14)
PUBLISHING_MARGIN = timedelta(minutes=15)
_TENANT = re.compile(r"^[a-z][a-z0-9-]{1,30}$")


def _tenants(text: str) -> tuple[str, ...]:
    tenants = tuple(t.strip() for t in text.split(",") if t.strip())
    bad = [t for t in tenants if not _TENANT.match(t)]
    if not tenants or bad:
        raise argparse.ArgumentTypeError(f"tenant ids are lowercase slugs, e.g. bodo,sunnfjord (got {text!r})")
    if len(set(tenants)) != len(tenants):
        raise argparse.ArgumentTypeError("a tenant is listed twice")
    return tenants


def _aware(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not ISO 8601: {text!r}") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("give a UTC offset, e.g. 2026-11-06T00:00:00+01:00")
    return moment


def _kinds(text: str) -> tuple[Kind, ...]:
    try:
        return tuple(Kind(k.strip()) for k in text.split(",") if k.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"kinds are {', '.join(Kind)}") from None


def _share(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("a share between 0 and 1")
    return value


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m localcloud.simulator",
        description="Simulated home-monitoring devices: a synthetic cohort per tenant publishing readings "
                    "over MQTT (QoS 1, client id = device id, username = tenant) or to a JSON-lines file.",
        epilog="Examples:\n"
               "  python -m localcloud.simulator --tenants bodo,sunnfjord --patients 50 --mqtt-port 1883\n"
               "  python -m localcloud.simulator --out build/simulator/messages.jsonl --seed 7\n"
               "  python -m localcloud.simulator --days 14 --start 2026-11-06T00:00:00+01:00 --dry-run\n"
               "By default the window is the --days ending now, so the platform accepts every reading "
               "(it refuses readings older than 14 days or more than 5 minutes in the future).",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    cohort = p.add_argument_group("cohort and time")
    cohort.add_argument("--tenants", type=_tenants, default=("bodo",), help="comma-separated (default: bodo)")
    cohort.add_argument("--patients", type=int, default=50, help="patients per tenant (default: 50)")
    cohort.add_argument("--days", type=_positive, default=14.0, help="days simulated (default: 14)")
    cohort.add_argument("--start", type=_aware, help="start of the window, ISO 8601 with offset "
                                                     "(default: the --days ending now, less 15 min)")
    cohort.add_argument("--seed", type=int, default=1, help="same seed and start, same messages (default: 1)")
    faults = p.add_argument_group("deteriorations and faults")
    faults.add_argument("--deteriorating", type=_share, default=0.2,
                        help="share of the eligible patients per deterioration kind (default: 0.2)")
    faults.add_argument("--kinds", type=_kinds, default=tuple(Kind),
                        help=f"deterioration kinds (default: all: {','.join(Kind)})")
    faults.add_argument("--onsets", type=Onsets, choices=list(Onsets), default=Onsets.RECENT,
                        help="recent: every episode peaks in the last day, when the platform's 24 h freshness "
                             "lets it alert (default); spread: onsets across the window")
    faults.add_argument("--duplicate-rate", type=_share, default=0.015, help="messages resent (default: 0.015)")
    faults.add_argument("--bad-rate", type=_share, default=0.004, help="messages spoiled (default: 0.004)")
    output = p.add_argument_group("output")
    output.add_argument("--mqtt-host", default="127.0.0.1")
    output.add_argument("--mqtt-port", type=int, default=1883)
    output.add_argument("--max-connections", type=int, default=64, help="devices connected at once (default: 64)")
    output.add_argument("--speed", type=float, default=0.0,
                        help="simulated seconds per wall-clock second (e.g. 3600: an hour a second); "
                             "0 = as fast as possible (default)")
    output.add_argument("--out", metavar="FILE.jsonl",
                        help='write {"topic", "payload"} lines instead of publishing ("-" = stdout)')
    output.add_argument("--dry-run", action="store_true", help="generate and write the files, publish nothing")
    output.add_argument("--registry-out", default="build/simulator/registry-{tenant}.json",
                        help="registry per tenant, shaped like events/registry.json plus devices and plans; "
                             "{tenant} is replaced (default: %(default)s)")
    output.add_argument("--truth-out", default="build/simulator/truth.json",
                        help="ground truth: deteriorations, stable patients, bad payloads (default: %(default)s)")
    output.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def default_window(days: float, now: datetime) -> tuple[datetime, datetime]:
    """The ``days`` ending now, less a margin at the old end for the time publishing takes."""
    end = now.replace(microsecond=0)
    return end - timedelta(days=days) + PUBLISHING_MARGIN, end


def window_warnings(start: datetime, end: datetime, now: datetime) -> list[str]:
    warnings = []
    if start < now - MAX_AGE:
        warnings.append(f"the window starts {start.isoformat(timespec='seconds')}, more than 14 days ago: the "
                        "platform will refuse those readings as measured_too_long_ago")
    if end > now + timedelta(minutes=5):
        warnings.append(f"the window ends {end.isoformat(timespec='seconds')}, in the future: the platform will "
                        "refuse readings published before their time as measured_in_future")
    return warnings


def _write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_files(simulation: Simulation, registry_out: str, truth_out: str) -> list[Path]:
    registries = simulation.registries()
    if len(registries) > 1 and "{tenant}" not in registry_out:
        raise SystemExit("--registry-out needs a {tenant} placeholder when there are several tenants")
    written = []
    for tenant, document in registries.items():
        path = Path(registry_out.replace("{tenant}", tenant))
        _write_json(path, document)
        written.append(path)
    _write_json(Path(truth_out), simulation.ground_truth())
    written.append(Path(truth_out))
    return written


@contextlib.contextmanager
def _publisher(args: argparse.Namespace) -> Iterator[tuple[Publisher | None, str]]:
    if args.dry_run:
        yield None, "dry run (nothing published)"
    elif args.out == "-":
        yield JsonlPublisher(sys.stdout), "stdout"
    elif args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        with Path(args.out).open("w", encoding="utf-8") as out:
            publisher = JsonlPublisher(out)
            yield publisher, args.out
            publisher.close()
    else:
        mqtt = MqttPublisher(paho_connector(args.mqtt_host, args.mqtt_port), max_connections=args.max_connections)
        try:
            yield mqtt, f"mqtt://{args.mqtt_host}:{args.mqtt_port} (QoS 1)"
        finally:
            mqtt.close()


def main(argv: Sequence[str] | None = None, *, now: datetime | None = None) -> int:
    args = parser().parse_args(argv)
    if args.patients < 1:
        parser().error("--patients must be at least 1")
    now = now or datetime.now(UTC)
    start, end = default_window(args.days, now)
    if args.start is not None:
        start, end = args.start, args.start + timedelta(days=args.days)
    settings = Settings(tenants=args.tenants, patients=args.patients, days=args.days, seed=args.seed,
                        deteriorating=args.deteriorating, kinds=args.kinds, onsets=args.onsets,
                        duplicate_rate=args.duplicate_rate, bad_rate=args.bad_rate)
    report = sys.stderr if args.out == "-" else sys.stdout
    began = time.perf_counter()
    simulation = simulate(settings, start=start, end=end)
    generated_s = time.perf_counter() - began
    if not (args.out or args.dry_run):
        for warning in window_warnings(simulation.start, simulation.end, now):
            print(f"warning: {warning}", file=sys.stderr)
    for path in write_files(simulation, args.registry_out, args.truth_out):
        print(f"wrote {path}", file=report)
    try:
        with _publisher(args) as (publisher, destination):
            published = "" if publisher is None else _publish(simulation, publisher, args)
    except PublishError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    _print(report, summary(simulation, destination=destination),
           f"generated {len(simulation.messages)} messages in {generated_s:.2f} s{published}")
    return 0


def _publish(simulation: Simulation, publisher: Publisher, args: argparse.Namespace) -> str:
    result = publish_all(simulation, publisher, speed=args.speed or None, show_progress=not args.quiet)
    return f"; published {result.published} in {result.seconds:.1f} s"


def _print(out: IO[str], *lines: str) -> None:
    for line in lines:
        print(line, file=out)
