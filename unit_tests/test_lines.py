"""The line parser: orjson first, the exact parser for what orjson refuses or may read lossily."""
import json

import pytest

from destination_sense.records.lines import UnreadableLine, guess_stream, read_message, unstorable_values


def _record(data_json: str) -> bytes:
    return ('{"type":"RECORD","record":{"stream":"candidates","data":' + data_json + ',"emitted_at":1}}').encode()


def test_ordinary_lines_take_the_fast_path():
    message, exact = read_message(_record('{"id":1,"n":123456789012345678}'))
    assert exact is False and message["record"]["data"] == {"id": 1, "n": 123456789012345678}


def test_integers_beyond_64_bits_keep_every_digit():
    message, exact = read_message(_record('{"id":123456789012345678901234567891,"ref":18446744073709551616}'))
    assert exact is True
    assert message["record"]["data"] == {"id": 123456789012345678901234567891, "ref": 18446744073709551616}


@pytest.mark.parametrize(
    "data,field,kind",
    [
        ('{"id":1,"x":NaN}', "x", "NaN"),
        ('{"id":1,"x":Infinity}', "x", "infinite"),
        ('{"id":1,"nested":{"y":-Infinity}}', "nested.y", "infinite"),
        ('{"id":1,"x":1e400}', "x", "infinite"),
        ('{"id":1,"x":"\\ud800"}', "x", "Unicode"),
    ],
)
def test_lines_orjson_refuses_are_read_and_the_bad_value_is_named(data, field, kind):
    message, exact = read_message(_record(data))
    assert exact is True
    problems = unstorable_values(message["record"]["data"])
    assert [name for name, _ in problems] == [field]
    assert kind in problems[0][1]


def test_invalid_utf8_is_read_and_named():
    line = _record('{"id":1,"name":"ab\xffc"}'.encode("latin-1").decode("latin-1")).replace(b"\xc3\xbf", b"\xff")
    message, exact = read_message(line)
    assert exact is True
    assert [name for name, _ in unstorable_values(message["record"]["data"])] == ["name"]


def test_a_byte_order_mark_is_skipped():
    message, exact = read_message(b"\xef\xbb\xbf" + _record('{"id":"a"}'))
    assert message["record"]["data"] == {"id": "a"} and unstorable_values(message) == []


def test_non_finite_values_can_be_nulled_instead():
    message, _ = read_message(_record('{"id":1,"x":NaN,"l":[1,Infinity]}'))
    data = message["record"]["data"]
    assert unstorable_values(data, null_non_finite=True) == []
    assert data == {"id": 1, "x": None, "l": [1, None]}


@pytest.mark.parametrize("line", [b"hello", b'{"type":"RECORD"', b"[" * 5000 + b"]" * 5000, ("[" + "9" * 5000 + "]").encode()])
def test_lines_no_parser_reads_are_unreadable(line):
    with pytest.raises(UnreadableLine):
        read_message(line)


def test_deep_nesting_is_unreadable_but_its_stream_can_be_told():
    deep = "[" * 5000 + "]" * 5000
    line = ('{"type":"RECORD","record":{"namespace":"ns","stream":"cand\\"x","data":{"id":1,"deep":' + deep + "}}}").encode()
    with pytest.raises(UnreadableLine, match="nested deeper"):
        read_message(line)
    assert guess_stream(line) == ("ns", 'cand"x')
    assert guess_stream(b'{"type":"STATE","state":{}}') is None
    assert guess_stream(b"not json") is None


def test_the_exact_path_reads_what_orjson_reads_the_same():
    data = {"id": 1, "s": "é\u2028", "f": 1.5, "n": None, "l": [True, {"k": "v"}], "big": 2 ** 64 - 1}
    line = json.dumps({"type": "RECORD", "record": {"stream": "s", "data": data}}).encode() + b" " + b"1" * 0
    fast, _ = read_message(line)
    from destination_sense.records.lines import _read_exactly

    assert _read_exactly(line) == fast
