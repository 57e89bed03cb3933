"""The CSV fast path (``formats.parse_csv``, lazy ``Corpus.tables``) against ``pd.read_csv``: same tables and facts."""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_chimera.evidence import formats
from pytest_chimera.evidence import labels as lb
from pytest_chimera.evidence.corpus import Corpus, Tables, load_corpus
from pytest_chimera.evidence.facts import _table_facts, _View, compute_facts
from pytest_chimera.evidence.formats import CSV_NA_VALUES, CsvColumns, _rfc4180_quotes, exact_floats, parse_csv
from pytest_chimera.evidence.synthetic import write_corpus


def _same(a: Any, b: Any) -> bool:
    """Equal, NaN equal to NaN, and -0.0 not equal to 0.0 (repr tells floats apart exactly)."""
    if isinstance(a, float) and isinstance(b, float):
        return repr(a) == repr(b)
    return type(a) is type(b) and a == b


def _assert_same_rows(left: list[Any], right: list[Any]) -> None:
    assert len(left) == len(right)
    for x, y in zip(left, right, strict=True):
        assert len(x) == len(y) and all(_same(a, b) for a, b in zip(x, y, strict=True)), (x, y)


def _assert_matches_read_csv(text: str, parsed: CsvColumns) -> None:
    """``parsed`` is what read_csv gives: names, rows, dtypes (number or text), values, and table facts."""
    frame = pd.read_csv(io.StringIO(text), low_memory=False, **exact_floats())
    assert list(frame.columns) == list(parsed.names)
    assert len(frame) == parsed.nrows
    for name, numeric, values in zip(parsed.names, parsed.numeric, parsed.values, strict=True):
        kind = frame[name].dtype.kind
        assert numeric == (kind in "if"), (name, frame[name].dtype)
        expected = [float(v) for v in frame[name].tolist()] if numeric else frame[name].tolist()
        _assert_same_rows([expected], [values])
    from_frame: list[Any] = []
    from_columns: list[Any] = []
    _table_facts("t/gemma3_270m_param_tuning.csv", _View.of_frame(frame), from_frame, lb)
    _table_facts("t/gemma3_270m_param_tuning.csv", _View.of_columns(parsed), from_columns, lb)
    _assert_same_rows(from_frame, from_columns)


def _assert_same_corpus(root: Path) -> Corpus:
    fast, slow = load_corpus(root), load_corpus(root, fast_csv=False)
    assert list(fast.tables) == list(slow.tables)
    assert all(slow.tables.columns(p) is None for p in slow.tables)
    pd.testing.assert_frame_equal(compute_facts(fast).frame, compute_facts(slow).frame, check_exact=True)
    for path in slow.tables:
        pd.testing.assert_frame_equal(fast.tables[path], slow.tables[path], check_exact=True)
    return fast


def test_na_strings_are_pandas_defaults() -> None:
    from pandas._libs.parsers import STR_NA_VALUES

    assert set(STR_NA_VALUES) == CSV_NA_VALUES


def test_real_corpus_same_tables_and_facts_both_ways(chimeraforge_corpus: Path) -> None:
    fast = _assert_same_corpus(chimeraforge_corpus)
    parsed = [p for p in fast.tables if fast.tables.columns(p) is not None]
    # every one, the UTF-16 ncu_summary.csv (\r\n, a header alone) and the TRUE/FALSE column of
    # baseline_performance_summary.csv included: facts of the real corpus need no pandas
    assert len(parsed) == len(fast.tables) == 28


def test_synthetic_corpus_same_tables_and_facts_both_ways(tmp_path: Path) -> None:
    write_corpus(tmp_path, 300, seed=7)
    fast = _assert_same_corpus(tmp_path)
    assert all(fast.tables.columns(p) is not None for p in fast.tables)  # every synthetic CSV is plain


def test_plain_csv_is_typed_like_read_csv() -> None:
    text = ('config_name,num_ctx,temperature,ttft_s,error,note\n'
            'g60,1024,0.2,0.11175299999999999,,"a, ""quoted"" note"\n'
            'g61,-0,0.4,NA,,2025-09-30T20:11:00\n')
    parsed = parse_csv(text)
    assert parsed is not None
    assert parsed.numeric == (False, True, True, True, True, False)
    assert parsed.values[3][1] != parsed.values[3][1]  # NA -> NaN
    assert parsed.values[5] == ['a, "quoted" note', "2025-09-30T20:11:00"]
    _assert_matches_read_csv(text, parsed)


