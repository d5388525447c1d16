"""Publish a simulation in time order, optionally paced on an accelerated clock, and count what went out.

Pacing: with ``speed`` N, simulated time runs N times faster than the wall clock from the window's
start; a message goes out once the simulated clock has reached its send time. Without a speed the
messages go out as fast as the publisher takes them. Either way ``measured_at`` is simulated time;
the IoT rule stamps ``received_at`` with the wall clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from localcloud.simulator.progress import progress
from localcloud.simulator.publisher import Publisher
from localcloud.simulator.simulation import Simulation, TenantStats


@dataclass(frozen=True)
class PublishReport:
    published: int
    seconds: float


def publish_all(simulation: Simulation, publisher: Publisher, *, speed: float | None = None,
                show_progress: bool = True, clock: Callable[[], float] = time.monotonic,
                sleep: Callable[[float], None] = time.sleep) -> PublishReport:
    began = clock()
    bar = progress(len(simulation.messages), "publishing", enabled=show_progress)
    try:
        for message in simulation.messages:
            if speed:
                due = (message.send_at - simulation.start).total_seconds() / speed
                wait = due - (clock() - began)
                if wait > 0:
                    publisher.flush()  # everything so far acknowledged before the clock moves on
                    sleep(max(0.0, due - (clock() - began)))
            publisher.publish(message)
            bar.update()
        publisher.flush()
    finally:
        bar.close()
    return PublishReport(len(simulation.messages), clock() - began)


def summary(simulation: Simulation, *, destination: str) -> str:
    stats = simulation.stats()
    episodes_by_tenant = {c.tenant: sum(p.patient_id in simulation.episodes for p in c.patients)
                          for c in simulation.cohorts}
    lines = [f"simulated {simulation.start.isoformat(timespec='seconds')} .. "
             f"{simulation.end.isoformat(timespec='seconds')} (seed {simulation.seed}) -> {destination}",
             f"{'tenant':<12}{'patients':>9}{'devices':>9}{'deterior.':>10}{'published':>11}{'good':>7}"
             f"{'dupl.':>7}{'bad':>5}  bad by reason"]
    total = TenantStats()
    for cohort in simulation.cohorts:
        s = stats[cohort.tenant]
        devices = sum(len(p.devices) for p in cohort.patients)
        reasons = ", ".join(f"{reason} {count}" for reason, count in sorted(s.bad.items())) or "-"
        lines.append(f"{cohort.tenant:<12}{len(cohort.patients):>9}{devices:>9}{episodes_by_tenant[cohort.tenant]:>10}"
                     f"{s.messages:>11}{s.good:>7}{s.duplicates:>7}{sum(s.bad.values()):>5}  {reasons}")
        total.messages += s.messages
        total.good += s.good
        total.duplicates += s.duplicates
        total.bad.update(s.bad)
    if len(simulation.cohorts) > 1:
        lines.append(f"{'all':<12}{'':>9}{'':>9}{len(simulation.episodes):>10}{total.messages:>11}{total.good:>7}"
                     f"{total.duplicates:>7}{sum(total.bad.values()):>5}")
    return "\n".join(lines)
