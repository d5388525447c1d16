"""A real MQTT broker on loopback for the local cloud: mosquitto when it is installed, else amqtt.

mosquitto (Debian package ``mosquitto``) runs as a child process with a generated config bound to
127.0.0.1 and the chosen port; its config, pid file and log are under ``.local/mqtt/``. Without it, the
pure-Python broker amqtt 0.12 (dependency group ``local``) runs embedded in this process, on its own
event loop in a thread. ``DHO_MQTT_BROKER=mosquitto|amqtt`` forces one.

    handle = start(1883)      # or start() for a free port
    ...                       # handle.host, handle.port, handle.kind
    handle.stop()

or ``python -m localcloud.mqtt_broker --port 1883`` (runs until Ctrl-C).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import importlib.util
import logging
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Literal

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from localcloud.net import free_port

BrokerKind = Literal["mosquitto", "amqtt"]
HOST = "127.0.0.1"
STATE_DIR = Path(".local/mqtt")
_MOSQUITTO_CANDIDATES = ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto", "/opt/homebrew/sbin/mosquitto")


class BrokerError(RuntimeError):
    """The broker could not be started or did not become ready."""



def mosquitto_path() -> str | None:
    """The mosquitto binary (Debian installs it in /usr/sbin, which is not on a normal user's PATH)."""
    found = shutil.which("mosquitto")
    if found:
        return found
    return next((candidate for candidate in _MOSQUITTO_CANDIDATES if Path(candidate).is_file()), None)


def amqtt_available() -> bool:
    return importlib.util.find_spec("amqtt") is not None


def installed_kinds() -> list[BrokerKind]:
    """The broker kinds that can start here (tests run against each)."""
    kinds: list[BrokerKind] = []
    if mosquitto_path():
        kinds.append("mosquitto")
    if amqtt_available():
        kinds.append("amqtt")
    return kinds


def choose_kind(requested: str = "auto") -> BrokerKind:
    requested = os.environ.get("DHO_MQTT_BROKER", requested) if requested == "auto" else requested
    if requested == "mosquitto" or (requested == "auto" and mosquitto_path()):
        if not mosquitto_path():
            raise BrokerError("mosquitto requested but not installed (apt-get install -y mosquitto)")
        return "mosquitto"
    if requested not in ("auto", "amqtt"):
        raise BrokerError(f"unknown broker {requested!r}: use mosquitto, amqtt or auto")
    if not amqtt_available():
        raise BrokerError("neither mosquitto nor amqtt is installed: `make setup` installs amqtt (group local)")
    return "amqtt"


@dataclass
class BrokerHandle:
    kind: BrokerKind
    host: str
    port: int
    _stop: Callable[[], None] = field(repr=False)
    _stopped: bool = field(default=False, repr=False)

    def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            self._stop()

    def __enter__(self) -> BrokerHandle:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def start(port: int | None = None, *, kind: str = "auto", state_dir: Path = STATE_DIR,
          timeout: float = 10.0) -> BrokerHandle:
    """Start a broker on 127.0.0.1:``port`` (a free port if None) and return once a client can connect."""
    chosen = choose_kind(kind)
    port = port or free_port()
    handle = _start_mosquitto(port, state_dir) if chosen == "mosquitto" else _start_amqtt(port)
    try:
        wait_ready(handle.host, handle.port, timeout=timeout)
    except BaseException:
        handle.stop()
        raise
    return handle


def _set_when_accepted(_client: mqtt.Client, connected: threading.Event, _flags: object, reason: ReasonCode,
                       _props: object) -> None:
    if not reason.is_failure:
        connected.set()


def wait_ready(host: str, port: int, *, timeout: float = 10.0) -> None:
    """Connect with paho (MQTT 3.1.1) until the broker answers CONNACK, or raise BrokerError."""
    deadline = time.monotonic() + timeout
    last_error: str = "no answer"
    while time.monotonic() < deadline:
        connected = threading.Event()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"localcloud-ready-{os.getpid()}",
                             userdata=connected)
        client.on_connect = _set_when_accepted
        try:
            client.connect(host, port, keepalive=5)
            end = min(deadline, time.monotonic() + 1.0)
            while not connected.is_set() and time.monotonic() < end:
                client.loop(timeout=0.05)
            if connected.is_set():
                client.disconnect()
                client.loop(timeout=0.05)
                return
        except OSError as error:
            last_error = str(error)
        finally:
            sock = client.socket()
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()
        time.sleep(0.05)
    raise BrokerError(f"MQTT broker on {host}:{port} not ready after {timeout:.0f} s: {last_error}")


