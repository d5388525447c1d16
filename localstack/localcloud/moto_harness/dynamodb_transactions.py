"""DynamoDB ``TransactWriteItems`` deep-copies the whole table once per item of the transaction in
moto 5.2.5, to be able to roll back.

That makes every transaction O(items x table): with a few thousand readings stored, each ingest took a
quarter of a second and a demo batch of 100 readings half a minute. Here the rollback copy is taken of
the items the transaction touches instead (the only ones it can change), and moto's whole-table copy is
skipped while the transaction runs (per thread; deep copies elsewhere are untouched). On any failure
the touched items are put back as they were and the error is raised as before.
"""

from __future__ import annotations

import copy as real_copy
import threading
from types import SimpleNamespace
from typing import Any

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models.table import Table

_in_transaction = threading.local()


def _deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    if isinstance(value, Table) and getattr(_in_transaction, "active", False):
        return value  # rollback is done per item below; the "backup" is the live table, left as it is
    return real_copy.deepcopy(value, memo)


def _key_of(backend: Any, op_type: str, op: dict[str, Any]) -> dict[str, Any] | None:
    table = backend.tables.get(op.get("TableName"))
    if table is None:
        return None
    if op_type != "Put":
        return dict(op["Key"])
    attrs = op["Item"]
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    return key


def apply() -> None:
    original = dynamodb_models.DynamoDBBackend.transact_write_items
    dynamodb_models.copy = SimpleNamespace(deepcopy=_deepcopy)  # type: ignore[assignment,attr-defined]

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        before: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = []
        for item in transact_items:
            op_type, op = next(iter(item.items()))
            key = _key_of(self, op_type, op)
            if key is None:
                continue
            current = self.get_item(op["TableName"], key)
            before.append((op["TableName"], key, None if current is None else current.to_json()["Attributes"]))
        _in_transaction.active = True
        try:
            original(self, transact_items)
        except Exception:
            for table_name, key, attributes in reversed(before):
                if attributes is None:
                    self.delete_item(table_name, key)
                else:
                    self.put_item(table_name, attributes)
            raise
        finally:
            _in_transaction.active = False

    dynamodb_models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
