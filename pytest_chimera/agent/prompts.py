"""The agent's prompts: the context budget, the facts ranked for a persona, and the two documents
(analysis, report) fitted within the model's context.

Prompts are documents, not instructions: the embedded base gemma-3-270m continues text well and follows
instructions poorly, so each prompt is the context (the key figures when grounded, see ``figures``; the file
inventory otherwise), the persona's brief, then the first lines of the report for the model to continue,
ending in a sentence stem (``STEM``) that a report completes with figures. Stop strings (``ANALYSIS_STOP``,
``REPORT_STOP``) end a call where the document it writes is over, before a loop can start.
"""

from __future__ import annotations

import heapq
import math
import re
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_chimera.agent.personas import COLLECTOR, Persona
from pytest_chimera.backends.base import Backend

if TYPE_CHECKING:
    from pytest_chimera.evidence.facts import Fact

DEFAULT_NUM_CTX = 2048  # Ollama's historical default and the seed run's setting
ANALYST = COLLECTOR.agent_type  # the analysis stage's role (DataCollector-9000)


class AgentError(ValueError):
    """The agent cannot run as configured (for example a context too small for its prompt)."""


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


def relevance(fact: Fact, persona: Persona) -> float:
    """How much a fact matters to a persona: its words, its unit, its statistic, its depth."""
    return _scorer(persona)(fact.key, fact.unit, fact.labels)


def _scorer(persona: Persona) -> Callable[[str, str, Sequence[str]], float]:
    """``relevance`` for one persona, with its keyword set and unit weights computed once.

    A fact's words are those of its lower-cased key and labels split at punctuation (``_NON_WORD``). The
    keywords among the words of each label, key head (up to the last dot) and last key segment are
    remembered: thousands of facts share them, so a fact costs a few look-ups.
    """
    keywords = frozenset(persona.keywords)
    unit_weight = {u: 2.0 * (len(persona.units) - i) for i, u in enumerate(persona.units)}
    stat_cache: dict[str, float] = {}
    in_text: dict[str, frozenset[str]] = {}  # a label or a part of a key -> the keywords among its words
    known = in_text.__getitem__
    nothing: frozenset[str] = frozenset()

    def keywords_in(text: str) -> frozenset[str]:
        return keywords.intersection(text.lower().translate(_NON_WORD).split())

    def score_of(key: str, unit: str, labels: Sequence[str]) -> float:
        # the words of "key label label ...": a space lower-cases and splits the key and each label apart; a
        # dot splits the key's words, and an ASCII key lower-cases letter by letter, so its words are those of
        # its head and its last segment (others: a Greek capital sigma lower-cases by its neighbours)
        dot = key.rfind(".")
        last = key[dot + 1 :]
        texts: Sequence[str]
        if key.isascii():
            texts, own = (key[: max(dot, 0)], last, *labels), nothing
        else:
            texts, own = labels, keywords_in(key)
        try:
            hits = own.union(*map(known, texts))
        except KeyError:  # a text not seen before
            for text in texts:
                if text not in in_text:
                    in_text[text] = keywords_in(text)
            hits = own.union(*map(known, texts))
        score = 1.5 * len(hits) + unit_weight.get(unit, 0.0)
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


Row = tuple[str, float, str, str, Sequence[str]]  # a fact as plain data: key, value, unit, source, labels


def rank_facts(facts: Iterable[Fact], persona: Persona, limit: int | None = None) -> list[Fact]:
    """Facts most relevant to the persona first, spread over files and units; non-finite values dropped.

    Each fact loses a little relevance for every more relevant fact from the same source file and with
    the same unit, so the top of the list covers many files and several kinds of figure (throughput,
    TTFT, file counts) instead of one table's columns. One sort, then one re-sort; ties go by key.
    ``limit``: only the first ``limit`` of that list (the same facts, found without sorting the rest).
    """
    listed = list(facts)
    rows = [(f.key, f.value, f.unit, f.source, f.labels) for f in listed]
    return [listed[i] for i in rank_rows(rows, persona, limit)]


