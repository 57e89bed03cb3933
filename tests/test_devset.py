"""The annotated development set: the scorer, and the checker's figures on 24 real reports.

``tests/data/devset/*.json`` annotates every number of the model-written parts of the reports in
``../shared/real_reports`` (right / wrong / undecidable, the true value and its source). Every 4th file by name
is held out: the method was developed on the other 18. The figures asserted here are the ones the README quotes
(``python bench/test_devset_bench.py`` prints them); the corpus tests skip where ``../shared`` is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_chimera.checks.consistency import NumberCheck
from pytest_chimera.checks.scoring import Annotated, Scored, Scores, load_annotations, locate, score_set, split, total
from pytest_chimera.evidence.corpus import load_corpus
from pytest_chimera.evidence.facts import Facts, compute_facts

DEVSET = Path(__file__).resolve().parent / "data" / "devset"
UNSEEN = Path(__file__).resolve().parent / "data" / "unseen"
UNSEEN_C = Path(__file__).resolve().parent / "data" / "unseen_c"
UNSEEN_D = Path(__file__).resolve().parent / "data" / "unseen_d"
UNSEEN_E = Path(__file__).resolve().parent / "data" / "unseen_e"
UNSEEN_F = Path(__file__).resolve().parent / "data" / "unseen_f"
UNSEEN_G = Path(__file__).resolve().parent / "data" / "unseen_g"
UNSEEN_H = Path(__file__).resolve().parent / "data" / "unseen_h"
UNSEEN_I = Path(__file__).resolve().parent / "data" / "unseen_i"
UNSEEN_J = Path(__file__).resolve().parent / "data" / "unseen_j"
UNSEEN_K = Path(__file__).resolve().parent / "data" / "unseen_k"
UNSEEN_L = Path(__file__).resolve().parent / "data" / "unseen_l"
UNSEEN_M = Path(__file__).resolve().parent / "data" / "unseen_m"
UNSEEN_N = Path(__file__).resolve().parent / "data" / "unseen_n"
UNSEEN_O = Path(__file__).resolve().parent / "data" / "unseen_o"
UNSEEN_P = Path(__file__).resolve().parent / "data" / "unseen_p"
UNSEEN_Q = Path(__file__).resolve().parent / "data" / "unseen_q"
UNSEEN_R = Path(__file__).resolve().parent / "data" / "unseen_r"
UNSEEN_S = Path(__file__).resolve().parent / "data" / "unseen_s"
REPORTS = Path(__file__).resolve().parent.parent.parent / "shared" / "real_reports"


def check(line: int, raw: str, verdict: str | None, kind: str = "claim") -> NumberCheck:
    return NumberCheck(line, "", raw, 0.0, "", kind, "", "body", verdict)


# ---- the scorer, on its own ---------------------------------------------------------------------------------


def test_locate_matches_by_line_text_and_occurrence() -> None:
    markdown = "# R\n\nJSON: 44 files (43.6%), and 44 again; 1024ms\n"
    checks = [check(3, "44 files", "supported"), check(3, "43.6%", "supported"), check(3, "44", "contradicted"),
              check(3, "1024ms", "unverified")]
    numbers = [Annotated(3, "44", 1, "right"), Annotated(3, "44", 2, "wrong"), Annotated(3, "43.6%", 1, "right"),
               Annotated(3, "1024ms", 1, "wrong"), Annotated(3, "7", 1, "wrong")]
    found = locate(markdown, checks, numbers)
    assert [c.raw if c else None for c in found] == ["44 files", "44", "43.6%", "1024ms", None]


def test_rates_count_flags_and_unclaimed_numbers() -> None:
    def item(label: str, verdict: str | None, kind: str = "claim") -> Scored:
        return Scored("r.md", Annotated(1, "1", 1, label), check(1, "1", verdict, kind))

    scores = Scores([item("wrong", "contradicted"), item("wrong", "unverified"), item("wrong", "supported"),
                     item("wrong", None, "date"), item("right", "supported"), item("right", "unverified"),
                     item("right", "contradicted"), item("right", "supported"), item("undecidable", None)])
    assert scores.recall_wrong == pytest.approx(2 / 4)
    assert scores.contradicted_wrong == pytest.approx(1 / 4)
    assert scores.false_alarm_right == pytest.approx(2 / 4)
    assert scores.contradicted_right == pytest.approx(1 / 4)
    assert scores.unclaimed == 2
    assert Scores().recall_wrong is None
    assert "recall on wrong 50.0%" in scores.summary()


def test_annotation_files_are_valid_and_name_numbers_on_their_lines(tmp_path: Path) -> None:
    paths = sorted(DEVSET.glob("*.json"))
    assert len(paths) == 24
    dev, held = split(paths)
    assert (len(dev), len(held)) == (18, 6) and held[0] == paths[3]
    decided = 0
    for path in paths:
        report, numbers = load_annotations(path)
        assert path.stem + ".md" == report
        decided += sum(n.label != "undecidable" for n in numbers)
        assert all(n.line > 0 and n.text for n in numbers)
    assert decided >= 250
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"report": "x.md", "numbers": [{"line": 1, "text": "1", "label": "maybe"}]}))
    with pytest.raises(ValueError, match="bad.json: line 1: label 'maybe'"):
        load_annotations(bad)
    bad.write_text("{")
    with pytest.raises(ValueError, match="bad.json: not an annotation file"):
        load_annotations(bad)


@pytest.mark.parametrize("folder", [UNSEEN, UNSEEN_C, UNSEEN_D, UNSEEN_E, UNSEEN_F, UNSEEN_G, UNSEEN_H, UNSEEN_I,
                                    UNSEEN_J, UNSEEN_K, UNSEEN_L, UNSEEN_M, UNSEEN_N, UNSEEN_O, UNSEEN_P,
                                    UNSEEN_Q, UNSEEN_R, UNSEEN_S],
                         ids=["unseen", "unseen_c", "unseen_d", "unseen_e", "unseen_f", "unseen_g", "unseen_h",
                              "unseen_i", "unseen_j", "unseen_k", "unseen_l", "unseen_m", "unseen_n",
                              "unseen_o", "unseen_p", "unseen_q", "unseen_r",
                              "unseen_s"])
def test_the_unseen_annotations_are_valid_and_their_reports_are_in_the_repository(folder: Path) -> None:
    paths = sorted((folder / "annotations").glob("*.json"))
    assert len(paths) == (15 if folder == UNSEEN_O else 12)  # O: the last unused reports of two runtimes
    decided = 0
    for path in paths:
        report, numbers = load_annotations(path)
        assert path.stem + ".md" == report and (folder / "reports" / report).is_file()
        decided += sum(n.label != "undecidable" for n in numbers)
    assert decided >= 170
    assert len({n.label for path in paths for n in load_annotations(path)[1]}) == 3


def test_the_second_annotation_of_set_j_labels_the_same_reports() -> None:
    """``unseen_j/second``: the same 12 reports annotated again, blind to the first labels (``bench/agreement.py``
    compares the two)."""
    first = sorted((UNSEEN_J / "annotations").glob("*.json"))
    second = sorted((UNSEEN_J / "second" / "annotations").glob("*.json"))
    assert [p.name for p in second] == [p.name for p in first]
    decided = 0
    for path in second:
        report, numbers = load_annotations(path)
        assert path.stem + ".md" == report and (UNSEEN_J / "reports" / report).is_file()
        lines = (UNSEEN_J / "reports" / report).read_text(encoding="utf-8").split("\n")
        assert all(lines[n.line - 1].count(n.text) >= n.occurrence for n in numbers)
        decided += sum(n.label != "undecidable" for n in numbers)
    assert decided >= 170


# ---- the checker's figures on the real reports --------------------------------------------------------------


@pytest.fixture(scope="module")
def facts(chimeraforge_corpus: Path) -> Facts:
    return compute_facts(load_corpus(chimeraforge_corpus))


@pytest.fixture(scope="module")
def scored(facts: Facts) -> tuple[Scores, Scores]:
    if not REPORTS.is_dir():
        pytest.skip(f"real reports not found at {REPORTS} (they live in ../shared beside the repo)")
    dev, held = split(DEVSET.glob("*.json"))
    return total(score_set(dev, REPORTS, facts)), total(score_set(held, REPORTS, facts))


@pytest.fixture(scope="module")
def unseen(facts: Facts) -> tuple[Scores, Scores]:
    """The unseen set's halves: A (read for classes of failure after the first look), B (seen as totals only)."""
    read, blind = split((UNSEEN / "annotations").glob("*.json"), every=2)
    return total(score_set(read, UNSEEN / "reports", facts)), total(score_set(blind, UNSEEN / "reports", facts))


