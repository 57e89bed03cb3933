"""OllamaBackend through the real ollama client, against the compatible server: fake backend and faults."""

from __future__ import annotations

import time
from collections.abc import Iterator

# numpy at collection time: pytester drops the modules first imported during an in-process run, and numpy
# cannot be imported twice in one process (the embedded model needs it after a pytester run loaded it).
import numpy  # noqa: F401
import pytest
from llama_server import free_port as closed_port
from ollama_fakes import CachingFakeBackend, FakeBackend

from pytest_chimera.backends.base import Backend, BackendError
from pytest_chimera.backends.ollama import (
    OllamaBackend,
    accelerator_of,
    cached_tokens,
    metrics_from_final,
    probe,
    prompt_tokens_of,
    resolve_host,
)
from pytest_chimera.backends.ollama_server import Faults, OllamaServer

MODEL = "gemma3:270m"


@pytest.fixture
def backend(server: OllamaServer) -> Iterator[OllamaBackend]:
    b = OllamaBackend(MODEL, host=server.url, timeout=5)
    yield b
    b.close()


def test_is_a_backend(backend: OllamaBackend) -> None:
    assert isinstance(backend, Backend)
    assert backend.name == "ollama"


def test_generate_streams_text_and_metrics(backend: OllamaBackend) -> None:
    pieces: list[str] = []
    gen = backend.generate("hello world", options={"num_predict": 4}, on_token=pieces.append)
    expected = FakeBackend().generate("hello world", options={"num_predict": 4})
    assert gen.text == expected.text == "".join(pieces)
    assert len(pieces) == 4
    m = gen.metrics
    assert (m.eval_count, m.prompt_eval_count) == (4, 2)
    assert m.eval_ms == pytest.approx(40.0) and m.prompt_eval_ms == pytest.approx(12.5)
    assert m.load_ms == pytest.approx(3.0) and m.total_ms == pytest.approx(60.0)
    assert m.tokens_per_s == pytest.approx(100.0)  # 4 tokens in 40 ms
    assert m.ttft_ms is not None and 0 < m.ttft_ms <= m.wall_ms
    assert m.replayed is False
    assert (gen.backend, gen.model, gen.options) == ("ollama", MODEL, {"num_predict": 4})


def test_chat_goes_to_api_chat(backend: OllamaBackend, server: OllamaServer) -> None:
    messages = [{"role": "user", "content": "hi"}]
    gen = backend.generate(messages=messages, options={"num_predict": 2})
    assert server.requests[-1][1] == "/api/chat"
    assert gen.text == FakeBackend().generate(messages=messages, options={"num_predict": 2}).text


def test_session_options_merge_with_call_options_and_keep_alive_is_sent(server: OllamaServer) -> None:
    b = OllamaBackend(MODEL, host=server.url, options={"num_ctx": 2048, "temperature": 1.0}, keep_alive="10m")
    schema = {"type": "object"}
    gen = b.generate("x", options={"temperature": 0.0, "num_predict": 1}, format=schema)
    _, _, body = server.requests[-1]
    assert body["options"] == {"num_ctx": 2048, "temperature": 0.0, "num_predict": 1}
    assert body["keep_alive"] == "10m"
    assert body["format"] == schema
    assert body["stream"] is True
    assert gen.options == body["options"]
    OllamaBackend(MODEL, host=server.url).generate("x", options={"num_predict": 1})
    assert "keep_alive" not in server.requests[-1][2]  # None: Ollama's own default


def test_prompt_xor_messages(backend: OllamaBackend) -> None:
    with pytest.raises(BackendError, match="exactly one"):
        backend.generate()
    with pytest.raises(BackendError, match="exactly one"):
        backend.generate("x", messages=[{"role": "user", "content": "x"}])


def test_describe_has_the_digest(backend: OllamaBackend) -> None:
    info = backend.describe()
    assert info["backend"] == "ollama" and info["model"] == MODEL
    assert info["digest"] == "ab" * 32
    assert info["family"] == "gemma3" and info["host"] == backend.host


