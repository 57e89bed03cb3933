"""Units and label words for corpus quantities: how a column, JSON key or file name is named in prose.

Pure functions over strings (standard library only), shared by the fact computation and by anything that
matches a sentence to a fact.

- ``unit_of(name)``: the unit a column/key name implies: ``ttft_s`` -> ``s``, ``tokens_s`` /
  ``tokens_per_s`` / ``Tokens per Second`` -> ``tok/s``, ``*_ms`` / ``(ms)`` -> ``ms``, ``eval_count`` ->
  ``tokens``, ``*_percent`` -> ``%``, ``*_gb`` -> ``GB``; statistic affixes (``mean_``, ``_mean``, ``avg_``,
  ``p50_``, ...) keep the underlying unit (``mean_tokens_s`` -> ``tok/s``); otherwise ``""``.
- ``name_labels(name)``: lowercase words and phrases a sentence might use for it: the name itself, its words,
  and metric synonyms (``tokens_s`` -> "throughput", "tokens per second", "tok/s", "generation speed";
  ``ttft_s`` -> "ttft", "time to first token", "latency"; ...).
- ``model_forms(name)``: every spelling of a model: ``gemma3:270m`` -> "gemma3:270m", "gemma3-270m",
  "gemma3_270m", "gemma3 270m", "270m", "gemma3".
- ``model_in_filename(name)``: the model a benchmark file name is about (``gemma3_1b-it-qat_baseline.csv``
  -> ``gemma3:1b-it-qat``; ``llama3_q4_benchmark_runs.csv`` -> ``llama3:q4``).
"""

from __future__ import annotations

import re
from functools import lru_cache

STAT_LABELS: dict[str, tuple[str, ...]] = {
    "count": ("count", "samples", "sample count", "runs", "measurements", "n"),
    "mean": ("mean", "average", "avg", "averaged", "on average"),
    "median": ("median", "p50", "typical", "middle"),
    "min": ("min", "minimum", "lowest", "smallest", "least"),
    "max": ("max", "maximum", "highest", "largest", "peak", "top"),
    "std": ("std", "stdev", "std dev", "standard deviation", "deviation", "variability", "spread"),
}
STATS = tuple(STAT_LABELS)

_WORD_SPLIT = re.compile(r"[^a-z0-9%]+")
_STOPWORDS = frozenset({"per", "the", "of", "and", "num", "in", "to", "for"})
_AFFIX_WORDS = {"mean", "avg", "average", "median", "p50", "p90", "p95", "p99", "min", "max", "std", "stdev",
                "total", "overall"}

# (words that must all appear in the name, synonyms). First match wins for units; all matches add labels.
_SYNONYMS: tuple[tuple[frozenset[str], tuple[str, ...]], ...] = (
    (frozenset({"ttft"}), ("ttft", "time to first token", "time-to-first-token", "first token", "first-token latency",
                           "latency", "first token latency", "response latency")),
    (frozenset({"first", "token"}), ("ttft", "time to first token", "first token", "latency")),
    (frozenset({"tokens", "s"}), ("throughput", "tokens per second", "tokens/s", "tok/s", "tokens/sec", "t/s", "tps",
                                  "generation speed", "token generation speed", "speed", "decode speed",
                                  "tokens per sec", "generation rate")),
    (frozenset({"tokens", "per", "second"}), ("throughput", "tokens per second", "tokens/s", "tok/s", "speed",
                                              "generation speed", "token generation speed", "tps")),
    (frozenset({"tokens", "per", "s"}), ("throughput", "tokens per second", "tokens/s", "tok/s", "speed",
                                         "generation speed", "token generation speed", "tps")),
    (frozenset({"throughput"}), ("throughput", "tokens per second", "tok/s", "speed", "generation speed")),
    (frozenset({"load"}), ("load", "load time", "load duration", "model load", "loading", "load latency")),
    (frozenset({"prompt", "eval", "count"}), ("prompt tokens", "prompt eval count", "input tokens", "prompt length",
                                              "tokens")),
    (frozenset({"prompt", "eval"}), ("prompt eval", "prompt evaluation", "prompt processing", "prefill",
                                     "prompt eval time", "prompt eval duration")),
    (frozenset({"eval", "count"}), ("eval count", "tokens generated", "generated tokens", "output tokens",
                                    "tokens", "completion tokens")),
    (frozenset({"eval"}), ("eval", "eval time", "eval duration", "generation time", "decode time", "decoding")),
    (frozenset({"total", "tokens"}), ("total tokens", "tokens", "token count")),
    (frozenset({"tokens"}), ("tokens", "token count")),
    (frozenset({"chars"}), ("characters", "chars", "response length", "length")),
    (frozenset({"compile"}), ("compile time", "compilation time", "compilation", "compile", "build time")),
    (frozenset({"generation", "time"}), ("generation time", "latency", "time", "duration")),
    (frozenset({"time", "ms"}), ("time", "latency", "inference time", "runtime", "execution time", "duration")),
    (frozenset({"duration"}), ("duration", "time", "latency")),
    (frozenset({"latency"}), ("latency", "time", "response time")),
    (frozenset({"timing"}), ("timing", "time", "latency")),
    (frozenset({"memory"}), ("memory", "ram", "memory usage", "memory utilization", "memory use")),
    (frozenset({"vram"}), ("vram", "gpu memory", "memory")),
    (frozenset({"cpu"}), ("cpu", "cpu usage", "cpu utilization", "processor")),
    (frozenset({"gpu", "percent"}), ("gpu", "gpu usage", "gpu utilization")),
    (frozenset({"num", "gpu"}), ("num_gpu", "gpu layers", "gpu offload", "layers on gpu", "gpu")),
    (frozenset({"num", "ctx"}), ("num_ctx", "context", "context size", "context length", "context window", "ctx")),
    (frozenset({"temperature"}), ("temperature", "temp", "sampling temperature")),
    (frozenset({"success", "rate"}), ("success rate", "success", "pass rate")),
    (frozenset({"speedup"}), ("speedup", "speed-up", "faster")),
    (frozenset({"efficiency"}), ("efficiency",)),
)


