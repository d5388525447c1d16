"""DynamoDB reads without ``ConsistentRead`` see every write at once in moto 5.2.5; in AWS they may not.

An eventually consistent read (GetItem, BatchGetItem, Query or Scan without ``ConsistentRead``, and every read of a
global secondary index) can be answered by a replica that has not applied a write acknowledged a moment
before. Opt-in: with ``DHO_LOCAL_DYNAMODB_READ_LAG_MS`` set to a number of milliseconds, such reads see
each item as it was that long ago (a put, update or delete younger than the lag is not there yet);
reads with ``ConsistentRead`` and the condition checks of writes see the latest state. Unset or 0: moto's
strong reads, and nothing is recorded. The variable is read on every request, so a test can switch the
lag on for itself (the in-process server of the integration tests applies this patch too).
"""

from __future__ import annotations

import copy
import functools
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler

LAG_VARIABLE = "DHO_LOCAL_DYNAMODB_READ_LAG_MS"

_Key = tuple[DynamoType, DynamoType | None]


@dataclass(frozen=True, slots=True)
class _Write:
    at: float  # time.monotonic() when the write was acknowledged
    key: _Key
    before: Item | None  # the item as it was before this write (None: it did not exist)


_recent: weakref.WeakKeyDictionary[Table, list[_Write]] = weakref.WeakKeyDictionary()
_recent_lock = threading.Lock()
_request = threading.local()  # .lagging: this thread serves an eventually consistent read


def read_lag() -> float:
    """The configured lag in seconds (0: strongly consistent reads, as moto)."""
    return max(float(os.environ.get(LAG_VARIABLE) or 0), 0.0) / 1000.0


def _record(table: Table, key: _Key, before: Item | None) -> None:
    now = time.monotonic()
    with _recent_lock:
        writes = _recent.setdefault(table, [])
        cutoff = now - read_lag()
        writes[:] = [w for w in writes if w.at > cutoff]
        writes.append(_Write(now, key, before))


def _unseen(table: Table) -> dict[_Key, Item | None]:
    """Per key written within the lag: the item as the lagging replica still has it."""
    cutoff = time.monotonic() - read_lag()
    with _recent_lock:
        writes = [w for w in _recent.get(table, ()) if w.at > cutoff]
    stale: dict[_Key, Item | None] = {}
    for write in writes:  # oldest first: the state before the first unseen write is the replica's
        stale.setdefault(write.key, write.before)
    return stale


def _as_replica_sees(table: Table, items: list[Item]) -> list[Item]:
    stale = _unseen(table)
    if not stale:
        return items
    by_key: dict[_Key, Item] = {(item.hash_key, item.range_key): item for item in items}
    for key, before in stale.items():
        if before is None:
            by_key.pop(key, None)
        else:
            by_key[key] = before
    return sorted(by_key.values(), key=lambda i: (i.hash_key, i.range_key) if i.range_key else i.hash_key)


def lagging() -> bool:
    """Whether this thread is serving an eventually consistent read that lags."""
    return bool(getattr(_request, "lagging", False))


@contextmanager
def _serving(lagging: bool) -> Iterator[None]:
    _request.lagging = lagging
    try:
        yield
    finally:
        _request.lagging = False


def _key_of(table: Table, attributes: dict[str, Any]) -> _Key | None:
    if table.hash_key_attr not in attributes:
        return None
    range_attr = table.range_key_attr
    if range_attr is not None and range_attr not in attributes:
        return None
    return DynamoType(attributes[table.hash_key_attr]), (
        DynamoType(attributes[range_attr]) if range_attr is not None else None)


def _patch_writes() -> None:
    put_item, delete_item = Table.put_item, Table.delete_item
    update_item = DynamoDBBackend.update_item

    def recorded_put(self: Table, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        key = _key_of(self, item_attrs) if read_lag() else None
        if key is None:
            return put_item(self, item_attrs, *args, **kwargs)
        before = self.get_item(*key)  # replaced, not changed in place: no copy needed
        result = put_item(self, item_attrs, *args, **kwargs)
        _record(self, key, before)
        return result

    def recorded_delete(self: Table, hash_key: DynamoType, range_key: DynamoType | None) -> Any:
        removed = delete_item(self, hash_key, range_key)
        if removed is not None and read_lag():
            _record(self, (hash_key, range_key), removed)
        return removed

    def recorded_update(self: DynamoDBBackend, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        table = self.get_table(table_name)
        item_key = _key_of(table, key) if read_lag() else None
        if item_key is None:
            return update_item(self, table_name, key, *args, **kwargs)
        before = copy.deepcopy(table.get_item(*item_key))  # an update changes the stored item in place
        result = update_item(self, table_name, key, *args, **kwargs)
        _record(table, item_key, before)
        return result

    Table.put_item = recorded_put  # type: ignore[method-assign]
    Table.delete_item = recorded_delete  # type: ignore[method-assign]
    DynamoDBBackend.update_item = recorded_update  # type: ignore[method-assign]


def _patch_reads() -> None:
    all_items, has_idx_items, get_item = Table.all_items, Table.has_idx_items, Table.get_item

    def replica_all_items(self: Table) -> list[Item]:
        items = all_items(self)
        return _as_replica_sees(self, items) if lagging() else items

    def replica_index_items(self: Table, index_name: str) -> list[Item]:
        items = has_idx_items(self, index_name)
        if not lagging():
            return items
        indexed = {attribute["AttributeName"] for attribute in self.get_index(index_name).schema}
        return [item for item in _as_replica_sees(self, items) if indexed.issubset(item.attrs)]

    def replica_get_item(self: Table, hash_key: DynamoType, range_key: DynamoType | None = None,
                         projection_expression: list[list[str]] | None = None) -> Item | None:
        stale = _unseen(self) if lagging() else {}
        if (hash_key, range_key) not in stale:
            return get_item(self, hash_key, range_key, projection_expression)
        before = stale[(hash_key, range_key)]
        return before.project(projection_expression) if before and projection_expression else before

    Table.all_items = replica_all_items  # type: ignore[method-assign]
    Table.has_idx_items = replica_index_items  # type: ignore[method-assign]
    Table.get_item = replica_get_item  # type: ignore[method-assign]

    def request(action: Callable[[DynamoHandler], Any], consistent: Callable[[dict[str, Any]], bool],
                ) -> Callable[[DynamoHandler], Any]:
        @functools.wraps(action)
        def served(self: DynamoHandler) -> Any:
            with _serving(read_lag() > 0 and not consistent(self.body)):
                return action(self)

        return served

    for name in ("get_item", "query", "scan"):
        setattr(DynamoHandler, name, request(getattr(DynamoHandler, name), _consistent_read))
    # BatchGetItem asks per table; a request with one table not consistent is served lagging.
    DynamoHandler.batch_get_item = request(  # type: ignore[method-assign,assignment]
        DynamoHandler.batch_get_item,
        lambda body: all(_consistent_read(asked) for asked in body.get("RequestItems", {}).values()))


def _consistent_read(request: dict[str, Any]) -> bool:
    return bool(request.get("ConsistentRead", False))


_applied = threading.Lock()
_done: list[bool] = []


def apply() -> None:
    with _applied:
        if _done:
            return  # the in-process server and the harness may both ask
        _patch_writes()
        _patch_reads()
        _done.append(True)
