"""Malformed cassettes fail with a BackendError naming the file and the bad part; model names never act as
path components of a cassette's location."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

# numpy at collection time: see tests/test_replay.py
import numpy  # noqa: F401
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from ollama_fakes import FakeBackend

from pytest_chimera.backends.base import BackendError
from pytest_chimera.backends.replay import MAX_SLUG_CHARS, ReplayBackend, cassette_path, model_slug

MODEL = "gemma3:270m"


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[ReplayBackend, Path, dict[str, Any]]:
    """A player and the path and JSON of one good cassette it replays (the prompt "hi")."""
    ReplayBackend(tmp_path, MODEL, mode="record", inner=FakeBackend(MODEL)).generate("hi")
    (path,) = tmp_path.rglob("*.json")
    return ReplayBackend(tmp_path, MODEL, mode="replay"), path, json.loads(path.read_text())


def _with(data: dict[str, Any], where: str, value: Any) -> dict[str, Any]:
    copy = json.loads(json.dumps(data))
    *parents, last = where.split(".")
    node = copy
    for part in parents:
        node = node[part]
    node[last] = value
    return copy


# (where, value, the message's words)
BAD_PARTS = [
    ("response.metrics", None, "response.metrics is null, expected an object of numbers"),
    ("response.metrics", "fast", "response.metrics is a string, expected an object of numbers"),
    ("response.metrics", [1, 2], "response.metrics is an array"),
    ("response.metrics.ttft_ms", "12", "response.metrics.ttft_ms is a string, expected a finite number"),
    ("response.metrics.eval_count", True, "response.metrics.eval_count is a boolean"),
    ("response.metrics.replayed", "no", "response.metrics.replayed is a string, expected true or false"),
    ("response.metrics.missing", "ttft_ms", "response.metrics.missing is a string, expected an array of metric"),
    ("response.metrics.missing", ["speed"], "response.metrics.missing is an array, expected an array of metric"),
    ("response", [1], "response is an array, expected an object"),
    ("response.text", {"a": 1}, "response.text is an object, expected a string"),
    ("response.chunks", [1, 2], "response.chunks is not an array of strings"),
    ("response.chunks", "abc", "response.chunks is not an array of strings"),
    ("request", None, "request.options is missing or not an object"),
    ("request.options", [], "request.options is missing or not an object"),
    ("response.chunks", ["not", "the text"], "response.chunks do not add up to response.text"),
]


@pytest.mark.parametrize(("where", "value", "message"), BAD_PARTS, ids=[f"{w}={v!r}" for w, v, _ in BAD_PARTS])
def test_a_malformed_part_names_the_file_and_the_part(recorded: tuple[ReplayBackend, Path, dict[str, Any]],
                                                      where: str, value: Any, message: str) -> None:
    player, path, data = recorded
    path.write_text(json.dumps(_with(data, where, value)))
    with pytest.raises(BackendError) as info:
        player.generate("hi")
    text = str(info.value)
    assert text.startswith(f"cassette {path} is unreadable or not a pytest-chimera cassette ({message}")
    assert text.endswith("delete it and record it again with --chimera-record-mode record")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"response": {"metrics": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}", "invalid JSON: nested too deeply"),
        (b"[]", "the file holds an array, expected an object"),
        (b"null", "the file holds null, expected an object"),
        (b'{"response": {"text": "\xff"}}', "not UTF-8 (byte 0xff at offset 23)"),
        (b'{"response": ', "invalid JSON: Expecting value at line 1 column 14"),
        (b"", "invalid JSON: Expecting value at line 1 column 1"),
    ],
    ids=["deep", "array", "null", "latin1", "truncated", "empty"],
)
def test_an_unreadable_file_names_the_file(recorded: tuple[ReplayBackend, Path, dict[str, Any]],
                                           raw: bytes, message: str) -> None:
    player, path, _ = recorded
    path.write_bytes(raw)
    pattern = f"cassette {re.escape(str(path))} is unreadable .*\\({re.escape(message)}\\)"
    with pytest.raises(BackendError, match=pattern):
        player.generate("hi")


def test_non_finite_metrics_are_rejected(recorded: tuple[ReplayBackend, Path, dict[str, Any]]) -> None:
    player, path, data = recorded
    text = json.dumps(_with(data, "response.metrics.tokens_per_s", float("nan")))
    assert "NaN" in text  # Python's json writes and reads NaN; a cassette must not carry it into the metrics
    path.write_text(text)
    with pytest.raises(BackendError, match=r"response\.metrics\.tokens_per_s is nan, expected a finite number"):
        player.generate("hi")


def test_an_oversized_cassette_is_refused_unread(recorded: tuple[ReplayBackend, Path, dict[str, Any]],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_chimera.backends import replay

    player, path, _ = recorded
    monkeypatch.setattr(replay, "MAX_CASSETTE_BYTES", path.stat().st_size - 1)
    with pytest.raises(BackendError, match=f"\\(over {path.stat().st_size - 1} bytes\\)"):
        player.generate("hi")


def test_a_valid_cassette_without_optional_parts_still_replays(
        recorded: tuple[ReplayBackend, Path, dict[str, Any]]) -> None:
    player, path, data = recorded
    data["response"].pop("chunks")
    data["response"]["metrics"] = {"ttft_ms": None, "eval_count": 5, "some_future_metric": "x"}
    path.write_text(json.dumps(data))
    pieces: list[str] = []
    generation = player.generate("hi", on_token=pieces.append)
    assert pieces == [generation.text] and generation.metrics.eval_count == 5 and generation.metrics.replayed


# model names never act as path components ---------------------------------------------------------------


@pytest.mark.parametrize("model", ["..", ".", "...", "../../escape", "a/../../b", "/etc/x", "", "m" * 400])
def test_record_mode_keeps_every_model_inside_its_folder(tmp_path: Path, model: str) -> None:
    tapes = tmp_path / "tapes"
    ReplayBackend(tapes, model, mode="record", inner=FakeBackend(model)).generate("hi")
    (written,) = [p for p in tmp_path.rglob("*") if p.is_file()]
    backend_dir, slug, name = written.relative_to(tapes).parts
    assert backend_dir == "fake" and slug not in (".", "..") and name.endswith(".json")
    assert len(slug) <= MAX_SLUG_CHARS
    assert ReplayBackend(tapes, model, mode="replay").generate("hi").metrics.replayed  # found again


def test_long_names_stay_apart() -> None:
    assert model_slug("m" * 400) != model_slug("m" * 401)
    assert model_slug("..") == "__" and model_slug(".") == "_"
    assert model_slug("gemma3:270m") == "gemma3_270m"  # ordinary names keep the recorded layout


@given(st.text(max_size=300))
@example("..")
@example("\u00e9" * 300)
def test_a_slug_is_one_safe_path_component(model: str) -> None:
    slug = model_slug(model)
    path = cassette_path(Path("d"), "fake", model, "abc")
    assert path.parent == Path("d") / "fake" / slug
    assert slug.strip(".") and "/" not in slug and "\\" not in slug and "\x00" not in slug
    assert len(slug.encode()) <= MAX_SLUG_CHARS


def test_a_cassette_that_cannot_be_written_is_a_backend_error(tmp_path: Path) -> None:
    tapes = tmp_path / "tapes"
    tapes.write_text("a file where the cassette folder should be")
    with pytest.raises(BackendError, match=r"cannot write cassette .*tapes/fake/.*\(Not a directory\); give "
                                           r"--chimera-cassettes a directory this process can write"):
        ReplayBackend(tapes, MODEL, mode="record", inner=FakeBackend()).generate("hi")
    with pytest.raises(BackendError, match=r"the cassette directory .*tapes is not a directory"):
        ReplayBackend(tapes, MODEL, mode="replay").generate("hi")
