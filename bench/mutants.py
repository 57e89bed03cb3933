"""Targeted mutation testing of the verdict rules: each safeguard and threshold is removed or loosened (and
tightened, where a tighter value would also be wrong) and the tests of the checker must fail.

Run from the repository root: ``python bench/mutants.py [name-substring ...]``. Each mutant is applied to a
copy of the source in place, the tests below run with ``-x``, and the source is restored (also on Ctrl-C).
Prints one line per mutant: ``killed`` (some test failed, as it should) or ``SURVIVED``. Not part of the
test suite: a full run takes minutes.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "pytest_chimera"
TESTS = ["tests/test_verdict_rules.py", "tests/test_consistency.py", "tests/test_devset.py", "tests/test_check_cli.py",
         "tests/test_facts.py", "tests/test_check_paths.py", "tests/test_clause_context.py",
         "tests/test_cut_off.py", "tests/test_number_finding.py", "tests/test_check_bound.py",
         "tests/test_matching_seen.py"]

# (name, file, original text, mutated text)
MUTANTS: list[tuple[str, str, str, str]] = [
    # thresholds
    ("SPECIFIC_DF loosened 5->6", "checks/query.py", "SPECIFIC_DF = 5", "SPECIFIC_DF = 6"),
    ("SPECIFIC_DF tightened 5->4", "checks/query.py", "SPECIFIC_DF = 5", "SPECIFIC_DF = 4"),
    ("MIN_NAMING_LABELS 2->1", "checks/query.py", "MIN_NAMING_LABELS = 2", "MIN_NAMING_LABELS = 1"),
    ("NEAR_WEIGHT 3->1", "checks/query.py", "NEAR_WEIGHT = 3.0", "NEAR_WEIGHT = 1.0"),
    ("APPROX_REL 0.05->0.10", "checks/query.py", "APPROX_REL = 0.05", "APPROX_REL = 0.10"),
    ("APPROX_REL 0.05->0.02", "checks/query.py", "APPROX_REL = 0.05", "APPROX_REL = 0.02"),
    ("approx widening for any precision", "checks/query.py", "if significant_digits(q) <= 2 else q.tolerance",
     "if significant_digits(q) <= 99 else q.tolerance"),
    ("precise values of two digits", "checks/query.py", "PRECISE_DIGITS = 3", "PRECISE_DIGITS = 2"),
    ("precise values despite a single best fit", "checks/matching.py", "factor) if n_best > 1 else None", "factor)"),
    ("VALUE_CHANCE 0.05->0.5", "checks/query.py", "VALUE_CHANCE = 0.05", "VALUE_CHANCE = 0.5"),
    ("VALUE_CHANCE 0.05->0", "checks/query.py", "VALUE_CHANCE = 0.05", "VALUE_CHANCE = 0.0"),
    ("SPAN_MARGIN 0.25->0", "checks/query.py", "SPAN_MARGIN = 0.25", "SPAN_MARGIN = 0.0"),
    ("SPAN_MARGIN 0.25->1.0", "checks/query.py", "SPAN_MARGIN = 0.25", "SPAN_MARGIN = 1.0"),
    ("SPAN_MIN_FACTS 3->1", "checks/query.py", "SPAN_MIN_FACTS = 3", "SPAN_MIN_FACTS = 1"),
    ("SPAN_MIN_FACTS 3->50", "checks/query.py", "SPAN_MIN_FACTS = 3", "SPAN_MIN_FACTS = 50"),
    ("COMMON_DF 1000->2", "checks/query.py", "COMMON_DF = 1000", "COMMON_DF = 2"),
    # the chance guard
    ("chance guard removed", "checks/query.py", "if spread > 0 and n * 2 * tol / spread >= 1:\n        return",
     "if False:\n        return"),
    ("chance guard: bounds need not hold for all", "checks/query.py",
     'return "" if agreeing == n else f"only {agreeing} of them satisfy the bound"', 'return ""'),
    # model filters
    ("other-model filter removed", "checks/query.py",
     "ok_ids = np.array([bool(forms & models) if forms else not strict for forms in d.models] + [not strict])",
     "ok_ids = np.array([True for forms in d.models] + [True])"),
    ("model-less facts allowed for a named model", "checks/query.py",
     "ok_ids = np.array([bool(forms & models) if forms else not strict for forms in d.models] + [not strict])",
     "ok_ids = np.array([bool(forms & models) if forms else True for forms in d.models] + [True])"),
    ("family filter removed", "checks/matching.py", "keep &= of_family(d, q.families)[local]",
     "keep &= of_family(d, q.families)[local] | True"),
    ("model-bound file counts allowed", "checks/matching.py", "bound = ~_model_bound(index, d)[local]",
     "bound = ~_model_bound(index, d)[local] | True"),
    ("family names a specific model's files", "checks/matching.py", "bound &= d.model_id[local] < 0",
     "bound &= d.model_id[local] < 10**9"),
    # which model a number is about (checks/subjects.py)
    ("contrast words ignored", "checks/subjects.py",
     "contrast = _contrasted(low, a)", "contrast = False"),
    ("contrast spreads over a comma", "checks/subjects.py",
     "out[-1].contrast and _JOINED.fullmatch(text, out[-1].end, a)",
     "out[-1].contrast and _COORDINATED.fullmatch(text, out[-1].end, a)"),
    ("a number attached to the other model is not its", "checks/subjects.py",
     "if i >= first and found[i].contrast and found[i].end >= prev_end and _ATTACHED.fullmatch(",
     "if False and found[i].contrast and found[i].end >= prev_end and _ATTACHED.fullmatch("),
    ("models named together do not share a number", "checks/subjects.py",
     "self._run_start[i] = self._run_start[i - 1]", "pass"),
    ("a model behind a preposition does not own the number before it", "checks/subjects.py",
     "and (_AFTER.fullmatch(text, end, found[j].start)\n", "and (False\n"),
    ("the clause's subject model ignored", "checks/consistency.py",
     "if reading.about is not None:  #", "if False:  #"),
    ("the sentence's contrast models are subjects too", "checks/subjects.py",
     "hit = self._whole[lo, hi] = self.words([m for m in inside if not m.contrast])",
     "hit = self._whole[lo, hi] = self.words(inside)"),
    # a nested list item's parents (checks/claims.py ListLeads)
    ("nested items get no parent leads", "checks/claims.py", "        return context\n", '        return ""\n'),
    ("a list never ends", "checks/claims.py",
     'if kind in ("heading", "table", "hr") or not first_line[:1].isspace():\n                self.stack.clear()',
     'if kind in ("heading", "table", "hr") or not first_line[:1].isspace():\n                pass'),
    ("parents' words joined to the item's", "checks/consistency.py",
     'seq, bag = [*seq, "|", *parent_seq], bag | parent_bag', "seq, bag = [*seq, *parent_seq], bag | parent_bag"),
    ("parents' model ignored", "checks/consistency.py", " or cl.models_named(unit.parents))", ")"),
    # a bare number copied with every digit (checks/query.py unmistakable)
    ("copied bare numbers not looked up", "checks/matching.py", "if unmistakable(q, len(index.keys)):",
     "if False:"),
    ("a copy regardless of the corpus size", "checks/query.py",
     "return n_facts * (hi - lo) / (v / 2) < VALUE_CHANCE", "return (hi - lo) / (v / 2) < VALUE_CHANCE"),
    ("a copy's neighbours over their widest range", "checks/query.py",
     "return n_facts * (hi - lo) / (v / 2) < VALUE_CHANCE", "return n_facts * (hi - lo) / (v * 2) < VALUE_CHANCE"),
    ("a whole number as a copy", "checks/query.py", "or not math.isfinite(v) or q.tolerance >= 0.5:",
     "or not math.isfinite(v):"),
    ("a copy with a unit", "checks/query.py", "if q.unit or v == 0 or q.bound", "if v == 0 or q.bound"),
    ("a copied value of any statistic", "checks/ranges.py",
     "stats = stat_kinds(q) | stat_kinds(q, sentence=True) if copied else stat_kinds(q)",
     "stats = frozenset() if copied else stat_kinds(q)"),
    ("a copied value only of its clause's statistic", "checks/ranges.py",
     "stats = stat_kinds(q) | stat_kinds(q, sentence=True) if copied else stat_kinds(q)", "stats = stat_kinds(q)"),
    # a count of a subset the corpus does not count (checks/matching.py uncounted)
    ("uncounted subset words ignored", "checks/matching.py",
     'if decided.verdict == "contradicted" and (q.qualifier or q.subset):', "if False:"),
    ("a label's pieces cover no words", "checks/matching.py",
     "covered |= {piece for t in covered for piece in _pieces_of(t)}", "covered |= set()"),
    ("a lead never names a count", "checks/consistency.py",
     "subset=_lead_subset(text, lead, num, unit_name) if not q_words else frozenset())", "subset=frozenset())"),
    ("a lead overrides a count's own words", "checks/consistency.py",
     "subset=_lead_subset(text, lead, num, unit_name) if not q_words else frozenset())",
     "subset=_lead_subset(text, lead, num, unit_name))"),
    ("a lead names a count anywhere after it", "checks/consistency.py",
     "if at < 0 or not _LEAD_GAP.fullmatch(text, at + len(lead) + 1, num.start):", "if at < 0:"),
    # rules of the verdict
    ("weaker support with a unique best fit", "checks/matching.py", "if n_best > 1 and cand:", "if cand:"),
    # the unit's part and the count's own words both tell count claims apart (either alone suffices for counts)
    ("candidate cache key without the unit and a count's words", "checks/matching.py",
     "key = (name, weights, q.models, q.families, min_labels, _unit_names(q, name),\n"
     "               q.qualifier if name == q.unit else None)",
     "key = (name, weights, q.models, q.families, min_labels)"),
    ("a count's own words ignored", "checks/matching.py", "        if (keep & own).any():", "        if False:"),
    ("file-type counts not named by type words", "evidence/inventory.py", "_TYPE_LABELS[kind] + _KIND_LABELS))",
     "_TYPE_LABELS[kind]))"),
    ("spread facts always candidates", "checks/matching.py",
     "if not any(p in SPREAD_NAMES for p in phrases):\n        keep = d.level[local]",
     "if False:\n        keep = d.level[local]"),
    ("count-noun naming bonus removed", "checks/matching.py", "hits = hits + 1  #", "hits = hits + 0  #"),
    ("weaker support ignores the statistic", "checks/matching.py",
     "if not stats or stats & fact_stats(index, int(gidx[i]))]", "]"),
    ("precise values ignore the statistic", "checks/ranges.py",
     "if stats and not stats & fact_stats(index, at):", "if False:"),
    ("spans include spreads", "checks/ranges.py", "if spread else d.level[ids]", "if spread else d.level[ids] | True"),
    ("spreads have no span of their own", "checks/ranges.py", "spread = any(p in SPREAD_PHRASES for p in stats)",
     "spread = False"),
    ("spread spans include counts", "checks/ranges.py", "keep = _spreads(d)[ids] if spread",
     "keep = ~d.level[ids] if spread"),
    ("span not narrowed to the best-fitting facts", "checks/ranges.py", "if int(best.sum()) < SPAN_MIN_FACTS:",
     "if True:"),
    ("span narrowed to fewer than SPAN_MIN_FACTS", "checks/ranges.py", "if int(best.sum()) < SPAN_MIN_FACTS:",
     "if int(best.sum()) < 1:"),
    ("generic words match facts", "checks/query.py", "bag -= GENERIC", "bag -= frozenset()"),
    ("chance of a precise value: neighbours of either sign", "checks/query.py",
     " & (np.sign(values) == np.sign(q.value))]", "]"),
    ("chance guard counts facts, not values", "checks/query.py",
     "n = 1 + int(np.count_nonzero(values[1:] != values[:-1]))", "n = int(values.size)"),
    ("two dimensions' pools taken as sorted together", "checks/matching.py",
     "ordered = len(pieces) == 1 and factor > 0", "ordered = factor > 0"),
    ("common-words best fits hidden from the guard", "checks/matching.py",
     "if any(p is not None for p in pools):", "if False:"),
    # JSON snippets
    ("snippet fields checked without provenance", "checks/fields.py",
     "return named, bool(named) or PROVENANCE.search(text) is not None", "return named, True"),
    ("provenance words ignored", "checks/fields.py",
     "return named, bool(named) or PROVENANCE.search(text) is not None", "return named, bool(named)"),
    ("LEAD_LINES 3->4", "checks/fields.py", "LEAD_LINES = 3", "LEAD_LINES = 4"),
    ("LEAD_LINES 3->2", "checks/fields.py", "LEAD_LINES = 3", "LEAD_LINES = 2"),
    ("a named file's own fields ignored", "checks/fields.py", "if low in own:", "if False:"),
    ("any file's fields for a named file", "checks/fields.py", "own = fields.by_file.get(named, frozenset())",
     "own = fields.every"),
    ("spans ignore the model", "checks/ranges.py", "keep &= allowed(d, models, True)[ids]", "pass"),
    ("span for bare numbers", "checks/ranges.py", "if not q.unit or len(dims) != 1:", "if len(dims) != 1:"),
    ("a count noun names no quantity", "checks/ranges.py",
     "if name not in SELF_NAMED and name not in COUNT_UNITS and not metric:",
     "if name not in SELF_NAMED and not metric:"),
    ("no span for counts", "checks/ranges.py", "if not q.unit or len(dims) != 1:",
     "if not q.unit or q.unit in COUNT_UNITS or len(dims) != 1:"),
    ("extreme with no check", "checks/ranges.py", 'if extreme == {"max"} and a > hi:', "if False:"),
    ("an extreme need not be observed", "checks/ranges.py",
     "if len(extreme) == 1 and dims[0] not in COUNT_UNITS:", "if False:"),
    ("an extreme of a count must be observed", "checks/ranges.py",
     "if len(extreme) == 1 and dims[0] not in COUNT_UNITS:", "if len(extreme) == 1:"),
    ("an extreme sought among the best fits only", "checks/ranges.py",
     "        ids = _in_scope(d, *where)",
     "        ids = _best_fits(d, where[1] if where[0] not in SELF_NAMED else (), _in_scope(d, *where))[0]"),
    ("a rounded extreme not allowed", "checks/ranges.py",
     "lo, hi = min(lo, v - half), max(hi, v + half)", "pass"),
    ("comparison: no margin", "checks/ranges.py",
     "if claimed <= 0 or lo / (1 + SPAN_MARGIN) <= claimed <= hi * (1 + SPAN_MARGIN):",
     "if claimed <= 0 or lo <= claimed <= hi:"),
    ("truncation not allowed", "checks/query.py", "hi = v + (2 * tol if v >= 0 else tol)", "hi = v + tol"),
    ("subsumption off", "checks/query.py", "            subsume: bool = True) -> list[tuple[str, ...]]:",
     "            subsume: bool = False) -> list[tuple[str, ...]]:"),
    # reading
    ("no fallback for lines the parser skips", "checks/claims.py", "missed = [k for k in range(1, len(lines) + 1)",
     "missed = [k for k in range(0)"),
    ("conjunctions always stop", "checks/clauses.py", "if first:\n        before = [st for st in before if not st[3]]",
     "if False:\n        before = [st for st in before if not st[3]]"),
    ("bracket label shape off", "checks/clauses.py",
     "and _WORD_END.search(text, start, before[-1][0]) and _BRACKET_ONLY.match(text, num.end):",
     "and False:"),
    ("total shape off", "checks/clauses.py", "total_of = k - 1 if k and _TOTAL_OF.fullmatch(",
     "total_of = None if k and _TOTAL_OF.fullmatch("),
    ("WINDOW 240->10", "checks/clauses.py", "WINDOW = 240", "WINDOW = 10"),
    ("any key=value is a run option", "checks/numbers.py",
     "return low in _CONFIG_KEYS or low.startswith((\"num_\", \"n_\"))", "return True"),
    ("spaces inside a unit not normalised", "checks/numbers.py",
     "if word.lower() in _ALIASES or re.sub(r\"\\s+\", \" \", word.lower()) in _ALIASES:",
     "if word.lower() in _ALIASES:"),
    ("n_ keys are no run options", "checks/numbers.py", 'low.startswith(("num_", "n_"))', 'low.startswith(("num_",))'),
    ("identifier-dash digits read as ranges", "checks/numbers.py",
     'return text[start - 2].isdigit() and text[start - 1] in "-/"',
     'return text[start - 2].isdigit() or text[start - 1] in "-/"'),
    ("signs dropped", "checks/numbers.py", '        sign = m.group("sign")\n', "        sign = None\n"),
    ("count head noun off", "checks/numbers.py", "if head is not None and head.group(1).lower() in _COUNT_WORDS:",
     "if False:"),
    ("bracketed unit of a table header ignored", "checks/claims.py", "if offset < 0:  # a table cell",
     "if False:  # a table cell"),
    ("a Min column header is minutes", "checks/claims.py", "distance += 10**6  # a", "distance += 0  # a"),
    ("a line's lead label ignored", "checks/consistency.py", "if lead and not reading.lead_in_clause else",
     "if False else"),
    ("counts overwrite instead of adding", "checks/consistency.py", "out[n.verdict] += 1", "out[n.verdict] = 1"),
    ("an option the run lacks gets no verdict", "checks/consistency.py", 'check.verdict = "unverified"\n',
     "check.verdict = None\n"),
    ("code spans blanked whole", "checks/claims.py", '"\\u2039" + _DIGITS.sub(" ", m.group(0)[1:-1]) + "\\u203a"',
     '" " * len(m.group(0))'),
    ("unit words inside identifiers", "checks/claims.py", "or _in_identifier(clause, m.start(), m.end()):", ":"),
    ("phrase breaks ignored", "checks/claims.py", "and _PHRASE_BREAK.search(clause, offset + len(num.raw), m.start()):",
     "and False:"),
    ("cut-off numbers are claims", "checks/consistency.py", 'kinds[-1] = ("cut_off", cl.CUT_OFF)', "pass"),
    ("cut off despite closing markup after it", "checks/claims.py",
     "or not raw_line.rstrip().endswith(num.raw):", ":"),
    ("cut off with a unit of its own", "checks/claims.py", "if num.unit or text[num.end:].strip() or",
     "if text[num.end:].strip() or"),
    ("a part's last line takes an earlier line's checks", "checks/consistency.py",
     "if repeated is not None and not at_end:", "if repeated is not None:"),
    ("a repeated last line's numbers count against the bound", "checks/consistency.py",
     "        if repeated is None:  # a repeated line's numbers are free",
     "        if True:  # a repeated line's numbers are free"),
    ("cut off after a label", "checks/claims.py", 'return not before.endswith((":", "=")) or', "return True or"),
    ("cut off never inside an open bracket", "checks/claims.py", 'or before.count("(") > before.count(")")',
     "or False"),
    ("a cut-off part's end is its last line, blank or not", "checks/claims.py",
     'while k >= span["line_start"] and _FILLER.match(lines[k - 1]):', "while False:"),
    ("model family versions are counts", "checks/numbers.py", "and _is_version(text, start, m.end()):",
     "and False:"),
    ("a version after any capitalised word", "checks/numbers.py", "and name.group(1).lower() not in _NOT_NAMES",
     ""),
    ("a version before any word", "checks/numbers.py", "if _MODEL_AFTER.match(text, end) is None:  # anchored",
     "if False:  # anchored"),
    ("a bracketed model after a number is not its", "checks/subjects.py",
     "and _BRACKET_CLOSE.match(text, found[j].end))) \\", "and False)) \\"),
    ("a bracketed model owns a number though its bracket goes on", "checks/subjects.py",
     "and _BRACKET_CLOSE.match(text, found[j].end))) \\", ")) \\"),
    ("a margin is the nearest model's", "checks/subjects.py", "if last - first > 1 and _MARGIN.search(",
     "if False and _MARGIN.search("),
    ("a possessive's model owns later numbers", "checks/subjects.py",
     "if i >= first and 0 <= self._owned_at[i] < start:", "if False:"),
    ("a possessive owns the number right after it too", "checks/subjects.py",
     "if i >= first and 0 <= self._owned_at[i] < start:", "if i >= first and 0 <= self._owned_at[i] <= start:"),
    ("a possessive owns any number after it", "checks/subjects.py",
     "return m.end() if k < len(self.q_starts) and self.q_starts[k] == m.end() else -1", "return m.end()"),
    ("a count noun before a count's noun is a subset word", "checks/consistency.py",
     "if not (is_unit_word(m.group(1)) and canonical_unit(m.group(1)) in COUNT_UNITS):", "if True:"),
    # facts
    ("pair facts carry single-type labels", "evidence/inventory.py", 'words = _pair_labels(a, b) + ("files", "file")',
     'words = _pair_labels(a, b) + _TYPE_LABELS[a] + _TYPE_LABELS[b]'),
    ("bare directory names", "evidence/inventory.py", 'bare = (name,) if re.search(r"[\\d_\\-.]", name) else ()',
     "bare = (name,)"),
    ("same-value units off", "evidence/jsonfacts.py",
     "if not unit and units.get(value) and not float(value).is_integer():", "if False:"),
    ("efficiency per GB is throughput", "evidence/labels.py",
     'if wordset & _PER_RESOURCE and wordset & {"tokens", "token", "tok"}:', "if False:"),
]


def run(names: list[str]) -> int:
    survived = 0
    for name, rel, old, new in MUTANTS:
        if names and not any(n.lower() in name.lower() for n in names):
            continue
        path = PKG / rel
        source = path.read_text(encoding="utf-8")
        if source.count(old) != 1:
            print(f"{name:55} NOT APPLIED ({source.count(old)} matches in {rel})")
            continue
        start = time.perf_counter()
        try:
            path.write_text(source.replace(old, new), encoding="utf-8")
            proc = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                                   "--hypothesis-seed=0", *TESTS],
                                  cwd=ROOT, capture_output=True, text=True)
        finally:
            path.write_text(source, encoding="utf-8")
        failed = next((line for line in proc.stdout.splitlines() if line.startswith("FAILED")), "")
        verdict = "killed" if proc.returncode != 0 else "SURVIVED"
        survived += proc.returncode == 0
        print(f"{name:55} {verdict:8} {time.perf_counter() - start:5.0f}s  {failed[7:110]}", flush=True)
    return survived


if __name__ == "__main__":
    sys.exit(1 if run(sys.argv[1:]) else 0)
