"""Option parsing and resolution: pure logic, with hypothesis where inputs vary."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_chimera.backends import options as cfg
from pytest_chimera.plugin.settings import resolve

INT_KEYS = sorted(k for k, t in cfg.OLLAMA_OPTIONS.items() if t is int)
FLOAT_KEYS = sorted(k for k, t in cfg.OLLAMA_OPTIONS.items() if t is float)


@given(st.sampled_from(INT_KEYS), st.integers(-(10**9), 10**9), st.sampled_from(["", " "]))
def test_int_options_round_trip(key: str, value: int, pad: str) -> None:
    if value < cfg.MINIMUM.get(key, value):  # num_ctx -5: llama.cpp's failure blamed the model file
        with pytest.raises(ValueError, match=f"option '{key}' takes a whole number >= {cfg.MINIMUM[key]}, got"):
            cfg.parse_option(f"{key}={pad}{value}{pad}")
    else:
        assert cfg.parse_option(f"{key}={pad}{value}{pad}") == (key, value)


@given(st.sampled_from(FLOAT_KEYS), st.sampled_from(["nan", "inf", "-inf", "NaN", "1e999"]))
def test_non_finite_floats_are_refused(key: str, text: str) -> None:
    with pytest.raises(ValueError, match=f"option '{key}' takes a finite number, got '{text}'"):
        cfg.parse_option(f"{key}={text}")


@pytest.mark.parametrize("text", ["stop=", "stop=  "])
def test_an_empty_stop_string_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="option 'stop' takes a non-empty string"):
        cfg.parse_option(text)


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
    settings = resolve(
        {"": True, "corpus": None, "option": [("stop", ["</s>"]), ("stop", ["##"])]},
        {"corpus": "data", "option": ["stop=\\n\\n", "seed=1"]},
        Path("/r"),
    )
    assert settings.options == {"stop": ["</s>", "##"], "seed": 1}
    assert settings.corpus == Path("/r/data")
    assert (settings.backend, settings.model) == ("auto", "gemma3:270m")


def test_marker_options_are_validated_with_the_place_named() -> None:
    assert cfg.options_from_mapping({"num_ctx": 2048, "stop": "x"}, "marker") == {"num_ctx": 2048, "stop": ["x"]}
    with pytest.raises(ValueError, match="test_x: unknown Ollama option 'ctx'"):
        cfg.options_from_mapping({"ctx": 1}, "test_x")


def test_every_option_resolves_command_line_over_ini_over_default(tmp_path: Path) -> None:
    from pytest_chimera.plugin.options import OPTIONS

    defaults = resolve({}, {}, tmp_path)
    assert (defaults.timeout, defaults.record_mode, defaults.output) == (600.0, "replay", tmp_path / ".chimera")
    ini = {"timeout": "5", "record-mode": "auto", "output": "out", "model-path": "m.gguf", "keep-alive": "0"}
    from_ini = resolve({}, ini, tmp_path)
    assert (from_ini.timeout, from_ini.record_mode, from_ini.output) == (5.0, "auto", tmp_path / "out")
    assert (from_ini.model_path, from_ini.keep_alive) == (tmp_path / "m.gguf", 0)
    from_cli = resolve({"timeout": 9.0, "record-mode": "record", "keep-alive": 0}, {**ini, "keep-alive": "5m"},
                       tmp_path)
    assert (from_cli.timeout, from_cli.record_mode, from_cli.keep_alive) == (9.0, "record", 0)
    assert from_cli.sources["timeout"] == "--chimera-timeout" and from_ini.sources["timeout"] == "ini chimera_timeout"
    assert {o.ini_key for o in OPTIONS if o.ini} >= {"chimera_timeout", "chimera_output", "chimera_options"}


@pytest.mark.parametrize(("key", "value", "message"), [
    ("timeout", "-1", "ini chimera_timeout: timeout must be a positive number"),
    ("backend", "gpt", "ini chimera_backend: unknown backend 'gpt'"),
    ("record-mode", "save", "ini chimera_record_mode: unknown record mode 'save'"),
    ("keep-alive", "soon", "ini chimera_keep_alive: keep-alive takes a duration"),
])
def test_a_bad_ini_value_names_its_key(key: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        resolve({}, {key: value}, Path("/r"))
