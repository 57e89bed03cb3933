"""The file formats of a corpus: text decoding (UTF-8, UTF-16 and its damaged forms), CSV read without pandas
into typed columns (``parse_csv``; anything doubtful falls back to ``pd.read_csv``), and Markdown pipe tables
with each cell parsed to a number where it is one (JSON: ``jsonleaves``).

Plain functions over text; only the standard library at module level (pandas on first use).
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

class SkipFile(Exception):
    """Raised inside the per-file readers: the file becomes an IngestError with this message."""


def dedupe_names(names: tuple[str, ...] | list[str]) -> list[str]:
    """Column names made unique the way pandas does it: a repeated ``x`` becomes ``x.1``, ``x.2``."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        n = seen.get(name, 0)
        seen[name] = n + 1
        out.append(name if n == 0 else f"{name}.{n}")
    return out



@dataclass(frozen=True)
class MarkdownTable:
    """A pipe table found in a Markdown file.

    ``cells`` are the raw cell texts (row-major, each row padded to the header's width); ``numbers`` the same
    shape with each cell parsed to a float (``None`` where the cell is not a number); ``units`` per cell the
    unit written beside the number (``s``, ``ms``, ``tok/s``, ``%``, ``x``, ``GB``, ... or ``""``).
    """

    path: str
    index: int  # 1-based position of the table in its file
    header: tuple[str, ...]
    cells: tuple[tuple[str, ...], ...]
    numbers: tuple[tuple[float | None, ...], ...]
    units: tuple[tuple[str, ...], ...]

    @property
    def name(self) -> str:
        """``<path>#<index>``: how facts name this table."""
        return f"{self.path}#{self.index}"

    def frame(self) -> pd.DataFrame:
        """The table as a DataFrame of parsed numbers (NaN where a cell is not a number), header as columns."""
        import pandas as pd

        rows = [[math.nan if v is None else v for v in row] for row in self.numbers]
        frame: pd.DataFrame = pd.DataFrame(rows, columns=dedupe_names(self.header))
        return frame


def decode(data: bytes) -> tuple[str, str]:
    """Decode file bytes: UTF-8 (with or without BOM) or UTF-16 with BOM. Returns ``(text, encoding)``.

    Raises ``ValueError`` with a one-line reason for empty, binary or undecodable data.
    """
    if not data:
        raise ValueError("empty file")
    if data.startswith(b"\xef\xbb\xbf"):
        body, encoding = data[3:], "utf-8-sig"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        big = data.startswith(b"\xfe\xff")
        return _utf16(data[2:], big, "utf-16-be" if big else "utf-16-le")
    elif data.startswith((b"\xc3\xbf\xc3\xbe", b"\xc3\xbe\xc3\xbf")):
        # a UTF-16 BOM that was itself re-encoded as UTF-8 ("\xff\xfe" -> "\u00ff\u00fe"), before UTF-16 text
        big = data.startswith(b"\xc3\xbe")
        return _utf16(data[4:], big, "utf-16-be (mangled BOM)" if big else "utf-16-le (mangled BOM)")
    else:
        body, encoding = data, "utf-8"
    if b"\x00" in body:
        sample = body[:4096]
        half = max(1, len(sample) // 2)
        if sample[1::2].count(0) >= 0.9 * half:
            return _utf16(body, False, "utf-16-le (no BOM)")
        if sample[0::2].count(0) >= 0.9 * half:
            return _utf16(body, True, "utf-16-be (no BOM)")
        raise ValueError("binary file (NUL bytes, not UTF-16 text)")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"not UTF-8 or UTF-16 text (byte 0x{body[exc.start]:02x} at offset {exc.start}); re-save it as UTF-8"
        ) from None
    return _check_text(text), encoding


