"""Publishing: QoS 1 as each device to an in-memory broker, JSON lines, pacing, and the CLI."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from localcloud.simulator import cli
from localcloud.simulator.publisher import ConnectionLost, JsonlPublisher, MqttPublisher
from localcloud.simulator.runner import publish_all
from localcloud.simulator.simulation import Settings, Simulation, simulate


@dataclass
class _Delivery:
    acked: bool = False

    def is_published(self) -> bool:
        return self.acked


@dataclass
class InMemoryBroker:
    """Records what each session publishes; acknowledges (PUBACK) when the session is pumped."""

    received: list[tuple[str, str, str, str, int]] = field(default_factory=list)  # client, user, topic, payload, qos
    connects: list[str] = field(default_factory=list)
    open_sessions: set[str] = field(default_factory=set)
    most_open: int = 0
    drop_next_pump_of: set[str] = field(default_factory=set)

    def connect(self, client_id: str, username: str) -> _Session:
        self.connects.append(client_id)
        self.open_sessions.add(client_id)
        self.most_open = max(self.most_open, len(self.open_sessions))
        return _Session(self, client_id, username)


@dataclass
class _Session:
    broker: InMemoryBroker
    client_id: str
    username: str
    unacked: list[_Delivery] = field(default_factory=list)

    def publish(self, topic: str, payload: str, qos: int) -> _Delivery:
        self.broker.received.append((self.client_id, self.username, topic, payload, qos))
        delivery = _Delivery()
        self.unacked.append(delivery)
        return delivery

    def pump(self, timeout: float) -> None:
        if self.client_id in self.broker.drop_next_pump_of:
            self.broker.drop_next_pump_of.discard(self.client_id)
            self.broker.open_sessions.discard(self.client_id)
            raise ConnectionLost("simulated drop")
        for delivery in self.unacked:
            delivery.acked = True
        self.unacked.clear()

    def disconnect(self) -> None:
        self.broker.open_sessions.discard(self.client_id)


@pytest.fixture(scope="module")
def small(request: pytest.FixtureRequest) -> Simulation:
    return simulate(Settings(tenants=("bodo", "sunnfjord"), patients=6, days=2, seed=2),
                    start=datetime(2026, 11, 6, tzinfo=UTC))


def test_every_message_goes_out_with_qos_1_as_its_device_in_its_tenant(small: Simulation) -> None:
    broker = InMemoryBroker()
    publisher = MqttPublisher(broker.connect, max_connections=5, window=7)
    publish_all(small, publisher, show_progress=False)
    publisher.close()
    expected = [(m.device_id, m.tenant, f"dho/{m.tenant}/devices/{m.device_id}/readings", m.payload, 1)
                for m in small.messages]
    assert broker.received == expected
    assert broker.most_open <= 5 and not broker.open_sessions


def test_a_dropped_connection_is_reopened_and_its_unacknowledged_messages_resent(small: Simulation) -> None:
    broker = InMemoryBroker()
    publisher = MqttPublisher(broker.connect, max_connections=100, window=10_000)
    first = small.messages[0]
    broker.drop_next_pump_of.add(first.device_id)
    publish_all(small, publisher, show_progress=False)
    publisher.close()
    assert publisher.reconnects == 1 and broker.connects.count(first.device_id) == 2
    sent = [(client, payload) for client, _, _, payload, _ in broker.received]
    assert set(sent) == {(m.device_id, m.payload) for m in small.messages}  # nothing lost; some twice (QoS 1)


def test_pacing_waits_for_the_simulated_clock(small: Simulation) -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    out = io.StringIO()
    report = publish_all(small, JsonlPublisher(out), speed=3600.0, show_progress=False, clock=lambda: now[0],
                         sleep=sleep)
    assert report.published == len(small.messages)
    last = small.messages[-1]
    assert now[0] == pytest.approx((last.send_at - small.start).total_seconds() / 3600.0)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(line["topic"], line["payload"]) for line in lines] == [(m.topic, m.payload) for m in small.messages]


def test_cli_help_exits_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--help"])
    assert exited.value.code == 0
    assert "--mqtt-host" in capsys.readouterr().out


def test_cli_writes_jsonl_registry_and_truth_and_prints_a_summary(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    args = ["--tenants", "bodo,sunnfjord", "--patients", "5", "--days", "3", "--seed", "9", "--quiet",
            "--out", str(tmp_path / "messages.jsonl"), "--registry-out", str(tmp_path / "registry-{tenant}.json"),
            "--truth-out", str(tmp_path / "truth.json")]
    assert cli.main(args, now=now) == 0
    lines = (tmp_path / "messages.jsonl").read_text().splitlines()
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert len(lines) == sum(t["messages"] for t in truth["tenants"].values())
    assert datetime.fromisoformat(truth["window"]["end"]) <= now  # the window ends now: nothing in the future
    for tenant in ("bodo", "sunnfjord"):
        registry = json.loads((tmp_path / f"registry-{tenant}.json").read_text())
        assert registry["tenant"] == tenant and len(registry["patients"]) == 5
    output = capsys.readouterr().out
    assert "sunnfjord" in output and "published" in output
    assert cli.main(args, now=now) == 0
    assert (tmp_path / "messages.jsonl").read_text().splitlines() == lines  # same seed, same now: same file


def test_cli_refuses_several_tenants_in_one_registry_file(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="placeholder"):
        cli.main(["--tenants", "bodo,stryn", "--patients", "2", "--days", "1", "--dry-run", "--quiet",
                  "--registry-out", str(tmp_path / "registry.json"), "--truth-out", str(tmp_path / "t.json")])


def test_window_outside_what_the_platform_accepts_is_warned_about() -> None:
    now = datetime(2026, 11, 20, tzinfo=UTC)
    assert cli.window_warnings(*cli.default_window(14, now), now) == []
    assert len(cli.window_warnings(datetime(2026, 10, 1, tzinfo=UTC), now, now)) == 1
