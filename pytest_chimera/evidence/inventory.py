"""Facts about the corpus as a whole: how many files (by type, directory, model, name, in pairs of types), their
sizes, and the parameter counts that model names state. Each derived fact's source names the facts and the
operation it comes from ("derived: files.by_type.json + files.by_type.md = 44 + 29")."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_chimera.evidence.corpus import Corpus

Row = tuple[str, float, str, str, tuple[str, ...]]

_TYPE_LABELS: dict[str, tuple[str, ...]] = {
    "csv": ("csv", "csv files", "csv file", "comma-separated", "tables", "files", "file"),
    "json": ("json", "json files", "json file", "files", "file"),
    "md": ("markdown", "md", "markdown files", "markdown file", "md files", "files", "file"),
}
# how reports name the per-type counts as a whole ("File Types: CSV (28)", "Data Types: ...", "formats")
_KIND_LABELS = ("type", "types", "file type", "file types", "data type", "data types", "format", "formats",
                "file format", "file formats")
_PCT_LABELS = ("percent", "percentage", "share", "proportion", "fraction", "%", "distribution")
_TOTAL_LABELS = ("files", "file", "total", "total files", "files analyzed", "analyzed", "dataset", "corpus",
                 "data files", "artifacts", "artefacts", "totaling", "totalling", "in total", "all", "number of files",
                 "file count", "dataset size", "ingested", "files ingested", "processed", "files processed", "examined",
                 "files examined", "scanned", "files scanned")

_SIZE_TAG = re.compile(r"^(\d+(?:\.\d+)?)([mbk])(?:$|[-_])")
_SIZE_SCALE = {"k": 1e3, "m": 1e6, "b": 1e9}


def parameter_facts(rows: list[Row], lb: Any, labels: set[str] | None = None) -> None:
    """The parameter count each model's name states ("gemma3:270m" -> 270 million): ``models.<model>.parameters``,
    for every model the facts name (a model column, a file name, a JSON model field).

    ``labels``: every label string of ``rows`` (words without a ``:`` may be left out), when the caller
    gathered them; else they are read from the rows."""
    every = set().union(*[row[4] for row in rows]) if labels is None else labels
    seen = {label for label in every if ":" in label and lb.models_in_text(label) == [label]}
    for model in sorted(seen):
        size = _SIZE_TAG.match(model.partition(":")[2])
        if size is None:
            continue
        value = float(size.group(1)) * _SIZE_SCALE[size.group(2)]
        rows.append((f"models.{model}.parameters", value, "parameters",
                     f"derived: the size in the model name {model!r}",
                     lb.model_forms(model) + ("parameters", "params", "parameter count", "model size", "size")))


_KIND_NAMES = {"csv": "CSV", "json": "JSON", "md": "Markdown"}
_SIZE_LABELS = ("size", "file size", "total size", "total file size", "data volume", "dataset size", "bytes",
                "volume", "total")


def file_facts(corpus: Corpus, rows: list[Row], lb: Any) -> None:
    total = len(corpus.files)
    in_dir: dict[str, int] = {}  # files directly in each directory ("" for the root)
    of_kind: dict[str, int] = {}
    of_model: dict[tuple[str, str], int] = {}  # files per (model the name names, kind)
    model_in_filename = lb.model_in_filename
    for f in corpus.files:  # one pass over the files for all the counts
        parent = f.path.rpartition("/")[0]
        in_dir[parent] = in_dir.get(parent, 0) + 1
        of_kind[f.kind] = of_kind.get(f.kind, 0) + 1
        model = model_in_filename(f.path)
        if model:
            of_model[model, f.kind] = of_model.get((model, f.kind), 0) + 1
    rows.append(("files.total", float(total), "files", "count of .csv/.json/.md files under the corpus root",
                 _TOTAL_LABELS + _ALL_TYPES))
    counts = {kind: of_kind.get(kind, 0) for kind in ("csv", "json", "md")}
    for kind, n in counts.items():
        rows.append((f"files.by_type.{kind}", float(n), "files", f"count of .{kind} files",
                     _TYPE_LABELS[kind] + _KIND_LABELS))
        if total:
            rows.append((f"files.by_type.{kind}.pct", 100.0 * n / total, "%",
                         f"{n} .{kind} files / {total} files * 100", _TYPE_LABELS[kind] + _PCT_LABELS))
    if total:
        _type_pairs(counts, total, rows)
    models: dict[str, int] = {}
    model_kinds: dict[tuple[str, str], int] = {}
    for (model, kind), n in of_model.items():
        for m in {model, lb.family_of(model)}:  # a family counts every variant's files
            models[m] = models.get(m, 0) + n
            model_kinds[m, kind] = model_kinds.get((m, kind), 0) + n
    dirs: dict[str, int] = {}  # files under each directory, recursively
    for parent, n in in_dir.items():
        parts = parent.split("/") if parent else []
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            dirs[d] = dirs.get(d, 0) + n
    for d in sorted(dirs):
        name = d.rsplit("/", 1)[-1]
        # a directory is named by its path, or by its name with "directory"/"folder"; its bare name only
        # when that is an identifier ("csv_data", "gemma3"), not a word of prose ("reports", "compilation").
        # "reports/" reads as the word "reports" (labels and claims lose the slash alike), so a top-level
        # directory of a prose name has no such label: "this report analyzes 101 files" names no directory
        bare = (name,) if re.search(r"[\d_\-.]", name) else ()
        path = (d,) if "/" in d else bare  # "reports/compilation" is a path; a top-level "reports" a word
        rows.append((f"files.by_dir.{d}", float(dirs[d]), "files", f"count of files under {d}/",
                     (*path, *((f"{d}/",) if path else ()), *(bare if "/" in d else ()), f"{name} directory",
                      f"{name} folder", f"{name} dir", "directory", "folder", "files", "file")))
    for m in sorted(models):
        rows.append((f"files.by_model.{m}", float(models[m]), "files",
                     f"count of files whose name names model {m}", lb.model_forms(m) + ("files", "file", "model")))
    for (m, kind), n in sorted(model_kinds.items()):
        rows.append((f"files.by_model.{m}.{kind}", float(n), "files",
                     f"derived: count of .{kind} files among files.by_model.{m}",
                     lb.model_forms(m) + _TYPE_LABELS[kind]))
    _name_facts(corpus, total, rows)
    sizes = [f.size for f in corpus.files]
    if sizes:
        rows.append(("files.bytes.total", float(sum(sizes)), "B", f"derived: sum of the sizes of the {total} files",
                     _SIZE_LABELS + ("files", "file")))
        rows.append(("files.bytes.mean", sum(sizes) / len(sizes), "B",
                     f"derived: files.bytes.total / files.total ({sum(sizes)} bytes / {total} files)",
                     ("average file size", "mean file size", "file size", "size", "average", "mean", "avg")))


def _type_pairs(counts: dict[str, int], total: int, rows: list[Row]) -> None:
    """Two file types together ("JSON and Markdown files: 73"), count and share, with the facts they add."""
    kinds = list(counts)
    for i, a in enumerate(kinds):
        for b in kinds[i + 1:]:
            n = counts[a] + counts[b]
            words = _pair_labels(a, b) + ("files", "file")
            rows.append((f"files.by_type.{a}+{b}", float(n), "files",
                         f"derived: files.by_type.{a} + files.by_type.{b} = {counts[a]} + {counts[b]}", words))
            rows.append((f"files.by_type.{a}+{b}.pct", 100.0 * n / total, "%",
                         f"derived: (files.by_type.{a} + files.by_type.{b}) / files.total * 100 = {n} / {total} * 100",
                         words + _PCT_LABELS))


def _all_types_labels() -> tuple[str, ...]:
    """How prose names every file type together, which is all files: "CSV, JSON, and Markdown" in any order
    (the commas are no part of a label's words), so that "101 files in CSV, JSON, and Markdown formats" is
    the total and not the CSV count its nearest type word would name."""
    from itertools import permutations, product

    forms = [dict.fromkeys((k, _KIND_NAMES[k].lower())) for k in _KIND_NAMES]
    out: dict[str, None] = {}
    for order in permutations(forms):
        for x, y, z in product(*order):
            for joint in (" and ", " or ", " & "):
                out[f"{x}, {y}{joint}{z}"] = None
    return tuple(out)


_ALL_TYPES = _all_types_labels()


def _pair_labels(a: str, b: str) -> tuple[str, ...]:
    """How prose names two file types together: "JSON and Markdown", "markdown & json", "CSV/JSON", ...

    Only the pair: a fact about both types must not fit a sentence that names one of them."""
    out: dict[str, None] = {}
    for x, y in ((a, b), (b, a)):
        for nx in dict.fromkeys((x, _KIND_NAMES[x].lower())):  # not a set: the same order in every process
            for ny in dict.fromkeys((y, _KIND_NAMES[y].lower())):
                for joint in (" and ", " & ", "/", " or ", " plus "):
                    out[f"{nx}{joint}{ny}"] = None
    return tuple(out)


_NAME_SPLIT = re.compile(r"[^a-z0-9]+")
_SPELLED = {"param": "parameter", "params": "parameters", "config": "configuration", "configs": "configurations",
            "perf": "performance", "quant": "quantization", "gen": "generation"}  # file-name short forms


def _name_facts(corpus: Corpus, total: int, rows: list[Row]) -> None:
    """Files whose name holds a compound word ("conv_bench", "param_tuning"): count and share.

    Only compounds of two or three letter parts that at least two files (and not all) share: a single word of
    a file name ("benchmark", "summary") is too often ordinary prose to name a set of files."""
    shapes: dict[tuple[str, ...], int] = {}  # files per shape of name (its letter parts)
    split = _NAME_SPLIT.split
    for f in corpus.files:
        stem = f.path.lower().rsplit("/", 1)[-1].rsplit(".", 1)[0]
        parts = tuple([p if p.isalpha() else "" for p in split(stem)])
        shapes[parts] = shapes.get(parts, 0) + 1
    found: dict[str, int] = {}
    for parts, n in shapes.items():
        seen: set[str] = set()  # the shape's compounds
        for i in range(len(parts)):
            for j in range(i + 2, min(i + 3, len(parts)) + 1):
                if all(parts[i:j]):
                    seen.add("_".join(parts[i:j]))
        for name in seen:
            found[name] = found.get(name, 0) + n
    for name in sorted(found):
        n = found[name]
        if n < 2 or n >= total:
            continue
        words = name.split("_")
        spelled = " ".join(_SPELLED.get(w, w) for w in words)  # "param tuning": "parameter tuning" in prose
        forms = tuple(dict.fromkeys((name, " ".join(words), "-".join(words), spelled)))
        rows.append((f"files.by_name.{name}", float(n), "files",
                     f"derived: count of files whose name contains {name!r}", forms + ("files", "file")))
        rows.append((f"files.by_name.{name}.pct", 100.0 * n / total, "%",
                     f"derived: files.by_name.{name} / files.total * 100 = {n} / {total} * 100",
                     forms + ("files", "file") + _PCT_LABELS))