def _utf16(body: bytes, big: bool, name: str) -> tuple[str, str]:
    if not big and b"\r\n\x00" in body:
        # UTF-16-LE written through a text-mode CRLF translation ("\n\x00" -> "\r\n\x00"): undo it
        body = body.replace(b"\r\n\x00", b"\n\x00")
    if len(body) % 2:
        body = body[:-1]  # a truncated UTF-16 file: drop the dangling half code unit
    codec = "utf-16-be" if big else "utf-16-le"
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as exc:
        raise ValueError(f"undecodable {codec} (byte offset {exc.start}); re-save the file as UTF-8") from None
    if "\x00" in text:
        raise ValueError(f"binary file (NUL characters in {codec} text)")
    return _check_text(text), name


def _check_text(text: str) -> str:
    if not text or text.isspace():  # (no stripped copy of the whole text to find it empty)
        raise ValueError("empty file (whitespace only)")
    return text


def exact_floats() -> dict[str, Any]:
    """``read_csv`` keywords that make the value read the value written: pandas 2's default "high" float
    converter can be one ulp off (18015.312462256756 -> 18015.31246225676); pandas 3 is exact by default
    and deprecates the keyword."""
    import pandas as pd

    return {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}


def read_csv(text: str) -> pd.DataFrame:
    import pandas as pd

    try:
        frame: pd.DataFrame = pd.read_csv(io.StringIO(text), low_memory=False, **exact_floats())
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SkipFile(f"invalid CSV: {first}") from None
    return frame


# ---- CSV without pandas ----------------------------------------------------------------------------------
#
# ``pd.read_csv`` costs about 0.6 ms per small file, mostly building the DataFrame; a corpus holds
# thousands of small CSVs and the facts need only their columns. ``parse_csv`` reads the plain cases with
# the csv module and types each column exactly as ``read_csv`` would (int64, float64, bool or text, NaN for
# the default NA strings); CRLF line ends and a header without rows too. Anything it is not sure about
# returns None and the file goes through ``read_csv`` as before: exponents, inf, booleans beside missing or
# other cells, padded cells, quotes outside RFC 4180 fields, ragged rows, one column with rows, duplicate or
# blank header names, a lone ``\r`` or one in a quoted file, over 17 significant digits. Floats: read_csv's
# converter and ``float()`` agree: ``read_csv`` asks for ``float_precision="round_trip"``, which is ``float()``'s own
# rounding; the fast path still takes at most 17 significant digits, which covers every ``repr`` of a float.
# ``Corpus.tables`` builds a fast-parsed file's DataFrame with ``read_csv`` on first access, so the tables
# are the same either way (tests/test_corpus_fast.py compares both paths).

# pandas' default NA strings (``pandas._libs.parsers.STR_NA_VALUES``; tests/test_corpus_fast.py checks it)
CSV_NA_VALUES = frozenset({
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A",
    "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
})
_CSV_FLOAT = re.compile(r"[+-]?(\d*)(?:\.(\d*))?\Z", re.ASCII)
# what read_csv might read as a number or a boolean although the two patterns above do not take it
_CSV_DOUBTFUL = re.compile(
    r"\s*[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d*)?|inf(?:inity)?|nan)\s*\Z|\s*(?:true|false)\s*\Z",
    re.IGNORECASE)
_NAN = float("nan")


@dataclass(frozen=True)
class CsvColumns:
    """A CSV read without pandas: header names, row count, and per column whether ``read_csv`` types it as
    a number (int64/float64) with its values as floats (NaN where missing), or as text (str, NaN where
    missing), as ``DataFrame[column].tolist()`` gives it."""

    names: tuple[str, ...]
    nrows: int
    numeric: tuple[bool, ...]
    values: tuple[list[Any], ...]


def _float_ok(match: re.Match[str] | None) -> bool:
    """A decimal that read_csv's converter and ``float()`` are known to round the same: at most 17
    significant digits (every ``repr`` of a float), at most 22 after the point, no exponent."""
    if match is None:
        return False
    whole, frac = match.group(1), match.group(2) or ""
    if not whole and not frac:
        return False
    return len((whole + frac).lstrip("0")) <= 17 and len(frac) <= 22


_FIELD_LIMIT = 131072  # csv.field_size_limit()'s default: a longer field is an error there


