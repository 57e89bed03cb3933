"""The server-sent-event reader of the openai backend: events as the SSE format frames them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_chimera.backends.sse import StreamErrorEvent, chunks, events

_json = st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                     max_leaves=8)
_objects = st.dictionaries(st.text().filter(lambda k: k != "error"), _json, max_size=4)


def _body(*datas: str) -> list[str]:
    lines: list[str] = []
    for data in datas:
        lines += [f"data: {part}" for part in data.split("\n")] + [""]
    return lines


@given(st.lists(_objects, max_size=6), st.booleans())
def test_every_object_comes_back_in_order(objects: list[dict[str, Any]], indented: bool) -> None:
    datas = [json.dumps(o, indent=1 if indented else None) for o in objects]
    assert list(chunks(_body(*datas, "[DONE]"))) == objects


def test_comments_fields_and_a_missing_space_are_read_as_the_format_says() -> None:
    lines = [": keep-alive", "", "event: completion", "id: 7", "data:{\"a\": 1}", "", "retry: 10",
             "data: {\"b\":", "data:  2}", "", "data: [DONE]", "", "data: {\"after\": 1}", ""]
    assert list(events(lines)) == ['{"a": 1}', '{"b":\n 2}']
    assert list(chunks(lines)) == [{"a": 1}, {"b": 2}]


def test_the_last_event_without_a_blank_line_is_read() -> None:
    assert list(chunks(["data: {\"a\": 1}", "", "data: {\"z\": 2}"])) == [{"a": 1}, {"z": 2}]


def test_an_error_event_raises_with_the_servers_message() -> None:
    lines = _body(json.dumps({"x": 1}), json.dumps({"error": {"message": "CUDA out of memory"}}), "[DONE]")
    read = chunks(lines)
    assert next(read) == {"x": 1}
    with pytest.raises(StreamErrorEvent, match="CUDA out of memory"):
        next(read)
    with pytest.raises(StreamErrorEvent, match="overloaded"):
        list(chunks(_body(json.dumps({"error": "overloaded"}))))


@pytest.mark.parametrize("data", ["not json", "[1, 2]", "42"])
def test_an_event_that_is_no_json_object_names_its_text(data: str) -> None:
    with pytest.raises(ValueError, match="not a JSON object|not JSON") as info:
        list(chunks(_body(data)))
    assert data[:5] in str(info.value)
