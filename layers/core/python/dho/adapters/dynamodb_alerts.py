"""AlertRepository on the tenant's DynamoDB table (key design and guards in ``dho.adapters.keys``).

* create: one transaction puts the alert, its open-alert guard (``OPEN_ALERT#<rule>``, only if absent:
  at most one open alert per patient + rule) and its id lookup, and checks that its evidence is newer
  than the rule's watermark (``ALERT_WATERMARK#<rule>``: episodes closed up to that measured time are
  never opened again); if the alert itself exists already the decision was a replay and nothing is
  written;
* update: the alert is replaced only if the stored ``version`` is the expected one (optimistic
  concurrency); closing it deletes its guard and moves the watermark up to the alert's newest evidence
  in the same transaction, and drops the triage attributes;
* the patient's open alerts are found through the guards (the closed history is never read), the
  watermarks through their own prefix, the tenant's open alerts through the triage index (red first,
  then oldest first);
* the sweep's work: every write puts the alert's due marker (``ALERT_DUE#<alert_id>``, in the index's
  ``DUE`` partition under its due time) in the same transaction, or deletes it when the sweep has
  nothing left to do with the alert; "what is due now" is one key-range query on ``DUE`` with a Limit,
  then a consistent batch read of those alerts;
* outbox: the pending notifications a write carries are put in its transaction (right after the alert
  item, unconditionally: the alert's own conditions decide whether anything is written), found when
  due through the triage index's ``NOTIFY`` partition, and deleted on the condition that they still
  exist (a second delete reports False instead of failing).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from dho.adapters import keys
from dho.adapters.dynamodb_codec import decode, encode, raise_if_transient
from dho.adapters.table_schema import TRIAGE_INDEX, TRIAGE_PARTITION_KEY, TRIAGE_SORT_KEY
from dho.domain.alerts import (
    SEVERITY_RANK,
    ActionKind,
    Alert,
    AlertAction,
    AlertState,
    CloseReason,
    Notification,
    NotificationKind,
    PendingNotification,
    Route,
)
from dho.domain.clock import from_canonical, to_canonical
from dho.domain.findings import Rule, Severity
from dho.ports import AlertConflict, TransientStoreError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

_ABSENT = "attribute_not_exists(pk)"
_CLOSED_THROUGH = "closed_through"
_CONDITION_FAILED = "ConditionalCheckFailed"
_BATCH_GET_LIMIT = 100


class DynamoDbAlerts:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # ---- reads --------------------------------------------------------------------------------------

    def list_open(self, patient_id: str) -> Sequence[Alert]:
        guards = self._query(
            {
                "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
                "ExpressionAttributeValues": encode(
                    {":pk": keys.patient_pk(patient_id), ":prefix": keys.OPEN_ALERT_PREFIX}
                ),
                "ConsistentRead": True,
            }
        )
        wanted = [{"pk": keys.patient_pk(patient_id), "sk": str(guard["alert_sk"])} for guard in guards]
        alerts = [_alert_from(item) for item in self._batch_get(wanted)]
        return sorted((a for a in alerts if a.is_open), key=lambda a: (a.opened_at, a.rule.value))

    def closed_through(self, patient_id: str) -> Mapping[Rule, datetime]:
        watermarks = self._query(
            {
                "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
                "ExpressionAttributeValues": encode(
                    {":pk": keys.patient_pk(patient_id), ":prefix": keys.ALERT_WATERMARK_PREFIX}
                ),
                "ConsistentRead": True,
            }
        )
        return {Rule(item["rule"]): from_canonical(str(item[_CLOSED_THROUGH])) for item in watermarks}

    def get(self, alert_id: str) -> Alert | None:
        lookup = self._get_item(keys.alert_lookup_pk(alert_id), keys.ALERT_LOOKUP_SK)
        if lookup is None:
            return None
        item = self._get_item(keys.patient_pk(str(lookup["patient_id"])), str(lookup["alert_sk"]))
        return None if item is None else _alert_from(item)

    def opened_between(
        self, patient_id: str, start: datetime, end: datetime, *, limit: int = 1000
    ) -> Sequence[Alert]:
        """The patient's alerts opened in [start, end), open or closed, oldest first (the FHIR export, the
        caseload). One query of the patient's ``ALERT#`` items, filtered by ``opened_at`` on the server:
        the sort key leads with the rule, so a time range per key would take one query per rule (12), and
        the caseload asks this for every row. The query reads the patient's alert history (kept no longer
        than the tenant's retention), in 1 MB pages; never a scan."""
        request = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :alerts)",
            "FilterExpression": "#opened >= :from AND #opened < :to",  # canonical times sort as strings
            "ExpressionAttributeNames": {"#opened": "opened_at"},
            "ExpressionAttributeValues": encode({":pk": keys.patient_pk(patient_id), ":alerts": keys.ALERT_PREFIX,
                                                 ":from": to_canonical(start), ":to": to_canonical(end)}),
            "ConsistentRead": True,
        }
        # No Limit: with a filter DynamoDB counts the items read, not those kept.
        found = [alert for alert in map(_alert_from, self._query(request)) if start <= alert.opened_at < end]
        return sorted(found, key=lambda a: (a.opened_at, a.rule.value))[:limit]

    def triage(self, *, limit: int | None = None) -> Sequence[Alert]:
        """The tenant's open and acknowledged alerts, red before yellow, oldest first (the nurses' list;
        also what the scheduled sweep works through). The index is eventually consistent."""
        request: dict[str, Any] = {
            "IndexName": TRIAGE_INDEX,
            "KeyConditionExpression": "#tpk = :open",
            "ExpressionAttributeNames": {"#tpk": TRIAGE_PARTITION_KEY},
            "ExpressionAttributeValues": encode({":open": keys.TRIAGE_OPEN}),
        }
        return [_alert_from(item) for item in self._query(request, limit=limit)]

    def due_alerts(self, now: datetime, *, limit: int) -> Sequence[Alert]:
        """Open alerts due for the sweep by ``now``, the longest due first, at most ``limit``: a key-range
        query (``triage_sk < <now + 1 µs>``) on the index's ``DUE`` partition, paged up to ``limit``
        markers, then the alerts themselves, read consistently (a marker the index has not caught up with
        yet names an alert the policy finds not due; a new one is seen a tick later)."""
        request: dict[str, Any] = {
            "IndexName": TRIAGE_INDEX,
            "KeyConditionExpression": "#tpk = :due AND #tsk < :due_by",
            "ExpressionAttributeNames": {"#tpk": TRIAGE_PARTITION_KEY, "#tsk": TRIAGE_SORT_KEY},
            "ExpressionAttributeValues": encode({":due": keys.TRIAGE_ALERTS_DUE, ":due_by": keys.due_by(now)}),
        }
        markers = self._query(request, limit=limit)
        order = {str(marker["alert_id"]): i for i, marker in enumerate(markers)}
        wanted = [{"pk": str(marker["pk"]), "sk": str(marker["alert_sk"])} for marker in markers]
        alerts = [_alert_from(item) for item in self._batch_get(wanted)]
        return sorted((a for a in alerts if a.is_open), key=lambda a: order[a.alert_id])

    def open_ids(self, alert_ids: Collection[str]) -> set[str]:
        """Through the id lookups (one batch read) to the alerts (another): which are open now."""
        lookups = self._batch_get([{"pk": keys.alert_lookup_pk(i), "sk": keys.ALERT_LOOKUP_SK} for i in alert_ids])
        wanted = [{"pk": keys.patient_pk(str(item["patient_id"])), "sk": str(item["alert_sk"])} for item in lookups]
        return {alert.alert_id for alert in map(_alert_from, self._batch_get(wanted)) if alert.is_open}

    def due_notifications(self, now: datetime, *, limit: int | None = None) -> Sequence[PendingNotification]:
        """Outbox entries due by ``now``, the longest due first: a key-range query on the index's
        ``NOTIFY`` partition (eventually consistent: the grace period is far longer than its lag)."""
        request: dict[str, Any] = {
            "IndexName": TRIAGE_INDEX,
            "KeyConditionExpression": "#tpk = :notify AND #tsk < :due_by",
            "ExpressionAttributeNames": {"#tpk": TRIAGE_PARTITION_KEY, "#tsk": TRIAGE_SORT_KEY},
            "ExpressionAttributeValues": encode(
                {":notify": keys.TRIAGE_PENDING_NOTIFICATIONS, ":due_by": keys.due_by(now)}
            ),
        }
        return [_pending_from(item) for item in self._query(request, limit=limit)]

    # ---- writes -------------------------------------------------------------------------------------

    def save(
        self,
        alert: Alert,
        expected_version: int | None,
        *,
        pending: Sequence[PendingNotification] = (),
        sweep_due_at: datetime | None = None,
    ) -> bool:
        # The outbox entries and the due marker ride on the alert's own conditions: no condition of their own.
        riding = [_put(self._table, _pending_item(p), None) for p in pending]
        due = sweep_due_at if alert.is_open else None
        if due is not None:
            riding.append(_put(self._table, _due_marker_item(alert, due), None))
        if expected_version is None:
            if alert.version != 1:
                raise ValueError("a new alert starts at version 1")
            return self._create(alert, riding)
        if alert.version != expected_version + 1:
            raise ValueError("an update moves the version on by exactly one")
        if due is None:  # off the sweep's index (deleting a marker that is not there is no error)
            riding.append({"Delete": {"TableName": self._table, "Key": encode(_due_marker_key(alert))}})
        self._update(alert, expected_version, riding)
        return True

    def index_for_sweep(self, alert: Alert, sweep_due_at: datetime | None) -> bool:
        marker: TransactWriteItemTypeDef = (
            {"Delete": {"TableName": self._table, "Key": encode(_due_marker_key(alert))}}
            if sweep_due_at is None or not alert.is_open
            else _put(self._table, _due_marker_item(alert, sweep_due_at), None)
        )
        unchanged: TransactWriteItemTypeDef = {
            "ConditionCheck": {
                "TableName": self._table,
                "Key": encode({"pk": keys.patient_pk(alert.patient_id), "sk": keys.alert_sk(alert.rule.value,
                                                                                         alert.opened_at)}),
                "ConditionExpression": "#v = :version",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": encode({":version": alert.version}),
            }
        }
        reasons = self._transact([unchanged, marker])
        if reasons is None:
            return True
        if reasons[0] == _CONDITION_FAILED:
            return False
        raise TransientStoreError(f"transaction cancelled: {','.join(reasons)}")

    def settle(self, pending: PendingNotification) -> bool:
        key = {
            "pk": keys.patient_pk(pending.notification.patient_id),
            "sk": keys.pending_notification_sk(pending.notification.alert_id, pending.alert_version),
        }
        try:
            self._client.delete_item(
                TableName=self._table, Key=encode(key), ConditionExpression="attribute_exists(pk)"
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False  # settled before (a retried sweep, or the publish path and the sweep both)
        except (ClientError, BotoCoreError) as error:
            raise_if_transient(error)
            raise
        return True

    def _create(self, alert: Alert, riding: list[TransactWriteItemTypeDef]) -> bool:
        alert_sk = keys.alert_sk(alert.rule.value, alert.opened_at)
        pk = keys.patient_pk(alert.patient_id)
        lookup = {
            "pk": keys.alert_lookup_pk(alert.alert_id),
            "sk": keys.ALERT_LOOKUP_SK,
            "item_type": "alert_lookup",
            "patient_id": alert.patient_id,
            "alert_sk": alert_sk,
        }
        # The alert first (its code tells a replay) and the watermark last (its code alone may be retried
        # without it); what rides on the alert (outbox entries, due marker) carries no condition of its own.
        items: list[TransactWriteItemTypeDef] = [
            _put(self._table, _alert_item(alert), _ABSENT),
            *riding,
            _put(self._table, lookup, _ABSENT),
        ]
        if alert.is_open:
            guard = {
                "pk": pk,
                "sk": keys.open_alert_sk(alert.rule.value),
                "item_type": "open_alert_guard",
                "alert_id": alert.alert_id,
                "alert_sk": alert_sk,
            }
            items.append(_put(self._table, guard, _ABSENT))
            # Never reopen a closed episode: the evidence must be newer than what was closed.
            items.append(
                {
                    "ConditionCheck": {
                        "TableName": self._table,
                        "Key": self._watermark_key(alert),
                        "ConditionExpression": "attribute_not_exists(#through) OR #through < :evidence",
                        "ExpressionAttributeNames": {"#through": _CLOSED_THROUGH},
                        "ExpressionAttributeValues": encode({":evidence": to_canonical(alert.last_evidence_at)}),
                    }
                }
            )
        else:
            items.append(self._move_watermark(alert))
        reasons = self._transact(items)
        if reasons is not None and not alert.is_open and _only_watermark_failed(reasons):
            reasons = self._transact(items[:-1])  # the watermark is later already: leave it
        if reasons is None:
            return True
        if reasons[0] == _CONDITION_FAILED:
            return False  # this very alert was created before: a replayed decision
        if _CONDITION_FAILED in reasons:
            raise AlertConflict(
                f"another alert is open for {alert.rule.value}, or an episode of it with "
                "evidence this new is closed already"
            )
        raise TransientStoreError(f"transaction cancelled: {','.join(reasons)}")

    def _update(self, alert: Alert, expected_version: int, riding: list[TransactWriteItemTypeDef]) -> None:
        pk = keys.patient_pk(alert.patient_id)
        guard_key = encode({"pk": pk, "sk": keys.open_alert_sk(alert.rule.value)})
        ours = encode({":id": alert.alert_id})
        items: list[TransactWriteItemTypeDef] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": encode(_alert_item(alert)),
                    "ConditionExpression": "#v = :expected",
                    "ExpressionAttributeNames": {"#v": "version"},
                    "ExpressionAttributeValues": encode({":expected": expected_version}),
                }
            },
            *riding,
        ]
        if alert.is_open:  # still ours: nobody closed it and opened another in between
            items.append(
                {
                    "ConditionCheck": {
                        "TableName": self._table,
                        "Key": guard_key,
                        "ConditionExpression": "alert_id = :id",
                        "ExpressionAttributeValues": ours,
                    }
                }
            )
        else:  # closing: free the slot for the next episode (if it is still ours), remember what was closed
            items.append(
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": guard_key,
                        "ConditionExpression": f"{_ABSENT} OR alert_id = :id",
                        "ExpressionAttributeValues": ours,
                    }
                }
            )
            items.append(self._move_watermark(alert))
        reasons = self._transact(items)
        if reasons is not None and not alert.is_open and _only_watermark_failed(reasons):
            # The watermark is already later than this alert's evidence (it only moves forward): close
            # without touching it.
            reasons = self._transact(items[:-1])
        if reasons is None:
            return
        if _CONDITION_FAILED in reasons:
            raise AlertConflict(f"alert {alert.alert_id} changed since version {expected_version}")
        raise TransientStoreError(f"transaction cancelled: {','.join(reasons)}")

    def _watermark_key(self, alert: Alert) -> dict[str, Any]:
        return encode({"pk": keys.patient_pk(alert.patient_id), "sk": keys.alert_watermark_sk(alert.rule.value)})

    def _move_watermark(self, alert: Alert) -> TransactWriteItemTypeDef:
        """Set the rule's watermark to the closed alert's newest evidence, unless it is later already.
        Writing the same value again changes nothing (idempotent)."""
        return {
            "Update": {
                "TableName": self._table,
                "Key": self._watermark_key(alert),
                "UpdateExpression": "SET #through = :through, item_type = :type, #rule = :rule",
                "ConditionExpression": "attribute_not_exists(#through) OR #through <= :through",
                "ExpressionAttributeNames": {"#through": _CLOSED_THROUGH, "#rule": "rule"},
                "ExpressionAttributeValues": encode(
                    {
                        ":through": to_canonical(alert.last_evidence_at),
                        ":type": "alert_watermark",
                        ":rule": alert.rule.value,
                    }
                ),
            }
        }

    # ---- plumbing -----------------------------------------------------------------------------------

    def _transact(self, items: list[TransactWriteItemTypeDef]) -> list[str] | None:
        """Run the transaction; None if it went through, else the cancellation code of each item."""
        try:
            self._client.transact_write_items(TransactItems=items)
        except self._client.exceptions.TransactionCanceledException as cancelled:
            reasons = cancelled.response.get("CancellationReasons", [])
            return [str(r.get("Code", "None")) for r in reasons] or ["Unknown"]
        except (ClientError, BotoCoreError) as error:
            raise_if_transient(error)
            raise
        return None

    def _get_item(self, pk: str, sk: str) -> dict[str, Any] | None:
        try:
            response = self._client.get_item(
                TableName=self._table, Key=encode({"pk": pk, "sk": sk}), ConsistentRead=True
            )
        except (ClientError, BotoCoreError) as error:
            raise_if_transient(error)
            raise
        item = response.get("Item")
        return None if item is None else decode(item)

    def _query(self, request: dict[str, Any], *, limit: int | None = None) -> list[dict[str, Any]]:
        request = {"TableName": self._table, **request}
        items: list[dict[str, Any]] = []
        while limit is None or len(items) < limit:
            page_request = request if limit is None else {**request, "Limit": limit - len(items)}
            try:
                page = self._client.query(**page_request)
            except (ClientError, BotoCoreError) as error:
                raise_if_transient(error)
                raise
            items.extend(decode(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return items

    def _batch_get(self, wanted: list[dict[str, str]]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(wanted), _BATCH_GET_LIMIT):
            pending: dict[str, Any] = {
                self._table: {
                    "Keys": [encode(key) for key in wanted[start : start + _BATCH_GET_LIMIT]],
                    "ConsistentRead": True,
                }
            }
            while pending:
                try:
                    response = self._client.batch_get_item(RequestItems=pending)
                except (ClientError, BotoCoreError) as error:
                    raise_if_transient(error)
                    raise
                found.extend(decode(item) for item in response.get("Responses", {}).get(self._table, []))
                pending = dict(response.get("UnprocessedKeys") or {})
        return found


def _only_watermark_failed(reasons: list[str]) -> bool:
    """The cancellation came from the last item (the watermark) alone."""
    return reasons[-1] == _CONDITION_FAILED and all(r in ("None", "") for r in reasons[:-1])


def _put(table: str, item: dict[str, Any], condition: str | None) -> TransactWriteItemTypeDef:
    if condition is None:
        return {"Put": {"TableName": table, "Item": encode(item)}}
    return {"Put": {"TableName": table, "Item": encode(item), "ConditionExpression": condition}}


def _pending_item(pending: PendingNotification) -> dict[str, Any]:
    """What re-rendering and re-publishing needs: the notification's facts (ids, severity, rule, tier,
    kind, route), never a name, a national id, a value or the alert's detail."""
    note = pending.notification
    return {
        "pk": keys.patient_pk(note.patient_id),
        "sk": keys.pending_notification_sk(note.alert_id, pending.alert_version),
        "item_type": "pending_notification",
        "alert_id": note.alert_id,
        "alert_version": pending.alert_version,
        "patient_id": note.patient_id,
        "severity": note.severity.value,
        "rule": note.rule.value,
        "tier": note.tier,
        "kind": note.kind.value,
        "route": note.route.value,
        "other_alert_ids": list(note.other_alert_ids),
        "due_at": to_canonical(pending.due_at),
        TRIAGE_PARTITION_KEY: keys.TRIAGE_PENDING_NOTIFICATIONS,
        TRIAGE_SORT_KEY: keys.pending_notification_triage_sk(pending.due_at, note.alert_id, pending.alert_version),
    }


def _due_marker_key(alert: Alert) -> dict[str, str]:
    return {"pk": keys.patient_pk(alert.patient_id), "sk": keys.alert_due_sk(alert.alert_id)}


def _due_marker_item(alert: Alert, due_at: datetime) -> dict[str, Any]:
    """Where the sweep finds the alert once it is due: its key, no health data."""
    return {
        **_due_marker_key(alert),
        "item_type": "alert_due",
        "alert_id": alert.alert_id,
        "alert_sk": keys.alert_sk(alert.rule.value, alert.opened_at),
        "due_at": to_canonical(due_at),
        TRIAGE_PARTITION_KEY: keys.TRIAGE_ALERTS_DUE,
        TRIAGE_SORT_KEY: keys.alert_due_triage_sk(due_at, alert.alert_id),
    }


def _pending_from(item: dict[str, Any]) -> PendingNotification:
    notification = Notification(
        alert_id=str(item["alert_id"]),
        patient_id=str(item["patient_id"]),
        severity=Severity(item["severity"]),
        rule=Rule(item["rule"]),
        tier=int(item["tier"]),
        kind=NotificationKind(item["kind"]),
        other_alert_ids=tuple(str(i) for i in item.get("other_alert_ids", [])),
        route=Route(item.get("route", Route.CENTRE.value)),  # entries written before routes: the centre's
    )
    return PendingNotification(notification, int(item["alert_version"]), from_canonical(str(item["due_at"])))


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else to_canonical(moment)


def _alert_item(alert: Alert) -> dict[str, Any]:
    return {
        "pk": keys.patient_pk(alert.patient_id),
        "sk": keys.alert_sk(alert.rule.value, alert.opened_at),
        "item_type": "alert",
        "alert_id": alert.alert_id,
        "patient_id": alert.patient_id,
        "rule": alert.rule.value,
        "severity": alert.severity.value,
        "state": alert.state.value,
        "opened_at": to_canonical(alert.opened_at),
        "updated_at": to_canonical(alert.updated_at),
        "last_evidence_at": to_canonical(alert.last_evidence_at),
        "evidence": list(alert.evidence),
        "detail": alert.detail,
        "policy_version": alert.policy_version,
        "count": alert.count,
        "tier": alert.tier,
        "notifications_sent": alert.notifications_sent,
        "last_notified_at": _time(alert.last_notified_at),
        "next_notify_at": _time(alert.next_notify_at),
        "escalation_started_at": _time(alert.escalation_started_at),
        "escalation_step": alert.escalation_step,
        "route": alert.route.value,
        "quiet_count": alert.quiet_count,
        "last_quiet_evaluation_at": _time(alert.last_quiet_evaluation_at),
        "acknowledged_by": alert.acknowledged_by,
        "acknowledged_at": _time(alert.acknowledged_at),
        "closed_by": alert.closed_by,
        "closed_at": _time(alert.closed_at),
        "close_reason": None if alert.close_reason is None else alert.close_reason.value,
        "close_note": alert.close_note,
        "score": alert.score,
        "snoozed_until": _time(alert.snoozed_until),
        "history": [_action_item(action) for action in alert.history],
        "version": alert.version,
        # Only open and acknowledged alerts are on the triage list (a sparse index: closed ones drop out).
        TRIAGE_PARTITION_KEY: keys.TRIAGE_OPEN if alert.is_open else None,
        TRIAGE_SORT_KEY: keys.triage_sk(SEVERITY_RANK[alert.severity], alert.opened_at, alert.alert_id)
        if alert.is_open
        else None,
    }


def _optional_time(item: dict[str, Any], name: str) -> datetime | None:
    value = item.get(name)
    return None if value is None else from_canonical(str(value))


def _alert_from(item: dict[str, Any]) -> Alert:
    reason = item.get("close_reason")
    return Alert(
        alert_id=str(item["alert_id"]),
        patient_id=str(item["patient_id"]),
        rule=Rule(item["rule"]),
        severity=Severity(item["severity"]),
        state=AlertState(item["state"]),
        opened_at=from_canonical(str(item["opened_at"])),
        updated_at=from_canonical(str(item["updated_at"])),
        last_evidence_at=from_canonical(str(item["last_evidence_at"])),
        evidence=tuple(str(e) for e in item.get("evidence", [])),
        detail=str(item["detail"]),
        policy_version=str(item["policy_version"]),
        count=int(item["count"]),
        tier=int(item["tier"]),
        notifications_sent=int(item["notifications_sent"]),
        last_notified_at=_optional_time(item, "last_notified_at"),
        next_notify_at=_optional_time(item, "next_notify_at"),
        escalation_started_at=_optional_time(item, "escalation_started_at"),
        escalation_step=int(item["escalation_step"]),
        route=Route(item.get("route", Route.CENTRE.value)),  # alerts written before routes: the centre's
        quiet_count=int(item["quiet_count"]),
        last_quiet_evaluation_at=_optional_time(item, "last_quiet_evaluation_at"),
        acknowledged_by=item.get("acknowledged_by"),
        acknowledged_at=_optional_time(item, "acknowledged_at"),
        closed_by=item.get("closed_by"),
        closed_at=_optional_time(item, "closed_at"),
        close_reason=None if reason is None else CloseReason(reason),
        close_note=item.get("close_note"),
        score=None if item.get("score") is None else float(item["score"]),
        snoozed_until=_optional_time(item, "snoozed_until"),
        history=tuple(_action_from(entry) for entry in item.get("history", [])),  # none before histories
        version=int(item["version"]),
    )


def _action_item(action: AlertAction) -> dict[str, Any]:
    item = {
        "kind": action.kind.value,
        "at": to_canonical(action.at),
        "by": action.by,
        "until": _time(action.until),
        "outcome": None if action.outcome is None else action.outcome.value,
        "note": action.note,
    }
    return {key: value for key, value in item.items() if value is not None}


def _action_from(item: dict[str, Any]) -> AlertAction:
    outcome = item.get("outcome")
    return AlertAction(
        kind=ActionKind(item["kind"]),
        at=from_canonical(str(item["at"])),
        by=item.get("by"),
        until=_optional_time(item, "until"),
        outcome=None if outcome is None else CloseReason(outcome),
        note=item.get("note"),
    )
