"""pytest-chimera: benchmark-aware LLM evaluation as pytest tests.

The public API, importable from here; each name loads its module on first access, so importing the
package stays cheap (pandas, ollama and llama_cpp load only when a function that needs them runs)::

    from pytest_chimera import load_corpus, compute_facts, check_consistency, assert_consistent, run_agent

Layers, lowest first (``tests/test_architecture.py`` enforces the arrows): ``evidence`` (corpus, facts) and
``backends`` (model calls), then ``checks`` (report parsing, structure, consistency), ``agent`` (the two-stage
Chimera agent, ``ReportRun``), ``gating`` (saved runs, rules, statistics), and on top ``plugin`` (the only
pytest wiring) and ``cli``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pytest_chimera.version import __version__

if TYPE_CHECKING:
    from pytest_chimera.agent.chimera import run_agent
    from pytest_chimera.agent.runs import CallRecord, ReportRun
    from pytest_chimera.backends.base import Backend, BackendError, CallMetrics, Generation
    from pytest_chimera.checks.assertions import Conforms, Consistent, assert_consistent, assert_structure
    from pytest_chimera.checks.consistency import ConsistencyResult, check_consistency
    from pytest_chimera.checks.memo import TooManyNumbers
    from pytest_chimera.checks.report import ParsedReport, parse_report
    from pytest_chimera.checks.structure import StructureResult, check_structure
    from pytest_chimera.evidence.corpus import Corpus, load_corpus
    from pytest_chimera.evidence.facts import Fact, Facts, compute_facts

_EXPORTS: dict[str, str] = {
    "load_corpus": "pytest_chimera.evidence.corpus",
    "Corpus": "pytest_chimera.evidence.corpus",
    "compute_facts": "pytest_chimera.evidence.facts",
    "Fact": "pytest_chimera.evidence.facts",
    "Facts": "pytest_chimera.evidence.facts",
    "parse_report": "pytest_chimera.checks.report",
    "ParsedReport": "pytest_chimera.checks.report",
    "check_structure": "pytest_chimera.checks.structure",
    "StructureResult": "pytest_chimera.checks.structure",
    "check_consistency": "pytest_chimera.checks.consistency",
    "ConsistencyResult": "pytest_chimera.checks.consistency",
    "TooManyNumbers": "pytest_chimera.checks.memo",
    "assert_structure": "pytest_chimera.checks.assertions",
    "assert_consistent": "pytest_chimera.checks.assertions",
    "Conforms": "pytest_chimera.checks.assertions",
    "Consistent": "pytest_chimera.checks.assertions",
    "run_agent": "pytest_chimera.agent.chimera",
    "ReportRun": "pytest_chimera.agent.runs",
    "CallRecord": "pytest_chimera.agent.runs",
    "Backend": "pytest_chimera.backends.base",
    "BackendError": "pytest_chimera.backends.base",
    "CallMetrics": "pytest_chimera.backends.base",
    "Generation": "pytest_chimera.backends.base",
}

__all__ = [
    "__version__", "load_corpus", "Corpus", "compute_facts", "Fact", "Facts", "parse_report", "ParsedReport",
    "check_structure", "StructureResult", "check_consistency", "ConsistencyResult", "TooManyNumbers",
    "assert_structure", "assert_consistent", "Conforms", "Consistent", "run_agent", "ReportRun", "CallRecord",
    "Backend", "BackendError", "CallMetrics", "Generation",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_chimera' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
