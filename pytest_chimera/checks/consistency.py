"""Factual consistency: every number of a report, classified, and each claim matched against the facts.

Method (deterministic; every verdict carries its explanation):

1. **Find.** Each line of the parsed report is cleaned of markdown markup (inline code spans are masked: a
   file name is not a number) and split into sentences; ``numbers.find_numbers`` gives each number with its
   unit and the tolerance its digits imply ("28.3" -> +/-0.05). Table cells are read with their column
   header and row label as context.
2. **Classify.** ``date``, ``ordinal`` (list and section numbering), ``config`` (``key=value`` run options),
   ``run_metric`` (the seed layout's Metrics block and the Workflow Summary timings), ``other`` (model sizes
   such as 270m, the Persona Prompt's instructions, "... and 23 more" listing counts) and ``claim``.
3. **Match a claim.** Candidate facts have a unit compatible with the number's (s/ms/min, %, tok/s,
   GB/MB, the count noun it is written with: "44 files"; a bare number takes the unit word of its clause,
   else it is compared with unitless and count facts). A candidate must share at least one label with the
   number's clause (plus the bold or ``Key:`` lead of its line; the words nearest the number, back and
   forward to the next separator, count ``NEAR_WEIGHT`` times, and a bare bracketed restatement such as
   "(43.6%)" takes its head's). The clause is first split into per-number spans (``cl.own_clause``): words
   nearest another number ("28 files (8 CSV, ...": "CSV" is the 8's, not the 28's) are left out; the
   words before the clause's first number are shared by all, numbers joined by a connector ("272-883
   tokens") share theirs, and a bracketed restatement ("44 files (43.6%)") keeps its head's. A
   candidate's score is the sum of the matched labels' weights, ``1 + ln(N/df)`` within the unit's
   dimension, so rare words ("markdown") weigh more than common ones ("files"). When the clause names a
   model (gemma3-1b, 270m), facts about another model are dropped. Words carried by more than
   ``COMMON_DF`` facts (or ``COMMON_SHARE`` of a dimension) only add to the score of facts found through
   rarer words; when a number has nothing but such common words, its best fits are the facts carrying all
   of them.
4. **Verdict.** ``supported`` when a candidate whose score equals the best score has the value within the
   written precision (qualifiers widen or bound it: "approximately" +/-5%, "over 60ms" means > 60) and
   that agreement is no chance (see ``_by_chance``: a bound must hold for every best fit; N best fits
   spread over a range R are hit by chance by a number written to +/-t when N * 2t / R >= 1), or, failing
   that and with no contradiction, a candidate that names it specifically (below) has it.
   ``contradicted`` when one candidate alone has the best score, it matched at least ``MIN_NAMING_LABELS``
   labels of which one is specific (carried by at most ``SPECIFIC_DF`` facts of that unit), and its value
   disagrees: the sentence names a quantity the corpus defines. Otherwise ``unverified`` (nothing in the
   corpus supports it, or several facts fit the words equally and none has the value); the nearest
   candidate is shown.

Run metrics and config are checked the same way against the run's metrics, stage timings and options when
a run is given; otherwise their verdict is ``None`` (not checked). Dates, ordinals and other numbers have
verdict ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from pytest_chimera.checks import claims as cl
from pytest_chimera.checks.index import Dim, FactIndex, index_of
from pytest_chimera.checks.numbers import COUNT_NOUNS, Number, dimension, find_numbers
from pytest_chimera.checks.report import ParsedReport, parse_report
from pytest_chimera.evidence.facts import Fact, Facts

if TYPE_CHECKING:
    import numpy as np

VERDICTS = ("supported", "contradicted", "unverified")
KINDS = ("claim", "config", "run_metric", "date", "ordinal", "other")
SPECIFIC_DF = 5
NEAR_WEIGHT = 3.0
COMMON_DF = 1000
COMMON_SHARE = 0.02
CANDIDATE_CACHE = 4096
MIN_NAMING_LABELS = 2
APPROX_REL = 0.05
_COUNT_UNITS = frozenset(COUNT_NOUNS) | {"chars"}

# ---- results ------------------------------------------------------------------------------------------------


@dataclass
class NumberCheck:
    """One number of the report, its class (with the reason) and, for checked kinds, the verdict."""

    line: int
    text: str
    raw: str
    value: float
    unit: str
    kind: str
    reason: str
    part: str
    verdict: str | None = None
    fact: Fact | None = None
    explanation: str = ""

    def to_json(self) -> dict[str, Any]:
        fact = None
        if self.fact is not None:
            fact = {"key": self.fact.key, "value": self.fact.value, "unit": self.fact.unit, "source": self.fact.source}
        return {"line": self.line, "text": self.text, "raw": self.raw, "value": self.value, "unit": self.unit,
                "kind": self.kind, "reason": self.reason, "part": self.part, "verdict": self.verdict, "fact": fact,
                "explanation": self.explanation}

    def describe(self) -> str:
        """One line: where, what, the verdict and the nearest fact with its source."""
        excerpt = self.text if len(self.text) <= 90 else self.text[:87] + "..."
        out = f"line {self.line}: {self.raw!r} ({self.kind}) {self.verdict}: {self.explanation} -- \"{excerpt}\""
        if self.fact is not None:
            out += f" [fact {self.fact.key} = {_fmt(self.fact.value)} {self.fact.unit}".rstrip() + \
                f", from {self.fact.source}]"
        return out


@dataclass
class ConsistencyResult:
    """Every number of a report with its class and verdict."""

    numbers: list[NumberCheck]

    def counts(self) -> dict[str, int]:
        """{"supported", "contradicted", "unverified"}: how many checked numbers got each verdict."""
        out = dict.fromkeys(VERDICTS, 0)
        for n in self.numbers:
            if n.verdict in out:
                out[n.verdict] += 1
        return out

    def with_verdict(self, verdict: str) -> list[NumberCheck]:
        return [n for n in self.numbers if n.verdict == verdict]

    def to_json(self) -> list[dict[str, Any]]:
        return [n.to_json() for n in self.numbers]



# ---- matching -----------------------------------------------------------------------------------------------


@dataclass
class _Query:
    value: float
    unit: str
    tolerance: float
    bound: str  # "", "approx", "gt", "lt"
    bag: set[str]
    seq: list[str]
    models: frozenset[str]
    near_bag: set[str] = field(default_factory=set)
    near_seq: list[str] = field(default_factory=list)


def _context(text: str) -> tuple[list[str], set[str]]:
    seq = cl.tokens(text)
    bag = set(seq)
    for t in list(seq):
        if cl.PIECE_RE.search(t):
            bag.update(cl.stem(p) for p in cl.PIECE_RE.split(t) if p and not cl.NUMERIC_RE.match(p))
    return seq, bag


def _matched(d: Dim, bag: set[str], seq: list[str]) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = [(t,) for t in bag if (t,) in d.postings]
    n = len(seq)
    for k, t in enumerate(seq):
        for p in d.first.get(t, ()):
            if len(p) <= n - k and tuple(seq[k:k + len(p)]) == p:
                found.append(p)
    return list(dict.fromkeys(found))


def _dims_for(unit: str, index: FactIndex) -> list[str]:
    if unit in _COUNT_UNITS:
        return [unit] if unit in index.dims else [u for u in ("",) if u in index.dims]
    if unit:
        name = dimension(unit)[0]
        return [name] if name in index.dims else []
    return [u for u in ("", *sorted(_COUNT_UNITS)) if u in index.dims]


def _agrees(q: _Query, values: np.ndarray) -> np.ndarray:
    """Which values (in the claim's unit) agree with the claim within its written precision and bound."""
    import numpy as np

    v = q.value
    tol = q.tolerance + 1e-9 * max(1.0, abs(v))
    if q.bound == "gt":
        return np.asarray(values >= v - tol)
    if q.bound == "lt":
        return np.asarray(values <= v + tol)
    if q.bound == "approx":
        tol = max(tol, abs(v) * APPROX_REL)
    return np.asarray(np.abs(values - v) <= tol)


def _by_chance(q: _Query, best_values: np.ndarray, agreeing: int) -> str:
    """Why an agreement among several equally fitting facts proves nothing, or "".

    A bound ("over 60ms") must hold for every best fit. A value must be rarer than chance: with N best fits
    spread over a range R, a number written to +/-t hits one by chance when N * 2t / R >= 1.
    """
    n = best_values.size
    if n <= 1:
        return ""
    if q.bound in ("gt", "lt"):
        return "" if agreeing == n else f"only {agreeing} of them satisfy the bound"
    tol = q.tolerance if q.bound != "approx" else max(q.tolerance, abs(q.value) * APPROX_REL)
    spread = float(best_values.max() - best_values.min())
    if spread > 0 and n * 2 * tol / spread >= 1:
        return f"one agrees, but at this precision one of {n} values spread over {_fmt(spread)} would by chance"
    return ""


def _member(posting: np.ndarray, local: np.ndarray) -> np.ndarray:
    """1 where ``local`` (sorted ids) is in ``posting`` (sorted ids), else 0."""
    import numpy as np

    if local.size == 0:
        return np.zeros(0, dtype=np.int64)
    at = np.minimum(np.searchsorted(posting, local), posting.size - 1)
    member: np.ndarray = (posting[at] == local).astype(np.int64)
    return member


def _agreeing(d: Dim, phrase: tuple[str, ...], q: _Query, factor: float) -> np.ndarray:
    """Ids of the facts carrying ``phrase`` whose value agrees with the claim (binary search by value)."""
    import numpy as np

    order = d.by_value.get(phrase)
    if order is None:
        ids = d.postings[phrase]
        sort = np.argsort(d.values[ids], kind="stable")
        order = d.by_value[phrase] = (ids[sort], d.values[ids][sort])
    ids, vals = order
    v = q.value * factor
    tol = q.tolerance * factor + 1e-9 * max(1.0, abs(v))
    if q.bound == "approx":
        tol = max(tol, abs(v) * APPROX_REL)
    lo, hi = v - tol, v + tol
    if q.bound == "gt":
        hi = math.inf
    elif q.bound == "lt":
        lo = -math.inf
    found: np.ndarray = ids[np.searchsorted(vals, lo, "left"):np.searchsorted(vals, hi, "right")]
    return found


def match(q: _Query, index: FactIndex, min_labels: int = MIN_NAMING_LABELS) -> tuple[str, int | None, str]:
    """(verdict, global fact index or None, explanation) for one claim.

    ``min_labels``: labels a unique best fact must match to count as named (1 for a run's own metrics,
    whose few labels are curated)."""
    import numpy as np

    dims = _dims_for(q.unit, index)
    if not dims:
        shown = q.unit or "no unit"
        return "unverified", None, f"no fact has a unit compatible with {shown}"
    factor = dimension(q.unit)[1] if q.unit and q.unit not in _COUNT_UNITS else 1.0
    parts: list[tuple[Any, Any, Any, Any]] = []  # scores, global idx, values in the claim's unit, named
    top = 0.0
    for name in dims:
        d = index.dims[name]
        phrases = _matched(d, q.bag | q.near_bag, q.seq + ["|"] + q.near_seq)
        if not phrases:
            continue
        near = set(_matched(d, q.near_bag, q.near_seq)) if q.near_seq else set()
        weight = {p: d.weights[p] * (NEAR_WEIGHT if p in near else 1.0) for p in phrases}
        cap = max(COMMON_DF, int(COMMON_SHARE * len(d.facts)))
        scores: Any
        hits: Any
        rare_ph = [p for p in phrases if d.df[p] <= cap]
        common_ph = [p for p in phrases if d.df[p] > cap]
        if rare_ph:
            key = (name, tuple(sorted(weight.items())), q.models, min_labels)
            cached = index.candidates.get(key)
            if cached is not None:
                parts.append(cached)
                continue
            flat = np.concatenate([d.postings[p] for p in rare_ph])
            local = np.unique(flat)
            pos = np.searchsorted(local, flat)
            scores = np.bincount(pos, weights=np.repeat([weight[p] for p in rare_ph],
                                                        [d.df[p] for p in rare_ph]), minlength=local.size)
            hits = np.bincount(pos, minlength=local.size)
            part_top = 0.0
        else:
            key = None
            # only common words (each on more than `cap` facts): the best fits carry every one of them;
            # look for such a fact among those whose value agrees (binary search by value, then
            # intersect). None found: many facts fit and none of the best has the value.
            ordered = sorted(common_ph, key=lambda p: d.df[p])
            local = np.sort(_agreeing(d, ordered[0], q, factor))
            for p in ordered[1:]:
                if local.size == 0:
                    break
                local = local[_member(d.postings[p], local).astype(bool)]
            part_top = sum(weight[p] for p in common_ph)
            scores = np.full(local.size, part_top, dtype=float)
            hits = np.full(local.size, len(common_ph), dtype=np.int64)
        for p in common_ph if rare_ph else ():
            member = _member(d.postings[p], local)
            scores = scores + weight[p] * member
            hits = hits + member
        if q.models and local.size:
            allowed = d.model_ok.get(q.models)
            if allowed is None:
                ok_ids = np.array([not forms or bool(forms & q.models) for forms in d.models] + [True])
                allowed = d.model_ok[q.models] = ok_ids[d.model_id]  # model_id -1 picks the final True
            keep = allowed[local]
            local, scores, hits = local[keep], scores[keep], hits[keep]
        top = max(top, part_top)
        if local.size == 0:
            continue
        rare_hit = np.zeros(local.size, dtype=bool)
        for p in phrases:
            if d.df[p] <= SPECIFIC_DF:
                rare_hit |= _member(d.postings[p], local).astype(bool)
        named = rare_hit & (hits >= min_labels)
        part = (scores, d.facts_array[local], d.values[local], named)
        if key is not None:
            if len(index.candidates) >= CANDIDATE_CACHE:
                index.candidates.clear()
            index.candidates[key] = part
        parts.append(part)
    if not parts:
        if top:
            return "unverified", None, "many facts fit the words around it and none of them has this value"
        return "unverified", None, f"no fact with a unit compatible with {q.unit or 'a bare number'} is named " \
                                   "by the words around it"
    scores = np.concatenate([p[0] for p in parts])
    gidx = np.concatenate([p[1] for p in parts])
    values = np.concatenate([p[2] for p in parts]) / factor
    named = np.concatenate([p[3] for p in parts])
    agree = _agrees(q, values)
    top = max(top, float(scores.max()))
    best = scores >= top - 1e-9
    if not best.any():
        return "unverified", None, "many facts fit the words around it and none of the best fits has this value"
    distance = np.abs(values - q.value)
    hit = best & agree
    n_best = int(best.sum())
    nearest = int(np.flatnonzero(best)[np.argmin(distance[best])])
    if hit.any():
        k = int(np.flatnonzero(hit)[np.argmin(distance[hit])])
        doubt = _by_chance(q, values[best], int(hit.sum()))
        if doubt:
            return "unverified", int(gidx[k]), f"{n_best} facts fit the words equally; {doubt}"
        return "supported", int(gidx[k]), "a fact named by the same words has this value within the written precision"
    if n_best == 1 and named[nearest]:
        return "contradicted", int(gidx[nearest]), f"the fact it names is {_fmt_in(float(values[nearest]), q)}"
    weaker = named & agree
    if weaker.any():
        cand = np.flatnonzero(weaker)
        k = int(cand[np.lexsort((distance[cand], -scores[cand]))[0]])
        return "supported", int(gidx[k]), (f"a fact that names it specifically has this value within the written "
                                           f"precision ({n_best} facts fit the words better, none with this value)")
    why = "several facts fit the words equally" if n_best > 1 else "the words name no specific fact"
    return "unverified", int(gidx[nearest]), (f"{why} and none has this value; nearest "
                                              f"{_fmt_in(float(values[nearest]), q)}")


def _fmt(value: float) -> str:
    return f"{value:.6g}" if abs(value) < 1e6 else f"{value:,.0f}"


def _fmt_in(value: float, q: _Query) -> str:
    decimals = max(0, -int(round(math.log10(q.tolerance * 2)))) if q.tolerance > 0 else 2
    shown = f"{value:.{decimals}f}"
    if math.isclose(float(shown), q.value):
        shown = f"{value:.{decimals + 1}f}"
    unit = q.unit or ""
    return f"{shown}{unit}" if unit == "%" else f"{shown} {unit}".rstrip()



# ---- runs ---------------------------------------------------------------------------------------------------

_RUN_LABELS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "tokens_per_s": ("tok/s", "metrics", ("throughput", "tokens per second", "tok/s", "decode speed", "speed")),
    "ttft_ms": ("ms", "metrics", ("ttft", "time to first token", "first token")),
    "total_ms": ("ms", "metrics", ("total duration", "total")),
    "eval_count": ("tokens", "metrics", ("tokens generated", "generated tokens", "eval count", "tokens")),
    "prompt_eval_count": ("tokens", "metrics", ("prompt tokens", "prompt eval count")),
    "prompt_eval_ms": ("ms", "metrics", ("prompt eval", "prompt evaluation", "prompt")),
    "eval_ms": ("ms", "metrics", ("eval duration", "eval")),
    "load_ms": ("ms", "metrics", ("load duration", "load")),
    "wall_ms": ("ms", "metrics", ("wall", "wall time", "wall clock")),
}
_STAGE_LABELS: dict[str, tuple[str, ...]] = {
    "ingest_ms": ("ingest", "ingestion"),
    "analysis_ms": ("analysis",),
    "report_ms": ("report", "report generation"),
    "total_ms": ("execution time", "execution", "total time", "total"),
}
_OPTION_ALIASES = {"temp": "temperature", "ctx": "num_ctx", "n_ctx": "num_ctx", "n_gpu_layers": "num_gpu",
                   "threads": "num_thread", "n_threads": "num_thread"}


