"""No notification is lost once its alert is written: the notification goes into the outbox in the same
write as the alert, leaves it when SNS has taken it, and the escalation sweep publishes what a failed
publish left behind once the grace period has passed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from dho.alerting.policy import AlertPolicy
from dho.alerting.service import AlertService
from dho.domain.alerts import AlertPolicySettings, Notification, NotificationKind, PendingNotification
from dho.domain.findings import Evaluation, Rule
from dho.ports import TransientStoreError
from tests.support.alert_fakes import InMemoryAlerts, RecordingNotifier
from tests.unit.alerting.helpers import (
    NURSE,
    PATIENT,
    POLICIES,
    RED,
    T0,
    YELLOW,
    evaluation,
    evaluation_sequences,
    finding,
    minutes,
)

GRACE = timedelta(seconds=60)
LONG_AGO = datetime.min.replace(tzinfo=UTC)


@dataclass
class WallClock:
    """The function's wall clock, set by the test (by default it reads the decision's own time)."""

    at: datetime = LONG_AGO

    def __call__(self) -> datetime:
        return self.at


class Centre:
    """A tenant's alert service on in-memory ports whose SNS can be taken down."""

    def __init__(self, settings: AlertPolicySettings | None = None) -> None:
        self.alerts = InMemoryAlerts()
        self.notifier = RecordingNotifier()
        self.clock = WallClock()
        self.service = AlertService(
            AlertPolicy(settings), self.alerts, self.notifier, tenant_name="Bodø", notification_grace=GRACE,
            clock=self.clock,
        )

    def sent(self) -> list[Notification]:
        return [n for n, _ in self.notifier.sent]

    def evaluate_during_outage(self, ev: Evaluation, now: datetime | None = None) -> None:
        self.notifier.down = True
        outcome = self.service.on_evaluation(ev, now or ev.evaluated_at)  # not raised: the outbox has it
        self.notifier.down = False
        assert outcome.notified == 0 and outcome.deferred == len(self.pending()) > 0

    def pending(self) -> list[PendingNotification]:
        return list(self.alerts.outbox.values())


def test_given_sns_is_up_then_every_notification_leaves_the_outbox_once_published() -> None:
    centre = Centre()

    centre.service.on_evaluation(evaluation(finding(Rule.SPO2_BAND, RED), finding(Rule.WEIGHT_GAIN, YELLOW)), T0)
    centre.service.sweep(T0 + minutes(16))  # the red's next step

    assert [n.kind for n in centre.sent()] == [NotificationKind.NEW, NotificationKind.NEW, NotificationKind.ESCALATION]
    assert [entry.notification for entry in centre.alerts.settled] == centre.sent()  # each went through it
    assert centre.pending() == []
    assert centre.service.sweep(T0 + minutes(17)).notified == 0


def test_given_the_publish_fails_after_the_write_then_the_sweep_after_the_grace_period_sends_it_exactly_once() -> None:
    centre = Centre()
    ev = evaluation(finding(Rule.WEIGHT_GAIN, YELLOW, at=T0))

    # WHEN SNS is down as the yellow alert is written
    centre.evaluate_during_outage(ev, T0)

    # THEN the alert is stored, nobody is told yet, and its notification waits in the outbox
    (alert,) = centre.alerts.list_open(PATIENT)
    (entry,) = centre.pending()
    assert entry.notification.alert_id == alert.alert_id and entry.notification.kind is NotificationKind.NEW
    assert entry.due_at == T0 + GRACE
    assert centre.sent() == []

    # AND a sweep within the grace period leaves it to the publish path
    early = centre.service.sweep(T0 + timedelta(seconds=59))
    assert early.notified == 0 and len(centre.pending()) == 1

    # WHEN SQS delivers the record again (SNS is back): a replay, it writes and sends nothing
    replay = centre.service.on_evaluation(ev, T0 + timedelta(seconds=30))
    assert replay.written == () and replay.notified == 0 and len(centre.pending()) == 1

    # WHEN the sweep runs after the grace period
    outcome = centre.service.sweep(T0 + minutes(2))

    # THEN the yellow is told exactly once, with the text it would have had, and the outbox is empty
    assert outcome.redelivered == 1 and outcome.notified == 1
    ((note, text),) = centre.notifier.sent
    assert note == entry.notification
    assert text == "DHO Bodø: GULT varsel, pasient X9M2: vekten øker. Åpne DHO-arbeidslisten."
    assert centre.pending() == []
    assert centre.service.sweep(T0 + minutes(3)).notified == 0
    assert centre.sent() == [entry.notification]


