"""The report in the seed layout: Key Findings and Recommendations read from the model's text, and the
markdown assembled around it (header, Workflow Summary, Metrics, findings, recommendations, Persona Prompt)."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from pytest_chimera.agent.personas import Persona

if TYPE_CHECKING:
    pass


MAX_ITEMS = 5  # bullets per Key Findings / Recommendations section


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


# The Metrics block: (label, metric name, format of its value)
METRIC_LINES = (
    ("Throughput", "tokens_per_s", "{:.2f} tok/s"),
    ("TTFT", "ttft_ms", "{:.2f} ms"),
    ("Total Duration", "total_ms", "{:.2f} ms"),
    ("Tokens Generated", "eval_count", "{:.0f}"),
    ("Prompt Eval", "prompt_eval_ms", "{:.2f} ms"),
    ("Eval Duration", "eval_ms", "{:.2f} ms"),
    ("Load Duration", "load_ms", "{:.2f} ms"),
)
NOT_GIVEN = "not given by the server"


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
    unmeasured: Collection[str] = (),
) -> str:
    """The report markdown in the seed's layout around the model's ``body``; a metric in ``unmeasured``
    (one the backend could not measure) reads ``NOT_GIVEN`` in the Metrics block, never a made-up 0."""
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
        *(f"- {label}: {NOT_GIVEN}" if name in unmeasured else f"- {label}: {fmt.format(metrics[name])}"
          for label, name, fmt in METRIC_LINES),
    ]
    if replayed:
        lines.append("- Replayed: yes (recorded timings, not measured in this run)")
    lines += ["", "## Key Findings", *[f"- {i}" for i in findings or [NONE_STATED]]]
    lines += ["", "## Recommendations", *[f"- {i}" for i in recommendations or [NONE_STATED]]]
    lines += ["", "## Persona Prompt", _fence(persona.prompt), ""]
    return "\n".join(lines)


def join_opening(opening: str, text: str, stem: str = "") -> str:
    """The model's report: the opening it continued plus its text, unless it started its own document.

    ``stem``: a sentence start the opening ends in ("- The corpus holds"). A text that goes on with a space
    or a punctuation mark continues it; any other text (a chat model's answer: "Okay, here's ...") does
    not, and then the stem is left out.
    """
    if text.lstrip().startswith("#"):
        return text.strip()
    if stem and opening.endswith(stem) and not (text[:1].isspace() and text[:1] != "\n" or text[:1] in ",.;:!?)'"):
        opening = opening[: -len(stem)]
    return opening + text.lstrip("\n")
