"""Your own agent in the built-in one's place, and an agent that speaks Ollama, tested without Ollama."""

from __future__ import annotations

import ollama
import pytest

from pytest_chimera import Corpus, Facts, ReportRun


@pytest.mark.needs_strong_model(
    reason="the base model continues the brief with an invented total size (3056 bytes; the corpus holds 21,837 B), "
    "which the checker contradicts"
)
@pytest.mark.chimera(agent="agents:brief_agent", options={"num_predict": 48, "temperature": 0})
def test_custom_agent_states_the_true_file_count(chimera_report: ReportRun, chimera_facts: Facts) -> None:
    assert chimera_report.agent_name == "Brief Agent"
    assert "Files analyzed: 28" in chimera_report.markdown
    result = chimera_report.assert_consistent(chimera_facts, max_contradicted=0)
    assert result.counts()["supported"] >= 1  # "Files analyzed: 28" checks out against files.total


def summarise_with_ollama(host: str, model: str, corpus: Corpus) -> str:
    """A team's agent code: it talks to an Ollama server through the official client."""
    client = ollama.Client(host=host)
    prompt = f"# Benchmark notes\n\nThe corpus holds {len(corpus.files)} benchmark files.\n\n"
    response = client.generate(model=model, prompt=prompt, options={"num_predict": 32, "temperature": 0})
    return prompt + response.response


def test_agent_that_speaks_ollama(chimera_ollama_server: str, chimera_corpus: Corpus) -> None:
    # chimera_ollama_server: an Ollama-wire-compatible server on 127.0.0.1 backed by the session's model.
    text = summarise_with_ollama(chimera_ollama_server, "gemma3:270m", chimera_corpus)
    assert text.startswith("# Benchmark notes")
    assert len(text) > len("# Benchmark notes\n\nThe corpus holds 28 benchmark files.\n\n")
