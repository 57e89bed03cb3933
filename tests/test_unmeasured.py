"""A metric the backend could not measure (``CallMetrics.missing``) reads as not given wherever a run shows
it: the report's Metrics block, the run's own facts, the scorecard and the summary lines. Never a made-up 0."""

from __future__ import annotations

import dataclasses
from typing import Any

from agent_fakes import FakeBackend, FakeCorpus, fake_facts

from pytest_chimera.agent import chimera as ag
from pytest_chimera.agent.layout import NOT_GIVEN
from pytest_chimera.agent.runs import ReportRun, speed_text, unmeasured
from pytest_chimera.backends.base import CallMetrics, Generation
from pytest_chimera.checks.consistency import run_facts
from pytest_chimera.evidence.facts import Facts
from pytest_chimera.plugin.report import summary_line
from pytest_chimera.plugin.scorecard import render, score

# what llama-cpp-python's OpenAI server leaves out of a stream: no usage, no timings
SERVER_GIVES_NO_COUNTS = ("eval_count", "eval_ms", "load_ms", "prompt_eval_count", "prompt_eval_ms")


class CountlessBackend(FakeBackend):
    """The fake backend as an OpenAI-compatible server without usage or timings: counts and engine times
    are 0 and listed as missing."""

    def generate(self, prompt: str | None = None, **kw: Any) -> Generation:
        gen = super().generate(prompt, **kw)
        zeroed = {name: 0 for name in SERVER_GIVES_NO_COUNTS}
        metrics = dataclasses.replace(gen.metrics, tokens_per_s=None, missing=SERVER_GIVES_NO_COUNTS, **zeroed)
        return dataclasses.replace(gen, metrics=metrics)


def _run(backend: FakeBackend) -> ReportRun:
    return ag.run_agent(ag.TimedCorpus(FakeCorpus(), 1.0), backend,  # type: ignore[arg-type]
                        facts=Facts.from_records(fake_facts()), persona="collector")


def _metrics_block(markdown: str) -> list[str]:
    lines = markdown.splitlines()
    start = lines.index("## Metrics")
    return lines[start + 1: lines.index("", start)]


def test_derived_metrics_are_unmeasured_with_their_parts() -> None:
    assert unmeasured([CallMetrics(ttft_ms=1.0, missing=("eval_ms",))]) == {"eval_ms", "tokens_per_s"}
    two = [CallMetrics(ttft_ms=1.0, missing=("eval_count",)), CallMetrics()]
    assert unmeasured(two) == {"eval_count", "tokens_per_s"}
    assert unmeasured([CallMetrics(ttft_ms=1.0, missing=("load_ms",))]) == {"load_ms"}
    assert unmeasured([CallMetrics(ttft_ms=5.0)]) == set()
    assert unmeasured([CallMetrics(), CallMetrics(ttft_ms=5.0)]) == set()  # the run's TTFT is the first one given
    assert unmeasured([CallMetrics(), CallMetrics()]) == {"ttft_ms"}  # no call produced a token
    assert unmeasured([]) == set()


def test_the_metrics_block_says_what_the_server_did_not_give() -> None:
    block = _metrics_block(_run(CountlessBackend()).markdown)
    given = {line.split(":")[0][2:]: line.split(": ", 1)[1] for line in block}
    assert given["Throughput"] == given["Tokens Generated"] == given["Load Duration"] == NOT_GIVEN
    assert given["Prompt Eval"] == given["Eval Duration"] == NOT_GIVEN
    assert given["TTFT"].endswith(" ms") and given["TTFT"] != NOT_GIVEN  # measured by the client
    measured = _metrics_block(_run(FakeBackend()).markdown)
    assert not any(NOT_GIVEN in line for line in measured)
    assert [line.split(":")[0] for line in measured] == [line.split(":")[0] for line in block]


def test_an_unmeasured_metric_is_no_fact_of_the_run() -> None:
    run = _run(CountlessBackend())
    names = {row[0] for row in run_facts(run)[0].rows}
    assert "run.metrics.ttft_ms" in names
    assert not names & {"run.metrics.load_ms", "run.metrics.eval_count", "run.metrics.tokens_per_s"}
    as_json = {row[0] for row in run_facts(run.to_json())[0].rows}
    assert as_json == names


def test_scorecard_and_summary_lines_show_no_made_up_speed() -> None:
    run = _run(CountlessBackend())
    row = render([score("t", run, None)])[1]
    assert row.split()[-3:-1] != ["0.0", "0.0"]
    assert row.split()[-2] == "-"  # tok/s
    assert "tok/s n/a" in speed_text(run) and "tokens n/a" in speed_text(run)
    assert "tok/s n/a" in summary_line(run, "r.md")
    measured = _run(FakeBackend())
    assert "n/a" not in speed_text(measured)
    assert render([score("t", measured, None)])[1].split()[-2] != "-"
