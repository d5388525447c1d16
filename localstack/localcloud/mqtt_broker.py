"""A real MQTT broker on loopback for the local cloud: mosquitto when it is installed, else amqtt.

mosquitto (Debian package ``mosquitto``) runs as a child process with a generated config bound to
127.0.0.1 and the chosen port; its config, password file, pid file, log and persistence file are under
``.local/mqtt/``. Without it, the pure-Python broker amqtt 0.12 (dependency group ``local``) runs embedded
in this process, on its own event loop in a thread. ``DHO_MQTT_BROKER=mosquitto|amqtt`` forces one.

Only the local cloud's own clients (the devices' front door and the rules engine) may use the broker: it
refuses anonymous clients and anyone without the run's generated credentials (``handle.credentials``).

Persistence: mosquitto keeps sessions and their queued QoS 1 messages in its persistence file (saved
every second and at shutdown), so a message it acknowledged survives a restart (``handle.restart()``)
and reaches the rules engine's persistent session. amqtt 0.12 has no such store for messages queued to
a connected client (its SessionDBPlugin keeps subscriptions, not in-flight messages): a restart of the
amqtt broker can lose acknowledged messages, and ``handle.persistent`` is False.

    handle = start(1883)      # or start() for a free port
    ...                       # handle.host, handle.port, handle.kind, handle.credentials
    handle.restart()          # stop and start again on the same port, with the same state
    handle.stop()

or ``python -m localcloud.mqtt_broker --port 1883`` (runs until Ctrl-C).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import getpass
import hashlib
import importlib.util
import logging
import os
import secrets
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


@dataclass(frozen=True)
class BrokerCredentials:
    """The one user the broker accepts: the local cloud's front door and rules engine."""

    username: str
    password: str = field(repr=False)

    @classmethod
    def generate(cls) -> BrokerCredentials:
        return cls("localcloud-internal", secrets.token_urlsafe(24))



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


Launcher = Callable[[], Callable[[], None]]  # starts the broker process/loop, returns how to stop it


@dataclass
class BrokerHandle:
    kind: BrokerKind
    host: str
    port: int
    credentials: BrokerCredentials
    persistent: bool
    _launch: Launcher = field(repr=False)
    _stop: Callable[[], None] = field(repr=False)
    _stopped: bool = field(default=False, repr=False)

    def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            self._stop()

    def restart(self, *, down_for: float = 0.0, timeout: float = 10.0) -> None:
        """Stop the broker, wait ``down_for`` seconds, start it again on the same port and state."""
        self.stop()
        time.sleep(down_for)
        self._stop = self._launch()
        self._stopped = False
        wait_ready(self.host, self.port, credentials=self.credentials, timeout=timeout)

    def __enter__(self) -> BrokerHandle:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def start(port: int | None = None, *, kind: str = "auto", state_dir: Path = STATE_DIR,
          timeout: float = 10.0) -> BrokerHandle:
    """Start a broker on 127.0.0.1:``port`` (a free port if None) and return once a client can connect."""
    chosen = choose_kind(kind)
    port = port or free_port()
    credentials = BrokerCredentials.generate()
    # A new broker starts empty; only restart() carries the persisted sessions over.
    (state_dir / f"mosquitto-{port}.db").unlink(missing_ok=True)
    launch: Launcher = ((lambda: _start_mosquitto(port, state_dir, credentials)) if chosen == "mosquitto"
                        else (lambda: _start_amqtt(port, credentials)))
    handle = BrokerHandle(chosen, HOST, port, credentials, chosen == "mosquitto", launch, launch())
    try:
        wait_ready(handle.host, handle.port, credentials=credentials, timeout=timeout)
    except BaseException:
        handle.stop()
        raise
    return handle


def _set_when_accepted(_client: mqtt.Client, connected: threading.Event, _flags: object, reason: ReasonCode,
                       _props: object) -> None:
    if not reason.is_failure:
        connected.set()


def wait_ready(host: str, port: int, *, credentials: BrokerCredentials | None = None, timeout: float = 10.0) -> None:
    """Connect with paho (MQTT 3.1.1) until the broker accepts the connection, or raise BrokerError."""
    deadline = time.monotonic() + timeout
    last_error: str = "no answer"
    while time.monotonic() < deadline:
        connected = threading.Event()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"localcloud-ready-{os.getpid()}",
                             userdata=connected)
        if credentials is not None:
            client.username_pw_set(credentials.username, credentials.password)
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


def mosquitto_password_line(credentials: BrokerCredentials) -> str:
    """A mosquitto 2 password file line: PBKDF2-SHA512, 101 iterations (``$7$``, as mosquitto_passwd writes)."""
    salt = secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", credentials.password.encode(), salt, 101)
    return f"{credentials.username}:$7$101${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}\n"


def mosquitto_config(port: int, log_file: Path, password_file: Path, persistence_dir: Path) -> str:
    return "\n".join([
        "# Generated by localcloud.mqtt_broker: loopback only, the local cloud's own clients only, persistent.",
        f"listener {port} {HOST}",
        "allow_anonymous false",
        f"password_file {password_file.resolve()}",
        # What the broker acknowledged must survive a restart, as in IoT Core: sessions and their queued
        # QoS 1 messages go to disk every second and at shutdown.
        "persistence true",
        f"persistence_location {persistence_dir.resolve()}/",
        f"persistence_file mosquitto-{port}.db",
        "autosave_interval 1",
        # IoT Core lets 100 unacknowledged QoS 1 messages be in flight to a client (mosquitto's default: 20).
        "max_inflight_messages 100",
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


def _start_mosquitto(port: int, state_dir: Path, credentials: BrokerCredentials) -> Callable[[], None]:
    binary = mosquitto_path()
    assert binary is not None
    state_dir.mkdir(parents=True, exist_ok=True)
    config = state_dir / f"mosquitto-{port}.conf"
    log_file = state_dir / f"mosquitto-{port}.log"
    pid_file = state_dir / f"mosquitto-{port}.pid"
    password_file = state_dir / f"mosquitto-{port}.passwd"
    password_file.touch(mode=0o600)
    password_file.write_text(mosquitto_password_line(credentials))
    config.write_text(mosquitto_config(port, log_file, password_file, state_dir))
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
    return stop


# --- amqtt ------------------------------------------------------------------------------------------


def amqtt_config(port: int, credentials: BrokerCredentials) -> dict[str, object]:
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{HOST}:{port}"}},
        # Only the internal user: no anonymous clients, no $SYS publisher, no per-packet logger.
        "plugins": {"localcloud.amqtt_auth.InternalUserAuthPlugin": {
            "username": credentials.username, "password": credentials.password}},
    }


def _start_amqtt(port: int, credentials: BrokerCredentials) -> Callable[[], None]:
    from amqtt.broker import Broker  # type: ignore[import-untyped]  # amqtt ships no type information

    logging.getLogger("amqtt").setLevel(logging.WARNING)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    failure: list[BaseException] = []
    stop_requested: asyncio.Event | None = None

    async def serve() -> None:
        nonlocal stop_requested
        stop_requested = asyncio.Event()
        broker = Broker(amqtt_config(port, credentials))
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
    return stop


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
