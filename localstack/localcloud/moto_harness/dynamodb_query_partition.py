"""DynamoDB ``Query`` on a table's own key reads every item of the table in moto 5.2.5.

``Table.query`` builds its candidates from ``all_items()``, which lists and sorts the whole table, then
keeps the items of the queried partition: a query costs O(table) (≈50 ms at 3,000 items here), and the
platform queries per patient on every batch, so a demo with a few thousand readings slowed to minutes
per batch. While a main-table query runs (no index), ``all_items`` returns just that partition; the
override is per thread, so scans and index queries running at the same time still see everything.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.dynamodb.models.table import Table

_partition = threading.local()


def apply() -> None:
    original_query = Table.query
    original_all_items = Table.all_items

    def all_items(self: Table) -> Any:
        override = getattr(_partition, "items", None)
        if override is not None and override[0] is self:
            return list(override[1])
        return original_all_items(self)

    def query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        if index_name is not None or hash_key is None or not self.range_key_attr:
            return original_query(self, hash_key, *args, **kwargs)
        _partition.items = (self, list(self.items.get(hash_key, {}).values()))
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            _partition.items = None

    Table.all_items = all_items  # type: ignore[method-assign]
    Table.query = query  # type: ignore[method-assign]
