"""How a count says what it counts: an identifier ("file_count"), another language's word for "file", a clause
that names no subset (the whole corpus), a file type's share beside a model family's name."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_verdict_rules import fact

from pytest_chimera.checks.consistency import check_consistency
from pytest_chimera.checks.countwords import in_english
from pytest_chimera.evidence.corpus import load_corpus
from pytest_chimera.evidence.facts import Facts, compute_facts

FILE_LABELS = ("files", "file")


def corpus() -> Facts:
    """A corpus's file counts and shares, a family's GPU figures, two token counts (a fresh ``Facts``: its own
    fact index)."""
    return Facts.from_records([
    fact("files.total", 101, "files", *FILE_LABELS, "total", "total files", "dataset", "corpus", "analyzed"),
    fact("files.by_type.csv", 28, "files", "csv", "csv files", *FILE_LABELS, "type"),
    fact("files.by_type.json", 44, "files", "json", "json files", *FILE_LABELS, "type"),
    fact("files.by_type.md", 29, "files", "markdown", "md", "markdown files", *FILE_LABELS, "type"),
    *(fact(f"files.by_dir.d{k}", 2, "files", f"d{k} directory", "directory", *FILE_LABELS) for k in range(4)),
    fact("files.by_dir.reports", 7, "files", "reports directory", "directory", *FILE_LABELS),
    fact("files.by_type.csv.pct", 27.722772, "%", "csv", "csv files", *FILE_LABELS, "percent", "share"),
    fact("files.by_type.json.pct", 43.564356, "%", "json", "json files", *FILE_LABELS, "percent", "share"),
    fact("gpu.gemma3", 61.0, "%", "gemma3:270m", "gemma3", "gpu", "utilization", "percent"),
    fact("gpu.gemma3.mem", 35.0, "%", "gemma3:270m", "gemma3", "memory", "utilization", "percent"),
    fact("tokens.json.total_tokens", 225.0, "tokens", "total_tokens", "total tokens", "tokens"),
    fact("prompt.eval", 20.0, "tokens", "prompt_eval_count", "prompt eval count", "eval", "count", "tokens"),
    ])


CORPUS = corpus()


def checks(markdown: str, facts: Facts = CORPUS) -> dict[str, tuple[str, str | None]]:
    """{raw: (unit, verdict)} of the claims of ``markdown``."""
    return {n.raw: (n.unit, n.verdict) for n in check_consistency(markdown, facts).numbers if n.kind == "claim"}


@pytest.fixture(scope="module")
def real(chimeraforge_corpus: Path) -> Facts:
    """The real corpus's facts: its labels decide which identifiers read as a key (skips without ../shared)."""
    from pytest_chimera.evidence.corpus import load_corpus
    from pytest_chimera.evidence.facts import compute_facts

    return compute_facts(load_corpus(chimeraforge_corpus))


# ---- an identifier that counts one noun ---------------------------------------------------------------------


@pytest.mark.parametrize("line", ["* file_count: 101", "* `total_file_count`: 101", "* `num_files`: 101",
                                  "* total_files_analyzed: 101"])
def test_an_identifier_that_counts_files_gives_its_number_that_unit(line: str, real: Facts) -> None:
    """"file_count: 101" is a count of files, as "File count: 101" is (it was unverified: a bare number); a word
    inside an identifier is otherwise no unit ("tokens" in "avg_tokens_per_second")."""
    assert checks(f"# R\n\n{line}\n", real) == {"101": ("files", "supported")}
    wrong = checks(f"# R\n\n{line.replace('101', '81')}\n", real)
    assert wrong["81"][0] == "files" and wrong["81"][1] in ("contradicted", "unverified")


@pytest.mark.parametrize("line", ["* `avg_tokens_per_second`: 14.1", "* `prompt_eval_count`: 20",
                                  "* `total_duration_ns`: 20", "* `file_name_count_ms`: 20",
                                  "* `file_token_count`: 20", "* `model_file_count`: 20"])
