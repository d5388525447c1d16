"""The subset of AWS IoT SQL (version 2016-03-23) our topic rules use, parsed and evaluated locally.

Grammar (keywords case-insensitive)::

    query      := SELECT item ("," item)* FROM 'topic filter' [WHERE condition]
    item       := "*" | function AS name
    function   := topic "(" [integer] ")" | timestamp "(" ")" | encode "(" "*" "," 'base64' ")"
    condition  := conjunct (OR conjunct)*
    conjunct   := primary (AND primary)*
    primary    := "(" condition ")" | operand op operand
    operand    := function | field.path | 'string' | number | true | false
    op         := = | <> | != | < | <= | > | >=

Anything else (other functions, bare field projections, CASE, nested SELECT, …) raises ``SqlError``
naming what is not supported, so a new rule cannot silently behave differently locally.

Semantics, as AWS documents them: ``topic(n)`` is the n-th level (1-based) of the message's topic,
``topic()`` the whole topic; ``timestamp()`` the time the rules engine received the message, in ms;
``encode(*, 'base64')`` the payload's bytes as they came, base64-encoded (JSON or not). A
missing field or a comparison of different types is *Undefined*, which makes WHERE false. Aliases are
added after the payload's fields, so a payload cannot claim them. Binary (non-JSON) payloads (AWS IoT
"Working with binary payloads"): ``SELECT *`` alone, functions without ``*`` (``SELECT encode(*, 'base64')
AS data, timestamp() AS ts``), or a WHERE on functions only, work; ``SELECT *, timestamp() AS ts`` or a
WHERE on a field cannot be evaluated (``PayloadNotJson``).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any, Literal

SUPPORTED_SQL_VERSION = "2016-03-23"


class SqlError(ValueError):
    """The SQL is outside the subset the local rules engine implements."""


class PayloadNotJson(ValueError):
    """The rule refers to JSON fields (or adds fields) but the payload is not a JSON object."""


@dataclass(frozen=True)
class TopicFunction:
    level: int | None  # None: the whole topic


@dataclass(frozen=True)
class TimestampFunction:
    pass


@dataclass(frozen=True)
class EncodedPayload:
    """``encode(*, 'base64')``: the whole payload, whatever it holds."""


@dataclass(frozen=True)
class FieldRef:
    path: tuple[str, ...]


@dataclass(frozen=True)
class Literal_:
    value: str | int | float | bool


Operand = TopicFunction | TimestampFunction | EncodedPayload | FieldRef | Literal_
Function = TopicFunction | TimestampFunction | EncodedPayload
Operator = Literal["=", "<>", "<", "<=", ">", ">="]


@dataclass(frozen=True)
class Comparison:
    left: Operand
    op: Operator
    right: Operand


@dataclass(frozen=True)
class BoolOp:
    op: Literal["AND", "OR"]
    items: tuple[Condition, ...]


Condition = Comparison | BoolOp


@dataclass(frozen=True)
class Query:
    select_star: bool
    projections: tuple[tuple[str, Function], ...]  # (alias, function), in SELECT order
    topic_filter: str
    where: Condition | None

    @property
    def needs_json(self) -> bool:
        """True if evaluating the query needs a JSON object payload."""
        adds_to_payload = self.select_star and bool(self.projections)
        return adds_to_payload or (self.where is not None and _refers_to_fields(self.where))


def _refers_to_fields(condition: Condition) -> bool:
    if isinstance(condition, BoolOp):
        return any(_refers_to_fields(item) for item in condition.items)
    return isinstance(condition.left, FieldRef) or isinstance(condition.right, FieldRef)


_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op><>|!=|<=|>=|=|<|>)
  | (?P<punct>[*,()])
""", re.VERBOSE)
_KEYWORDS = {"SELECT", "FROM", "WHERE", "AS", "AND", "OR", "TRUE", "FALSE"}


@dataclass(frozen=True)
class _Token:
    kind: str  # string, number, name, keyword, op, punct, end
    text: str
    position: int


