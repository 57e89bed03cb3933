"""Comparisons between two models: a ratio ("2x faster than", "1.55 times as fast as", "40% lower TTFT than")
or a difference ("100.7 tokens per second faster than", "120 ms higher than"). The stated figure is checked
against what the two models' spans allow, never against the level of one side: a difference of 100 tok/s is no
throughput of 100 tok/s."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from pytest_chimera.checks.claims import models_named
from pytest_chimera.checks.numbers import dimension
from pytest_chimera.checks.query import SPAN_MARGIN, Decision, Query
from pytest_chimera.checks.ranges import span_of

if TYPE_CHECKING:
    from pytest_chimera.checks.index import FactIndex
    from pytest_chimera.checks.ranges import Span

_WORDS = r"(faster|quicker|slower|higher|greater|more|better|lower|smaller|less|worse)"
_COMPARATIVE = re.compile(rf"\b{_WORDS}\b(?:[^.;]{{0,40}}?)\bthan\b", re.I)
# "N times faster than", "N times as fast as": the number is a ratio, as "Nx"
_AS = r"as\s+(fast|quick|slow|high|low|long|short|large|small|much)\s+as\b"
_TIMES = re.compile(rf"\s*(?:times|×)\s+(?:{_AS}|{_WORDS}\b[^.;]{{0,40}}?\bthan\b)", re.I)
_TIMES_AS = re.compile(rf"\b(?:times|×)\s+{_AS}", re.I)  # the comparison in the clause: "times as fast as"
# "N tok/s faster than", "N ms higher TTFT than": right after the number and its unit, no other number, no
# clause mark and no verb between ("70 tok/s is higher than ..." states a level, then compares)
_AFTER_UNIT = re.compile(r"(?:(?!\b(?:is|was|are|were|be|been|being|remains?|stays?|seems?)\b)[^\d.;,()]){0,40}?"
                         rf"\b{_WORDS}\b[^\d.;]{{0,40}}?\bthan\b", re.I)
_UP = frozenset({"faster", "quicker", "higher", "greater", "more", "better", "fast", "quick", "high", "large",
                 "much"})
_MORE_TIME = frozenset({"slower", "worse", "higher", "greater", "more", "slow", "high", "long", "large", "much"})
_TIME_WORDS = frozenset({"ttft", "latency", "time", "duration", "delay"})


def ratio_check(q: Query, index: FactIndex) -> Decision | None:
    """A comparison of two models: ``None`` when the clause is none. A ratio ("2x", "N times", "N%") of the first
    side's figure (tok/s, or time where the clause names TTFT, latency or time) to the second's, or a difference
    in the claim's own unit, is ``contradicted`` when it lies outside every ratio (difference) the two models'
    spans allow by more than ``SPAN_MARGIN`` (derived from both spans, named in the explanation), and
    ``unverified`` else: a relative figure is never checked as a share, a difference never as a level."""
    if not q.text:
        return None
    after = q.after.lower()  # most claims are no comparison: a substring test before the patterns
    times = _TIMES.match(q.after) if q.unit != "%" and ("times" in after or "×" in after) else None
    if q.unit in ("x", "%") or times is not None:
        kind = "x" if q.unit != "%" else "%"
        m = _COMPARATIVE.search(q.text) if times is None or times.group(1) is None else _TIMES_AS.search(q.text)
    elif q.unit and "than" in after and _AFTER_UNIT.match(q.after):
        kind = "difference"
        m = _COMPARATIVE.search(q.text)
    else:
        return None
    if m is None:
        return None
    word = m.group(1).lower()
    said = f"as {word} as" if times is not None and times.group(1) else f"{word} than"
    words = q.bag | q.near_bag
    timed = bool(_TIME_WORDS & (words - {"time"} if times is not None else words))  # "N times": no time
    name = dimension(q.unit)[0] if kind == "difference" else "time" if timed else "tok/s"
    more = word in (_MORE_TIME if timed or name == "time" else _UP)  # the first side's figure is the larger one
    unchecked = Decision("unverified", None, f"a comparison ({said}): the corpus gives no span for both sides")
    first, second = models_named(q.text[:m.start()]), models_named(q.text[m.end():])
    if not first or not second or first & second or name not in index.dims:
        return unchecked
    a_span = span_of(replace(q, models=first), index, name)
    b_span = span_of(replace(q, models=second), index, name)
    if a_span is None or b_span is None:
        return unchecked
    if kind == "difference":
        return _difference(q, said, more, a_span, b_span, first, second, name)
    if min(a_span.lo, b_span.lo) <= 0:
        return unchecked
    if kind == "x":
        claimed = q.value if more else 1 / q.value if q.value else 0.0
    else:
        claimed = 1 + q.value / 100 if more else 1 - q.value / 100
    lo, hi = a_span.lo / b_span.hi, a_span.hi / b_span.lo
    if claimed <= 0 or lo / (1 + SPAN_MARGIN) <= claimed <= hi * (1 + SPAN_MARGIN):
        return unchecked if claimed <= 0 else Decision(
            "unverified", None, f"a comparison ({said}) within the ratios the corpus allows ({lo:.3g}-{hi:.3g})")
    return Decision("contradicted", a_span.lo_fact if claimed < lo else a_span.hi_fact, (
        f"the {name} figures in the corpus for {max(first, key=len)} ({a_span.lo:.4g}-{a_span.hi:.4g}) and "
        f"{max(second, key=len)} ({b_span.lo:.4g}-{b_span.hi:.4g}) give ratios between {lo:.3g} and {hi:.3g}; "
        f"'{q.value:g}{'%' if kind == '%' else 'x'} {said}' makes {claimed:.3g}"), "derived")


def _difference(q: Query, said: str, more: bool, a_span: Span, b_span: Span, first: frozenset[str],
                second: frozenset[str], name: str) -> Decision:
    """A difference between the two sides, in the claim's unit: the first side's figure minus the second's (the
    other way round where the first is the smaller) lies between the spans' extreme differences."""
    a_lo, a_hi, b_lo, b_hi = a_span.lo, a_span.hi, b_span.lo, b_span.hi
    factor = dimension(q.unit)[1]
    lo, hi = (a_lo - b_hi, a_hi - b_lo) if more else (b_lo - a_hi, b_hi - a_lo)
    claimed = q.value * factor
    if lo - SPAN_MARGIN * abs(lo) <= claimed <= hi + SPAN_MARGIN * abs(hi):
        return Decision("unverified", None, (
            f"a difference ({said}) within the differences the corpus allows ({lo / factor:.4g} to "
            f"{hi / factor:.4g} {q.unit})"))
    at = a_span.lo_fact if (claimed < lo) == more else a_span.hi_fact
    return Decision("contradicted", at, (
        f"the {name} figures in the corpus for {max(first, key=len)} ({a_lo / factor:.4g}-{a_hi / factor:.4g} "
        f"{q.unit}) and {max(second, key=len)} ({b_lo / factor:.4g}-{b_hi / factor:.4g} {q.unit}) differ by "
        f"{lo / factor:.4g} to {hi / factor:.4g} {q.unit}; '{q.value:g} {q.unit} {said}' is outside"), "derived")