def test_every_annotated_number_is_found_on_its_line(scored: tuple[Scores, Scores], unseen: tuple[Scores, Scores]
                                                    ) -> None:
    for scores in (*scored, *unseen):
        missing = [s for s in scores.items if s.check is None and s.number.label != "undecidable"]
        assert not missing, missing[:3]


def test_development_figures(scored: tuple[Scores, Scores]) -> None:
    dev, _ = scored
    assert dev.count("wrong") >= 140 and dev.count("right") >= 90
    assert dev.recall_wrong is not None and dev.recall_wrong >= 0.95
    # 92 of 144: a count of a subset no count of the corpus carries is no longer contradicted (5 wrong numbers
    # that were contradicted for a wrong reason, "16 timing-stats files" against the 44 JSON files, and 1 right)
    assert dev.contradicted_wrong is not None and dev.contradicted_wrong >= 0.63
    assert dev.false_alarm_right is not None and dev.false_alarm_right <= 0.011  # 1 of 96
    assert dev.contradicted_right is not None and dev.contradicted_right == 0  # 0 of 96


def test_held_out_figures(scored: tuple[Scores, Scores]) -> None:
    """The six reports held out (looked at three times since, for classes of failure): recall, contradicted-right
    and the share of wrong numbers contradicted (30 of 60) hold; false alarms (2 of 34) do not reach the target
    (see `bench/VERDICT_ROUNDS.md`)."""
    _, held = scored
    assert held.recall_wrong is not None and held.recall_wrong >= 0.95
    assert held.contradicted_right is not None and held.contradicted_right <= 0.01
    assert held.false_alarm_right is not None and held.false_alarm_right <= 0.06
    assert held.contradicted_wrong is not None and held.contradicted_wrong >= 0.5  # 30 of 60


