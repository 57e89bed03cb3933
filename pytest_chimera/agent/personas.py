"""Personas of the Chimera agent: the built-in ``collector`` and ``insight``, and custom ones.

A persona is its instruction text (shown verbatim under ``## Persona Prompt``) plus the first lines of
the report it writes (``opening``): the embedded base gemma-3-270m continues a document far better than
it follows instructions, so every prompt ends with the opening of the report and lets the model go on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


class PersonaError(ValueError):
    """A persona name or file that cannot be used; the message says which and what to do."""


@dataclass(frozen=True)
class Persona:
    """One persona of the report stage.

    name: short identifier stored in the run (``insight``, ``collector``, a file stem or ``custom``).
    agent_type: the role name the prompt gives the model (``InsightAgent``).
    prompt: the instruction text, shown verbatim in the report's ``## Persona Prompt`` block.
    opening: the first lines of the model's report, which the model continues.
    keywords: words that make a computed fact relevant to this persona (grounding ranks facts by them).
    units: fact units this persona cares about, most relevant first (grounding weighs facts by them).
    default_agent: the agent name when the caller gives none (``Chimera Agent B`` wrote the seed).
    """

    name: str
    agent_type: str
    prompt: str
    opening: str
    keywords: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    default_agent: str = "Chimera Agent"


INSIGHT = Persona(
    name="insight",
    agent_type="InsightAgent",
    prompt=(
        "You are InsightAgent, a Chimera-optimised LLM operations specialist.\n"
        "Given the repository context described previously, produce:\n"
        "1. Executive summary of model performance.\n"
        "2. Three optimisation recommendations that balance throughput, TTFT, and quality.\n"
        "3. A risk/mitigation table with at least two rows.\n"
        "Aim for 300-400 words, with numbered sections and bolded metric callouts."
    ),
    opening="## 1. Executive Summary\n\n",
    keywords=(
        "throughput", "tokens", "tok", "ttft", "latency", "first", "token", "eval", "quality", "mean",
        "median", "best", "worst", "model", "gemma3", "1b", "270m", "tuning", "param", "baseline",
    ),
    units=("tok/s", "ms", "s", "tokens", "%", "files"),
    default_agent="Chimera Agent B",
)

COLLECTOR = Persona(
    name="collector",
    agent_type="DataCollector-9000",
    prompt=(
        "You are DataCollector-9000, a systems analyst tasked with scanning benchmark artefacts.\n"
        "Produce a concise data inventory with bullet points that highlight:\n"
        "1. Directory coverage (which report directories hold data).\n"
        "2. File counts per type (md, csv, json) and the latest modified timestamp you observe.\n"
        "3. Any gaps or missing telemetry that could impact model evaluation.\n"
        "Keep the response under 250 words."
    ),
    opening="## Data Inventory\n\n",
    keywords=(
        "files", "file", "csv", "json", "md", "markdown", "total", "type", "pct", "directory", "dir",
        "rows", "modified", "latest", "errors", "missing", "count",
    ),
    units=("files", "%", "rows"),
    default_agent="Chimera Agent A",
)

BUILTIN: dict[str, Persona] = {p.name: p for p in (INSIGHT, COLLECTOR)}

# Openings a custom persona gets: a numbered report, as both built-ins write.
CUSTOM_OPENING = "## 1. Summary\n\n"

_WORD = re.compile(r"[a-z0-9]+")
_PATHLIKE = re.compile(r"^[^\n]*\.(md|txt|prompt)$|^[^\n ]*[/\\][^\n ]*$", re.IGNORECASE)


def _keywords_of(text: str) -> tuple[str, ...]:
    stop = {"the", "and", "a", "an", "of", "to", "in", "for", "with", "you", "are", "is", "at", "least",
            "on", "that", "as", "by", "or", "be", "your", "produce", "given", "aim", "words", "write"}
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        if len(word) > 1 and word not in stop:
            seen.setdefault(word, None)
    return tuple(seen)


def custom_persona(prompt: str, name: str = "custom") -> Persona:
    """A persona from the caller's own instruction text."""
    text = prompt.strip()
    if not text:
        raise PersonaError(f"persona {name!r} is empty; give instruction text, a file path, or one of "
                           f"{', '.join(sorted(BUILTIN))}")
    match = re.search(r"\byou are ([A-Z][\w-]*)", text, re.IGNORECASE)
    agent_type = match.group(1) if match else "CustomAgent"
    return Persona(name=name, agent_type=agent_type, prompt=text, opening=CUSTOM_OPENING,
                   keywords=_keywords_of(text) + INSIGHT.keywords, units=INSIGHT.units)


def resolve_persona(spec: str | Path | Persona) -> Persona:
    """A ``Persona`` from a built-in name, a file path, or instruction text.

    A string naming an existing file is read as the prompt (its stem becomes the persona name); a string
    that looks like a path (ends in .md/.txt/.prompt, or is one word with a slash) but names no file is an
    error naming that path; one word that is a built-in name mistyped (``insigt``, ``Collector``) is an error
    naming the built-in meant; any other string is the prompt itself.
    """
    if isinstance(spec, Persona):
        return spec
    if isinstance(spec, str) and spec in BUILTIN:
        return BUILTIN[spec]
    path = Path(spec)
    text = str(spec)
    looks_like_path = isinstance(spec, Path) or bool(_PATHLIKE.match(text.strip()))
    if "\n" not in text and len(text) < 4096:
        try:
            is_file, is_dir = path.is_file(), path.is_dir()
        except OSError:  # a name too long for a path: instruction text
            is_file = is_dir = False
        if is_file:
            try:
                content = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise PersonaError(f"persona file {str(path)!r} cannot be read: {exc}") from None
            return custom_persona(content, name=path.stem)
        if is_dir:
            raise PersonaError(f"persona {text!r} is a folder; give a file that holds the persona's instructions")
        if looks_like_path:
            raise PersonaError(
                f"persona file {text!r} does not exist; give an existing file, instruction text, or one of "
                f"{', '.join(sorted(BUILTIN))}"
            )
        meant = _mistyped_builtin(text)
        if meant:
            raise PersonaError(f"persona {text!r} is no built-in persona: did you mean {meant!r}? (a custom persona is "
                               "instruction text or a file)")
    return custom_persona(text)


def _mistyped_builtin(text: str) -> str | None:
    """The built-in persona a single word was likely meant to name (a typo or another case), else None."""
    import difflib

    word = text.strip()
    if not word or any(ch.isspace() for ch in word):
        return None
    close = difflib.get_close_matches(word.lower(), list(BUILTIN), n=1, cutoff=0.75)
    return close[0] if close else None
