"""``find_numbers`` at the edges mutation testing found unpinned: which numbers of a line are found, with which
unit, sign, range, date or version reading (see ``bench/MUTANTS.md``). Made-up lines, no corpus."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_chimera.checks.numbers import find_numbers, parse_number


def found(text: str) -> list[tuple[str, float, str, str]]:
    """(raw, value, unit, form) of every number of ``text``."""
    return [(n.raw, n.value, n.unit, n.form) for n in find_numbers(text)]


@pytest.mark.parametrize(("text", "expected"), [
    # a unit word, then a count noun that is not this number's: the unit stays ("8 GB files" are files of 8 GB)
    ("the two 8 GB files", [("8 GB", 8.0, "GB", "quantity")]),
    ("took 45 ms tokens", [("45 ms", 45.0, "ms", "quantity")]),
    # a count noun then another: the head noun ("101 benchmark files" are files)
    ("101 benchmark files", [("101 benchmark files", 101.0, "files", "quantity")]),
    # "<count noun> per <time>" that no alias spells: the count noun alone, whatever its case
    ("processed 12 files per second", [("12 files", 12.0, "files", "quantity")]),
    ("processed 12 Files per second", [("12 Files", 12.0, "files", "quantity")]),
    ("processed 12 FILES per second", [("12 FILES", 12.0, "files", "quantity")]),
    ("at 9.8 samples per second", [("9.8 samples per second", 9.8, "samples/s", "quantity")]),
])
def test_the_unit_is_the_word_after_the_number(text: str, expected: list[tuple[str, float, str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("from 8-16 GB", [("8", 8.0, "GB", "quantity"), ("16 GB", 16.0, "GB", "quantity")]),
    ("a 1-35 range", [("1", 1.0, "", "quantity"), ("35", 35.0, "", "quantity")]),
    ("44/101 files", [("44", 44.0, "", "quantity"), ("101 files", 101.0, "files", "quantity")]),
    ("run-7 and step:3", []),  # a dash or colon after a word joins an identifier
    ("x+3q and 5 ms", [("5 ms", 5.0, "ms", "quantity")]),  # an identifier skipped, also from its sign
])
def test_ranges_and_fractions_are_two_numbers_identifiers_none(text: str,
                                                               expected: list[tuple[str, float, str, str]]) -> None:
    assert found(text) == expected


def test_parse_number_names_the_text_without_a_number() -> None:
    with pytest.raises(ValueError, match="^no number in 'n/a'$"):
        parse_number("n/a")


# every field of every number of a line: (raw, value, unit, tolerance, form, start, end, key)
LINES: list[tuple[str, list[tuple[str, float, str, float, str, int, int, str | None]]]] = [
    ("on November 14th, 2025 at 18:53:30", [("November 14th, 2025", 2025.0, "", 0.0, "date", 3, 22, None),
                                            ("18:53:30", 18.0, "", 0.0, "date", 26, 34, None)]),
    ("Date: 2025-11-15", [("2025-11-15", 2025.0, "", 0.0, "date", 6, 16, None)]),
    ("since 2023, 5 runs and in 2024.5 GB", [("2023", 2023.0, "", 0.0, "date", 6, 10, None),
                                             ("5 runs", 5.0, "runs", 0.5, "quantity", 12, 18, None),
                                             ("2024.5 GB", 2024.5, "GB", 0.05, "quantity", 26, 35, None)]),
    ("num_ctx: 2048, top_k: 40 and max_len: 7", [("2048", 2048.0, "", 0.5, "config", 9, 13, "num_ctx"),
                                                 ("40", 40.0, "", 0.5, "config", 22, 24, "top_k"),
                                                 ("7", 7.0, "", 0.5, "quantity", 38, 39, None)]),
    ("num_gpu=80, temp=0.7, avg_tokens=14.1", [("80", 80.0, "", 0.5, "config", 8, 10, "num_gpu"),
                                               ("0.7", 0.7, "", 0.05, "config", 17, 20, "temp"),
                                               ("14.1", 14.1, "", 0.05, "quantity", 33, 37, None)]),
    ("seed=-1, temperature = +0.5", [("-1", -1.0, "", 0.5, "config", 5, 7, "seed"),
                                     ("+0.5", 0.5, "", 0.05, "config", 23, 27, "temperature")]),
    ("the 3rd run and Step 2 of 10", [("3", 3.0, "", 0.5, "ordinal", 4, 5, None),
                                      ("2", 2.0, "", 0.5, "ordinal", 21, 22, None),
                                      ("10", 10.0, "", 0.5, "quantity", 26, 28, None)]),
    ("1. Implement tuning in 3 steps", [("1", 1.0, "", 0.5, "ordinal", 0, 1, None),
                                        ("3", 3.0, "", 0.5, "quantity", 23, 24, None)]),
    ("gemma3:270m and the 1b model, 7B too", [("1b", 1e9, "", 0.0, "model", 20, 22, None),
                                              ("7B", 7e9, "", 0.0, "model", 30, 32, None)]),
    ("1 billion parameters and 270 million tokens",
     [("1 billion parameters", 1e9, "parameters", 5e8, "quantity", 0, 20, None),
      ("270 million tokens", 2.7e8, "tokens", 5e5, "quantity", 25, 43, None)]),
    ("12.5k tokens, -3.5% and +4 ms, \u22122 s", [("12.5k tokens", 12500.0, "tokens", 50.0, "quantity", 0, 12, None),
                                                ("-3.5%", -3.5, "%", 0.05, "quantity", 14, 19, None),
                                                ("+4 ms", 4.0, "ms", 0.5, "quantity", 24, 29, None),
                                                ("\u22122 s", -2.0, "s", 0.5, "quantity", 31, 35, None)]),
    ("a-5 then (-7 ms)", [("-7 ms", -7.0, "ms", 0.5, "quantity", 10, 15, None)]),
    # at the start of a line: the sign is the number's (no character before it to read as a word's)
    ("-3.5% was the drop", [("-3.5%", -3.5, "%", 0.05, "quantity", 0, 5, None)]),
    ("+12 ms on gemma", [("+12 ms", 12.0, "ms", 0.5, "quantity", 0, 6, None)]),
    ("/5 files were read in", [("5 files", 5.0, "files", 0.5, "quantity", 1, 8, None)]),
    ("x-5 ms", []),
    # digits glued to letters, an underscore or a dash and a letter: an identifier, and the numbers after it count
    ("Step 2 saw 3abc", [("2", 2.0, "", 0.5, "ordinal", 5, 6, None)]),
    ("5qz then 7 ms", [("7 ms", 7.0, "ms", 0.5, "quantity", 9, 13, None)]),
    ("5_runs then 7 ms", [("7 ms", 7.0, "ms", 0.5, "quantity", 12, 16, None)]),
    ("a 3-d plot and 7 ms", [("7 ms", 7.0, "ms", 0.5, "quantity", 15, 19, None)]),
    ("1,234,567.89 bytes", [("1,234,567.89 bytes", 1234567.89, "B", 0.005, "quantity", 0, 18, None)]),
    ("v1.2.3 and 3.5.1 builds, 2.0 GB", [("2.0 GB", 2.0, "GB", 0.05, "quantity", 25, 31, None)]),
    ("from 8-16GB and 12 to 35 seconds, between 5 and 7 ms",
     [("8", 8.0, "GB", 0.5, "quantity", 5, 6, None), ("16GB", 16.0, "GB", 0.5, "quantity", 7, 11, None),
      ("12", 12.0, "s", 0.5, "quantity", 16, 18, None), ("35 seconds", 35.0, "s", 0.5, "quantity", 22, 32, None),
      ("5", 5.0, "ms", 0.5, "quantity", 42, 43, None), ("7 ms", 7.0, "ms", 0.5, "quantity", 48, 52, None)]),
    ("2x faster and 3\u00d7 slower at 4.5x", [("2x", 2.0, "x", 0.5, "quantity", 0, 2, None),
                                            ("3\u00d7", 3.0, "x", 0.5, "quantity", 14, 16, None),
                                            ("4.5x", 4.5, "x", 0.05, "quantity", 27, 31, None)]),
    ("reports/gemma3_1b.csv has 12 rows", [("12 rows", 12.0, "rows", 0.5, "quantity", 26, 33, None)]),
    ("the 12_000 files, 5-ms", [("12_000 files", 12000.0, "files", 0.5, "quantity", 4, 16, None)]),
    ("45 ms-ish and 3.5-fold", [("45 ms", 45.0, "ms", 0.5, "quantity", 0, 5, None)]),
]


# ASCII ids: a test id is also a command-line argument (mutmut passes them back to pytest)
@pytest.mark.parametrize(("text", "expected"), LINES,
                         ids=[text.encode("ascii", "replace").decode() for text, _ in LINES])
def test_every_field_of_every_number_of_a_line(text: str,
                                               expected: list[tuple[str, float, str, float, str, int, int,
                                                                    str | None]]) -> None:
    got = [(n.raw, n.value, n.unit, n.tolerance, n.form, n.start, n.end, n.key) for n in find_numbers(text)]
    assert got == [(raw, pytest.approx(value), unit, pytest.approx(tol), form, start, end, key)
                   for raw, value, unit, tol, form, start, end, key in expected]
    for n in find_numbers(text):
        assert text[n.start:n.end] == n.raw


@pytest.mark.parametrize(("text", "expected"), [
    # a capitalised name word, a version number, then a model-ish noun or a size: part of a name, no count
    ("the Gemma 3 model reached", [("3", 3.0, "", "version")]),
    ("Gemma 3 models: 2 of them", [("3", 3.0, "", "version"), ("2", 2.0, "", "quantity")]),
    ("Llama 3.1 8B and Qwen 2.5-7B", [("3.1", 3.1, "", "version"), ("8B", 8e9, "", "model"),
                                      ("2.5", 2.5, "", "version"), ("7B", 7e9, "", "model")]),
    ("the GPT 4 family", [("4", 4.0, "", "version")]),
    # counts: a sentence-opening word, a lower-case word, no model-ish word after, a model-ish word not right after
    ("All 3 models ran", [("3 models", 3.0, "models", "quantity")]),
    ("Only 2 models", [("2 models", 2.0, "models", "quantity")]),
    ("we ran 3 models", [("3 models", 3.0, "models", "quantity")]),
    ("Gemma 3 files", [("3 files", 3.0, "files", "quantity")]),
    ("Gemma 3 of the models", [("3", 3.0, "", "quantity")]),
    ("Gemma3 3 models", [("3 models", 3.0, "models", "quantity")]),
])
def test_a_version_in_a_model_familys_name_is_no_count(text: str, expected: list[tuple[str, float, str, str]]) -> None:
    assert found(text) == expected


_DATE_PIECES = ["0", "1", "2", "5", "9", "12", "19", "20", "2025", "-", "/", ":", ".", ",", " ", "_", "a", "of ",
                "st", "nd", "th", "jan", "Feb", "MAR", "may", "sept", "oct", "dec", "ſep", "İ"]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_DATE_PIECES), max_size=12).map("".join))
def test_the_date_hint_in_two_parts_is_the_one_regex(text: str) -> None:
    """``_dated`` (digit forms, then month forms where a month is written) says what one scan of the lowercased
    line with every form says."""
    import re

    from pytest_chimera.checks import numbers

    low = text.lower()
    one = re.compile(f"{numbers._DATE_DIGITS}|{numbers._DATE_MONTHS}", re.I if len(low) != len(text) else 0)
    assert numbers._dated(text, low) == (one.search(low) is not None)


@pytest.mark.parametrize(("text", "expected"), [
    # scientific notation is one number (it read "1.759e" as a word, then "+09" as 9)
    ("The timestamp was 1.759e+09.", [("1.759e+09", 1.759e9, "", "quantity")]),
    ("memory_total_mb: 1.228e+04 MB", [("1.228e+04 MB", 12280.0, "MB", "quantity")]),
    ("a TTFT of 1.5E-3 s", [("1.5E-3 s", 0.0015, "s", "quantity")]),
    ("2e5 tokens", [("2e5 tokens", 200000.0, "tokens", "quantity")]),
    # no exponent: an identifier, a word, a value beyond a float
    ("gemma3e4b ran", []), ("the 3e edition", []), ("1.0e400 overflows", []),
])
def test_scientific_notation_is_one_number(text: str, expected: list[tuple[str, float, str, str]]) -> None:
    assert found(text) == expected


@given(st.floats(min_value=1e-12, max_value=1e12, allow_nan=False), st.integers(1, 8), st.sampled_from("eE"))
def test_a_number_in_scientific_notation_agrees_with_its_value(x: float, digits: int, e: str) -> None:
    written = f"{x:.{digits}e}".replace("e", e)
    [n] = find_numbers(f"The value was {written} ms.")
    assert n.raw == f"{written} ms" and n.unit == "ms"
    assert abs(n.value - float(written)) <= 1e-9 * abs(float(written))
    assert n.tolerance == pytest.approx(0.5 * 10 ** (int(written.lower().split("e")[1]) - digits))