def test_after_one_failed_publish_the_other_notifications_wait_in_the_outbox_without_waiting_on_sns() -> None:
    # GIVEN SNS down as a red and a yellow are raised in one evaluation
    centre = Centre()
    centre.notifier.down = True
    red_and_yellow = evaluation(finding(Rule.SPO2_BAND, RED), finding(Rule.WEIGHT_GAIN, YELLOW))
    outcome = centre.service.on_evaluation(red_and_yellow, T0)

    # THEN both alerts are written, SNS was tried once (a second try could wait out its timeouts again),
    # and both notifications are deferred to the outbox, which the sweep empties once SNS is back
    assert (len(outcome.written), outcome.notified, outcome.deferred, centre.notifier.failed) == (2, 0, 2, 1)
    centre.notifier.down = False
    assert centre.service.sweep(T0 + minutes(2)).redelivered == 2
    assert sorted(n.severity for n in centre.sent()) == sorted([RED, YELLOW]) and centre.pending() == []


def test_a_red_whose_first_sms_failed_is_told_by_the_next_sweep_not_15_minutes_later() -> None:
    centre = Centre()
    centre.evaluate_during_outage(evaluation(finding(Rule.NEWS2, RED, at=T0)), T0)

    outcome = centre.service.sweep(T0 + minutes(1))

    assert outcome.redelivered == 1
    assert [(n.rule, n.severity, n.kind, n.tier) for n in centre.sent()] == [(Rule.NEWS2, RED, NotificationKind.NEW, 0)]
    # and its escalation goes on as planned
    centre.service.sweep(T0 + minutes(16))
    assert [n.kind for n in centre.sent()] == [NotificationKind.NEW, NotificationKind.ESCALATION]
    assert centre.pending() == []


def test_given_a_backed_up_queue_the_grace_period_counts_from_the_write_not_from_the_arrival() -> None:
    centre = Centre()
    centre.clock.at = T0 + minutes(10)  # the readings arrived at T0 and are processed 10 minutes later

    centre.evaluate_during_outage(evaluation(finding(Rule.SPO2_BAND, RED, at=T0)), T0)

    assert centre.service.sweep(T0 + minutes(10)).notified == 0  # a sweep racing the publish sends nothing
    (entry,) = centre.pending()
    assert entry.due_at == T0 + minutes(10) + GRACE
    assert centre.service.sweep(T0 + minutes(11)).redelivered == 1


def test_given_sns_down_during_a_sweep_then_the_escalation_it_wrote_is_sent_by_a_later_sweep() -> None:
    centre = Centre()
    centre.service.on_evaluation(evaluation(finding(Rule.SPO2_BAND, RED, at=T0)), T0)

    centre.notifier.down = True
    during = centre.service.sweep(T0 + minutes(15))
    centre.notifier.down = False
    assert (during.written, during.notified, during.deferred) == ((centre.alerts.list_open(PATIENT)[0].alert_id,), 0, 1)
    assert centre.alerts.list_open(PATIENT)[0].tier == 1  # the step is recorded: it will not be decided again

    assert centre.service.sweep(T0 + minutes(15)).notified == 0  # a retry of the same tick: within the grace
    outcome = centre.service.sweep(T0 + minutes(16))

    assert outcome.redelivered == 1
    assert [(n.kind, n.tier) for n in centre.sent()] == [(NotificationKind.NEW, 0), (NotificationKind.ESCALATION, 1)]
    assert centre.pending() == []


