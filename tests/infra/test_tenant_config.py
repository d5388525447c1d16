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


def test_opening_hours_that_close_before_they_open_name_tenant_and_field(tmp_path: Path) -> None:
    path = write_variant(tmp_path, ('opens = "08:00", closes = "15:00"', 'opens = "15:00", closes = "08:00"'))
    with pytest.raises(ConfigError, match=r"tenant 'sunnfjord': response_centre: closes \(08:00\) must be after"):
        load_config(path)


def test_opening_days_are_weekday_names_each_once(tmp_path: Path) -> None:
    path = write_variant(tmp_path, ('closes = "15:00", days = ["mon", "tue", "wed", "thu", "fri"]',
                                    'closes = "15:00", days = ["mon", "thu", "thu"]'))
    with pytest.raises(ConfigError, match=r"tenant 'sunnfjord': response_centre: days lists \['thu'\] twice"):
        load_config(path)
    path = write_variant(tmp_path, ('days = ["mon", "tue", "wed", "thu", "fri"]', 'days = ["mon", "sunday"]'))
    with pytest.raises(ConfigError, match=r"tenant 'bodo': response_centre.days\[1\]: Input should be 'mon'"):
        load_config(path)


def test_the_demo_tenants_state_their_opening_days_and_the_default_is_monday_to_friday() -> None:
    from infra.config import ResponseCentre

    weekdays = ("mon", "tue", "wed", "thu", "fri")
    assert ResponseCentre(name="Helsehjelpa").days == weekdays
    assert "days = [" in DEFAULT_CONFIG_FILE.read_text(encoding="utf-8")
    assert [t.response_centre.days for t in load_config().tenants] == [weekdays, weekdays]


def test_a_tenant_file_that_still_grants_an_export_invoker_is_refused(tmp_path: Path) -> None:
    # The FHIR export is behind the centre API (verified HelseID identity): no IAM role invokes it any more.
    role = "arn:aws:iam::123456789012:role/placeholder-integration-engine"
    path = write_variant(tmp_path, ('centre = "salten"', f'export_invoker_role_arns = ["{role}"]\ncentre = "salten"'))
    with pytest.raises(ConfigError, match="tenant 'bodo': export_invoker_role_arns"):
        load_config(path)
