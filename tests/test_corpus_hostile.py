"""Hostile and unlucky corpora: symlinks swapped during the ingest, file names that are not UTF-8, files that
fail part-way, numbers beyond a float's range."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pytest_chimera.evidence import corpus as corpus_module
from pytest_chimera.evidence import formats, jsonleaves
from pytest_chimera.evidence.corpus import Corpus, load_corpus
from pytest_chimera.evidence.facts import compute_facts

SECRET = "SECRET-OUTSIDE-THE-ROOT"
RACE_SECONDS = 1.5


def _ingested_text(corpus: Corpus) -> str:
    return json.dumps([corpus.markdown, corpus.json_data])


# Another process swaps in a tight loop (no GIL shared with the ingest) for the race's length:
# "link": LINK is replaced atomically by a fresh link, its target alternating between A and B;
# "dir": the real directory LINK is parked as A, and a symlink to the outside directory B put in its place.
# Each state is held for PAUSE seconds: long enough for an ingest to check in one state and open in the next.
_SWAPPER = """
import os, sys, time
mode, link, a, b, seconds, pause = sys.argv[1:7]
end, n, pause = time.monotonic() + float(seconds), 0, float(pause)
while time.monotonic() < end:
    if mode == "link":
        fresh = os.path.join(os.path.dirname(link), "." + os.path.basename(link))  # hidden: never scanned
        os.symlink(a if n % 2 == 0 else b, fresh)
        os.replace(fresh, link)
    elif n % 2 == 0:
        os.rename(link, a)
        os.symlink(b, link)
    else:
        os.unlink(link)
        os.rename(a, link)
    n += 1
    if pause:
        time.sleep(pause)
