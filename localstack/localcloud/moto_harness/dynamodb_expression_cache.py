"""DynamoDB: moto 5.2.5 lexes and parses a condition or filter expression afresh on every request.

Every ``TransactWriteItems`` of a reading puts several items with the same ``attribute_not_exists(pk)``
condition; parsing it was about an eighth of the harness's time while the readings pipeline ran. The
parsed expression (values included) only depends on the expression, its names and its values, and is
only read when evaluated: each distinct one is parsed once (bounded cache). Expressions that do not
parse raise every time, as before.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from moto.dynamodb import comparisons
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import table as dynamodb_table


def apply() -> None:
    original = comparisons.get_filter_expression

    @functools.lru_cache(maxsize=4096)
    def parsed(expression: str | None, names: str, values: str) -> Any:
        return original(expression, json.loads(names), json.loads(values))

    def get_filter_expression(expression: str | None, names: dict[str, str] | None,
                              values: dict[str, dict[str, str]] | None) -> Any:
        try:
            key = (json.dumps(names, sort_keys=True), json.dumps(values, sort_keys=True))
        except TypeError:  # a binary value (bytes): not worth a key
            return original(expression, names, values)
        return parsed(expression, *key)

    module: Any
    for module in (dynamodb_models, dynamodb_table):  # where moto looks the function up
        module.get_filter_expression = get_filter_expression
