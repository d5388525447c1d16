"""SNS topics of a tenant: nurse alerts filtered by severity, escalation tier and route, and operator alarms.

Routes (README "Scoring and alerts"): while the centre is open a notification has ``route = centre`` and
climbs the tiers; while it is closed a red has ``route = out_of_hours`` and is always at the last tier (2,
the out-of-hours clinic's). So the clinic's contacts keep their one filter, ``tier >= 2``: it lets through
the centre's reds that escalated that far *and* every out-of-hours red, with no OR across attributes. The
centre's contacts (first tier 0 and 1) add ``route = centre`` (or no route at all: a message published by a
function from before routes, during a deploy) and hear nothing out of hours. One subscription per contact
and channel: SNS refuses a second subscription of the same endpoint to a topic with other attributes
("Subscription already exists with different attributes"), so "two subscriptions per contact" is no way
to express an OR. A tenant with no out-of-hours contact by SMS keeps its centre's contacts on the
out-of-hours route (no route filter): an out-of-hours red is never told to nobody.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.config import OUT_OF_HOURS_TIER, Nurse, Severity, has_out_of_hours_contact
from infra.constructs.operations_alarm import tenant_alarms_arn

# The function publishes every alert with these message attributes; subscriptions filter on them.
SEVERITY_ATTRIBUTE = "severity"
TIER_ATTRIBUTE = "tier"  # the escalation tier the notification is for (0, 1, 2)
ROUTE_ATTRIBUTE = "route"  # "centre", or "out_of_hours" (a red while the centre is closed, at tier 2)
CENTRE_ROUTE = "centre"


def nurse_filter(
    severities: tuple[Severity, ...], first_tier: int = 0, *, spared_out_of_hours: bool = False
) -> dict[str, sns.SubscriptionFilter]:
    """Severities by this channel, and only notifications from the nurse's escalation tier on (a later
    tier's contact hears of a red only once it has escalated that far; tier 0 gets everything).
    ``spared_out_of_hours``: a centre contact (tier 0 or 1) of a tenant whose out-of-hours clinic takes
    the reds while the centre is closed; it gets only the centre route (see the module doc)."""
    policy = {SEVERITY_ATTRIBUTE: sns.SubscriptionFilter.string_filter(allowlist=list(severities))}
    if first_tier > 0:
        policy[TIER_ATTRIBUTE] = sns.SubscriptionFilter.numeric_filter(greater_than_or_equal_to=first_tier)
    if spared_out_of_hours and first_tier < OUT_OF_HOURS_TIER:
        policy[ROUTE_ATTRIBUTE] = sns.SubscriptionFilter(conditions=[CENTRE_ROUTE, {"exists": False}])
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
        clinic = has_out_of_hours_contact(nurses)  # the clinic takes the reds while the centre is closed
        for nurse in nurses:
            if nurse.alerts.sms and nurse.phone:
                self._subscribe(nurse, sns.SubscriptionProtocol.SMS, nurse.phone, nurse.alerts.sms, clinic)
            if nurse.alerts.email and nurse.email:
                self._subscribe(nurse, sns.SubscriptionProtocol.EMAIL, nurse.email, nurse.alerts.email, clinic)

        self.operations = sns.Topic(
            self,
            "Operations",
            topic_name=f"dho-{tenant_id}-operations",
            master_key=key,
            enforce_ssl=True,
        )
        # enforce_ssl gives the topic a policy with only a deny: CloudWatch needs an allow to publish the
        # alarms. Only this tenant's alarms, of this account (the confused-deputy guard).
        stack = Stack.of(self)
        self.operations.add_to_resource_policy(
            iam.PolicyStatement(
                sid="TenantAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.operations.topic_arn],
                conditions={
                    "ArnLike": {"aws:SourceArn": tenant_alarms_arn(self, tenant_id)},
                    "StringEquals": {"aws:SourceAccount": stack.account},
                },
            )
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
        self,
        nurse: Nurse,
        protocol: sns.SubscriptionProtocol,
        endpoint: str,
        severities: tuple[Severity, ...],
        clinic: bool,
    ) -> None:
        # Logical id from the nurse's key, not the address: a new phone number replaces only this one.
        sns.Subscription(
            self,
            f"{nurse.key}-{protocol.value.lower()}",
            topic=self.alerts,
            protocol=protocol,
            endpoint=endpoint,
            filter_policy=nurse_filter(severities, nurse.first_tier, spared_out_of_hours=clinic),
        )
