"""The openai backend against real OpenAI-compatible servers, through the official openai client.

Two servers, each test run against both: llama-cpp-python's own server (``python -m llama_cpp.server``, a
subprocess, with an API key) and this package's Ollama-compatible server's ``/v1`` routes in front of the
embedded model. Both serve the packaged gemma-3-270m with one thread; generations are short (<= 16 tokens).
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# loaded before pytester's in-process runs, which cannot import numpy a second time
import pandas  # noqa: F401
import pytest
from llama_server import llama_server

from pytest_chimera.backends.base import METRIC_NAMES, Backend, BackendError, CallMetrics
from pytest_chimera.backends.gguf import resolve_model_file
from pytest_chimera.backends.llamacpp import LlamaCppBackend
from pytest_chimera.backends.ollama_server import OllamaServer
from pytest_chimera.backends.openai import OpenAIBackend

MODEL = "gemma3:270m"
KEY_ENV = "CHIMERA_TEST_OPENAI_KEY"
SECRET = "sk-chimera-" + secrets.token_hex(12)  # the llama.cpp server's key: it must never be written anywhere
PROMPT = "# Benchmark report\n\n## Executive summary\n\nThe median decode throughput is"
GREEDY = {"num_predict": 12, "temperature": 0, "seed": 7}


@dataclass
class Served:
    kind: str  # "llama-cpp-server" | "chimera-server"
    url: str
    server: OllamaServer | None  # ours, to read the requests it received


@pytest.fixture(scope="module")
def embedded() -> Iterator[LlamaCppBackend]:
    backend = LlamaCppBackend(MODEL, options={"num_thread": 1, "num_ctx": 2048})
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def llama_url() -> Iterator[str]:
    with llama_server(resolve_model_file(MODEL, None).path, alias=MODEL, api_key=SECRET) as url:
        yield url


@pytest.fixture(scope="module", params=["llama-cpp-server", "chimera-server"])
def served(request: pytest.FixtureRequest, embedded: LlamaCppBackend) -> Iterator[Served]:
    if request.param == "llama-cpp-server":
        yield Served(request.param, request.getfixturevalue("llama_url"), None)
        return
    with OllamaServer(embedded) as server:
        yield Served(request.param, server.url, server)


@pytest.fixture
def backend(served: Served, monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIBackend]:
    monkeypatch.setenv(KEY_ENV, SECRET)  # our server has no authentication and ignores it
    b = OpenAIBackend(MODEL, host=served.url, api_key_env=KEY_ENV, timeout=120)
    yield b
    b.close()


def test_prompt_streams_and_records_only_what_the_server_gives(backend: OpenAIBackend, served: Served) -> None:
    pieces: list[str] = []
    gen = backend.generate(PROMPT, options=GREEDY, on_token=pieces.append)
    assert isinstance(backend, Backend) and gen.backend == "openai" and gen.model == MODEL
    assert gen.text.strip() and gen.text == "".join(pieces)
    m = gen.metrics
    assert m.ttft_ms is not None and 0 < m.ttft_ms <= m.wall_ms
    if served.kind == "llama-cpp-server":
        # llama-cpp-python's server streams neither usage nor timings: nothing but the client's clocks is known
        assert set(m.missing) == set(METRIC_NAMES) - {"ttft_ms", "wall_ms"}
        assert (m.eval_count, m.prompt_eval_count, m.eval_ms, m.tokens_per_s) == (0, 0, 0.0, None)
    else:
        assert m.missing == ("load_ms",)
        assert 0 < m.eval_count <= 12 and m.prompt_eval_count > 0 and m.eval_ms > 0 and m.prompt_eval_ms > 0
        assert m.tokens_per_s == pytest.approx(m.eval_count / m.eval_ms * 1000)
        assert m.total_ms == pytest.approx(m.prompt_eval_ms + m.eval_ms) and m.load_ms == 0.0
    assert CallMetrics.from_dict(json.loads(json.dumps(m.to_dict()))) == m  # the run JSON keeps what is missing


def test_greedy_is_repeatable_and_stop_cuts_the_text(backend: OpenAIBackend) -> None:
    first = backend.generate(PROMPT, options=GREEDY).text
    assert backend.generate(PROMPT, options=GREEDY).text == first
    words = first.split()
    assert len(words) >= 3, first
    stop = words[2]
    cut = backend.generate(PROMPT, options={**GREEDY, "stop": [stop]}).text
    assert cut == first[: first.index(stop)]


def test_chat_messages_stream_from_chat_completions(backend: OpenAIBackend, served: Served) -> None:
    gen = backend.generate(messages=[{"role": "user", "content": "Name one planet."}], options=GREEDY)
    assert isinstance(gen.text, str) and gen.metrics.wall_ms > 0
    if served.server is not None:
        method, path, body = served.server.requests[-1]
        assert (method, path) == ("POST", "/v1/chat/completions")
        assert body["messages"] == [{"role": "user", "content": "Name one planet."}]


def test_options_become_openai_parameters(embedded: LlamaCppBackend) -> None:
    with OllamaServer(embedded) as server:  # ours shows the requests it received
        backend = OpenAIBackend(MODEL, host=server.url, timeout=120)
        backend.generate(PROMPT, options={"num_predict": 3, "temperature": 0.5, "top_p": 0.9, "seed": 1,
                                          "stop": ["##"], "presence_penalty": 0.1, "frequency_penalty": 0.2})
        _, path, body = server.requests[-1]
    assert path == "/v1/completions"
    assert {k: body[k] for k in ("max_tokens", "temperature", "top_p", "seed", "stop", "presence_penalty",
                                 "frequency_penalty")} == {"max_tokens": 3, "temperature": 0.5, "top_p": 0.9,
                                                           "seed": 1, "stop": ["##"], "presence_penalty": 0.1,
                                                           "frequency_penalty": 0.2}
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize("option", ["num_ctx", "num_gpu", "num_thread", "top_k", "mirostat"])
def test_ollama_only_options_are_refused_not_dropped(backend: OpenAIBackend, option: str) -> None:
    with pytest.raises(BackendError, match=rf"cannot apply option\(s\) {option}: the OpenAI API has no parameter"):
        backend.generate(PROMPT, options={option: 1})
    with pytest.raises(BackendError, match=f"option.*{option}.*Remove them from --chimera-option"):
        OpenAIBackend(MODEL, host="http://127.0.0.1:1", options={option: 1})


def test_unknown_model_names_what_the_server_serves(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, SECRET)
    other = OpenAIBackend("gemma3:27b", host=served.url, api_key_env=KEY_ENV, timeout=30)
    with pytest.raises(BackendError, match=r"model 'gemma3:27b' is not served .* it serves 'gemma3:270m'\. Pass "
                                           r"--chimera-model NAME"):
        other.generate(PROMPT, options=GREEDY)


def test_count_tokens_asks_the_servers_tokenizer(backend: OpenAIBackend, served: Served,
                                                 embedded: LlamaCppBackend) -> None:
    texts = ["", "hello", "Median TTFT: 812 ms; 41.5 tok/s on gemma3:270m.\n", PROMPT]
    counts = [backend.count_tokens(t) for t in texts]
    if served.kind == "llama-cpp-server":  # the server's own tokenizer: exactly the embedded model's count
        assert counts == [embedded.count_tokens(t) for t in texts]
        assert backend.describe()["token_counts"] == "server /extras/tokenize/count"
    else:  # no tokenize endpoint: the documented estimate, and describe() says so
        assert counts == [math.ceil(len(t) / 4) for t in texts]
        assert backend.describe()["token_counts"].startswith("estimate: ceil(characters / 4)")


def test_describe_names_host_and_workers_never_the_key(backend: OpenAIBackend, served: Served) -> None:
    backend.generate(PROMPT, options={"num_predict": 2})
    info = backend.describe()
    assert info["backend"] == "openai" and info["model"] == MODEL
    assert info["host"] == served.url + "/v1" and info["workers_per_host"] == 1
    assert info["api_key_env"] == KEY_ENV and "describe_error" not in info
    assert SECRET not in json.dumps(info)


# --- the API key (llama-cpp-python's server checks it) ------------------------------------------------------


def test_no_key_says_how_to_give_one(llama_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(BackendError, match=r"wants an API key \(HTTP 401\) and none is set: export OPENAI_API_KEY, "
                                           r"or name the variable that holds it with --chimera-api-key-env NAME"):
        OpenAIBackend(MODEL, host=llama_url, timeout=30).generate(PROMPT, options=GREEDY)


def test_a_wrong_key_is_named_by_its_variable_never_shown(llama_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = "sk-wrong-" + secrets.token_hex(8)
    monkeypatch.setenv("MY_VLLM_KEY", wrong)
    with pytest.raises(BackendError) as info:
        OpenAIBackend(MODEL, host=llama_url, api_key_env="MY_VLLM_KEY", timeout=30).generate(PROMPT)
    assert "refused the API key from $MY_VLLM_KEY (HTTP 401)" in str(info.value)
    assert wrong not in str(info.value) and SECRET not in str(info.value)


def test_a_named_variable_that_is_unset_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    with pytest.raises(BackendError, match="--chimera-api-key-env names NOT_SET_ANYWHERE, which is not set"):
        OpenAIBackend(MODEL, host="http://127.0.0.1:1", api_key_env="NOT_SET_ANYWHERE")


def test_a_recorded_cassette_holds_no_key(llama_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_chimera.backends.replay import ReplayBackend

    monkeypatch.setenv(KEY_ENV, SECRET)
    inner = OpenAIBackend(MODEL, host=llama_url, api_key_env=KEY_ENV, timeout=120)
    replay = ReplayBackend(tmp_path, MODEL, mode="record", inner=lambda: inner)
    assert replay.generate(PROMPT, options={"num_predict": 4}).text
    (cassette,) = tmp_path.rglob("*.json")
    recorded = json.loads(cassette.read_text())
    assert recorded["recorded_with"]["backend"] == "openai" and recorded["recorded_with"]["api_key_env"] == KEY_ENV
    assert SECRET not in cassette.read_text()
    inner.close()


# --- report tests through the plugin ----------------------------------------------------------------------

REPORT_TEST = """
import json, pytest

