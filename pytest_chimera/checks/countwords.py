"""The words that say what a count counts, where the checker's English reading would miss them: an identifier
that counts one noun ("file_count"), and the word "file" in the other languages the agents write reports in.

The checker reads English words. A report in Russian or Arabic states the corpus's file counts the way an
English one does ("Общее количество файлов: 101", "عدد الملفات: 101"), but without the word "files" the count
has no unit: a true total is left ``unverified`` and a wrong type count ("81 файл - JSON") is never held to the
corpus's 44 JSON files. Each such word is replaced by "file" or "files", padded with spaces to its own length,
so every offset and column a check reports is still that of the written text (the caller reports the number
and its excerpt as written). A word shorter than "file" (Arabic "ملف", Chinese "文件") cannot be replaced so and
is left as it is. In such a line a decimal comma is read as a point ("43,6 %").
"""

from __future__ import annotations

import re

from pytest_chimera.checks.numbers import COUNT_NOUNS, canonical_unit

# Russian, Ukrainian, Arabic (its short vowel marks too: "ملفًا"), Spanish, French, German, Portuguese and Turkish
# forms, case endings included
_FILE_WORD = re.compile(
    r"(?<!\w)(?:файл(?:ы|ов|а|ах|ами|ам|у|ом|е|и|ів)?|(?:ال)?ملف[\u064b-\u0652]*(?:ات|ا)?[\u064b-\u0652]*|"
    r"archivos?|ficheros?|fichiers?|dateien|datei|arquivos?|dosya(?:lar|ları|sı|nın)?)(?![\w\u064b-\u0652])"
    r"|文件(?:数量|总数|數量|總數)",  # Chinese "number of files", four characters: "file"
    re.I,
)
# a decimal comma ("43,6 %"), in a line of a language that writes one: one or two digits after it (three would
# be a thousands separator)
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d{1,2}(?!\d))")
_FOREIGN_LETTERS = re.compile(r"[\u0400-\u04ff\u0600-\u06ff]")
# the Latin-script words above are ASCII: a report is searched for them once, not each ASCII line
_LATIN_STEMS = ("archivo", "fichero", "fichier", "datei", "arquivo", "dosya")


def latin_words(source: str) -> bool:
    """Whether ``source`` may hold one of the ASCII words for "file" (then ASCII lines are read too)."""
    low = source.lower()
    return any(stem in low for stem in _LATIN_STEMS)


def _english(m: re.Match[str]) -> str:
    word = m.group(0)
    if len(word) < 4:
        return word
    english = "files" if len(word) >= 5 else "file"
    return (english.capitalize() if word[0].isupper() else english).ljust(len(word))  # a sentence still starts


def in_english(text: str, ascii_too: bool = False) -> str:
    """``text`` with each other-language word for "file" written as "file"/"files" of the same length, and, in
    a Cyrillic or Arabic line or a report with such ASCII words (``ascii_too``: ``latin_words``), a decimal comma
    as a point ("43,6 %": 43.6, not 43 then 6%); an ASCII text is returned as it is, at the cost of one
    ``isascii``, unless ``ascii_too``."""
    if not ascii_too and text.isascii():
        return text
    english = _FILE_WORD.sub(_english, text)
    if ascii_too or _FOREIGN_LETTERS.search(text):
        english = _DECIMAL_COMMA.sub(".", english)
    return english


# an identifier that counts one noun ("file_count", "total_files", "num_models"): the noun is its unit; its other
# parts may only say where the count comes from; "avg_tokens_per_second" or "prompt_eval_count" count nothing
_COUNT_MARKS = frozenset({"count", "num", "number", "n", "total"})
_SOURCE_MARKS = frozenset({"json", "csv", "md", "markdown", "analyzed", "analysed", "processed", "scanned"})
# what may stand between an identifier and the number it labels: "`file_count`: 101", "file_count = 101",
# "a `file_count` of 101", "file_count (101)", "file_count is 101"
_LABELS_NUMBER = re.compile(r"[`'\"\u2039\u203a*\s]*(?:[:=(]|\b(?:of|is|was|at|are|were)\b)?[\s(]*")


def counted_noun(text: str, start: int, end: int, number_at: int = -1) -> str:
    """The count noun the identifier around ``text[start:end]`` counts ("files" for "total_file_count"), else "";
    ``number_at`` >= 0: only when the identifier labels the number that starts there (nothing but quotes, a
    colon, "=", a bracket or "of"/"is" between): "`file_count` of 101 and `num_gpu` at 999" gives 999 no unit."""
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    while end < len(text) and (text[end].isalnum() or text[end] == "_"):
        end += 1
    if number_at >= 0 and (end > number_at or not _LABELS_NUMBER.fullmatch(text, end, number_at)):
        return ""
    parts = text[start:end].lower().split("_")
    if not _COUNT_MARKS.intersection(parts):
        return ""
    nouns = {canonical_unit(p) for p in parts if p and p not in _COUNT_MARKS and p not in _SOURCE_MARKS}
    noun = nouns.pop() if len(nouns) == 1 else ""
    return noun if noun in COUNT_NOUNS else ""
