"""Replay a cohort through the production code: messages in arrival order in batches, the time-driven
sweeps on a simulated clock, a nurse model; the result is every alert change and a summary.

Order of work (docs/replay.md): the messages are cut into batches by arrival time (``batch``, default
15 min, aligned to whole multiples since the epoch). Before a batch that starts at ``a``, everything timed
up to ``a`` happens in time order: each whole minute is a tick of the escalation function (its sweep if an
alert or an outbox entry is due by then, then the missed-measurement checks of that minute's roster slot),
and the nurse's planned actions happen at their own times, before the tick of their minute. Then each
tenant's messages of the batch are ingested one by one and its patients scored (``ReadingsPipeline``),
as one invocation of ``process_readings``. After the last batch the timed work runs ``tail`` (6 h) longer.
"""

from __future__ import annotations

import gc
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dho.domain.alerts import AlertPolicySettings
from dho.domain.registry import ROSTER_SLOTS, roster_slot
from dho.evaluation.evaluator import FRESHNESS
from dho.ingest.service import IngestResult, IngestStatus
from dho.pipeline import evaluation_times
from dho.replay.alert_log import AlertLog
from dho.replay.baseline_nurse import BaselineNurse, BaselineReviewModel
from dho.replay.clock import SimulatedClock
from dho.replay.cohort import Cohort, CohortMessage, LineError, load_cohort
from dho.replay.nurse import Nurse, NurseModel
from dho.replay.tenant import TenantReplay

DEFAULT_BATCH = timedelta(minutes=15)
_MINUTE = timedelta(minutes=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ReplayOptions:
    batch: timedelta = DEFAULT_BATCH
    nurse: NurseModel = field(default_factory=NurseModel)
    baselines: BaselineReviewModel = field(default_factory=BaselineReviewModel)
    policy: AlertPolicySettings = field(default_factory=AlertPolicySettings)
    # The timed work (sweeps, checks, nurse) goes on this long after the last batch, so the alerts the
    # last readings raise run their course (a red's escalation takes 2 h, the nurse closes a yellow in 4 h).
    tail: timedelta = timedelta(hours=6)


@dataclass
class _Counts:
    messages: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)
    evaluations: int = 0
    adherence_checks: int = 0
    scoring_failed: Counter[str] = field(default_factory=Counter)
    batches: int = 0
    sweeps: int = 0

    def add(self, result: IngestResult) -> None:
        self.messages += 1
        if result.status is IngestStatus.STORED:
            self.stored += 1
        elif result.status is IngestStatus.DUPLICATE:
            self.duplicates += 1
        else:
            self.quarantined[result.reason.value if result.reason else "unknown"] += 1


@dataclass
class ReplayResult:
    log: AlertLog
    summary: dict[str, Any]


