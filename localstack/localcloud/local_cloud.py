"""The whole local cloud in one context manager: the moto harness with the real CDK app deployed,
each tenant's functions run in-process from their queues, the IoT front door + rules engine on a real
MQTT broker, the SNS outbox where the nurses' SMS and e-mails land, and each response centre's HTTP API
(``localcloud.centre_api``: local JWT issuer, tokens for the demo users).

Used by ``make demo`` and the end-to-end tests. Everything it starts, it stops.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localcloud import deploy
from localcloud.centre_api import LocalCentreApi, running_centre_apis
from localcloud.cloud_assembly import cloudformation_resolver, load_assembly
from localcloud.demo_cloud import Delivery
from localcloud.deployed import LOCAL_CREDENTIALS, TenantDeployment, client, tenant_deployments
from localcloud.execution_environments import ExecutionEnvironment, function_handler
from localcloud.iot_rules import RuleCounts
from localcloud.local_iot import LocalIot, running_local_iot
from localcloud.local_lambda import (
    LocalFunction,
    QueuePump,
    QueueRoute,
    asset_folder_name,
    disable_event_source_mappings,
)
from localcloud.moto_harness import running_harness
from localcloud.moto_harness.iot_data_bridge import BRIDGE_FILE_VARIABLE, write_bridge_file
from localcloud.sns_outbox import OutboxEntry, SnsOutbox, subscriptions_from_stacks

REPO_ROOT = Path(__file__).resolve().parents[2]
STATE_DIR = REPO_ROOT / ".local"
# Lambda's SQS poller hands a function up to its mapping's BatchSize (100 in the stack).
BATCH_SIZE = 100
# A function with neither reserved concurrency nor a mapping's maximum would get up to the account's
# (1,000) on AWS: locally a few environments show the concurrency without a process per batch.
UNBOUNDED_CONCURRENCY = 2
_LOCAL_AWS = {"AWS_DEFAULT_REGION": deploy.REGION, "AWS_REGION": deploy.REGION, **LOCAL_CREDENTIALS}


@dataclass
class LocalCloud:
    endpoint: str
    assembly_dir: Path
    tenants: dict[str, TenantDeployment]
    iot: LocalIot
    outbox: SnsOutbox
    pump: QueuePump
    functions: dict[tuple[str, str], LocalFunction] = field(default_factory=dict)  # (tenant, folder) -> function
    centre_apis: dict[str, LocalCentreApi] = field(default_factory=dict)  # stack name -> the centre's API

    def aws(self, service: str) -> Any:
        return client(service, self.endpoint, deploy.REGION)

    def drain(self, *, timeout: float = 300.0, settle: float = 1.0) -> None:
        """Run the functions until the rules engine has delivered everything and the queues are empty."""
        deadline = time.monotonic() + timeout
        quiet_since: float | None = None
        while time.monotonic() < deadline:
            delivered = self.pump.poll_all()
            self.outbox.pump()
            if delivered or self.pump.queued():
                quiet_since = None
                continue
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= settle:
                return
            time.sleep(0.1)
        raise TimeoutError(f"queues not drained within {timeout:.0f} s ({self.pump.queued()} left)")

    def invoke(self, tenant_id: str, folder: str, event: dict[str, Any]) -> Any:
        """Call one of a tenant's functions directly (e.g. the escalation sweep at a chosen time)."""
        return self.functions[(tenant_id, folder)](event)

    # --- what the demo reads (localcloud.demo_cloud.DemoCloud) ------------------------------------------

    @property
    def broker_kind(self) -> str:
        return self.iot.broker.kind

    @property
    def device_address(self) -> tuple[str, int]:
        return self.iot.device_host, self.iot.device_port

    @property
    def outbox_location(self) -> str:
        return str(self.outbox.outbox_file)

    def nurse_messages(self) -> list[OutboxEntry]:
        self.outbox.pump()
        return list(self.outbox.entries)

    def _rule_totals(self) -> RuleCounts:
        totals = RuleCounts()
        for counts in list(self.iot.engine.counts.values()):
            totals.add(counts)
        return totals

    def after_publishing(self, published: int, *, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        expected = published - self.iot.front_door.counts.publishes_refused
        while self._rule_totals().received < expected:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the rules engine received {self._rule_totals().received} of {expected} "
                                   f"publishes within {timeout:.0f} s")
            self.pump.poll_all()  # keep the functions busy meanwhile

    def delivery(self) -> Delivery:
        rules = self._rule_totals()
        return Delivery(refused=self.iot.front_door.counts.publishes_refused,
                        not_evaluated=rules.refused + rules.errored, filtered=rules.filtered,
                        received=rules.received, delivered=rules.delivered)