def test_unseen_figures(facts: Facts) -> None:
    """The 60 reports of the five unseen sets together (README "Numbers and verdicts": A and B, C and D were read
    for classes of failure after their first look, E scored only until the sixteenth round, F read for one fault
    and in the twelfth round): 630 of 655 wrong numbers flagged, 328 contradicted; 22 of 437 right numbers
    flagged, 2 contradicted. These are levels to keep, not the targets. How they moved lately:
    - the sixteenth round (E read): 627 -> 630 flagged and 330 -> 328 contradicted wrong, 23 -> 22 right flagged
      and 3 -> 2 contradicted. A data rate has its unit ("13.8KB/s" token rates: flagged, no fact has it; four
      such rates of E were contradicted before only by a span of token counts, a reading of the number without
      its unit); a precise value a fact of the span's words holds is not contradicted by the span (E's right
      "average inference latency 26.758380952380953 ms"; B's wrong "99th percentile latency 0.0889836 s", a
      TTFT, now only flagged); a value agrees with a fact only to the coarser precision of the two (E's
      "0.021999999999999995" no longer a precise match of a "0.022"); a row named as a rate keeps its rate over
      a Units cell of "tokens" (E's right "Token Per Second | 14.1063399029013 | tokens" supported); a field's
      own name narrows a throughput's span to its facts (E's "`mean_tokens_s` ... 13.603", three times: banter
      rates said of the per-model means, 46-304 tok/s, contradicted);
    - a count of files that only the word "files" names is supported by no count but the total: 612 -> 614
      flagged (C's "'compilation_benchmark' (5 files)", E's one, both agreeing by chance with a 5-file count);
    - the thirteenth round (how a count says what it counts): 613 -> 612 flagged and 322 -> 326 contradicted
      wrong, 28 -> 23 right flagged. Another language's word for "file" makes a count of files (C's Russian and
      Arabic totals supported, "81 файл - JSON" contradicted); an identifier that counts one noun gives that
      unit ("file_count": 101 supported; F's "token_count" range end "20.0" is now supported by a median
      prompt_eval_count of 20: the one wrong number lost); a count whose words all describe the whole corpus is
      the total's (C's Arabic "2" files no longer supported); a file type's share beside a family's name is
      the type's when written right beside the type's word (D's "CSV (28% - 28 files): Gemma model variations"
      supported; a first version, which took any file group the line named, also contradicted D's wrong "CSV: 7
      (6.9%)" by the CSV share, and a review found it contradicting true shares of a family's own files);
    - a precise value's chance is counted among the facts named as well as the one that has it: 33 -> 28 right
      flagged ("| **Latency (p50)** | 15.50 |", the p50 of 15.502 ms, four times);
    - the corpus's total file count said of a model is supported by the total: 34 -> 33 right flagged (A's "101
      files related to an LLM (likely gemma3)");
    - a named JSON path decides its number (``checks.paths``): 607 -> 613 flagged and 315 -> 322 contradicted
      wrong (D's and F's "json_results[2].tokens_per_second: 14.244" copy another run's value; 324 before a
      review's fixes: a unit of another measure, "182.85 | Seconds" at a throughput's path, decides nothing),
      38 -> 34 right flagged;
    - a value of four digits may overrule a best fit the words do not name: 608 -> 607 flagged and 316 -> 315
      contradicted (C's
      "average latency of 15.58ms" is a run's mean, not the overall one of 15.51 ms), 40 -> 38 right flagged;
    - a bracketed count reads its own noun phrase: 317 -> 316 contradicted (C's "the files (81) are
      documentation files" names a subset no count carries: `unverified` instead of contradicted by the JSON +
      Markdown count);
    - a range's ends are the extremes of the list they come from (``checks.rangeends``): 614 -> 618 flagged
      and 326 -> 330 contradicted (C's "from 13.60 to 14.24 tokens/second" and "(35.0 - 44.0)", D's "from 0.070
      seconds to 0.138 seconds"); 625 flagged since an end beside a flagged other end is held to its list or
      to being an extreme ("from 44.0 to 225.0": C, D and F), and a list's lowest value is its min (D's "Min
      Tokens/Sec | 13.274566825679416", right, supported), 23 right flagged; 627 flagged since a value said of a
      file the corpus lacks is not verified by another file's fact (C's "`conv_bench_it_qat_1b.json` - p50 =
      15.502165", twice; ``checks.absentfiles``)."""
    parts = [total(score_set(sorted((folder / "annotations").glob("*.json")), folder / "reports", facts))
             for folder in (UNSEEN, UNSEEN_C, UNSEEN_D, UNSEEN_E, UNSEEN_F)]
    every = total(parts)
    assert (every.count("wrong"), every.count("right")) == (655, 437)
    assert every.recall_wrong is not None and every.recall_wrong >= 0.961  # 630 of 655
    assert every.contradicted_wrong is not None and every.contradicted_wrong >= 0.5  # 328 of 655
    assert every.false_alarm_right is not None and every.false_alarm_right <= 0.051  # 22 of 437
    assert every.contradicted_right is not None and every.contradicted_right <= 0.005  # 2 of 437