def words(name: str) -> list[str]:
    """Lowercase word pieces of a name: ``Generation Time (ms)`` -> ``["generation", "time", "ms"]``."""
    return [w for w in _WORD_SPLIT.split(name.lower().replace("tok/s", "tokens s").replace("/s", " s")) if w]


def _core_words(name: str) -> list[str]:
    parts = words(name)
    core = [w for w in parts if w not in _AFFIX_WORDS]
    return core or parts


_PER_RESOURCE = frozenset({"gb", "mb", "kb", "gib", "mib", "watt", "watts", "w", "joule", "joules", "dollar", "usd"})


@lru_cache(maxsize=4096)
def unit_of(name: str) -> str:
    """The unit a column or key name implies (see module doc); ``""`` when it says none."""
    low = name.lower()
    parts = _core_words(name)
    wordset = set(parts)
    if not parts:
        return ""
    if wordset & _PER_RESOURCE and wordset & {"tokens", "token", "tok"}:  # "Tokens per GB": an efficiency
        return ""
    if "tok/s" in low or "tokens/s" in low or "tokens per second" in low or "tps" in wordset:
        return "tok/s"
    if "tokens" in wordset and ("s" in wordset or "sec" in wordset or "second" in wordset or "per" in wordset):
        return "tok/s"
    if "throughput" in wordset:
        return "tok/s"
    last = parts[-1]
    if last == "ms" or "ms" in wordset or "milliseconds" in wordset:
        return "ms"
    if last == "ns" or "ns" in wordset:
        return "ns"
    if last in ("s", "sec", "secs", "seconds") or "seconds" in wordset:
        return "s"
    if low.rstrip().endswith("(s)"):
        return "s"
    if "percent" in wordset or "pct" in wordset or "%" in low:
        return "%"
    for unit in ("gb", "mb", "kb", "gib", "mib"):
        if unit in wordset:
            return {"gb": "GB", "mb": "MB", "kb": "KB", "gib": "GiB", "mib": "MiB"}[unit]
    if "chars" in wordset or "characters" in wordset:
        return "chars"
    if "count" in wordset and ("eval" in wordset or "token" in wordset or "tokens" in wordset):
        return "tokens"
    if "tokens" in wordset or "token" in wordset:
        return "tokens"
    return ""


@lru_cache(maxsize=4096)
def name_labels(name: str) -> tuple[str, ...]:
    """Label words for a column or key name: the name, its words and phrases, and metric synonyms."""
    low = name.strip().lower()
    parts = words(name)
    core = _core_words(name)
    out: dict[str, None] = {}
    if low:
        out[low] = None
    spaced = " ".join(parts)
    if spaced:
        out[spaced] = None
    core_spaced = " ".join(core)
    if core_spaced:
        out[core_spaced] = None
    for w in parts:
        if len(w) > 1 and not w.isdigit() and w not in _STOPWORDS:
            out[w] = None
    wordset = set(parts)
    for needed, synonyms in _SYNONYMS:
        if needed <= wordset:
            for s in synonyms:
                out[s] = None
    for w in parts:  # "mean_ms", "p95_ms", "max_time": the statistic's words ("average", "95th percentile")
        for s in _STAT_WORDS.get(w, ()):
            out[s] = None
    unit = unit_of(name)
    if unit:
        out[unit.lower()] = None
    return tuple(out)


_PERCENTILES = {f"p{n}": (f"p{n}", f"{n}th percentile", f"{n}th", "percentile") for n in (50, 90, 95, 99)}
_STAT_WORDS: dict[str, tuple[str, ...]] = {
    "mean": STAT_LABELS["mean"], "avg": STAT_LABELS["mean"], "average": STAT_LABELS["mean"],
    "median": STAT_LABELS["median"], "min": STAT_LABELS["min"], "max": STAT_LABELS["max"],
    "std": STAT_LABELS["std"], "stdev": STAT_LABELS["std"], "overall": STAT_LABELS["mean"], **_PERCENTILES,
}
_STAT_WORDS["p50"] = _STAT_WORDS["p50"] + STAT_LABELS["median"]


