"""The Ollama-wire-compatible server: raw HTTP (urllib) and the real ollama client, on a fake backend."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import httpx

# numpy at collection time: pytester drops the modules first imported during an in-process run, and numpy
# cannot be imported twice in one process (the embedded model needs it after a pytester run loaded it).
import numpy  # noqa: F401
import ollama
import pytest
from ollama_fakes import FakeBackend

from pytest_chimera.backends.ollama_server import (
    MALFORMED_LINE,
    SERVER_VERSION,
    Faults,
    OllamaServer,
    normalize_model_name,
)


def http(server: OllamaServer, method: str, path: str, body: Any = None) -> tuple[int, bytes, dict[str, str]]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(server.url + path, data=data, method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def test_binds_loopback_on_a_free_port(server: OllamaServer) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    assert int(server.url.rsplit(":", 1)[1]) > 0


def test_root_says_ollama_is_running(server: OllamaServer) -> None:
    assert http(server, "GET", "/")[:2] == (200, b"Ollama is running")
    assert http(server, "HEAD", "/")[0] == 200


def test_version(server: OllamaServer) -> None:
    status, body, _ = http(server, "GET", "/api/version")
    assert status == 200
    assert json.loads(body) == {"version": SERVER_VERSION}


def test_tags_lists_the_model_with_digest_and_details(server: OllamaServer) -> None:
    status, body, _ = http(server, "GET", "/api/tags")
    assert status == 200
    (model,) = json.loads(body)["models"]
    assert model["name"] == model["model"] == "gemma3:270m"
    assert model["digest"] == "ab" * 32  # the backend's sha256
    assert model["size"] == 1234
    assert model["details"]["family"] == "gemma3"
    listed = ollama.Client(host=server.url).list()
    assert [m.model for m in listed.models] == ["gemma3:270m"]


def test_show_known_and_unknown_model(server: OllamaServer) -> None:
    client = ollama.Client(host=server.url)
    shown = client.show("gemma3:270m")
    assert shown.details is not None and shown.details.family == "gemma3"
    assert shown.capabilities == ["completion"]
    assert "FROM gemma3:270m" in (shown.modelfile or "")
    status, body, _ = http(server, "POST", "/api/show", {"model": "llama3:8b"})
    assert (status, json.loads(body)) == (404, {"error": "model 'llama3:8b' not found"})


@pytest.mark.parametrize("path", ["/api/generate", "/api/chat"])
def test_unknown_model_is_404_with_ollamas_error_body(server: OllamaServer, path: str) -> None:
    status, body, headers = http(server, "POST", path, {"model": "nope", "prompt": "x", "messages": []})
    assert status == 404
    assert json.loads(body) == {"error": "model 'nope' not found"}
    assert headers["Content-Type"].startswith("application/json")
    with pytest.raises(ollama.ResponseError) as info:
        ollama.Client(host=server.url).generate(model="nope", prompt="x")
    assert info.value.status_code == 404 and info.value.error == "model 'nope' not found"


def test_bad_requests_are_400(server: OllamaServer) -> None:
    req = urllib.request.Request(server.url + "/api/generate", data=b"{not json", method="POST")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=5)
    assert info.value.code == 400 and "invalid JSON" in json.loads(info.value.read())["error"]
    assert http(server, "POST", "/api/generate", {"prompt": "x"})[:2] == (400, b'{"error": "model is required"}')
    assert http(server, "GET", "/api/nothing")[0] == 404


def test_generate_streams_ndjson_with_final_timings_in_ns(server: OllamaServer) -> None:
    status, body, headers = http(
        server, "POST", "/api/generate", {"model": "gemma3:270m", "prompt": "hello", "options": {"num_predict": 3}}
    )
    assert status == 200
    assert headers["Content-Type"] == "application/x-ndjson"
    assert headers["Transfer-Encoding"] == "chunked"
    lines = [json.loads(line) for line in body.splitlines()]
    assert [line["done"] for line in lines] == [False, False, False, True]
    expected = FakeBackend().generate("hello", options={"num_predict": 3}).text
    assert "".join(line["response"] for line in lines) == expected
    final = lines[-1]
    assert final["response"] == ""
    assert final["done_reason"] == "length"  # num_predict used up
    assert final["eval_count"] == 3
    assert final["eval_duration"] == 40_000_000  # 40 ms
    assert final["prompt_eval_duration"] == 12_500_000
    assert final["load_duration"] == 3_000_000
    assert final["total_duration"] == 60_000_000


def test_generate_not_streamed_is_one_object(server: OllamaServer) -> None:
    status, body, headers = http(
        server, "POST", "/api/generate", {"model": "gemma3:270m", "prompt": "hi", "stream": False, "options": {}}
    )
    reply = json.loads(body)
    assert status == 200 and int(headers["Content-Length"]) == len(body)
    assert reply["done"] is True and reply["done_reason"] == "stop"  # 5 tokens, no num_predict
    assert reply["response"] == FakeBackend().generate("hi").text
    assert reply["model"] == "gemma3:270m"
    assert http(server, "POST", "/api/generate", {"model": "gemma3", "prompt": "hi"})[0] == 404  # means gemma3:latest


def test_chat_streams_message_chunks_through_the_client(server: OllamaServer) -> None:
    client = ollama.Client(host=server.url)
    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]
    chunks = list(client.chat(model="gemma3:270m", messages=messages, stream=True, options={"num_predict": 2}))
    assert [c.done for c in chunks] == [False, False, True]
    assert all(c.message.role == "assistant" for c in chunks)
    assert chunks[-1].eval_count == 2 and chunks[-1].done_reason == "length"
    backend = server.backend
    assert isinstance(backend, FakeBackend)
    assert backend.calls[-1]["messages"] == messages
    assert backend.calls[-1]["prompt"] is None
    whole = client.chat(model="gemma3:270m", messages=messages, options={"num_predict": 2})
    assert whole.message.content == "".join(c.message.content or "" for c in chunks)


def test_options_and_format_reach_the_backend(server: OllamaServer) -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}}
    client = ollama.Client(host=server.url)
    client.generate(model="gemma3:270m", prompt="p", options={"temperature": 0, "seed": 7}, format=schema)
    backend = server.backend
    assert isinstance(backend, FakeBackend)
    assert backend.calls[-1]["options"] == {"temperature": 0, "seed": 7}
    assert backend.calls[-1]["format"] == schema
    client.generate(model="gemma3:270m", prompt="p", format="json")
    assert backend.calls[-1]["format"] == {"type": "object"}
    method, path, body = server.requests[-1]
    assert (method, path, body["format"]) == ("POST", "/api/generate", "json")


def test_backend_error_before_streaming_is_500_with_error_body(server: OllamaServer) -> None:
    status, body, _ = http(server, "POST", "/api/generate", {"model": "gemma3:270m", "prompt": "FAIL"})
    assert (status, json.loads(body)) == (500, {"error": "fake backend refused the prompt"})


def test_fault_cut_drops_the_connection_before_the_final_chunk(server: OllamaServer) -> None:
    server.faults = Faults(cut_after=2)
    req = urllib.request.Request(
        server.url + "/api/generate", data=json.dumps({"model": "gemma3:270m", "prompt": "x"}).encode(), method="POST"
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        with pytest.raises(Exception) as info:  # http.client.IncompleteRead: the chunked body never ends
            resp.read()
    partial = getattr(info.value, "partial", b"")
    assert type(info.value).__name__ == "IncompleteRead"
    assert [json.loads(line)["done"] for line in partial.splitlines()] == [False, False]


def test_fault_malformed_line_in_the_stream(server: OllamaServer) -> None:
    server.faults = Faults(malformed_after=1)
    _, body, _ = http(server, "POST", "/api/generate", {"model": "gemma3:270m", "prompt": "x"})
    lines = body.splitlines()
    assert lines[1] == MALFORMED_LINE
    with pytest.raises(json.JSONDecodeError):
        json.loads(lines[1])
    assert json.loads(lines[-1])["done"] is True  # the stream carries on after the bad line


def test_fault_malformed_and_cut_when_not_streamed(server: OllamaServer) -> None:
    server.faults = Faults(malformed_after=0)
    _, body, _ = http(server, "POST", "/api/generate", {"model": "gemma3:270m", "prompt": "x", "stream": False})
    assert body == MALFORMED_LINE
    server.faults = Faults(cut_after=0)
    with pytest.raises(httpx.RemoteProtocolError, match="incomplete|closed"):
        ollama.Client(host=server.url).generate(model="gemma3:270m", prompt="x")


def test_model_name_rule() -> None:
    assert normalize_model_name("gemma3") == "gemma3:latest"
    assert normalize_model_name("gemma3:270m") == "gemma3:270m"
    assert normalize_model_name("registry.local:5000/gemma3") == "registry.local:5000/gemma3:latest"


def test_close_frees_the_port_and_is_idempotent() -> None:
    srv = OllamaServer(FakeBackend()).start()
    port = int(srv.url.rsplit(":", 1)[1])
    srv.close()
    srv.close()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0  # nothing listens any more
    with pytest.raises(RuntimeError, match="not started"):
        _ = srv.url


def test_load_time_options_are_not_applied_to_the_loaded_model(server: OllamaServer) -> None:
    client = ollama.Client(host=server.url)
    client.generate(model="gemma3:270m", prompt="p", options={"num_ctx": 2048, "num_gpu": 80, "temperature": 1})
    backend = server.backend
    assert isinstance(backend, FakeBackend)
    assert backend.calls[-1]["options"] == {"temperature": 1}
    assert {"num_ctx", "num_gpu"} <= server.ignored_options
    assert server.requests[-1][2]["options"]["num_ctx"] == 2048  # what the client sent is kept


def test_load_time_options_applied_on_request() -> None:
    fake = FakeBackend()
    with OllamaServer(fake, apply_load_options=True) as srv:
        ollama.Client(host=srv.url).generate(model="gemma3:270m", prompt="p", options={"num_ctx": 512})
    assert fake.calls[-1]["options"] == {"num_ctx": 512}


FIXTURE_TEST = """
import ollama

