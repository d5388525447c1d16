"""Deploy the real CDK app to a local emulator: ``python -m localcloud.deploy --endpoint http://localhost:4566``.

Runs ``cdk bootstrap aws://123456789012/eu-north-1`` and ``cdk deploy --all --require-approval never`` with
the standard ``AWS_ENDPOINT_URL``, fake credentials and the project's PATH (``.venv/bin`` and
``node_modules/.bin`` first; ``cdk.json`` runs ``python -m infra.app``), then prints per stack what exists.
The emulator is the moto harness (``python -m localcloud.moto_harness``); the production code is unchanged.

Prerequisites (the Makefile's ``layers`` and ``$(NPM_STAMP)`` targets): the layers in ``build/layers`` and
the pinned CDK CLI in ``node_modules``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from localcloud.deployed import LOCAL_ACCOUNT, LOCAL_CREDENTIALS, client, stack_templates, tenant_deployments

REPO_ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = LOCAL_ACCOUNT
REGION = "eu-north-1"
DEFAULT_TIMEOUT = 600.0


class DeployError(RuntimeError):
    """A cdk command failed or timed out; the message ends with the tail of its output."""


@dataclass(frozen=True)
class StepResult:
    command: tuple[str, ...]
    seconds: float
    output: str


def cdk_environment(endpoint: str, base: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        env.pop(name, None)
    env.update({
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ENDPOINT_URL_S3": endpoint,  # the same emulator; cdklocal insists on it being set
        **LOCAL_CREDENTIALS,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "CDK_DEFAULT_ACCOUNT": ACCOUNT,
        "CDK_DEFAULT_REGION": REGION,
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "NODE_NO_WARNINGS": "1",
        "PATH": os.pathsep.join([str(REPO_ROOT / ".venv" / "bin"), str(REPO_ROOT / "node_modules" / ".bin"),
                                 env.get("PATH", "")]),
    })
    return env


def check_prerequisites(root: Path = REPO_ROOT) -> None:
    missing = []
    if not (root / "node_modules" / ".bin" / "cdk").exists():
        missing.append("the pinned CDK CLI (make node_modules/.installed, i.e. npm ci)")
    if not (root / "build" / "layers").is_dir() or not any((root / "build" / "layers").iterdir()):
        missing.append("the Lambda layers (make layers)")
    if missing:
        raise DeployError("missing " + " and ".join(missing))


def run_cdk(
    arguments: Sequence[str], endpoint: str, *, timeout: float, cwd: Path = REPO_ROOT, cli: str = "cdk"
) -> StepResult:
    """``cli``: ``cdk`` (the pinned CLI) or ``cdklocal`` (LocalStack's wrapper around it, same arguments)."""
    command = (cli, *arguments, "--no-notices")
    started = time.monotonic()
    try:
        completed = subprocess.run(
            command, cwd=cwd, env=cdk_environment(endpoint), capture_output=True, text=True, timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        output = (error.stdout or b"").decode() if isinstance(error.stdout, bytes) else (error.stdout or "")
        raise DeployError(f"{' '.join(command)} timed out after {timeout:.0f} s\n{_tail(output)}") from error
    output = completed.stdout + completed.stderr
    if completed.returncode != 0:
        raise DeployError(f"{' '.join(command)} failed ({completed.returncode})\n{_tail(output)}")
    return StepResult(command, time.monotonic() - started, output)


def _tail(output: str, lines: int = 40) -> str:
    return "\n".join(output.strip().splitlines()[-lines:])


def bootstrap(endpoint: str, *, timeout: float = DEFAULT_TIMEOUT, cli: str = "cdk") -> StepResult:
    # Outside the repo (no cdk.json) the CLI bootstraps the named environment without synthesizing the app.
    with tempfile.TemporaryDirectory(prefix="cdk-bootstrap-") as empty:
        return run_cdk(["bootstrap", f"aws://{ACCOUNT}/{REGION}"], endpoint, timeout=timeout, cwd=Path(empty), cli=cli)


def deploy_all(
    endpoint: str, *, timeout: float = DEFAULT_TIMEOUT, output_dir: Path | None = None,
    extra_arguments: Sequence[str] = (), cli: str = "cdk",
) -> StepResult:
    arguments = ["deploy", "--all", "--require-approval", "never", *extra_arguments]
    if output_dir is not None:
        arguments += ["--output", str(output_dir)]
    return run_cdk(arguments, endpoint, timeout=timeout, cli=cli)


def stack_summary(endpoint: str, assembly_dir: Path) -> str:
    """Per stack of the assembly: its status and its resources by type, then each tenant's key resources."""
    cloudformation = client("cloudformation", endpoint, REGION)
    lines: list[str] = []
    for name in stack_templates(assembly_dir):
        stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        resources = cloudformation.describe_stack_resources(StackName=name)["StackResources"]
        counts = Counter(r["ResourceType"] for r in resources if r.get("ResourceType"))
        lines.append(f"{name}: {stack['StackStatus']}, {sum(counts.values())} resources")
        lines.extend(f"    {count:2d} x {kind}" for kind, count in sorted(counts.items()))
    for tenant in tenant_deployments(endpoint, assembly_dir, REGION).values():
        lines += [
            f"tenant {tenant.tenant_id} ({tenant.stack_name})",
            f"    table            {tenant.table_name}",
            f"    readings queue   {tenant.readings_queue_url}",
            f"    dead letters     {tenant.dead_letter_queue_url}",
            f"    alert topic      {tenant.alert_topic_arn}",
            f"    function         {tenant.function_name} via {tenant.function_alias_arn}",
            f"    event sources    {', '.join(tenant.event_source_mapping_uuids)}",
            f"    IoT rule/policy  {', '.join(tenant.iot_rule_names)} / {', '.join(tenant.iot_policy_names)}",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", default="http://localhost:4566", help="the emulator (use localhost)")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "cdk.out", help="cloud assembly directory")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per cdk command")
    parser.add_argument("--skip-bootstrap", action="store_true")
    args = parser.parse_args(argv)
    try:
        check_prerequisites()
        if not args.skip_bootstrap:
            step = bootstrap(args.endpoint, timeout=args.timeout)
            print(f"cdk bootstrap: {step.seconds:.1f} s")
        step = deploy_all(args.endpoint, timeout=args.timeout, output_dir=args.output)
        print(f"cdk deploy --all: {step.seconds:.1f} s")
    except DeployError as error:
        print(error, file=sys.stderr)
        return 1
    print(stack_summary(args.endpoint, args.output))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