def test_unseen_g_figures(facts: Facts) -> None:
    """Set G (12 reports, annotated blind this session): its first look on the method of 400a651 flagged 112 of
    121 wrong numbers (79 contradicted) and 6 of 71 right ones (4 contradicted); only its contradicted right
    numbers were read since, and two rules changed (no gap among spreads; a bracketed count's own noun phrase,
    "A notable number of files (28) are CSV files"): 78 contradicted wrong, 5 flagged and 2 contradicted right
    then; 4 flagged since a named JSON path decides ("json_results[2].ttft_s" was 0.1380218); 113 wrong flagged since
    a range's end is held to its list when the other end is no value ("from 12.42 to 14.24"), 114 since an end of no
    list beside such an end must be an extreme ("~100-200ms"); 3 right flagged since the total said of the gemma3
    suite is supported without a span ("a dataset of 101 files"); 116 since a row of a file the corpus lacks is not
    verified by another file's fact ("| `conv_bench_cuda_1.json` | 0.125 | 70 |"); none contradicted since the
    corpus's total is not contradicted by a file-name compound's count ("over 100 files" of "param tuning data",
    the twentieth round)."""
    g = total(score_set(sorted((UNSEEN_G / "annotations").glob("*.json")), UNSEEN_G / "reports", facts))
    assert (g.count("wrong"), g.count("right")) == (121, 71)
    assert g.count("wrong", ["contradicted", "unverified"]) >= 116 and g.count("wrong", ["contradicted"]) >= 78
    assert g.count("right", ["contradicted", "unverified"]) <= 3 and g.count("right", ["contradicted"]) == 0


