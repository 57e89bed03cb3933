"""Option parsing and resolution: pure logic, with hypothesis where inputs vary."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_chimera import config as cfg

INT_KEYS = sorted(k for k, t in cfg.OLLAMA_OPTIONS.items() if t is int)
FLOAT_KEYS = sorted(k for k, t in cfg.OLLAMA_OPTIONS.items() if t is float)


@given(st.sampled_from(INT_KEYS), st.integers(-(10**9), 10**9), st.sampled_from(["", " "]))
def test_int_options_round_trip(key: str, value: int, pad: str) -> None:
    assert cfg.parse_option(f"{key}={pad}{value}{pad}") == (key, value)


@given(st.sampled_from(FLOAT_KEYS), st.floats(allow_nan=False, allow_infinity=False))
def test_float_options_round_trip(key: str, value: float) -> None:
    assert cfg.parse_option(f"{key}={value!r}") == (key, value)


@given(st.text().filter(lambda t: t.strip() not in cfg.OLLAMA_OPTIONS and "=" not in t))
def test_unknown_keys_are_refused_by_name(key: str) -> None:
    with pytest.raises(ValueError, match="unknown Ollama option|expected KEY=VALUE"):
        cfg.parse_option(f"{key}=1")


@pytest.mark.parametrize(("text", "value"), [("use_mmap=yes", True), ("use_mmap=off", False)])
def test_bool_options(text: str, value: bool) -> None:
    assert cfg.parse_option(text)[1] is value


def test_stop_accumulates_and_command_line_replaces_ini() -> None:
    settings = cfg.resolve(
        enabled=True,
        cli_backend=None,
        ini_backend="",
        cli_model=None,
        ini_model="",
        cli_corpus=None,
        ini_corpus="data",
        cli_options=[("stop", ["</s>"]), ("stop", ["##"])],
        ini_options=["stop=\\n\\n", "seed=1"],
        rootdir=Path("/r"),
    )
    assert settings.options == {"stop": ["</s>", "##"], "seed": 1}
    assert settings.corpus == Path("/r/data")
    assert (settings.backend, settings.model) == ("auto", "gemma3:270m")


def test_marker_options_are_validated_with_the_place_named() -> None:
    assert cfg.options_from_mapping({"num_ctx": 2048, "stop": "x"}, "marker") == {"num_ctx": 2048, "stop": ["x"]}
    with pytest.raises(ValueError, match="test_x: unknown Ollama option 'ctx'"):
        cfg.options_from_mapping({"ctx": 1}, "test_x")