URLS = []

def test_agent_speaks_ollama(chimera_ollama_server):
    URLS.append(chimera_ollama_server)
    print("URL", chimera_ollama_server)
    assert chimera_ollama_server.startswith("http://127.0.0.1:")
    client = ollama.Client(host=chimera_ollama_server)
    assert [m.model for m in client.list().models] == ["gemma3:270m"]
    reply = client.generate(model="gemma3:270m", prompt="The capital of France is",
                            options={"num_predict": 4, "temperature": 0})
    assert reply.done and reply.eval_count == 4 and reply.response.strip()
    print("SERVED", reply.response)

def test_same_server_for_the_session(chimera_ollama_server):
    assert URLS == [chimera_ollama_server]
"""


def test_fixture_is_skipped_without_chimera(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(FIXTURE_TEST)
    result = pytester.runpytest("-rs")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(["*pass --chimera to run LLM evaluation*"])


def readme_example() -> str:
    """The first Python example of the README's chimera_ollama_server section."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Testing agents that speak Ollama: `chimera_ollama_server`", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_fixture_serves_the_embedded_model(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_fixture=FIXTURE_TEST, test_summariser=readme_example())
    result = pytester.runpytest("--chimera", "--chimera-backend=llama-cpp", "-s")
    result.assert_outcomes(passed=4)  # ours and the README's example
    result.stdout.fnmatch_lines(["*SERVED *"])
    (url,) = [line.split()[-1] for line in result.outlines if "URL http://" in line]
    port = int(url.rsplit(":", 1)[1])
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0  # stopped at the end of the session