class RunLike(Protocol):
    """What the checks read of a run (``pytest_chimera.ReportRun`` has it): its text and what it measured."""

    @property
    def markdown(self) -> str: ...

    @property
    def stages(self) -> Mapping[str, float]: ...

    @property
    def options(self) -> Mapping[str, Any]: ...

    @property
    def metrics(self) -> Mapping[str, float]: ...


def _run_parts(run: RunLike | Mapping[str, Any]) -> tuple[Mapping[str, Any], Mapping[str, Any], Mapping[str, Any]]:
    if isinstance(run, Mapping):  # a run JSON (ReportRun.to_json)
        return run.get("metrics") or {}, run.get("stages") or {}, run.get("options") or {}
    return run.metrics, run.stages, run.options


def run_facts(run: RunLike | Mapping[str, Any]) -> tuple[Facts, dict[str, float]]:
    """(Facts of the run's metrics and stage timings, numeric options by name) of a run or its JSON."""
    metrics, stages, run_options = _run_parts(run)
    records: list[Fact] = []
    for name, value in metrics.items():
        unit, _, labels = _RUN_LABELS.get(name, ("", "metrics", (name,)))
        records.append(Fact(f"run.metrics.{name}", float(value), unit, f"run metrics: {name}", labels))
    for name, value in stages.items():
        records.append(Fact(f"run.stages.{name}", float(value), "ms", f"run stages: {name}",
                            _STAGE_LABELS.get(name, (name,)) + ("stage",)))
    options: dict[str, float] = {}
    for key, value in run_options.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            options[key.lower()] = float(value)
    return Facts.from_records(records), options