def test_unseen_h_figures(facts: Facts) -> None:
    """Set H (12 reports, annotated blind, its failures read in the seventeenth round): its first look on the
    method of d7d5e45 flagged 121 of 136 wrong numbers (59 contradicted) and 7 of 73 right ones (none
    contradicted); after a review's fixes (no gap against a mean, a gap among the family's values), 57
    contradicted; 6 right ones flagged since a value of four digits may overrule a best fit the words do not
    name; 122 flagged and 58 contradicted wrong, 3 flagged right since a named JSON path decides its number,
    2 since the corpus's total file count said of a model is supported by the total (scored, not read); 123
    flagged since a count of files only the word "files" names is supported by no count but the total; 125
    flagged wrong and 3 flagged right since a range end beside a flagged other end is held to its list or to
    being an extreme (``checks.rangeends``). H was read in the seventeenth round: numbers beside Chinese
    words are found ("在187.18个单位/秒": flagged), a Chinese count of files is one ("101个文件", "文件数量: 101":
    supported; "32 文件" of conv_bench: contradicted), and a full-width comma ends a clause: 126 flagged and
    60 contradicted wrong, 2 flagged right; the eighteenth round (I read) flags its "maximum memory usage 3.1 GB",
    one file's maximum where the corpus's memory figures reach 15.6 GB: 127 flagged."""
    h = total(score_set(sorted((UNSEEN_H / "annotations").glob("*.json")), UNSEEN_H / "reports", facts))
    assert (h.count("wrong"), h.count("right")) == (136, 73)
    assert h.count("wrong", ["contradicted", "unverified"]) >= 127 and h.count("wrong", ["contradicted"]) >= 60
    assert h.count("right", ["contradicted", "unverified"]) <= 2 and h.count("right", ["contradicted"]) == 0


def test_unseen_i_figures(facts: Facts) -> None:
    """Set I (12 reports, annotated blind on 2026-12-02): its first look on the method of 8c45b83 flagged 107 of
    117 wrong numbers (68 contradicted) and 5 of 67 right ones (1 contradicted). Read in the eighteenth round
    (a maximum one fact has is a part's where the span reaches higher; "documents" are files; "tokens per second
    (14.59)" is a throughput; a count noun outside a copied number's phrase is not its unit; a JSON path before a
    range names its first end): 110 flagged and 69 contradicted wrong, 2 flagged right, none contradicted."""
    i = total(score_set(sorted((UNSEEN_I / "annotations").glob("*.json")), UNSEEN_I / "reports", facts))
    assert (i.count("wrong"), i.count("right")) == (117, 67)
    assert i.count("wrong", ["contradicted", "unverified"]) >= 110 and i.count("wrong", ["contradicted"]) >= 69
    assert i.count("right", ["contradicted", "unverified"]) <= 2 and i.count("right", ["contradicted"]) == 0


