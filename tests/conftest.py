"""Every test runs against fake credentials in an EEA region: nothing here can reach a real account.

The cloud assembly is synthesized once per test session (with cdk-nag) and shared by every folder that
reads templates (infra tests, the local cloud's rules engine, device policies and SNS outbox). The synth
needs the built dependency layers (`make layers`); without them it fails, it never skips.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-north-1",
    "AWS_REGION": "eu-north-1",
    "POWERTOOLS_SERVICE_NAME": "process_readings",
    "POWERTOOLS_METRICS_NAMESPACE": "DHO",
    "POWERTOOLS_TRACE_DISABLED": "true",
})
os.environ.pop("AWS_PROFILE", None)
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

if TYPE_CHECKING:
    from infra.config import PlatformConfig

# Tests read templates only: skip copying ~220 MB of layer folders into the cloud assembly.
TEST_CONTEXT = {"aws:cdk:disable-asset-staging": True}


@pytest.fixture(scope="session")
def platform_config() -> PlatformConfig:
    from infra.config import load_config  # imported here: CDK (jsii) starts only for tests that synth

    return load_config()


@pytest.fixture(scope="session")
def assembly_dir(tmp_path_factory: pytest.TempPathFactory, platform_config: PlatformConfig) -> Path:
    from infra.app import build_app

    outdir = tmp_path_factory.mktemp("cdk.out")
    # cdk-nag runs inside synth: an unacknowledged finding raises here and fails every test.
    build_app(platform_config, outdir=str(outdir), extra_context=TEST_CONTEXT).synth()
    return outdir


@pytest.fixture(scope="session")
def templates(assembly_dir: Path) -> dict[str, dict[str, Any]]:
    return {
        path.name.removesuffix(".template.json"): json.loads(path.read_text())
        for path in assembly_dir.glob("*.template.json")
    }
