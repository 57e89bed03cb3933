"""The two-stage Chimera agent: ingest, analysis call, report call, report assembly in the seed layout.

``run_agent`` reproduces the agent that wrote the seed report (``chimera_agent_b_report.md``): an
analysis call over the corpus's data summary (the DataCollector role), then a report call with the
persona, then the markdown assembled around the model's report (header, Workflow Summary, Metrics,
Key Findings, Recommendations, Persona Prompt). With ``grounding`` (the default) the prompts also
carry the most relevant computed facts, as many as the context budget allows; ``grounding=False``
gives the model the file inventory only, as the original did.

Prompts are documents, not instructions: the embedded base gemma-3-270m continues text well and
follows instructions poorly, so each prompt is the context, the persona's brief, then the first lines
of the report for the model to continue. A chat model (through Ollama) reads the same text as a
request and answers it.
"""

from __future__ import annotations

import math
import re
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pytest_chimera.backends.base import Backend, BackendError, Generation, Message, TokenCallback
from pytest_chimera.personas import COLLECTOR, Persona, resolve_persona
from pytest_chimera.runs import CallRecord, ReportRun, aggregate

if TYPE_CHECKING:
    from pytest_chimera.facts import Fact, Facts

DEFAULT_NUM_CTX = 2048  # Ollama's historical default and the seed run's setting
ANALYST = COLLECTOR.agent_type  # the analysis stage's role (DataCollector-9000)
MAX_ITEMS = 5  # bullets per Key Findings / Recommendations section
ANALYSIS_SHARE = 0.4  # at most this share of the report prompt's free budget goes to the analysis notes


__all__ = ["AgentError", "BackendError", "ReportRun", "run_agent", "run_multi_agent", "load_agent"]


class AgentError(ValueError):
    """The agent cannot run as configured (for example a context too small for its prompt)."""


class CorpusLike(Protocol):
    """What the agent reads from a loaded corpus (``pytest_chimera.corpus.Corpus``)."""

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


# --- context budget -------------------------------------------------------------------------------


def context_size(backend: Backend, options: Mapping[str, Any]) -> int:
    """The context window in tokens: ``num_ctx`` of the options, else the backend's, else 2048."""
    backend_options = getattr(backend, "options", None)
    load_kwargs = getattr(backend, "load_kwargs", None)
    candidates = (
        options.get("num_ctx"),
        getattr(backend, "num_ctx", None),
        backend_options.get("num_ctx") if isinstance(backend_options, Mapping) else None,
        load_kwargs.get("n_ctx") if isinstance(load_kwargs, Mapping) else None,
    )
    for value in candidates:
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return DEFAULT_NUM_CTX


