"""The nurse model of a replay: what the nurses do with each alert, and when.

Default (``NurseModel()``): a red is acknowledged 15 min after it is raised (or worsens from yellow) and
closed 1 h after; a yellow is acknowledged after 2 h and closed after 4 h. Where the alert policy knows the
centre's opening hours, an action that would fall while the centre is closed happens at the next opening
instead (the close then keeps its distance from the acknowledgement). Actions go through the alert
service as a nurse's would (``AlertService.acknowledge``/``close``, reason ``resolved``); an action on an
alert that is closed already, or that has changed severity since it was planned, is dropped (a worsened
alert gets the red plan). ``NurseModel.off()``: nobody acts (reds escalate through every tier).
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from dho.alerting.service import AlertService
from dho.domain.alerts import AlertState
from dho.domain.findings import Severity
from dho.domain.opening_hours import OpeningHours
from dho.ports import AlertRepository
from dho.replay.alert_log import AlertEvent, AlertEventKind

REPLAY_NURSE_HPR = "999999999"  # the HPR number the replay's nurse acts under (no real person's)
_DURATION = re.compile(r"^(\d+)(m|h|d)$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True, slots=True)
class NurseModel:
    """Delays after an alert is raised (None: the nurse never does it)."""

    red_acknowledge: timedelta | None = timedelta(minutes=15)
    red_close: timedelta | None = timedelta(hours=1)
    yellow_acknowledge: timedelta | None = timedelta(hours=2)
    yellow_close: timedelta | None = timedelta(hours=4)

    @classmethod
    def off(cls) -> NurseModel:
        return cls(None, None, None, None)

    @classmethod
    def parse(cls, text: str) -> NurseModel:
        """``off``, ``default``, or ``key=delay`` pairs separated by commas over the default, with keys
        ``red_ack``, ``red_close``, ``yellow_ack``, ``yellow_close`` and delays like ``15m``, ``1h``, ``2d``
        or ``never`` (e.g. ``red_ack=5m,yellow_close=never``)."""
        text = text.strip()
        if text == "off":
            return cls.off()
        model = cls()
        if text in ("", "default"):
            return model
        fields = {"red_ack": "red_acknowledge", "red_close": "red_close",
                  "yellow_ack": "yellow_acknowledge", "yellow_close": "yellow_close"}
        for pair in text.split(","):
            key, _, value = pair.partition("=")
            if key.strip() not in fields:
                raise ValueError(f"unknown nurse setting {key.strip()!r}; one of {', '.join(fields)}")
            model = replace(model, **{fields[key.strip()]: _delay(value.strip())})
        return model

    def delays(self, severity: Severity) -> tuple[timedelta | None, timedelta | None]:
        if severity is Severity.RED:
            return self.red_acknowledge, self.red_close
        return self.yellow_acknowledge, self.yellow_close


def _delay(text: str) -> timedelta | None:
    if text == "never":
        return None
    match = _DURATION.fullmatch(text)
    if match is None:
        raise ValueError(f"a delay is like 15m, 1h, 2d or never, not {text!r}")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


@dataclass(frozen=True, slots=True)
class _Action:
    alert_id: str
    severity: Severity
    close: bool


class Nurse:
    """Plans actions on alert events (:meth:`on_event`) and performs those due (:meth:`act_until`)."""

    def __init__(
        self, model: NurseModel, alerts: AlertService, stored: AlertRepository, hours: OpeningHours | None
    ) -> None:
        self._model = model
        self._alerts = alerts
        self._stored = stored
        self._hours = hours
        self._planned: list[tuple[datetime, int, _Action]] = []  # (when, planning order: ties, action)
        self._sequence = 0
        self.acted = 0

    def on_event(self, event: AlertEvent) -> None:
        if event.kind not in (AlertEventKind.OPENED, AlertEventKind.WORSENED) or not event.alert.is_open:
            return
        acknowledge, close = self._model.delays(event.alert.severity)
        acknowledged_at = None if acknowledge is None else self._on_duty(event.at + acknowledge)
        if acknowledged_at is not None:
            self._plan(acknowledged_at, event, close=False)
        if close is not None:
            after = event.at + close
            if acknowledged_at is not None and acknowledge is not None:
                after = max(after, acknowledged_at + (close - acknowledge))
            self._plan(self._on_duty(after), event, close=True)

    def next_at(self) -> datetime | None:
        return self._planned[0][0] if self._planned else None

    def act_until(self, now: datetime) -> None:
        """Perform every planned action due at or before ``now``, in time order."""
        while self._planned and self._planned[0][0] <= now:
            at, _, action = heapq.heappop(self._planned)
            alert = self._stored.get(action.alert_id)
            if alert is None or not alert.is_open or alert.severity is not action.severity:
                continue
            if action.close:
                self._alerts.close(action.alert_id, REPLAY_NURSE_HPR, at)
            elif alert.state is AlertState.OPEN:
                self._alerts.acknowledge(action.alert_id, REPLAY_NURSE_HPR, at)
            else:
                continue
            self.acted += 1

    def _plan(self, at: datetime, event: AlertEvent, *, close: bool) -> None:
        self._sequence += 1
        heapq.heappush(self._planned, (at, self._sequence, _Action(event.alert.alert_id, event.alert.severity, close)))

    def _on_duty(self, moment: datetime) -> datetime:
        if self._hours is None or self._hours.is_open(moment):
            return moment
        return self._hours.next_opening(moment)
