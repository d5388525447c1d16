"""What the tenant tables hold about the campaign's readings, read back once per part: per reading id,
where it was stored (tenant, patient, series) and whether it was quarantined, so a part can count
what was lost, stored twice, or stored for someone else."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from dho.adapters.dynamodb_quarantine import DynamoDbQuarantine
from dho.domain.quarantine import QuarantinedMessage
from localcloud.demo.report import TenantReport, tenant_report
from localcloud.local_cloud import LocalCloud
from localcloud.quarantine_listing import days_between, quarantined_on
from localcloud.tenant_table import scan_all

# A campaign runs for minutes to an hour: its records are in the quarantine partitions of the last two days.
CAMPAIGN_DAYS = timedelta(days=2)
MAX_QUARANTINED = 100_000


def quarantined_recently(dynamodb: Any, table_name: str) -> list[QuarantinedMessage]:
    now = datetime.now(UTC)
    return quarantined_on(DynamoDbQuarantine(dynamodb, table_name), days_between(now - CAMPAIGN_DAYS, now),
                          now=now, at_most=MAX_QUARANTINED)


def recent_tenant_report(dynamodb: Any, table_name: str, tenant: str) -> TenantReport:
    now = datetime.now(UTC)
    return tenant_report(dynamodb, table_name, tenant, arrival_days=days_between(now - CAMPAIGN_DAYS, now),
                         now=now, at_most=MAX_QUARANTINED)


@dataclass(frozen=True)
class Expected:
    """One input the part published: which tenant, device and patient it belongs to."""

    reading_id: str
    tenant: str
    device_id: str
    patient_id: str


@dataclass
class Ledger:
    # reading id -> where it is: [(tenant, device)] guards, (tenant, patient, series) entries, quarantine records
    guards: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
    entries: dict[str, Counter[tuple[str, str, str]]] = field(default_factory=lambda: defaultdict(Counter))
    quarantined: dict[str, list[tuple[str, QuarantinedMessage]]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def read(cls, cloud: LocalCloud) -> Ledger:
        ledger = cls()
        dynamodb = cloud.aws("dynamodb")
        for tenant_id, tenant in cloud.tenants.items():
            for item in scan_all(dynamodb, tenant.table_name):
                ledger._add(tenant_id, item)
            for message in quarantined_recently(dynamodb, tenant.table_name):
                if message.reading_id:
                    ledger.quarantined[message.reading_id].append((tenant_id, message))
        return ledger

    @staticmethod
    def read_guard(cloud: LocalCloud, tenant: str, device_id: str, reading_id: str) -> bool:
        """Whether this device's reading is stored (one read instead of a scan)."""
        item = cloud.aws("dynamodb").get_item(TableName=cloud.tenants[tenant].table_name, ConsistentRead=True, Key={
            "pk": {"S": f"DEVICE#{device_id}"}, "sk": {"S": f"READING#{reading_id}"}})
        return "Item" in item

    def _add(self, tenant: str, item: dict[str, Any]) -> None:
        pk, sk = item["pk"]["S"], item["sk"]["S"]
        if pk.startswith("DEVICE#") and sk.startswith("READING#"):
            self.guards[sk.removeprefix("READING#")].append((tenant, pk.removeprefix("DEVICE#")))
        elif pk.startswith("PATIENT#") and sk.startswith("TL#"):
            series, _, rest = sk.removeprefix("TL#").partition("#")
            reading_id = rest.rpartition("#")[2]
            self.entries[reading_id][(tenant, pk.removeprefix("PATIENT#"), series)] += 1

    def stored(self, reading_id: str) -> bool:
        return bool(self.guards.get(reading_id))

    def reasons(self, reading_id: str) -> list[str]:
        return [message.reason.value for _, message in self.quarantined.get(reading_id, [])]


@dataclass(frozen=True)
class Tally:
    inputs: int  # distinct readings published
    stored: int
    quarantined: int
    lost: int  # neither stored nor quarantined
    duplicated: int  # stored more than once (a second guard, or a series entry twice)
    crossed_tenants: int  # stored or quarantined in another tenant, or for another patient
    lost_ids: tuple[str, ...] = ()

    def observed(self) -> str:
        return f"stored {self.stored}, quarantined {self.quarantined}, lost {self.lost}"


def tally(ledger: Ledger, expected: Iterable[Expected]) -> Tally:
    inputs = stored = quarantined = duplicated = crossed = 0
    lost: list[str] = []
    for reading in expected:
        inputs += 1
        guards = ledger.guards.get(reading.reading_id, [])
        kept = ledger.quarantined.get(reading.reading_id, [])
        entries = ledger.entries.get(reading.reading_id, Counter())
        stored += bool(guards)
        quarantined += bool(kept) and not guards
        if not guards and not kept:
            lost.append(reading.reading_id)
        duplicated += len(guards) > 1 or any(count > 1 for count in entries.values())
        crossed += (any(tenant != reading.tenant or device != reading.device_id for tenant, device in guards)
                    or any(tenant != reading.tenant or patient != reading.patient_id for tenant, patient, _ in entries)
                    or any(tenant != reading.tenant for tenant, _ in kept))
    return Tally(inputs, stored, quarantined, len(lost), duplicated, crossed, tuple(lost[:10]))
