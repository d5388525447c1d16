"""Configuration from the environment (set by the CDK stack; by the local runner in development)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from dho.domain.payload import ParserLimits
from dho.domain.plan_advice import AdviceLanguage
from dho.domain.quarantine import DEFAULT_RETENTION


class TenantSettings(BaseSettings):
    """Which tenant a function serves and where its data lives."""

    model_config = SettingsConfigDict(env_prefix="DHO_", frozen=True)

    tenant_id: str = Field(min_length=1)
    table_name: str = Field(min_length=1)


class DeviceMessageSettings(TenantSettings):
    """What a function that tells the tenant's devices something needs: their language and IoT endpoint."""

    advice_language: AdviceLanguage = Field(default=AdviceLanguage.BOKMAL, description="the municipality's choice")
    iot_data_endpoint: str | None = Field(default=None, description="https URL of the account's IoT data endpoint")


class IngestSettings(DeviceMessageSettings):
    max_payload_bytes: int = Field(default=8192, gt=0)
    max_clock_skew_seconds: int = Field(default=300, ge=0)
    max_reading_age_hours: int = Field(default=14 * 24, gt=0)
    quarantine_retention_days: int = Field(
        default=DEFAULT_RETENTION.days, ge=1, le=3650,
        description="how long a refused message (it may hold measured values) is kept",
    )

    @property
    def quarantine_retention(self) -> timedelta:
        return timedelta(days=self.quarantine_retention_days)

    def parser_limits(self) -> ParserLimits:
        return ParserLimits(
            max_payload_bytes=self.max_payload_bytes,
            max_clock_skew=timedelta(seconds=self.max_clock_skew_seconds),
            max_age=timedelta(hours=self.max_reading_age_hours),
        )


class AlertSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DHO_", frozen=True)

    alert_topic_arn: str = Field(min_length=1)
    alert_policy: str = Field(default="{}", description="the tenant's policy JSON from the stack")
    tenant_id: str = Field(min_length=1)
    tenant_name: str | None = Field(default=None, description="how SMS texts name the municipality")
    notification_grace_seconds: int = Field(
        default=60,
        ge=1,
        le=3600,
        description="how long after its write an unpublished notification is left to the publish that "
        "follows the write, before the escalation sweep publishes it from the outbox",
    )

    @property
    def display_name(self) -> str:
        return self.tenant_name or self.tenant_id

    @property
    def notification_grace(self) -> timedelta:
        return timedelta(seconds=self.notification_grace_seconds)


class ExportSettings(TenantSettings):
    """Bounds of one FHIR export (a synchronous Lambda response carries at most 6 MB), and the tenant's
    Normen access-log table (``DHO_ACCESS_LOG_TABLE_NAME``, apart from the tenant table)."""

    access_log_table_name: str = Field(min_length=1)
    max_period_days: int = Field(default=90, ge=1, le=366)
    max_resources: int = Field(default=5000, ge=1, le=20_000)
    max_response_bytes: int = Field(default=5_000_000, ge=10_000, le=6_000_000)

    @property
    def max_period(self) -> timedelta:
        return timedelta(days=self.max_period_days)


class CentreTenant(BaseSettings):
    """One tenant a centre serves, as the centre's function reaches it."""

    model_config = SettingsConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, description="the municipality's name from the tenant file, shown to users")
    table_name: str = Field(min_length=1)
    access_log_table_name: str = Field(min_length=1)
    alert_policy: str = Field(default="{}", description="the tenant's policy JSON (acknowledgement re-trigger)")
    iot_data_endpoint: str | None = Field(default=None, description="https URL of the tenant's IoT data endpoint")


class CentreSettings(BaseSettings):
    """The centre API's function: its centre, the tenants that named it (``DHO_CENTRE_TENANTS``, JSON
    ``{tenant_id: {name, table_name, access_log_table_name, alert_policy}}``) and the role assignments
    (``DHO_STAFF``, JSON, ``dho.centre.roles.StaffDirectory.from_json``)."""

    model_config = SettingsConfigDict(env_prefix="DHO_", frozen=True)

    centre_id: str = Field(min_length=1)
    centre_tenants: dict[str, CentreTenant] = Field(min_length=1)
    staff: str = Field(default="{}")
