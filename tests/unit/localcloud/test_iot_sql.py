"""The IoT SQL subset of the local rules engine: parsing, refusing the rest, evaluating as IoT Core does."""

from __future__ import annotations

import base64
import json

import pytest

from infra.constructs.readings_rule import readings_rule_sql
from localcloud.iot_sql import (
    BoolOp,
    Comparison,
    EncodedPayload,
    FieldRef,
    Literal_,
    PayloadNotJson,
    SqlError,
    TimestampFunction,
    TopicFunction,
    evaluate,
    parse_sql,
    topic_matches,
)

READINGS_SQL = readings_rule_sql("bodo")
TOPIC = "dho/bodo/devices/oxi-0001/readings"
NOW_MS = 1_795_000_000_123


def test_the_readings_rule_parses_into_star_plus_four_aliases() -> None:
    query = parse_sql(READINGS_SQL)
    assert query.select_star
    assert query.projections == (("raw", EncodedPayload()), ("tenant", TopicFunction(2)),
                                 ("device_id", TopicFunction(4)), ("received_at", TimestampFunction()))
    assert query.topic_filter == "dho/bodo/devices/+/readings"
    assert query.where is None


def test_keywords_are_case_insensitive_and_where_has_and_or_precedence() -> None:
    query = parse_sql("select * from 'a/#' where x = 1 or y.z <> 'b' and topic(1) = 'a'")
    assert query.where == BoolOp("OR", (
        Comparison(FieldRef(("x",)), "=", Literal_(1)),
        BoolOp("AND", (Comparison(FieldRef(("y", "z")), "<>", Literal_("b")),
                       Comparison(TopicFunction(1), "=", Literal_("a")))),
    ))


@pytest.mark.parametrize(("sql", "complaint"), [
    ("SELECT temperature FROM 'a/b'", "select only"),
    ("SELECT *, upper(x) AS y FROM 'a/b'", "select only"),
    ("SELECT topic(2) FROM 'a/b'", "AS"),
    ("SELECT * FROM 'a/b' WHERE abs(x) > 1", r"abs\(\) is not supported"),
    ("SELECT * FROM 'a/b' WHERE x LIKE 'y'", "comparison operator"),
    ("SELECT * FROM 'a/b' ORDER BY x", "not supported locally"),
    ("SELECT * FROM readings", "quoted topic filter"),
    ("SELECT * FROM 'a/#/b'", "# must be a whole, last level"),
    ("SELECT *, topic(0) AS t FROM 'a/b'", "level from 1"),
    ("SELECT *, topic(1) AS t, timestamp() AS t FROM 'a/b'", "duplicate alias"),
    ("SELECT * FROM 'a' WHERE x = 1; DROP", "unexpected character"),
])
def test_anything_outside_the_subset_is_refused_with_a_clear_error(sql: str, complaint: str) -> None:
    with pytest.raises(SqlError, match=complaint):
        parse_sql(sql)


def test_only_the_2016_sql_version_is_implemented() -> None:
    with pytest.raises(SqlError, match="2015-10-08"):
        parse_sql("SELECT * FROM 'a'", "2015-10-08")


def test_the_readings_rule_outputs_exactly_the_payload_plus_tenant_device_and_receipt_time() -> None:
    payload = {"schema": "dho.device-reading/1", "device": {"id": "oxi-0001"}, "reading_id": "r1",
               "measurements": [{"metric": "spo2", "value": 94, "unit": "%"}]}
    sent = json.dumps(payload).encode()
    result = evaluate(parse_sql(READINGS_SQL), sent, TOPIC, NOW_MS)
    assert result == {**payload, "raw": base64.b64encode(sent).decode(), "tenant": "bodo", "device_id": "oxi-0001",
                      "received_at": NOW_MS}


def test_a_payload_cannot_claim_the_tenant_or_device_the_topic_gives() -> None:
    payload = json.dumps({"tenant": "sunnfjord", "device_id": "someone-else", "received_at": 1}).encode()
    result = evaluate(parse_sql(READINGS_SQL), payload, TOPIC, NOW_MS)
    assert result == {"raw": base64.b64encode(payload).decode(), "tenant": "bodo", "device_id": "oxi-0001",
                      "received_at": NOW_MS}


@pytest.mark.parametrize("payload", [b"not json", b"\xff\xfe\x00", b"[1, 2]", b"42", b""])
def test_a_non_json_object_payload_cannot_get_fields_added(payload: bytes) -> None:
    with pytest.raises(PayloadNotJson):
        evaluate(parse_sql(READINGS_SQL), payload, TOPIC, NOW_MS)


@pytest.mark.parametrize("payload", [
    pytest.param(b"\xef\xbb\xbf" + json.dumps({"value": 94}).encode(), id="UTF-8 with a byte order mark"),
    pytest.param(json.dumps({"value": 94}).encode("utf-16"), id="UTF-16"),
    pytest.param(json.dumps({"value": 94}).encode("utf-16-be"), id="UTF-16 big-endian without BOM"),
    pytest.param(json.dumps({"value": 94}).encode("utf-32"), id="UTF-32"),
])
def test_json_not_in_plain_utf8_is_a_binary_payload_the_readings_rule_cannot_extend(payload: bytes) -> None:
    # GIVEN a JSON object encoded other than as RFC 8259 text (UTF-8, no byte order mark)
    # WHEN the readings rule (which adds fields) evaluates it THEN it fails as IoT Core's does: not JSON
    with pytest.raises(PayloadNotJson):
        evaluate(parse_sql(READINGS_SQL), payload, TOPIC, NOW_MS)
    # AND a rule that passes binary on unchanged hands over the bytes as they came
    assert evaluate(parse_sql("SELECT * FROM 'dho/bodo/devices/+/readings'"), payload, TOPIC, NOW_MS) == payload