def rank_rows(rows: Sequence[Row], persona: Persona, limit: int | None = None) -> list[int]:
    """``rank_facts`` over facts as plain rows: the positions of the ranked rows (no ``Fact`` is made)."""
    score_of = _scorer(persona)
    scored = sorted((-score_of(key, unit, labels), key, i) for i, (key, value, unit, _, labels) in enumerate(rows)
                    if math.isfinite(value))  # i: ties in the input order, as a stable sort
    by_source: dict[str, int] = {}
    by_unit: dict[str, int] = {}
    adjusted: list[tuple[float, int]] = []
    for order, (negative, _, i) in enumerate(scored):
        source, unit = rows[i][3].partition(":")[0].partition("#")[0].partition(" ")[0], rows[i][2]  # its file
        same_source, same_unit = by_source.get(source, 0), by_unit.get(unit, 0)
        adjusted.append((negative + 0.75 * same_source + 0.4 * same_unit, order))
        by_source[source] = same_source + 1
        by_unit[unit] = same_unit + 1
    ranked = heapq.nsmallest(limit, adjusted) if limit is not None else sorted(adjusted)
    return [scored[order][2] for _, order in ranked]


def format_number(value: float) -> str:
    """A figure as a report would write it: integers plain, else 2 decimals (3 significant under 1)."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.2f}" if abs(value) >= 1 else f"{value:.3g}"
    return text.rstrip("0").rstrip(".") if "." in text and "e" not in text else text


# --- prompts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prompt:
    """A built prompt and what it holds: its text, token count, facts and analysis lines included."""

    text: str
    tokens: int
    facts: tuple[str, ...]
    analysis_lines: int = 0


FACTS_HEADING = "Key figures (measured from the files):"
STEM = "- The corpus holds"  # the sentence both documents end in; a report completes it with the inventory
ANALYSIS_OPENING = "## Key Findings\n\n" + STEM
ANALYSIS_STOP = ("\n# ", "\n## ")  # the findings list is over at the next heading
REPORT_STOP = ("\n# ", FACTS_HEADING, STEM[2:])  # a new document, or the figures copied a second time
# min_p drops tokens under a tenth of the likeliest one's probability: with temperature > 0 the base model then
# still copies a figure's digits (at 0.7 without it, it wrote none of them right); at temperature 0 no effect.
SAMPLING_DEFAULTS: dict[str, Any] = {"min_p": 0.1}
SAMPLING_BACKENDS = ("llama-cpp", "ollama")  # backends that take min_p (the OpenAI API has no such parameter)


def _facts_block(lines: Sequence[str]) -> str:
    return f"{FACTS_HEADING}\n" + "\n".join(f"- {line}" for line in lines) + "\n\n" if lines else ""


def _context(summary: str, heading: str) -> str:
    """The file inventory under ``heading``; empty when there is none (a grounded prompt states the key
    figures instead)."""
    return f"{heading}\n{summary.strip()}\n\n" if summary.strip() else ""


def analysis_document(summary: str, fact_lines: Sequence[str]) -> str:
    """The analysis stage's prompt: the data summary and/or the key figures, then a findings list to continue."""
    return (
        "Benchmark Data Analysis\n"
        f"Prepared by {ANALYST}, a systems analyst who scans benchmark artefacts.\n\n"
        f"{_context(summary, 'Data summary:')}"
        f"{_facts_block(fact_lines)}"
        f"{ANALYSIS_OPENING}"
    )


def report_document(
    persona: Persona, agent_name: str, summary: str, fact_lines: Sequence[str], analysis: str
) -> str:
    """The report stage's prompt: the repository context (data summary) and analyst notes, the persona's
    brief, the key figures, then the report's first lines ending in ``STEM``."""
    notes = f"Analyst notes from {ANALYST}:\n{analysis.strip()}\n\n" if analysis.strip() else ""
    return (
        f"{_context(summary, 'Repository context (benchmark artefacts):')}"
        f"{notes}"
        f"{persona.prompt.strip()}\n\n"
        f"{_facts_block(fact_lines)}"
        f"# Technical Report: {agent_name} Analysis\n\n"
        f"{report_opening(persona)}"
    )