def test_an_identifier_of_other_words_counts_nothing(line: str, real: Facts) -> None:
    """Only an identifier made of one count noun, count words ("count", "num", "total") and source words
    ("json", "analyzed") counts that noun: "prompt_eval_count" is a number of tokens its words do not say."""
    [(unit, _)] = checks(f"# R\n\n{line}\n", real).values()
    assert unit == ""


# ---- the word "file" in other languages ---------------------------------------------------------------------


@pytest.mark.parametrize(("line", "raw", "expected"), [
    ("* **Общее количество файлов:** 101", "101", "supported"),
    ("Общий объем данных составляет 101 файл.", "101 файл", "supported"),
    ("* **Доминирование:** 81 файл - JSON, что указывает на отчеты.", "81 файл", "contradicted"),
    ("*   **عدد الملفات المُحللة:** 101", "101", "supported"),
    ("* Archivos JSON: 44", "44", "supported"),
    ("* Fichiers CSV : 35", "35", "contradicted"),
    ("* Dateien insgesamt: 101", "101", "supported"),
])
def test_another_language_s_word_for_file_makes_a_count_of_files(line: str, raw: str, expected: str,
                                                                 real: Facts) -> None:
    """A Russian or Arabic report states the counts an English one does; the number is reported as written
    ("81 файл"), the explanation names the files."""
    assert checks(f"# R\n\n{line}\n", real) == {raw: ("files", expected)}
    [shown] = [n.text for n in check_consistency(f"# R\n\n{line}\n", real).numbers if n.kind == "claim"]
    assert "files" not in shown.lower()  # the excerpt a user reads is the line as written


def test_a_report_without_the_word_keeps_its_bare_numbers(real: Facts) -> None:
    """The same lines without a word for "file" give no count: the words, not the script, decide."""
    assert checks("# R\n\n* **Общее количество:** 101\n", real) == {"101": ("", "unverified")}


@given(st.text(alphabet=st.sampled_from(list("файлов ملفات archivos Dateien datei.,:-_ 0123456789x")), max_size=60),
       st.booleans())
def test_the_english_reading_keeps_every_offset(text: str, ascii_too: bool) -> None:
    """Each replaced word keeps its length (padded with spaces), so the offsets a check reports are the
    written text's; every character that is not part of such a word is unchanged but a decimal comma between
    digits (read as a point); ASCII text is untouched unless asked."""
    english = in_english(text, ascii_too)
    assert len(english) == len(text)
    for k, (a, b) in enumerate(zip(text, english, strict=True)):
        if a.isascii() and not a.isalpha() and a != b:
            assert (a, b) == (",", ".") and text[k - 1].isdigit() and text[k + 1].isdigit()
    plain = text.encode("ascii", "ignore").decode()
    assert in_english(plain) == plain


def test_a_word_too_short_for_file_is_left() -> None:
    """Arabic "ملف" (3 letters) cannot become "file" at the same offsets: it stays as written."""
    assert in_english("ملف 12") == "ملف 12"
    assert in_english("12 файлов.") == "12 files ."
    assert in_english("12 archivos") == "12 archivos" and in_english("12 archivos", ascii_too=True) == "12 files   "


# ---- a count that names no subset: the whole corpus or nothing ------------------------------------------------


@pytest.mark.parametrize(("line", "expected"), [
    ("* **Files:** 101", "supported"),
    ("* **Files:** 2", "unverified"),  # one directory's 2 files, hit by chance: the words name all of them
    ("* **Files analyzed:** 7", "contradicted"),  # "files analyzed" names the total itself
    ("* **File count:** 2", "unverified"),  # "count", "number", "total" ask how many: of no subset
    ("The dataset: 101 files", "supported"),
])
def test_a_count_whose_words_all_describe_the_whole_corpus_is_of_the_total(line: str, expected: str) -> None:
    """"Files: 2" says the corpus has 2 files; among dozens of directory and name counts one of 2 is no
    support (it was `supported`)."""
    [(unit, got)] = checks(f"# R\n\n{line}\n").values()
    assert (unit, got) == ("files", expected)