@pytest.mark.parametrize("text", [
    "a,b\n1e5,2\n",  # exponent
    "a,b\ninf,2\n",  # infinity
    "a,b\nTRUE,2\nx,3\n",  # a boolean among text
    "a,b\nTRUE,2\n,3\n",  # a boolean beside a missing cell
    "a,b\n 1,2\n",  # padded number
    "a,b\n1,2,3\n",  # ragged: read_csv would make an index
    "a,a\n1,2\n",  # duplicate header
    "a,\n1,2\n",  # blank header name
    "a\n1\n",  # one column
    "a,b\r1,2\r",  # a lone \r
    'a,b\r\n"1",2\r\n',  # \r\n in a quoted file (a quoted field may hold one)
    'a,b\nx"y,2\n',  # a quote inside an unquoted field
    "a,b\n1.2345678901234567890,2\n",  # over 17 significant digits
    "a,b\n1234567890123456789,2\n",  # int over 18 digits
])
def test_doubtful_csv_goes_to_read_csv(text: str) -> None:
    assert parse_csv(text) is None


@pytest.mark.parametrize("text", [
    "a,b\nTRUE,2\nfalse,3\n",  # a bool column
    "a,b\r\n1,2\r\nx,3.5\r\n",  # CRLF line ends
    "a,b\n",  # a header alone
    "==ERROR== the argument for option '--page' is invalid. Use --help for further details.\r\n",  # the real
    # corpus's ncu_summary.csv (UTF-16 with a mangled BOM): one column, no rows
    "a,b\n\n\n",  # a header and blank lines
    "model,tokens_s,Model\n0,0,True\n",  # a bool column is the model column: its groups are "True"/"False"
])
def test_crlf_bool_and_header_only_csv_agree_with_read_csv(text: str) -> None:
    parsed = parse_csv(text)
    assert parsed is not None
    _assert_matches_read_csv(text, parsed)


def test_a_lone_surrogate_cell_is_text() -> None:
    """A cell holding a lone surrogate (no decoded file has one, a caller's text may) is text, not an error."""
    parsed = parse_csv("a,b\n1\udcff,2\n3,4\n")
    assert parsed is not None and parsed.numeric == (False, True) and parsed.values[0] == ["1\udcff", "3"]


@pytest.mark.parametrize("text", [
    "a,b\n\u0661\u0662,2\n\u0663,3\n",  # Arabic-Indic digits: float() reads 12, read_csv text
    "a,b\n\uff11.5,2\n2.5,3\n",  # a fullwidth digit beside a point
    "a,b\n\u00b2,2\n1,3\n",  # a superscript two: str.isdigit(), not a number anywhere
])
def test_digits_beyond_ascii_are_text_as_read_csv_reads_them(text: str) -> None:
    parsed = parse_csv(text)
    assert parsed is not None and parsed.numeric == (False, True)
    _assert_matches_read_csv(text, parsed)


_QUOTED_TEXT = re.compile(r'(?:(?:"(?:[^"]|"")*"|[^",\n]*)(?:,(?:"(?:[^"]|"")*"|[^",\n]*))*(?:\n|\Z))*')


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet='ab,"\n', max_size=14))
def test_quote_check_is_the_rfc_4180_pattern(text: str) -> None:
    """``_rfc4180_quotes`` (a split) accepts exactly the texts the former whole-text pattern matched."""
    assert _rfc4180_quotes(text) == (_QUOTED_TEXT.fullmatch(text) is not None)


_TOKENS = st.sampled_from([
    "0", "1", "-0", "007", "+3", "42", "-17", "123456789012345678", "12345678901234567", "1.5", "-2.25", ".5",
    "5.", "-.5", "+.5", "0.1", "1e5", "1E-3", "2.5e", "inf", "-Infinity", "nan", "NaN", "NA", "", "None", "null",
    "n/a", "#N/A", "<NA>", "True", "FALSE", "true", "yes", "abc", "x y", " 1", "1 ", " abc", ".", "-", "+", "+.",
    "2025-09-30T20:11:00", "127.0.0.1", "1,5", 'say "hi"', "a\nb", "gemma3:270m", "llama3.1:8b", "1_000", "0x1A",
    "١٢", "\u00a05",
])
_CELL = st.one_of(
    _TOKENS,
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda x: f"{x:.{abs(hash(x)) % 12}f}"),
    st.integers(min_value=-(10**19), max_value=10**19).map(str),
    st.text(alphabet="abc,\"' .-1\n", min_size=1, max_size=6),
)
_NAMES = st.lists(st.sampled_from(["model", "Model", "tokens_s", "ttft_s", "num_ctx", "error", "config_name", "NA",
                                   "1", "2.5", "a,b", 'say "x"', "model.1"]), min_size=2, max_size=5, unique=True)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="a1,.- \n\t\x0b\x0c\x1c\u2028", max_size=16))