def test_count_tokens_is_the_documented_approximation(backend: OllamaBackend) -> None:
    assert backend.count_tokens("") == 0
    assert backend.count_tokens("abcd") == 1
    assert backend.count_tokens("abcde") == 2


def test_probe(server: OllamaServer) -> None:
    assert probe(server.url, MODEL) is True
    assert probe(server.url, "llama3:8b") is False
    assert probe(f"127.0.0.1:{closed_port()}", MODEL, timeout=0.5) is False


@pytest.mark.parametrize(
    ("given", "url"),
    [
        (None, "http://127.0.0.1:11434"),
        ("example.com", "http://example.com:11434"),
        (":5000", "http://127.0.0.1:5000"),
        ("http://h:1/", "http://h:1"),
        ("https://h", "https://h:443"),
        ("http://h", "http://h:80"),
    ],
)
def test_resolve_host(given: str | None, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    assert resolve_host(given) == url


def test_resolve_host_reads_ollama_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "10.0.0.2:9999")
    assert resolve_host(None) == "http://10.0.0.2:9999"


def test_metrics_from_a_final_chunk_without_eval_duration() -> None:
    m = metrics_from_final({"eval_count": 3}, ttft_ms=None, wall_ms=5.0)
    assert m.tokens_per_s is None and m.eval_count == 3 and m.wall_ms == 5.0


# faults: each one a BackendError with a clear message, never a traceback from inside httpx


def test_server_down_names_host_and_what_to_do() -> None:
    host = f"127.0.0.1:{closed_port()}"
    with pytest.raises(BackendError) as info:
        OllamaBackend(MODEL, host=host, timeout=2).generate("x")
    message = str(info.value)
    assert f"cannot reach the Ollama server at http://{host}" in message
    assert "`ollama serve`" in message and "--chimera-backend llama-cpp" in message


def test_unknown_model_says_ollama_pull(server: OllamaServer) -> None:
    with pytest.raises(BackendError) as info:
        OllamaBackend("llama3:8b", host=server.url).generate("x")
    assert "model 'llama3:8b' is not available on the Ollama server at" in str(info.value)
    assert "`ollama pull llama3:8b`" in str(info.value)
    with pytest.raises(BackendError, match="ollama pull llama3:8b"):
        OllamaBackend("llama3:8b", host=server.url).generate(messages=[{"role": "user", "content": "x"}])


def test_timeout_says_how_much_text_arrived(server: OllamaServer) -> None:
    server.faults = Faults(delay_s=0.6, delay_after=2)
    start = time.perf_counter()
    with pytest.raises(BackendError) as info:
        OllamaBackend(MODEL, host=server.url, timeout=0.25).generate("x", options={"num_predict": 4})
    assert time.perf_counter() - start < 0.6 + 0.3
    message = str(info.value)
    assert "timed out" in message and "within 0.25 s" in message
    expected = FakeBackend().generate("x", options={"num_predict": 2}).text
    assert f"{len(expected)} characters in 2 chunks had arrived" in message
    assert "--chimera-timeout" in message
    time.sleep(0.6 * 2)  # let the server finish the abandoned stream before the next test


def test_total_timeout_bounds_a_slow_but_steady_stream(server: OllamaServer) -> None:
    server.faults = Faults(delay_s=0.1)
    with pytest.raises(BackendError, match=r"timed out.*within 0.25 s.*characters in \d chunks had arrived"):
        OllamaBackend(MODEL, host=server.url, timeout=0.25).generate("x", options={"num_predict": 8})
    time.sleep(0.1 * 8)


