"""Forgery: a registered device tries to act as someone else. Publishing on another tenant's or another
device's topic, connecting with a client id that is not its thing or with another tenant's username,
and subscribing to other devices' topics are all refused, and nothing is stored for the victims."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from localcloud.campaign.device import Session
from localcloud.campaign.fleet import FleetDevice, reading_payload
from localcloud.campaign.ledger import Ledger
from localcloud.campaign.row import Row
from localcloud.campaign.runner import Campaign
from localcloud.simulator.payloads import readings_topic

EXPECTED = "every attempt refused; nothing stored for the victim"
UNREGISTERED_THING = "oxi-9999"  # no certificate of it is attached to a thing of any tenant


@dataclass(frozen=True)
class Attempt:
    name: str
    client_id: str
    username: str
    topic: str | None  # publish here; None: subscribe to ``topic_filter``
    topic_filter: str | None = None


def _tries(attacker: FleetDevice, victim: FleetDevice, foreign: FleetDevice) -> list[Attempt]:
    own = attacker.device_id
    return [
        Attempt("publish on another tenant's topic", own, attacker.tenant, readings_topic(foreign.tenant, own)),
        Attempt("publish on another tenant's device topic", own, attacker.tenant,
                readings_topic(foreign.tenant, foreign.device_id)),
        Attempt("publish on another device's topic", own, attacker.tenant, victim.topic),
        Attempt("spoofed client id (unregistered thing)", UNREGISTERED_THING, attacker.tenant,
                readings_topic(attacker.tenant, UNREGISTERED_THING)),
        Attempt("spoofed client id (another tenant's thing)", foreign.device_id, attacker.tenant,
                readings_topic(attacker.tenant, foreign.device_id)),
        Attempt("another tenant's username", own, foreign.tenant, readings_topic(foreign.tenant, own)),
        Attempt("subscribe to the tenant's devices", own, attacker.tenant, None,
                readings_topic(attacker.tenant, "+")),
        Attempt("subscribe to everything", own, attacker.tenant, None, "#"),
    ]


def _attempt(campaign: Campaign, attempt: Attempt, payload: str, victim_publishes: Callable[[], None]) -> str:
    """What happened: 'refused at connect' / 'refused' / 'accepted' (the forgery got through)."""
    with Session(*campaign.device_address, attempt.client_id, attempt.username) as session:
        if not session.connect():
            return "refused at connect"
        if attempt.topic is not None:
            return "accepted" if session.publish(attempt.topic, payload) else "refused"
        assert attempt.topic_filter is not None
        granted = session.subscribe(attempt.topic_filter)
        victim_publishes()
        time.sleep(0.5)
        return "accepted" if granted or session.received else "refused"


def run(campaign: Campaign) -> Row:
    attacker, victim = campaign.fleet.take_devices(2, tenant="bodo", one_per_patient=True)
    foreign = campaign.fleet.take_devices(1, tenant="sunnfjord")[0]
    rng = random.Random(campaign.settings.seed)
    measured = campaign.clock().replace(microsecond=0)
    forged: list[str] = []
    victim_ids: list[str] = []

    def victim_publishes() -> None:
        reading_id = f"victim-{len(victim_ids):02d}"
        victim_ids.append(reading_id)
        with Session(*campaign.device_address, victim.device_id, victim.tenant) as session:
            session.connect()
            session.publish(victim.topic, reading_payload(victim, reading_id, measured, rng))

    before = campaign.checkpoint()
    results = []
    for attempt in _tries(attacker, victim, foreign):
        reading_id = f"forged-{len(forged):02d}"
        forged.append(reading_id)
        results.append((attempt, _attempt(campaign, attempt, reading_payload(attacker, reading_id, measured, rng),
                                          victim_publishes)))
    campaign.wait_for_rules(before, len(victim_ids), timeout=30)
    campaign.cloud.drain()
    ledger = Ledger.read(campaign.cloud)
    stored_forgeries = [r for r in forged if ledger.guards.get(r) or ledger.entries.get(r) or ledger.quarantined.get(r)]
    accepted = [attempt.name for attempt, outcome in results if outcome == "accepted"]
    victims_lost = [r for r in victim_ids if not ledger.stored(r)]
    notes = [f"{attempt.name}: {outcome}" for attempt, outcome in results]
    notes.append(f"refusals at the front door: {len(campaign.cloud.iot.front_door.refusals)} so far in the run")
    return Row.judged("forgery", len(results), EXPECTED,
                      f"refused {len(results) - len(accepted)} of {len(results)}; forged readings stored "
                      f"{len(stored_forgeries)}; victim's own readings stored {len(victim_ids) - len(victims_lost)}"
                      f" of {len(victim_ids)}",
                      lost=len(victims_lost), duplicated=0, crossed_tenants=len(stored_forgeries),
                      other_failures=len(accepted), notes=notes)