class Replay:
    """A cohort's tenants, the alert log and the simulated clock; :meth:`run` does the replay."""

    def __init__(
        self, cohort: Cohort, options: ReplayOptions | None = None,
        tenant_factory: Callable[[str, AlertPolicySettings, SimulatedClock], TenantReplay] = TenantReplay,
    ) -> None:
        """``tenant_factory`` builds each tenant's services and stores (the benchmark swaps the stores)."""
        self.options = options or ReplayOptions()
        self._tenant_factory = tenant_factory
        self.cohort = cohort
        self.errors: list[LineError] = list(cohort.errors)
        start = cohort.messages[0].received_at if cohort.messages else _EPOCH
        self.clock = SimulatedClock(start)
        self.log = AlertLog()
        self.tenants: dict[str, TenantReplay] = {}
        self._nurses: dict[str, Nurse] = {}
        self._baseline_nurses: dict[str, BaselineNurse] = {}
        self._counts = _Counts()
        self._last_tick = _floor(start, _MINUTE)
        self._occupied_slots: set[int] = set()
        self._enrolled = 0
        self._enrol(start)

    def run(self) -> ReplayResult:
        started = time.perf_counter()
        with _few_collections():
            for batch_start, messages in self._batches():
                self._run_timed_until(batch_start)
                self.clock.advance_to(batch_start)
                self._process(batch_start, messages)
            if self.cohort.messages:
                last = self.cohort.messages[-1].received_at
                self._run_timed_until(_floor(last, self.options.batch) + self.options.batch + self.options.tail)
        wall = time.perf_counter() - started
        return ReplayResult(self.log, self._summary(wall))

    # ---- setting up ----------------------------------------------------------------------------------

    def _tenant(self, name: str) -> TenantReplay:
        tenant = self.tenants.get(name)
        if tenant is None:
            tenant = self.tenants[name] = self._tenant_factory(name, self.options.policy, self.clock)
            nurse = self._nurses[name] = Nurse(self.options.nurse, tenant.alert_service, tenant.alerts,
                                               self.options.policy.opening_hours)
            baselines = self._baseline_nurses[name] = BaselineNurse(self.options.baselines, tenant.plans,
                                                                    tenant.timeline)
            tenant.alerts.watch(self.log.watcher(name, nurse.on_event, baselines.on_event))
        return tenant

    def _enrol(self, at: datetime) -> None:
        enrolled: dict[str, str] = {}
        for number, patient in enumerate(self.cohort.patients, start=1):
            try:
                self._tenant(patient.tenant).enrol(patient, at)
            except ValueError as error:
                self.errors.append(LineError("patients.jsonl", number, f"patient not enrolled: {error}"))
                continue
            enrolled[patient.patient_id] = patient.tenant
            self._enrolled += 1
            self._occupied_slots.add(roster_slot(patient.patient_id))
        numbered = sorted(enumerate(self.cohort.devices, start=1), key=lambda d: d[1].valid_from)
        for number, device in numbered:  # each device's periods in time order, whatever the file's order
            tenant = enrolled.get(device.patient_id)
            if tenant is None:
                self.errors.append(LineError("devices.jsonl", number, "device of a patient not enrolled"))
                continue
            try:
                self._tenant(tenant).assign(device)
            except ValueError as error:
                self.errors.append(LineError("devices.jsonl", number, str(error)))

    # ---- the replay ----------------------------------------------------------------------------------

    def _batches(self) -> Iterator[tuple[datetime, list[CohortMessage]]]:
        batch: list[CohortMessage] = []
        batch_start: datetime | None = None
        for message in self.cohort.messages:
            start = _floor(message.received_at, self.options.batch)
            if batch and start != batch_start:
                assert batch_start is not None
                yield batch_start, batch
                batch = []
            batch_start = start
            batch.append(message)
        if batch and batch_start is not None:
            yield batch_start, batch

    def _process(self, batch_start: datetime, messages: Sequence[CohortMessage]) -> None:
        self._counts.batches += 1
        by_tenant: dict[str, list[CohortMessage]] = {}
        for message in messages:
            by_tenant.setdefault(message.tenant, []).append(message)
        for name, own in by_tenant.items():
            tenant = self._tenant(name)
            pipeline = tenant.pipeline
            results = []
            for message in own:
                result = pipeline.ingest(rule_body(message), arrived_at=_millis(message.received_at))
                self._counts.add(result)
                results.append(result)
            _tell_roster(tenant, results, batch_start)
            baselines = self._baseline_nurses[name]
            for result in results:
                if result.status is IngestStatus.STORED and result.patient_id and result.measured_at:
                    baselines.saw_reading(result.patient_id, result.measured_at)
            baselines.review_due(batch_start)
            score = pipeline.score(results)
            for patient_id in score.failed:
                tenant.roster.changed(patient_id)
            self._counts.evaluations += len(score.alerts) + len(score.failed)
            self._counts.scoring_failed.update(score.failed.values())

    def _run_timed_until(self, until: datetime) -> None:
        """Every minute tick after the last one up to ``until``, with the nurses' actions before each."""
        tick = self._last_tick + _MINUTE
        while tick <= until:
            tick = self._next_busy_tick(tick, until)
            if tick > until:
                break
            self._act(tick)
            self.clock.advance_to(tick)
            for tenant in self.tenants.values():
                due = [d for d in (tenant.alerts.next_sweep_due(), tenant.alerts.next_notification_due())
                       if d is not None]
                if due and min(due) <= tick:
                    tenant.alert_service.sweep(tick)
                    self._counts.sweeps += 1
                if (tick.minute % ROSTER_SLOTS) in self._occupied_slots:
                    self._counts.adherence_checks += tenant.check_adherence(tick)
            self._last_tick = tick
            tick += _MINUTE
        self._act(until)

    def _next_busy_tick(self, tick: datetime, until: datetime) -> datetime:
        """The first tick from ``tick`` on at which anything can happen (a roster slot with patients)."""
        while tick <= until and (tick.minute % ROSTER_SLOTS) not in self._occupied_slots:
            due = self._earliest_due()
            if due is not None and due <= tick:
                return tick
            tick += _MINUTE
        return tick

    def _earliest_due(self) -> datetime | None:
        times = [d for t in self.tenants.values()
                 for d in (t.alerts.next_sweep_due(), t.alerts.next_notification_due()) if d is not None]
        times += [n for n in (nurse.next_at() for nurse in self._nurses.values()) if n is not None]
        return min(times, default=None)

    def _act(self, until: datetime) -> None:
        for nurse in self._nurses.values():
            nurse.act_until(until)

    def _summary(self, wall: float) -> dict[str, Any]:
        counts = self._counts
        by_rule = self.log.by_rule_and_severity()
        return {
            "patients": self._enrolled,
            "tenants": sorted(self.tenants),
            "messages": counts.messages,
            "stored": counts.stored,
            "duplicates": counts.duplicates,
            "quarantined": {"total": sum(counts.quarantined.values()),
                            "reasons": dict(sorted(counts.quarantined.items()))},
            "line_errors": [{"file": e.file, "line": e.line, "error": e.error} for e in self.errors],
            "alerts": {"opened": sum(sum(s.values()) for s in by_rule.values()), "by_rule": by_rule,
                       "events": self.log.counts()},
            "evaluations": counts.evaluations,
            "adherence_checks": counts.adherence_checks,
            "scoring_failed": dict(sorted(counts.scoring_failed.items())),
            "batches": counts.batches,
            "sweeps": counts.sweeps,
            "nurse_actions": sum(n.acted for n in self._nurses.values()),
            "baselines_confirmed": sum(n.confirmed for n in self._baseline_nurses.values()),
            "wall_seconds": round(wall, 3),
            "evaluations_per_second": round(counts.evaluations / wall, 1) if wall > 0 else None,
        }


