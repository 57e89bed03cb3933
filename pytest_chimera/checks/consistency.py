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

A quoted field of a JSON snippet the report says it took from the corpus (``"iterations": 1000`` under "File:
conv_bench_20251002-170837.json") is first checked against the fields that file (or any JSON file) has: see
``fields``.

Run metrics and config are checked the same way against the run's metrics, stage timings and options when
a run is given; otherwise their verdict is ``None`` (not checked). Dates, ordinals and other numbers have
verdict ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from pytest_chimera.checks import claims as cl
from pytest_chimera.checks import clauses, fields, pairing, paths
from pytest_chimera.checks import countnames as cn
from pytest_chimera.checks.absentfiles import absent_files, called_examples
from pytest_chimera.checks.countwords import in_english, latin_words
from pytest_chimera.checks.cutoff import CUT_OFF, is_cut_off, part_ends
from pytest_chimera.checks.index import FactIndex, index_of
from pytest_chimera.checks.matching import match
from pytest_chimera.checks.memo import Repeats
from pytest_chimera.checks.numbers import Number, find_numbers
from pytest_chimera.checks.query import COUNT_UNITS, FILE_DIMS, Decision, Query, context
from pytest_chimera.checks.rangeends import judge_ends, range_pairs
from pytest_chimera.checks.report import Outline, ParsedReport, outline
from pytest_chimera.checks.sums import judge_sums, sums
from pytest_chimera.checks.topicshare import topic_share
from pytest_chimera.evidence.facts import Fact, Facts

VERDICTS = ("supported", "contradicted", "unverified")
KINDS = ("claim", "config", "run_metric", "date", "ordinal", "other", "cut_off")
RULES = ("exact fact", "derived", "span", "chance guard")

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
    rule: str = ""  # the rule that decided the verdict (RULES), "" when none did

    def to_json(self) -> dict[str, Any]:
        fact = None
        if self.fact is not None:
            fact = {"key": self.fact.key, "value": self.fact.value, "unit": self.fact.unit, "source": self.fact.source}
        return {"line": self.line, "text": self.text, "raw": self.raw, "value": self.value, "unit": self.unit,
                "kind": self.kind, "reason": self.reason, "part": self.part, "verdict": self.verdict, "fact": fact,
                "explanation": self.explanation, "rule": self.rule}

    def decide(self, decision: Decision, index: FactIndex) -> None:
        """Take a verdict, its fact and its explanation (which ends with the rule that decided)."""
        self.verdict, self.rule = decision.verdict, decision.rule
        self.explanation = decision.explanation + (f" (rule: {decision.rule})" if decision.rule else "")
        self.fact = index.fact(decision.fact) if decision.fact is not None else None

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



def _fmt(value: float) -> str:
    return f"{value:.6g}" if abs(value) < 1e6 else f"{value:,.0f}"


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
    """(metrics, stages, options) of a run or its JSON; metrics the backend could not measure
    (``missing_metrics``) are left out, as their aggregated 0 is no fact."""
    if isinstance(run, Mapping):  # a run JSON (ReportRun.to_json)
        metrics, stages, options = run.get("metrics") or {}, run.get("stages") or {}, run.get("options") or {}
        missing = run.get("missing_metrics") or ()
    else:
        metrics, stages, options = run.metrics, run.stages, run.options
        missing = getattr(run, "missing_metrics", ())
    if missing:
        metrics = {name: value for name, value in metrics.items() if name not in missing}
    return metrics, stages, options


# what most of the counted things are, said after the count: no name of the counted set itself
_MAJORITY = re.compile(r"\b(?:primarily|predominantly|mainly|mostly|largely|chiefly|principally|(?:the\s+)?"
                       r"(?:predominance|dominance|prevalence|majority)\s+of)\b[^)\].;]*", re.I)
# a model size ("13B parameters") is checked against the sizes of all the corpus's models, whichever its clause
# names: supported when one has it, contradicted outside their span, else unverified. Which model a size is of is
# not read: a clause that names two models often gives the second one's size ("A is faster than B (8B
# parameters)", "than B, which has 8B parameters"), and reading it as the first's contradicted right sizes
_SIZE_WORDS = "model size parameters"


def _models_of(reading: clauses.Reading, unit: cl._Unit, near: str, own: str
               ) -> tuple[frozenset[str], frozenset[str]]:
    """(models, families) a claim is about: the model its clause says it is about (``subjects``), else the ones
    its context names; a family written without digits ("Gemma 3") is no mention's family: read from the
    clause."""
    if reading.about is not None:
        models, families = cl.models_named(reading.about), cl.families_named(reading.about)
    else:
        models = (cl.models_named(unit.context) or cl.models_named(unit.subject)
                  or cl.models_named(reading.subjects) or cl.models_named(unit.parents))
        families = frozenset()
    families = families or (cl.families_named(near) or cl.families_named(own) or cl.families_named(unit.context)
                            or cl.families_named(unit.subject) or cl.families_named(unit.parents))
    return models, families


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



def check_consistency(report: ParsedReport | Outline | str, facts: Facts,
                      run: RunLike | Mapping[str, Any] | None = None, max_numbers: int | None = None
                      ) -> ConsistencyResult:
    """Classify every number of ``report`` and give each claim (and, with ``run``, each run metric and
    config number) a verdict against ``facts``. A line that repeats an earlier one takes its checks (see
    ``memo``); ``max_numbers``: raise ``memo.TooManyNumbers`` once the numbers on the other lines exceed it."""
    parsed = outline(report) if isinstance(report, str) else report  # the numbers need no more than the outline
    index = index_of(facts)
    run_index: FactIndex | None = None
    options: dict[str, float] = {}
    if run is not None:
        rf, options = run_facts(run)
        run_index = FactIndex(rf)
    out: list[NumberCheck] = []
    source: list[list[str]] = []  # the report's lines, split on first use
    text_lines = parsed.source.count("\n") + (not parsed.source.endswith("\n"))  # as an editor counts them
    repeats = Repeats(max_numbers, text_lines)
    seen: dict[Any, Any] = {}  # what matching keeps for the next claim of this check (``match``), never longer
    ends = part_ends(parsed)
    latin = latin_words(parsed.source)  # "Archivos JSON: 44": ASCII lines are read for "file" words too
    for unit in cl.iter_units(parsed):
        at_end = unit.line in ends  # a part's last line is read afresh: the same words earlier were not cut off
        repeated = repeats.repeat(unit)  # by the line as written: two spellings of "файлы" are two lines
        written = None  # the unit as written, where another language's word for "file" was read in English
        if latin or not (unit.text.isascii() and unit.context.isascii() and unit.parents.isascii()
                         and unit.hint.isascii()):
            english = replace(unit, text=in_english(unit.text, latin), context=in_english(unit.context, latin),
                              parents=in_english(unit.parents, latin), hint=in_english(unit.hint, latin))
            if english != unit:  # "файлов": files, at the same offsets
                written, unit = unit, english
        if repeated is not None and not at_end:
            out.extend(repeated)
            continue
        # a line's heading, quote and bullet markers go; a table cell has none ("> 1000 ms" is a bound)
        text = _cleaned(unit)
        nums = find_numbers(text)
        if not nums:
            continue
        shown = _cleaned(written) if written is not None else None
        if shown is not None and len(shown) != len(text):
            shown = None
        if repeated is None:  # a repeated line's numbers are free, read afresh or not
            repeats.count(len(nums), unit)
        first = len(out)
        lead = cl.lead(cl.LINE_LEAD.sub("", text, count=1) if not unit.in_code else text)
        kinds = [cl.classify(num, unit, text[max(0, num.start - 60):num.start], text[num.end:num.end + 80])
                 for num in nums]  # the words next to each number, not the rest of a long line
        if at_end and not unit.in_code and kinds[-1][0] == "claim" and \
                is_cut_off(nums[-1], text, ends[unit.line]):
            kinds[-1] = ("cut_off", CUT_OFF)
        wanted = {k for k, (kind, _) in enumerate(kinds) if kind in ("claim", "run_metric")}
        readings = clauses.read_line(text, nums, lead, wanted) if wanted else [None] * len(nums)
        units: dict[int, str] = {}
        paired = pairing.paired(text, nums, kinds) if wanted else {}
        path_of = _named_path(unit, nums) if wanted else None
        added = sums(text, nums) if wanted else []  # "44 JSON + 29 Markdown = 73 files": the terms count files
        of_sum = {k: nums[result].unit for terms, result in added for k in terms if nums[result].unit}
        for k, num in enumerate(nums):
            reading = readings[k]
            before = text[max(0, num.start - 30):num.start]
            kind, reason = kinds[k]
            if shown is None:
                excerpt = unit.excerpt or (reading.excerpt.strip() if reading is not None else _excerpt(text, num))
                raw = num.raw
            else:  # the words and the number as written: the reading's excerpt, at its offsets in the line
                said = reading.excerpt.strip() if reading is not None else ""
                at = text.find(said) if said else -1
                excerpt = unit.excerpt or (shown[at:at + len(said)] if at >= 0 else _excerpt(shown, num))
                raw = _as_written(shown, num)
            check = NumberCheck(unit.line, excerpt, raw, num.value, num.unit, kind, reason, unit.part)
            if reading is not None:
                near, own = reading.near, reading.own
                unit_name = "parameters" if num.form == "model" else (
                    num.unit or of_sum.get(k) or cl.infer_unit(num, reading.clause, reading.offset)
                    or cl.infer_unit(num, unit.hint or unit.context, -1))
                if reading.total_of is not None:  # "(44 out of 101)": the total of what the 44 counts
                    unit_name = num.unit or units.get(reading.total_of, "") or unit_name
                units[k] = check.unit = unit_name
                in_lead = (unit_name in FILE_DIMS or unit_name == "%") and bool(cn.type_of(lead)) and \
                    cn.in_lead(text, lead, num)
                if in_lead:  # "CSV Files (28): ... for the gemma3 models", "JSON Files (approx. 73%): Contain ...":
                    # the label's words name the count or share
                    near = own = lead
                if num.form == "model":  # a model size: see _SIZE_WORDS
                    ctx = _SIZE_WORDS
                else:
                    ctx = f"{lead} {own} {unit.context}" if lead and not reading.lead_in_clause else \
                        f"{own} {unit.context}"
                    if reading.total_of is not None:
                        ctx = own
                    if k in paired:  # "CSV, JSON and Markdown files: 28, 44 and 29": the list's item of this number
                        ctx = ctx.replace(*paired[k])
                    if unit_name in COUNT_UNITS and (most := _MAJORITY.search(reading.clause, reading.offset)):
                        ctx = ctx.replace(most.group(0), " ")  # "101 files (primarily JSON and Markdown)"
                    if num.unit in COUNT_UNITS and num.unit[:-1] not in num.raw.lower():
                        ctx = f"{ctx} {num.unit}"  # "101个文件": the count noun, in words the labels read
                    elif k in of_sum and not num.unit and of_sum[k] in COUNT_UNITS:
                        ctx = f"{ctx} {of_sum[k]}"  # a sum's term: its result's count noun
                seq, bag = context(ctx)
                if unit.parents and reading.total_of is None:  # a nested item's parents' leads, a phrase apart
                    parent_seq, parent_bag = context(unit.parents)
                    seq, bag = [*seq, "|", *parent_seq], bag | parent_bag
                near_seq: list[str] = []
                near_bag: set[str] = set()
                models = families = frozenset[str]()  # a model size: of no model (see _SIZE_WORDS)
                if num.form != "model":
                    if k in paired:
                        near = near.replace(*paired[k])
                    near_seq, near_bag = context(f"{near} {unit.context}")
                    models, families = _models_of(reading, unit, near, own)
                q_words = cn.qualifier(text, num.end, unit_name) if k not in of_sum or unit_name not in COUNT_UNITS \
                    else frozenset(context(text[num.end:nums[k + 1].start].strip(" +=~≈"))[1])  # a term: "44 JSON +"
                subset = cn.lead_subset(text, lead, num, unit_name) if not q_words else frozenset()
                if not q_words and unit_name in FILE_DIMS:  # "Total JSON files: 44", "| Total JSON Documents | 44 |"
                    q_words = cn.type_of(f"{lead} {unit.context}" if subset else unit.context)
                    if k in paired and not q_words:  # "The dataset ... JSON and Markdown files (44 and 29
                        q_words = cn.type_of(f"{paired[k][1]} files")  # respectively)": the item's type
                q = Query(num.value, unit_name, num.tolerance, cl.bound(before), bag, seq, models, near_bag, near_seq,
                          families, own, qualifier=q_words, sentence=reading.sentence, subset=subset,
                          share_of=cn.share_of(text, num) if unit_name == "%" else "", after=text[num.end:num.end + 80],
                          inferred=not num.unit and not cn.labels_noun(f"{lead} {unit.context}", unit_name))
                field = fields.field_before(text, num.start) if unit.in_code and kind == "claim" else ""
                decided = _snippet_field(field, unit.line, parsed, index, source) if field else None
                if decided is None and kind == "claim" and path_of is not None and k == path_of[1]:
                    decided = paths.decide(path_of[0], q, index, unit_inferred=not num.unit)
                if decided is not None:
                    check.decide(decided, index)
                elif kind == "claim":
                    decided = match(q, index, seen=seen)
                    if decided.verdict == "unverified" and unit_name == "%":  # "86% of files are compilation ..."
                        decided = topic_share(q, index, text, num.start, num.end) or decided
                    check.decide(decided, index)
                elif run_index is not None:
                    check.decide(match(q, run_index, min_labels=1), run_index)
                else:
                    check.explanation = "not checked: no run given (pass a ReportRun, or --run run.json)"
            elif kind == "config":
                _check_config(check, num, options, run is not None)
            elif kind == "cut_off":
                check.explanation = f"not checked: {CUT_OFF}"
            out.append(check)
        if wanted and (pairs := range_pairs(text, nums)):
            judge_ends(text, nums, out[first:], pairs, index)
        if added:
            judge_sums(text, nums, out[first:], added)
        if wanted and any(c.verdict == "supported" and c.kind == "claim" for c in out[first:]):
            if not source:
                source.append(parsed.source.split("\n"))
            _of_absent_files(unit, nums, out[first:], index, source[0])
        if not at_end:
            repeats.keep(out[first:])
    return ConsistencyResult(out)



def _of_absent_files(unit: cl._Unit, nums: list[Number], checks: list[NumberCheck], index: FactIndex,
                     lines: list[str]) -> None:
    """Unverify each supported claim about files the corpus lacks: every file named before it on its line, or
    in its table row's first cell (``absentfiles``), unless the text above its table or list calls them
    examples."""
    row = unit.excerpt.split(" | ", 1)[0] if unit.context else None  # a table cell: its row's label
    for num, check in zip(nums, checks, strict=True):
        if check.kind != "claim" or check.verdict != "supported":
            continue
        at = unit.text.find(num.raw)  # the line as written: the markup cleaner drops a code span's digits
        absent = absent_files(row if row is not None else unit.text[:at] if at >= 0 else unit.text, index)
        if absent and not called_examples(lines, unit.line):
            check.verdict, check.rule = "unverified", ""
            check.explanation = (f"the line is about {', '.join(absent)}, which the corpus does not hold; a fact "
                                 f"of another file agrees ({check.explanation})")


def _cleaned(unit: cl._Unit) -> str:
    """A unit's text as its numbers are read from: a line's heading, quote and bullet markers go; a table cell has
    none ("> 1000 ms" is a bound); code is as written."""
    if unit.in_code:
        return unit.text
    return cl.clean(unit.text) if unit.context else cl.BULLET.sub("", cl.clean(unit.text), count=1)


def _as_written(shown: str, num: Number) -> str:
    """``num``'s text as ``shown`` writes it at the same offsets, its unit word whole ("101 файлов", read as
    "101 files")."""
    end = num.end
    while end < len(shown) and shown[end].isalnum():
        end += 1
    return shown[num.start:end]


def _snippet_field(field: str, line: int, parsed: ParsedReport | Outline, index: FactIndex, source: list[list[str]]
                   ) -> Decision | None:
    """The verdict on a quoted JSON field's value in a snippet the report says it took from the corpus, or
    ``None`` (see ``fields``)."""
    known = fields.json_fields(index)
    if not known.by_file:
        return None
    if not source:
        source.append(parsed.source.split("\n"))
    named, taken = fields.snippet_source(source[0], line, known.by_file)
    return fields.check_field(field, named, known) if taken else None


def _named_path(unit: cl._Unit, nums: list[Number]) -> tuple[str, int] | None:
    """(the indexed JSON path, the number of ``nums`` it names): the number right after the path on a line, or
    a table row's one number when the row's first cell names it (``paths``); ``None`` when there is none."""
    if unit.row_label:
        named = paths.named_path(unit.row_label)
        return (named.path, 0) if named is not None and len(nums) == 1 else None
    named = paths.named_path(unit.text) if not unit.context else None
    if named is None:
        return None
    k = next((k for k, num in enumerate(nums) if paths.names_number(named, num.raw)), None)
    return (named.path, k) if k is not None else None


def _excerpt(text: str, num: Number) -> str:
    """The sentence of a number that is not a claim (or ``WINDOW`` characters around it in a long one)."""
    if len(text) <= 2 * clauses.WINDOW:
        return text.strip()
    return text[max(0, num.start - clauses.WINDOW):num.end + clauses.WINDOW].strip()


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
    check.rule = "exact fact"
    if abs(actual - num.value) <= num.tolerance + 1e-9:
        check.verdict, check.explanation = "supported", f"the run's {key} is {_fmt(actual)}"
    else:
        check.verdict, check.explanation = "contradicted", f"the run's {key} is {_fmt(actual)}"


def iter_offending(result: ConsistencyResult, verdicts: Iterable[str] = ("contradicted", "unverified")
                   ) -> list[NumberCheck]:
    """Numbers whose verdict is one of ``verdicts``, in report order."""
    wanted = set(verdicts)
    return [n for n in result.numbers if n.verdict in wanted]
