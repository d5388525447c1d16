"""The campaign's parts in the order they run (privacy last: it reads what all the others wrote)."""

from __future__ import annotations

from localcloud.campaign import (
    broker_restart,
    consistency,
    crash,
    forgery,
    hostile,
    load,
    privacy,
    sns_outage,
    throttling,
)
from localcloud.campaign.runner import Part

PARTS: dict[str, tuple[str, Part]] = {
    "hostile": (hostile.EXPECTED, hostile.run),
    "forgery": (forgery.EXPECTED, forgery.run),
    "load": (load.EXPECTED, load.run),
    "throttling": (throttling.EXPECTED, throttling.run),
    "sns-outage": (sns_outage.EXPECTED, sns_outage.run),
    "crash": (crash.EXPECTED, crash.run),
    "broker-restart": (broker_restart.EXPECTED, broker_restart.run),
    "consistency": (consistency.EXPECTED, consistency.run),
    "privacy": (privacy.EXPECTED, privacy.run),
}


def chosen(names: list[str] | None) -> list[tuple[str, str, Part]]:
    unknown = set(names or ()) - set(PARTS)
    if unknown:
        raise ValueError(f"unknown parts {sorted(unknown)}; choose from {', '.join(PARTS)}")
    return [(name, expected, part) for name, (expected, part) in PARTS.items() if not names or name in names]