def test_unseen_j_figures(facts: Facts) -> None:
    """Set J (12 reports, annotated blind on 2026-12-02, none of its failures read): its first look on the method
    of f92f4a5 flagged 120 of 132 wrong numbers (64 contradicted) and 5 of 79 right ones (2 contradicted); the
    sixteenth round (E read) changed none of its verdicts. Read in the nineteenth round: a written sum is
    arithmetic ("44 JSON + 29 Markdown = 73 files": both right numbers were contradicted), a model named in code
    is a model ("`gemma3_270m`: ... (270 million parameters)"): 2 right ones flagged, none contradicted."""
    j = total(score_set(sorted((UNSEEN_J / "annotations").glob("*.json")), UNSEEN_J / "reports", facts))
    assert (j.count("wrong"), j.count("right")) == (132, 79)
    assert j.count("wrong", ["contradicted", "unverified"]) >= 120 and j.count("wrong", ["contradicted"]) >= 64
    assert j.count("right", ["contradicted", "unverified"]) <= 2 and j.count("right", ["contradicted"]) == 0


def test_unseen_k_figures(facts: Facts) -> None:
    """Set K (12 reports of a runtime no other set drew from, annotated blind on 2026-12-02, none of its failures
    read): its first look on the method of 2dc397d flagged 119 of 134 wrong numbers (52 contradicted) and 7 of 83
    right ones (2 contradicted); the eighteenth round (I read) left 6 right ones flagged, the nineteenth (J read)
    contradicts one wrong one more. Read in the twentieth round: "benchmark runs (101 files)", the corpus's total
    in words that make up a file-name compound, is no longer contradicted by that compound's 3 files: 1 right
    one contradicted."""
    k = total(score_set(sorted((UNSEEN_K / "annotations").glob("*.json")), UNSEEN_K / "reports", facts))
    assert (k.count("wrong"), k.count("right")) == (134, 83)
    assert k.count("wrong", ["contradicted", "unverified"]) >= 119 and k.count("wrong", ["contradicted"]) >= 53
    assert k.count("right", ["contradicted", "unverified"]) <= 6 and k.count("right", ["contradicted"]) <= 1


def test_unseen_l_figures(facts: Facts) -> None:
    """Set L (12 reports of runtime-tokio-localset, annotated blind on 2026-12-02, none of its failures read): its
    first look on the method of 59c78da flagged 117 of 120 wrong numbers (73 contradicted) and none of 64 right
    ones."""
    sl = total(score_set(sorted((UNSEEN_L / "annotations").glob("*.json")), UNSEEN_L / "reports", facts))
    assert (sl.count("wrong"), sl.count("right")) == (120, 64)
    assert sl.count("wrong", ["contradicted", "unverified"]) >= 117 and sl.count("wrong", ["contradicted"]) >= 73
    assert sl.count("right", ["contradicted", "unverified"]) == 0


def test_unseen_m_figures(facts: Facts) -> None:
    """Set M (12 reports, mostly of runtime-smol, annotated blind on 2026-12-02, none of its failures read): its
    first look on the method of 89c0135 flagged 151 of 162 wrong numbers (84 contradicted) and 6 of 64 right ones
    (1 contradicted)."""
    m = total(score_set(sorted((UNSEEN_M / "annotations").glob("*.json")), UNSEEN_M / "reports", facts))
    assert (m.count("wrong"), m.count("right")) == (162, 64)
    assert m.count("wrong", ["contradicted", "unverified"]) >= 151 and m.count("wrong", ["contradicted"]) >= 84
    assert m.count("right", ["contradicted", "unverified"]) <= 6 and m.count("right", ["contradicted"]) <= 1


def test_unseen_n_figures(facts: Facts) -> None:
    """Set N (12 reports of runtime-tokio-default, annotated blind on 2026-12-02 after the twentieth round): its
    first look on that round's method flagged 92 of 97 wrong numbers (45 contradicted) and 5 of 86 right ones, 4
    of them contradicted. The twenty-first round read its failures: 93 flagged (46 contradicted since the
    twenty-second round's review fixes), 1 right one flagged, none contradicted."""
    n = total(score_set(sorted((UNSEEN_N / "annotations").glob("*.json")), UNSEEN_N / "reports", facts))
    assert (n.count("wrong"), n.count("right")) == (97, 86)
    assert n.count("wrong", ["contradicted", "unverified"]) >= 93 and n.count("wrong", ["contradicted"]) >= 46
    assert n.count("right", ["contradicted", "unverified"]) <= 1 and n.count("right", ["contradicted"]) == 0


