"""cdk-nag 3 on every synth: the AWS Solutions and HIPAA Security packs, and a typed acknowledgment.

cdk-nag 3 packs are validation plugins: any unacknowledged finding fails the synth. An acknowledgment
lives next to the construct that causes the finding and must say why it is acceptable here.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks
from constructs import IConstruct

# Shorter than this is not a reason, it is a label ("needed", "by design").
MIN_REASON_LENGTH = 60


def enable_compliance_checks(app: App) -> None:
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), HIPAASecurityChecks(app))


def acknowledge(scope: IConstruct, finding: str, reason: str) -> None:
    """Acknowledge one finding for ``scope`` and its children.

    ``finding`` is the id cdk prints after "Acknowledge with", e.g. ``AwsSolutions::AwsSolutions-L1``
    or ``AwsSolutions::AwsSolutions-IAM5[Resource::*]`` for one precise finding.
    """
    if "::" not in finding:
        raise ValueError(f"{finding!r} is not a finding id of the form '<pack>::<rule>'")
    if len(reason) < MIN_REASON_LENGTH:
        raise ValueError(f"acknowledgment of {finding} needs a specific reason, got {reason!r}")
    Validations.of(scope).acknowledge(Acknowledgment(id=finding, reason=reason))
