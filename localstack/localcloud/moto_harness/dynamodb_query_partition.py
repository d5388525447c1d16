"""DynamoDB ``Query`` on a table's own key reads every item of the table in moto 5.2.5.

``Table.query`` builds its candidates from ``all_items()``, which lists and sorts the whole table, then
keeps the items of the queried partition: a query costs O(table) (≈50 ms at 3,000 items here), and the
platform queries per patient on every batch, so a demo with a few thousand readings slowed to minutes
per batch. While a main-table query runs (no index), ``all_items`` returns just that partition; the
override is per thread, so scans and index queries running at the same time still see everything.

Within the partition moto then sorts every item and compares each with the key condition through its
generic attribute type (a patient's partition holds hundreds of readings; the pipeline asks it for one
or a window of them). For string sort keys the candidates are narrowed first, on the plain strings: the
items after ``ExclusiveStartKey`` that the key condition keeps, in the query's direction, up to ``Limit``
(DynamoDB applies it before a filter) and the item that follows them (from which moto tells that there
is a next page). moto still runs its own sort, comparison, paging and filter on what is left, so the
answer is its own. Not narrowed: eventually consistent reads (the lagging replica's view adds items) and
legacy ``QueryFilter`` queries.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.dynamodb.comparisons import get_comparison_func
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import Table

from localcloud.moto_harness.dynamodb_eventual_consistency import lagging

_partition = threading.local()
_STRING = "S"


def _narrowed(table: Table, items: list[Item], comparison: str | None, bounds: list[Any], limit: Any,
              start_key: dict[str, Any] | None, forward: bool) -> list[Item] | None:
    """The items moto would look at, or None where narrowing does not apply."""
    if any(item.range_key is None or item.range_key.type != _STRING for item in items):
        return None
    keep = get_comparison_func(comparison) if comparison else None
    if comparison and (keep is None or any(getattr(b, "type", None) != _STRING for b in bounds)):
        return None
    start = None
    if start_key is not None:
        start = (start_key.get(table.range_key_attr or "") or {}).get(_STRING)
        if start is None:
            return None
    values = [b.value for b in bounds]
    # In the query's direction, after the start key: what moto would walk through.
    walk = sorted(items, key=lambda item: item.range_key.value, reverse=not forward)  # type: ignore[union-attr]
    if start is not None:
        walk = [item for item in walk
                if (item.range_key.value > start if forward else item.range_key.value < start)]  # type: ignore[union-attr]
    kept: list[Item] = []
    for item in walk:
        if isinstance(limit, int) and len(kept) == limit:
            return [*kept, item]  # moto stops here: the page is full and something follows
        if keep is None or keep(item.range_key.value, *values):  # type: ignore[union-attr]
            kept.append(item)
    return kept


def apply() -> None:
    original_query = Table.query
    original_all_items = Table.all_items

    def all_items(self: Table) -> Any:
        override = getattr(_partition, "items", None)
        if override is not None and override[0] is self:
            return list(override[1])
        return original_all_items(self)

    def query(self: Table, hash_key: Any, range_comparison: str | None, range_objs: list[Any], limit: Any,
              exclusive_start_key: dict[str, Any] | None, scan_index_forward: bool, *args: Any,
              **kwargs: Any) -> Any:
        everything = (hash_key, range_comparison, range_objs, limit, exclusive_start_key, scan_index_forward, *args)
        index_name = kwargs.get("index_name", args[1] if len(args) > 1 else None)
        if index_name is not None or hash_key is None or not self.range_key_attr:
            return original_query(self, *everything, **kwargs)
        items: list[Item] = list(self.items.get(hash_key, {}).values())
        filters = {k: v for k, v in kwargs.items()
                   if k not in ("index_name", "consistent_read", "filter_expression", "hash_key_conditions",
                                "range_key_conditions")}
        multi_attribute = len(kwargs.get("range_key_conditions") or ()) > 1
        if not filters and not multi_attribute and not lagging():
            narrowed = _narrowed(self, items, range_comparison, range_objs, limit, exclusive_start_key,
                                 scan_index_forward is not False)
            items = items if narrowed is None else narrowed
        _partition.items = (self, items)
        try:
            return original_query(self, *everything, **kwargs)
        finally:
            _partition.items = None

    Table.all_items = all_items  # type: ignore[method-assign]
    Table.query = query  # type: ignore[method-assign]
