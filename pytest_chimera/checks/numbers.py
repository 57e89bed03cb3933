"""Numbers in prose: value, unit, the precision the digits imply, and what kind of number it is.

``find_numbers(text)`` returns every number of a line of plain text (markdown markup already removed),
with its unit (canonical: ``%``, ``ms``, ``tok/s``, ``GB``, ``files`` ...), the tolerance its written digits
imply (half a unit of the last digit: "28.3" -> 0.05) and a ``form``:

- ``quantity``: an ordinary number ("101", "12.5k", "45ms", "1,234.5 tokens");
- ``date``: part of a date or time ("2025-11-14", "November 14, 2025", "18:53:30");
- ``ordinal``: list or section numbering ("1. ", "Step 2", "3rd");
- ``config``: a ``key=value`` run option ("num_ctx=2048");
- ``model``: a size inside a model name ("270m", "1b" in "gemma3-1b");
- ``version``: a version number in a model family's name ("Gemma 3 model", "Llama 3.1 8B", "Qwen 2.5 models").

Digits inside identifiers (file names, ``gemma3``, ``conv_bench_20251002``) are not numbers and are skipped.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

# canonical unit -> (dimension, factor to the dimension's base unit)
UNITS: dict[str, tuple[str, float]] = {
    "%": ("percent", 1.0),
    "fraction": ("percent", 100.0),
    "ns": ("time", 1e-6),
    "us": ("time", 1e-3),
    "ms": ("time", 1.0),
    "s": ("time", 1000.0),
    "min": ("time", 60_000.0),
    "h": ("time", 3_600_000.0),
    "B": ("bytes", 1.0),
    "KB": ("bytes", 1e3),
    "MB": ("bytes", 1e6),
    "GB": ("bytes", 1e9),
    "TB": ("bytes", 1e12),
    "KiB": ("bytes", 1024.0),
    "MiB": ("bytes", 1024.0**2),
    "GiB": ("bytes", 1024.0**3),
    "tok/s": ("tok/s", 1.0),
    "samples/s": ("samples/s", 1.0),
    "req/s": ("req/s", 1.0),
    "it/s": ("it/s", 1.0),
    "B/s": ("bytes/s", 1.0),
    "KB/s": ("bytes/s", 1e3),
    "MB/s": ("bytes/s", 1e6),
    "GB/s": ("bytes/s", 1e9),
    "x": ("ratio", 1.0),
}

# written form (lowercase) -> canonical unit; count nouns map to themselves (plural)
_ALIASES: dict[str, str] = {
    "%": "%", "percent": "%", "per cent": "%", "pct": "%",
    "ns": "ns", "nanosecond": "ns", "nanoseconds": "ns",
    "us": "us", "µs": "us", "μs": "us", "microsecond": "us", "microseconds": "us",
    "ms": "ms", "msec": "ms", "msecs": "ms", "millisecond": "ms", "milliseconds": "ms",
    "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
    "min": "min", "mins": "min", "minute": "min", "minutes": "min",
    "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "kb": "KB", "mb": "MB", "gb": "GB", "tb": "TB", "kib": "KiB", "mib": "MiB", "gib": "GiB",
    "bytes": "B", "byte": "B",
    "tok/s": "tok/s", "tok/sec": "tok/s", "tokens/s": "tok/s", "tokens/sec": "tok/s", "tokens/second": "tok/s",
    "tokens per second": "tok/s", "token/s": "tok/s", "t/s": "tok/s", "tps": "tok/s",
    "samples/s": "samples/s", "samples/sec": "samples/s", "samples/second": "samples/s",
    "samples per second": "samples/s",
    "req/s": "req/s", "requests/s": "req/s", "requests/sec": "req/s", "requests per second": "req/s", "rps": "req/s",
    "it/s": "it/s", "iterations/s": "it/s",
    "ops/s": "ops/s", "ops/sec": "ops/s", "op/s": "ops/s", "operations/s": "ops/s", "operations/sec": "ops/s",
    "operations per second": "ops/s",
    "b/s": "B/s", "bytes/s": "B/s", "kb/s": "KB/s", "mb/s": "MB/s", "gb/s": "GB/s",
    "x": "x", "×": "x",
}
COUNT_NOUNS = (
    "files", "tokens", "rows", "runs", "samples", "requests", "iterations", "models", "records", "entries",
    "tests", "calls", "prompts", "columns", "experiments", "configurations", "benchmarks", "reports", "words",
    "parameters",
)
for _noun in COUNT_NOUNS:
    _ALIASES[_noun] = _noun
    _ALIASES[_noun[:-1]] = _noun
COUNT_UNITS = frozenset(COUNT_NOUNS) | {"chars"}  # units that count things
_ALIASES["documents"] = "files"  # "44 JSON documents": a corpus's documents are its files
_VERB_OBJECT = re.compile(r"\s+(?:the|a|an|how|that|this|these|those|its|their|what|why|each|every|all|some|key|our)\b",
                          re.I)


def a_verb(word: str, text: str, end: int) -> bool:
    """Whether the unit word ``word`` that ends at ``end`` of ``text`` is a verb there: "documents" before its
    object ("Report 108 documents the results" counts no files)."""
    return word.lower() == "documents" and _VERB_OBJECT.match(text, end) is not None
_SINGULAR_COUNT_WORDS = frozenset(n[:-1] for n in COUNT_NOUNS)
_COUNT_WORDS = frozenset(COUNT_NOUNS) | _SINGULAR_COUNT_WORDS
_COUNT_HEAD = re.compile(r"[ \u00a0]+([A-Za-z]+)\b")
_COUNT_HEAD_2 = re.compile(r"[ \u00a0]+(?!(?:per|or|and|of|for|with|in|on|at|to|from|by|each|a|an|the|than|vs)\b)"
                           r"[A-Za-z]+[ \u00a0]+([A-Za-z]+)\b", re.I)  # "1 file per model": files

_SEP = "[,\u00a0\u202f\u2009'_]"
_NUM = rf"(?P<int>\d{{1,3}}(?:(?P<sep>{_SEP})\d{{3}})(?:(?P=sep)\d{{3}})*|\d+)(?:\.(?P<frac>\d+))?" \
    r"(?:[eE](?P<exp>[-+]?\d{1,3})(?!\w|\.\d))?"  # "1.759e+09": scientific notation, not "1.759e" then "+09"
_NUMBER_RE = re.compile(rf"(?P<sign>[-+\u2212])?{_NUM}(?P<mult>[kK](?![A-Za-z0-9]))?")
# the word after a number, checked against the known units in Python (one dict look-up, not a regex
# alternation of every spelling)
_UNIT_WORD = re.compile(
    r"[ \u00a0\u202f\u2009]?(?P<unit>%|[A-Za-zµμ×][A-Za-z/]*(?:\s+per\s+(?:second|sec|s)\b|\s+cent\b)?)"
)


def _unit_at(text: str, pos: int) -> tuple[str, int] | None:
    """(written unit, end) when a known unit follows the number ending at ``pos``."""
    after = text[pos:pos + 2]
    if after and (not after[0].isascii() or (after[0] == " " and not after[1:].isascii())):
        files = _CJK_FILES.match(text, pos)  # "101个文件", "32 文件": a count of files
        if files:
            return "files", files.end()
    m = _UNIT_WORD.match(text, pos)
    if m is None:
        return None
    word = m.group("unit")
    if a_verb(word, text, m.end()):
        return None
    if word.lower() in _ALIASES or re.sub(r"\s+", " ", word.lower()) in _ALIASES:
        head = _COUNT_HEAD.match(text, m.end()) if word.lower() in _COUNT_WORDS else None
        if head is not None and head.group(1).lower() in _COUNT_WORDS:  # "101 benchmark files": the head noun
            return head.group(1), head.end()
        if word.lower() in _SINGULAR_COUNT_WORDS:  # "10 parameter tuning files": a singular noun before a word
            head = _COUNT_HEAD_2.match(text, m.end())  # modifies it; the count is of the noun after
            if head and head.group(1).lower() in _COUNT_WORDS:
                return head.group(1), head.end()
        return word, m.end()
    first = re.match(r"[A-Za-zµμ×%][A-Za-z/]*", word)  # "tokens per thing": try the first word alone
    if first and first.group(0) != word and first.group(0).lower() in _ALIASES:
        return first.group(0), m.start("unit") + first.end()
    return None


_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?" \
         r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DATE_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s?(?:UTC|Z|[+-]\d{2}:?\d{2}))?)?"
    r"|\d{4}/\d{2}/\d{2}|\d{1,2}/\d{1,2}/\d{4}"
    rf"|\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{4}})?\b"
    rf"|\b{_MONTH}\s+\d{{4}}\b"
    r"|\b\d{1,2}:\d{2}(?::\d{2})?(?:\s?(?:am|pm|UTC))?\b"
    r"|\b(?:in|since|during|year|until|by|from|of)\s+(?:19|20)\d{2}\b(?![.,]\d)",
    re.I,
)
_ORDINAL_WORD_RE = re.compile(
    r"\b(?:step|section|phase|stage|part|round|rank|no\.|number|#)\s*#?\d+\b|\b\d+(?:st|nd|rd|th)\b", re.I
)
_LIST_NUMBER_RE = re.compile(r"^\s*(?:[-*+]\s+)?\d+[.)](?=\s|$)")
_CONFIG_RE = re.compile(r"\b(?P<key>[A-Za-z][\w.]*)\s*=\s*(?=[-+]?\d)")
_CONFIG_KEYS = {"num_ctx", "num_gpu", "num_predict", "num_thread", "temperature", "temp", "top_p", "top_k", "seed",
                "repeat_penalty", "n_ctx", "n_threads", "n_gpu_layers", "batch_size", "num_batch", "min_p",
                "max_tokens", "context_length"}
_CONFIG_COLON_RE = re.compile(r"\b(?P<key>[a-z]+_[a-z_]+)\s*:\s*(?=[-+]?\d)", re.I)


@dataclass(frozen=True)
class Number:
    """One number found in a line of text. ``start``/``end``: offsets of ``raw`` in that line."""

    value: float
    raw: str
    unit: str
    tolerance: float
    form: str  # quantity | date | ordinal | config | model | version
    start: int
    end: int
    key: str | None = None  # the option name of a config number

    def __init__(self, value: float, raw: str, unit: str, tolerance: float, form: str, start: int, end: int,
                 key: str | None = None) -> None:
        # the fields set in one step, not one ``object.__setattr__`` each (a report has thousands of numbers)
        self.__dict__.update(value=value, raw=raw, unit=unit, tolerance=tolerance, form=form, start=start, end=end,
                             key=key)


_PARTICIPLE = re.compile(r" (?:generated|processed|produced|decoded|served|handled) (?=per )")


def _unit_key(written: str) -> str:
    """A written unit lowercased, its spaces single, "tokens generated per second" as "tokens per second"."""
    return _PARTICIPLE.sub(" ", re.sub(r"\s+", " ", written.strip().lower()))


@lru_cache(maxsize=1024)
def canonical_unit(written: str) -> str:
    """The canonical unit of a written unit ("seconds" -> "s", "Tokens/Sec" -> "tok/s"); unknown: as is."""
    key = _unit_key(written)
    return _ALIASES.get(key, _ALIASES.get(key.replace("per ", "/"), written.strip()))


@lru_cache(maxsize=4096)
def is_unit_word(word: str) -> bool:
    """True when ``word`` is a written unit this module knows ("ms", "seconds", "files", "tokens per second")."""
    return _unit_key(word) in _ALIASES


def dimension(unit: str) -> tuple[str, float]:
    """(dimension, factor to its base unit) of a canonical unit; counts and unknown units are their own."""
    return UNITS.get(unit, (unit, 1.0))


def parse_number(text: str) -> float:
    """The value of one written number ("1,234.5", "12.5k", "45 ms" -> 45.0); ``ValueError`` if none."""
    m = _NUMBER_RE.search(text)
    if not m:
        raise ValueError(f"no number in {text!r}")
    return _value(m)[0]


def _value(m: re.Match[str]) -> tuple[float, float]:
    digits = m.group("int")
    if m.group("sep"):
        digits = digits.replace(m.group("sep"), "")
    frac = m.group("frac") or ""
    mult = 1000.0 if m.group("mult") else 1.0
    exp = m.group("exp")
    if exp is None:
        value = float(f"{digits}.{frac}" if frac else digits)
        tol = 0.5 * 10 ** (-len(frac)) * mult
    else:  # "1.228e+04": float() reads the exponent (beyond a float: inf, dropped by the caller)
        value = float(f"{digits}.{frac}e{exp}" if frac else f"{digits}e{exp}")
        tol = float(f"5e{int(exp) - len(frac) - 1}") * mult
    if m.group("sign") in ("-", "\u2212"):
        value = -value
    return value * mult, tol


def _spans(regex: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span() for m in regex.finditer(text)]


def _date_at(text: str, start: int, reach: int = 24) -> tuple[int, int] | None:
    """The span of the date or time that covers the number at ``start``: a date is tried from each word start
    up to ``reach`` characters before it ("November 14th, 2025"), so a line of thousands of numbers costs a
    few anchored matches per number, never a scan of the line per number."""
    for w in _WORD_START.finditer(text, max(0, start - reach), start + 1):
        m = _DATE_RE.match(text, w.start())
        if m is not None and m.end() > start:
            return m.span()
    return None


_WORD_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]")


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in spans)


_ANY_DIGIT = re.compile(r"\d")
# what a date or time needs somewhere in the line (a digit run of its own shape: "gemma3:270m" is none)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DATE_DIGITS = (r"(?<![\w.])(?:\d{4}[-/]\d{1,2}[-/]\d{1,2}|\d{1,2}/\d{1,2}/\d{4}|\d{1,2}:\d{2}(?!\w))"
                r"|\b(?:19[5-9]\d|20[0-3]\d)\b(?![.,]\d)")
_DATE_MONTHS = (rf"(?:{'|'.join(_MONTHS)})[a-z]*\.?\s+\d|\d(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{'|'.join(_MONTHS)})")
_DATE_HINT = re.compile(f"{_DATE_DIGITS}|{_DATE_MONTHS}", re.I)
# the same in two parts on lowercased text (faster without re.I): the digit forms, each starting with a digit (the
# lookahead lets the scan skip other characters at once), then the forms with a month, where one is written
_DATE_DIGITS_LOW = re.compile(rf"(?=\d)(?:{_DATE_DIGITS})")
_DATE_MONTHS_LOW = re.compile(_DATE_MONTHS)


def _dated(text: str, low: str) -> bool:
    """Whether a line (``low``: lowercased) has a date or time somewhere (``_DATE_HINT``)."""
    if len(low) != len(text):
        return _DATE_HINT.search(low) is not None
    return _DATE_DIGITS_LOW.search(low) is not None or \
        (any(m in low for m in _MONTHS) and _DATE_MONTHS_LOW.search(low) is not None)


_ORDINAL_SUFFIX = re.compile(r"\d(?:st|nd|rd|th)\b", re.I)
_ORDINAL_WORDS = ("step", "section", "phase", "stage", "part", "round", "rank", "no.", "number", "#")


def find_numbers(text: str) -> list[Number]:
    """Every number in one line of plain text, left to right (see the module docstring)."""
    if _ANY_DIGIT.search(text) is None:
        return []
    low = text.lower()
    dated = _dated(text, low)
    ordinal_hint = any(w in low for w in _ORDINAL_WORDS) or _ORDINAL_SUFFIX.search(text) is not None
    ordinals = _spans(_ORDINAL_WORD_RE, text) if ordinal_hint else []
    lm = _LIST_NUMBER_RE.match(text)
    if lm:
        ordinals.append(lm.span())
    configs = {m.end(): m.group("key") for m in _CONFIG_RE.finditer(text) if _is_option(m.group("key"))} \
        if "=" in text else {}
    for m in _CONFIG_COLON_RE.finditer(text) if ":" in text and "_" in text else ():  # a key has a _
        if _is_option(m.group("key")):
            configs[m.end()] = m.group("key")
    out: list[Number] = []
    pos = 0
    while True:
        found = _NUMBER_RE.search(text, pos)
        if not found:
            break
        m = found
        pos = m.end()
        start = m.start("int")
        span = _date_at(text, start) if dated else None
        if span:
            lead = re.match(r"(?i)(?:in|since|during|year|until|by|from|of)\s+", text[span[0]:span[1]])
            if lead:
                span = (span[0] + lead.end(), span[1])
            year = re.search(r"(?:19|20)\d{2}", text[span[0]:span[1]])
            value = float(year.group(0)) if year else _value(m)[0]
            out.append(Number(value, text[span[0]:span[1]], "", 0.0, "date", span[0], span[1]))
            pos = span[1]
            continue
        sign = m.group("sign")
        before = text[m.start() - 1] if m.start() > 0 else " "
        if sign and (_glued(before) or before in "%)"):
            sign = None
        if start > 0 and (_glued(text[start - 1]) or text[start - 1] in "_.") and not sign:
            pos = _skip_word(text, m.start())
            continue
        if start > 1 and text[start - 1] in "-:/" and not sign and (text[start - 2].isalnum()):
            if not _is_range(text, start):
                pos = _skip_word(text, m.start())
                continue
        scale = _SCALE_RE.match(text, m.end())
        unit_found = _unit_at(text, scale.end() if scale else m.end())
        unit_written = unit_found[0] if unit_found else None
        end = unit_found[1] if unit_found else m.end()
        after = text[end:end + 1]
        if after == "." and text[end + 1:end + 2].isdigit():  # a version such as 1.2.3
            pos = _skip_word(text, m.start())
            continue
        if not unit_written and after[:1].isalpha() and not _CJK.match(after):
            # "270m", "1b": a model size; "3rd": ordinal handled below; any other letters: identifier
            tail = re.match(r"[A-Za-z]+", text[end:])
            word = tail.group(0) if tail else ""
            if word.lower() in ("m", "b"):
                stop = end + len(word)
                # parameters, read as a claim where it is a size; a nominal size names models of exactly that
                # size ("1B" is no measurement within half a billion), so no tolerance
                per = 1e6 if word.lower() == "m" else 1e9
                out.append(Number(abs(_value(m)[0]) * per, text[m.start("int"):stop], "", 0.0, "model",
                                  m.start("int"), stop))  # "2.5-7B": the dash joins, no sign
                pos = stop
                continue
            if not (ordinals and _inside(start, ordinals)):
                pos = _skip_word(text, m.start())
                continue
        if after[:1] in ("_",) or (after[:1] in "-:/." and text[end + 1:end + 2].isalpha() and not unit_written):
            pos = _skip_word(text, m.start())
            continue
        if not sign and not scale and not m.group("mult") and _is_version(text, start, m.end()):
            out.append(Number(_value(m)[0], text[start:m.end()], "", 0.0, "version", start, m.end()))
            pos = m.end()
            continue
        pos = end
        value, tol = _value(m)
        if scale:  # "1 billion", "270 million"
            value, tol = value * _SCALE_WORDS[scale.group(1).lower()], tol * _SCALE_WORDS[scale.group(1).lower()]
            end = max(end, scale.end())
        if not math.isfinite(value):  # 310 digits or more: beyond a float, no figure any fact could have
            continue
        if not sign and m.group("sign"):
            value = abs(value)
            begin = m.start("int")
        else:
            begin = m.start()
        raw = text[begin:end].rstrip()
        unit = canonical_unit(unit_written) if unit_written else ""
        form = "quantity"
        key = None
        if ordinals and _inside(start, ordinals):
            form = "ordinal"
        elif begin in configs or start in configs:
            form = "config"
            key = configs.get(begin, configs.get(start))
        out.append(Number(value, raw, unit, tol, form, begin, begin + len(raw), key))
    _propagate_range_units(text, out)
    return out


_WORDISH = re.compile(r"[\w.:/\-]*")
# a capitalised name word right before a version number ("Gemma 3", "Llama 3.1", "Qwen 2.5") ...
_NAME_BEFORE = re.compile(r"(?<![\w.\-/:])([A-Z][A-Za-z]{1,19})[ \u00a0]$")
# ... and right after it a model-ish noun or a model size ("Gemma 3 model", "Llama 3.1 8B", "Qwen 2.5-7B")
_MODEL_AFTER = re.compile(r"(?:[ \u00a0]+(?:models?|family|families|series|variants?|checkpoints?|instruct)\b"
                          r"|[ \u00a0-]+\d+(?:\.\d+)?[bBmM]\b)")
# capitalised words that open a sentence before a count ("All 3 models", "Only 2 models"): no model's name
_NOT_NAMES = frozenset({
    "all", "the", "these", "those", "only", "top", "first", "last", "both", "each", "over", "about", "around",
    "nearly", "almost", "approximately", "roughly", "exactly", "just", "of", "with", "for", "across", "using",
    "another", "other", "some", "total", "and", "or", "in", "on", "at", "by", "from", "to", "than", "under",
    "between", "among", "its", "their", "our", "we", "they", "there", "here", "tested", "compared", "versus",
    "table", "figure", "fig", "section", "step", "phase", "stage", "part", "round", "rank", "number", "no",
    "up", "least", "most", "more", "fewer", "less", "remaining", "any", "many", "several",
})


def _is_version(text: str, start: int, end: int) -> bool:
    """True for a version number in a model family's name: a capitalised name word right before it and a
    model-ish noun or a size right after ("Gemma 3 model", "Llama 3.1 8B"); not a count ("All 3 models")."""
    if start < 2 or text[start - 1] not in " \u00a0":  # a fast reject of most numbers: _NAME_BEFORE says it too
        return False
    if _MODEL_AFTER.match(text, end) is None:  # anchored: fails at once after most numbers
        return False
    name = _NAME_BEFORE.search(text, max(0, start - 21), start)
    return name is not None and name.group(1).lower() not in _NOT_NAMES


def _is_option(key: str) -> bool:
    """A run option's name ("num_ctx", "temperature", "n_threads"); "avg_tokens_per_second = 14.1" states a
    measurement, not an option."""
    low = key.lower()
    return low in _CONFIG_KEYS or low.startswith(("num_", "n_"))


_SCALE_WORDS = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_SCALE_RE = re.compile(r"[ \u00a0]+(thousand|million|billion|trillion)\b", re.I)


# "file" in Chinese after a count, with its measure word: "101个文件", "32 文件"
_CJK_FILES = re.compile(r"[ \u00a0]?(?:个|個|份)?(?:文件|檔案)")
# Chinese, Japanese and Korean script: written without spaces, so a number stands right beside its words
# ("在187.18个单位"), which are no part of it as Latin letters would be ("gemma3", "v2")
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef]")


def _glued(char: str) -> bool:
    """Whether ``char`` right before a number makes the number part of a word ("gemma3"; not "在187")."""
    return char.isalnum() and not _CJK.match(char)


def _skip_word(text: str, start: int) -> int:
    m = _WORDISH.match(text, start)
    return max(m.end() if m else start + 1, start + 1)


def _is_range(text: str, start: int) -> bool:
    """True for "12-35" (a digit before the dash) and "44/101" (a share written as a fraction)."""
    return text[start - 2].isdigit() and text[start - 1] in "-/"


_RANGE_GAP = re.compile(r"^\s*(?:-|–|—|to|and)\s*$", re.I)


def _propagate_range_units(text: str, numbers: list[Number]) -> None:
    """"12 to 35 seconds", "8-16GB": the first number of a range takes the second's unit."""
    for k in range(len(numbers) - 2, -1, -1):
        a, b = numbers[k], numbers[k + 1]
        if a.form == b.form == "quantity" and not a.unit and b.unit and _RANGE_GAP.match(text[a.end:b.start]):
            numbers[k] = Number(a.value, a.raw, b.unit, a.tolerance, a.form, a.start, a.end, a.key)
