"""A response centre's API, in a stack of its own: the centre's worklist spans the tenants that named it,
so the API lives beside them, not inside one of them. It reaches each served tenant's tables by name and its
key through the parameter the tenant's stack writes (deploy the tenant stacks first), and nothing of any
other tenant."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import CfnOutput, Stack, Tags
from constructs import Construct

from infra.config import Centre, Identity, Tenant
from infra.constructs.centre_api import CentreApi, centre_owner_id
from infra.constructs.centre_web import CentreWeb
from infra.constructs.dependency_layers import layers_from_parameters
from infra.constructs.tenant_key import TenantKey
from infra.layer_catalog import CENTRE_API, check_bundle_size


class CentreStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        centre: Centre,
        identity: Identity,
        served: Sequence[Tenant],
        staff: dict[str, list[dict[str, Any]]],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        Tags.of(self).add("dho:centre", centre.centre_id)
        Tags.of(self).add("dho:data-classification", "health-special-category")
        # The centre's own key: its function's environment and logs (the tenants' data keeps their keys).
        key = TenantKey(self, "Key", tenant_id=centre_owner_id(centre)).key
        check_bundle_size(CENTRE_API)
        web = CentreWeb(self, "Web", identity=identity, log_days=max(t.retention.log_days for t in served))
        api = CentreApi(
            self,
            "CentreApi",
            centre=centre,
            identity=identity,
            served=served,
            staff=staff,
            key=key,
            layers=layers_from_parameters(self, CENTRE_API.layers),
            page_origins=[web.origin],
        )
        CfnOutput(self, "ApiUrl", value=api.url or "", description="The centre API's base URL")
        # What infra.publish_web needs to upload the page and write its config.json.
        CfnOutput(self, "WebBucket", value=web.bucket.bucket_name, description="The nurses' page's bucket")
        CfnOutput(self, "WebDistribution", value=web.distribution.distribution_id,
                  description="The nurses' page's CloudFront distribution")
        CfnOutput(self, "WebUrl", value=f"{web.origin}/", description="The nurses' page")
