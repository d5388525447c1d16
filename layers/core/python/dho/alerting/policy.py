"""The alert policy: what an evaluation, the passing of time or a nurse does to a patient's alerts.

Pure functions of their inputs (the clock is a parameter), so the same inputs always give the same
decision. The caller loads the open alerts, asks for a :class:`Decision`, writes each
:class:`AlertWrite` with its expected version (optimistic concurrency: on a conflict, reload and decide
again), then publishes the notifications of the alerts it wrote.

Rules (defaults in :class:`~dho.domain.alerts.AlertPolicySettings`, described in the README's "Scoring and alerts"):

* one open alert per patient + rule; a re-fire with new evidence bumps its count;
* replay-safe: a finding whose newest evidence the alert has already counted changes nothing, a
  quiet evaluation not newer than the last one counted changes nothing;
* closed stays closed: per patient + rule the store keeps a watermark, the newest evidence (measured
  time) of the episodes closed so far (by hysteresis, as stale, or by a nurse). A finding whose newest
  evidence is not later than it opens nothing: it is the closed episode's readings again (an SQS
  redelivery, a device re-sending an old batch). A reading measured after it opens a new episode;
* red notifies at once and escalates while nobody acknowledges it (repeat every 15 min, tiers with
  delays, at most 3 loops); an acknowledged red that is not closed re-triggers after 30 min;
  only a nurse closes a red;
* yellow notifies once (published as yellow: the subscriptions route it to e-mail/worklist, never
  SMS) and never again; it closes itself after N quiet evaluations or when its evidence goes stale;
  a missed-measurements alert (``Rule.MISSED_MEASUREMENTS``, yellow only; ``dho.evaluation.adherence``)
  closes after one quiet evaluation (the patient measured again) and never as stale (silence is its
  condition). Its evidence time is the deadline the patient missed, so the watermark works as for the
  others: the same silence never reopens a closed episode, a silence after a new measurement does;
* yellow → red on the same rule upgrades the alert and notifies at once (breaks through suppression);
* a red inhibits new yellow alerts about the same parameter (``rule_family``);
* acknowledging, snoozing or closing one alert never touches another;
* snooze (a nurse, bounded per severity: ``AlertPolicySettings.snooze_limit``): no repeat, escalation or
  re-trigger until it wakes; a red wakes as an acknowledged red re-triggers (a new cycle from tier 0),
  a yellow just stops being snoozed (it is told once anyway). A worsening breaks through at once: new
  evidence of a higher severity, or a worse score (``Finding.score``) for the same rule, ends the snooze
  and notifies as ``WORSENED`` (a red starts its escalation as a new red would);
* opening hours (``settings.opening_hours``, Europe/Oslo): while the centre
  is closed, a red is told on the out-of-hours route (``Route.OUT_OF_HOURS``): straight to the last tier
  (the out-of-hours clinic), and its repeats follow the escalation schedule's times, all at that tier.
  A centre cycle that reaches a step after closing time moves to the out-of-hours route there (the
  clinic is told at once). At the next opening an out-of-hours red that is still open and not
  acknowledged is handed to the centre: a new cycle on the centre route, tier 0 told at opening (as a
  repeat), escalating as by day (the clinic hears of it again at its tier if nobody takes it). Nobody on
  duty hears less: the clinic is told at once at night, the centre at opening. An acknowledged red is
  somebody's already: it re-triggers as by day, on the route of that moment. A yellow raised while the
  centre is closed is told nobody then: it waits (``next_notify_at`` = the next opening) and the sweep
  tells the centre at opening, once (``NEW``); if it closes itself, is acknowledged or worsens to red
  before that, the wait ends with it. Who is on duty is a fact of the moment, so the current settings'
  hours decide (the timings stay those of the alert's policy version).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from dho.domain.alerts import (
    SEVERITY_RANK,
    ActionKind,
    Alert,
    AlertAction,
    AlertClosedError,
    AlertPolicySettings,
    AlertState,
    CloseReason,
    Notification,
    NotificationKind,
    Route,
    SnoozeRefused,
    alert_id_for,
    rule_family,
)
from dho.domain.clock import require_aware
from dho.domain.findings import Evaluation, Finding, Rule, Severity

_HPR_NUMBER = re.compile(r"^[0-9]{1,9}$")  # Helsepersonellregisteret numbers: up to 9 digits
_KIND_URGENCY = {
    NotificationKind.WORSENED: 0,
    NotificationKind.NEW: 1,
    NotificationKind.ESCALATION: 2,
    NotificationKind.REPEAT: 3,
}


@dataclass(frozen=True, slots=True)
class AlertWrite:
    """Store ``alert``: create it (``expected_version`` None: it must not exist, and no other alert may
    be open for its patient + rule) or replace the stored version ``expected_version``."""

    alert: Alert
    expected_version: int | None


@dataclass(frozen=True, slots=True)
class Decision:
    writes: tuple[AlertWrite, ...] = ()
    notifications: tuple[Notification, ...] = ()
    inhibited: tuple[Rule, ...] = ()  # yellow findings not raised: a red covers the same parameter
    already_closed: tuple[Rule, ...] = ()  # findings not raised: no evidence newer than a closed episode

    @property
    def is_empty(self) -> bool:
        return not self.writes and not self.notifications


@dataclass(frozen=True, slots=True)
class EscalationStep:
    offset: timedelta  # after the start of the escalation cycle
    tier: int


def escalation_schedule(settings: AlertPolicySettings) -> tuple[EscalationStep, ...]:
    """Every notification of an unacknowledged red, in order. With the defaults (repeat 15 min, tiers
    at 0/15/30 min, 3 loops): tier 0 at 0, tier 1 at 15, tier 2 at 30, tier 0 at 45 … tier 2 at 120 min,
    then silence (the alert stays on the triage list). A tier held longer than the repeat interval is
    told again every ``red_repeat_minutes`` before the next tier takes over."""
    repeat = settings.red_repeat
    starts = [timedelta(minutes=m) for m in settings.tier_after_minutes]
    loop = starts[-1] + repeat
    steps: list[EscalationStep] = []
    for loop_index in range(settings.max_loops):
        base = loop * loop_index
        for tier, start in enumerate(starts):
            end = starts[tier + 1] if tier + 1 < len(starts) else loop
            at = start
            while at < end:
                steps.append(EscalationStep(base + at, tier))
                at += repeat
    return tuple(steps)


class AlertPolicy:
    """``earlier_settings``: settings of earlier policy versions, so an alert keeps the timings of the
    version it was raised under (an unknown version falls back to the current settings)."""

    def __init__(
        self, settings: AlertPolicySettings | None = None, *, earlier_settings: Iterable[AlertPolicySettings] = ()
    ) -> None:
        self.settings = settings or AlertPolicySettings()
        self._by_version = {s.version: s for s in earlier_settings}
        self._by_version[self.settings.version] = self.settings
        self._schedules = {version: escalation_schedule(s) for version, s in self._by_version.items()}

    # ---- evaluations -------------------------------------------------------------------------------

    def decide(
        self,
        evaluation: Evaluation,
        open_alerts: Sequence[Alert],
        now: datetime,
        *,
        closed_through: Mapping[Rule, datetime] | None = None,
    ) -> Decision:
        """What one evaluation of one patient does to that patient's open alerts. ``closed_through``:
        the patient's watermarks (:meth:`~dho.ports.AlertRepository.closed_through`); needed for the
        rules that fired and have no open alert."""
        require_aware(now)
        watermarks = closed_through or {}
        originals = _open_by_rule(evaluation.patient_id, open_alerts)
        working = dict(originals)
        kinds: dict[Rule, NotificationKind] = {}
        inhibited: list[Rule] = []
        already_closed: list[Rule] = []
        red_families = {a.family for a in originals.values() if a.severity is Severity.RED}
        red_families |= {rule_family(f.rule) for f in evaluation.findings if f.severity is Severity.RED}
        fired: set[Rule] = set()

        # Oldest first, so evidence and counts move forward in measured time; yellow before red at
        # the same time, so a worsening within one evaluation is seen as one.
        for finding in sorted(evaluation.findings, key=lambda f: (f.observed_at, f.severity is Severity.RED)):
            if finding.patient_id != evaluation.patient_id:
                raise ValueError("a finding of another patient in this evaluation")
            fired.add(finding.rule)
            alert = working.get(finding.rule)
            kind: NotificationKind | None
            if alert is None:
                closed = watermarks.get(finding.rule)
                if closed is not None and finding.observed_at <= closed:
                    already_closed.append(finding.rule)  # the closed episode's evidence again
                    continue
                if finding.severity is Severity.YELLOW and rule_family(finding.rule) in red_families:
                    inhibited.append(finding.rule)
                    continue
                alert, kind = self._raise(finding, now)
            elif self._is_news(alert, finding):
                alert, kind = self._refire(alert, finding, now)
            else:
                continue  # a replay, or a late finding older than what the alert has counted
            working[finding.rule] = alert
            if kind is not None and kinds.get(finding.rule) is not NotificationKind.NEW:
                kinds[finding.rule] = kind

        for rule, alert in working.items():
            if rule not in fired and rule in evaluation.quiet_rules:
                working[rule] = self._quiet(alert, evaluation.evaluated_at, now)

        writes = [_write(originals.get(rule), alert) for rule, alert in working.items() if originals.get(rule) != alert]
        notes = [(working[rule], kind) for rule, kind in kinds.items() if working[rule].is_open]
        return Decision(
            writes=tuple(writes),
            notifications=_grouped(notes),
            inhibited=tuple(inhibited),
            already_closed=tuple(already_closed),
        )

    def _is_news(self, alert: Alert, finding: Finding) -> bool:
        """New evidence: measured after the newest evidence counted, or at that very time with reading
        ids not yet recorded. Anything else (a replayed batch, a late older reading) is not news."""
        if finding.observed_at != alert.last_evidence_at:
            return finding.observed_at > alert.last_evidence_at
        ids = _bounded(finding.evidence, self._settings(alert).max_evidence)
        return not set(ids) <= set(alert.evidence)

    def _raise(self, finding: Finding, now: datetime) -> tuple[Alert, NotificationKind | None]:
        settings = self.settings
        alert = Alert(
            alert_id=alert_id_for(finding.patient_id, finding.rule, finding.observed_at),
            patient_id=finding.patient_id,
            rule=finding.rule,
            severity=finding.severity,
            state=AlertState.OPEN,
            opened_at=finding.observed_at,
            updated_at=now,
            last_evidence_at=finding.observed_at,
            evidence=_bounded(finding.evidence, settings.max_evidence),
            detail=finding.detail,
            policy_version=settings.version,
            score=finding.score,
        )
        if finding.severity is Severity.RED:
            return self._start_escalation(alert, now), NotificationKind.NEW
        return self._tell_yellow(alert, now, NotificationKind.NEW)

    def _tell_yellow(
        self, alert: Alert, now: datetime, kind: NotificationKind
    ) -> tuple[Alert, NotificationKind | None]:
        hours = self.settings.opening_hours
        if hours is not None and not hours.is_open(now):
            # Yellow while the centre is closed: told nobody now; the sweep tells the centre at opening.
            return replace(alert, next_notify_at=hours.next_opening(now)), None
        # Yellow: told once (next_notify_at stays None); again only when it breaks through a snooze.
        return replace(
            alert, tier=0, route=Route.CENTRE, notifications_sent=alert.notifications_sent + 1, last_notified_at=now
        ), kind

    def _refire(self, alert: Alert, finding: Finding, now: datetime) -> tuple[Alert, NotificationKind | None]:
        settings = self._settings(alert)
        at_least_as_severe = SEVERITY_RANK[finding.severity] <= SEVERITY_RANK[alert.severity]
        more_severe = SEVERITY_RANK[finding.severity] < SEVERITY_RANK[alert.severity]
        worse_score = finding.score is not None and alert.score is not None and finding.score > alert.score
        snoozed = alert.snoozed_at(now)
        alert = replace(
            alert,
            count=alert.count + 1,
            score=_worst(alert.score, finding.score),
            evidence=_merged(alert.evidence, finding.evidence, settings.max_evidence),
            last_evidence_at=max(alert.last_evidence_at, finding.observed_at),
            detail=finding.detail if at_least_as_severe else alert.detail,  # the detail explains the colour
            quiet_count=0,
            updated_at=now,
        )
        if snoozed and (more_severe or worse_score):
            return self._break_snooze(alert, finding.severity, now)
        if snoozed:
            return alert, None  # counted; the snooze holds (no worse than what the nurse snoozed)
        if finding.severity is not Severity.RED:
            return alert, None  # yellow never notifies again; a red alert stays red until a nurse closes it
        if alert.severity is Severity.YELLOW:
            worse = replace(alert, severity=Severity.RED, state=AlertState.OPEN)
            return self._start_escalation(worse, now), NotificationKind.WORSENED
        # Still escalating: steps of its schedule are left (an out-of-hours red whose schedule has run
        # out only waits for the opening: it counts as run out, as by day).
        steps_left = alert.escalation_step + 1 < len(self._schedule(alert))
        escalating = alert.state is AlertState.OPEN and alert.next_notify_at is not None and steps_left
        told = alert.last_notified_at
        recently_told = told is not None and now - told < settings.repeat_suppression
        if escalating or recently_told:
            return alert, None  # the escalation schedule already takes care of telling someone
        # Red again, acknowledged (or its escalation ran out) and not told for a while: re-trigger.
        return self._start_escalation(replace(alert, state=AlertState.OPEN), now), NotificationKind.REPEAT

    def _break_snooze(self, alert: Alert, severity: Severity, now: datetime) -> tuple[Alert, NotificationKind | None]:
        """A worsening ends the snooze now and is told as a new alert of its severity would be."""
        worst = severity if SEVERITY_RANK[severity] < SEVERITY_RANK[alert.severity] else alert.severity
        woken = replace(
            alert, severity=worst, state=AlertState.OPEN, snoozed_until=None,
            history=alert.recorded(AlertAction(ActionKind.SNOOZE_BROKEN, now)),
        )
        if worst is Severity.RED:
            return self._start_escalation(woken, now), NotificationKind.WORSENED
        return self._tell_yellow(woken, now, NotificationKind.WORSENED)

    def _quiet(self, alert: Alert, evaluated_at: datetime, now: datetime) -> Alert:
        counted = alert.last_quiet_evaluation_at
        if evaluated_at <= alert.last_evidence_at or (counted is not None and evaluated_at <= counted):
            return alert  # older than what the alert knows, or counted already (a replay)
        alert = replace(alert, quiet_count=alert.quiet_count + 1, last_quiet_evaluation_at=evaluated_at, updated_at=now)
        settings = self._settings(alert)
        enough = (settings.missed_measurements_quiet_evaluations_to_close if alert.rule is Rule.MISSED_MEASUREMENTS
                  else settings.yellow_quiet_evaluations_to_close)
        if alert.severity is Severity.YELLOW and alert.quiet_count >= enough:
            return _closed(alert, None, now, CloseReason.QUIET)
        return alert

    def _start_escalation(self, alert: Alert, now: datetime) -> Alert:
        """Tell the first tier now and plan the rest of the schedule (a new cycle), on the route of the
        moment: while the centre is closed the "first tier" is the last one (the out-of-hours clinic)."""
        schedule = self._schedule(alert)
        route = self._route_at(now)
        return replace(
            alert,
            tier=self._tier(alert, schedule[0].tier, route),
            route=route,
            escalation_started_at=now,
            escalation_step=0,
            notifications_sent=alert.notifications_sent + 1,
            last_notified_at=now,
            next_notify_at=self._wake_at(route, now, now + schedule[1].offset if len(schedule) > 1 else None),
            updated_at=now,
        )

    # ---- the passing of time -----------------------------------------------------------------------

    def sweep(self, open_alerts: Sequence[Alert], now: datetime) -> Decision:
        """Time-driven work, for a scheduled function (every few minutes): repeat and escalate
        unacknowledged reds, re-trigger acknowledged reds not closed in time, close stale yellows, hand
        out-of-hours reds to the centre and tell the yellows that waited for it at opening.
        Idempotent for a given ``now``: what it did is recorded in the alerts it returns."""
        require_aware(now)
        writes: list[AlertWrite] = []
        notes: list[tuple[Alert, NotificationKind]] = []
        for alert in open_alerts:
            if not alert.is_open:
                continue
            updated, kind = self._due(alert, now)
            if updated != alert:
                writes.append(_write(alert, updated))
            if kind is not None:
                notes.append((updated, kind))
        return Decision(writes=tuple(writes), notifications=_grouped(notes))

    def sweep_due_at(self, alert: Alert) -> datetime | None:
        """The earliest time at which :meth:`sweep` would change ``alert`` (None: never, until something
        else writes it). The store indexes alerts by it, so a sweep reads only what is due: before this
        time the sweep leaves the alert as it is."""
        if not alert.is_open:
            return None
        if alert.severity is Severity.RED:
            return alert.next_notify_at
        candidates: list[datetime] = []
        if alert.rule is not Rule.MISSED_MEASUREMENTS:  # silence is what that one is about: never stale
            candidates.append(alert.last_evidence_at + self._settings(alert).stale_yellow)
        if alert.next_notify_at is not None and alert.state is AlertState.OPEN:  # waits for the opening
            candidates.append(alert.next_notify_at)
        return min(candidates, default=None)

    def _due(self, alert: Alert, now: datetime) -> tuple[Alert, NotificationKind | None]:
        settings = self._settings(alert)
        if alert.severity is Severity.YELLOW:
            stale = now - alert.last_evidence_at >= settings.stale_yellow
            if stale and alert.rule is not Rule.MISSED_MEASUREMENTS:  # silence is what that one is about
                return _closed(alert, None, now, CloseReason.STALE), None
            if alert.next_notify_at is None or now < alert.next_notify_at or alert.state is not AlertState.OPEN:
                return alert, None
            hours = self.settings.opening_hours
            if hours is not None and not hours.is_open(now):  # the hours changed while it waited: wait on
                return replace(alert, next_notify_at=hours.next_opening(now), updated_at=now), None
            # Raised while the centre was closed, and the centre is open now: told once, as when raised.
            return replace(
                alert,
                tier=0,
                route=Route.CENTRE,
                notifications_sent=alert.notifications_sent + 1,
                last_notified_at=now,
                next_notify_at=None,
                updated_at=now,
            ), NotificationKind.NEW
        if alert.next_notify_at is None or now < alert.next_notify_at:
            return alert, None
        if alert.snoozed_until is not None:
            if now < alert.snoozed_until:  # not awake yet: the snooze holds every step of the schedule
                return replace(alert, next_notify_at=alert.snoozed_until, updated_at=now), None
            # Awake and nobody closed it: told again from tier 0, as an acknowledged red re-triggers.
            awake = replace(alert, state=AlertState.OPEN, snoozed_until=None)
            return self._start_escalation(awake, now), NotificationKind.REPEAT
        started = alert.escalation_started_at
        if alert.state is AlertState.ACKNOWLEDGED or started is None:
            return self._start_escalation(replace(alert, state=AlertState.OPEN), now), NotificationKind.REPEAT
        route = self._route_at(now)
        if route is not alert.route:
            # The centre closed during a centre cycle (the clinic takes over now), or opened during an
            # out-of-hours one (the centre is told now): a new cycle on the route of the moment.
            moved = self._start_escalation(alert, now)
            return moved, NotificationKind.ESCALATION if moved.tier > alert.tier else NotificationKind.REPEAT
        schedule = self._schedule(alert)
        # If the sweep ran late and several steps are due, tell only the latest (one message, not a burst).
        due = max(i for i, step in enumerate(schedule) if started + step.offset <= now)
        if due <= alert.escalation_step:  # only an out-of-hours red woken for an opening that moved
            following = alert.escalation_step + 1
            return replace(
                alert,
                next_notify_at=self._wake_at(
                    route, now, started + schedule[following].offset if following < len(schedule) else None
                ),
                updated_at=now,
            ), None
        step = schedule[due]
        tier = self._tier(alert, step.tier, route)
        kind = NotificationKind.ESCALATION if tier > alert.tier else NotificationKind.REPEAT
        return replace(
            alert,
            tier=tier,
            escalation_step=due,
            notifications_sent=alert.notifications_sent + 1,
            last_notified_at=now,
            next_notify_at=self._wake_at(
                route, now, started + schedule[due + 1].offset if due + 1 < len(schedule) else None
            ),
            updated_at=now,
        ), kind

    # ---- nurse actions ------------------------------------------------------------------------------

    def acknowledge(self, alert: Alert, nurse_hpr: str, now: datetime) -> Alert:
        """The nurse takes this alert (and only this one). A red stops escalating and re-triggers if it
        is not closed within ``acknowledged_retrigger_minutes``; acknowledging again restarts that."""
        require_aware(now)
        _require_hpr(nurse_hpr)
        if not alert.is_open:
            raise AlertClosedError(f"alert {alert.alert_id} is closed")
        retrigger = now + self._settings(alert).acknowledged_retrigger if alert.severity is Severity.RED else None
        return replace(
            alert,
            state=AlertState.ACKNOWLEDGED,
            acknowledged_by=nurse_hpr,
            acknowledged_at=now,
            next_notify_at=retrigger,
            snoozed_until=None,  # the newer decision: a red re-triggers as any acknowledged red
            history=alert.recorded(AlertAction(ActionKind.ACKNOWLEDGED, now, nurse_hpr)),
            updated_at=now,
            version=alert.version + 1,
        )

    def snooze(self, alert: Alert, nurse_hpr: str, now: datetime, until: datetime, note: str | None = None) -> Alert:
        """The nurse snoozes this alert until ``until`` (at most the severity's bound ahead): no repeat or
        escalation before then; a worsening still breaks through (see the module doc)."""
        require_aware(now)
        require_aware(until)
        _require_hpr(nurse_hpr)
        if not alert.is_open:
            raise AlertClosedError(f"alert {alert.alert_id} is closed")
        limit = self._settings(alert).snooze_limit(alert.severity)
        if not limit:
            raise SnoozeRefused(f"a {alert.severity.value} alert cannot be snoozed")
        if until <= now:
            raise SnoozeRefused("a snooze must end in the future")
        if until - now > limit:
            minutes = int(limit.total_seconds() // 60)
            raise SnoozeRefused(f"a {alert.severity.value} alert can be snoozed for at most {minutes} minutes")
        return replace(
            alert,
            snoozed_until=until,
            # A red wakes through the sweep; a yellow is not told again, and any wait for the opening ends:
            # the nurse has seen it.
            next_notify_at=until if alert.severity is Severity.RED else None,
            history=alert.recorded(AlertAction(ActionKind.SNOOZED, now, nurse_hpr, until=until, note=note)),
            updated_at=now,
            version=alert.version + 1,
        )

    def close(
        self,
        alert: Alert,
        nurse_hpr: str,
        now: datetime,
        reason: CloseReason = CloseReason.RESOLVED,
        note: str | None = None,
    ) -> Alert:
        """The nurse closes this alert (the only way a red ends), with a reason and an optional note."""
        require_aware(now)
        _require_hpr(nurse_hpr)
        if reason.automatic:
            raise ValueError(f"{reason} is for automatic closing, not a nurse's reason")
        if not alert.is_open:
            raise AlertClosedError(f"alert {alert.alert_id} is closed")
        return replace(_closed(alert, nurse_hpr, now, reason, note), version=alert.version + 1)

    # ---- helpers ------------------------------------------------------------------------------------

    def _settings(self, alert: Alert) -> AlertPolicySettings:
        return self._by_version.get(alert.policy_version, self.settings)

    def _schedule(self, alert: Alert) -> tuple[EscalationStep, ...]:
        return self._schedules.get(alert.policy_version, self._schedules[self.settings.version])

    def _route_at(self, now: datetime) -> Route:
        """The route of a red told at ``now``: the centre's while it is open (always, without hours)."""
        hours = self.settings.opening_hours
        return Route.CENTRE if hours is None or hours.is_open(now) else Route.OUT_OF_HOURS

    def _tier(self, alert: Alert, scheduled: int, route: Route) -> int:
        """The tier told: the schedule's by day, the last one (the out-of-hours clinic) out of hours."""
        return scheduled if route is Route.CENTRE else len(self._settings(alert).tier_after_minutes) - 1

    def _wake_at(self, route: Route, now: datetime, next_step: datetime | None) -> datetime | None:
        """When the sweep has work on a red next: its next step; out of hours also the next opening (the
        centre is told then), even when the schedule has run out."""
        hours = self.settings.opening_hours
        if route is Route.CENTRE or hours is None:
            return next_step
        opening = hours.next_opening(now)
        return opening if next_step is None else min(next_step, opening)


def _require_hpr(nurse_hpr: str) -> None:
    if not _HPR_NUMBER.fullmatch(nurse_hpr):
        raise ValueError("a nurse is identified by an HPR number (up to 9 digits)")


def _open_by_rule(patient_id: str, alerts: Sequence[Alert]) -> dict[Rule, Alert]:
    by_rule: dict[Rule, Alert] = {}
    for alert in sorted(alerts, key=lambda a: a.opened_at):
        if alert.patient_id != patient_id:
            raise ValueError("an open alert of another patient was passed in")
        if alert.is_open:
            by_rule.setdefault(alert.rule, alert)  # the store keeps one per rule; if not, the oldest wins
    return by_rule


def _closed(alert: Alert, nurse_hpr: str | None, now: datetime, reason: CloseReason, note: str | None = None) -> Alert:
    return replace(
        alert,
        state=AlertState.CLOSED,
        closed_by=nurse_hpr,
        closed_at=now,
        close_reason=reason,
        close_note=note,
        next_notify_at=None,
        history=alert.recorded(AlertAction(ActionKind.CLOSED, now, nurse_hpr, outcome=reason, note=note)),
        updated_at=now,
    )


def _worst(recorded: float | None, new: float | None) -> float | None:
    return recorded if new is None else new if recorded is None else max(recorded, new)


def _write(original: Alert | None, alert: Alert) -> AlertWrite:
    if original is None:
        return AlertWrite(alert=replace(alert, version=1), expected_version=None)
    return AlertWrite(alert=replace(alert, version=original.version + 1), expected_version=original.version)


def _bounded(evidence: Sequence[str], limit: int) -> tuple[str, ...]:
    """Reading ids without repeats, the newest ``limit`` (evidence is listed oldest first)."""
    return tuple(dict.fromkeys(evidence))[-limit:]


def _merged(recorded: Sequence[str], evidence: Sequence[str], limit: int) -> tuple[str, ...]:
    """The finding's own (bounded) ids go last, so they are always kept: a replay then sees them all."""
    newest = _bounded(evidence, limit)
    return (*(e for e in recorded if e not in newest), *newest)[-limit:]


def _grouped(notes: Sequence[tuple[Alert, NotificationKind]]) -> tuple[Notification, ...]:
    """One notification per patient, severity, tier and route; the most pressing alert leads it."""
    groups: dict[tuple[str, Severity, int, Route], list[tuple[Alert, NotificationKind]]] = {}
    for alert, kind in notes:
        groups.setdefault((alert.patient_id, alert.severity, alert.tier, alert.route), []).append((alert, kind))
    notifications = []
    for (patient_id, severity, tier, route), members in groups.items():
        members.sort(key=lambda m: (_KIND_URGENCY[m[1]], m[0].opened_at, m[0].rule.value))
        (lead, kind), rest = members[0], members[1:]
        notifications.append(
            Notification(
                alert_id=lead.alert_id,
                patient_id=patient_id,
                severity=severity,
                rule=lead.rule,
                tier=tier,
                kind=kind,
                other_alert_ids=tuple(alert.alert_id for alert, _ in rest),
                route=route,
            )
        )
    notifications.sort(key=lambda n: (SEVERITY_RANK[n.severity], n.patient_id, n.tier, n.route.value))
    return tuple(notifications)