def replay_cohort(cohort_dir: Path, out_dir: Path | None = None, options: ReplayOptions | None = None) -> ReplayResult:
    """Load ``cohort_dir``, replay it, and (with ``out_dir``) write ``alerts.jsonl`` and ``summary.json``."""
    started = time.perf_counter()
    cohort = load_cohort(cohort_dir)
    result = Replay(cohort, options).run()
    result.summary["load_seconds"] = round(time.perf_counter() - started - result.summary["wall_seconds"], 3)
    if out_dir is not None:
        write_outputs(result, out_dir)
    return result


def write_outputs(result: ReplayResult, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / "alerts.jsonl").open("w", encoding="utf-8") as lines:
        for event in result.log.events:
            lines.write(json.dumps(event.as_json()) + "\n")
    (out_dir / "summary.json").write_text(json.dumps(result.summary, indent=2) + "\n", encoding="utf-8")


def rule_body(message: CohortMessage) -> str:
    """What the readings rule (``SELECT *, topic(2) AS tenant, topic(4) AS device_id, timestamp() AS
    received_at``) puts on the queue: the payload with the topic's tenant and device and the arrival in
    milliseconds. A payload that is not a JSON object goes on as it came (ingest quarantines it)."""
    document: Any = message.document
    if document is None:
        try:
            document = json.loads(message.payload)
        except ValueError:
            return message.payload
    if not isinstance(document, dict):
        return message.payload
    received_ms = int(message.received_at.timestamp() * 1000)
    return json.dumps({**document, "tenant": message.tenant, "device_id": message.device_id,
                       "received_at": received_ms}, separators=(",", ":"))


def _tell_roster(tenant: TenantReplay, results: Sequence[IngestResult], batch_start: datetime) -> None:
    """New readings change what the hourly check sees; those fresh enough to be evaluated by the pipeline
    (``ReadingsPipeline.score``) are checked by that evaluation, no earlier than the batch's start. Each
    call replaces what the patient's earlier ones set (patients apart), so each patient's last stored reading
    is told, once, with when the pipeline evaluates them."""
    evaluated_at, _ = evaluation_times(results)
    fresh_of: dict[str, bool] = {}
    for result in results:
        if result.status is not IngestStatus.STORED or result.patient_id is None:
            continue
        measured, received = result.measured_at, result.received_at
        fresh_of[result.patient_id] = measured is not None and received is not None and received - measured <= FRESHNESS
    for patient_id, fresh in fresh_of.items():
        if fresh:
            tenant.roster.evaluated(patient_id, batch_start, evaluated_at.get(patient_id))
        else:
            tenant.roster.changed(patient_id)


@contextmanager
def _few_collections() -> Iterator[None]:
    """The replay allocates millions of long-lived objects (the stores): with the default thresholds the
    cyclic collector rescans them over and over (a third of the time). The loaded cohort is frozen out of
    its reach and young objects are collected less often; both are restored afterwards."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _millis(moment: datetime) -> datetime:
    """The arrival as SQS states it (whole milliseconds)."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _floor(moment: datetime, step: timedelta) -> datetime:
    return moment - (moment - _EPOCH) % step
