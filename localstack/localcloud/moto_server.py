"""A moto server on a free loopback port, in-process, reached through AWS_ENDPOINT_URL."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from moto.server import ThreadedMotoServer

from localcloud.moto_harness import dynamodb_atomic_writes, dynamodb_eventual_consistency
from localcloud.net import free_port

# Moto accepts any credentials; these make sure a developer's real profile is never needed or used.
_LOCAL_DEFAULTS = {"AWS_DEFAULT_REGION": "eu-north-1", "AWS_ACCESS_KEY_ID": "testing",
                   "AWS_SECRET_ACCESS_KEY": "testing"}


@contextmanager
def running_moto_server() -> Iterator[str]:
    """Start moto, point boto3 at it with the standard variable, and put both back afterwards."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    dynamodb_atomic_writes.apply()  # DynamoDB serializes conflicting writes; moto's threads do not
    dynamodb_eventual_consistency.apply()  # inert unless a test sets its read lag
    for name, value in _LOCAL_DEFAULTS.items():
        os.environ.setdefault(name, value)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    # "localhost", not 127.0.0.1: moto's CloudFormation parses template URLs by that word.
    endpoint = f"http://localhost:{port}"
    previous = os.environ.get("AWS_ENDPOINT_URL")
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    try:
        yield endpoint
    finally:
        server.stop()
        if previous is None:
            os.environ.pop("AWS_ENDPOINT_URL", None)
        else:
            os.environ["AWS_ENDPOINT_URL"] = previous