def test_a_count_with_words_of_its_own_is_not_the_total() -> None:
    """"2 files relate to profiling", "the reports directory has 7 files": other words, other counts."""
    assert checks("# R\n\nThe reports directory has 7 files.\n") == {"7 files": ("files", "supported")}
    unit, got = checks("# R\n\nOnly 2 files relate to profiling.\n")["2 files"]
    assert unit == "files" and got != "contradicted"


# ---- a file type's share beside a model family's name -------------------------------------------------------


@pytest.mark.parametrize(("line", "expected"), [
    ("* **CSV (28%):** Contains Gemma model variations.", "supported"),
    ("* **CSV (35%):** Contains Gemma model variations.", "contradicted"),
    ("* **CSV (28% - 28 files):** Contains Gemma model variations.", "supported"),
])
def test_a_file_type_s_share_is_no_family_s(line: str, expected: str) -> None:
    """The shares of the corpus's files are about no model: a line that names a file type and a family
    ("Gemma model variations") still means the type's share (it was "no fact ... is named")."""
    found = checks(f"# R\n\n{line}\n")
    assert found[next(raw for raw in found if raw.endswith("%"))] == ("%", expected)


@pytest.mark.parametrize("line", [
    "Only 29% of gemma3 files are JSON.",  # gemma3's own files: 5 of 17
    "gemma3 CSV files: 11 (65% of its files)",
    "The gemma3 CSV results show a 35% throughput gain over the baseline.",
    "gemma3 JSON runs: CPU load averaged 40%.",
])
def test_a_share_is_a_file_type_s_only_right_beside_the_type_s_word(line: str) -> None:
    """A family's own share of its files, or any other percentage of a line that names a type and a family, is
    not held to the corpus's share of that type (a review found these contradicted by 27.7% or 43.6%)."""
    [(unit, got)] = [v for raw, v in checks(f"# R\n\n{line}\n").items() if raw.endswith("%")]
    assert unit == "%" and got != "contradicted"


@pytest.mark.parametrize("line", ["* CSV: 28% of the Gemma files", "Gemma model variations make up 28% CSV.",
                                  "* CSV files (28%): Gemma model variations", "28% of the files are CSV, gemma3's"])
def test_a_share_right_beside_a_type_s_word_is_the_type_s(line: str) -> None:
    """Before the share ("CSV (28%)", "CSV files: 28%") or after it ("28% CSV", "28% of the files are CSV")."""
    assert checks(f"# R\n\n{line}\n")["28%"] == ("%", "supported")


def test_a_file_name_s_extension_names_no_file_type() -> None:
    """"by 18% in the `gemma3_1b_param_tuning.csv` file" is a speed-up, not the CSV files' share: the type
    must be written as a word of its own."""
    line = "Batch size improved gemma3 inference speed by 35% in the `gemma3_1b_param_tuning.csv` file."
    assert checks(f"# R\n\n{line}\n")["35%"][1] != "contradicted"


def test_the_real_corpus_s_counts_named_by_their_words_alone(real: Facts) -> None:
    """On the real corpus (dozens of directory and name counts of 1-22 files): "Files: 2" is no longer supported
    by one of them, and a type's share beside a family's name is the type's."""
    assert checks("# R\n\n* **Files:** 2\n", real) == {"2": ("files", "unverified")}
    assert checks("# R\n\n* **Files:** 101\n", real) == {"101": ("files", "supported")}
    assert checks("# R\n\n* **CSV (28%):** Gemma model variations.\n", real) == {"28%": ("%", "supported")}


