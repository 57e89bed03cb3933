"""The two-stage Chimera agent: ingest, analysis call, report call, report assembly in the seed layout.

``run_agent`` reproduces the agent that wrote the seed report (``chimera_agent_b_report.md``): an
analysis call over the corpus's data summary (the DataCollector role), then a report call with the
persona, then the markdown assembled around the model's report (header, Workflow Summary, Metrics,
Key Findings, Recommendations, Persona Prompt). With ``grounding`` (the default) the prompts carry
the key figures (``figures.key_figures``: a few computed facts written as a report cites them) in
place of the file inventory; ``grounding=False`` gives the model the file inventory only, as the
original did.

Prompts are documents, not instructions: the embedded base gemma-3-270m continues text well and
follows instructions poorly, so each prompt is the context, the persona's brief, then the first lines
of the report for the model to continue (see ``prompts``). A chat model (through Ollama) reads the
same text as a request and answers it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pytest_chimera.agent.figures import key_figures
from pytest_chimera.agent.layout import assemble_report, join_opening, title_of
from pytest_chimera.agent.personas import Persona, resolve_persona
from pytest_chimera.agent.prompts import (
    ANALYSIS_OPENING,
    ANALYSIS_STOP,
    REPORT_STOP,
    STEM,
    AgentError,
    analysis_document,
    call_options,
    fit_prompt,
    prompt_budget,
    report_document,
    report_opening,
)
from pytest_chimera.agent.runs import CallRecord, ReportRun, aggregate, unmeasured
from pytest_chimera.backends.base import Backend, BackendError, Generation, Message, TokenCallback

if TYPE_CHECKING:
    from pytest_chimera.evidence.facts import Facts



__all__ = ["AgentError", "BackendError", "ReportRun", "run_agent", "run_multi_agent", "load_agent"]


class CorpusLike(Protocol):
    """What the agent reads from a loaded corpus (``pytest_chimera.evidence.corpus.Corpus``)."""

    @property
    def files(self) -> Sequence[Any]: ...

    def data_summary(self) -> str: ...


@dataclass(frozen=True)
class Progress:
    """One progress event: which agent, which stage (ingest, analysis, report, done), tokens so far."""

    agent: str
    stage: str
    tokens: int = 0


ProgressCallback = Callable[[Progress], None]
Agent = Callable[..., ReportRun]  # the signature of ``run_agent``


# --- the agent ---------------------------------------------------------------------------------------


def empty_corpus_problem(corpus: CorpusLike) -> str | None:
    """Why there is nothing to report on: the corpus holds no .csv, .json or .md file (a wrong folder); or None.

    A report on no files would be judged against file counts of 0 alone; the caller stops with this message.
    """
    if corpus.files:
        return None
    errors = getattr(corpus, "errors", ())
    unread = f"; {len(errors)} entries could not be read (pytest-chimera facts lists them)" if errors else ""
    return (f"corpus {str(getattr(corpus, 'root', '?'))!r} holds no .csv, .json or .md file (searched recursively, "
            f"hidden folders skipped){unread}; give the folder of benchmark files")


def _ingest(corpus: CorpusLike | str | Path) -> tuple[CorpusLike, float | None]:
    ingest_ms = None
    if isinstance(corpus, (str, Path)):
        from pytest_chimera.evidence.corpus import load_corpus

        path = Path(corpus)
        if not path.is_dir():
            raise AgentError(f"corpus {str(path)!r} is not a directory; give the benchmark corpus folder")
        start = time.perf_counter()
        corpus = load_corpus(path)
        ingest_ms = (time.perf_counter() - start) * 1000
    problem = empty_corpus_problem(corpus)
    if problem:
        raise AgentError(problem)
    return corpus, ingest_ms


def _corpus_ingest_ms(corpus: CorpusLike) -> float:
    for name in ("ingest_ms", "load_ms"):
        value = getattr(corpus, name, None)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return 0.0


def _corpus_root(corpus: CorpusLike) -> str | None:
    root = getattr(corpus, "root", None)
    return str(root) if root is not None else None


def _host_of(backend: Backend) -> str | None:
    host = getattr(backend, "host", None)
    return host if isinstance(host, str) else None


def run_agent(
    corpus: CorpusLike | str | Path,
    backend: Backend,
    *,
    persona: str | Path | Persona = "insight",
    options: Mapping[str, Any] | None = None,
    grounding: bool = True,
    facts: Facts | None = None,
    agent_name: str | None = None,
    on_progress: ProgressCallback | None = None,
) -> ReportRun:
    """Run the Chimera agent once: analysis call, report call, assembled report.

    ``corpus`` is a loaded corpus (its ``ingest_ms``/``load_ms`` attribute, when present, is the ingest
    time) or a directory, loaded and timed here. With ``grounding`` the facts (``facts``, else computed
    here and timed as part of ingest) go into both prompts within the context budget. ``on_progress``
    receives the stage and the tokens generated so far. The run's ``overhead_ms`` is its time outside the
    model calls: the ingest, then everything after it (key figures, prompt fitting, assembly) but the
    time inside ``backend.generate``. A corpus that is not a directory or holds no .csv, .json or .md file
    is an ``AgentError`` before any model call.
    """
    spec = resolve_persona(persona)
    name = agent_name or spec.default_agent
    opts = dict(options or {})

    def report_progress(stage: str, tokens: int = 0) -> None:
        if on_progress is not None:
            on_progress(Progress(name, stage, tokens))

    report_progress("ingest")
    loaded, ingest_ms = _ingest(corpus)
    if grounding and facts is None:
        from pytest_chimera.evidence.facts import compute_facts

        start = time.perf_counter()
        facts = compute_facts(unwrap(loaded))  # type: ignore[arg-type]  # a Corpus, or a duck of one
        ingest_ms = (ingest_ms if ingest_ms is not None else _corpus_ingest_ms(loaded)) + (
            time.perf_counter() - start
        ) * 1000
    if ingest_ms is None:
        ingest_ms = _corpus_ingest_ms(loaded)
    ingested = time.perf_counter()  # from here on, the run's time is the calls' and the agent's overhead
    summary = loaded.data_summary()
    budget = prompt_budget(backend, opts)

    sent: dict[str, dict[str, Any]] = {}
    in_calls = 0.0  # seconds inside backend.generate

    def call(stage: str, prompt: str, stops: Sequence[str]) -> Generation:
        nonlocal in_calls
        tokens = 0

        def on_token(_piece: str) -> None:
            nonlocal tokens
            tokens += 1
            report_progress(stage, tokens)

        report_progress(stage, 0)
        sent[stage] = call_options(opts, stops, backend.name)
        start = time.perf_counter()
        try:
            return backend.generate(prompt, options=sent[stage], on_token=on_token)
        finally:
            in_calls += time.perf_counter() - start

    start = time.perf_counter()
    figures = key_figures(facts, spec) if grounding and facts is not None else []
    context = "" if figures else summary  # the key figures state the inventory; without them, the inventory
    prompt = fit_prompt(backend, budget, lambda fl, _a: analysis_document(context, fl), figures)
    analysis = call("analysis", prompt.text, ANALYSIS_STOP)
    analysis_text = join_opening(ANALYSIS_OPENING, analysis.text, STEM) if analysis.text.strip() else ""
    analysis_ms = (time.perf_counter() - start) * 1000

    start = time.perf_counter()
    title = title_of(name)
    prompt = fit_prompt(
        backend, budget, lambda fl, a: report_document(spec, title, context, fl, a), figures, analysis_text
    )
    report = call("report", prompt.text, REPORT_STOP)
    body = join_opening(report_opening(spec), report.text, STEM) if report.text.strip() else spec.opening
    report_ms = (time.perf_counter() - start) * 1000

    stages = {"ingest_ms": ingest_ms, "analysis_ms": analysis_ms, "report_ms": report_ms,
              "total_ms": ingest_ms + analysis_ms + report_ms}
    calls = [CallRecord("analysis", analysis.text, analysis.metrics, sent["analysis"]),
             CallRecord("report", report.text, report.metrics, sent["report"])]
    measured = [c.metrics for c in calls]
    markdown = assemble_report(
        agent_name=name,
        persona=spec,
        model=report.model or backend.model,
        backend_name=report.backend or backend.name,
        options=opts,
        body=body,
        analysis=analysis_text,
        data_summary=summary,
        files_analyzed=len(loaded.files),
        stages=stages,
        metrics=aggregate(measured),
        date=datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        replayed=any(m.replayed for m in measured),
        unmeasured=unmeasured(measured),
    )
    report_progress("done", analysis.metrics.eval_count + report.metrics.eval_count)
    overhead_ms = ingest_ms + (time.perf_counter() - ingested - in_calls) * 1000
    return ReportRun(
        markdown=markdown,
        persona=spec.name,
        model=report.model or backend.model,
        backend=report.backend or backend.name,
        options=opts,
        stages=stages,
        calls=calls,
        agent_name=name,
        persona_prompt=spec.prompt,
        corpus=_corpus_root(loaded),
        host=_host_of(backend),
        overhead_ms=overhead_ms,
    )


# --- multi-agent mode ---------------------------------------------------------------------------------


class SerializedBackend:
    """A backend whose calls take a lock: one model call at a time, whichever thread makes it.

    llama.cpp in-process is not thread-safe per model (one context, one KV cache), so concurrent agents on
    the embedded backend share it through this wrapper; backends that say ``thread_safe = True`` (an
    Ollama server queues requests itself) are used directly.
    """

    def __init__(self, backend: Backend, lock: threading.Lock | None = None) -> None:
        self.inner = backend
        self.lock = lock or threading.Lock()
        self.name = backend.name
        self.model = backend.model
        self.num_ctx = getattr(backend, "num_ctx", None)
        self.host = getattr(backend, "host", None)

    def generate(
        self,
        prompt: str | None = None,
        *,
        messages: Sequence[Message] | None = None,
        options: Mapping[str, Any] | None = None,
        format: Mapping[str, Any] | None = None,
        on_token: TokenCallback | None = None,
    ) -> Generation:
        with self.lock:
            return self.inner.generate(prompt, messages=messages, options=options, format=format, on_token=on_token)

    def count_tokens(self, text: str) -> int:
        with self.lock:
            return self.inner.count_tokens(text)

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()

    def close(self) -> None:
        """The wrapped backend belongs to its owner; closing the wrapper leaves it open."""


@dataclass(frozen=True)
class AgentSpec:
    """One agent of a multi-agent run: its name, persona and own model options."""

    agent_name: str
    persona: str | Persona
    options: Mapping[str, Any] | None = None


DEFAULT_TEAM = (AgentSpec("Chimera Agent A", "collector"), AgentSpec("Chimera Agent B", "insight"))


def run_multi_agent(
    corpus: CorpusLike | str | Path,
    backend: Backend,
    agents: Sequence[AgentSpec] = DEFAULT_TEAM,
    *,
    grounding: bool = True,
    facts: Facts | None = None,
    on_progress: ProgressCallback | None = None,
    serialize: bool | None = None,
) -> list[ReportRun]:
    """Run several agents concurrently (one thread each) on the same corpus and backend.

    As in the original experiments, Agent A (collector) and Agent B (insight) by default, each with its
    own options and metrics. The corpus is loaded and the facts computed once, before the threads start.
    ``serialize`` (default: unless the backend says ``thread_safe = True``) puts the model calls behind
    one lock; the agents then still overlap everything but the calls, and each stage's time includes
    its wait for the lock. Results come back in the order of ``agents``.
    """
    if not agents:
        raise AgentError("run_multi_agent needs at least one AgentSpec")
    loaded, ingest_ms = _ingest(corpus)
    if ingest_ms is not None:
        loaded = TimedCorpus(loaded, ingest_ms)
    if grounding and facts is None:
        from pytest_chimera.evidence.facts import compute_facts

        facts = compute_facts(unwrap(loaded))  # type: ignore[arg-type]  # a Corpus, or a duck of one
    if serialize is None:
        serialize = not bool(getattr(backend, "thread_safe", False))
    shared: Backend = SerializedBackend(backend) if serialize else backend
    with ThreadPoolExecutor(max_workers=len(agents), thread_name_prefix="chimera-agent") as pool:
        futures = [
            pool.submit(
                run_agent, loaded, shared, persona=a.persona, options=a.options, grounding=grounding,
                facts=facts, agent_name=a.agent_name, on_progress=on_progress,
            )
            for a in agents
        ]
        return [f.result() for f in futures]


class TimedCorpus:
    """A loaded corpus plus the time its ingest took, which ``run_agent`` reports as its ingest stage.

    The ``chimera_report`` fixture wraps the (session-cached) corpus fixture's value with the time this
    test waited for it; multi-agent runs wrap their one load so every agent reports the same ingest.
    """

    def __init__(self, corpus: CorpusLike, ingest_ms: float) -> None:
        self._corpus = corpus
        self.ingest_ms = ingest_ms
        self.root = getattr(corpus, "root", None)

    @property
    def files(self) -> Sequence[Any]:
        return self._corpus.files

    def data_summary(self) -> str:
        return self._corpus.data_summary()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._corpus, name)


def unwrap(corpus: CorpusLike) -> CorpusLike:
    """The corpus inside a ``TimedCorpus`` (any other corpus as it is)."""
    return corpus._corpus if isinstance(corpus, TimedCorpus) else corpus


def load_agent(spec: str | Agent, where: str = "agent") -> Agent:
    """A custom agent from a callable or ``"module:callable"``; ``AgentError`` naming ``where`` otherwise."""
    if callable(spec):
        return spec
    if not isinstance(spec, str) or ":" not in spec:
        raise AgentError(f"{where}: expected a callable or 'module:callable', got {spec!r}")
    module_name, _, attr = spec.partition(":")
    import importlib

    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # an import error of the user's module, whatever its kind
        raise AgentError(f"{where}: cannot import module {module_name!r} of {spec!r}: {exc}") from None
    target: Any = module
    for part in attr.split("."):
        target = getattr(target, part, None)
        if target is None:
            raise AgentError(f"{where}: module {module_name!r} has no attribute {attr!r} (from {spec!r})")
    if not callable(target):
        raise AgentError(f"{where}: {spec!r} is not callable")
    return target  # type: ignore[no-any-return]