def report_opening(persona: Persona) -> str:
    """The report's first lines the model continues: the persona's opening, then ``STEM``."""
    return persona.opening + STEM


def call_options(options: Mapping[str, Any], stops: Sequence[str], backend: str = "llama-cpp") -> dict[str, Any]:
    """The options one call to ``backend`` (its name) is sent: ``SAMPLING_DEFAULTS`` unless given (on the
    ``SAMPLING_BACKENDS``), ``options``, and ``stops`` added to its ``stop`` strings (the caller's first)."""
    given = options.get("stop")
    own = [given] if isinstance(given, str) else list(given or [])
    defaults = SAMPLING_DEFAULTS if backend in SAMPLING_BACKENDS else {}
    return {**defaults, **options, "stop": [*own, *(s for s in stops if s not in own)]}


MAX_COUNTED = 4096  # texts whose token counts are remembered per backend (the memo starts over when full)
_COUNTED: weakref.WeakKeyDictionary[Any, dict[str, int]] = weakref.WeakKeyDictionary()
_COUNTED_LOCK = threading.Lock()


def token_counter(backend: Backend) -> Callable[[str], int]:
    """``backend.count_tokens``, remembered per backend object for as long as it lives.

    Every run fits the same fixed text and key-figure lines (and, grounded, the same analysis prompt) into
    its prompts, so a later run of the session tokenizes only what is new: the analysis notes and the
    report prompt that holds them. A backend that cannot be weakly referenced is asked every time.
    """
    try:
        with _COUNTED_LOCK:
            memo = _COUNTED.setdefault(backend, {})
    except TypeError:  # not weak-referenceable or not hashable
        return backend.count_tokens

    def count(text: str) -> int:
        tokens = memo.get(text)
        if tokens is None:
            tokens = backend.count_tokens(text)
            if len(memo) >= MAX_COUNTED:
                memo.clear()
            memo[text] = tokens
        return tokens

    return count


def _line_costs(count: Callable[[str], int], lines: Sequence[str], budget: int) -> list[int]:
    """Token costs of the longest prefix of ``lines`` (one line each, with its newline) that fits ``budget``.

    Stops at the first line that does not fit, so thousands of facts cost only what the budget holds.
    """
    costs: list[int] = []
    used = 0
    for line in lines:
        cost = count(line + "\n")
        if used + cost > budget:
            break
        costs.append(cost)
        used += cost
    return costs


def fit_prompt(
    backend: Backend,
    budget: int,
    render: Callable[[Sequence[str], str], str],
    fact_lines: Sequence[str],
    analysis: str = "",
) -> Prompt:
    """Fill ``render(facts, analysis)`` with the key-figure lines (in order) and analysis lines within
    ``budget`` tokens.

    The fixed text comes first; the figures, the text the model should cite, come next; the analysis notes
    fill what is left. The whole prompt is then counted with the backend's tokenizer and analysis lines,
    then figures from the last, are dropped until it fits; each text is tokenized once per backend
    (``token_counter``). Raises ``AgentError`` when even the fixed text does not fit.
    """
    count = token_counter(backend)
    fixed = count(render([], ""))
    if fixed > budget:
        raise AgentError(
            f"the prompt needs {fixed} tokens before any facts, over the budget of {budget} tokens "
            "(num_ctx minus room for the answer); raise num_ctx or lower num_predict"
        )
    free = budget - fixed
    heading = count(FACTS_HEADING + "\n\n") if fact_lines else 0
    fact_costs = _line_costs(count, [f"- {line}" for line in fact_lines], max(0, free - heading))
    facts = list(fact_lines[: len(fact_costs)])
    facts_cost = heading + sum(fact_costs) if facts else 0
    analysis_lines = analysis.strip().splitlines()
    notes = analysis_lines[: len(_line_costs(count, analysis_lines, max(0, free - facts_cost - 1)))]
    while True:
        text = render(facts, "\n".join(notes))
        tokens = count(text)
        if tokens <= budget or not (facts or notes):
            break
        if notes:
            notes = notes[:-1]
        else:
            facts = facts[:-1]
    return Prompt(text=text, tokens=tokens, facts=tuple(facts), analysis_lines=len(notes))
