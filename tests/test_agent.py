"""The Chimera agent with a deterministic fake backend: stages, grounding, budget, layout, multi-agent."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from agent_fakes import ANALYSIS_TEXT, FakeBackend, FakeCorpus, fake_facts
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_chimera.agent import chimera as ag
from pytest_chimera.agent import layout as lay
from pytest_chimera.agent import prompts
from pytest_chimera.agent.figures import key_figures
from pytest_chimera.agent.personas import BUILTIN, COLLECTOR, INSIGHT, PersonaError, resolve_persona
from pytest_chimera.agent.runs import aggregate
from pytest_chimera.evidence.facts import Fact, Facts


def run(backend: FakeBackend | None = None, **kwargs: object) -> tuple[FakeBackend, ag.ReportRun]:
    backend = backend or FakeBackend()
    kwargs.setdefault("facts", Facts.from_records(fake_facts()))
    return backend, ag.run_agent(ag.TimedCorpus(FakeCorpus(), 12.5), backend, **kwargs)  # type: ignore[arg-type]


# --- stages -------------------------------------------------------------------------------------------


def test_two_stages_each_timed_and_recorded() -> None:
    backend, result = run()
    assert [c.stage for c in result.calls] == ["analysis", "report"]
    assert [c.text for c in result.calls] == [backend.texts["analysis"], backend.texts["report"]]
    assert set(result.stages) == {"ingest_ms", "analysis_ms", "report_ms", "total_ms"}
    assert result.stages["ingest_ms"] == 12.5
    assert result.stages["analysis_ms"] > 0 and result.stages["report_ms"] > 0
    assert result.stages["total_ms"] == pytest.approx(sum(result.stages[k] for k in ("ingest_ms", "analysis_ms",
                                                                                      "report_ms")))
    analysis_prompt, report_prompt = backend.prompts
    assert analysis_prompt.startswith("Benchmark Data Analysis")
    assert analysis_prompt.endswith("## Key Findings\n\n- The corpus holds")  # a findings list to continue
    assert "Automate Tuning" in report_prompt  # the analysis notes feed the report call
    assert INSIGHT.prompt in report_prompt
    # the model continues the report's first lines, which end in a sentence stem a report completes with figures
    assert report_prompt.endswith("# Technical Report: Chimera Agent B Analysis\n\n## 1. Executive Summary\n\n"
                                  "- The corpus holds")
    assert (result.persona, result.model, result.backend, result.corpus) == ("insight", "fake:1", "fake", "/corpus")
    assert result.persona_prompt == INSIGHT.prompt and result.agent_name == "Chimera Agent B"


def test_options_reach_every_call_and_the_run() -> None:
    backend = FakeBackend()
    backend.name = "llama-cpp"  # a backend that takes min_p
    backend, result = run(backend, options={"num_ctx": 2048, "temperature": 1.0, "num_gpu": 80, "stop": "END"})
    given = {"num_ctx": 2048, "temperature": 1.0, "num_gpu": 80}
    # each call adds its stop strings after the caller's: the analysis ends at the next heading, the report
    # at a new document or where the model starts to copy the figures a second time
    # (and min_p=0.1 unless given), recorded with each call
    assert backend.call_options == [
        {"min_p": 0.1, **given, "stop": ["END", "\n# ", "\n## "]},
        {"min_p": 0.1, **given, "stop": ["END", "\n# ", prompts.FACTS_HEADING, "The corpus holds"]},
    ]
    assert [c.options for c in result.calls] == backend.call_options
    assert result.options == {**given, "stop": "END"}
    assert ag.ReportRun.from_json(result.to_json()).calls == result.calls


def test_call_options_keep_the_callers_stops_first_and_once_and_its_min_p() -> None:
    assert prompts.call_options({}, ("a", "b")) == {"min_p": 0.1, "stop": ["a", "b"]}
    assert prompts.call_options({"stop": ["b", "c"], "seed": 1, "min_p": 0.0}, ("a", "b")) == {
        "stop": ["b", "c", "a"], "seed": 1, "min_p": 0.0}
    assert prompts.call_options({"seed": 1}, ("a",), "ollama") == {"min_p": 0.1, "seed": 1, "stop": ["a"]}
    # the OpenAI API has no min_p (that backend refuses options it cannot apply), nor does a replayed call sample
    assert prompts.call_options({"seed": 1}, ("a",), "openai") == {"seed": 1, "stop": ["a"]}
    assert prompts.call_options({}, ("a",), "replay") == {"stop": ["a"]}


def test_corpus_path_is_loaded_and_timed(tmp_path: Path) -> None:
    (tmp_path / "runs.csv").write_text("model,tokens_s\ngemma3:270m,41.5\ngemma3:1b,20.1\n", encoding="utf-8")
    backend = FakeBackend()
    result = ag.run_agent(tmp_path, backend, grounding=False)
    assert result.stages["ingest_ms"] > 0
    assert "- Files analyzed: 1" in result.markdown
    assert "runs.csv" in backend.prompts[0]


def test_missing_corpus_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ag.AgentError, match="corpus .*nope.* is not a directory"):
        ag.run_agent(tmp_path / "nope", FakeBackend())


def test_a_corpus_without_corpus_files_is_an_error_before_any_model_call(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("28 files", encoding="utf-8")
    backend = FakeBackend()
    with pytest.raises(ag.AgentError, match="holds no .csv, .json or .md file"):
        ag.run_agent(tmp_path, backend)
    from pytest_chimera.evidence.corpus import load_corpus

    with pytest.raises(ag.AgentError, match="holds no .csv, .json or .md file"):  # a loaded one as well
        ag.run_multi_agent(load_corpus(tmp_path), backend)
    assert backend.prompts == []


def test_progress_reports_each_stage_and_tokens_so_far() -> None:
    events: list[ag.Progress] = []
    _, result = run(on_progress=events.append)
    stages = [e.stage for e in events]
    assert stages[0] == "ingest" and stages[-1] == "done"
    assert stages.index("analysis") < stages.index("report")
    report_tokens = [e.tokens for e in events if e.stage == "report"]
    assert report_tokens == sorted(report_tokens) and report_tokens[-1] == result.calls[1].metrics.eval_count
    assert events[-1].tokens == sum(c.metrics.eval_count for c in result.calls)
    assert {e.agent for e in events} == {"Chimera Agent B"}


# --- grounding and the context budget ---------------------------------------------------------------------


def test_grounded_prompts_carry_the_key_figures_in_place_of_the_inventory() -> None:
    backend, _ = run()
    for prompt in backend.prompts:
        assert f"{prompts.FACTS_HEADING}\n- The corpus holds 101 files: 28 CSV and 29 Markdown (28.71%).\n" \
               "- Median TTFT of gemma3:270m: 812.5 ms (baseline).\n\n" in prompt
        assert FakeCorpus().data_summary() not in prompt  # the figures state the inventory


def test_ungrounded_prompts_carry_the_inventory_only() -> None:
    backend, _ = run(grounding=False)
    summary = FakeCorpus().data_summary()
    assert backend.prompts[0] == prompts.analysis_document(summary, [])
    for prompt in backend.prompts:
        assert prompts.FACTS_HEADING not in prompt
        assert "files.total" not in prompt and "tokens_s.mean" not in prompt
        assert summary in prompt


def test_grounding_without_facts_computes_them(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[object] = []

    def compute(corpus: object) -> Facts:
        seen.append(corpus)
        return Facts.from_records(fake_facts())

    monkeypatch.setattr("pytest_chimera.evidence.facts.compute_facts", compute)
    backend = FakeBackend()
    corpus = FakeCorpus()
    ag.run_agent(ag.TimedCorpus(corpus, 1.0), backend)  # type: ignore[arg-type]
    assert seen == [corpus]  # unwrapped: the facts see the real corpus
    assert "- The corpus holds 101 files" in backend.prompts[0]


def test_prompts_fit_the_context_budget_key_figures_before_notes() -> None:
    facts = Facts.from_records(fake_facts(extra=300))
    figures = [f"- {line}" for line in key_figures(facts, INSIGHT)]
    counts = []
    for num_ctx in (150, 166, 176, 4096):
        backend, _ = run(facts=facts, options={"num_ctx": num_ctx, "num_predict": 64})
        budget = prompts.prompt_budget(backend, {"num_ctx": num_ctx, "num_predict": 64})
        assert budget == num_ctx - 64
        for prompt in backend.prompts:
            assert backend.count_tokens(prompt) <= budget
            included = [line for line in prompt.splitlines() if line in figures]
            assert included == figures[: len(included)]  # a prefix: the inventory first, the last dropped first
        report_prompt = backend.prompts[1]
        counts.append(len([line for line in report_prompt.splitlines() if line in figures]))
        if "Analyst notes from" in report_prompt:  # analyst notes get only the room the figures leave
            assert counts[-1] == len(figures)
    assert counts == sorted(counts) and counts[0] < counts[-1] == len(figures)
    assert "Automate Tuning" in backend.prompts[1]


def test_a_context_too_small_for_the_prompt_names_num_ctx() -> None:
    with pytest.raises(ag.AgentError, match="raise num_ctx or lower num_predict"):
        run(options={"num_ctx": 64})


def test_context_size_falls_back_to_the_backend_then_2048() -> None:
    assert prompts.context_size(FakeBackend(num_ctx=8192), {}) == 8192
    assert prompts.context_size(FakeBackend(num_ctx=8192), {"num_ctx": 1024}) == 1024
    assert prompts.context_size(FakeBackend(), {}) == prompts.DEFAULT_NUM_CTX
    assert prompts.prompt_budget(FakeBackend(), {}) == 2048 - 512
    assert prompts.prompt_budget(FakeBackend(), {"num_predict": 5000}) == 1024


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(st.text(alphabet="abc xyz0123456789.", min_size=1, max_size=40), max_size=60),
    analysis=st.text(alphabet="abc \n", max_size=300),
    slack=st.integers(min_value=0, max_value=400),
)
def test_fit_prompt_never_exceeds_the_budget(lines: list[str], analysis: str, slack: int) -> None:
    backend = FakeBackend()
    fact_lines = [f"- {line}" for line in lines]

    def render(facts: object, notes: str) -> str:
        return prompts.report_document(INSIGHT, "Chimera Agent B", "summary", facts, notes)  # type: ignore[arg-type]

    budget = backend.count_tokens(render([], "")) + slack
    prompt = prompts.fit_prompt(backend, budget, render, fact_lines, analysis)
    assert prompt.tokens == backend.count_tokens(prompt.text) <= budget
    assert list(prompt.facts) == fact_lines[: len(prompt.facts)]


def test_rank_facts_puts_the_personas_concerns_first() -> None:
    facts = fake_facts(extra=20)
    insight_top = prompts.rank_facts(facts, INSIGHT)[:6]
    assert {f.unit for f in insight_top} >= {"tok/s", "ms"}
    collector_top = prompts.rank_facts(facts, COLLECTOR)[:3]
    assert all(f.key.startswith("files.") for f in collector_top)
    nan = Fact("x.nan", float("nan"), "ms", "f.csv")
    assert nan not in prompts.rank_facts([*facts, nan], INSIGHT)


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_format_number_keeps_the_value_to_its_written_precision(value: float) -> None:
    text = prompts.format_number(value)
    assert abs(float(text) - value) <= max(0.005, abs(value) * 0.005)


# --- layout -------------------------------------------------------------------------------------------

_BULLETS = ("Files analyzed", "Execution time", "Data summary", "Throughput", "TTFT", "Total Duration",
            "Tokens Generated", "Prompt Eval", "Eval Duration", "Load Duration")
_PARTS = ("Workflow Summary", "Metrics", "Key Findings", "Recommendations", "Persona Prompt")


def layout(markdown: str) -> list[str]:
    """The seed layout's skeleton of a report: header lines, separators, parts, their bullets' shapes."""
    head, _, rest = markdown.partition("\n---\n")
    tail = "## Workflow Summary" + rest.split("\n## Workflow Summary", 1)[1]
    skeleton = []
    for line in head.splitlines():
        if line.startswith("# "):
            skeleton.append(" ".join(line.split()[:2]) if ":" not in line else line.split(":")[0])
        elif m := re.match(r"\*\*(Date|Agent Type|Model|Configuration):\*\*", line):
            skeleton.append(m.group(0))
            if m.group(1) == "Configuration":
                skeleton.append(",".join(re.findall(r"(\w+)=", line)))
    skeleton.append("---")
    for line in tail.splitlines():
        if line.startswith("## ") and line[3:] in _PARTS:
            skeleton.append(line)
        elif any(line.startswith(f"- {b}:") for b in _BULLETS):
            skeleton.append(re.sub(r"\d+(\.\d+)?", "N", line))
    return skeleton


def test_layout_matches_the_seed(seed_report: Path) -> None:
    _, result = run(options={"num_gpu": 80, "num_ctx": 2048, "temperature": 1.0})
    ours, seed = layout(result.markdown), layout(seed_report.read_text(encoding="utf-8"))
    assert ours == seed
    assert ours[:5] == ["# Chimera", "# Technical Report", "**Date:**", "**Agent Type:**", "**Model:**"]


def test_header_lines_in_the_seed_format() -> None:
    _, result = run(options={"num_gpu": 80, "num_ctx": 2048, "temperature": 1.0})
    lines = result.markdown.splitlines()
    assert lines[0] == "# Chimera Agent B"
    assert lines[2] == "# Technical Report: Chimera Agent B Analysis"
    assert re.fullmatch(r"\*\*Date:\*\* \d{4}-\d{2}-\d{2}", lines[4])
    assert lines[5] == "**Agent Type:** Chimera Agent B (InsightAgent)"
    assert lines[6] == "**Model:** fake:1 (backend: fake)"
    assert lines[7] == ("**Configuration:** num_gpu=80, num_ctx=2048, temp=1, top_p=default, top_k=default, "
                        "repeat_penalty=default")
    body = result.markdown.split("\n---\n")[1]
    # the fake answers as a chat model does, without continuing the stem: the stem is left out
    assert body.strip().startswith("## 1. Executive Summary\n\nThe corpus holds **101 files**")


def test_metrics_block_equals_the_aggregate_of_the_calls() -> None:
    _, result = run()
    expected = aggregate([c.metrics for c in result.calls])
    block = result.markdown.split("## Metrics\n", 1)[1].split("\n\n", 1)[0]
    shown = dict(re.findall(r"^- ([\w ]+): ([\d.]+)", block, re.M))
    assert shown == {
        "Throughput": f"{expected['tokens_per_s']:.2f}",
        "TTFT": f"{expected['ttft_ms']:.2f}",
        "Total Duration": f"{expected['total_ms']:.2f}",
        "Tokens Generated": str(int(expected["eval_count"])),
        "Prompt Eval": f"{expected['prompt_eval_ms']:.2f}",
        "Eval Duration": f"{expected['eval_ms']:.2f}",
        "Load Duration": f"{expected['load_ms']:.2f}",
    }
    assert expected["tokens_per_s"] == expected["eval_count"] / (expected["eval_ms"] / 1000)
    assert result.metrics == expected


def test_workflow_summary_states_files_stage_times_and_the_data_summary() -> None:
    _, result = run()
    s = {k: v / 1000 for k, v in result.stages.items()}
    assert "- Files analyzed: 4" in result.markdown
    assert (f"- Execution time: {s['total_ms']:.2f}s (ingest {s['ingest_ms']:.2f}s | analysis "
            f"{s['analysis_ms']:.2f}s | report {s['report_ms']:.2f}s)") in result.markdown
    assert f"- Data summary:\n```\n{FakeCorpus().data_summary()}\n```" in result.markdown
    assert result.markdown.rstrip().endswith(f"## Persona Prompt\n```\n{INSIGHT.prompt}\n```")


def test_key_findings_and_recommendations_come_from_the_analysis() -> None:
    _, result = run()
    findings = result.markdown.split("## Key Findings\n", 1)[1].split("\n\n", 1)[0].splitlines()
    recs = result.markdown.split("## Recommendations\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert findings == [
        "- **Model Coverage:** The data covers gemma3 1b and 270m with 28 CSV files.",
        "- **Throughput:** gemma3:270m reaches 41.4 tok/s on the baseline runs.",
    ]
    assert recs == [
        "- **Automate Tuning:** Implement Bayesian optimisation over num_ctx and temperature.",
        "- Consider caching compiled kernels to cut compilation time.",
    ]


def test_extract_items_skips_preambles_and_headings_and_caps_the_lists() -> None:
    findings, recs = lay.extract_items(ANALYSIS_TEXT)
    assert not any(i.lower().startswith("okay") for i in findings + recs)
    assert "Key Performance Findings" not in findings
    many = "## Findings\n" + "\n".join(f"- finding number {i} is 4{i} ms" for i in range(9))
    assert len(lay.extract_items(many)[0]) == lay.MAX_ITEMS


def test_sections_say_so_when_the_model_stated_nothing() -> None:
    backend = FakeBackend(analysis="", report="")
    _, result = run(backend)
    assert f"## Key Findings\n- {lay.NONE_STATED}" in result.markdown
    assert f"## Recommendations\n- {lay.NONE_STATED}" in result.markdown


def test_a_model_that_starts_its_own_document_is_not_given_a_second_heading() -> None:
    assert lay.join_opening("## 1. Executive Summary\n\n", "## Report\ntext") == "## Report\ntext"
    # a base model goes on with the stem; a chat model's answer does not, and the stem is left out
    stem = "## 1. Executive Summary\n\n- The corpus holds"
    assert lay.join_opening(stem, " 101 files.", "- The corpus holds") == f"{stem} 101 files."
    assert lay.join_opening(stem, ": 101 files.", "- The corpus holds") == f"{stem}: 101 files."
    assert lay.join_opening(stem, "Okay, here's the report.", "- The corpus holds") == (
        "## 1. Executive Summary\n\nOkay, here's the report.")
    assert lay.join_opening(stem, "\nNext line.", "- The corpus holds") == "## 1. Executive Summary\n\nNext line."
    assert lay.join_opening("## 1. Executive Summary\n\n", "\n\nGemma is fast.") == (
        "## 1. Executive Summary\n\nGemma is fast.")


def test_replayed_runs_say_so_in_the_metrics() -> None:
    md = lay.assemble_report(
        agent_name="A", persona=INSIGHT, model="m", backend_name="replay", options={}, body="b", analysis="",
        data_summary="s", files_analyzed=1, stages={}, metrics=aggregate([]), date="2025-01-01", replayed=True,
    )
    assert "- Replayed: yes" in md and md.startswith("# Chimera A\n")


def test_fences_survive_backticks_in_the_persona() -> None:
    persona = resolve_persona("You are Fenced. Write ```code``` blocks.")
    md = lay.assemble_report(
        agent_name="Chimera X", persona=persona, model="m", backend_name="b", options={}, body="b", analysis="",
        data_summary="s", files_analyzed=1, stages={}, metrics=aggregate([]), date="2025-01-01",
    )
    assert md.startswith("# Chimera X\n")
    assert "````\nYou are Fenced. Write ```code``` blocks.\n````" in md


# --- personas --------------------------------------------------------------------------------------------


def test_builtin_personas_keep_the_original_intent() -> None:
    assert set(BUILTIN) == {"insight", "collector"}
    assert "InsightAgent" in INSIGHT.prompt and "risk/mitigation table" in INSIGHT.prompt
    assert "300-400 words" in INSIGHT.prompt and "TTFT" in INSIGHT.prompt
    assert "DataCollector-9000" in COLLECTOR.prompt and "under 250 words" in COLLECTOR.prompt
    for words in ("File counts per type", "latest modified timestamp", "gaps or missing telemetry",
                  "Directory coverage"):
        assert words in COLLECTOR.prompt


def test_collector_persona_run() -> None:
    backend, result = run(persona="collector")
    assert result.agent_name == "Chimera Agent A" and result.persona == "collector"
    assert backend.prompts[1].endswith(COLLECTOR.opening + prompts.STEM)
    assert "**Agent Type:** Chimera Agent A (DataCollector-9000)" in result.markdown


def test_custom_persona_from_text_and_from_file(tmp_path: Path) -> None:
    backend, result = run(persona="You are PerfBot. List the three slowest runs.", agent_name="Agent Z")
    assert result.persona == "custom" and "You are PerfBot." in backend.prompts[1]
    assert result.markdown.startswith("# Chimera Agent Z\n")
    path = tmp_path / "sre.md"
    path.write_text("You are SREBot. Write an incident review.\n", encoding="utf-8")
    backend, result = run(persona=str(path))
    assert result.persona == "sre" and result.persona_prompt == "You are SREBot. Write an incident review."
    assert "**Agent Type:** Chimera Agent (SREBot)" in result.markdown


@pytest.mark.parametrize(("typed", "meant"), [("insigt", "insight"), ("Insight", "insight"), ("colector", "collector"),
                                             (" COLLECTOR ", "collector"), ("insights", "insight")])
def test_a_mistyped_builtin_persona_is_an_error_naming_the_builtin(typed: str, meant: str) -> None:
    # before: taken silently as a custom persona whose whole instruction is the typo
    with pytest.raises(PersonaError, match=f"persona '{typed}' is no built-in persona: did you mean '{meant}'"):
        resolve_persona(typed)


@pytest.mark.parametrize("text", ["Summarise", "inside", "Write an insight report.", "collector of run data"])
def test_other_words_and_sentences_stay_custom_personas(text: str) -> None:
    assert resolve_persona(text).prompt == text


def test_missing_persona_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PersonaError, match=r"persona file .*missing\.md.* does not exist"):
        resolve_persona(str(tmp_path / "missing.md"))
    with pytest.raises(PersonaError, match="empty"):
        resolve_persona("   ")
    with pytest.raises(PersonaError, match=f"persona '{tmp_path}' is a folder; give a file"):
        resolve_persona(str(tmp_path))  # before: "persona file ... does not exist", though it does


# --- multi-agent ---------------------------------------------------------------------------------------------


def test_multi_agent_runs_concurrently_each_with_own_options_and_metrics() -> None:
    backend = FakeBackend(delay=0.2, thread_safe=True)
    team = (ag.AgentSpec("Chimera Agent A", "collector", {"num_gpu": 80, "num_ctx": 2048}),
            ag.AgentSpec("Chimera Agent B", "insight", {"num_gpu": 60, "num_ctx": 1024}))
    runs = ag.run_multi_agent(ag.TimedCorpus(FakeCorpus(), 3.0), backend, team,  # type: ignore[arg-type]
                              facts=Facts.from_records(fake_facts()))
    assert backend.max_active == 2  # both agents' calls overlapped
    a, b = runs
    assert (a.agent_name, a.persona, a.options) == ("Chimera Agent A", "collector", {"num_gpu": 80, "num_ctx": 2048})
    assert (b.agent_name, b.persona, b.options) == ("Chimera Agent B", "insight", {"num_gpu": 60, "num_ctx": 1024})
    assert a.markdown.startswith("# Chimera Agent A") and b.markdown.startswith("# Chimera Agent B")
    assert len(a.calls) == len(b.calls) == 2 and a.calls[0] is not b.calls[0]
    sent = [{k: v for k, v in o.items() if k not in ("stop", "min_p")} for o in backend.call_options]
    assert sorted(map(str, sent)) == sorted(map(str, [a.options, a.options, b.options, b.options]))


def test_multi_agent_serialises_calls_on_a_backend_that_is_not_thread_safe() -> None:
    backend = FakeBackend(delay=0.05, thread_safe=False)
    runs = ag.run_multi_agent(ag.TimedCorpus(FakeCorpus(), 1.0), backend,  # type: ignore[arg-type]
                              facts=Facts.from_records(fake_facts()))
    assert backend.max_active == 1 and len(backend.prompts) == 4
    assert [r.agent_name for r in runs] == ["Chimera Agent A", "Chimera Agent B"]
    assert {r.stages["ingest_ms"] for r in runs} == {1.0}


def test_unguarded_concurrency_on_such_a_backend_fails_loudly() -> None:
    backend = FakeBackend(delay=0.05, thread_safe=False)
    with pytest.raises(ag.BackendError, match="not thread-safe"):
        ag.run_multi_agent(ag.TimedCorpus(FakeCorpus(), 1.0), backend, serialize=False,  # type: ignore[arg-type]
                           facts=Facts.from_records(fake_facts()))


def test_serialized_backend_holds_its_lock_during_calls() -> None:
    lock = threading.Lock()
    backend = FakeBackend()
    wrapped = ag.SerializedBackend(backend, lock)
    seen = []
    wrapped.generate("Benchmark Data Analysis", on_token=lambda _t: seen.append(lock.locked()))
    assert seen and all(seen) and not lock.locked()
    assert (wrapped.name, wrapped.model) == ("fake", "fake:1")


# --- custom agents ---------------------------------------------------------------------------------------------


def test_load_agent_from_a_callable_and_a_module_path() -> None:
    assert ag.load_agent(ag.run_agent) is ag.run_agent
    assert ag.load_agent("pytest_chimera.agent.chimera:run_agent") is ag.run_agent


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no_colon", "expected a callable or 'module:callable'"),
        ("no_such_module_xyz:run", "cannot import module 'no_such_module_xyz'"),
        ("pytest_chimera.agent.chimera:nothing_here", "has no attribute 'nothing_here'"),
        ("pytest_chimera.agent.prompts:DEFAULT_NUM_CTX", "is not callable"),
    ],
)
def test_load_agent_errors_name_the_argument(spec: str, message: str) -> None:
    with pytest.raises(ag.AgentError, match=rf"^agent=: .*{re.escape(message)}"):
        ag.load_agent(spec, where="agent=")