def _tokenize(sql: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(sql):
        match = _TOKEN.match(sql, position)
        if match is None:
            raise SqlError(f"unexpected character {sql[position]!r} at {position} in: {sql}")
        kind = match.lastgroup or ""
        if kind != "space":
            text = match.group()
            if kind == "name" and text.upper() in _KEYWORDS:
                kind, text = "keyword", text.upper()
            tokens.append(_Token(kind, text, position))
        position = match.end()
    tokens.append(_Token("end", "", len(sql)))
    return tokens


class _Parser:
    def __init__(self, sql: str) -> None:
        self.sql = sql
        self.tokens = _tokenize(sql)
        self.index = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def error(self, what: str) -> SqlError:
        token = self.current
        found = repr(token.text) if token.kind != "end" else "the end"
        return SqlError(f"{what} at position {token.position} (found {found}) in: {self.sql}")

    def accept(self, kind: str, text: str | None = None) -> _Token | None:
        token = self.current
        if token.kind == kind and (text is None or token.text == text):
            self.index += 1
            return token
        return None

    def expect(self, kind: str, text: str | None = None, what: str = "") -> _Token:
        token = self.accept(kind, text)
        if token is None:
            raise self.error(f"expected {what or text or kind}")
        return token

    def query(self) -> Query:
        self.expect("keyword", "SELECT")
        star = False
        projections: list[tuple[str, Function]] = []
        while True:
            if self.accept("punct", "*"):
                if star:
                    raise self.error("* appears twice")
                star = True
            else:
                function = self.function()
                if function is None:
                    raise self.error("not supported locally: select only *, topic(n) AS x, timestamp() AS x, "
                                     "encode(*, 'base64') AS x")
                self.expect("keyword", "AS", "AS <name> after a function")
                alias = self.expect("name", what="a name after AS").text
                if "." in alias or alias in (name for name, _ in projections):
                    raise self.error(f"invalid or duplicate alias {alias!r}")
                projections.append((alias, function))
            if not self.accept("punct", ","):
                break
        self.expect("keyword", "FROM")
        topic_filter = _unquote(self.expect("string", what="a quoted topic filter after FROM").text)
        validate_topic_filter(topic_filter)
        where = None
        if self.accept("keyword", "WHERE"):
            where = self.condition()
        if self.current.kind != "end":
            raise self.error("not supported locally")
        return Query(star, tuple(projections), topic_filter, where)

    def function(self) -> Function | None:
        token = self.current
        if token.kind != "name" or token.text.lower() not in ("topic", "timestamp", "encode"):
            return None
        if self.tokens[self.index + 1].text != "(":
            return None
        self.index += 2
        if token.text.lower() == "encode":
            self.expect("punct", "*", "encode(*, 'base64'): only the whole payload")
            self.expect("punct", ",", "encode(*, 'base64')")
            scheme = self.expect("string", what="encode(*, 'base64')")
            if _unquote(scheme.text) != "base64":
                raise SqlError(f"encode() supports only 'base64' (as IoT SQL does), got {scheme.text} in: {self.sql}")
            self.expect("punct", ")", "encode(*, 'base64')")
            return EncodedPayload()
        if token.text.lower() == "timestamp":
            self.expect("punct", ")", "timestamp()")
            return TimestampFunction()
        level = None
        number = self.accept("number")
        if number is not None:
            if not number.text.isdigit() or int(number.text) < 1:
                raise SqlError(f"topic() takes a level from 1, got {number.text} in: {self.sql}")
            level = int(number.text)
        self.expect("punct", ")", "topic(n)")
        return TopicFunction(level)

    def condition(self) -> Condition:
        items = [self.conjunct()]
        while self.accept("keyword", "OR"):
            items.append(self.conjunct())
        return items[0] if len(items) == 1 else BoolOp("OR", tuple(items))

    def conjunct(self) -> Condition:
        items = [self.primary()]
        while self.accept("keyword", "AND"):
            items.append(self.primary())
        return items[0] if len(items) == 1 else BoolOp("AND", tuple(items))

    def primary(self) -> Condition:
        if self.accept("punct", "("):
            inner = self.condition()
            self.expect("punct", ")")
            return inner
        left = self.operand()
        op_token = self.expect("op", what="a comparison operator (=, <>, <, <=, >, >=)")
        op: Operator = "<>" if op_token.text == "!=" else op_token.text  # type: ignore[assignment]
        return Comparison(left, op, self.operand())

    def operand(self) -> Operand:
        function = self.function()
        if function is not None:
            return function
        if token := self.accept("string"):
            return Literal_(_unquote(token.text))
        if token := self.accept("number"):
            return Literal_(float(token.text) if any(c in token.text for c in ".eE") else int(token.text))
        if self.accept("keyword", "TRUE"):
            return Literal_(True)
        if self.accept("keyword", "FALSE"):
            return Literal_(False)
        if (token := self.current).kind == "name":
            if self.tokens[self.index + 1].text == "(":
                raise self.error(f"function {token.text}() is not supported locally")
            self.index += 1
            return FieldRef(tuple(token.text.split(".")))
        raise self.error("expected a field, a literal, topic(n) or timestamp()")


def _unquote(text: str) -> str:
    return text[1:-1].replace("''", "'")


def parse_sql(sql: str, version: str | None = SUPPORTED_SQL_VERSION) -> Query:
    if version != SUPPORTED_SQL_VERSION:
        raise SqlError(f"AwsIotSqlVersion {version!r}: only {SUPPORTED_SQL_VERSION} is implemented locally")
    return _Parser(sql).query()


# --- topics -----------------------------------------------------------------------------------------


def validate_topic_filter(topic_filter: str) -> None:
    levels = topic_filter.split("/")
    if not topic_filter:
        raise SqlError("empty topic filter")
    for index, level in enumerate(levels):
        if "#" in level and (level != "#" or index != len(levels) - 1):
            raise SqlError(f"topic filter {topic_filter!r}: # must be a whole, last level")
        if "+" in level and level != "+":
            raise SqlError(f"topic filter {topic_filter!r}: + must be a whole level")


def topic_matches(topic_filter: str, topic: str) -> bool:
    """MQTT matching: ``+`` one level, ``#`` the rest (including the parent level); wildcards at the start
    never match topics beginning with ``$``."""
    if topic.startswith("$") and topic_filter[:1] in ("+", "#"):
        return False
    filter_levels = topic_filter.split("/")
    topic_levels = topic.split("/")
    for index, level in enumerate(filter_levels):
        if level == "#":
            return True
        if index >= len(topic_levels):
            return False
        if level not in ("+", topic_levels[index]):
            return False
    return len(filter_levels) == len(topic_levels)


# --- evaluation -------------------------------------------------------------------------------------

_UNDEFINED = object()


def decode_payload(payload: bytes) -> dict[str, Any] | None:
    """The payload as a JSON object, or None if it is not one (binary, text, array, number…).

    JSON means RFC 8259 text as IoT Core reads it: UTF-8 without a byte order mark. Python's
    ``json.loads(bytes)`` would also guess UTF-16/32 and skip a BOM; such payloads are binary here.
    JSON nested deeper than the parser's recursion limit raises ``PayloadNotJson``: it is JSON the rules
    engine cannot read, so the rule fails (error action) rather than passing it on as binary."""
    try:
        document = json.loads(payload.decode("utf-8"))  # strict: a BOM stays U+FEFF, which JSON refuses
    except RecursionError as problem:
        raise PayloadNotJson("payload is JSON nested too deeply for the rules engine to read") from problem
    except (UnicodeDecodeError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def _value(operand: Operand, document: dict[str, Any] | None, topic: str, now_ms: int, payload: bytes) -> Any:
    if isinstance(operand, Literal_):
        return operand.value
    if isinstance(operand, EncodedPayload):
        return base64.b64encode(payload).decode("ascii")
    if isinstance(operand, TimestampFunction):
        return now_ms
    if isinstance(operand, TopicFunction):
        if operand.level is None:
            return topic
        levels = topic.split("/")
        return levels[operand.level - 1] if operand.level <= len(levels) else _UNDEFINED
    current: Any = document
    for key in operand.path:
        if not isinstance(current, dict) or key not in current:
            return _UNDEFINED
        current = current[key]
    return current


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _compare(left: Any, op: Operator, right: Any) -> bool:
    if left is _UNDEFINED or right is _UNDEFINED:
        return False
    if (_is_number(left) and _is_number(right)) or (isinstance(left, str) and isinstance(right, str)):
        return bool({"=": left == right, "<>": left != right, "<": left < right, "<=": left <= right,
                     ">": left > right, ">=": left >= right}[op])
    if isinstance(left, bool) and isinstance(right, bool) and op in ("=", "<>"):
        return (left == right) == (op == "=")
    return False  # different types: Undefined


def _holds(condition: Condition, document: dict[str, Any] | None, topic: str, now_ms: int, payload: bytes) -> bool:
    if isinstance(condition, BoolOp):
        results = (_holds(item, document, topic, now_ms, payload) for item in condition.items)
        return all(results) if condition.op == "AND" else any(results)
    return _compare(_value(condition.left, document, topic, now_ms, payload), condition.op,
                    _value(condition.right, document, topic, now_ms, payload))


def evaluate(query: Query, payload: bytes, topic: str, now_ms: int) -> dict[str, Any] | bytes | None:
    """The rule's output for one message: a JSON object, the raw payload (``SELECT *`` alone on a
    non-JSON payload), or None when WHERE is false. Raises ``PayloadNotJson`` when the rule needs JSON."""
    document = decode_payload(payload)
    if document is None and query.needs_json:
        raise PayloadNotJson("payload is not a JSON object: the rule cannot add fields or read fields from it")
    if query.where is not None and not _holds(query.where, document, topic, now_ms, payload):
        return None
    if document is None and not query.projections:
        return payload  # SELECT * alone: the payload as it came
    result: dict[str, Any] = dict(document) if query.select_star and document is not None else {}
    for alias, function in query.projections:
        value = _value(function, document, topic, now_ms, payload)
        if value is not _UNDEFINED:
            result[alias] = value
        else:
            result.pop(alias, None)
    return result