_SIZE = re.compile(r"^\d+(?:\.\d+)?[bmk]$")


@lru_cache(maxsize=1024)
def model_forms(name: str) -> tuple[str, ...]:
    """Every spelling of a model name a sentence might use (lowercase)."""
    low = name.strip().lower()
    if not low:
        return ()
    base, _, tag = low.partition(":")
    out: dict[str, None] = {}
    for form in (low, low.replace(":", "-"), low.replace(":", "_"), low.replace(":", " ")):
        out[form] = None
    if tag:
        out[tag] = None
        pieces = re.split(r"[-_]", tag)
        size = pieces[0]
        if _SIZE.match(size):
            out[size] = None
            for sep in (":", "-", "_", " "):
                out[f"{base}{sep}{size}"] = None
        if tag == "latest":
            out[base] = None
        for piece in pieces[1:]:
            if re.match(r"^q\d", piece):
                quant = "_".join(tag.split("-")[-1:]) if piece != tag else piece
                out[quant] = None
                break
    out[base] = None
    family = re.match(r"^[a-z]+\d*", base)
    if family and family.group(0) != base:
        out[family.group(0)] = None
    return tuple(out)


_FAMILIES = r"gemma|llama|codellama|tinyllama|mistral|mixtral|qwen|phi|deepseek|granite|smollm"
_FILE_MODEL = re.compile(
    rf"(?<![a-z])(?P<base>(?:{_FAMILIES})\d*(?:\.\d+)?)"
    r"(?:[_:-](?P<size>\d+(?:\.\d+)?[bmk])(?P<variant>(?:-(?:it|qat|instruct|chat|text|fp16|q\d(?:_k_[msl]|_\d)?))*)"
    r"|[_-](?P<quant>q\d(?:_k_[msl]|_\d)?)(?![a-z0-9]))?"
)
TEXT_MODEL = re.compile(
    rf"(?<![a-z0-9])(?P<name>(?:{_FAMILIES})\d*(?:\.\d+)?(?::[a-z0-9][a-z0-9._-]*[a-z0-9]|[-_]\d+(?:\.\d+)?[bm](?![a-z0-9])))",
)


@lru_cache(maxsize=8192)
def model_in_filename(filename: str) -> str | None:
    """The model a file name names, in Ollama form (``gemma3_270m_baseline.csv`` -> ``gemma3:270m``)."""
    stem = filename.lower().rsplit("/", 1)[-1]
    match = _FILE_MODEL.search(stem)
    if match is None:
        return None
    base = match.group("base")
    if match.group("size"):
        return f"{base}:{match.group('size')}{match.group('variant') or ''}"
    if match.group("quant"):
        return f"{base}:{match.group('quant')}"
    return base


TEXT_FAMILY = re.compile(rf"(?<![a-z0-9])(?P<name>(?:{_FAMILIES})\d*(?:\.\d+)?)(?![a-z0-9])")
FAMILY_NAMES = tuple(_FAMILIES.split("|"))  # where a mention may start: found by str.find before ``TEXT_MENTION``
# a model where one is written, else its family alone (one pass for both: ``checks.subjects``)
TEXT_MENTION = re.compile(rf"(?<![a-z0-9])(?:{_FAMILIES})\d*(?:\.\d+)?(?::[a-z0-9][a-z0-9._-]*[a-z0-9]|"
                          r"[-_]\d+(?:\.\d+)?[bm](?![a-z0-9])|(?![a-z0-9]))")


def families_in_text(text: str) -> list[str]:
    """Model families written in free text, with or without a model ("gemma3", "gemma3:270m" -> "gemma3")."""
    return [m.group("name") for m in TEXT_FAMILY.finditer(text.lower())]


def models_in_text(text: str) -> list[str]:
    """Model names written in free text (``gemma3:270m``, ``llama3.1:8b-q4_0``, ``gemma3-1b``), lowercase."""
    return [m.group("name") for m in TEXT_MODEL.finditer(text.lower())]


def family_of(model: str) -> str:
    """``gemma3:270m`` -> ``gemma3``; ``llama3.1:8b`` -> ``llama3.1``."""
    return model.lower().partition(":")[0]


_LETTERS_SPLIT = re.compile(r"[^a-z]+")


@lru_cache(maxsize=8192)
def path_labels(path: str) -> tuple[str, ...]:
    """Words of a corpus path a sentence might use: directory names and file-name words (3+ letters)."""
    out: dict[str, None] = {}
    parts = path.lower().split("/")
    for directory in parts[:-1]:
        out[directory] = None
    stem = parts[-1].rsplit(".", 1)[0]
    out[stem] = None
    for w in _LETTERS_SPLIT.split(stem):
        if len(w) >= 3:
            out[w] = None
    if "param_tuning" in stem or "tuning" in stem:
        out["parameter tuning"] = None
        out["param tuning"] = None
    return tuple(out)