@pytest.mark.parametrize(("earlier", "later"), [
    ("* **Files:** 2", "Only 2 files relate to the d1 directory."),
    ("Only 2 files relate to the d1 directory.", "* **Files:** 2"),
    ("* **CSV (28%):** Contains Gemma model variations.", "* **CSV (28%):** Contains Gemma models."),
    ("* CSV in gemma3 files: 28%", "* **CSV (28%):** Contains Gemma model variations."),
    ("* CSV data (28%): Gemma model variations", "* CSV (28%): Gemma model variations"),  # "data" names nothing:
    ("* CSV (28%): Gemma model variations", "* CSV data (28%): Gemma model variations"),  # only the type beside
])
def test_a_claim_s_verdict_does_not_depend_on_the_claims_checked_before(earlier: str, later: str) -> None:
    """The candidates of a set of words are remembered per fact index; whether a count is the whole corpus's
    and whether a share is a file type's are part of what is remembered: a line checked after another on the
    same facts gets the verdict it gets alone."""
    alone = checks(f"# R\n\n{later}\n", corpus())
    facts = corpus()
    checks(f"# R\n\n{earlier}\n", facts)
    assert checks(f"# R\n\n{later}\n", facts) == alone
    both = check_consistency(f"# R\n\n{earlier}\n\n{later}\n", corpus()).numbers
    assert {n.raw: (n.unit, n.verdict) for n in both if n.kind == "claim" and n.line == 5} == alone


@pytest.mark.parametrize(("line", "expected"), [
    ("With a `file_count` of 101 and `num_gpu` at 999, throughput peaked.", {"101": "files", "999": ""}),
    ("The `prompt_count` is 5 and `eval_count` is 99.", {"5": "prompts", "99": ""}),
    ("The `total_files` of 101 includes a `prompt_count` of 5.", {"101": "files", "5": "prompts"}),
])
def test_an_identifier_gives_its_noun_only_to_the_number_it_labels(line: str, expected: dict[str, str],
                                                                   real: Facts) -> None:
    """"`x`: N", "x = N", "x of N", "x is N", "x (N)": the other numbers of the clause keep their own reading
    (a review found 999 contradicted as a file count)."""
    found = checks(f"# R\n\n{line}\n", real)
    assert {raw: unit for raw, (unit, _) in found.items()} == expected
    assert found[next(iter(expected))][1] == "supported"


@pytest.mark.parametrize(("line", "expected"), [
    ("Das Verzeichnis reports/ollama enthält 22 Dateien. Dateien insgesamt: 101.",
     {"22 Dateien": "supported", "101": "supported"}),  # a capital keeps the sentence split
    ("* Archivos JSON: 44 (43,6%)", {"44": "supported", "43,6%": "supported"}),  # a decimal comma
    ("* Fichiers CSV : 28 (27,7 %)", {"28": "supported", "27,7 %": "supported"}),
    ("المجموع: 101 ملفًا", {"101 ملفًا": "supported"}),  # a short vowel mark
    ("| Тип | Количество файлов |\n|---|---|\n| Всего | 101 |", {"101": "supported"}),  # a column header
    ("* `json_file_count`: 40", {"40": "contradicted"}),  # "count" names no subset of the JSON files
])
def test_other_language_counts_read_as_their_english_would_be(line: str, expected: dict[str, str],
                                                              real: Facts) -> None:
    """Shapes a review of the first version found misread."""
    assert {raw: got for raw, (_, got) in checks(f"# R\n\n{line}\n", real).items()} == expected


def test_the_excerpt_of_a_number_read_in_english_is_its_sentence_as_written() -> None:
    """The excerpt a user reads is the number's own sentence, as for an English line, in the written words."""
    line = ("Этот отчет описывает данные бенчмарков моделей Gemma, собранные за несколько недель работы команды. "
            "Общий объем данных составляет 101 файл, преимущественно JSON и Markdown.")
    [n] = [n for n in check_consistency(f"# R\n\n{line}\n", CORPUS).numbers if n.kind == "claim"]
    assert (n.raw, n.verdict) == ("101 файл", "supported")
    assert n.text.startswith("Общий объем данных составляет 101 файл") and "Этот" not in n.text