def test_quote_free_text_is_split_as_the_csv_module_reads_it(text: str) -> None:
    """Without quotes, parse_csv splits lines and fields itself: the same rows as ``csv.reader``."""
    split = parse_csv(text)
    with patch.object(formats, "_FIELD_LIMIT", -1):  # every text through csv.reader
        read = parse_csv(text)
    assert repr(split) == repr(read)  # repr: NaN equals NaN


@st.composite
def _csv_text(draw: st.DrawFn, cell: st.SearchStrategy[str]) -> str:
    names = draw(_NAMES)
    nrows = draw(st.integers(min_value=0, max_value=6))
    # one token per column mostly, so columns come out numeric, text or mixed
    rows = [[draw(cell) for _ in names] for _ in range(nrows)]
    out = io.StringIO()
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    ending = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    csv.writer(out, lineterminator=ending, quoting=quoting).writerows([names, *rows])
    return out.getvalue()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_csv_text(_CELL))
def test_fast_parse_agrees_with_read_csv(text: str) -> None:
    parsed = parse_csv(text)
    if parsed is not None:  # None: read_csv reads it, as before
        _assert_matches_read_csv(text, parsed)


_PLAIN = st.one_of(
    st.sampled_from(["", "NA", "nan", "abc", "gemma3:270m", "2025-09-30T20:11:00", "a, b", 'say "hi"', "-0", "007"]),
    st.floats(allow_nan=False, allow_infinity=False).map(repr).filter(lambda s: "e" not in s and "inf" not in s),
    st.integers(min_value=-(10**17) + 1, max_value=10**17 - 1).map(str),  # 17 digits: exact in a float column too
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_csv_text(_PLAIN))
def test_plain_tables_take_the_fast_path_and_agree(text: str) -> None:
    parsed = parse_csv(text)
    if "\r" in text and '"' in text:  # CRLF in a quoted file: a quoted field may hold one; read_csv's
        assert parsed is None
        return
    assert parsed is not None
    _assert_matches_read_csv(text, parsed)


def test_raw_text_with_stray_quotes_and_blank_lines() -> None:
    for text in ['a,b\n"1",2\n\n3,"x"\n', 'a,b\n"1"x,2\n', 'a,b\n"unterminated,2\n', 'a,b\n1,2\n\n\n',
                 'a,b\n"",""\n,\n']:
        parsed = parse_csv(text)
        if parsed is not None:
            _assert_matches_read_csv(text, parsed)


def test_long_numeric_column_with_a_gap_parses_in_one_pass() -> None:
    # the whole-column pattern once backtracked exponentially here (53 s for a 27-row file); now linear
    text = "a,b\n" + "".join(f"{123456789 + i},x\n" for i in range(200)) + ",x\n"
    parsed = parse_csv(text)
    assert parsed is not None and parsed.numeric == (True, False)
    _assert_matches_read_csv(text, parsed)


def test_tables_build_frames_on_access_and_take_replacements(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("model,tokens_s\ngemma3:270m,1.5\ngemma3:270m,2.5\n", encoding="utf-8")
    corpus = load_corpus(tmp_path)
    assert isinstance(corpus.tables, Tables) and corpus.tables.columns("t.csv") is not None
    assert "0 read without pandas" not in repr(corpus.tables)
    assert corpus.tables["t.csv"]["tokens_s"].tolist() == [1.5, 2.5]
    assert compute_facts(corpus).get("table.t.csv.tokens_s.mean").value == 2.0
    corpus.tables["t.csv"] = pd.DataFrame({"tokens_s": [10.0]})  # a frame set by hand wins over the parse
    assert corpus.tables.columns("t.csv") is None
    assert compute_facts(corpus).get("table.t.csv.tokens_s.mean").value == 10.0
    del corpus.tables["t.csv"]
    assert len(corpus.tables) == 0 and "t.csv" not in corpus.tables


@pytest.mark.parametrize("fast", [True, False])
def test_a_missing_model_cell_is_skipped_not_a_crash(tmp_path: Path, fast: bool) -> None:
    (tmp_path / "a.csv").write_text("model,tokens_s\ngemma3:270m,1.5\n,2.5\nllama3.1:8b,3\n", encoding="utf-8")
    facts = compute_facts(load_corpus(tmp_path, fast_csv=fast))
    assert facts.get("table.a.csv.tokens_s.by_model.gemma3:270m.mean").value == 1.5
    assert facts.get("table.a.csv.tokens_s.mean").value == pytest.approx(7 / 3)
    assert not [k for k in facts.frame["key"] if ".by_model.nan" in k]
    assert math.isclose(facts.get("table.a.csv.tokens_s.by_model.llama3.1:8b.max").value, 3.0)