def parse_csv(text: str) -> CsvColumns | None:
    """The plain CSVs typed as ``pd.read_csv(..., low_memory=False)`` types them, or None when unsure."""
    if text.startswith("\ufeff"):
        return None
    if "\r" in text:  # CRLF line ends (a Windows tool's CSV): the same table, unless a quoted field holds one
        if '"' in text or "\r" in text.replace("\r\n", ""):
            return None
        text = text.replace("\r\n", "\n")
    if '"' in text and (len(text) > 1 << 20 or not _rfc4180_quotes(text)):
        return None
    if '"' in text or "\x00" in text or len(text) > _FIELD_LIMIT:
        try:
            rows = list(csv.reader(io.StringIO(text), strict=True))
        except csv.Error:
            return None
    else:  # no quote, no NUL, no field over the csv module's limit: its reader splits at "\n" and ","
        lines = text.split("\n")
        if not lines[-1]:
            lines.pop()  # the line end of the last row starts no row
        rows = [line.split(",") if line else [] for line in lines]
    if not rows:
        return None
    names = rows[0]
    width = len(names)
    if len(set(names)) != width:
        return None
    for name in names:
        if not name or name != name.strip():
            return None
    data = [row for row in rows[1:] if row]  # read_csv skips blank lines
    if not data:  # a header alone (a failed export's message): no rows, every column text
        return CsvColumns(tuple(names), 0, (False,) * width, tuple([] for _ in names))
    if width < 2 or {*map(len, data)} != {width}:  # ragged rows
        return None
    columns: list[list[Any]] = []
    numeric: list[bool] = []
    for cells in zip(*data, strict=True):
        kind, values = _type_column(cells)
        if kind is None:
            return None
        numeric.append(kind)
        columns.append(values)
    return CsvColumns(tuple(names), len(data), tuple(numeric), tuple(columns))


# a whole column of plain decimals, joined with NUL (which decoded corpus text never holds); every
# pattern here reads a string one way only, so a failed match never backtracks exponentially
_CSV_ALL_NUMBERS = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:\x00[+-]?(?:\d+(?:\.\d*)?|\.\d+))*\Z", re.ASCII)
_CSV_NUMBER_START = frozenset("0123456789+-. \t\n\x0b\x0c")
_CSV_WORDS = frozenset({"inf", "infinity", "nan", "true", "false"})
# read_csv's default true/false values; a column of these alone (none missing) is bool
_CSV_TRUE = frozenset({"True", "TRUE", "true"})
_CSV_BOOLEANS = _CSV_TRUE | {"False", "FALSE", "false"}


def _rfc4180_quotes(text: str) -> bool:
    """Whether every quote of the text is RFC 4180 quoting, which read_csv and the csv module read the same way
    (a stray quote inside an unquoted field is where they may differ): each field is ``"..."`` (a quote inside doubled)
    or holds no quote at all. Between two quoted stretches (the text split at its quotes, every other
    piece) there is nothing (a doubled quote) or a field end on both sides (``","``, ``",\n"``)."""
    pieces = text.split('"')
    last = len(pieces) - 1
    if last % 2:
        return False  # an odd number of quotes: one is never closed
    for i in range(0, last + 1, 2):
        piece = pieces[i]
        if piece and ((i > 0 and piece[0] not in ",\n") or (i < last and piece[-1] not in ",\n")):
            return False
    return True


