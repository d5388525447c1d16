"""SNS topics of a tenant: nurse alerts filtered by severity, and operator alarms."""

from __future__ import annotations

from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.config import Nurse, Severity

# The function publishes every alert with these message attributes; subscriptions filter on them.
SEVERITY_ATTRIBUTE = "severity"
TIER_ATTRIBUTE = "tier"  # the escalation tier the notification is for (0, 1, 2)


def nurse_filter(severities: tuple[Severity, ...], first_tier: int = 0) -> dict[str, sns.SubscriptionFilter]:
    """Severities by this channel, and only notifications from the nurse's escalation tier on (a later
    tier's contact hears of a red only once it has escalated that far; tier 0 gets everything)."""
    policy = {SEVERITY_ATTRIBUTE: sns.SubscriptionFilter.string_filter(allowlist=list(severities))}
    if first_tier > 0:
        policy[TIER_ATTRIBUTE] = sns.SubscriptionFilter.numeric_filter(greater_than_or_equal_to=first_tier)
    return policy


class AlertTopics(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tenant_id: str,
        key: kms.IKey,
        nurses: tuple[Nurse, ...],
        operations_emails: tuple[str, ...],
    ) -> None:
        super().__init__(scope, construct_id)
        # SMS and e-mail leave AWS unencrypted: the function puts no names or health data in alerts.
        self.alerts = sns.Topic(
            self,
            "Alerts",
            topic_name=f"dho-{tenant_id}-alerts",
            display_name="DHO",  # SMS sender prefix
            master_key=key,
            enforce_ssl=True,
        )
        for nurse in nurses:
            if nurse.alerts.sms and nurse.phone:
                self._subscribe(nurse, sns.SubscriptionProtocol.SMS, nurse.phone, nurse.alerts.sms)
            if nurse.alerts.email and nurse.email:
                self._subscribe(nurse, sns.SubscriptionProtocol.EMAIL, nurse.email, nurse.alerts.email)

        self.operations = sns.Topic(
            self,
            "Operations",
            topic_name=f"dho-{tenant_id}-operations",
            master_key=key,
            enforce_ssl=True,
        )
        for index, address in enumerate(operations_emails):
            sns.Subscription(
                self,
                f"Operator{index}",
                topic=self.operations,
                protocol=sns.SubscriptionProtocol.EMAIL,
                endpoint=address,
            )

    def _subscribe(
        self, nurse: Nurse, protocol: sns.SubscriptionProtocol, endpoint: str, severities: tuple[Severity, ...]
    ) -> None:
        # Logical id from the nurse's key, not the address: a new phone number replaces only this one.
        sns.Subscription(
            self,
            f"{nurse.key}-{protocol.value.lower()}",
            topic=self.alerts,
            protocol=protocol,
            endpoint=endpoint,
            filter_policy=nurse_filter(severities, nurse.first_tier),
        )