def prompt_budget(backend: Backend, options: Mapping[str, Any]) -> int:
    """Tokens a prompt may use: the context minus room for the answer.

    The room is ``num_predict`` when set (at most half the context), else a quarter of the context.
    """
    ctx = context_size(backend, options)
    predict = options.get("num_predict")
    if isinstance(predict, int) and not isinstance(predict, bool) and predict > 0:
        reserve = min(predict, ctx // 2)
    else:
        reserve = ctx // 4
    return ctx - reserve


# --- grounding: ranking and rendering facts -------------------------------------------------------

_STAT_WEIGHT = {
    "best": 4.0, "worst": 3.0, "mean": 3.0, "median": 3.0, "total": 3.0, "pct": 2.5, "max": 2.0,
    "min": 2.0, "rows": 1.0, "count": 0.5, "std": -1.0,
}


_NON_WORD = str.maketrans({c: " " for c in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\t\n"})
_STAT = re.compile("|".join(sorted(_STAT_WEIGHT, key=len, reverse=True)))


def _source_file(fact: Fact) -> str:
    return fact.source.partition(":")[0].partition("#")[0].partition(" ")[0]


def relevance(fact: Fact, persona: Persona) -> float:
    """How much a fact matters to a persona: its words, its unit, its statistic, its depth."""
    return _scorer(persona)(fact.key, fact.unit, fact.labels)


def _scorer(persona: Persona) -> Callable[[str, str, tuple[str, ...]], float]:
    """``relevance`` for one persona, with its keyword set and unit weights computed once."""
    keywords = frozenset(persona.keywords)
    unit_weight = {u: 2.0 * (len(persona.units) - i) for i, u in enumerate(persona.units)}
    stat_cache: dict[str, float] = {}

    def score_of(key: str, unit: str, labels: tuple[str, ...]) -> float:
        words = set(f"{key} {' '.join(labels)}".lower().translate(_NON_WORD).split())
        score = 1.5 * len(keywords.intersection(words)) + unit_weight.get(unit, 0.0)
        last = key[key.rfind(".") + 1 :]
        stat = stat_cache.get(last)
        if stat is None:
            stat = stat_cache[last] = max((_STAT_WEIGHT[w] for w in _STAT.findall(last.lower())), default=0.0)
        score += stat - 0.4 * key.count(".")
        if key.startswith("files."):
            score += 3.0  # counts of what was ingested: the figures every report states first
            if key == "files.total" or key.startswith("files.by_type."):
                score += 20.0  # the inventory every report states first, and the seed got exactly these wrong
        return score

    return score_of


def rank_facts(facts: Iterable[Fact], persona: Persona) -> list[Fact]:
    """Facts most relevant to the persona first, spread over files and units; non-finite values dropped.

    Each fact loses a little relevance for every more relevant fact from the same source file and with
    the same unit, so the top of the list covers many files and several kinds of figure (throughput,
    TTFT, file counts) instead of one table's columns. One sort, then one re-sort; ties go by key.
    """
    usable = [f for f in facts if math.isfinite(f.value)]
    score_of = _scorer(persona)
    scored = sorted(((score_of(f.key, f.unit, f.labels), f) for f in usable), key=lambda t: (-t[0], t[1].key))
    by_source: Counter[str] = Counter()
    by_unit: Counter[str] = Counter()
    adjusted: list[tuple[float, int, Fact]] = []
    for order, (score, fact) in enumerate(scored):
        source = _source_file(fact)
        adjusted.append((score - 0.75 * by_source[source] - 0.4 * by_unit[fact.unit], order, fact))
        by_source[source] += 1
        by_unit[fact.unit] += 1
    adjusted.sort(key=lambda t: (-t[0], t[1]))
    return [fact for _, _, fact in adjusted]


_RANKED: weakref.WeakKeyDictionary[Any, dict[Persona, list[str]]] = weakref.WeakKeyDictionary()
_RANKED_LOCK = threading.Lock()


def ranked_fact_lines(facts: Facts | Iterable[Fact], persona: Persona) -> list[str]:
    """``rank_facts`` rendered as prompt lines, cached per facts object and persona.

    A session's facts fixture hands every test the same ``Facts`` object, and benchmark rounds rerun the
    agent on it: ranking its thousands of facts once per persona keeps the agent's overhead small.
    """
    try:
        with _RANKED_LOCK:
            cached = _RANKED.get(facts, {}).get(persona)
    except TypeError:  # not weak-referenceable (a plain list): rank without caching
        return [format_fact(f) for f in rank_facts(facts, persona)]
    if cached is None:
        cached = [format_fact(f) for f in rank_facts(facts, persona)]
        with _RANKED_LOCK:
            _RANKED.setdefault(facts, {})[persona] = cached
    return cached


def format_number(value: float) -> str:
    """A figure as a report would write it: integers plain, else 2 decimals (3 significant under 1)."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.2f}" if abs(value) >= 1 else f"{value:.3g}"
    return text.rstrip("0").rstrip(".") if "." in text and "e" not in text else text


def format_fact(fact: Fact) -> str:
    """One prompt line: ``- key: value unit``; a tuning result also names its configuration."""
    value = format_number(fact.value)
    if fact.unit == "%":
        shown = f"{value}%"
    elif fact.unit:
        shown = f"{value} {fact.unit}"
    else:
        shown = value
    detail = ""
    if fact.key.startswith("tuning.") and ": " in fact.source:
        detail = f" ({fact.source.split(': ', 1)[1]})"
    return f"- {fact.key}: {shown}{detail}"


# --- prompts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prompt:
    """A built prompt and what it holds: its text, token count, facts and analysis lines included."""

    text: str
    tokens: int
    facts: tuple[str, ...]
    analysis_lines: int = 0


FACTS_HEADING = "Measured facts (computed from the files; these are the only real figures):"


def _facts_block(lines: Sequence[str]) -> str:
    return f"{FACTS_HEADING}\n" + "\n".join(lines) + "\n\n" if lines else ""


def analysis_document(summary: str, fact_lines: Sequence[str]) -> str:
    """The analysis stage's prompt: the data summary (and facts), then an analysis for the model to continue."""
    return (
        "Benchmark Data Analysis\n"
        f"Prepared by {ANALYST}, a systems analyst who scans benchmark artefacts.\n"
        "Contents: 1. executive summary, 2. key performance findings, 3. performance metrics analysis, "
        "4. recommendations for optimisation.\n\n"
        "Data summary:\n"
        f"{summary.strip()}\n\n"
        f"{_facts_block(fact_lines)}"
        "## 1. Executive Summary\n\n"
    )


def report_document(
    persona: Persona, agent_name: str, summary: str, fact_lines: Sequence[str], analysis: str
) -> str:
    """The report stage's prompt: repository context, analyst notes, the persona's brief, the report's start."""
    notes = f"Analyst notes from {ANALYST}:\n{analysis.strip()}\n\n" if analysis.strip() else ""
    return (
        "Repository context (benchmark artefacts):\n"
        f"{summary.strip()}\n\n"
        f"{_facts_block(fact_lines)}"
        f"{notes}"
        f"{persona.prompt.strip()}\n\n"
        f"# Technical Report: {agent_name} Analysis\n\n"
        f"{persona.opening}"
    )


def _line_costs(backend: Backend, lines: Sequence[str], budget: int) -> list[int]:
    """Token costs of the longest prefix of ``lines`` (one line each, with its newline) that fits ``budget``.

    Stops at the first line that does not fit, so thousands of facts cost only what the budget holds.
    """
    costs: list[int] = []
    used = 0
    for line in lines:
        cost = backend.count_tokens(line + "\n")
        if used + cost > budget:
            break
        costs.append(cost)
        used += cost
    return costs


def _prefix_within(costs: Sequence[int], budget: int) -> int:
    used = 0
    for n, cost in enumerate(costs):
        if used + cost > budget:
            return n
        used += cost
    return len(costs)


def fit_prompt(
    backend: Backend,
    budget: int,
    render: Callable[[Sequence[str], str], str],
    fact_lines: Sequence[str],
    analysis: str = "",
) -> Prompt:
    """Fill ``render(facts, analysis)`` with facts (in order) and analysis lines within ``budget`` tokens.

    The fixed text comes first; the analysis notes get at most ``ANALYSIS_SHARE`` of what is left when
    facts need the room; facts fill the rest, most relevant first. The whole prompt is then counted with
    the backend's tokenizer and facts, then analysis lines, are dropped until it fits. Raises
    ``AgentError`` when even the fixed text does not fit.
    """
    fixed = backend.count_tokens(render([], ""))
    if fixed > budget:
        raise AgentError(
            f"the prompt needs {fixed} tokens before any facts, over the budget of {budget} tokens "
            "(num_ctx minus room for the answer); raise num_ctx or lower num_predict"
        )
    free = budget - fixed
    heading = backend.count_tokens(FACTS_HEADING + "\n\n") if fact_lines else 0
    fact_costs = _line_costs(backend, fact_lines, max(0, free - heading))
    facts_need = heading + sum(fact_costs) if len(fact_costs) == len(fact_lines) else free + 1
    analysis_lines = analysis.strip().splitlines()
    note_costs = _line_costs(backend, analysis_lines, free)
    notes_need = sum(note_costs) + 1 if len(note_costs) == len(analysis_lines) else free + 1
    if facts_need + notes_need <= free:
        notes_room = free
    else:
        notes_room = max(free - facts_need, int(free * ANALYSIS_SHARE))
    notes = analysis_lines[: _prefix_within(note_costs, notes_room)]
    notes_cost = sum(note_costs[: len(notes)]) + (1 if notes else 0)
    facts = list(fact_lines[: _prefix_within(fact_costs, free - notes_cost - heading)])
    while True:
        text = render(facts, "\n".join(notes))
        tokens = backend.count_tokens(text)
        if tokens <= budget or not (facts or notes):
            break
        if facts:
            facts = facts[: max(0, len(facts) - max(1, (tokens - budget) // 8))]
        else:
            notes = notes[:-1]
    return Prompt(text=text, tokens=tokens, facts=tuple(facts), analysis_lines=len(notes))


# --- Key Findings and Recommendations --------------------------------------------------------------

_HEADING = re.compile(r"^\s*(#{1,6}\s+|\*\*\s*\d*\.?\s*[^*]+\*\*\s*:?\s*$|\d+\.\s+\*\*[^*]+\*\*\s*:?\s*$)")
_MARKER = re.compile(r"^\s*(?:[-*+\u2022]\s+|\d+[.)]\s+|#{1,6}\s+)")
_PREAMBLE = re.compile(r"^(okay|ok|sure|certainly|here'?s|here is|here are|below is|absolutely)\b", re.I)
_REC_HEADING = re.compile(r"recommend|optimi[sz]|suggest|next step|action|mitigat", re.I)
_FIND_HEADING = re.compile(r"finding|insight|observation|performance|summary|analysis|metric|result", re.I)
_REC_CUE = re.compile(
    r"^(?:\*\*[^*]+\*\*:?\s*)?(recommend|consider|implement|investigate|use|adopt|increase|reduce|enable|"
    r"switch|tune|optimi[sz]e|establish|standardi[sz]e|automate|add|run|prioriti[sz]e|explore|review|"
    r"monitor|track|expand|utili[sz]e|employ|conduct|create|measure|benchmark)\b|\b(recommend|should|we "
    r"suggest)\b",
    re.I,
)


def _clean(item: str) -> str:
    text = _MARKER.sub("", item).strip()
    text = re.sub(r"\s+", " ", text)
    if text.startswith("**") and text.endswith("**") and text.count("**") == 2:
        text = text[2:-2].strip()
    return text


def extract_items(text: str) -> tuple[list[str], list[str]]:
    """Key findings and recommendations from a model's text, at most ``MAX_ITEMS`` each.

    The seed's agent took the analysis text's lines that held certain words, so its lists caught a
    preamble ("Okay, here's ..."), headings and observations filed as recommendations. Here each bullet,
    numbered item or paragraph is one item; headings and chatty preambles are skipped; an item under a
    heading about recommendations/optimisation, or one that reads as advice (imperative verb,
    "should", "recommend"), is a recommendation; every other item under a findings/analysis heading, or
    carrying a figure, is a finding. Order is kept, duplicates dropped.
    """
    findings: list[str] = []
    recommendations: list[str] = []
    heading = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or set(line) <= set("-*_=|: "):
            continue
        if _HEADING.match(line):
            heading = _clean(line.strip("*#: "))
            continue
        item = _clean(line)
        if len(item) < 12 or not re.search(r"[A-Za-z]{3}", item) or _PREAMBLE.match(item) or item.startswith("|"):
            continue
        if _REC_HEADING.search(heading) or _REC_CUE.search(item):
            target = recommendations
        elif _FIND_HEADING.search(heading) or re.search(r"\d", item):
            target = findings
        else:
            continue
        if item.lower() not in {i.lower() for i in findings + recommendations} and len(target) < MAX_ITEMS:
            target.append(item)
    return findings, recommendations


# --- report assembly --------------------------------------------------------------------------------

CONFIG_KEYS = (("num_gpu", "num_gpu"), ("num_ctx", "num_ctx"), ("temp", "temperature"), ("top_p", "top_p"),
               ("top_k", "top_k"), ("repeat_penalty", "repeat_penalty"))
NONE_STATED = "None stated by the model."


def configuration_line(options: Mapping[str, Any]) -> str:
    """``num_gpu=80, num_ctx=2048, temp=1, top_p=default, ...`` as in the seed."""
    parts = []
    for shown, key in CONFIG_KEYS:
        value = options.get(key)
        if value is None:
            text = "default"
        elif isinstance(value, float):
            text = f"{value:g}"
        else:
            text = str(value)
        parts.append(f"{shown}={text}")
    return ", ".join(parts)


def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=2)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text.rstrip()}\n{fence}"


def title_of(agent_name: str) -> str:
    """``# Chimera <agent name>`` without doubling a leading "Chimera"."""
    return agent_name if agent_name.split(" ", 1)[0].lower() == "chimera" else f"Chimera {agent_name}"


def assemble_report(
    *,
    agent_name: str,
    persona: Persona,
    model: str,
    backend_name: str,
    options: Mapping[str, Any],
    body: str,
    analysis: str,
    data_summary: str,
    files_analyzed: int,
    stages: Mapping[str, float],
    metrics: Mapping[str, float],
    date: str,
    replayed: bool = False,
) -> str:
    """The report markdown in the seed's layout around the model's ``body``."""
    title = title_of(agent_name)
    findings, recommendations = extract_items(analysis)
    if not findings or not recommendations:
        body_findings, body_recs = extract_items(body)
        findings = findings or body_findings
        recommendations = recommendations or body_recs
    s = {k: stages.get(k, 0.0) / 1000 for k in ("ingest_ms", "analysis_ms", "report_ms", "total_ms")}
    lines = [
        f"# {title}",
        "",
        f"# Technical Report: {title} Analysis",
        "",
        f"**Date:** {date}",
        f"**Agent Type:** {title} ({persona.agent_type})",
        f"**Model:** {model} (backend: {backend_name})",
        f"**Configuration:** {configuration_line(options)}",
        "",
        "---",
        "",
        body.strip(),
        "",
        "---",
        "",
        "## Workflow Summary",
        f"- Files analyzed: {files_analyzed}",
        f"- Execution time: {s['total_ms']:.2f}s (ingest {s['ingest_ms']:.2f}s | analysis {s['analysis_ms']:.2f}s"
        f" | report {s['report_ms']:.2f}s)",
        "- Data summary:",
        _fence(data_summary),
        "",
        "## Metrics",
        f"- Throughput: {metrics['tokens_per_s']:.2f} tok/s",
        f"- TTFT: {metrics['ttft_ms']:.2f} ms",
        f"- Total Duration: {metrics['total_ms']:.2f} ms",
        f"- Tokens Generated: {int(metrics['eval_count'])}",
        f"- Prompt Eval: {metrics['prompt_eval_ms']:.2f} ms",
        f"- Eval Duration: {metrics['eval_ms']:.2f} ms",
        f"- Load Duration: {metrics['load_ms']:.2f} ms",
    ]
    if replayed:
        lines.append("- Replayed: yes (recorded timings, not measured in this run)")
    lines += ["", "## Key Findings", *[f"- {i}" for i in findings or [NONE_STATED]]]
    lines += ["", "## Recommendations", *[f"- {i}" for i in recommendations or [NONE_STATED]]]
    lines += ["", "## Persona Prompt", _fence(persona.prompt), ""]
    return "\n".join(lines)


def join_opening(opening: str, text: str) -> str:
    """The model's report: the opening it continued plus its text, unless it started its own document."""
    return text.strip() if text.lstrip().startswith("#") else opening + text.lstrip("\n")


# --- the agent ---------------------------------------------------------------------------------------


def _ingest(corpus: CorpusLike | str | Path) -> tuple[CorpusLike, float | None]:
    if isinstance(corpus, (str, Path)):
        from pytest_chimera.corpus import load_corpus

        path = Path(corpus)
        if not path.is_dir():
            raise AgentError(f"corpus {str(path)!r} is not a directory; give the benchmark corpus folder")
        start = time.perf_counter()
        loaded: CorpusLike = load_corpus(path)
        return loaded, (time.perf_counter() - start) * 1000
    return corpus, None


def _corpus_ingest_ms(corpus: CorpusLike) -> float:
    for name in ("ingest_ms", "load_ms"):
        value = getattr(corpus, name, None)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return 0.0


def _corpus_root(corpus: CorpusLike) -> str | None:
    root = getattr(corpus, "root", None)
    return str(root) if root is not None else None


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
    receives the stage and the tokens generated so far.
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
        from pytest_chimera.facts import compute_facts

        start = time.perf_counter()
        facts = compute_facts(unwrap(loaded))  # type: ignore[arg-type]  # a Corpus, or a duck of one
        ingest_ms = (ingest_ms if ingest_ms is not None else _corpus_ingest_ms(loaded)) + (
            time.perf_counter() - start
        ) * 1000
    if ingest_ms is None:
        ingest_ms = _corpus_ingest_ms(loaded)
    summary = loaded.data_summary()
    budget = prompt_budget(backend, opts)

    def call(stage: str, prompt: str) -> Generation:
        tokens = 0

        def on_token(_piece: str) -> None:
            nonlocal tokens
            tokens += 1
            report_progress(stage, tokens)

        report_progress(stage, 0)
        return backend.generate(prompt, options=opts, on_token=on_token)

    start = time.perf_counter()
    ranked = ranked_fact_lines(facts, spec) if grounding and facts is not None else []
    prompt = fit_prompt(backend, budget, lambda fl, _a: analysis_document(summary, fl), ranked)
    analysis = call("analysis", prompt.text)
    analysis_text = join_opening("## 1. Executive Summary\n\n", analysis.text)
    analysis_ms = (time.perf_counter() - start) * 1000

    start = time.perf_counter()
    title = title_of(name)
    prompt = fit_prompt(
        backend, budget, lambda fl, a: report_document(spec, title, summary, fl, a), ranked, analysis_text
    )
    report = call("report", prompt.text)
    body = join_opening(spec.opening, report.text)
    report_ms = (time.perf_counter() - start) * 1000

    stages = {"ingest_ms": ingest_ms, "analysis_ms": analysis_ms, "report_ms": report_ms,
              "total_ms": ingest_ms + analysis_ms + report_ms}
    calls = [CallRecord("analysis", analysis.text, analysis.metrics), CallRecord("report", report.text, report.metrics)]
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
        metrics=aggregate([c.metrics for c in calls]),
        date=datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        replayed=any(c.metrics.replayed for c in calls),
    )
    report_progress("done", analysis.metrics.eval_count + report.metrics.eval_count)
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
        from pytest_chimera.facts import compute_facts

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