def test_a_line_repeated_in_another_spelling_is_read_as_written() -> None:
    """"22 файла" and "22 файлы" read alike in English; the second line is its own, not a repeat of the first
    (a repeat takes the first line's checks, raw text included)."""
    text = "# R\n\nВ каталоге d1 22 файла.\n\nВ каталоге d1 22 файлы.\n\nКонец.\n"  # a part's last line is read afresh
    lines = text.split("\n")
    found = [n for n in check_consistency(text, CORPUS).numbers if n.kind == "claim"]
    assert [n.raw for n in found] == ["22 файла", "22 файлы"]
    assert all(n.raw in lines[n.line - 1] and n.text in lines[n.line - 1] for n in found)


@pytest.mark.parametrize(("line", "expected"), [
    ("The frequency of 'conv' benchmarks (29 files) suggests a focus on convolutions.", "unverified"),
    ("File names such as 'compilation_benchmark' (2 files) recur.", "unverified"),
    ("Markdown reports (29 files) dominate.", "supported"),  # "markdown" names the 29
    ("The analysis covers 101 files of benchmark data.", "supported"),  # the total: no chance among the counts
])
def test_a_count_only_the_word_files_names_is_supported_by_no_other_count(line: str, expected: str) -> None:
    """Every count of files carries "files": when no other word names one, the count that agrees (a
    directory's 2, the 29 Markdown files) agrees by chance (it was `supported`); the corpus's total is the
    one count such words mean."""
    [(unit, got)] = checks(f"# R\n\n{line}\n").values()
    assert (unit, got) == ("files", expected)


# ---- the corpus's total said of a model, where its files' counts give no span --------------------------------


@pytest.fixture(scope="module")
def real_facts(chimeraforge_corpus: Path) -> Facts:
    return compute_facts(load_corpus(chimeraforge_corpus))


@pytest.mark.parametrize(("line", "expected"), [
    ("This report summarizes the gemma3 model suite based on a dataset of 101 files.", "supported"),
    ("This report summarizes the gemma3 model suite based on a dataset of 90 files.", "unverified"),
    ("This report summarizes the gemma3 model suite based on a dataset of 101 CSV files.", "unverified"),  # a subset
    ("The llama3.1:8b-instruct-q4_0 model has 101 benchmark files.", "unverified"),  # no word names the total
])
def test_the_total_said_of_a_model_needs_no_span(real_facts: Facts, line: str, expected: str) -> None:
    """G's "the gemma3 model suite based on a dataset of 101 files": the whole corpus is about whatever model a
    clause names, also where the words name too few of the family's counts for a span (it was `unverified`,
    nearest the family's 17 files)."""
    [n] = [n for n in check_consistency(f"# R\n\n{line}\n", real_facts).numbers if n.kind == "claim"]
    assert n.verdict == expected, n.explanation


# ---- Chinese: numbers beside their words, "个文件", "文件数量", full-width commas ---------------------------------


@pytest.mark.parametrize(("text", "found"), [
    ("数据表明平均延迟在187.18个单位/秒附近。", [("187.18", "")]),  # a number between two Chinese characters
    ("这份报告评估了一组101个文件。", [("101个文件", "files")]),  # the measure word and "file": a count of files
    ("“conv_bench” (32 文件)", [("32 文件", "files")]),
    ("吞吐量为14.59 tokens/s", [("14.59 tokens/s", "tok/s")]),
    ("gemma3 and v2 at 270m", [("270m", "")]),  # Latin letters still glue: "gemma3" and "v2" hold no number
])
def test_numbers_are_found_beside_chinese_words(text: str, found: list[tuple[str, str]]) -> None:
    from pytest_chimera.checks.numbers import find_numbers

    assert [(n.raw, n.unit) for n in find_numbers(text)] == found


def test_chinese_file_counts_are_counts_of_files() -> None:
    got = checks("# R\n\n这份报告评估了一组101个文件，这些文件主要来自“d0 directory”。\n\n*   **文件数量:** 101\n\n"
                 "*   **d1 directory:** 32 文件\n")
    assert got == {"101个文件": ("files", "supported"), "101": ("files", "supported"),
                   "32 文件": ("files", "contradicted")}
    assert in_english("**文件数量:** 101") == "**file:** 101"  # "number of files", four characters as "file"
