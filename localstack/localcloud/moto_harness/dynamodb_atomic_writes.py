"""DynamoDB writes are atomic with respect to each other; in moto 5.2.5 they are not.

moto's server answers requests on several threads, and its ``TransactWriteItems`` (like a conditional
``PutItem``/``UpdateItem``/``DeleteItem``) checks the conditions, then writes: two requests can both pass
their checks before either writes. DynamoDB serializes conflicting writes, so of two workers creating the
same alert exactly one wins; on moto both may. Here every write of the backend runs under one re-entrant
lock (a transaction writes through ``put_item`` etc. itself). Reads are not locked.

This patch registers no CloudFormation model, so it is also applied to the in-process moto server of the
integration tests (:func:`localcloud.moto_server.running_moto_server`).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend

WRITES = ("transact_write_items", "put_item", "update_item", "delete_item", "batch_write_item")
_lock = threading.RLock()


def _serialized(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _lock:
            return method(self, *args, **kwargs)

    locked.__dho_serialized__ = True  # type: ignore[attr-defined]
    return locked


def apply() -> None:
    for name in WRITES:
        method = getattr(DynamoDBBackend, name, None)
        if method is not None and not getattr(method, "__dho_serialized__", False):
            setattr(DynamoDBBackend, name, _serialized(method))
