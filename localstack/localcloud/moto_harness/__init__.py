"""A moto server for ``cdk deploy``: moto 5.2.5 plus small, named patches registered before it starts.

Plain moto cannot deploy the DHO CDK app (docs/local-iot.md): several
resource types are silently skipped, change sets lose outputs and mix up stacks, and some resources drop
settings. Each module in this package fixes one such moto behaviour and says which in its docstring;
:data:`PATCH_MODULES` lists them in the order they are applied. The production templates stay unchanged.

Importing a patch module registers its CloudFormation models with moto (``__subclasses__``), so only the
harness process imports them: :func:`apply_patches` does, and ``python -m localcloud.moto_harness`` calls it
before serving. Other processes (pytest, the deploy CLI) start the harness as a subprocess with
:func:`running_harness` and talk to it over HTTP.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from localcloud.net import free_port

PATCH_MODULES = (
    "changeset_scoping",
    "changeset_outputs",
    "update_parameters",
    "update_order",
    "failed_execution",
    "lambda_layer_version",
    "lambda_function",
    "lambda_version",
    "lambda_alias",
    "lambda_event_source_mapping",
    "lambda_event_invoke_config",
    "dynamodb_global_table",
    "dynamodb_table_settings",
    "cloudwatch_alarm",
    "sns_subscription",
    "resource_policies",
    "iot_topic_rule",
    "apigatewayv2_http_api",
    "cloudfront_templates",
    "iot_policy_document",
    "kms_key",
    "backup",
    "ssm_parameter_tags",
    "termination_protection",
    "dynamodb_query_partition",
    "dynamodb_transactions",
    "dynamodb_atomic_writes",  # after dynamodb_transactions: the lock also covers its rollback
    "dynamodb_eventual_consistency",  # after dynamodb_query_partition: lags the partition it reads
    "sqs_retention_check",
    "sqs_message_clock",
    "sqs_send_counts",
    "sqs_receipt_index",
    "dynamodb_item_responses",
    "dynamodb_expression_cache",
    "server_dispatch",
    "server_keep_alive",
    "server_request_costs",
    "sns_outage",  # inert until a test switches it on
    "iot_data_bridge",  # inert until a broker is named
)

_applied: list[str] = []


def apply_patches() -> list[str]:
    """Import every patch module and apply it (once); return the names applied, in order."""
    if _applied:
        return list(_applied)
    from moto.cloudformation import parsing

    for name in PATCH_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        module.apply()
        _applied.append(name)
    # moto caches its list of CloudFormation models on first use; the new subclasses must be in it.
    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()
    return list(_applied)


def configure(endpoint: str) -> None:
    """Settings the harness needs at start, through moto's own config API (no Docker for Lambda)."""
    request = urllib.request.Request(
        f"{endpoint}/moto-api/config",
        data=json.dumps({"lambda": {"use_docker": False}}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def reset(endpoint: str) -> None:
    """Forget every resource (moto has no rollback); the config set by :func:`configure` stays."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def wait_until_serving(endpoint: str, timeout: float = 30.0, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/config", timeout=2) as response:
                config = json.loads(response.read())
            if config.get("lambda", {}).get("use_docker") is False:
                return
        except OSError:
            pass
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the moto harness exited with code {process.returncode} before serving")
        if time.monotonic() > deadline:
            raise TimeoutError(f"the moto harness did not answer on {endpoint} within {timeout:.0f} s")
        time.sleep(0.1)


@contextmanager
def running_harness(port: int | None = None, log_file: Path | None = None) -> Iterator[str]:
    """Start ``python -m localcloud.moto_harness`` as a subprocess; yield its ``http://localhost:<port>``."""
    port = port or free_port()
    package_root = str(Path(__file__).resolve().parents[2])  # the folder that holds ``localcloud``
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    log = log_file.open("ab") if log_file else subprocess.DEVNULL
    process = subprocess.Popen(
        [sys.executable, "-m", "localcloud.moto_harness", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://localhost:{port}"
    try:
        wait_until_serving(endpoint, process=process)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log_file and not isinstance(log, int):
            log.close()