def _type_column(cells: tuple[str, ...]) -> tuple[bool | None, list[Any]]:
    """``(is_numeric, values)`` for one column's cells, ``(None, [])`` when read_csv's typing is in doubt."""
    joined = "".join(cells)
    digits = joined.replace(".", "")
    if digits.isascii() and digits.encode().isdigit():  # (bytes.isdigit: ASCII digits, checked faster)
        # ASCII digits and points alone (the common case, checked faster than the pattern below): int() and
        # float() take such a cell exactly when it is a plain decimal; an empty cell or "1.2.3" goes on below
        if len(digits) == len(joined):  # ints
            if len(joined) < 19 or max(map(len, cells)) < 19:
                try:
                    return True, list(map(float, cells))  # digits alone: float() rounds them as int() then float()
                except ValueError:
                    pass  # an empty cell
            return _int_column(cells)  # "" where missing: what the general loop below reads too
        try:
            floats = list(map(float, cells))
        except ValueError:
            pass
        else:
            if max(map(len, cells)) > 17 and not all(map(_float_ok, map(_CSV_FLOAT.match, cells))):
                return None, []
            return True, floats
    joined = "\x00".join(cells)
    if _CSV_ALL_NUMBERS.match(joined):  # every cell a number, none missing: the common case, one regex
        if "." not in joined:  # int64
            return _int_column(cells)
        if max(map(len, cells)) > 17 and not all(map(_float_ok, map(_CSV_FLOAT.match, cells))):
            return None, []
        return True, list(map(float, cells))
    if cells[0] in _CSV_BOOLEANS and _CSV_BOOLEANS.issuperset(cells):  # TRUE/FALSE in every cell: a bool column
        return False, [cell in _CSV_TRUE for cell in cells]
    na = CSV_NA_VALUES
    missing = False
    numbers = texts = 0
    for cell in cells:
        if cell in na:
            missing = True
        elif cell[0] not in _CSV_NUMBER_START and not cell[-1].isspace() and cell.lower() not in _CSV_WORDS:
            texts += 1
        elif (match := _CSV_FLOAT.match(cell)) is not None and (match.group(1) or match.group(2)):
            numbers += 1
        elif cell != cell.strip() or _CSV_DOUBTFUL.match(cell):
            return None, []
        else:
            texts += 1
    if texts:
        # a text column: numbers stay the strings they were
        return False, [_NAN if cell in na else cell for cell in cells]
    # numbers with missing cells (or none at all): float64, NaN where missing
    if missing and numbers and not any("." in cell for cell in cells):
        return _int_column(cells)  # read_csv reads ints, then casts: "-0" is 0.0 here, -0.0 among floats
    values: list[Any] = []
    for cell in cells:
        if cell in na:
            values.append(_NAN)
            continue
        match = _CSV_FLOAT.match(cell)
        if match is None or not _float_ok(match):
            return None, []
        values.append(float(cell))
    return True, values


def _int_column(cells: tuple[str, ...]) -> tuple[bool | None, list[Any]]:
    """An all-int column (NA cells allowed) as floats, as read_csv's int64 cast to float gives them."""
    na = CSV_NA_VALUES
    if max(map(len, cells)) > 18 and any(len(cell.lstrip("+-")) > 18 for cell in cells):
        return None, []
    return True, [_NAN if cell in na else float(int(cell)) for cell in cells]



# ---- Markdown tables -------------------------------------------------------------------------------------

_DELIM_CELL = re.compile(r"^\s*:?-+:?\s*$")
_NUMBER = re.compile(
    r"^\s*(?P<sign>[+\-\u2212]?)\s*(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"\s*(?P<unit>[a-zA-Z%/]+(?:/[a-zA-Z]+)?)?\s*(?:\(.*\))?\s*$"
)
_CELL_UNITS = {
    "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
    "ms": "ms", "tok/s": "tok/s", "tokens/s": "tok/s", "t/s": "tok/s", "tps": "tok/s",
    "%": "%", "x": "x", "gb": "GB", "mb": "MB", "kb": "KB", "gib": "GiB", "mib": "MiB",
    "tokens": "tokens", "token": "tokens", "files": "files", "runs": "runs",
}