@contextmanager
def _aws_environment(endpoint: str) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update({**_LOCAL_AWS, "AWS_ENDPOINT_URL": endpoint})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def concurrency(tenant: TenantDeployment) -> int:
    """How many batches of the readings queue Lambda runs at once: the mapping's maximum concurrency and
    the function's reserved concurrency, whichever is lower."""
    reserved = tenant.functions[tenant.function_name].reserved_concurrency
    limits = [limit for limit in (tenant.max_concurrency, reserved) if limit]
    return min(limits, default=UNBOUNDED_CONCURRENCY)


@contextmanager
def _bridge_file_named(path: Path) -> Iterator[None]:
    previous = os.environ.get(BRIDGE_FILE_VARIABLE)
    os.environ[BRIDGE_FILE_VARIABLE] = str(path)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(BRIDGE_FILE_VARIABLE, None)
        else:
            os.environ[BRIDGE_FILE_VARIABLE] = previous
        path.unlink(missing_ok=True)


@contextmanager
def running_local_cloud(
    assembly_dir: Path,
    *,
    things: Mapping[str, str] | None = None,
    state_dir: Path = STATE_DIR,
    deploy_timeout: float = 300.0,
    in_process: bool = False,
) -> Iterator[LocalCloud]:
    """``things``: device (thing name) -> tenant, the stand-in for certificates attached to things.
    ``in_process``: the queues' batches run in this process one at a time instead of side by side in the
    functions' own execution environments (for faults injected into this process's functions)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    # The harness forwards iot-data publishes (advice to devices) to the broker named here, once it is up.
    bridge_file = state_dir / "iot-data-bridge.json"
    bridge_file.unlink(missing_ok=True)
    with ExitStack() as cleanup:
        cleanup.enter_context(_bridge_file_named(bridge_file))
        endpoint = cleanup.enter_context(running_harness(log_file=state_dir / "moto-harness.log"))
        cleanup.enter_context(_aws_environment(endpoint))
        deploy.check_prerequisites()
        deploy.bootstrap(endpoint, timeout=deploy_timeout)
        deploy.deploy_all(endpoint, timeout=deploy_timeout, output_dir=assembly_dir)
        tenants = tenant_deployments(endpoint, assembly_dir)
        lambda_client, sqs = client("lambda", endpoint, deploy.REGION), client("sqs", endpoint, deploy.REGION)
        functions: dict[tuple[str, str], LocalFunction] = {}
        function_log = cleanup.enter_context((state_dir / "functions.log").open("a", encoding="utf-8"))
        routes = []
        for tenant in tenants.values():
            for deployed in tenant.functions.values():
                # moto's own mappings would swallow the messages: the pump below delivers them instead.
                disable_event_source_mappings(lambda_client, deployed.event_source_mapping_uuids)
                folder = asset_folder_name(deployed.name, tenant.tenant_id)
                functions[(tenant.tenant_id, folder)] = LocalFunction(deployed.name, folder, deployed.environment,
                                                                      log=function_log)
            process = functions[(tenant.tenant_id, "process_readings")]
            environments = () if in_process else tuple(
                cleanup.enter_context(closing(ExecutionEnvironment(
                    process.name, function_handler(process.name, process.folder), process.environment,
                    log=function_log)))
                for _ in range(concurrency(tenant)))
            routes.append(QueueRoute(tenant.readings_queue_url, process.name, process, environments,
                                     batching_window=tenant.batching_window_seconds))
        stacks = load_assembly(assembly_dir)
        resolver = cloudformation_resolver(client("cloudformation", endpoint, deploy.REGION))
        iot = cleanup.enter_context(running_local_iot(
            stacks, sqs=sqs, resolver=resolver, logs=client("logs", endpoint, deploy.REGION), things=things,
            state_dir=state_dir / "mqtt"))
        write_bridge_file(bridge_file, iot.broker.host, iot.broker.port, iot.broker.credentials.username,
                          iot.broker.credentials.password)
        outbox = SnsOutbox(subscriptions_from_stacks(stacks), client("sns", endpoint, deploy.REGION), sqs, resolver,
                           outbox_dir=state_dir / "outbox").install()
        pump = QueuePump(sqs, routes, batch_size=BATCH_SIZE)
        cleanup.callback(pump.close)
        page_dir = REPO_ROOT / "build" / "web"  # the nurses' page (npm run build:web), served when built
        centre_apis = cleanup.enter_context(running_centre_apis(
            stacks, lambda_client, log=function_log, page_dir=page_dir if (page_dir / "index.html").exists() else None))
        yield LocalCloud(endpoint, assembly_dir, tenants, iot, outbox, pump, functions, centre_apis)
