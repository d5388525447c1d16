"""Hostile input: a legitimate device publishes each body of :mod:`hostile_bodies` on its own topic,
then a good reading. Each hostile body must end refused (front door, or the rule's error action) or
quarantined with its reason, and every good reading in between must be stored."""

from __future__ import annotations

import base64
import contextlib
import random
from collections import Counter
from dataclasses import dataclass

from localcloud.campaign.device import Session
from localcloud.campaign.fleet import FleetDevice, reading_document, reading_payload
from localcloud.campaign.hostile_bodies import HostileBody, catalogue
from localcloud.campaign.ledger import Expected, Ledger, quarantined_recently, tally
from localcloud.campaign.row import Row
from localcloud.campaign.runner import Campaign
from localcloud.simulator.cohort import DeviceKind

EXPECTED = "each refused or quarantined with its reason; nothing else lost"
RULE_WAIT_S = 10.0


@dataclass(frozen=True)
class Verdict:
    body: HostileBody
    outcome: str  # refused | quarantined | stored | lost
    reason: str
    crossed: bool = False
    records: int = 0  # quarantine records it made


class _Publisher:
    """One device session, opened again after the front door hung up on it."""

    def __init__(self, campaign: Campaign, device: FleetDevice) -> None:
        self._campaign, self._device = campaign, device
        self._session: Session | None = None

    def publish(self, payload: bytes | str) -> bool:
        if self._session is None or self._session.closed.is_set():
            if self._session is not None:
                self._session.close()
            self._session = Session(*self._campaign.device_address, self._device.device_id, self._device.tenant)
            if not self._session.connect():
                raise RuntimeError(f"the front door refused the legitimate device {self._device.device_id}")
        return self._session.publish(self._device.topic, payload)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()


def _quarantine(campaign: Campaign) -> dict[tuple[str, str], str]:
    """(tenant, digest) -> reason, for every quarantine record of every tenant."""
    dynamodb = campaign.cloud.aws("dynamodb")
    return {(name, m.digest): m.reason.value for name, t in campaign.cloud.tenants.items()
            for m in quarantined_recently(dynamodb, t.table_name)}


def _judge(campaign: Campaign, publisher: _Publisher, device: FleetDevice, body: HostileBody,
           good: tuple[str, str]) -> Verdict:
    engine = campaign.cloud.iot.engine
    errors_before, kept_before = len(engine.errors), _quarantine(campaign)
    before = campaign.checkpoint()
    acked = publisher.publish(body.body)
    publisher.publish(good[1])  # the device's next reading: must not be lost because of the one before
    with contextlib.suppress(TimeoutError):  # judged below: a body no rule saw and nobody refused is lost
        campaign.wait_for_rules(before, 2, timeout=RULE_WAIT_S)
    campaign.cloud.drain(settle=0.3)
    since = campaign.since(before)
    new = {key: reason for key, reason in _quarantine(campaign).items() if key not in kept_before}
    crossed = any(tenant != device.tenant for tenant, _ in new)
    if not acked or since.refused:
        refusal = campaign.cloud.iot.front_door.refusals[-1] if since.refused else None
        return Verdict(body, "refused", f"front door: {refusal.reason if refusal else 'connection closed'}")
    errors = [e for e in engine.errors[errors_before:]
              if base64.b64decode(e["base64OriginalPayload"]) == body.body]
    if errors:
        return Verdict(body, "refused", f"rule error action: {errors[0]['failures'][0]['errorMessage'][:60]}")
    if new:
        return Verdict(body, "quarantined", ",".join(sorted(set(new.values()))), crossed, len(new))
    if any(Ledger.read_guard(campaign.cloud, device.tenant, device.device_id, r) for r in body.reading_ids):
        return Verdict(body, "stored", "stored for the publishing device")
    return Verdict(body, "lost", "no refusal, no quarantine record, not stored")


def run(campaign: Campaign) -> Row:
    device = campaign.fleet.take_devices(1, kind=DeviceKind.OXIMETER, tenant="bodo")[0]
    other = campaign.fleet.take_devices(1, tenant="bodo")[0]
    foreign = campaign.fleet.take_devices(1, tenant="sunnfjord")[0]
    rng = random.Random(campaign.settings.seed)
    now = campaign.clock()
    measured = now.replace(microsecond=0)
    bodies = catalogue(lambda rid: reading_document(device, rid, measured, rng), other_device=other.device_id,
                       other_tenant=foreign.tenant, other_tenant_device=foreign.device_id, now=now)
    publisher = _Publisher(campaign, device)
    verdicts: list[Verdict] = []
    goods: list[Expected] = []
    try:
        for index, body in enumerate(bodies):
            reading_id = f"between-{index:02d}"
            good = (reading_id, reading_payload(device, reading_id, measured, rng))
            goods.append(Expected(reading_id, device.tenant, device.device_id, device.patient_id))
            verdicts.append(_judge(campaign, publisher, device, body, good))
    finally:
        publisher.close()
    ledger = Ledger.read(campaign.cloud)
    between = tally(ledger, goods)
    elsewhere = sum(any(place != (device.tenant, device.device_id) for r in b.reading_ids
                        for place in ledger.guards.get(r, [])) for b in bodies)
    wrong = [v for v in verdicts if v.outcome not in v.body.allowed]
    outcomes = Counter(v.outcome for v in verdicts)
    notes = [f"{v.body.name}: {v.outcome} ({v.reason})" for v in verdicts]
    notes.append(f"good readings published in between: {between.observed()}")
    return Row.judged("hostile input", len(bodies), EXPECTED,
                      ", ".join(f"{outcome} {n}" for outcome, n in sorted(outcomes.items()))
                      + f"; {len(wrong)} not as expected",
                      lost=outcomes["lost"] + between.lost,
                      duplicated=sum(v.records > 1 for v in verdicts) + between.duplicated,
                      crossed_tenants=sum(v.crossed for v in verdicts) + elsewhere + between.crossed_tenants,
                      other_failures=len(wrong), notes=notes,
                      figures={"distinct_bodies": len({b.body for b in bodies})})