def test_stream_cut_mid_way(server: OllamaServer) -> None:
    server.faults = Faults(cut_after=2)
    with pytest.raises(BackendError) as info:
        OllamaBackend(MODEL, host=server.url).generate("x", options={"num_predict": 4})
    message = str(info.value)
    assert "was cut off" in message and "2 chunks had arrived" in message
    server.faults = Faults(cut_after=4)  # all content arrives, the final chunk never does
    with pytest.raises(BackendError, match="cut off.*4 chunks had arrived"):
        OllamaBackend(MODEL, host=server.url).generate("x", options={"num_predict": 4})


def test_malformed_ndjson_line(server: OllamaServer) -> None:
    server.faults = Faults(malformed_after=1)
    with pytest.raises(BackendError) as info:
        OllamaBackend(MODEL, host=server.url).generate("x", options={"num_predict": 3})
    message = str(info.value)
    assert "malformed NDJSON line" in message
    assert '{"model": "broken", "response": ' in message
    assert "in 1 chunks had arrived" in message


def test_error_inside_the_stream(server: OllamaServer) -> None:
    with pytest.raises(BackendError, match=r"answered with an error \(HTTP 500\): fake backend refused"):
        OllamaBackend(MODEL, host=server.url).generate("FAIL")


def test_describe_of_a_down_server_does_not_raise() -> None:
    info = OllamaBackend(MODEL, host=f"127.0.0.1:{closed_port()}", timeout=1).describe()
    assert info["digest"] is None and "cannot reach" in info["describe_error"]


# the real embedded model behind the server, the real ollama client in front (short greedy generations)

PROMPT = "The capital of France is"
GREEDY = {"num_predict": 8, "temperature": 0}


@pytest.fixture(scope="module")
def embedded() -> Iterator[Backend]:
    from pytest_chimera.backends.llamacpp import LlamaCppBackend

    backend = LlamaCppBackend(MODEL)
    yield backend
    backend.close()


def test_real_model_through_the_ollama_client_matches_the_direct_call(embedded: Backend) -> None:
    direct = embedded.generate(PROMPT, options=GREEDY)
    with OllamaServer(embedded) as srv:
        client = OllamaBackend(MODEL, host=srv.url, timeout=120)
        pieces: list[str] = []
        via_http = client.generate(PROMPT, options=GREEDY, on_token=pieces.append)
        info = client.describe()
    assert via_http.text == direct.text and via_http.text.strip()  # greedy: the same tokens, over the wire
    assert "".join(pieces) == via_http.text
    m = via_http.metrics
    assert m.eval_count == direct.metrics.eval_count == 8
    assert m.prompt_eval_count == direct.metrics.prompt_eval_count > 0
    assert m.tokens_per_s is not None and m.tokens_per_s > 0
    assert m.eval_ms > 0 and m.prompt_eval_ms > 0 and m.total_ms >= m.eval_ms
    assert m.ttft_ms is not None and 0 < m.ttft_ms < m.wall_ms
    assert info["digest"] == embedded.describe()["sha256"]
    assert info["quantization"] == "Q4_K_M"
    assert info["accelerator"] == embedded.describe()["accelerator"] == "cpu"  # /api/ps: size_vram 0


def test_real_model_prompt_cache_is_measured_through_the_ollama_client() -> None:
    from pytest_chimera.backends.llamacpp import LlamaCppBackend

    caching = LlamaCppBackend(MODEL, reuse_prefix=True)  # keeps its KV cache, as Ollama's runner does
    try:
        with OllamaServer(caching) as srv:
            client = OllamaBackend(MODEL, host=srv.url, timeout=120)
            first = client.generate(PROMPT, options=GREEDY).metrics
            again = client.generate(PROMPT, options=GREEDY).metrics
            client.close()
    finally:
        caching.close()
    assert first.cached_prompt_tokens == 0 and first.prompt_eval_count > 1
    assert again.cached_prompt_tokens >= first.prompt_eval_count - 1 > 0  # a hit, measured, not assumed


