"""The local centre API hands its function one event at a time, as Lambda does per execution environment:
the handler keeps the request's caller in its module-level app's context, and two events at once in one
module would read each other's (a nurse's page polls the worklist while it loads another tab)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from localcloud.centre_api import one_at_a_time


def test_concurrent_requests_reach_the_function_one_after_the_other() -> None:
    inside, most = 0, 0
    lock = threading.Lock()

    def function(event: dict[str, Any]) -> dict[str, Any]:
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        time.sleep(0.01)  # long enough for the other threads to arrive while this event runs
        with lock:
            inside -= 1
        return {"statusCode": 200, "body": event["n"]}

    invoke = one_at_a_time(function)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda n: invoke({"n": n}), range(16)))

    assert [a["body"] for a in answers] == list(range(16)) and most == 1