def test_select_star_alone_passes_a_binary_payload_through_unchanged() -> None:
    assert evaluate(parse_sql("SELECT * FROM 'a/+'"), b"\x00\x01raw", "a/b", NOW_MS) == b"\x00\x01raw"
    assert evaluate(parse_sql("SELECT * FROM 'a/+' WHERE topic(2) = 'b'"), b"raw", "a/b", NOW_MS) == b"raw"
    with pytest.raises(PayloadNotJson):
        evaluate(parse_sql("SELECT * FROM 'a/+' WHERE kind = 'x'"), b"raw", "a/b", NOW_MS)


@pytest.mark.parametrize(("where", "expected"), [
    ("value > 90", True),
    ("value >= 94.0", True),
    ("value < 94", False),
    ("value = 94 AND unit = '%'", True),
    ("value = 1 OR unit = '%'", True),
    ("(value = 1 OR unit = '%') AND ok = true", True),
    ("ok <> true", False),
    ("nested.level = 'deep'", True),
    ("missing = 1", False),  # Undefined
    ("missing <> 1", False),  # Undefined, not "different"
    ("value = '94'", False),  # different types: Undefined, no conversion
    ("topic(4) = 'oxi-0001'", True),
    ("topic(9) = 'x'", False),
    ("name = 'it''s'", True),
])
def test_where_comparisons_follow_iot_sql_semantics(where: str, expected: bool) -> None:
    payload = json.dumps({"value": 94, "unit": "%", "ok": True, "nested": {"level": "deep"}, "name": "it's"})
    query = parse_sql(f"SELECT * FROM 'dho/+/devices/+/readings' WHERE {where}")
    result = evaluate(query, payload.encode(), TOPIC, NOW_MS)
    assert (result is not None) is expected


def test_topic_without_level_is_the_whole_topic_and_a_missing_level_is_left_out() -> None:
    query = parse_sql("SELECT *, topic() AS t, topic(9) AS nine FROM '#'")
    assert evaluate(query, b'{"nine": 9}', "a/b", NOW_MS) == {"t": "a/b"}


@pytest.mark.parametrize(("topic_filter", "topic", "expected"), [
    ("dho/bodo/devices/+/readings", "dho/bodo/devices/oxi-0001/readings", True),
    ("dho/bodo/devices/+/readings", "dho/sunnfjord/devices/oxi-0001/readings", False),
    ("dho/bodo/devices/+/readings", "dho/bodo/devices/a/b/readings", False),
    ("dho/bodo/devices/+/readings", "dho/bodo/devices/oxi-0001/readings/extra", False),
    ("dho/+/devices/+/readings", "dho/x/devices/y/readings", True),
    ("dho/#", "dho/bodo/devices/oxi-0001/readings", True),
    ("dho/#", "dho", True),  # '#' includes the parent level
    ("#", "$aws/events/presence/connected/x", False),  # wildcards never match $ topics
    ("+/events/#", "$aws/events/x", False),
    ("$aws/events/#", "$aws/events/x", True),
    ("a/+", "a/", True),  # an empty level is a level
    ("a/b", "a/b", True),
    ("a/b", "a/c", False),
])
def test_topic_filters_match_as_mqtt_says(topic_filter: str, topic: str, expected: bool) -> None:
    assert topic_matches(topic_filter, topic) is expected


@pytest.mark.parametrize("sql", ["SELECT * FROM 'a/b'", READINGS_SQL.replace("dho/bodo/devices/+/readings", "a/b")])
def test_json_nested_deeper_than_the_parser_can_read_is_refused_with_its_reason_not_a_crash(sql: str) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(PayloadNotJson, match="nested too deeply"):
        evaluate(parse_sql(sql), deep, "a/b", NOW_MS)


def test_encode_star_hands_over_the_payload_bytes_as_they_came_even_where_the_json_collapses_them() -> None:
    # GIVEN a payload that names a key twice (a JSON parser keeps one of them)
    payload = b'{"reading_id": "r-1", "value": 97, "value": 86}'
    # WHEN the readings rule adds the payload's base64 next to the parsed fields
    result = evaluate(parse_sql(READINGS_SQL), payload, TOPIC, NOW_MS)
    # THEN the parsed copy kept one value, and the raw copy still holds both
    assert isinstance(result, dict)
    assert result["value"] in (97, 86)
    assert base64.b64decode(result["raw"]) == payload


def test_encode_star_without_star_works_on_a_binary_payload_and_only_base64_is_supported() -> None:
    sql = "SELECT encode(*, 'base64') AS data, timestamp() AS ts FROM 'a/+'"
    assert evaluate(parse_sql(sql), b"\xef\xbb\xbf{}", "a/b", NOW_MS) == {
        "data": base64.b64encode(b"\xef\xbb\xbf{}").decode(), "ts": NOW_MS}
    with pytest.raises(SqlError, match="only 'base64'"):
        parse_sql("SELECT encode(*, 'hex') AS data FROM 'a/+'")