def test_a_notification_whose_alert_a_nurse_closed_meanwhile_is_dropped_not_sent() -> None:
    centre = Centre()
    centre.evaluate_during_outage(evaluation(finding(Rule.SPO2_BAND, RED, at=T0)), T0)
    (alert,) = centre.alerts.list_open(PATIENT)
    centre.service.close(alert.alert_id, NURSE, T0 + timedelta(seconds=40))  # seen on the triage list

    outcome = centre.service.sweep(T0 + minutes(2))

    assert (outcome.notified, outcome.dropped) == (0, 1)
    assert centre.sent() == [] and centre.pending() == []


@dataclass
class StuckOutbox(InMemoryAlerts):
    """The delete after a publish fails (DynamoDB throttled) a number of times."""

    failing_settles: int = 0

    def settle(self, pending: PendingNotification) -> bool:
        if self.failing_settles:
            self.failing_settles -= 1
            raise TransientStoreError("ProvisionedThroughputExceededException")
        return super().settle(pending)


def test_given_the_delete_after_a_publish_fails_then_the_message_is_sent_twice_never_lost() -> None:
    alerts, notifier = StuckOutbox(failing_settles=1), RecordingNotifier()
    service = AlertService(AlertPolicy(), alerts, notifier, tenant_name="Bodø", clock=WallClock())

    first = service.on_evaluation(evaluation(finding(Rule.WEIGHT_GAIN, YELLOW, at=T0)), T0)
    again = service.sweep(T0 + minutes(2))

    assert (first.notified, first.unsettled) == (1, 1)
    assert again.redelivered == 1  # the one duplicate at-least-once delivery allows
    assert len(notifier.sent) == 2 and notifier.sent[0] == notifier.sent[1]
    assert alerts.outbox == {}


RULES = (Rule.SPO2_BAND, Rule.SPO2_BELOW_PERSONAL_MEAN, Rule.WEIGHT_GAIN)


def run(sequence: list[Evaluation], outage: list[bool], policy: AlertPolicySettings | None = None) -> Centre:
    """Each evaluation delivered, and again 30 s later (SQS may deliver any record twice: the second
    delivery is a plain replay), then a sweep; SNS is down during the first delivery and the sweep of
    the steps ``outage`` marks (neither raises: what SNS did not take stays in the outbox). A last sweep
    after the grace period."""
    centre = Centre(policy)
    for ev, down in zip(sequence, outage, strict=False):
        centre.notifier.down = down
        centre.service.on_evaluation(ev, ev.evaluated_at)
        centre.notifier.down = False
        centre.service.on_evaluation(ev, ev.evaluated_at + timedelta(seconds=30))
        centre.notifier.down = down
        centre.service.sweep(ev.evaluated_at + timedelta(seconds=45))
        centre.notifier.down = False
    centre.service.sweep(sequence[-1].evaluated_at + minutes(2))
    return centre


def about(alert_ids: set[str], notes: list[Notification]) -> Counter[Notification]:
    return Counter(n for n in notes if alert_ids.intersection(n.alert_ids))


@settings(max_examples=150, deadline=None)
@given(
    sequence=evaluation_sequences(RULES),
    outage=st.lists(st.booleans(), min_size=12, max_size=12),
    policy=st.sampled_from(POLICIES),
)
def test_given_any_evaluations_and_sns_outages_then_no_notification_of_an_open_alert_is_lost_or_doubled(
    sequence: list[Evaluation], outage: list[bool], policy: AlertPolicySettings
) -> None:
    up = run(sequence, [False] * len(sequence), policy)
    centre = run(sequence, outage, policy)

    # the outbox changes delivery, never the decisions
    assert centre.alerts.alerts == up.alerts.alerts
    # nothing is sent that SNS-always-up would not have sent, and nothing more often
    sent, sent_if_up = Counter(centre.sent()), Counter(up.sent())
    assert sent <= sent_if_up
    # every notification about an alert still open has been delivered (only those about alerts a nurse
    # or the policy closed before the sweep came round may have been dropped), and the outbox is empty
    still_open = {a.alert_id for a in centre.alerts.alerts.values() if a.is_open}
    assert about(still_open, centre.sent()) == about(still_open, up.sent())
    assert centre.pending() == [] and up.pending() == []
