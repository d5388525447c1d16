"""One synth of the whole app per test session (with cdk-nag); tests read the templates it produced.

The synth needs the built dependency layers (`make layers`); without them it fails, it never skips.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from infra.app import build_app
from infra.config import PlatformConfig, load_config

# Tests read templates only: skip copying ~220 MB of layer folders into the cloud assembly.
TEST_CONTEXT = {"aws:cdk:disable-asset-staging": True}


@pytest.fixture(scope="session")
def platform_config() -> PlatformConfig:
    return load_config()


@pytest.fixture(scope="session")
def assembly_dir(tmp_path_factory: pytest.TempPathFactory, platform_config: PlatformConfig) -> Path:
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