def parse_cell(text: str) -> tuple[float | None, str]:
    """A Markdown table cell as ``(number, unit)``: ``"**303.9 tok/s**"`` -> ``(303.9, "tok/s")``.

    Emphasis, backticks and thousands separators are dropped; a trailing parenthetical is ignored.
    ``(None, "")`` when the cell is not a number with an optional known unit, or is beyond a float's range.
    """
    if "*" in text or "_" in text or "`" in text:
        cleaned = text.replace("**", "").replace("__", "").replace("`", "").strip().strip("*_").strip()
    else:
        cleaned = text.strip()
    if not cleaned or not (cleaned[0].isdigit() or cleaned[0] in "+-.\u2212"):
        return None, ""
    if cleaned.isascii() and cleaned[-1] != "." and cleaned.replace(".", "", 1).isdigit():
        # a plain decimal ("102.85", ".5"; not "5."), most cells: what _by_pattern reads, without the pattern
        number = float(cleaned)
        return (number, "") if math.isfinite(number) else (None, "")
    return _by_pattern(cleaned)


def _by_pattern(cleaned: str) -> tuple[float | None, str]:
    """``parse_cell`` of a cell without emphasis, backticks or surrounding space."""
    match = _NUMBER.match(cleaned)
    if match is None:
        return None, ""
    sign, digits, unit_text = match.group("sign", "num", "unit")
    unit_text = (unit_text or "").lower()
    unit = _CELL_UNITS.get(unit_text)
    if unit is None:
        if unit_text:
            return None, ""
        unit = ""
    number = float(digits.replace(",", ""))
    if not math.isfinite(number):  # more digits than a float holds (a 400-digit cell): not a number here
        return None, ""
    if sign in ("-", "\u2212"):
        number = -number
    return number, unit


_CELL_SPLIT = re.compile(r"(?<!\\)\|")  # a pipe, unless escaped
_FENCES = ("```", "~~~")


def _split_row(line: str) -> list[str]:
    text = line.strip()
    if text.startswith("|"):
        text = text[1:]
    if text.endswith("|") and not text.endswith("\\|"):
        text = text[:-1]
    return [c.strip() for c in (_CELL_SPLIT.split(text) if "\\" in text else text.split("|"))]


def markdown_tables(path: str, text: str) -> list[MarkdownTable]:
    """The pipe tables of a Markdown text (outside code fences), numbers parsed per cell.

    A table is a header line, a delimiter row (``| --- | :--: |``) and the ``|`` lines after it. When the
    header line carries more cells than the delimiter row (text before the first ``|``), its last cells
    are the header.
    """
    if "|" not in text:
        return []
    lines = text.splitlines()
    count = len(lines)
    fenced = "```" in text or "~~~" in text  # else no line can open a fence: skip the check
    tables: list[MarkdownTable] = []
    fence = False
    i = 1  # the next line to read (line 0 has no line above it to be a header)
    # only a line that may be a delimiter row or a fence can change anything: go from one to the next
    candidates = [k for k, line in enumerate(lines) if ("|" in line and "-" in line)
                  or (fenced and ("```" in line or "~~~" in line))]
    for k in candidates:
        if k < i:
            continue  # the first line, or a row of the table just read
        i, line = k, lines[k]
        if fenced and line.lstrip().startswith(_FENCES):
            fence = not fence
            i += 1
            continue
        if fence or "|" not in line or "-" not in line:
            i += 1
            continue
        delim = _split_row(line)
        if not delim or not all(_DELIM_CELL.match(c) for c in delim) or "|" not in lines[i - 1]:
            i += 1
            continue
        width = len(delim)
        header = _split_row(lines[i - 1])
        header = header[-width:] if len(header) >= width else header + [""] * (width - len(header))
        rows: list[tuple[str, ...]] = []
        j = i + 1
        numbers: list[tuple[float | None, ...]] = []
        units: list[tuple[str, ...]] = []
        while j < count and "|" in lines[j] and lines[j].strip():
            cells = _split_row(lines[j])
            if len(cells) != width:
                cells = cells[:width] + [""] * (width - len(cells))
            row = tuple(cells)
            rows.append(row)
            row_numbers, row_units = zip(*map(parse_cell, row), strict=True)
            numbers.append(row_numbers)
            units.append(row_units)
            j += 1
        tables.append(MarkdownTable(path=path, index=len(tables) + 1, header=tuple(header), cells=tuple(rows),
                                    numbers=tuple(numbers), units=tuple(units)))
        i = j
    return tables
