"""Corpus ingestion: scanning, encodings, per-file errors, Markdown tables, the data summary."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pytest_chimera.evidence.corpus import MAX_FILE_BYTES, load_corpus
from pytest_chimera.evidence.formats import decode, markdown_tables, parse_cell
from pytest_chimera.evidence.synthetic import write_corpus


def _errors(corpus_root: Path) -> dict[str, str]:
    return {e.path: e.reason for e in load_corpus(corpus_root).errors}


# ---- the real corpus ---------------------------------------------------------------------------------------


def test_real_corpus_counts_and_order(chimeraforge_corpus: Path) -> None:
    corpus = load_corpus(chimeraforge_corpus)
    assert (len(corpus.files), corpus.count("csv"), corpus.count("json"), corpus.count("md")) == (101, 28, 44, 29)
    paths = [f.path for f in corpus.files]
    assert paths == sorted(paths)
    assert all("\\" not in p and not p.startswith("/") for p in paths)
    assert corpus.errors == []


def test_real_corpus_utf16_and_wide_csv(chimeraforge_corpus: Path) -> None:
    corpus = load_corpus(chimeraforge_corpus)
    assert corpus.encodings["reports/profiling/ncu_summary.csv"].startswith("utf-16-le")
    ncu = corpus.tables["reports/profiling/ncu_summary.csv"]
    assert list(ncu.columns)[0].startswith("==ERROR== the argument for option '--page' is invalid")
    assert corpus.tables["reports/profiling/ncu_ollama_raw.csv"].shape == (2, 251)


def test_real_corpus_json_and_markdown(chimeraforge_corpus: Path) -> None:
    corpus = load_corpus(chimeraforge_corpus)
    leaves = corpus.json_leaves
    row = leaves[(leaves.file == "reports/gemma3/gemma3_270m_baseline.json")
                 & (leaves.json_path == "results[0].ttft_s")]
    assert row.value.tolist() == [7.8366299]
    assert row.model.tolist() == ["gemma3:270m"]
    tables = corpus.md_tables["reports/compilation/conv_bench_20251002-170837.md"]
    # the header line starts with "- DType: torch.float32 | Backend | ..."; its last cells are the header
    assert tables[0].header[:3] == ("Backend", "Success", "Compile Time (s)")
    assert tables[0].numbers[2][2] == 12.9431


def test_data_summary_has_the_seed_shape(chimeraforge_corpus: Path, seed_report: Path) -> None:
    summary = load_corpus(chimeraforge_corpus).data_summary()
    seed_block = seed_report.read_text(encoding="utf-8").split("- Data summary:\n```\n", 1)[1].split("```", 1)[0]

    def shape(text: str) -> list[str]:
        out = []
        for line in text.rstrip("\n").splitlines():
            line = re.sub(r"^  - .*", "  - PATH", line)
            line = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", "STAMP", line)
            out.append(line)
        return out

    assert shape(summary) == shape(seed_block)
    assert summary.splitlines()[:3] == ["Total files analyzed: 101", "", "CSV Files (28)"]


# ---- small corpora built here ------------------------------------------------------------------------------


def _write(root: Path, rel: str, data: bytes | str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def test_scan_is_case_insensitive_sorted_and_skips_hidden(tmp_path: Path) -> None:
    _write(tmp_path, "b/Z.CSV", "a,b\n1,2\n")
    _write(tmp_path, "a/y.Json", '{"x": 1}')
    _write(tmp_path, "README.MD", "# hi\n")
    _write(tmp_path, "notes.txt", "ignored")
    _write(tmp_path, ".git/config.json", "{}")
    _write(tmp_path, "a/.hidden.csv", "a\n1\n")
    corpus = load_corpus(tmp_path)
    assert [(f.path, f.kind) for f in corpus.files] == [("README.MD", "md"), ("a/y.Json", "json"),
                                                       ("b/Z.CSV", "csv")]
    assert corpus.tables["b/Z.CSV"].to_dict("list") == {"a": [1], "b": [2]}


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")],
)
def test_csv_encodings(tmp_path: Path, encoding: str, bom: bytes) -> None:
    _write(tmp_path, "t.csv", bom + "name,tokens_s\nnaïve,12.5\nb,7.5\n".encode(encoding))
    corpus = load_corpus(tmp_path)
    assert corpus.errors == []
    frame = corpus.tables["t.csv"]
    assert list(frame.columns) == ["name", "tokens_s"]
    assert frame["tokens_s"].tolist() == [12.5, 7.5]
    assert frame["name"].tolist()[0] == "naïve"


def test_utf16_with_mangled_bom_and_crlf_translation(tmp_path: Path) -> None:
    # what the real ncu_summary.csv holds: a UTF-16 BOM re-encoded as UTF-8, and "\n\x00" -> "\r\n\x00"
    body = "a,b\r\n1,2\r\n".encode("utf-16-le").replace(b"\n\x00", b"\r\n\x00")
    _write(tmp_path, "n.csv", b"\xc3\xbf\xc3\xbe" + body)
    corpus = load_corpus(tmp_path)
    assert corpus.errors == []
    assert corpus.tables["n.csv"].to_dict("list") == {"a": [1], "b": [2]}


def test_bad_files_become_errors_and_the_ingest_goes_on(tmp_path: Path) -> None:
    _write(tmp_path, "good.json", '{"tokens_s": 3}')
    _write(tmp_path, "bad.json", '{"tokens_s": 3')
    _write(tmp_path, "empty.csv", b"")
    _write(tmp_path, "blank.md", "  \n\n")
    _write(tmp_path, "bom.md", b"\xef\xbb\xbf")  # a byte order mark and nothing after it
    _write(tmp_path, "binary.csv", bytes(range(40)))
    _write(tmp_path, "latin1.md", "caf\xe9 table".encode("latin-1"))
    _write(tmp_path, "big.json", b"[" + b"1," * 60 + b"1]")
    corpus = load_corpus(tmp_path, max_bytes=100)
    reasons = {e.path: e.reason for e in corpus.errors}
    assert set(reasons) == {"bad.json", "empty.csv", "blank.md", "bom.md", "binary.csv", "latin1.md", "big.json"}
    assert reasons["bad.json"].startswith("invalid JSON: Expecting ',' delimiter at line 1")
    assert reasons["empty.csv"] == "empty file"
    assert reasons["blank.md"] == reasons["bom.md"] == "empty file (whitespace only)"
    assert reasons["binary.csv"].startswith("binary file")
    assert reasons["latin1.md"].startswith("not UTF-8 or UTF-16 text (byte 0xe9 at offset 3)")
    assert reasons["big.json"].startswith("over the size cap: 123 bytes > 100")
    assert all("\n" not in r for r in reasons.values())
    assert corpus.json_data == {"good.json": {"tokens_s": 3}}
    assert len(corpus.files) == 8  # errored files still count as files of their type
    summary = corpus.data_summary()
    assert "Ingest errors (7)" in summary
    assert "  - bad.json: invalid JSON: Expecting ',' delimiter at line 1 column 15" in summary


def test_default_size_cap_is_16_mib() -> None:
    assert MAX_FILE_BYTES == 16 * 1024 * 1024


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_symlinks_leaving_the_root_looping_or_dangling_are_errors(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    outside = _write(tmp_path, "outside/secret.csv", "a\n1\n")
    _write(root, "real/data.csv", "a\n1\n")
    (root / "escape.csv").symlink_to(outside)
    (root / "loop.json").symlink_to(root / "loop.json")
    (root / "dangling.md").symlink_to(root / "missing.md")
    (root / "inside.csv").symlink_to(root / "real" / "data.csv")
    (root / "real" / "up").symlink_to(root)  # a directory loop
    (root / "elsewhere").symlink_to(tmp_path / "outside")  # a directory outside the root
    (root / "notes.txt").symlink_to(outside)  # not a corpus file: ignored
    (root / "same").symlink_to(root / "real")  # a directory inside the root: not followed, no error
    corpus = load_corpus(root)
    reasons = {e.path: e.reason for e in corpus.errors}
    assert set(reasons) == {"escape.csv", "loop.json", "dangling.md", "real/up", "elsewhere"}
    assert reasons["escape.csv"].startswith("symlink leaves the corpus root")
    assert reasons["loop.json"] == "symlink loop"
    assert reasons["dangling.md"].startswith("broken symlink")
    assert reasons["real/up"].startswith("symlink loops back to its ancestor directory")
    assert reasons["elsewhere"].startswith("symlink leaves the corpus root")
    assert set(corpus.tables) == {"inside.csv", "real/data.csv"}


def test_unreadable_file_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "locked.csv", "a\n1\n")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as a user who can read a mode-000 file (root)")
        assert _errors(tmp_path)["locked.csv"].startswith("unreadable")
    finally:
        path.chmod(0o644)


def test_missing_root_raises_naming_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="corpus directory not found: .*nope"):
        load_corpus(tmp_path / "nope")
    _write(tmp_path, "f.csv", "a\n1\n")
    with pytest.raises(NotADirectoryError, match="not a directory"):
        load_corpus(tmp_path / "f.csv")


def test_data_summary_preview_more_and_latest(tmp_path: Path) -> None:
    for i in range(7):
        path = _write(tmp_path, f"d/f{i}.csv", "a\n1\n")
        os.utime(path, (1_700_000_000 + i, 1_700_000_000 + i))
    summary = load_corpus(tmp_path).data_summary()
    assert summary == "\n".join(
        ["Total files analyzed: 7", "", "CSV Files (7)"]
        + [f"  - d/f{i}.csv" for i in range(5)]
        + ["  ... and 2 more", "  Latest modified: 2023-11-14 22:13:26 UTC"]
    )


# ---- Markdown tables ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("3,503", (3503.0, "")), ("**303.9 tok/s**", (303.9, "tok/s")), ("0.06s", (0.06, "s")),
     ("79.9%", (79.9, "%")), ("1.598x", (1.598, "x")), ("+29,659", (29659.0, "")), ("-4.22", (-4.22, "")),
     ("1.62s (first prompt: 7.84s)", (1.62, "s")), ("3.3 GB", (3.3, "GB")), ("102.85 tokens/s", (102.85, "tok/s")),
     ("g999_c4096_t0.8", (None, "")), ("gemma3:latest", (None, "")), ("12 apples", (None, "")), ("", (None, ""))],
)
def test_parse_cell(cell: str, expected: tuple[float | None, str]) -> None:
    assert parse_cell(cell) == expected


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="0123456789.,+-%s x\u0663\u00b2", min_size=1, max_size=12)
       | st.from_regex(r"[0-9]{0,400}\.?[0-9]{0,3}", fullmatch=True))
def test_plain_decimal_cells_read_as_the_pattern_reads_them(text: str) -> None:
    """parse_cell reads a plain decimal without the pattern: the same number and unit as with it."""
    from pytest_chimera.evidence.formats import _by_pattern

    cell = text.strip()
    assume(cell)
    assert repr(parse_cell(cell)) == repr(_by_pattern(cell))


def test_markdown_tables_skip_code_fences_and_keep_order() -> None:
    text = (
        "# R\n\n| Model | TTFT (s) |\n|---|---|\n| a | 0.5 |\n| b | 1.5 |\n\n"
        "```\n| x | y |\n|---|---|\n| 1 | 2 |\n```\n"
        "\n| k | v |\n| :-- | --: |\n| **Mean** | 3 |\n"
    )
    tables = markdown_tables("r.md", text)
    assert [t.name for t in tables] == ["r.md#1", "r.md#2"]
    assert tables[0].header == ("Model", "TTFT (s)")
    assert tables[0].numbers == ((None, 0.5), (None, 1.5))
    assert tables[1].cells == (("**Mean**", "3"),)
    assert tables[0].frame()["TTFT (s)"].tolist() == [0.5, 1.5]


# ---- robustness (hypothesis) -------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400), kind=st.sampled_from(["csv", "json", "md"]))
def test_random_bytes_never_crash_the_ingest(tmp_path_factory: pytest.TempPathFactory, data: bytes,
                                            kind: str) -> None:
    root = tmp_path_factory.mktemp("rand")
    _write(root, f"x.{kind}", data)
    _write(root, "ok.json", '{"a": 1}')
    corpus = load_corpus(root)
    assert len(corpus.files) == 2
    assert corpus.json_data["ok.json"] == {"a": 1}
    assert all(e.reason and "\n" not in e.reason for e in corpus.errors)
    corpus.data_summary()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                       max_size=3),
                          max_leaves=12),
       cut=st.integers(min_value=0, max_value=200))
def test_truncated_json_is_an_error_or_parses(tmp_path_factory: pytest.TempPathFactory, value: object,
                                              cut: int) -> None:
    root = tmp_path_factory.mktemp("json")
    text = json.dumps(value)
    _write(root, "t.json", text[:cut])
    corpus = load_corpus(root)
    assert len(corpus.files) == 1
    assert ("t.json" in corpus.json_data) != bool(corpus.errors)


@settings(max_examples=40, deadline=None)
@given(text=st.text(max_size=60), codec=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "latin-1",
                                                          "cp1252", "utf-32"]))
def test_decode_returns_text_or_a_one_line_reason(text: str, codec: str) -> None:
    try:
        data = text.encode(codec)
    except UnicodeEncodeError:
        return
    try:
        decoded, encoding = decode(data)
    except ValueError as exc:
        assert "\n" not in str(exc)
        return
    assert encoding
    if codec in ("utf-8", "utf-8-sig", "utf-16") and "\x00" not in text:
        assert decoded == text


def test_synthetic_corpus_loads_cleanly(tmp_path: Path) -> None:
    write_corpus(tmp_path, 60, seed=3)
    corpus = load_corpus(tmp_path)
    assert corpus.errors == []
    assert len(corpus.files) == 60


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=300))
def test_markdown_parsing_never_crashes(text: str) -> None:
    for table in markdown_tables("x.md", text):
        assert all(len(row) == len(table.header) for row in table.cells)
    parse_cell(text)


def test_synthetic_corpus_is_deterministic_and_exact(tmp_path: Path) -> None:
    first = write_corpus(tmp_path / "a", 45, seed=11)
    second = write_corpus(tmp_path / "b", 45, seed=11)
    other = write_corpus(tmp_path / "c", 45, seed=12)
    assert len(first) == 45
    rel = [p.relative_to(tmp_path / "a") for p in first]
    assert rel == [p.relative_to(tmp_path / "b") for p in second]
    assert all(a.read_bytes() == b.read_bytes() and a.stat().st_mtime == b.stat().st_mtime
               for a, b in zip(first, second, strict=True))
    assert any(a.read_bytes() != c.read_bytes() for a, c in zip(first, other, strict=True))
    corpus = load_corpus(tmp_path / "a")
    shares = [corpus.count(k) / 45 for k in ("csv", "json", "md")]
    assert all(0.2 < share < 0.5 for share in shares)  # roughly the real corpus's 28/44/29 mix
    assert str(rel[0]) == "reports/gemma3/gemma3_270m_baseline.csv"


def test_corpus_modules_import_no_pandas() -> None:
    import subprocess
    import sys

    code = ("import sys, pytest_chimera.evidence.corpus, pytest_chimera.evidence.facts, "
            "pytest_chimera.evidence.labels, pytest_chimera.plugin.corpus, pytest_chimera.evidence.synthetic, "
            "pytest_chimera.cli.facts; "
            "print(sorted(m for m in ('pandas', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_facts_and_a_check_of_them_import_no_pandas(tmp_path: Path) -> None:
    """Loading a corpus, computing its facts and checking a report against them (fact index included) never
    imports pandas: a fresh ``pytest-chimera run`` or ``check`` does not pay for it."""
    import subprocess
    import sys

    from pytest_chimera.evidence.synthetic import write_corpus

    write_corpus(tmp_path, 12, seed=3)
    code = ("import sys; from pytest_chimera.evidence.corpus import load_corpus; "
            "from pytest_chimera.evidence.facts import compute_facts; "
            "from pytest_chimera.checks.consistency import check_consistency; "
            f"facts = compute_facts(load_corpus({str(tmp_path)!r})); "
            "result = check_consistency('# R\\n\\nThe corpus holds 12 files; throughput was 41.2 tok/s.\\n', facts); "
            "assert sum(result.counts().values()) == 2, result.counts(); "
            "print('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
