"""The openai backend's failures, each with what to do, and its metrics rule; the wire of the test server's /v1.

The failures are real ones over HTTP: this package's server (``/v1`` routes) in front of a fake model, with
injected faults (a stall, a cut stream), a closed port, a wrong path.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from llama_server import free_port as closed_port
from ollama_fakes import FakeBackend

from pytest_chimera.backends.base import METRIC_NAMES, BackendError, CallMetrics
from pytest_chimera.backends.ollama_server import Faults, OllamaServer
from pytest_chimera.backends.openai import OpenAIBackend, metrics_from, request_params, resolve_base_url

MODEL = "gemma3:270m"


@pytest.fixture
def backend(server: OllamaServer) -> Iterator[OpenAIBackend]:
    b = OpenAIBackend(MODEL, host=server.url, timeout=5)
    yield b
    b.close()


def test_fake_model_text_and_engine_timings_arrive_through_v1(backend: OpenAIBackend) -> None:
    pieces: list[str] = []
    gen = backend.generate("hello world", options={"num_predict": 4}, on_token=pieces.append)
    assert gen.text == FakeBackend().generate("hello world", options={"num_predict": 4}).text == "".join(pieces)
    m = gen.metrics
    assert (m.eval_count, m.prompt_eval_count, m.eval_ms, m.prompt_eval_ms) == (4, 2, 40.0, 12.5)
    assert m.missing == ("load_ms",) and m.load_ms == 0.0  # the fake's load time (3 ms) never crosses /v1


def test_server_down_says_start_it_or_point_the_host() -> None:
    port = closed_port()
    with pytest.raises(BackendError, match=rf"cannot reach the OpenAI-compatible server at http://127.0.0.1:{port}/v1 "
                                           r"\(connection refused\)\. Start it .* or point --chimera-host at a"):
        OpenAIBackend(MODEL, host=f"127.0.0.1:{port}", timeout=5).generate("x")


def test_a_wrong_path_says_servers_answer_under_v1(server: OllamaServer) -> None:
    with pytest.raises(BackendError, match=r"answered HTTP 404 for /api/completions: is the host right\? "
                                           r"OpenAI-compatible servers answer under /v1"):
        OpenAIBackend(MODEL, host=server.url + "/api", timeout=5).generate("x")


def test_unknown_model(server: OllamaServer) -> None:
    with pytest.raises(BackendError, match="model 'llama3' is not served .* it serves 'gemma3:270m'"):
        OpenAIBackend("llama3", host=server.url, timeout=5).generate("x")


def test_timeout_says_how_much_text_arrived(server: OllamaServer) -> None:
    server.faults = Faults(delay_s=1.0, delay_after=2)
    slow = OpenAIBackend(MODEL, host=server.url, timeout=0.5)
    with pytest.raises(BackendError, match=r"timed out: gemma3:270m gave no complete answer within 0.5 s; "
                                           r"12 characters in 2 chunks had arrived .* Raise --chimera-timeout"):
        slow.generate("a b", options={"num_predict": 5})


def test_total_timeout_bounds_a_slow_but_steady_stream(server: OllamaServer) -> None:
    server.faults = Faults(delay_s=0.15)  # each chunk inside the read timeout, the whole call not
    with pytest.raises(BackendError, match="timed out"):
        OpenAIBackend(MODEL, host=server.url, timeout=0.4).generate("a b", options={"num_predict": 8})


def test_a_cut_stream_says_what_had_arrived(backend: OpenAIBackend, server: OllamaServer) -> None:
    server.faults = Faults(cut_after=2)
    with pytest.raises(BackendError, match=r"stream from the OpenAI-compatible server at .* was cut off: .*; "
                                           r"12 characters in 2 chunks had arrived .*see its log"):
        backend.generate("a b", options={"num_predict": 5})


def test_an_error_before_the_stream_is_the_servers_message(backend: OpenAIBackend) -> None:
    with pytest.raises(BackendError, match=r"answered with an error \(HTTP 500\): fake backend refused the prompt"):
        backend.generate("FAIL now")


def test_format_needs_messages(backend: OpenAIBackend) -> None:
    with pytest.raises(BackendError, match="format= needs chat messages on the openai backend"):
        backend.generate("x", format={"type": "object"})


def test_describe_of_a_down_server_does_not_raise() -> None:
    info = OpenAIBackend(MODEL, host=f"127.0.0.1:{closed_port()}", timeout=2).describe()
    assert info["host"].endswith("/v1") and "cannot reach" in info["describe_error"]


@pytest.mark.parametrize(("given", "url"), [
    ("http://gpu1:8000", "http://gpu1:8000/v1"),
    ("http://gpu1:8000/", "http://gpu1:8000/v1"),
    ("gpu1:8000", "http://gpu1:8000/v1"),
    ("https://vllm.internal/v1", "https://vllm.internal/v1"),
    ("http://gw:80/team/openai/v1", "http://gw:80/team/openai/v1"),
])
def test_base_url(given: str, url: str) -> None:
    assert resolve_base_url(given) == url


def test_base_url_default_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert resolve_base_url() == "http://127.0.0.1:8000/v1"
    monkeypatch.setenv("OPENAI_BASE_URL", "http://vllm:9000/v1")
    assert resolve_base_url() == "http://vllm:9000/v1"


def test_request_params_map_ollama_names() -> None:
    assert request_params({"num_predict": 5, "stop": "##", "temperature": 0}) == {
        "max_tokens": 5, "stop": ["##"], "temperature": 0}
    assert request_params({"num_predict": -1}) == {} == request_params({"num_predict": -2})


# --- metrics: what the server gives, and nothing else --------------------------------------------------------


def test_usage_gives_counts_only() -> None:
    usage = SimpleNamespace(prompt_tokens=30, completion_tokens=12, prompt_tokens_details=None)
    m = metrics_from(usage, None, ttft_ms=50.0, wall_ms=400.0)
    assert (m.prompt_eval_count, m.eval_count, m.ttft_ms, m.wall_ms) == (30, 12, 50.0, 400.0)
    assert set(m.missing) == {"load_ms", "prompt_eval_ms", "eval_ms", "total_ms", "tokens_per_s",
                              "cached_prompt_tokens"}
    assert m.tokens_per_s is None and m.eval_ms == 0.0


def test_cached_tokens_from_usage_details() -> None:
    details = SimpleNamespace(cached_tokens=24)
    usage = SimpleNamespace(prompt_tokens=30, completion_tokens=1, prompt_tokens_details=details)
    m = metrics_from(usage, None, ttft_ms=None, wall_ms=1.0)
    assert m.cached_prompt_tokens == 24 and "cached_prompt_tokens" not in m.missing


def test_llama_cpp_timings_give_engine_times() -> None:
    timings = {"prompt_n": 30, "prompt_ms": 120.0, "predicted_n": 10, "predicted_ms": 250.0, "cache_n": 0}
    m = metrics_from(None, timings, ttft_ms=130.0, wall_ms=380.0)
    assert (m.prompt_eval_count, m.eval_count, m.prompt_eval_ms, m.eval_ms, m.total_ms) == (30, 10, 120.0, 250.0, 370.0)
    assert m.tokens_per_s == pytest.approx(40.0) and m.missing == ("load_ms",)


def test_nothing_generated_is_no_rate_and_not_missing() -> None:
    m = metrics_from(None, {"prompt_n": 3, "prompt_ms": 5.0, "predicted_n": 0, "predicted_ms": 0.0, "cache_n": 0},
                     ttft_ms=None, wall_ms=6.0)
    assert m.tokens_per_s is None and m.missing == ("load_ms",)


def test_no_usage_no_timings_invents_nothing() -> None:
    m = metrics_from(None, None, ttft_ms=10.0, wall_ms=20.0)
    assert set(m.missing) == set(METRIC_NAMES) - {"ttft_ms", "wall_ms"}
    assert m == CallMetrics(ttft_ms=10.0, wall_ms=20.0, missing=m.missing)


_counts = st.one_of(st.none(), st.integers(0, 10**6))
_times = st.one_of(st.none(), st.floats(0, 1e7, allow_nan=False))


@given(prompt_n=_counts, eval_n=_counts, prompt_ms=_times, eval_ms=_times, with_usage=st.booleans())
def test_a_metric_is_either_given_or_listed_missing(prompt_n: int | None, eval_n: int | None, prompt_ms: float | None,
                                                    eval_ms: float | None, with_usage: bool) -> None:
    timings: dict[str, Any] = {k: v for k, v in (("prompt_ms", prompt_ms), ("predicted_ms", eval_ms)) if v is not None}
    usage = None
    if with_usage:
        usage = SimpleNamespace(prompt_tokens=prompt_n, completion_tokens=eval_n, prompt_tokens_details=None)
    else:
        timings.update({k: v for k, v in (("prompt_n", prompt_n), ("predicted_n", eval_n)) if v is not None})
    m = metrics_from(usage, timings, ttft_ms=1.0, wall_ms=2.0)
    given_values = {"prompt_eval_count": prompt_n, "eval_count": eval_n, "prompt_eval_ms": prompt_ms,
                    "eval_ms": eval_ms}
    for name, value in given_values.items():
        assert (name in m.missing) == (value is None)
        assert getattr(m, name) == (value or 0)
    assert "load_ms" in m.missing and "ttft_ms" not in m.missing and "wall_ms" not in m.missing
    assert ("total_ms" in m.missing) == (prompt_ms is None or eval_ms is None)
    if m.tokens_per_s is not None:
        assert eval_n and eval_ms and m.tokens_per_s == pytest.approx(eval_n / eval_ms * 1000)
    assert CallMetrics.from_dict(json.loads(json.dumps(m.to_dict()))) == m


# --- CallMetrics.missing is plain data ----------------------------------------------------------------------


def test_missing_round_trips_and_old_records_read_as_measured() -> None:
    m = CallMetrics(ttft_ms=1.0, missing=("load_ms", "eval_ms"))
    assert m.to_dict()["missing"] == ["load_ms", "eval_ms"]
    assert CallMetrics.from_dict(m.to_dict()) == m
    old = {k: v for k, v in CallMetrics(eval_count=3).to_dict().items() if k != "missing"}
    assert CallMetrics.from_dict(old).missing == () and CallMetrics.from_dict(old).measured("eval_count")
    assert not m.measured("eval_ms")


def test_missing_names_only_known_metrics() -> None:
    with pytest.raises(ValueError, match=r"CallMetrics.missing names unknown metrics \['speed'\]"):
        CallMetrics(missing=("speed",))


# --- the test server's /v1 wire, as any client sees it ---------------------------------------------------------


def _post(url: str, body: dict[str, Any]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_v1_not_streamed_has_usage_and_timings(server: OllamaServer) -> None:
    status, raw = _post(server.url + "/v1/chat/completions", {
        "model": MODEL, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 3})
    reply = json.loads(raw)
    assert status == 200 and reply["object"] == "chat.completion"
    assert reply["choices"][0]["message"]["role"] == "assistant" and reply["choices"][0]["finish_reason"] == "length"
    assert reply["usage"]["completion_tokens"] == 3 and reply["timings"]["predicted_ms"] == 40.0


def test_v1_stream_ends_with_usage_then_done(server: OllamaServer) -> None:
    status, raw = _post(server.url + "/v1/completions", {
        "model": MODEL, "prompt": "a b", "max_tokens": 2, "stream": True, "stream_options": {"include_usage": True}})
    events = [line.removeprefix("data: ") for line in raw.decode().split("\n\n") if line.startswith("data: ")]
    assert status == 200 and events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    expected = FakeBackend().generate("a b", options={"num_predict": 2}).text
    assert "".join(c["choices"][0]["text"] for c in chunks if c["choices"]) == expected
    assert all(c["object"] == "text_completion" for c in chunks)
    assert chunks[-2]["choices"][0]["finish_reason"] == "length" and chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["total_tokens"] == 2 + 2


def test_v1_errors_have_openais_body(server: OllamaServer) -> None:
    status, raw = _post(server.url + "/v1/completions", {"model": "nope", "prompt": "x"})
    assert status == 404 and json.loads(raw)["error"]["code"] == "model_not_found"
    status, raw = _post(server.url + "/v1/chat/completions", {"model": MODEL, "messages": "hi"})
    assert status == 400 and "messages must be a list" in json.loads(raw)["error"]["message"]
    with urllib.request.urlopen(server.url + "/v1/models", timeout=5) as reply:
        assert [m["id"] for m in json.loads(reply.read())["data"]] == [MODEL]


# --- a scripted server: replies no well-behaved server gives -------------------------------------------------


class Scripted(BaseHTTPRequestHandler):
    """``GET /v1/models`` lists the model; every POST gets ``reply`` (status, content type, body) as it is."""

    reply: tuple[int, str, bytes] = (200, "application/json", b"{}")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802
        self._send(200, "application/json", json.dumps({"object": "list", "data": [{"id": MODEL}]}).encode())

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._send(*self.reply)

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def scripted() -> Iterator[type[Scripted]]:
    handler = type("Handler", (Scripted,), {})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{httpd.server_address[1]}"  # type: ignore[attr-defined]
    yield handler
    httpd.shutdown()
    httpd.server_close()


def _events(*events: dict[str, Any] | str) -> bytes:
    return b"".join(f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n".encode() for e in events)


def _text_chunk(text: str, finish: str | None = None) -> dict[str, Any]:
    return {"id": "c", "object": "text_completion", "created": 0, "model": MODEL,
            "choices": [{"index": 0, "text": text, "finish_reason": finish}]}


def test_a_key_the_server_echoes_is_masked(scripted: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    key = "sk-echoed-" + "9" * 20
    monkeypatch.setenv("ECHO_KEY", key)
    body = {"error": {"message": f"Incorrect API key provided: {key}.", "type": "invalid_request_error"}}
    scripted.reply = (401, "application/json", json.dumps(body).encode())
    with pytest.raises(BackendError) as info:
        OpenAIBackend(MODEL, host=scripted.url, api_key_env="ECHO_KEY", timeout=5).generate("x")
    assert "refused the API key from $ECHO_KEY" in str(info.value) and key not in str(info.value)
    scripted.reply = (500, "application/json", json.dumps(body).encode())
    with pytest.raises(BackendError, match=r"HTTP 500\): Incorrect API key provided: \*\*\*\.") as info:
        OpenAIBackend(MODEL, host=scripted.url, api_key_env="ECHO_KEY", timeout=5).generate("x")


def test_a_stream_that_ends_without_finish_reason_is_cut(scripted: Any) -> None:
    scripted.reply = (200, "text/event-stream", _events(_text_chunk("half "), _text_chunk("an answer"), "[DONE]"))
    with pytest.raises(BackendError, match=r"was cut off: the stream ended without a finish_reason; 14 characters in "
                                           r"2 chunks had arrived \('half an answer'\)\..* unless it was started "
                                           r"with --interrupt_requests False"):
        OpenAIBackend(MODEL, host=scripted.url, timeout=5).generate("x")


def test_an_error_event_in_the_stream(scripted: Any) -> None:
    scripted.reply = (200, "text/event-stream",
                      _events(_text_chunk("one "), {"error": {"message": "CUDA out of memory"}}, "[DONE]"))
    with pytest.raises(BackendError, match=r"reported an error in the stream: CUDA out of memory; 4 characters"):
        OpenAIBackend(MODEL, host=scripted.url, timeout=5).generate("x")


def test_usage_in_the_last_chunk_gives_the_counts(scripted: Any) -> None:
    usage = {"id": "c", "object": "text_completion", "created": 0, "model": MODEL, "choices": [],
             "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11}}
    scripted.reply = (200, "text/event-stream",
                      _events(_text_chunk("a "), _text_chunk("b", "length"), usage, "[DONE]"))
    m = OpenAIBackend(MODEL, host=scripted.url, timeout=5).generate("x").metrics
    assert (m.prompt_eval_count, m.eval_count) == (9, 2) and "eval_count" not in m.missing and "eval_ms" in m.missing
