"""CDK entry point: ``python -m infra.app`` (cdk.json). One shared stack per region, one per tenant.

The tenant file is ``infra/tenants.toml`` unless ``DHO_TENANTS_FILE`` names another (e.g. a private
copy with real contact data). A configuration error stops the synth with a message naming the tenant
and the field.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment

from infra.compliance import enable_compliance_checks
from infra.config import DEFAULT_CONFIG_FILE, ConfigError, PlatformConfig, load_config
from infra.layer_catalog import REPO_ROOT
from infra.stacks.centre_stack import CentreStack
from infra.stacks.shared_stack import SharedStack
from infra.stacks.tenant_stack import TenantStack

TENANTS_FILE_VARIABLE = "DHO_TENANTS_FILE"


def shared_stack_name(region: str) -> str:
    return f"DhoShared-{region}"


def tenant_stack_name(tenant_id: str) -> str:
    return f"DhoTenant-{tenant_id}"


def centre_stack_name(centre_id: str) -> str:
    return f"DhoCentre-{centre_id}"


def cdk_json_context() -> dict[str, Any]:
    """The feature flags of cdk.json, so tests build the same templates as ``cdk synth``."""
    context: dict[str, Any] = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    return context


def build_app(
    config: PlatformConfig,
    *,
    outdir: str | None = None,
    account: str | None = None,
    extra_context: dict[str, Any] | None = None,
) -> App:
    app = App(outdir=outdir, context={**cdk_json_context(), **(extra_context or {})})
    enable_compliance_checks(app)
    shared = {
        region: SharedStack(
            app,
            shared_stack_name(region),
            env=Environment(account=account, region=region),
            description=f"DHO shared resources in {region}: dependency layers, IoT thing type",
        )
        for region in config.regions
    }
    tenant_stacks: dict[str, TenantStack] = {}
    for tenant in config.tenants:
        stack = TenantStack(
            app,
            tenant_stack_name(tenant.tenant_id),
            tenant=tenant,
            operations=config.operations,
            shared_layers=shared[tenant.region].layers,
            env=Environment(account=account, region=tenant.region),
            description=f"DHO tenant {tenant.tenant_id} ({tenant.name})",
            termination_protection=True,
        )
        # The layer ARNs are parameters the shared stack writes: deploy it first.
        stack.add_stack_dependency(shared[tenant.region])
        tenant_stacks[tenant.tenant_id] = stack
    for centre in config.centres:
        tenants = config.served_tenants(centre)
        region = tenants[0].region  # the config keeps a centre's tenants in one region
        centre_stack = CentreStack(
            app,
            centre_stack_name(centre.centre_id),
            centre=centre,
            identity=config.identity,
            served=tenants,
            staff=config.staff_assignments(centre),
            env=Environment(account=account, region=region),
            description=f"DHO response centre {centre.centre_id} ({centre.name}): its HTTP API and nurses' page",
            termination_protection=True,
        )
        centre_stack.add_stack_dependency(shared[region])
        for tenant in tenants:  # the tables and the key parameter must exist first
            centre_stack.add_stack_dependency(tenant_stacks[tenant.tenant_id])
    return app


def main() -> int:
    config_file = Path(os.environ.get(TENANTS_FILE_VARIABLE, DEFAULT_CONFIG_FILE))
    try:
        config = load_config(config_file)
    except ConfigError as error:
        print(f"synth stopped: {error}", file=sys.stderr)
        return 2
    build_app(config, account=os.environ.get("CDK_DEFAULT_ACCOUNT")).synth()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
