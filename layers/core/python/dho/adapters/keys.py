"""Single-table key design of a tenant's table (one table per tenant, so keys carry no tenant).

| item                 | pk                      | sk                                         |
|----------------------|-------------------------|--------------------------------------------|
| patient profile      | ``PATIENT#<patient_id>``| ``PROFILE``                                |
| roster entry         | ``PATIENT#<patient_id>``| ``ROSTER``                                 |
| enrolment            | ``PATIENT#<patient_id>``| ``ENROLMENT``                              |
| timeline entry       | ``PATIENT#<patient_id>``| ``TL#<series>#<measured_at>#<reading_id>`` |
| newest readings      | ``PATIENT#<patient_id>``| ``NEWEST_READINGS``                        |
| self-management plan | ``PATIENT#<patient_id>``| ``PLAN#<version, 6 digits>``                |
| alert                | ``PATIENT#<patient_id>``| ``ALERT#<rule>#<opened_at>``               |
| open-alert guard     | ``PATIENT#<patient_id>``| ``OPEN_ALERT#<rule>``                      |
| alert watermark      | ``PATIENT#<patient_id>``| ``ALERT_WATERMARK#<rule>``                 |
| alert id lookup      | ``ALERT#<alert_id>``    | ``ALERT``                                  |
| pending notification | ``PATIENT#<patient_id>``| ``NOTIFY#<alert_id>#<alert_version>``      |
| alert due marker     | ``PATIENT#<patient_id>``| ``ALERT_DUE#<alert_id>``                   |
| advice to the device | ``PATIENT#<patient_id>``| ``ADVICE#<measured_at>#<message_id>``      |
| device assignment    | ``DEVICE#<device_id>``  | ``ASSIGNED#<valid_from>``                  |
| patient's device     | ``PATIENT#<patient_id>``| ``DEVICE_PERIOD#<valid_from>#<device_id>`` |
| reading guard        | ``DEVICE#<device_id>``  | ``READING#<reading_id>``                   |
| quarantined message  | ``QUARANTINE#<UTC day>``| ``MSG#<received_at>#<digest>``             |
| quarantine guard     | ``QUARANTINED#<digest>``| ``GUARD``                                  |

Times are fixed-width UTC text (``dho.domain.clock``), so ``begins_with``/``between`` on ``sk`` are
time-range queries. ``series`` is a metric (``spo2``) or a symptom set (``symptoms.copd``).
The reading guard makes ingest idempotent: it is written in the same transaction as the entries, on
the condition that it does not exist yet, and holds the reading's fingerprint to tell a replay from a
reused id.

The newest-readings summary (``dho.adapters.dynamodb_newest_readings``) holds, for each series the patient
has, an attribute ``TL#<series>`` = ``<measured_at>#<reading_id>`` of its newest entry
(``dho.domain.newest_readings``): no value, no health data beyond the time. Ingest updates it in the
transaction that stores the reading, on the condition that every mark it sets moves forward; so the
caseload reads the last reading of a page's patients with one ``BatchGetItem`` instead of a query per
metric, and scoring reads only the series a patient's summary lists (``dho.evaluation.windows``). Readings
stored before the summary existed are added once, before that scoring is deployed, by
``python -m dho.adapters.newest_readings_backfill``.

A device assignment is written twice in one transaction: under the device (which patient had it when:
ingest's question) and under the patient (which devices the patient had: the centre's question), and
its end is set on both in the transaction that ends it, so either side is one key-range query.

Quarantine (``dho.adapters.dynamodb_quarantine``): ``<digest>`` is the SHA-256 of the message's exact
bytes (the UTF-8 encoding of the SQS body as received, before any parse: ``dho.domain.quarantine``), so
two different bodies never share a record, however alike a JSON parser would read them (whitespace, key
order, a repeated key, a BOM, an escape). A record sits in the partition of the UTC day it arrived
(``2026-11-20``), sorted by arrival: "what was refused on day D" is one key-range query, read in bounded
pages (``list_day``: a limit and a continuation token), oldest first. No partition grows forever, and a
day's refused messages stay far below a partition's write limit. The guard makes keeping idempotent
across days: it is put in the same transaction as the record, on the condition that neither exists yet,
so a redelivery of the same bytes (even one after midnight, or a DLQ redrive) keeps nothing more; it
points at its record (``record_pk``, ``record_sk``). A message re-sent through IoT Core is other bytes
(the rule stamps a new ``received_at``) and gets a record of its own. Both items carry ``expires_at``
(``table_schema.TIME_TO_LIVE_ATTRIBUTE``, epoch seconds) = arrival + the tenant's quarantine retention:
refused bodies may hold measured values, and the table's TTL deletes them some time (up to a few days)
after that. No other item has ``expires_at``.

Alerts (``dho.adapters.dynamodb_alerts``): an alert is created in one transaction with its open-alert
guard (at most one open alert per patient + rule: the guard is written only if absent, and deleted in
the transaction that closes the alert) and its id lookup (``get(alert_id)`` without the patient). The
guards are also how the open alerts of a patient are found without reading their closed history.
Open and acknowledged alerts carry ``triage_pk`` = ``OPEN`` and ``triage_sk`` =
``<severity rank>#<opened_at>#<alert_id>`` (rank 1 red, 2 yellow) for the nurses' triage index: one
query gives red before yellow, oldest first. Closing an alert removes both attributes.

The alert watermark of a patient + rule holds ``closed_through``: the measured time of the newest
evidence of any closed episode of that rule. It is set in the transaction that closes the alert (so a
close can never be stored without it) and only ever moves forward; creating an alert checks, in the same
transaction, that its evidence is newer than the watermark. So a replay of an old episode's readings
(an SQS redelivery, a device re-sending yesterday's batch) after the episode was closed cannot open it
again, while a reading measured after the watermark can. ``ALERT_WATERMARK#`` does not begin with
``ALERT#``, so queries over a patient's alerts never see it.

The notification outbox: a pending notification is put in the very transaction that writes the alert
change it announces (so a written alert can never lose its notification), and deleted once SNS has
accepted it. It lives in the patient's partition (erasing a patient erases it too) and is found
tenant-wide through the triage index, in its own partition: ``triage_pk`` = ``NOTIFY`` and
``triage_sk`` = ``<due_at>#<alert_id>#<alert_version>``, so "every notification due by now, longest
due first" is one bounded key-range query (``triage_sk < <now + 1 µs>``), like the ``DUE`` partition
the sweep reads for the escalations it owes (below). Nothing but outbox entries is in ``NOTIFY``; the
nurses' list reads ``OPEN`` only. ``<alert_version>`` (6 digits) is the version of the
notification's lead alert as the notification was decided: one alert version announces at most one
notification, so (alert id, version) names it. ``NOTIFY#`` begins no other prefix of the partition.

The sweep's due markers: the escalation sweep runs every minute and must not read every open alert to
find the few it owes something (a repeat, an escalation, a stale yellow's close, a waiting yellow's
opening). Each open alert the sweep has work on later has a marker, put in the very transaction that
writes the alert (and deleted in the one that closes it or leaves the sweep nothing to do), with
``triage_pk`` = ``DUE`` and ``triage_sk`` = ``<due_at>#<alert_id>``, ``due_at`` being when the policy
next has work on it (``AlertPolicy.sweep_due_at``). "What is due now" is one bounded key-range query
(``triage_sk < <now + 1 µs>``, with a Limit), longest due first; alerts not yet due are never read. The
marker holds the alert's key (not the alert: no health data is copied), read consistently after the
query. ``ALERT_DUE#`` does not begin with ``ALERT#``.

The roster (the hourly missed-measurement checks of the escalation sweep): each registered patient has a
roster entry, written with the profile, that holds only the patient id and programme (no national id) and
sits in the triage index under ``triage_pk`` = ``ROSTER#<slot, 2 digits>`` (``dho.domain.registry.roster_slot``,
a stable hash, 0..59) and ``triage_sk`` = ``<patient_id>``. "The patients of this minute's slot" is one
bounded query; the nurses' list (``OPEN``) and the outbox (``NOTIFY``) never see it.

The caseload (the centre's review of its patients, "gjennomgang av brukerlister"): an enrolment that is
not discharged sits in the triage index under ``triage_pk`` = ``CASELOAD`` and ``triage_sk`` =
``<review_on>#<patient_id>``, so "every enrolled patient of the tenant, the review due first" is one
key-range query read in pages (the index is eventually consistent: an enrolment may show a moment late).
A discharge rewrites the item without them: the patient leaves the caseload.

The access log (Normen; ``dho.adapters.dynamodb_access_log``) is NOT in the tenant table: it has its own
append-only table per tenant, ``dho-<tenant>-access-log`` (same ``pk``/``sk`` key names, no index), so
erasing a patient's data from the tenant table (GDPR) keeps who accessed it, and the functions that write
the tenant table cannot touch it:

| item                 | pk                      | sk                                         |
|----------------------|-------------------------|--------------------------------------------|
| access log           | ``PATIENT#<patient_id>``| ``ACCESS#<accessed_at>#<access_id>``       |
| unattributed access  | ``ACCESS_UNATTRIBUTED`` | ``ACCESS#<accessed_at>#<access_id>``       |

One item per access to a patient's data (an export, also a refused or not-found one), put before the
data is returned, on the condition that it does not exist; never updated or deleted. The patient's
partition makes "who accessed patient X between A and B" one bounded key-range query
(``sk BETWEEN ACCESS#<A> AND ACCESS#<B>``, newest first). A refused request that named no usable patient
id has no patient partition to go to: it is kept under ``ACCESS_UNATTRIBUTED`` with the same sort key.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from dho.domain.clock import to_canonical

PROFILE = "PROFILE"
ENROLMENT_SK = "ENROLMENT"  # the patient's enrolment (decision, centre, GP, collaborations): the centre API
ROSTER_SK = "ROSTER"


def roster_partition(slot: int) -> str:
    """The triage-index partition of the roster entries of one check slot (``ROSTER#07``)."""
    return f"ROSTER#{slot:02d}"
QUARANTINE_PREFIX = "QUARANTINE#"
QUARANTINE_RECORD_PREFIX = "MSG#"
QUARANTINE_GUARD_PREFIX = "QUARANTINED#"
QUARANTINE_GUARD_SK = "GUARD"


def patient_pk(patient_id: str) -> str:
    return f"PATIENT#{patient_id}"


def device_pk(device_id: str) -> str:
    return f"DEVICE#{device_id}"


def timeline_prefix(series: str) -> str:
    return f"TL#{series}#"


def timeline_sk(series: str, measured_at: datetime, reading_id: str) -> str:
    return f"{timeline_prefix(series)}{to_canonical(measured_at)}#{reading_id}"


NEWEST_READINGS_SK = "NEWEST_READINGS"  # the patient's newest mark per series (dynamodb_newest_readings)
PLAN_PREFIX = "PLAN#"


def plan_sk(version: int) -> str:
    return f"{PLAN_PREFIX}{version:06d}"  # zero-padded: the newest version sorts last


def assignment_sk(valid_from: datetime) -> str:
    return f"ASSIGNED#{to_canonical(valid_from)}"


ASSIGNMENT_PREFIX = "ASSIGNED#"
DEVICE_PERIOD_PREFIX = "DEVICE_PERIOD#"


def device_period_sk(valid_from: datetime, device_id: str) -> str:
    return f"{DEVICE_PERIOD_PREFIX}{to_canonical(valid_from)}#{device_id}"


def reading_guard_sk(reading_id: str) -> str:
    return f"READING#{reading_id}"


def quarantine_pk(day: date) -> str:
    """The partition of the messages quarantined on one UTC day (``QUARANTINE#2026-11-20``)."""
    return f"{QUARANTINE_PREFIX}{day.isoformat()}"


def quarantine_sk(received_at: datetime, message_digest: str) -> str:
    """Arrival first, so a day's records sort by arrival; the digest tells apart two at the same time."""
    return f"{QUARANTINE_RECORD_PREFIX}{to_canonical(received_at)}#{message_digest}"


def quarantine_guard_pk(message_digest: str) -> str:
    return f"{QUARANTINE_GUARD_PREFIX}{message_digest}"


ALERT_PREFIX = "ALERT#"
OPEN_ALERT_PREFIX = "OPEN_ALERT#"
ALERT_WATERMARK_PREFIX = "ALERT_WATERMARK#"
ALERT_LOOKUP_SK = "ALERT"
TRIAGE_OPEN = "OPEN"
PENDING_NOTIFICATION_PREFIX = "NOTIFY#"
TRIAGE_PENDING_NOTIFICATIONS = "NOTIFY"
ALERT_DUE_PREFIX = "ALERT_DUE#"
TRIAGE_ALERTS_DUE = "DUE"


def alert_sk(rule: str, opened_at: datetime) -> str:
    return f"{ALERT_PREFIX}{rule}#{to_canonical(opened_at)}"


def open_alert_sk(rule: str) -> str:
    return f"{OPEN_ALERT_PREFIX}{rule}"


def alert_watermark_sk(rule: str) -> str:
    return f"{ALERT_WATERMARK_PREFIX}{rule}"


def alert_lookup_pk(alert_id: str) -> str:
    return f"{ALERT_PREFIX}{alert_id}"


def triage_sk(severity_rank: int, opened_at: datetime, alert_id: str) -> str:
    return f"{severity_rank}#{to_canonical(opened_at)}#{alert_id}"


def pending_notification_sk(alert_id: str, alert_version: int) -> str:
    return f"{PENDING_NOTIFICATION_PREFIX}{alert_id}#{alert_version:06d}"


def pending_notification_triage_sk(due_at: datetime, alert_id: str, alert_version: int) -> str:
    return f"{to_canonical(due_at)}#{alert_id}#{alert_version:06d}"


def alert_due_sk(alert_id: str) -> str:
    return f"{ALERT_DUE_PREFIX}{alert_id}"


def alert_due_triage_sk(due_at: datetime, alert_id: str) -> str:
    return f"{to_canonical(due_at)}#{alert_id}"


def due_by(now: datetime) -> str:
    """Upper bound (exclusive) of the outbox's and the due markers' sort keys due at ``now``: fixed-width
    times compare as text, and ``<now>#…`` sorts before the next microsecond."""
    return to_canonical(now + timedelta(microseconds=1))


TRIAGE_CASELOAD = "CASELOAD"


def caseload_triage_sk(review_on: date, patient_id: str) -> str:
    return f"{review_on.isoformat()}#{patient_id}"


ADVICE_PREFIX = "ADVICE#"


def advice_sk(measured_at: datetime, message_id: str) -> str:
    """Advice sorts by the measured time of the reading it answers: the patient's history is a key range."""
    return f"{ADVICE_PREFIX}{to_canonical(measured_at)}#{message_id}"


ACCESS_PREFIX = "ACCESS#"
UNATTRIBUTED_ACCESS_PK = "ACCESS_UNATTRIBUTED"


def access_sk(accessed_at: datetime, access_id: str) -> str:
    return f"{ACCESS_PREFIX}{to_canonical(accessed_at)}#{access_id}"


def alert_rule_prefix(rule: str) -> str:
    """Sort-key prefix of a patient's alerts of one rule (``ALERT#<rule>#``): with the opening time
    after it, a time range is a key range."""
    return f"{ALERT_PREFIX}{rule}#"