print(n)
"""


def _race(root: Path, swap: list[str], seconds: float, pause: float = 0.0005) -> tuple[int, int, list[str]]:
    """Ingest ``root`` over and over for ``seconds`` while another process swaps (``swap``: the _SWAPPER
    arguments). Returns (ingests, swaps, the ingests that read the outside file)."""
    swapper = subprocess.Popen([sys.executable, "-c", _SWAPPER, *swap, str(seconds), str(pause)],
                               stdout=subprocess.PIPE, text=True)
    ingests, leaks = 0, []
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            corpus = load_corpus(root)
            ingests += 1
            if SECRET in _ingested_text(corpus):
                leaks.append(f"ingest {ingests}: {sorted(corpus.markdown)} {sorted(corpus.json_data)}")
    finally:
        out, _ = swapper.communicate(timeout=30)
    return ingests, int(out or 0), leaks


def test_file_symlinks_swapped_during_ingests_never_lead_outside(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "inside.md").write_text("# inside\n")
    (outside / "secret.md").write_text(f"# {SECRET}\n")
    # corpus links through one hop: each swap of the hop changes where all of them lead
    for i in range(20):
        (root / f"link{i:02}.md").symlink_to("hop")
    (root / "hop").symlink_to("inside.md")
    ingests, swaps, leaks = _race(root, ["link", str(root / "hop"), "inside.md", str(outside / "secret.md")],
                                  RACE_SECONDS)
    assert ingests > 20 and swaps > 20  # both sides ran
    assert leaks == [], f"{len(leaks)} of {ingests} ingests read a file outside the root: {leaks[:3]}"


def test_a_directory_swapped_for_a_symlink_never_leads_outside(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "sub").mkdir(parents=True)
    (outside / "sub").mkdir(parents=True)
    for i in range(20):
        (root / "sub" / f"r{i:02}.md").write_text("# inside\n")
        (outside / "sub" / f"r{i:02}.md").write_text(f"# {SECRET}\n")
    ingests, swaps, leaks = _race(root, ["dir", str(root / "sub"), str(root / ".parked"), str(outside / "sub")],
                                  RACE_SECONDS)
    assert ingests > 20 and swaps > 20
    assert leaks == [], f"{len(leaks)} of {ingests} ingests read a file outside the root: {leaks[:3]}"


def test_a_symlink_found_swapped_at_open_time_is_an_error_naming_it(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Deterministic: the link is checked while it points inside, then swapped before the file is opened."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "inside.md").write_text("# inside\n")
    (outside / "secret.md").write_text(f"# {SECRET}\n")
    (root / "link.md").symlink_to("inside.md")
    checked = corpus_module._link_problem

    def check_then_swap(link: Path, base: Path) -> tuple[str, bool] | None:
        problem = checked(link, base)
        link.unlink()
        link.symlink_to(outside / "secret.md")
        return problem

    monkeypatch.setattr(corpus_module, "_link_problem", check_then_swap)
    corpus = load_corpus(root)
    assert SECRET not in _ingested_text(corpus)
    assert {e.path: e.reason for e in corpus.errors} == {
        "link.md": f"symlink leaves the corpus root (points to {outside / 'secret.md'})"}


def test_a_fifo_is_not_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.csv")
    (tmp_path / "ok.md").write_text("# fine\n")
    corpus = load_corpus(tmp_path)  # would block forever on open() without O_NONBLOCK and the type check
    assert {e.path: e.reason for e in corpus.errors} == {"pipe.csv": "not a regular file"}


# ---- file names that are not UTF-8 -----------------------------------------------------------------------


@pytest.fixture
def odd_names(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / os.fsdecode(b"d\xe9j\xe0")).mkdir(parents=True)
    (root / os.fsdecode(b"bad\xffname.csv")).write_text("a,b\n1,2\n3,4\n")
    (root / os.fsdecode(b"d\xe9j\xe0") / "t.md").write_text("| k | v |\n|---|---|\n| x | 5 |\n")
    (root / "caf\u00e9.json").write_text('{"n": 7}')
    return root


def test_names_that_are_not_utf8_are_shown_with_escapes(odd_names: Path) -> None:
    corpus = load_corpus(odd_names)
    assert [f.path for f in corpus.files] == ["bad\\xffname.csv", "caf\u00e9.json", "d\\xe9j\\xe0/t.md"]
    assert corpus.errors == []
    for fact in compute_facts(corpus):
        fact.key.encode("utf-8")  # every key and source encodes: prompts, cassettes and JSON take them
        fact.source.encode("utf-8")


def test_control_characters_in_names_are_escaped(tmp_path: Path) -> None:
    (tmp_path / "two\nlines.csv").write_text("a,b\n1,2\n")
    (tmp_path / "\x1b[2Jclear.md").write_text("# x\n")
    corpus = load_corpus(tmp_path)
    assert [f.path for f in corpus.files] == ["\\x1b[2Jclear.md", "two\\x0alines.csv"]
    assert "\x1b" not in corpus.data_summary() and "two\\x0alines.csv" in corpus.data_summary()


@pytest.mark.parametrize("encoding", ["utf-8", "ascii", "latin-1"])
def test_facts_prints_every_name_whatever_the_output_encoding(odd_names: Path, encoding: str) -> None:
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    for args in ([], ["--json"]):
        done = subprocess.run([sys.executable, "-m", "pytest_chimera", "facts", str(odd_names), *args],
                              capture_output=True, env=env, timeout=120, check=False)
        assert done.returncode == 0, done.stderr.decode(errors="replace")
        assert done.stderr == b""
        out = done.stdout.decode(encoding)
        assert "bad\\xffname.csv" in out or "bad\\\\xffname.csv" in out  # text, or JSON's escaped backslash
        if args:
            data = json.loads(out)
            assert "json.caf\u00e9.json.n" in [f["key"] for f in data["facts"]]
        else:
            assert "json.caf" in out and "table.d\\xe9j\\xe0/t.md#1[x].v" in out


# ---- a file that fails part-way contributes nothing; numbers beyond a float ----------------------------------


def test_a_json_file_that_fails_part_way_gives_no_facts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bad.json").write_text('{"ok": 5, "later": 6}')
    (tmp_path / "good.json").write_text('{"ok": 1}')
    real = jsonleaves.json_leaves

    def fail_after_first_leaf(value: object, file: str, out: list[tuple[str, str, float, str]]) -> None:
        real(value, file, out)
        if file == "bad.json":
            raise ValueError("broken half-way")

    monkeypatch.setattr(jsonleaves, "json_leaves", fail_after_first_leaf)
    corpus = load_corpus(tmp_path)
    assert [str(e) for e in corpus.errors] == ["bad.json: ValueError: broken half-way"]
    assert list(corpus.json_data) == ["good.json"]
    keys = [f.key for f in compute_facts(corpus)]
    assert "json.good.json.ok" in keys and not any("bad.json" in k for k in keys)
    assert corpus.count("json") == 2  # it still counts as a file of its type


def test_a_markdown_file_that_fails_part_way_gives_no_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bad.md").write_text("| a | b |\n|---|---|\n| 1 | 2 |\n")

    def fail(path: str, text: str) -> list[formats.MarkdownTable]:
        raise ValueError("table parser broke")

    monkeypatch.setattr(corpus_module, "markdown_tables", fail)
    corpus = load_corpus(tmp_path)
    assert [str(e) for e in corpus.errors] == ["bad.md: ValueError: table parser broke"]
    assert corpus.markdown == {} and corpus.md_tables == {} and corpus.encodings == {}


HUGE = "9" * 400


def test_numbers_beyond_a_float_never_become_infinity(tmp_path: Path) -> None:
    (tmp_path / "t.md").write_text(f"| run | tokens |\n|---|---|\n| a | {HUGE} |\n| b | 2 |\n| c | 4 |\n")
    (tmp_path / "r.json").write_text(f'{{"huge": {HUGE}, "ok": 3, "inf": 1e999}}')
    (tmp_path / "c.csv").write_text(f"x,y\n{HUGE}.5,1\n2,3\n")
    corpus = load_corpus(tmp_path)
    assert corpus.errors == []  # the files load; only the numbers beyond a float are left out
    assert corpus.md_tables["t.md"][0].numbers[0] == (None, None)
    facts = {f.key: f.value for f in compute_facts(corpus)}
    assert facts["json.r.json.ok"] == 3 and "json.r.json.huge" not in facts
    assert facts["table.t.md#1[b].tokens"] == 2 and "table.t.md#1[a].tokens" not in facts
    assert facts["table.t.md#1.tokens.mean"] == 3
    assert all(abs(v) < float("inf") for v in facts.values())


def test_facts_json_is_strict_json(tmp_path: Path) -> None:
    (tmp_path / "t.md").write_text(f"| run | tokens |\n|---|---|\n| a | {HUGE} |\n| b | 2 |\n")
    (tmp_path / "r.json").write_text(f'{{"huge": {HUGE}, "ok": 3}}')
    done = subprocess.run([sys.executable, "-m", "pytest_chimera", "facts", str(tmp_path), "--json"],
                          capture_output=True, text=True, timeout=120, check=True)

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    data = json.loads(done.stdout, parse_constant=refuse)
    assert {f["key"] for f in data["facts"]} >= {"json.r.json.ok", "table.t.md#1[b].tokens"}


@pytest.mark.parametrize("producer", ["file_facts", "json_facts", "parameter_facts"])  # first, after a table, last
def test_a_non_finite_fact_from_any_producer_is_left_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         producer: str) -> None:
    """The last guard in compute_facts: a producer (today's or a future derived fact) that yields NaN or
    Infinity does not put it in the table."""
    from pytest_chimera.evidence import facts as facts_module

    real = getattr(facts_module, producer)

    def with_bad_rows(*args: Any) -> None:
        rows: list[facts_module.Row] = next(a for a in args if isinstance(a, list))
        rows.append(("derived.inf", float("inf"), "", "a broken producer", ()))
        rows.append(("derived.nan", float("nan"), "", "a broken producer", ()))
        real(*args)

    monkeypatch.setattr(facts_module, producer, with_bad_rows)
    (tmp_path / "t.csv").write_text("a,b\n1,2\n")
    (tmp_path / "a.json").write_text('{"x": 1}')
    keys = [f.key for f in compute_facts(load_corpus(tmp_path))]
    assert "json.a.json.x" in keys and "files.total" in keys
    assert "derived.inf" not in keys and "derived.nan" not in keys


def test_facts_json_refuses_to_print_a_non_finite_value(tmp_path: Path) -> None:
    import io

    from pytest_chimera.cli.facts import write_json
    from pytest_chimera.evidence.facts import Fact, Facts

    corpus = load_corpus(tmp_path)
    out = io.StringIO()
    write_json(corpus, Facts.from_records([Fact("ok", 1.0, "", "s")]), out)
    assert json.loads(out.getvalue())["facts"] == [{"key": "ok", "value": 1.0, "unit": "", "source": "s",
                                                    "labels": []}]
    with pytest.raises(ValueError, match="not JSON compliant"):
        write_json(corpus, Facts.from_records([Fact("bad", float("nan"), "", "s")]), io.StringIO())


def test_a_fifo_swapped_in_after_the_scan_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The scan saw a regular file; the open finds a FIFO: O_NONBLOCK keeps the open from waiting for a
    writer, and the type of the opened file is checked again."""
    import signal

    os.mkfifo(tmp_path / "pipe.csv")
    monkeypatch.setattr(corpus_module, "_scanned_regular", lambda entry: True)

    def give_up(signum: int, frame: object) -> None:
        raise TimeoutError("the open blocked on the FIFO")

    old = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(10)
    try:
        corpus = load_corpus(tmp_path)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert {e.path: e.reason for e in corpus.errors} == {"pipe.csv": "not a regular file"}