# --- mosquitto --------------------------------------------------------------------------------------


def mosquitto_config(port: int, log_file: Path) -> str:
    return "\n".join([
        "# Generated by localcloud.mqtt_broker: loopback only, no persistence (the local cloud is disposable).",
        f"listener {port} {HOST}",
        "allow_anonymous true",
        "persistence false",
        # The rules engine's QoS 1 subscriptions must not lose a message when a burst of devices outruns
        # them: mosquitto's default drops QoS 1 messages beyond 1,000 queued per client.
        "max_queued_messages 0",
        f"log_dest file {log_file.resolve()}",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "log_type information",
        "connection_messages true",
        # mosquitto started as root drops to user "mosquitto", which cannot write our log: stay who we are.
        f"user {getpass.getuser()}",
        "",
    ])


def _start_mosquitto(port: int, state_dir: Path) -> BrokerHandle:
    binary = mosquitto_path()
    assert binary is not None
    state_dir.mkdir(parents=True, exist_ok=True)
    config = state_dir / f"mosquitto-{port}.conf"
    log_file = state_dir / f"mosquitto-{port}.log"
    pid_file = state_dir / f"mosquitto-{port}.pid"
    config.write_text(mosquitto_config(port, log_file))
    with log_file.open("ab") as output:
        process = subprocess.Popen([binary, "-c", str(config.resolve())], stdout=output,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    pid_file.write_text(f"{process.pid}\n")

    def stop() -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        pid_file.unlink(missing_ok=True)

    time.sleep(0.05)
    if process.poll() is not None:
        stop()
        tail = log_file.read_text(errors="replace")[-2000:]
        raise BrokerError(f"mosquitto exited at start (code {process.returncode}); {log_file}:\n{tail}")
    return BrokerHandle("mosquitto", HOST, port, stop)


# --- amqtt ------------------------------------------------------------------------------------------


def amqtt_config(port: int) -> dict[str, object]:
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{HOST}:{port}"}},
        # Only anonymous auth: no $SYS publisher, no per-packet logger (noise at this volume).
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    }


def _start_amqtt(port: int) -> BrokerHandle:
    from amqtt.broker import Broker  # type: ignore[import-untyped]  # amqtt ships no type information

    logging.getLogger("amqtt").setLevel(logging.WARNING)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    failure: list[BaseException] = []
    stop_requested: asyncio.Event | None = None

    async def serve() -> None:
        nonlocal stop_requested
        stop_requested = asyncio.Event()
        broker = Broker(amqtt_config(port))
        try:
            await broker.start()
        except BaseException as error:
            failure.append(error)
            started.set()
            return
        started.set()
        await stop_requested.wait()
        await broker.shutdown()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), name=f"amqtt-{port}", daemon=True)
    thread.start()
    if not started.wait(timeout=10):
        raise BrokerError("amqtt did not start within 10 s")

    def stop() -> None:
        if thread.is_alive() and stop_requested is not None:
            loop.call_soon_threadsafe(stop_requested.set)
            thread.join(timeout=10)
        if not thread.is_alive():
            loop.close()

    if failure:
        stop()
        raise BrokerError(f"amqtt could not start on {HOST}:{port}: {failure[0]}")
    return BrokerHandle("amqtt", HOST, port, stop)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the local cloud's MQTT broker on 127.0.0.1 until Ctrl-C.")
    parser.add_argument("--port", type=int, default=1883)
    parser.add_argument("--kind", choices=["auto", "mosquitto", "amqtt"], default="auto")
    args = parser.parse_args(argv)
    handle = start(args.port, kind=args.kind)
    print(f"MQTT broker ({handle.kind}) on {handle.host}:{handle.port}; Ctrl-C stops it", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop()


if __name__ == "__main__":
    main()
