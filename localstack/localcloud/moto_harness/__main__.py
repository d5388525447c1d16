"""``python -m localcloud.moto_harness --port 4566``: moto's server with the harness patches applied."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from types import FrameType

from moto.server import ThreadedMotoServer

from localcloud.moto_harness import apply_patches, configure
from localcloud.moto_harness.dynamodb_eventual_consistency import LAG_VARIABLE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=4566, help="port (default 4566, LocalStack's)")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    parser.add_argument("--dynamodb-read-lag-ms", type=int, default=None,
                        help=f"serve eventually consistent DynamoDB reads this far behind ({LAG_VARIABLE})")
    args = parser.parse_args(argv)
    if args.dynamodb_read_lag_ms is not None:
        os.environ[LAG_VARIABLE] = str(args.dynamodb_read_lag_ms)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    patches = apply_patches()
    server = ThreadedMotoServer(ip_address=args.host, port=args.port, verbose=False)
    server.start()
    endpoint = f"http://localhost:{args.port}"
    configure(endpoint)
    logging.getLogger("localcloud.moto_harness").info(
        "moto harness on %s with %d patches: %s", endpoint, len(patches), ", ".join(patches)
    )

    stopped = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    stopped.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
