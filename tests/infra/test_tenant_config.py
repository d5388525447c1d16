"""GIVEN a wrong tenant file THEN synth stops with a message that names the tenant and the field."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from infra.app import TENANTS_FILE_VARIABLE
from infra.config import DEFAULT_CONFIG_FILE, ConfigError, load_config
from infra.layer_catalog import REPO_ROOT


def write_variant(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    text = DEFAULT_CONFIG_FILE.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "tenants.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_demo_config_has_two_tenants_in_the_eea() -> None:
    config = load_config()
    assert [t.tenant_id for t in config.tenants] == ["bodo", "sunnfjord"]
    assert config.regions == ("eu-north-1",)


def test_invalid_phone_number_names_tenant_and_field(tmp_path: Path) -> None:
    path = write_variant(tmp_path, ('phone = "+4799999911"', 'phone = "99 99 99 11"'))
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert re.search(r"tenant 'sunnfjord': nurses\[0\]\.phone: '99 99 99 11' is not valid", str(error.value))


def test_duplicate_tenant_ids_are_refused(tmp_path: Path) -> None:
    path = write_variant(tmp_path, ('tenant_id = "sunnfjord"', 'tenant_id = "bodo"'))
    with pytest.raises(ConfigError, match=r"duplicate tenant ids \['bodo'\]"):
        load_config(path)


def test_unknown_programme_names_tenant_and_field(tmp_path: Path) -> None:
    path = write_variant(tmp_path, ('programmes = ["copd", "heart_failure"]', 'programmes = ["copd", "asthma"]'))
    with pytest.raises(ConfigError, match=r"tenant 'sunnfjord': programmes\[1\]: Input should be 'copd'"):
        load_config(path)


def test_region_outside_the_eea_is_refused(tmp_path: Path) -> None:
    path = write_variant(tmp_path, ('region = "eu-north-1"', 'region = "us-east-1"'))
    with pytest.raises(ConfigError, match=r"tenant 'bodo': \(top level\): region 'us-east-1' is outside the EEA"):
        load_config(path)


def test_a_tenant_without_a_red_sms_receiver_is_refused(tmp_path: Path) -> None:
    path = write_variant(
        tmp_path,
        (
            '  phone = "+4799999911"\n  email = "vakt.oppfolging@example.org"\n'
            '  alerts = { sms = ["red"], email = ["red", "yellow"] }',
            '  email = "vakt.oppfolging@example.org"\n  alerts = { sms = [], email = ["red"] }',
        ),
    )
    with pytest.raises(ConfigError, match=r"tenant 'sunnfjord'.*no nurse receives red alerts by SMS"):
        load_config(path)


def test_synth_stops_with_the_message_and_no_stack_trace(tmp_path: Path) -> None:
    path = write_variant(tmp_path, ('phone = "+4799999902"', 'phone = "+47 999"'))
    environment = {
        **os.environ,
        TENANTS_FILE_VARIABLE: str(path),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    result = subprocess.run(
        [sys.executable, "-m", "infra.app"], cwd=REPO_ROOT, env=environment, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "tenant 'bodo': nurses[1].phone: '+47 999' is not valid here (E.164" in result.stderr
    assert "Traceback" not in result.stderr
