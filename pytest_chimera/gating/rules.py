"""Gate rules: which metrics exist, which way is better, and ``METRIC:+N%`` rules over their medians."""

from __future__ import annotations

import math
from dataclasses import dataclass

# +1: higher is better; -1: lower is better; 0: neither (reported, gated only by an explicit rule).
DIRECTION: dict[str, int] = {
    "ttft_ms": -1,
    "tokens_per_s": +1,
    "prompt_eval_ms": -1,
    "eval_ms": -1,
    "load_ms": -1,
    "total_ms": -1,
    "eval_count": 0,
    "supported": +1,
    "contradicted": -1,
    "unverified": -1,
    "structure_failed": -1,
    "pass_rate": +1,
}
TIMING_METRICS = ("ttft_ms", "tokens_per_s", "prompt_eval_ms", "eval_ms", "load_ms", "total_ms", "eval_count")
QUALITY_METRICS = ("supported", "contradicted", "unverified", "structure_failed")
SAMPLE_METRICS = ("pass_rate",)  # from the per-sample verdicts: the share of samples whose test passed
DEFAULT_RULES = "tokens_per_s:-10%,ttft_ms:+20%,contradicted:+0,structure_failed:+0,pass_rate:-0"

class RuleError(ValueError):
    """A ``--fail-on`` rule that cannot be parsed; the message names the rule and what to write."""



@dataclass(frozen=True)
class Rule:
    """``metric:±amount[%]``: the change of the metric's median, in ``sign``'s direction, that fails."""

    metric: str
    sign: int  # +1: a rise beyond amount fails; -1: a fall beyond amount fails
    amount: float
    percent: bool

    def __str__(self) -> str:
        amount = f"{self.amount:g}"
        return f"{self.metric}:{'+' if self.sign > 0 else '-'}{amount}{'%' if self.percent else ''}"

    def exceeded(self, baseline: float, current: float) -> bool:
        """True when ``current`` moved from ``baseline`` in the failing direction by more than the amount."""
        bad = self.sign * (current - baseline)
        if bad <= 0:
            return False
        if not self.percent:
            return bad > self.amount
        if baseline == 0:
            return True
        return bad / abs(baseline) * 100 > self.amount


def parse_rules(text: str) -> dict[str, Rule]:
    """Parse ``"tokens_per_s:-10%,ttft_ms:+20%,contradicted:+0"`` into rules keyed by metric.

    The sign must point the metric's bad way (tokens/s falling, TTFT rising); an empty text means no rules.
    """
    rules: dict[str, Rule] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        metric, sep, spec = part.partition(":")
        metric, spec = metric.strip(), spec.strip().replace(" ", "")
        if not sep or not metric or not spec:
            raise RuleError(f"rule {part!r}: expected METRIC:+N%, METRIC:-N% or METRIC:+N (e.g. ttft_ms:+20%)")
        if metric not in DIRECTION:
            raise RuleError(f"rule {part!r}: unknown metric {metric!r}; known: {', '.join(DIRECTION)}")
        if spec[0] not in "+-":
            raise RuleError(f"rule {part!r}: the change needs a sign, + (a rise fails) or - (a fall fails)")
        sign = 1 if spec[0] == "+" else -1
        percent = spec.endswith("%")
        number = spec[1:-1] if percent else spec[1:]
        try:
            amount = float(number)
        except ValueError:
            raise RuleError(f"rule {part!r}: {number!r} is not a number") from None
        if not math.isfinite(amount) or amount < 0:
            raise RuleError(f"rule {part!r}: the amount must be a finite number >= 0")
        direction = DIRECTION[metric]
        if direction and sign == direction:
            good = "higher" if direction > 0 else "lower"
            bad_sign = "-" if direction > 0 else "+"
            raise RuleError(
                f"rule {part!r}: {good} {metric} is better, so only a {'fall' if direction > 0 else 'rise'} "
                f"can fail; write {metric}:{bad_sign}{number}{'%' if percent else ''}"
            )
        rules[metric] = Rule(metric, sign, amount, percent)
    return rules