def check_consistency(report: ParsedReport | str, facts: Facts,
                      run: RunLike | Mapping[str, Any] | None = None) -> ConsistencyResult:
    """Classify every number of ``report`` and give each claim (and, with ``run``, each run metric and
    config number) a verdict against ``facts``."""
    parsed = parse_report(report) if isinstance(report, str) else report
    index = index_of(facts)
    run_index: FactIndex | None = None
    options: dict[str, float] = {}
    if run is not None:
        rf, options = run_facts(run)
        run_index = FactIndex(rf)
    out: list[NumberCheck] = []
    for unit in cl.units_of(parsed):
        text = unit.text if unit.in_code else cl.BULLET.sub("", cl.clean(unit.text), count=1)
        nums = find_numbers(text)
        if not nums:
            continue
        lead = cl.lead(cl.LINE_LEAD.sub("", text, count=1) if not unit.in_code else text)
        sentences = cl.sentences(text)
        for k, num in enumerate(nums):
            s_at, sentence = next(((a, s) for a, s in reversed(sentences) if a <= num.start), (0, text))
            before = text[max(0, num.start - 30):num.start]
            kind, reason = cl.classify(num, unit, before)
            check = NumberCheck(unit.line, unit.excerpt or sentence.strip(), num.raw, num.value, num.unit, kind,
                                reason, unit.part)
            if kind in ("claim", "run_metric"):
                clause, c_at = cl.clause(sentence, num.start - s_at)
                lo, hi = s_at + c_at, s_at + c_at + len(clause)
                near = cl.near(text, nums, k, lo, hi)
                if k and not cl.tokens(near) and cl.APPOSITIVE.fullmatch(text, nums[k - 1].end, num.start):
                    near = cl.near(text, nums, k - 1, lo, hi)  # a bare restatement "(43.6%)": its head's words
                own = cl.own_clause(text, nums, k, lo, hi)
                unit_name = num.unit or cl.infer_unit(num, clause, num.start - s_at - c_at) or \
                    cl.infer_unit(num, unit.context, 0)
                check.unit = unit_name
                ctx = f"{lead} {own} {unit.context}" if lead and lead not in clause else f"{own} {unit.context}"
                seq, bag = _context(ctx)
                near_seq, near_bag = _context(f"{near} {unit.context}")
                models = (cl.models_named(near) or cl.models_named(own) or cl.models_named(unit.context)
                          or cl.models_named(sentence))
                q = _Query(num.value, unit_name, num.tolerance, cl.bound(before), bag, seq, models, near_bag, near_seq)
                if kind == "claim":
                    verdict, at, why = match(q, index)
                    check.verdict, check.explanation = verdict, why
                    check.fact = index.fact(at) if at is not None else None
                elif run_index is not None:
                    verdict, at, why = match(q, run_index, min_labels=1)
                    check.verdict, check.explanation = verdict, why
                    check.fact = run_index.fact(at) if at is not None else None
                else:
                    check.explanation = "not checked: no run given (pass a ReportRun, or --run run.json)"
            elif kind == "config":
                _check_config(check, num, options, run is not None)
            out.append(check)
    return ConsistencyResult(out)



def _check_config(check: NumberCheck, num: Number, options: Mapping[str, float], have_run: bool) -> None:
    if not have_run:
        check.explanation = "not checked: no run given (pass a ReportRun, or --run run.json)"
        return
    key = (num.key or "").lower()
    key = _OPTION_ALIASES.get(key, key)
    if key not in options:
        check.verdict = "unverified"
        check.explanation = f"the run has no option {key!r}"
        return
    actual = options[key]
    check.fact = Fact(f"run.options.{key}", actual, "", f"run options: {key}", (key,))
    if abs(actual - num.value) <= num.tolerance + 1e-9:
        check.verdict, check.explanation = "supported", f"the run's {key} is {_fmt(actual)}"
    else:
        check.verdict, check.explanation = "contradicted", f"the run's {key} is {_fmt(actual)}"


def iter_offending(result: ConsistencyResult, verdicts: Iterable[str] = ("contradicted", "unverified")
                   ) -> list[NumberCheck]:
    """Numbers whose verdict is one of ``verdicts``, in report order."""
    wanted = set(verdicts)
    return [n for n in result.numbers if n.verdict in wanted]
