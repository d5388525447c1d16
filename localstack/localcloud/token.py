"""A fresh access token of a demo user for a running ``make demo``'s centre API, printed alone on stdout
(for ``curl -H "Authorization: Bearer $(...)"``). Asks the demo's token desk (``localcloud.token_desk``).

    PYTHONPATH=localstack .venv/bin/python -m localcloud.token salten centre_nurse-1
    PYTHONPATH=localstack .venv/bin/python -m localcloud.token --list
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from localcloud.token_desk import STATE_FILE


def _running_demo(state_file: Path) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = json.loads(state_file.read_text())
    except (OSError, ValueError):
        return None
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localcloud.token", description=__doc__.split("\n\n")[0])
    parser.add_argument("centre", nargs="?", help="centre id, e.g. salten")
    parser.add_argument("user", nargs="?", help="demo user, e.g. centre_nurse-1 (--list shows them)")
    parser.add_argument("--list", action="store_true", help="the centres, their URLs and users")
    parser.add_argument("--state", type=Path, default=STATE_FILE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    demo = _running_demo(args.state)
    if demo is None:
        print("no running demo found: start `make demo` and keep it running", file=sys.stderr)
        return 2
    if args.list or not (args.centre and args.user):
        for centre, found in demo["centres"].items():
            print(f"{centre} {found['url']} ({', '.join(found['tenants'])}): {', '.join(found['users'])}")
        return 0 if args.list else 2
    url = f"{demo['token_desk']}/token/{urllib.parse.quote(args.centre)}/{urllib.parse.quote(args.user)}"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            print(json.loads(response.read())["access_token"])
    except urllib.error.HTTPError as refused:
        print(json.loads(refused.read()).get("error", refused.reason), file=sys.stderr)
        return 2
    except OSError as error:
        print(f"the demo's token desk does not answer ({error}): is `make demo` still running?", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
