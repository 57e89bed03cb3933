"""The backend interface: one small protocol, plain result data, one metrics vocabulary.

Metric names and meanings follow Ollama's API (its durations are nanoseconds; here milliseconds).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Protocol, runtime_checkable

Message = Mapping[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}
TokenCallback = Callable[[str], None]


class BackendError(RuntimeError):
    """A model call failed; the message says what happened and what to do, for the test's error."""


def check_input(backend: str, prompt: str | None, messages: Sequence[Message] | None) -> None:
    """Raise BackendError unless exactly one of ``prompt`` and ``messages`` is given."""
    if (prompt is None) == (messages is None):
        raise BackendError(f"{backend}.generate() takes exactly one of prompt= or messages=")


class Received:
    """The text pieces of a streamed call as they arrive: TTFT at the first non-empty one, each passed on."""

    def __init__(self, start: float, on_token: TokenCallback | None = None) -> None:
        self.start, self.on_token = start, on_token
        self.pieces: list[str] = []
        self.ttft_ms: float | None = None

    def add(self, piece: str) -> None:
        if piece:
            if self.ttft_ms is None:
                self.ttft_ms = (time.perf_counter() - self.start) * 1000
            self.pieces.append(piece)
            if self.on_token is not None:
                self.on_token(piece)

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    def summary(self) -> str:
        """How much had arrived, for an error message: ``312 characters in 80 chunks had arrived ('...')``."""
        text = self.text
        if not text:
            return "no text had arrived"
        preview = text if len(text) <= 60 else text[:57] + "..."
        return f"{len(text)} characters in {len(self.pieces)} chunks had arrived ({preview!r})"


@dataclass(frozen=True)
class CallMetrics:
    """Timings and counts of one model call.

    ttft_ms: client-side, request start to the first non-empty token.
    tokens_per_s: eval_count / eval duration (engine-side decode speed).
    prompt_eval_ms, eval_ms, load_ms, total_ms: engine-side durations; wall_ms: client-side.
    cached_prompt_tokens: prompt tokens served from a cache rather than evaluated.
    replayed: the call came from a cassette; its timings are recorded ones, never new measurements.
    missing: the names of the metrics the backend could not measure (an OpenAI-compatible server gives no
        load time, and often no prompt-eval time); their fields hold the neutral 0 or None, not a value.
    """

    ttft_ms: float | None = None
    tokens_per_s: float | None = None
    prompt_eval_count: int = 0
    prompt_eval_ms: float = 0.0
    eval_count: int = 0
    eval_ms: float = 0.0
    load_ms: float = 0.0
    total_ms: float = 0.0
    wall_ms: float = 0.0
    cached_prompt_tokens: int = 0
    replayed: bool = False
    missing: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = sorted(set(self.missing) - set(METRIC_NAMES))
        if unknown:
            raise ValueError(f"CallMetrics.missing names unknown metrics {unknown}; known: {', '.join(METRIC_NAMES)}")

    def measured(self, name: str) -> bool:
        """Whether metric ``name`` was measured (not listed in ``missing``)."""
        return name not in self.missing

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict with the metric names as keys (``missing`` a list)."""
        data = asdict(self)
        data["missing"] = list(self.missing)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CallMetrics:
        """Inverse of ``to_dict``; unknown keys are ignored, and a dict without ``missing`` (written before it
        existed) reads as all measured."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        values["missing"] = tuple(str(m) for m in values.get("missing") or ())
        return cls(**values)


# The metrics a backend may list in ``CallMetrics.missing`` (every measured field).
METRIC_NAMES = (
    "ttft_ms", "tokens_per_s", "prompt_eval_count", "prompt_eval_ms", "eval_count", "eval_ms", "load_ms",
    "total_ms", "wall_ms", "cached_prompt_tokens",
)


@dataclass(frozen=True)
class Generation:
    """The result of one model call: the text and its metrics."""

    text: str
    metrics: CallMetrics
    backend: str
    model: str
    options: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Backend(Protocol):
    """A loaded model behind one backend. Loaded once per session and shared by tests."""

    name: str  # "ollama" | "openai" | "llama-cpp" | "replay"
    model: str

    def generate(
        self,
        prompt: str | None = None,
        *,
        messages: Sequence[Message] | None = None,
        options: Mapping[str, Any] | None = None,
        format: Mapping[str, Any] | None = None,
        on_token: TokenCallback | None = None,
    ) -> Generation:
        """Generate (streaming internally) from a prompt or chat messages; raise BackendError on failure."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` in this model's tokenizer (for context budgets)."""
        ...

    def describe(self) -> dict[str, Any]:
        """Identity for benchmark machine_info: backend, model, sha256 or digest, quantization, ..."""
        ...

    def close(self) -> None:
        """Release the model or connection."""
        ...