def test_real_model_chat_not_streamed_through_the_raw_client(embedded: Backend) -> None:
    import ollama

    with OllamaServer(embedded) as srv:
        reply = ollama.Client(host=srv.url).chat(
            model=MODEL, messages=[{"role": "user", "content": "Say hello."}], options=GREEDY, stream=False
        )
    assert reply.done is True and reply.done_reason in ("length", "stop")
    assert reply.message.role == "assistant" and (reply.message.content or "").strip()
    assert reply.eval_count is not None and 0 < reply.eval_count <= 8
    assert reply.eval_duration and reply.prompt_eval_duration and reply.total_duration  # ns, from the engine


# ----------------------------------------------------------------------------- identity and prompt cache


def test_identity_comes_from_show_tags_and_ps_and_the_accelerator_once_loaded() -> None:
    with OllamaServer(CachingFakeBackend(MODEL, accelerator="gpu")) as srv:
        client = OllamaBackend(MODEL, host=srv.url, timeout=5)
        before = client.describe()  # not loaded yet: /api/ps does not list it
        assert before["digest"] == "ab" * 32 and before["quantization"] == "Q4_K_M"  # /api/tags, /api/show
        assert before["accelerator"] is None
        client.generate("one two three", options={"num_predict": 2})
        after = client.describe()
        assert after["accelerator"] == "gpu" and after["size_vram"] == 1234  # /api/ps: all of it in VRAM
        assert client.describe() == after  # cached once complete
        client.close()
    with OllamaServer(CachingFakeBackend(MODEL, accelerator="cpu")) as srv:
        client = OllamaBackend(MODEL, host=srv.url, timeout=5)
        client.generate("one two", options={"num_predict": 1})
        assert client.describe()["accelerator"] == "cpu" and client.describe()["size_vram"] == 0
        client.close()


@pytest.mark.parametrize(("size", "vram", "expected"), [
    (1000, 0, "cpu"), (1000, 1000, "gpu"), (1000, 450, "gpu partial (45% in VRAM)"), (0, 5, "gpu"),
])
def test_accelerator_of_ps_sizes(size: int, vram: int, expected: str) -> None:
    assert accelerator_of(size, vram) == expected


def test_cached_prompt_tokens_are_measured_over_the_wire() -> None:
    prompt = "alpha beta gamma delta epsilon zeta eta theta"
    with OllamaServer(CachingFakeBackend(MODEL)) as srv:
        client = OllamaBackend(MODEL, host=srv.url, timeout=5)
        first = client.generate(prompt, options={"num_predict": 2}).metrics
        again = client.generate(prompt, options={"num_predict": 2}).metrics  # the whole prompt is cached but one
        other = client.generate("alpha beta something else", options={"num_predict": 2}).metrics
        chat = [{"role": "user", "content": prompt}]
        chat_first = client.generate(messages=chat, options={"num_predict": 2}).metrics
        chat_again = client.generate(messages=chat, options={"num_predict": 2}).metrics
        client.close()
    assert (first.prompt_eval_count, first.cached_prompt_tokens) == (8, 0)
    assert (again.prompt_eval_count, again.cached_prompt_tokens) == (1, 7)  # from /api/generate's context
    assert (other.prompt_eval_count, other.cached_prompt_tokens) == (2, 2)
    # chat has no context: the first full evaluation of the same request is the prompt's count
    assert chat_first.cached_prompt_tokens == 0 and chat_again.cached_prompt_tokens == chat_first.prompt_eval_count - 1


def test_cached_tokens_allow_for_retokenisation() -> None:
    assert cached_tokens(None, 5) == 0  # nothing to count from: not measured, not invented
    assert cached_tokens(10, 10) == 0 and cached_tokens(10, 9) == 0  # one token of re-tokenisation slack
    assert cached_tokens(10, 1) == 9
    assert prompt_tokens_of({"context": [0] * 12, "eval_count": 4}) == 8
    assert prompt_tokens_of({"eval_count": 4}) is None