@pytest.mark.chimera(persona="collector", grounding=False, options={"num_predict": 16, "temperature": 0})
def test_report(chimera_report, chimera_model):
    assert chimera_report.backend == "openai" and chimera_report.host == chimera_model.host
    assert [c.stage for c in chimera_report.calls] == ["analysis", "report"]
    assert all("load_ms" in c.metrics.missing for c in chimera_report.calls)

def test_identity(chimera_model, benchmark):
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)  # a benchmark, so the JSON has machine_info
"""


def test_a_report_test_runs_through_the_server_and_writes_no_key(
    pytester: pytest.Pytester, served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, SECRET)
    corpus = pytester.mkdir("corpus")
    (corpus / "runs.csv").write_text("model,tokens_s,ttft_ms\ngemma3:270m,41.5,812\ngemma3:1b,20.1,990\n")
    pytester.makepyfile(test_report=REPORT_TEST)
    result = pytester.runpytest("--chimera", "--chimera-backend=openai", f"--chimera-host={served.url}",
                                f"--chimera-api-key-env={KEY_ENV}", "--chimera-corpus=corpus", "-v",
                                "--benchmark-json=bench.json", "-rA")
    result.assert_outcomes(passed=2)
    (run_json,) = (pytester.path / ".chimera").glob("*.json")
    run = json.loads(run_json.read_text())
    assert run["backend"] == "openai" and run["host"] == served.url + "/v1"
    assert "load_ms" in run["missing_metrics"] and all("missing" in c["metrics"] for c in run["calls"])
    (identity,) = json.loads((pytester.path / "bench.json").read_text())["machine_info"]["chimera"]["backends"]
    assert identity["host"] == served.url + "/v1" and identity["workers_per_host"] == 1
    result.stdout.fnmatch_lines([f"*openai gemma3:270m at {served.url}/v1*", "*not given by the server: *load_ms*"])
    written = [p.read_text(errors="replace") for p in pytester.path.rglob("*") if p.is_file()]
    assert SECRET not in result.stdout.str() + result.stderr.str()
    assert not [text for text in written if SECRET in text]
