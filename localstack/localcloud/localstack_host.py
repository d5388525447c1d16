"""LocalStack's open-source core run on this machine without Docker, to test the LocalStack path.

On the host it serves SQS, SNS (with its record of SMS sent), SES (with its record of e-mails),
CloudFormation, IAM, STS, KMS and CloudWatch Logs; not DynamoDB (it downloads Java and a jar at start),
Lambda (Docker) or IoT (licence). That is enough to check what ``localstack_cloud`` reads from LocalStack
against LocalStack itself rather than against recorded shapes: readiness, the queues, and the SMS and
e-mails an alert topic's subscriptions (with their filter policies) deliver.

It needs Python 3.13: ``make localstack-host`` builds ``.venv-localstack`` from
``localstack/requirements-host.txt`` (pinned). Started with a free loopback port and its own state and
cache directories, from an empty working directory (a module in the working directory would shadow
LocalStack's imports), with a self-signed certificate made here (so it neither downloads one nor needs an
older pyOpenSSL to make its own). Stopped with SIGTERM, then SIGKILL if it lingers.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from localcloud.localstack_cloud import LocalStackUnavailable, wait_until_ready
from localcloud.net import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV = REPO_ROOT / ".venv-localstack"
HOST_SERVICES = ("sns", "sqs", "ses", "sts", "iam", "kms", "logs")


def python(venv: Path = VENV) -> Path:
    interpreter = venv / "bin" / "python"
    if not interpreter.exists():
        raise LocalStackUnavailable(f"no {venv.name}: `make localstack-host` builds it (needs python3.13)")
    return interpreter


def write_self_signed_pem(path: Path, host: str = "localhost") -> Path:
    """Key and certificate in one PEM file, as LocalStack's CUSTOM_SSL_CERT_PATH expects."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    path.write_bytes(key_pem + certificate.public_bytes(serialization.Encoding.PEM))
    return path


def host_environment(port: int, state: Path, services: Sequence[str]) -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "LOCALSTACK_"))}
    environment.update({
        "GATEWAY_SERVER": "hypercorn",
        "GATEWAY_LISTEN": f"127.0.0.1:{port}",
        "LOCALSTACK_HOST": f"127.0.0.1:{port}",
        "SERVICES": ",".join(services),
        "EAGER_SERVICE_LOADING": "1",
        "CUSTOM_SSL_CERT_PATH": str(write_self_signed_pem(state / "server.pem")),
        "SKIP_SSL_CERT_DOWNLOAD": "1",
        "DISABLE_EVENTS": "1",  # no analytics calls
        "FILESYSTEM_ROOT": str(state / "filesystem"),
        "LOCALSTACK_VOLUME_DIR": str(state / "volume"),
    })
    return environment


@contextmanager
def running_localstack_host(
    services: Sequence[str] = HOST_SERVICES, *, log_file: Path | None = None, timeout: float = 90.0,
) -> Iterator[str]:
    """Yield the endpoint (``http://localhost:<port>``) of a LocalStack core process; stop it afterwards."""
    interpreter = python()
    with tempfile.TemporaryDirectory(prefix="localstack-host-") as folder:
        state = Path(folder)
        for name in ("filesystem", "volume", "cwd"):
            (state / name).mkdir()
        port = free_port()
        log = (log_file or state / "localstack.log").open("w", encoding="utf-8")
        process = subprocess.Popen(
            [str(interpreter), "-m", "localstack.runtime.main"], cwd=state / "cwd",
            env=host_environment(port, state, services), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        endpoint = f"http://localhost:{port}"
        try:
            wait_until_ready(endpoint, services=services, timeout=timeout)
            yield endpoint
        finally:
            _stop(process)
            log.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:  # it can hang on shutdown
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
