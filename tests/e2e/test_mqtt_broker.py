"""The local broker starts on loopback, answers MQTT, and stops; mosquitto when installed, else amqtt."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from localcloud import mqtt_broker
from localcloud.mqtt_broker import (
    BrokerError,
    BrokerHandle,
    choose_kind,
    installed_kinds,
    mosquitto_path,
    start,
    wait_ready,
)
from localcloud.net import free_port


def test_amqtt_is_always_there_to_fall_back_on() -> None:
    assert "amqtt" in installed_kinds()  # dependency group `local`; mosquitto is added when installed


def test_a_started_broker_answers_on_loopback_and_is_gone_after_stop(broker: BrokerHandle) -> None:
    assert broker.host == "127.0.0.1"
    wait_ready(broker.host, broker.port, credentials=broker.credentials, timeout=2)
    broker.stop()
    with pytest.raises(BrokerError, match="not ready"):
        wait_ready(broker.host, broker.port, credentials=broker.credentials, timeout=0.3)
    broker.stop()  # stopping twice is harmless


def test_the_default_is_mosquitto_from_a_generated_config_when_installed_else_amqtt(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DHO_MQTT_BROKER", raising=False)
    with start(state_dir=tmp_path) as handle:
        if mosquitto_path() is None:
            assert handle.kind == "amqtt"
            return
        assert handle.kind == "mosquitto"
        config = (tmp_path / f"mosquitto-{handle.port}.conf").read_text()
        assert f"listener {handle.port} 127.0.0.1" in config
        assert (tmp_path / f"mosquitto-{handle.port}.pid").read_text().strip().isdigit()
    assert not (tmp_path / f"mosquitto-{handle.port}.pid").exists()
    assert "running" in (tmp_path / f"mosquitto-{handle.port}.log").read_text()


def test_without_mosquitto_the_embedded_amqtt_broker_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mqtt_broker, "mosquitto_path", lambda: None)
    monkeypatch.delenv("DHO_MQTT_BROKER", raising=False)
    assert choose_kind() == "amqtt"
    with pytest.raises(BrokerError, match="apt-get install -y mosquitto"):
        choose_kind("mosquitto")


def test_a_port_in_use_is_reported_not_hidden(tmp_path: Path) -> None:
    with socket.socket() as taken:
        port = free_port()
        taken.bind(("127.0.0.1", port))
        taken.listen()
        for kind in installed_kinds():
            with pytest.raises(BrokerError):
                start(port, kind=kind, state_dir=tmp_path, timeout=2)