def test_unseen_o_figures(facts: Facts) -> None:
    """Set O (15 reports of runtime-tokio-localset and runtime-smol-1kb, annotated blind on 2026-12-02): its first
    look on the method of 4e14c2b flagged 138 of 144 wrong numbers (89 contradicted) and 10 of 89 right ones (2
    contradicted). The twenty-second round read its failures: 138 flagged (92 contradicted; "up to 15MB" went
    back to an upper bound after a review), 7 right ones flagged, none contradicted."""
    o = total(score_set(sorted((UNSEEN_O / "annotations").glob("*.json")), UNSEEN_O / "reports", facts))
    assert (o.count("wrong"), o.count("right")) == (144, 89)
    assert o.count("wrong", ["contradicted", "unverified"]) >= 138 and o.count("wrong", ["contradicted"]) >= 92
    assert o.count("right", ["contradicted", "unverified"]) <= 7 and o.count("right", ["contradicted"]) == 0


def test_unseen_p_figures(facts: Facts) -> None:
    """Set P (12 reports of tr110 chimera-homo, annotated blind on 2026-12-02): its first look on the method of
    4a8d8f0 flagged 132 of 140 wrong numbers (65 contradicted) and 7 of 77 right ones (1 contradicted). The
    twenty-third round read its failures: 134 flagged (67 contradicted), 5 right ones flagged, none
    contradicted."""
    p = total(score_set(sorted((UNSEEN_P / "annotations").glob("*.json")), UNSEEN_P / "reports", facts))
    assert (p.count("wrong"), p.count("right")) == (140, 77)
    assert p.count("wrong", ["contradicted", "unverified"]) >= 134 and p.count("wrong", ["contradicted"]) >= 67
    assert p.count("right", ["contradicted", "unverified"]) <= 5 and p.count("right", ["contradicted"]) == 0


def test_unseen_q_figures(facts: Facts) -> None:
    """Set Q (12 more reports of tr110 chimera-homo, annotated blind on 2026-12-02): its first look on the method of
    f6d421a flagged 124 of 133 wrong numbers (55 contradicted) and 9 of 77 right ones, 5 of them contradicted."""
    q = total(score_set(sorted((UNSEEN_Q / "annotations").glob("*.json")), UNSEEN_Q / "reports", facts))
    assert (q.count("wrong"), q.count("right")) == (133, 77)
    assert q.count("wrong", ["contradicted", "unverified"]) >= 124 and q.count("wrong", ["contradicted"]) >= 55
    assert q.count("right", ["contradicted", "unverified"]) <= 9 and q.count("right", ["contradicted"]) <= 5


def test_unseen_r_figures(facts: Facts) -> None:
    """Set R (12 reports of tr110 chimera-hetero, annotated blind on 2026-12-02, none of its failures read): its
    first look on the method of 155f1fc flagged 116 of 124 wrong numbers (47 contradicted) and 2 of 53 right ones
    (none contradicted)."""
    r = total(score_set(sorted((UNSEEN_R / "annotations").glob("*.json")), UNSEEN_R / "reports", facts))
    assert (r.count("wrong"), r.count("right")) == (124, 53)
    assert r.count("wrong", ["contradicted", "unverified"]) >= 116 and r.count("wrong", ["contradicted"]) >= 47
    assert r.count("right", ["contradicted", "unverified"]) <= 2 and r.count("right", ["contradicted"]) == 0


def test_unseen_s_figures(facts: Facts) -> None:
    """Set S (12 reports of tr110 baseline-vs-chimera, annotated blind on 2026-12-02, none of its failures read):
    its first look on the method of c137e34 flagged 113 of 121 wrong numbers (70 contradicted) and 2 of 66 right
    ones (1 contradicted)."""
    s = total(score_set(sorted((UNSEEN_S / "annotations").glob("*.json")), UNSEEN_S / "reports", facts))
    assert (s.count("wrong"), s.count("right")) == (121, 66)
    assert s.count("wrong", ["contradicted", "unverified"]) >= 113 and s.count("wrong", ["contradicted"]) >= 70
    assert s.count("right", ["contradicted", "unverified"]) <= 2 and s.count("right", ["contradicted"]) <= 1

