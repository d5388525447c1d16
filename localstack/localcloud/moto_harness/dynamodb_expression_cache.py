"""DynamoDB: moto 5.2.5 lexes and parses a condition or filter expression afresh, twice per use.

Every ``TransactWriteItems`` of a reading puts several items with the same ``attribute_not_exists(pk)``
condition, and moto parses each once to validate the request and once to evaluate it; parsing was
about a sixth of the harness's time while the readings pipeline ran. The parsed expression (values
included) depends only on the expression, its names and its values, and is only read afterwards: each
distinct one is parsed once (bounded cache), for both uses. An expression that does not parse is left
to moto's own parser, which raises as before.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from moto.dynamodb import comparisons
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb import responses as dynamodb_responses
from moto.dynamodb.models import table as dynamodb_table


class _Parsed:
    """A parser that has parsed already: what moto reads from one (its tree and the names and values
    the expression used)."""

    def __init__(self, tree: Any, names_found: tuple[str, ...], values_found: tuple[str, ...]) -> None:
        self._tree = tree
        self.expr_attr_names_found = list(names_found)
        self.expr_attr_values_found = list(values_found)

    def parse(self) -> Any:
        return self._tree


@functools.lru_cache(maxsize=4096)
def _parse(expression: str | None, names: str, values: str) -> tuple[Any, tuple[str, ...], tuple[str, ...]]:
    parser = comparisons.ConditionExpressionParser(expression, json.loads(names), json.loads(values))
    tree = parser.parse()
    return tree, tuple(parser.expr_attr_names_found), tuple(parser.expr_attr_values_found)


def _parsed(expression: str | None, names: dict[str, str] | None,
            values: dict[str, dict[str, str]] | None) -> _Parsed | None:
    try:
        return _Parsed(*_parse(expression, json.dumps(names, sort_keys=True), json.dumps(values, sort_keys=True)))
    except Exception:  # does not parse (moto raises it to the caller), or bytes in a value
        return None


def apply() -> None:
    original_parser = comparisons.create_condition_expression_parser
    original_filter = comparisons.get_filter_expression

    def create_condition_expression_parser(expression: str | None, names: dict[str, str] | None,
                                           values: dict[str, dict[str, str]] | None) -> Any:
        return _parsed(expression, names, values) or original_parser(expression, names, values)

    def get_filter_expression(expression: str | None, names: dict[str, str] | None,
                              values: dict[str, dict[str, str]] | None) -> Any:
        parsed = _parsed(expression, names, values)
        return parsed.parse() if parsed is not None else original_filter(expression, names, values)

    module: Any
    for module in (dynamodb_models, dynamodb_table):  # where moto looks the functions up
        module.get_filter_expression = get_filter_expression
    dynamodb_responses_module: Any = dynamodb_responses
    dynamodb_responses_module.create_condition_expression_parser = create_condition_expression_parser
