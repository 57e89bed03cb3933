"""A tiny deterministic Backend for fast tests of the Ollama server, client backend and cassettes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_chimera.backends.base import BackendError, CallMetrics, Generation, Message, TokenCallback


class FakeBackend:
    """Echoes words derived from the prompt: ``w0 w1 ...`` with fixed metrics; records every call.

    ``num_predict`` (default 5) words are produced, each streamed as one chunk. A prompt containing
    ``FAIL`` raises BackendError, as a real backend would on a bad request.
    """

    name = "fake"

    def __init__(self, model: str = "gemma3:270m") -> None:
        self.model = model
        self.calls: list[dict[str, Any]] = []
        self.closed = False

    def generate(
        self,
        prompt: str | None = None,
        *,
        messages: Sequence[Message] | None = None,
        options: Mapping[str, Any] | None = None,
        format: Mapping[str, Any] | None = None,
        on_token: TokenCallback | None = None,
    ) -> Generation:
        options = dict(options or {})
        source = prompt if prompt is not None else json.dumps([dict(m) for m in messages or []])
        self.calls.append({"prompt": prompt, "messages": messages, "options": options, "format": format})
        if "FAIL" in source:
            raise BackendError("fake backend refused the prompt")
        seed = hashlib.sha256(source.encode()).hexdigest()
        n = int(options.get("num_predict", 5))
        pieces = [f"{'w' if format is None else 'j'}{seed[i % 60 : i % 60 + 4]} " for i in range(n)]
        for piece in pieces:
            if on_token is not None:
                on_token(piece)
        metrics = CallMetrics(
            ttft_ms=1.0,
            tokens_per_s=n / 0.04 if n else None,
            prompt_eval_count=len(source.split()),
            prompt_eval_ms=12.5,
            eval_count=n,
            eval_ms=40.0,
            load_ms=3.0,
            total_ms=60.0,
            wall_ms=61.0,
        )
        return Generation(text="".join(pieces), metrics=metrics, backend=self.name, model=self.model, options=options)

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model, "sha256": "ab" * 32, "family": "gemma3", "size_bytes": 1234}

    def close(self) -> None:
        self.closed = True


class CachingFakeBackend(FakeBackend):
    """A FakeBackend that keeps the previous prompt's tokens (words), as Ollama's runner keeps its KV cache:
    a prompt sharing a prefix with the previous one evaluates only the rest (at least one token), and reports
    the shared part as ``cached_prompt_tokens``. ``accelerator`` is what its ``describe()`` says."""

    def __init__(self, model: str = "gemma3:270m", accelerator: str = "cpu") -> None:
        super().__init__(model)
        self.accelerator = accelerator
        self.previous: list[str] = []

    def generate(self, prompt: str | None = None, **kwargs: Any) -> Generation:
        generation = super().generate(prompt, **kwargs)
        tokens = (prompt if prompt is not None else json.dumps(kwargs.get("messages"))).split()
        shared = 0
        while shared < min(len(tokens), len(self.previous)) and tokens[shared] == self.previous[shared]:
            shared += 1
        shared = min(shared, len(tokens) - 1)  # the last prompt token is always evaluated
        self.previous = tokens
        m = generation.metrics
        metrics = CallMetrics(**{**m.to_dict(), "prompt_eval_count": len(tokens) - shared,
                                 "cached_prompt_tokens": shared})
        return Generation(generation.text, metrics, generation.backend, generation.model, generation.options)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "quantization": "Q4_K_M", "accelerator": self.accelerator}
